import Docket
import Foundation
import Testing
@testable import DocketCLI

/// Bad input exits 2 with the reason on stderr, also for the commands that write (they used
/// to report an unusable path or an out-of-range setting as a found problem, exit 1), and a
/// command's messages use its own option names.
@Suite struct BadInputExitCodeTests {
    @Test func writingCommandsRefuseBadInputWithExitTwo() async throws {
        let tmp = TempDirectory("bad-input")
        defer { tmp.remove() }
        let file = tmp.path + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let cases: [[String]] = [
            ["stress", file, "--tasks", "1"],
            ["demo", "--dir", file, "--for", "1"],
            ["journal", "stress", file, "--records", "1"],
            // Beyond what the journal accepts (it accepted up to 2^40 and then failed to open).
            ["journal", "stress", tmp.path + "/j", "--records", "1", "--segment-size", "8589934592"],
            // --resume enqueues nothing: --producers was silently ignored.
            ["stress", tmp.path + "/s", "--resume", "--producers", "8"],
            // A missing parent is a typo, not a tree to create (it failed with a raw I/O error, exit 1).
            ["demo", "--dir", tmp.path + "/no/such/parent", "--for", "1"],
        ]
        for args in cases {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == ExitCode.usage, "\(args): \(out.stderr)")
            #expect(!out.stderr.isEmpty, "\(args)")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x", "the file is left alone")
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/s"), "nothing created")
    }

