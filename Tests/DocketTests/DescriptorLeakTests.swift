import Foundation
import Testing
@testable import Docket

/// A service opens and closes its Docket, and audits read its journal, for as long as it runs:
/// none of that may leave a file descriptor behind. Counted by what the process's descriptors
/// point into (tests running in parallel open files of their own elsewhere).
@Suite(.timeLimit(.minutes(2))) struct DescriptorLeakTests {
    /// The open descriptors of this process that refer to `directory` or anything under it.
    static func descriptors(into directory: String) -> [String] {
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd) else { return nil }
            return target == resolved || target.hasPrefix(resolved + "/") ? target : nil
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd"), "needs /proc/self/fd"))
    func openRunCloseAndAuditLeaveNoDescriptor() async throws {
        let dir = TempDirectory("fds")
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configuration = Harness.configuration(clock) { c in
            c.snapshotEvery = 5  // snapshots and retention (files written, listed, deleted) on the way
            c.journal.segmentSize = 4096  // rotations too
        }
        var held = 0
        for round in 0..<8 {
            let docket = try await Docket.open(directory: dir.journal, configuration: configuration)
            docket.register("noop", payload: Job.self) { _, _ in }
            held = max(held, Self.descriptors(into: dir.path).count)
            let runner = Task { try await docket.run() }
            for i in 0..<12 { try await docket.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "r\(round)-\(i)")) }
            let events = docket.events()
            runner.cancel()
            try await runner.value
            for await _ in events {}
            #expect(Self.descriptors(into: dir.path).isEmpty, "round \(round): \(Self.descriptors(into: dir.path))")
            // Audit readers beside nothing: the same.
            _ = try Docket.inspect(directory: dir.journal)
            _ = try Docket.inspect(directory: dir.journal, asOf: 3)
            #expect(Self.descriptors(into: dir.path).isEmpty, "after inspect, round \(round)")
        }
        #expect(held >= 2, "an open Docket holds its lock and its segment (the count is not blind)")
    }
}
