import Foundation
import Synchronization
import Testing
@testable import Docket

/// A journal that fails for good while `run()` runs (here: its next segment cannot be made).
@Suite(.timeLimit(.minutes(2))) struct JournalFailureTests {
    /// `run()` throws the journal's error without waiting out `shutdownGrace` for handlers whose
    /// results could no longer be recorded; their tasks are still running in the journal, so a
    /// restart runs them again (their attempt counted, as after a crash).
    @Test func runThrowsAtOnceWithoutTheGracePeriod() async throws {
        let gate = Gate()
        let h = try await Harness.gated(.journaled, gate, configure: { c in
            c.journal.segmentSize = 1024
            c.shutdownGrace = .seconds(3600)
        })
        let journal = try #require(h.directory).journal
        try await h.docket.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "held"))
        await h.recorder.waitFor(.started, "held")
        // Directories where the next segments' files would go: the rotation fails.
        for n in 1...64 {
            let name = "wal-" + String(repeating: "0", count: 16 - String(n, radix: 16).count) + String(n, radix: 16) + ".log"
            let path = journal + "/" + name
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }
        }
        var refused: DocketError?
        for i in 1...500 where refused == nil {
            do throws(DocketError) {
                try await h.docket.enqueue("gated", payload: Job(n: i), options: TaskOptions(id: "t\(i)"))
            } catch { refused = error }
        }
        guard case .journal = refused else {
            Issue.record("the journal never failed (got \(String(describing: refused)))")
            gate.open()
            try? await h.stop()
            return
        }
        // The loop meets the failure at its next commit; nudge it with a due timer.
        h.clock.advance(by: .milliseconds(1))
        let ended = Mutex(false)
        let watcher = Task {
            let result = await h.runner.result
            ended.withLock { $0 = true }
            return result
        }
        for _ in 0..<200_000 where !ended.withLock({ $0 }) { await Task.yield() }
        let endedInTime = ended.withLock { $0 }
        #expect(endedInTime, "run() waited for the grace period after the journal failed")
        if !endedInTime { h.clock.advance(by: .seconds(3600)) }
        gate.open()
        let result = await watcher.value
        #expect(throws: DocketError.self) { try result.get() }
        h.directory?.remove()
    }
}
