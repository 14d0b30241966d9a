// swift-tools-version:6.0
// Docket: an embedded, durable task scheduler. No package dependencies, by design: only the
// toolchain (stdlib, Foundation, Dispatch, Synchronization, Glibc) and two small C targets.
import PackageDescription

let package = Package(
    name: "Docket",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DocketSchedules", targets: ["DocketSchedules"]),
        .library(name: "DocketJournal", targets: ["DocketJournal"]),
        .library(name: "Docket", targets: ["Docket"]),
        .executable(name: "docket", targets: ["docket"]),
        .executable(name: "docket-bench", targets: ["DocketBench"]),
    ],
    targets: [
        // Pure value types: cron, RRULE, interval, one-shot; civil calendar and zone math.
        .target(name: "DocketSchedules"),
        // Hardware CRC32C (SSE4.2) behind a runtime CPU check; no unsafe flags.
        .target(name: "CDocketCRC"),
        // The Linux timerfd behind the engine's timer thread (no timer slack).
        .target(name: "CDocketTimer"),
        // Generic durable log: framing, checksums, segments, snapshots, recovery.
        .target(name: "DocketJournal", dependencies: ["CDocketCRC"]),
        // The engine: the Docket actor, tasks, handlers, workers, leases, retries, recurring
        // schedules, events; its own mutation codec on top of the journal.
        .target(name: "Docket", dependencies: ["DocketSchedules", "DocketJournal", "CDocketTimer"]),
        // The command-line tool's logic, as a library so tests can drive it in-process.
        .target(name: "DocketCLI", dependencies: ["Docket", "DocketSchedules", "DocketJournal"]),
        .executableTarget(name: "docket", dependencies: ["DocketCLI"]),
        .executableTarget(
            name: "DocketBench",
            dependencies: ["DocketSchedules", "DocketJournal", "Docket"],
            path: "Benchmarks/DocketBench"
        ),
        // What several test targets share: a seeded generator, the `docket` child process.
        .target(name: "DocketTestSupport", path: "Tests/DocketTestSupport"),
        .testTarget(name: "DocketSchedulesTests", dependencies: ["DocketSchedules", "DocketTestSupport"]),
        .testTarget(name: "DocketJournalTests", dependencies: ["DocketJournal", "DocketTestSupport"]),
        .testTarget(name: "DocketTests", dependencies: ["Docket", "DocketSchedules", "DocketJournal"]),
        .testTarget(name: "DocketCLITests", dependencies: ["DocketCLI", "Docket", "DocketSchedules", "DocketTestSupport"]),
    ]
)