    /// A typo in a directory name is bad input, not an empty journal: the read-only commands
    /// and `stress --resume` refuse a missing directory (they reported a clean, empty state,
    /// or created it and "finished"), and `stress` refuses one that holds tasks already (its
    /// ids would be acknowledged again without running again).
    @Test func missingOrOccupiedDirectoriesAreRefused() async throws {
        let tmp = TempDirectory("missing-dirs")
        defer { tmp.remove() }
        let missing = tmp.path + "/typo"
        for args in [["inspect", missing], ["journal", "verify", missing], ["journal", "stats", missing], ["journal", "dump", missing],
                     ["journal", "replay", missing, "--to", "1"], ["stress", missing, "--resume"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == ExitCode.usage, "\(args)")
            #expect(out.stderr.contains { $0.contains("'\(missing)' does not exist") }, "\(args): \(out.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "nothing created")
        let dir = tmp.path + "/s"
        #expect(await DocketCLI.run(["stress", dir, "--tasks", "3"], output: CapturedOutput()) == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let again = CapturedOutput()
        #expect(await DocketCLI.run(["stress", dir, "--tasks", "3"], output: again) == ExitCode.usage)
        #expect(again.stdout.isEmpty && again.stderr.contains { $0.contains("holds 3 task(s) already: pass --resume") }, "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before, "refused untouched")
        #expect(await DocketCLI.run(["stress", dir, "--resume"], output: CapturedOutput()) == 0)
        // journal stress would add records the engine cannot read to a Docket directory, for good.
        let docketDir = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "stress", dir, "--records", "1"], output: docketDir) == ExitCode.usage)
        #expect(docketDir.stderr.contains { $0.contains("holds a Docket's journal") }, "\(docketDir.stderr)")
        #expect(await DocketCLI.run(["inspect", dir], output: CapturedOutput()) == 0, "still a Docket directory")
        // Its own journals it reopens.
        let own = tmp.path + "/j"
        #expect(await DocketCLI.run(["journal", "stress", own, "--records", "2"], output: CapturedOutput()) == 0)
        #expect(await DocketCLI.run(["journal", "stress", own, "--records", "2"], output: CapturedOutput()) == 0)
    }

    /// The writing commands refuse a directory that holds other things and no journal: opening
    /// one there removes `*.tmp` files and writes `LOCK` (`demo --dir ~/Downloads` took it over).
    @Test func writingCommandsRefuseADirectoryOfOtherFiles() async throws {
        let tmp = TempDirectory("other-files")
        defer { tmp.remove() }
        let other = tmp.path + "/downloads"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: other + "/report.tmp", contents: Data("mine".utf8)))
        for args in [["demo", "--dir", other, "--for", "1"], ["stress", other, "--tasks", "1"], ["stress", other, "--resume"],
                     ["journal", "stress", other, "--records", "1"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == ExitCode.usage, "\(args): \(out.stderr)")
            #expect(out.stderr.contains { $0.contains("is not empty and holds no journal") }, "\(args): \(out.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other) == ["report.tmp"], "left alone")
        let empty = tmp.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(await DocketCLI.run(["stress", empty, "--tasks", "2"], output: CapturedOutput()) == 0, "an empty directory is fine")
    }

    /// The reading commands refuse a directory that holds other files and no journal (it read
    /// as an empty, undamaged journal: `inspect /etc` printed 0 tasks, `journal verify` "ok").
    @Test func readingCommandsRefuseADirectoryWithoutAJournal() async throws {
        let tmp = TempDirectory("no-journal")
        defer { tmp.remove() }
        #expect(FileManager.default.createFile(atPath: tmp.path + "/notes.txt", contents: Data("mine".utf8)))
        for args in [["inspect", tmp.path], ["inspect", tmp.path, "--json"], ["journal", "verify", tmp.path], ["journal", "stats", tmp.path],
                     ["journal", "dump", tmp.path], ["journal", "replay", tmp.path, "--to", "1"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == ExitCode.usage, "\(args): \(out.stderr)")
            #expect(out.stderr.contains { $0.contains("holds no journal") }, "\(args): \(out.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == ["notes.txt"], "left alone")
        let empty = tmp.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(await DocketCLI.run(["inspect", empty], output: CapturedOutput()) == 0, "an empty directory is an empty journal")
    }

    /// `stress --resume` refuses another service's Docket directory: its unfinished tasks would
    /// fail for want of a handler, its schedules would fire into none.
    @Test func stressResumeRefusesAnotherServicesDirectory() async throws {
        let tmp = TempDirectory("foreign-docket")
        defer { tmp.remove() }
        let withTask = tmp.path + "/tasks", withSchedule = tmp.path + "/schedules"
        struct Mail: Codable, Sendable { var to: String }
        let a = try await Docket.open(directory: withTask)
        a.register("email", payload: Mail.self) { _, _ in }
        try await a.enqueue("email", payload: Mail(to: "a@example.com"), options: TaskOptions(id: "welcome", delay: .seconds(3600)))
        await a.close()
        let b = try await Docket.open(directory: withSchedule)
        b.register("report", payload: Mail.self) { _, _ in }
        try await b.schedule("nightly", parsing: "0 2 * * *", handler: "report", payload: Mail(to: "b@example.com"))
        await b.close()
        for (dir, reason) in [(withTask, "handlers stress does not run (\"email\")"), (withSchedule, "the schedule \"nightly\"")] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(["stress", dir, "--resume"], output: out) == ExitCode.usage, "\(out.stderr)")
            #expect(out.stderr.contains { $0.contains(reason) }, "\(out.stderr)")
        }
        #expect(try Docket.inspect(directory: withTask).task("welcome")?.status == .scheduled, "left alone")
    }

    /// `docket <command> --help` prints that command's usage and exits 0 (it was an unknown
    /// option, exit 2, for every command).
    @Test func helpAfterACommandPrintsItsUsage() async {
        for (command, expected) in [("cron", "usage: docket cron next"), ("rrule", "usage: docket rrule next"), ("demo", "usage: docket demo"),
                                    ("inspect", "usage: docket inspect"), ("stress", "usage: docket stress"), ("journal", "usage: docket journal")] {
            for flag in ["--help", "-h"] {
                let out = CapturedOutput()
                #expect(await DocketCLI.run([command, flag], output: out) == 0, "\(command) \(flag)")
                #expect(out.stdout.joined(separator: "\n").contains(expected), "\(command): \(out.stdout)")
            }
        }
        let out = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", "--help"], output: out) == 0)
    }

    @Test func replayMessagesNameItsOwnOptions() async throws {
        let tmp = TempDirectory("replay-words")
        defer { tmp.remove() }
        for args in [["journal", "replay", tmp.path, "--to", "x"], ["journal", "replay", tmp.path, "--to", "3", "--at", "2026-01-01T00:00:00Z"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == ExitCode.usage)
            let text = out.stderr.joined(separator: "\n")
            #expect(text.contains("--to") && !text.contains("--as-of"), "\(args): \(text)")
        }
    }

    /// JSON times are the engine's whole microseconds, rounded, not cut (a Double just below
    /// one printed a microsecond early).
    @Test func utcTimesRoundToTheMicrosecond() {
        #expect(LocalTime.utc(Date(timeIntervalSince1970: 1_800_000_000.000001)) == "2027-01-15T08:00:00.000001Z")
        #expect(LocalTime.utc(Date(timeIntervalSince1970: 1_800_000_000.123457)) == "2027-01-15T08:00:00.123457Z")
        #expect(LocalTime.utc(Date(timeIntervalSince1970: 1_799_999_999.9999999)) == "2027-01-15T08:00:00Z")
        #expect(LocalTime.utc(Date(timeIntervalSince1970: 1_800_000_000)) == "2027-01-15T08:00:00Z")
    }

    /// Offsets print hours and minutes, and seconds when there are some (a local mean time
    /// such as Monrovia's before 1972 lost them).
    @Test func utcOffsetsKeepTheirSeconds() {
        #expect(LocalTime.utcOffset(3600) == "UTC+01:00")
        #expect(LocalTime.utcOffset(-12_600) == "UTC-03:30")
        #expect(LocalTime.utcOffset(0) == "UTC+00:00")
        #expect(LocalTime.utcOffset(-2_670) == "UTC-00:44:30")
    }
}
