import Foundation
import Synchronization
import Testing
@testable import Docket

/// Whose turn it is: stale queue entries never start a task, a freed slot or group is handed
/// on at once, and shutdown still applies timeouts. Each test failed before its fix.
@Suite(.timeLimit(.minutes(2))) struct RunLoopTurnTests {
    /// A task purged and enqueued again under its id starts at its own time, not at the time
    /// of an entry the purged task left in the timer heap (versions start at 1 again, so only
    /// the sequence tells the two apart).
    @Test(arguments: EngineKind.allCases) func aPurgedIdEnqueuedAgainRunsAtItsOwnTime(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("job", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.enqueue("job", payload: Job(n: 1), options: TaskOptions(id: "y", delay: .seconds(1800)))
        try await d.enqueue("job", payload: Job(n: 2), options: TaskOptions(id: "x", delay: .seconds(3600)))
        await h.settle()
        try await d.cancel("x")
        h.clock.advance(by: .seconds(60))
        await h.settle()
        #expect(try await d.purge(olderThan: .seconds(30)) == 1)
        let again = try await d.enqueue("job", payload: Job(n: 3), options: TaskOptions(id: "x", delay: .seconds(7200)))
        #expect(again.runAt == Harness.start.addingTimeInterval(60 + 7200))
        h.clock.advance(by: .seconds(1800))
        await h.recorder.waitFor(.succeeded, "y")
        h.clock.advance(by: .seconds(1800))  // the purged task's time
        await h.settle()
        #expect(h.recorder.events(.started).map(\.taskID) == ["y"])
        #expect(await d.task("x")?.status == .scheduled)
        h.clock.advance(by: .seconds(3660))
        await h.recorder.waitFor(.succeeded, "x")
        try await h.stop()
        h.directory?.remove()
    }

    /// A task unparked from its queue's waiting group and parked again behind its busy key
    /// hands the queue's turn to the next one: here `b` waited behind a task of another queue
    /// that held the key, with the loop asleep (no deadline).
    @Test(arguments: EngineKind.allCases) func aTurnMovedToAnotherGroupIsHandedOn(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, register: { d in
            d.register("quick", payload: Job.self) { _, _ in }
        }, configure: { $0.queueLimits["q"] = 1; $0.concurrency = 8 })
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "m", queue: "r", key: "K"))
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "p", queue: "q"))
        await h.recorder.waitFor(.started, count: 2)
        try await d.enqueue("quick", payload: Job(n: 1), options: TaskOptions(id: "a", queue: "q", key: "K"))
        try await d.enqueue("quick", payload: Job(n: 2), options: TaskOptions(id: "b", queue: "q"))
        await h.settle()
        #expect(await d.stats().ready == 2, "both wait for q's one slot")
        await gate.releaseWhenWaiting("p")
        // `a` gets q's slot first but waits for K (held by m): `b` must take the slot.
        await h.recorder.waitFor(.succeeded, "b")
        #expect(await d.task("a")?.status == .scheduled)
        await gate.releaseWhenWaiting("m")
        await h.recorder.waitFor(.succeeded, "a")
        try await h.stop()
        h.directory?.remove()
    }

    /// Cancelling a running task whose handler ignores cancellation frees its slot at once:
    /// the next due task starts without waiting for the handler to return.
    @Test(arguments: EngineKind.allCases) func cancellingARunningTaskStartsTheNextAtOnce(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, register: { d in
            d.register("quick", payload: Job.self) { _, _ in }
        }, configure: { $0.concurrency = 1 })
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "a"))
        await h.recorder.waitFor(.started, "a")
        try await d.enqueue("quick", payload: Job(n: 1), options: TaskOptions(id: "b"))
        await h.settle()
        #expect(h.recorder.events(.started).count == 1)
        try await d.cancel("a")
        await h.recorder.waitFor(.succeeded, "b")
        #expect(gate.waiting("a") == 1, "the cancelled handler still hangs")
        // Pausing does the same.
        try await d.enqueue("gated", payload: Job(n: 2), options: TaskOptions(id: "c"))
        await h.recorder.waitFor(.started, "c")
        try await d.enqueue("quick", payload: Job(n: 3), options: TaskOptions(id: "e"))
        await h.settle()
        try await d.pause("c")
        await h.recorder.waitFor(.succeeded, "e")
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// During the shutdown grace period an attempt past its timeout is cut short and counted
    /// (it retries per its policy), and shutdown ends then, not at the end of the grace.
    @Test(arguments: EngineKind.allCases) func timeoutsApplyDuringTheShutdownGrace(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind, register: { d in
            d.register("hangs", payload: Job.self) { _, job in try await gate.run(job.id) }
        }, configure: { $0.shutdownGrace = .seconds(600) })
        let d = h.docket
        try await d.enqueue("hangs", payload: Job(n: 0), options: TaskOptions(id: "t", maxAttempts: 3, retry: .fixed(.seconds(60)), timeout: .seconds(5)))
        await h.recorder.waitFor(.started, "t")
        h.clock.advance(by: .seconds(1))
        h.runner.cancel()
        while await !d.isStopping { await Task.yield() }
        h.clock.advance(by: .seconds(4))
        try await h.runner.value
        let t = try #require(await d.task("t"))
        #expect(t.status == .scheduled && t.attempt == 1, "\(t.status) \(t.attempt)")
        #expect(t.lastError?.hasPrefix("timed out") == true, "\(t.lastError ?? "")")
        #expect(t.runAt == Harness.start.addingTimeInterval(65))
        gate.open()
        h.directory?.remove()
    }

    /// `stats().ready` counts only tasks still waiting for their turn, not the entries that
    /// cancelled (or paused and resumed) tasks left in the ready queue.
    @Test(arguments: EngineKind.allCases) func readyCountsOnlyLiveTurns(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, configure: { $0.concurrency = 1 })
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "busy"))
        await h.recorder.waitFor(.started, "busy")
        for i in 0..<5 { try await d.enqueue("gated", payload: Job(n: i), options: TaskOptions(id: "w\(i)")) }
        await h.settle()
        #expect(await d.stats().ready == 5)
        try await d.pause(["w0"])
        try await d.resume(["w0"])
        await h.settle()
        #expect(await d.stats().ready == 5, "a paused and resumed task counts once")
        try await d.cancel((1..<5).map { "w\($0)" })
        #expect(await d.stats().ready == 1)
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// A task paused while running on its last attempt (that attempt counts) gets one more
    /// when resumed, as `retryNow` gives a failed one: before, it ran as attempt 2 of 1.
    @Test(arguments: EngineKind.allCases) func resumingATaskPausedOnItsLastAttemptGrantsOneMore(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in d.register("gated", payload: Job.self) { _, c in try await gate.run(c.id) } }
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "t", maxAttempts: 1))
        await h.recorder.waitFor(.started, "t")
        let paused = try await d.pause("t")
        #expect(paused.status == .paused && paused.attempt == 1 && paused.maxAttempts == 1)
        let resumed = try await d.resume("t")
        #expect(resumed.status != .paused && resumed.maxAttempts == 2)
        await h.recorder.waitFor(.started, count: 2)
        #expect(await d.task("t").map { "\($0.attempt)/\($0.maxAttempts)" } == "2/2")
        gate.open()
        await h.recorder.waitFor(.succeeded, "t")
        try await h.stop()
        h.directory?.remove()
    }

    /// `purge` refuses a negative age (it would remove every finished task) and removes nothing.
    @Test func purgeRefusesANegativeAge() async throws {
        let h = try await Harness.make(.inMemory) { d in d.register("job", payload: Job.self) { _, _ in } }
        try await h.docket.enqueue("job", payload: Job(n: 0), options: TaskOptions(id: "done"))
        await h.recorder.waitFor(.succeeded, "done")
        await #expect(throws: DocketError.self) { try await h.docket.purge(olderThan: .seconds(-3600)) }
        #expect(await h.docket.task("done")?.status == .succeeded)
        try await h.stop()
    }

    /// A task due a few milliseconds ahead starts once a `ManualClock` has advanced exactly that
    /// far. The loop slept until `Time.date(runAt)`, which for about a quarter of whole-ms delays
    /// lies a fraction of a microsecond after the advanced clock's `Date`: the engine read the
    /// task as due, the clock never woke the loop for it.
    @Test(arguments: [2, 5, 9, 12]) func aTaskDueInAFewMillisecondsStartsWhenTheClockGetsThere(ms: Int) async throws {
        let runs = Mutex(0)
        let h = try await Harness.make(.inMemory, register: { d in
            d.register("ok", payload: Job.self) { _, _ in runs.withLock { $0 += 1 } }
        })
        try await h.docket.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "t", delay: .milliseconds(ms)))
        await h.settle()
        h.clock.advance(by: .milliseconds(ms))
        await h.settle()
        let runAt = Time.micros(try #require(await h.docket.task("t")).runAt)
        #expect(Time.micros(h.clock.now()) >= runAt, "the clock reads the task as due")
        #expect(await h.docket.task("t")?.status == .succeeded, "due at \(runAt), clock at \(Time.micros(h.clock.now())), sleepers \(h.clock.sleeperCount)")
        #expect(runs.withLock { $0 } == 1)
        try await h.stop()
    }

    /// `Time.wakeDate(m)` is the earliest `Date` that reads as `m`: the one before it reads
    /// earlier, so a clock that passes it reads `m` (no early wake to sleep again on), and
    /// none that reads `m` lies before it (no wake missed). Seeded, near now and far off.
    @Test func theWakeDateIsTheFirstDateThatReadsAsTheDeadline() {
        var rng = SplitMix64(seed: 17)
        print("theWakeDateIsTheFirstDateThatReadsAsTheDeadline seed 17")
        for i in 0..<20_000 {
            let base: Micros = i % 4 == 0 ? 253_402_300_799_000_000 : 1_800_000_000_000_000
            let m = base - Micros(rng.next() % 1_000_000_000_000)
            let wake = Time.wakeDate(m)
            let before = Date(timeIntervalSinceReferenceDate: wake.timeIntervalSinceReferenceDate.nextDown)
            #expect(Time.micros(wake) == m || (Time.micros(wake) > m && Time.micros(before) < m), "\(m)")
            #expect(Time.micros(before) < m, "\(m)")
        }
        #expect(Time.wakeDate(1_800_000_000_002_000) <= Harness.start.addingTimeInterval(0.002), "the ManualClock reading after advance(by: 2 ms)")
    }
}
