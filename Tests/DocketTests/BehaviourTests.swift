import Foundation
import Synchronization
import Testing
@testable import Docket

/// The behaviour every Docket shares, journaled or in memory, on a manual clock.
@Suite(.timeLimit(.minutes(2))) struct BehaviourTests {
    @Test(arguments: EngineKind.allCases) func aDueTaskRunsOnceAndSucceedsWithItsOutput(kind: EngineKind) async throws {
        let runs = Mutex(0)
        let h = try await Harness.make(kind) { d in
            d.register("double", payload: Job.self) { job, _ in
                runs.withLock { $0 += 1 }
                return job.n * 2
            }
        }
        let t = try await h.docket.enqueue("double", payload: Job(n: 21), options: TaskOptions(id: "a"))
        #expect(t.status == .scheduled)
        #expect(t.attempt == 0)
        await h.recorder.waitFor(.succeeded, "a")
        let done = try #require(await h.docket.task("a"))
        #expect(done.status == .succeeded)
        #expect(done.attempt == 1)
        #expect(try done.decodeOutput(Int.self) == 42)
        #expect(runs.withLock { $0 } == 1)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aDelayedTaskWaitsForTheClock(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        try await h.docket.enqueue("noop", payload: Job(n: 1), options: TaskOptions(id: "later", delay: .seconds(30)))
        await h.settle()
        #expect(await h.docket.task("later")?.status == .scheduled)
        h.clock.advance(by: .seconds(29))
        await h.settle()
        #expect(await h.docket.task("later")?.status == .scheduled)
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.succeeded, "later")
        let started = try #require(h.recorder.events(.started).first)
        #expect(started.at == Harness.start.addingTimeInterval(30))
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func failuresRetryPerPolicyThenDeadLetter(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in
            d.register("flaky", payload: Job.self) { _, job in throw TestFailure(message: "boom \(job.attempt)") }
        }
        try await h.docket.enqueue("flaky", payload: Job(n: 1), options: TaskOptions(id: "f", maxAttempts: 3, retry: .fixed(.seconds(10))))
        await h.recorder.waitFor(.retried, "f")
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.retried, "f", count: 2)
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.failed, "f")
        let t = try #require(await h.docket.task("f"))
        #expect(t.status == .failed)
        #expect(t.attempt == 3)
        #expect(t.lastError == "boom 3")
        let retries = h.recorder.events(.retried)
        #expect(retries.map(\.runAt) == [Harness.start.addingTimeInterval(10), Harness.start.addingTimeInterval(20)])
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func exponentialBackoffStaysWithinItsJitter(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in
            d.register("flaky", payload: Job.self) { _, _ in throw TestFailure(message: "no") }
        }
        try await h.docket.enqueue("flaky", payload: Job(n: 1), options: TaskOptions(
            id: "e", maxAttempts: 4, retry: .exponential(initial: .seconds(10), multiplier: 3, maximum: .seconds(60), jitter: 0.2)))
        var expected: [Double] = [10, 30, 60]
        for i in 1...3 {
            let events = await h.recorder.waitFor(.retried, "e", count: i)
            let last = try #require(events.last)
            let delay = try #require(last.runAt).timeIntervalSince(last.at)
            let base = expected.removeFirst()
            #expect(delay >= base * 0.8 - 1e-6 && delay <= base * 1.2 + 1e-6, "attempt \(i): \(delay) s not within ±20 % of \(base)")
            h.clock.advance(to: try #require(last.runAt))
        }
        await h.recorder.waitFor(.failed, "e")
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func snoozeDoesNotCountAnAttempt(kind: EngineKind) async throws {
        let calls = Mutex(0)
        let h = try await Harness.make(kind) { d in
            d.register("snoozer", payload: Job.self) { _, job in
                let n = calls.withLock { c -> Int in c += 1; return c }
                if n < 3 { throw JobControl.snooze(until: job.now.addingTimeInterval(60)) }
            }
        }
        try await h.docket.enqueue("snoozer", payload: Job(n: 1), options: TaskOptions(id: "s", maxAttempts: 1))
        await h.recorder.waitFor(.snoozed, "s")
        h.clock.advance(by: .seconds(60))
        await h.recorder.waitFor(.snoozed, "s", count: 2)
        h.clock.advance(by: .seconds(60))
        await h.recorder.waitFor(.succeeded, "s")
        let t = try #require(await h.docket.task("s"))
        #expect(t.attempt == 1)
        #expect(t.status == .succeeded)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func failPermanentlyAndRetryAfter(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in
            d.register("fatal", payload: Job.self) { _, _ in throw JobControl.fail(permanently: "account closed") }
            d.register("later", payload: Job.self) { _, job in
                if job.attempt == 1 { throw JobControl.retry(after: .seconds(5)) }
            }
        }
        try await h.docket.enqueue("fatal", payload: Job(n: 1), options: TaskOptions(id: "x", maxAttempts: 10))
        try await h.docket.enqueue("later", payload: Job(n: 1), options: TaskOptions(id: "y", retry: .fixed(.seconds(600))))
        await h.recorder.waitFor(.failed, "x")
        let retried = await h.recorder.waitFor(.retried, "y")
        #expect(retried.first?.runAt == Harness.start.addingTimeInterval(5))
        h.clock.advance(by: .seconds(5))
        await h.recorder.waitFor(.succeeded, "y")
        let x = try #require(await h.docket.task("x"))
        #expect(x.status == .failed && x.attempt == 1 && x.lastError == "account closed")
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aPayloadThatDoesNotDecodeFailsPermanently(kind: EngineKind) async throws {
        struct Other: Codable, Sendable { var text: String }
        let h = try await Harness.make(kind) { d in d.register("typed", payload: Job.self) { _, _ in } }
        try await h.docket.enqueue("typed", payload: Other(text: "not a job"), options: TaskOptions(id: "bad", maxAttempts: 5))
        let failed = await h.recorder.waitFor(.failed, "bad")
        #expect(failed.first?.error?.contains("does not decode") == true)
        #expect(await h.docket.task("bad")?.attempt == 1)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aTimeoutCancelsTheHandlerAndALateResultIsIgnored(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in
            d.register("stuck", payload: Job.self) { _, job in
                // Ignores cancellation: waits for the gate whatever happens.
                if job.attempt == 1 { try await gate.run("first") }
            }
        }
        try await h.docket.enqueue("stuck", payload: Job(n: 1), options: TaskOptions(id: "t", retry: .fixed(.seconds(1)), timeout: .seconds(5)))
        await h.recorder.waitFor(.started, "t")
        h.clock.advance(by: .seconds(5))
        let retried = await h.recorder.waitFor(.retried, "t")
        #expect(retried.first?.error?.contains("timed out") == true)
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.succeeded, "t")
        // The first attempt finally returns: its lease is gone, nothing changes.
        await gate.releaseWhenWaiting("first")
        await h.settle()
        let t = try #require(await h.docket.task("t"))
        #expect(t.attempt == 2)
        #expect(t.status == .succeeded)
        #expect(h.recorder.events(.succeeded).count == 1)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aTimeoutReachesAHandlerThatHonoursCancellation(kind: EngineKind) async throws {
        let sawCancel = Mutex(false)
        let h = try await Harness.make(kind) { d in
            d.register("sleepy", payload: Job.self) { _, _ in
                do {
                    try await ManualClock(now: .distantPast).sleep(until: .distantFuture)
                } catch is CancellationError {
                    sawCancel.withLock { $0 = true }
                    throw CancellationError()
                }
            }
        }
        try await h.docket.enqueue("sleepy", payload: Job(n: 1), options: TaskOptions(id: "c", maxAttempts: 1, timeout: .seconds(2)))
        await h.recorder.waitFor(.started, "c")
        h.clock.advance(by: .seconds(2))
        await h.recorder.waitFor(.failed, "c")
        while !sawCancel.withLock({ $0 }) { await Task.yield() }
        #expect(await h.docket.task("c")?.lastError?.contains("timed out") == true)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aBatchIsAllOrNothingAndKeepsEachTasksSettings(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let docket = h.docket
        let later = TaskOptions(delay: .seconds(60))
        func options(_ id: String, _ change: (inout TaskOptions) -> Void = { _ in }) -> TaskOptions {
            var o = later
            o.id = id
            change(&o)
            return o
        }
        // An invalid task after valid ones that share its settings: nothing is enqueued.
        // The error names the batch's task (a name's length, say, would not tell which).
        let named = await #expect(throws: DocketError.self) {
            try await docket.enqueue(batch: [
                NewTask("noop", payload: Job(n: 1), options: options("a") { $0.maxAttempts = 3 }),
                NewTask("noop", payload: Job(n: 2), options: options("b") { $0.maxAttempts = 3 }),
                NewTask("noop", payload: Job(n: 3), options: options("c") { $0.maxAttempts = 0 }),
            ])
        }
        #expect("\(String(describing: named))".contains("batch task 2 (\"c\")"), "\(String(describing: named))")
        let queue = await #expect(throws: DocketError.self) {
            try await docket.enqueue(batch: [
                NewTask("noop", payload: Job(n: 1), options: options("a")),
                NewTask("noop", payload: Job(n: 2), options: TaskOptions(queue: "")),
            ])
        }
        #expect("\(String(describing: queue))".contains("batch task 1: the queue name must be"), "\(String(describing: queue))")
        await #expect(throws: DocketError.self) {
            try await docket.enqueue(batch: [
                NewTask("noop", payload: Job(n: 1), options: options("a")),
                NewTask("noop", payload: Job(n: 2), options: options("c") { $0.priority = Int(Int32.max) + 1 }),
            ])
        }
        // A known id with onConflict .fail stops the whole batch too.
        try await docket.enqueue("noop", payload: Job(n: 0), options: options("known"))
        await #expect(throws: DocketError.duplicateTask("known")) {
            try await docket.enqueue(batch: [
                NewTask("noop", payload: Job(n: 1), options: options("d")),
                NewTask("noop", payload: Job(n: 2), options: options("known") { $0.onConflict = .fail }),
            ])
        }
        #expect(await docket.count(matching: TaskFilter()) == 1)
        // Settings that change from task to task (and back) stay each task's own; a repeated id
        // in one batch is one task, the first.
        let infos = try await docket.enqueue(batch: [
            NewTask("noop", payload: Job(n: 1), options: options("e") { $0.maxAttempts = 3; $0.retry = .never }),
            NewTask("noop", payload: Job(n: 2), options: options("f") { $0.maxAttempts = 5; $0.retry = .fixed(.seconds(2)); $0.timeout = .seconds(9) }),
            NewTask("noop", payload: Job(n: 3), options: options("g") { $0.priority = 4 }),
            NewTask("noop", payload: Job(n: 4), options: options("h") { $0.maxAttempts = 3; $0.retry = .never }),
            NewTask("noop", payload: Job(n: 5), options: options("i") { $0.maxAttempts = 3 }),
            NewTask("noop", payload: Job(n: 6), options: options("j") { $0.maxAttempts = 3; $0.timeout = .seconds(5) }),
            NewTask("noop", payload: Job(n: 7), options: options("e") { $0.maxAttempts = 7 }),
            NewTask("noop", payload: Job(n: 8), options: options("known")),
        ])
        #expect(infos.map(\.id) == ["e", "f", "g", "h", "i", "j", "e", "known"])
        let defaults = DocketConfiguration()
        for info in infos {
            let stored = await docket.task(info.id)
            #expect(stored?.maxAttempts == info.maxAttempts && stored?.retry == info.retry && stored?.timeout == info.timeout)
        }
        #expect(infos[0].maxAttempts == 3 && infos[0].retry == .never && infos[0].timeout == defaults.defaultTimeout)
        #expect(infos[1].maxAttempts == 5 && infos[1].retry == .fixed(.seconds(2)) && infos[1].timeout == .seconds(9))
        #expect(infos[2].maxAttempts == defaults.defaultMaxAttempts && infos[2].retry == defaults.defaultRetry && infos[2].priority == 4)
        #expect(infos[3].maxAttempts == 3 && infos[3].retry == .never)
        #expect(infos[4].maxAttempts == 3 && infos[4].retry == defaults.defaultRetry && infos[4].timeout == defaults.defaultTimeout)
        #expect(infos[5].maxAttempts == 3 && infos[5].retry == defaults.defaultRetry && infos[5].timeout == .seconds(5))
        #expect(infos[6].maxAttempts == 3 && infos[6].payload == infos[0].payload)
        #expect(infos[7].payload == Array(#"{"n":0}"#.utf8))
        #expect(await docket.count(matching: TaskFilter()) == 7)
        try await h.stop()
        h.directory?.remove()
    }

    /// A generated id never lands on an existing task (a clock stepped back, a restart within
    /// the same millisecond, or a caller's id in that format): the next one is taken.
    @Test(arguments: EngineKind.allCases) func aGeneratedIdAvoidsAnExistingOne(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let first = Harness.generatedID(0)
        try await h.docket.enqueue("noop", payload: Job(n: 1), options: TaskOptions(id: first, delay: .seconds(60)))
        let single = try await h.docket.enqueue("noop", payload: Job(n: 2), options: TaskOptions(delay: .seconds(60)))
        #expect(single.id != first && single.payload == Array(#"{"n":2}"#.utf8))
        // In a batch, also an explicit id earlier in the same batch.
        let next = Harness.generatedID(2)
        let infos = try await h.docket.enqueue(batch: [
            NewTask("noop", payload: Job(n: 3), options: TaskOptions(id: next, delay: .seconds(60))),
            NewTask("noop", payload: Job(n: 4), options: TaskOptions(delay: .seconds(60))),
        ])
        #expect(infos[0].id == next && infos[1].id != next && infos[1].id != first && infos[1].id != single.id)
        #expect(await h.docket.count(matching: TaskFilter()) == 4)
        for info in infos + [single] { #expect(await h.docket.task(info.id)?.payload == info.payload) }
        try await h.stop()
        h.directory?.remove()
    }

    /// An explicit id that names a task generated earlier in the same batch is that task, as
    /// for any id that exists: one task, returned twice.
    @Test(arguments: EngineKind.allCases) func aBatchIdNamingAGeneratedOneIsThatTask(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let generated = Harness.generatedID(0)
        let infos = try await h.docket.enqueue(batch: [
            NewTask("noop", payload: Job(n: 1), options: TaskOptions(delay: .seconds(60))),
            NewTask("noop", payload: Job(n: 2), options: TaskOptions(id: generated, delay: .seconds(60))),
        ])
        #expect(infos.map(\.id) == [generated, generated])
        #expect(infos[1].payload == infos[0].payload)
        #expect(await h.docket.count(matching: TaskFilter()) == 1)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func concurrentEnqueuesOfOneIDCreateOneTask(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let docket = h.docket
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await docket.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "same", delay: .seconds(60))).id
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(ids.count == 64 && Set(ids) == ["same"])
        let page = try await docket.tasks()
        #expect(page.tasks.count == 1)
        // The stored payload is one of the racing callers' (the winner's), intact.
        #expect((0..<64).contains(try JSONDecoder().decode(Job.self, from: Data(page.tasks[0].payload)).n))
        let strict = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    do {
                        _ = try await docket.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "strict", delay: .seconds(60), onConflict: .fail))
                        return true
                    } catch { return false }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(strict == 1)
        await #expect(throws: DocketError.duplicateTask("strict")) {
            try await docket.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "strict", onConflict: .fail))
        }
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func dueTasksRunByPriorityThenTimeWithinTheConcurrencyLimit(kind: EngineKind) async throws {
        let order = Mutex<[String]>([])
        let h = try await Harness.make(kind, register: { d in
            d.register("log", payload: Job.self) { _, job in order.withLock { $0.append(job.id) } }
        }, configure: { $0.concurrency = 1 })
        let base = Harness.start
        try await h.docket.enqueue(batch: [
            NewTask("log", payload: Job(n: 0), options: TaskOptions(id: "low-early", runAt: base.addingTimeInterval(1), priority: 5)),
            NewTask("log", payload: Job(n: 0), options: TaskOptions(id: "high-late", runAt: base.addingTimeInterval(3), priority: 0)),
            NewTask("log", payload: Job(n: 0), options: TaskOptions(id: "high-early", runAt: base.addingTimeInterval(2), priority: 0)),
            NewTask("log", payload: Job(n: 0), options: TaskOptions(id: "low-late", runAt: base.addingTimeInterval(4), priority: 5)),
        ])
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.succeeded, count: 4)
        #expect(order.withLock { $0 } == ["high-early", "high-late", "low-early", "low-late"])
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func queueLimitsAndKeysBoundWhatRunsAtOnce(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, configure: { $0.queueLimits["mail"] = 1 })
        for i in 0..<3 { try await h.docket.enqueue("gated", payload: Job(n: i), options: TaskOptions(id: "m\(i)", queue: "mail")) }
        for i in 0..<2 { try await h.docket.enqueue("gated", payload: Job(n: i), options: TaskOptions(id: "k\(i)", key: "account-7")) }
        try await h.docket.enqueue("gated", payload: Job(n: 9), options: TaskOptions(id: "free"))
        await h.recorder.waitFor(.started, count: 3)
        await h.settle()
        var running = Set(try await h.docket.tasks(matching: TaskFilter(statuses: [.running])).tasks.map(\.id))
        #expect(running == ["m0", "k0", "free"])
        await gate.releaseWhenWaiting("m0")
        await gate.releaseWhenWaiting("k0")
        await h.recorder.waitFor(.started, count: 5)
        await h.settle()
        running = Set(try await h.docket.tasks(matching: TaskFilter(statuses: [.running])).tasks.map(\.id))
        #expect(running == ["m1", "k1", "free"])
        try await h.docket.setQueueLimit("mail", 2)
        await h.recorder.waitFor(.started, count: 6)
        gate.open()
        await h.recorder.waitFor(.succeeded, count: 6)
        try await h.stop()
        h.directory?.remove()
    }

    /// The global concurrency changed while running: raised, the waiting tasks start at once;
    /// lowered, running ones finish and no new one starts above the new limit.
    @Test(arguments: EngineKind.allCases) func concurrencyChangesWhileRunning(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, configure: { $0.concurrency = 1 })
        let d = h.docket
        for i in 0..<5 { try await d.enqueue("gated", payload: Job(n: i), options: TaskOptions(id: "t\(i)")) }
        await h.recorder.waitFor(.started, count: 1)
        await h.settle()
        #expect(await d.count(matching: TaskFilter(statuses: [.running])) == 1)
        try await d.setConcurrency(3)
        await h.recorder.waitFor(.started, count: 3)
        await h.settle()
        #expect(await d.count(matching: TaskFilter(statuses: [.running])) == 3)
        try await d.setConcurrency(1)
        await gate.releaseWhenWaiting("t0")
        await gate.releaseWhenWaiting("t1")
        await h.recorder.waitFor(.succeeded, count: 2)
        await h.settle()
        #expect(await d.count(matching: TaskFilter(statuses: [.running])) == 1, "lowered to 1: only t2 still runs")
        await #expect(throws: DocketError.self) { try await d.setConcurrency(0) }
        gate.open()
        await h.recorder.waitFor(.succeeded, count: 5)
        try await h.stop()
        h.directory?.remove()
    }

    /// A task whose handler is not registered fails without running; the turn it got behind a
    /// key or a queue limit goes to the next one (nothing else would wake the loop for it).
    @Test(arguments: EngineKind.allCases) func aTaskWithoutAHandlerPassesItsTurnOn(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, configure: { $0.allowUnregisteredHandlers = true; $0.queueLimits["mail"] = 1 })
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "z", key: "K"))
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "q0", queue: "mail"))
        await h.recorder.waitFor(.started, count: 2)
        try await d.enqueue("legacy", payload: Job(n: 1), options: TaskOptions(id: "x", key: "K"))
        try await d.enqueue("gated", payload: Job(n: 2), options: TaskOptions(id: "y", key: "K"))
        try await d.enqueue("legacy", payload: Job(n: 1), options: TaskOptions(id: "q1", queue: "mail"))
        try await d.enqueue("gated", payload: Job(n: 2), options: TaskOptions(id: "q2", queue: "mail"))
        await h.settle()
        // One at a time: a second completion would wake the loop, which hides the bug.
        await gate.releaseWhenWaiting("z")
        await h.recorder.waitFor(.failed, "x")
        await h.settle()
        #expect(await d.task("y")?.status == .running, "the key's turn passed on from x")
        await gate.releaseWhenWaiting("q0")
        await h.recorder.waitFor(.failed, "q1")
        await h.settle()
        #expect(await d.task("q2")?.status == .running, "the queue's turn passed on from q1")
        gate.open()
        await h.recorder.waitFor(.succeeded, count: 4)
        try await h.stop()
        h.directory?.remove()
    }

    /// A task without a handler taken before another task of its key, in one pass: that one
    /// starts after it has failed, at once (in the journal too: never two leases on one key).
    @Test(arguments: EngineKind.allCases) func aTaskWithoutAHandlerHoldsItsKeyUntilItFails(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate, configure: { $0.allowUnregisteredHandlers = true; $0.concurrency = 4 })
        let at = Harness.start.addingTimeInterval(1)
        try await h.docket.enqueue(batch: [
            NewTask("legacy", payload: Job(n: 0), options: TaskOptions(id: "x", runAt: at, key: "K")),
            NewTask("gated", payload: Job(n: 1), options: TaskOptions(id: "y", runAt: at, key: "K")),
        ])
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.started, "y")
        let order = h.recorder.events.filter { $0.taskID == "x" || $0.taskID == "y" }.map { "\($0.kind) \($0.taskID)" }
        #expect(order == ["enqueued x", "enqueued y", "failed x", "started y"])
        if let directory = h.directory {
            var running: Set<String> = []
            var most = 0
            for m in try journaledMutations(directory.journal).map(\.mutation) {
                switch m {
                case .start(let leases, _): for l in leases { running.insert(l.id) }
                case .succeed(let id, _, _, _), .fail(let id, _, _, _, _), .snooze(let id, _, _, _): running.remove(id)
                default: break
                }
                most = max(most, running.count)
            }
            #expect(most == 1, "two tasks of key K held a lease at once in the journal")
        }
        gate.open()
        await h.recorder.waitFor(.succeeded, "y")
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func controlTransitionsAndIllegalOnes(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.enqueue("noop", payload: Job(n: 1), options: TaskOptions(id: "a", delay: .seconds(100)))
        try await d.enqueue("noop", payload: Job(n: 2), options: TaskOptions(id: "b", delay: .seconds(100)))
        #expect(try await d.pause("a").status == .paused)
        await #expect(throws: DocketError.illegalTransition(id: "a", status: .paused, action: "pause")) { try await d.pause("a") }
        #expect(try await d.resume("a").status == .scheduled)
        let moved = try await d.reschedule("b", to: Harness.start.addingTimeInterval(5))
        #expect(moved.runAt == Harness.start.addingTimeInterval(5))
        h.clock.advance(by: .seconds(5))
        await h.recorder.waitFor(.succeeded, "b")
        await #expect(throws: DocketError.illegalTransition(id: "b", status: .succeeded, action: "cancel")) { try await d.cancel("b") }
        await #expect(throws: DocketError.taskNotFound("nope")) { try await d.cancel(["a", "nope"]) }
        #expect(await d.task("a")?.status == .scheduled, "all or nothing: a stays scheduled")
        #expect(try await d.cancel("a").status == .cancelled)
        // Due at once: by the time the call returns it may already run or be done.
        #expect(try await d.retryNow("a").status != .cancelled)
        await h.recorder.waitFor(.succeeded, "a")
        #expect(await d.task("a")?.attempt == 1)
        await #expect(throws: DocketError.unknownHandler("ghost")) { try await d.enqueue("ghost", payload: Job(n: 0)) }
        await #expect(throws: DocketError.self) { try await d.enqueue("noop", payload: Job(n: 0), options: TaskOptions(maxAttempts: 0)) }
        await #expect(throws: DocketError.self) { try await d.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "")) }
        try await h.stop()
        h.directory?.remove()
    }

    /// Control by query: only matching tasks whose status allows the action change (a finished
    /// task of the same key is left alone); the others of another key or queue do not move.
    @Test(arguments: EngineKind.allCases) func controlByQueryAndResourceKey(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("noop", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "k1-done", key: "k1"))
        await h.recorder.waitFor(.succeeded, "k1-done")
        for i in 0..<3 { try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "k1-\(i)", delay: .seconds(Int64(100 + 10 * i)), key: "k1")) }
        for i in 0..<2 { try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "k2-\(i)", delay: .seconds(100), queue: "slow", key: "k2")) }
        let cancelled = try await d.cancel(matching: TaskFilter(key: "k1"))
        #expect(cancelled.map(\.id) == ["k1-0", "k1-1", "k1-2"] && cancelled.allSatisfy { $0.status == .cancelled })
        #expect(await d.task("k1-done")?.status == .succeeded)
        #expect(try await d.tasks(matching: TaskFilter(statuses: [.scheduled])).tasks.map(\.id) == ["k2-0", "k2-1"])
        #expect(try await d.pause(matching: TaskFilter(queue: "slow")).map(\.id) == ["k2-0", "k2-1"])
        // Nothing left to pause: an empty answer, not an error.
        #expect(try await d.pause(matching: TaskFilter(queue: "slow")).isEmpty)
        let later = Harness.start.addingTimeInterval(500)
        #expect(try await d.reschedule(matching: TaskFilter(key: "k2"), to: later).allSatisfy { $0.runAt == later && $0.status == .paused })
        #expect(try await d.resume(matching: TaskFilter(statuses: [.paused, .scheduled])).map(\.id) == ["k2-0", "k2-1"])
        // Back from cancelled: only the k1 task due 99…101 s from now.
        let window = h.clock.now().addingTimeInterval(99)...h.clock.now().addingTimeInterval(101)
        #expect(try await d.retryNow(matching: TaskFilter(statuses: [.cancelled], key: "k1", runAt: window)).map(\.id) == ["k1-0"])
        await h.recorder.waitFor(.succeeded, "k1-0")
        #expect(await d.stats().byStatus == [.succeeded: 2, .cancelled: 2, .scheduled: 2])
        try await h.stop()
        h.directory?.remove()
    }

    /// Occurrences of a schedule with overlap `.queue` wait for each other through the key
    /// `schedule:<id>`; tasks cannot take a key with that prefix, so they cannot join the queue.
    @Test(arguments: EngineKind.allCases) func scheduleKeysAreReserved(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("ok", payload: Job.self) { _, _ in } }
        let d = h.docket
        var message = ""
        do {
            try await d.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "sneaky", key: "schedule:s"))
        } catch {
            if case .invalidArgument(let m) = error { message = m }
        }
        #expect(message.contains("reserved"), "\(message)")
        #expect(await d.task("sneaky") == nil)
        try await d.schedule("s", parsing: "* * * * * *", handler: "ok", payload: Job(n: 2), options: ScheduleOptions(overlap: .queue))
        h.clock.advance(by: .seconds(1))
        let started = await h.recorder.waitFor(.started)
        let occurrence = try #require(await d.task(started.first?.taskID ?? ""))
        #expect(occurrence.scheduleID == "s" && occurrence.key == "schedule:s")
        try await d.enqueue("ok", payload: Job(n: 3), options: TaskOptions(id: "fine", key: "schedules-are-not-this"))
        #expect(await d.task("fine")?.key == "schedules-are-not-this")
        try await h.stop()
    }

    @Test(arguments: EngineKind.allCases) func queriesFilterCountAndPage(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in
            d.register("ok", payload: Job.self) { _, _ in }
            d.register("bad", payload: Job.self) { _, _ in throw JobControl.fail(permanently: "no") }
        }
        let d = h.docket
        for i in 0..<5 { try await d.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "ok\(i)", queue: "q1")) }
        for i in 0..<3 { try await d.enqueue("bad", payload: Job(n: i), options: TaskOptions(id: "bad\(i)", queue: "q2")) }
        for i in 0..<4 { try await d.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "later\(i)", delay: .seconds(3600))) }
        await h.recorder.waitFor(.succeeded, count: 5)
        await h.recorder.waitFor(.failed, count: 3)
        let stats = await d.stats()
        #expect(stats.byStatus == [.succeeded: 5, .failed: 3, .scheduled: 4])
        #expect(stats.byQueue["q2"] == [.failed: 3])
        #expect(stats.started == 8 && stats.finished == 8)
        // Journal counters only when there is a journal; under `.always` every enqueue synced.
        #expect((stats.journal != nil) == (kind == .journaled))
        if let j = stats.journal {
            #expect(j.syncs > 0 && j.durableSequence == j.lastSequence)
            #expect(j.syncLatencyP50 != nil && j.syncLatencyP50 ?? .zero <= j.syncLatencyP99 ?? .zero)
        }
        let failed = try await d.tasks(matching: TaskFilter(statuses: [.failed]))
        #expect(failed.tasks.map(\.id) == ["bad0", "bad1", "bad2"])
        // Counts, from the counters or by looking at the tasks, agree with the full lists.
        for filter in [TaskFilter(), TaskFilter(statuses: [.failed]), TaskFilter(queue: "q1"), TaskFilter(statuses: [.succeeded, .scheduled], queue: "default"),
                       TaskFilter(name: "ok"), TaskFilter(statuses: [.scheduled], name: "ok"), TaskFilter(queue: "q2", key: "none"),
                       TaskFilter(runAt: h.clock.now()...h.clock.now().addingTimeInterval(60))] {
            let counted = await d.count(matching: filter)
            let listed = try await d.tasks(matching: filter, limit: 1000).tasks.count
            #expect(counted == listed)
        }
        #expect(await d.count() == 12)
        #expect(await d.count(matching: TaskFilter(name: "ok")) == 9)
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await d.tasks(limit: 5, after: cursor)
            seen += page.tasks.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 12 && Set(seen).count == 12)
        #expect(seen.prefix(5) == ["ok0", "ok1", "ok2", "ok3", "ok4"])
        // Filtered pages: several statuses and a name, two at a time, in enqueue order.
        seen = []
        cursor = nil
        var pages = 0
        repeat {
            let page = try await d.tasks(matching: TaskFilter(statuses: [.succeeded, .scheduled], name: "ok"), limit: 2, after: cursor)
            seen += page.tasks.map(\.id)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil
        #expect(seen == ["ok0", "ok1", "ok2", "ok3", "ok4", "later0", "later1", "later2", "later3"])
        #expect(pages == 5)
        let oneStatus = try await d.tasks(matching: TaskFilter(statuses: [.scheduled]), limit: 3)
        #expect(oneStatus.tasks.map(\.id) == ["later0", "later1", "later2"] && oneStatus.nextCursor != nil)
        let byTime = try await d.tasks(matching: TaskFilter(runAt: Harness.start.addingTimeInterval(3599)...Harness.start.addingTimeInterval(3601)))
        #expect(byTime.tasks.map(\.id) == ["later0", "later1", "later2", "later3"] && byTime.nextCursor == nil)
        await #expect(throws: DocketError.self, "a limit of 0 is refused") { try await d.tasks(limit: 0) }
        h.clock.advance(by: .seconds(120))
        #expect(try await d.purge(olderThan: .seconds(60)) == 8)
        #expect(await d.stats().byStatus == [.scheduled: 4])
        try await h.stop()
        h.directory?.remove()
    }

    /// Many tasks behind one key and one limited queue: all run, never more at once than
    /// allowed (the waiting ones are parked, not rescanned on every tick).
    @Test(arguments: EngineKind.allCases) func manyTasksBehindOneKeyAndOneLimitedQueue(kind: EngineKind) async throws {
        let running = Mutex<[String: Int]>([:])
        let peak = Mutex<[String: Int]>([:])
        let h = try await Harness.make(kind, register: { d in
            d.register("counted", payload: Job.self) { _, job in
                let group = job.queue == "limited" ? "queue" : "key"
                running.withLock { r in
                    r[group, default: 0] += 1
                    let now = r[group] ?? 0
                    peak.withLock { $0[group] = max($0[group] ?? 0, now) }
                }
                await Task.yield()
                running.withLock { $0[group, default: 0] -= 1 }
            }
        }, configure: { $0.queueLimits["limited"] = 2; $0.concurrency = 8 })
        var batch: [NewTask] = []
        for i in 0..<300 { batch.append(NewTask("counted", payload: Job(n: i), options: TaskOptions(id: "k\(i)", key: "account-1"))) }
        for i in 0..<200 { batch.append(NewTask("counted", payload: Job(n: i), options: TaskOptions(id: "q\(i)", queue: "limited"))) }
        try await h.docket.enqueue(batch: batch)
        await h.recorder.waitFor(.succeeded, count: 500)
        #expect(peak.withLock { $0 } == ["key": 1, "queue": 2])
        let stats = await h.docket.stats()
        #expect(stats.byStatus == [.succeeded: 500])
        #expect(stats.ready == 0)
        // Per key, the order of enqueue (equal priority and run time) is kept.
        let keyOrder = h.recorder.events(.started).map(\.taskID).filter { $0.hasPrefix("k") }
        #expect(keyOrder == (0..<300).map { "k\($0)" })
        try await h.stop()
        h.directory?.remove()
    }
}

/// `close()` while `run()` runs, and `run()` while closing.
@Suite(.timeLimit(.minutes(2))) struct CloseWhileRunningTests {
    /// `close()` during `run()` stops the loop as cancelling it would (the running attempt is
    /// handed back, not counted) and returns once everything is closed; `run()` then ends
    /// without error, and neither can start again.
    @Test(arguments: EngineKind.allCases) func closeDuringRunShutsDownGracefully(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.gated(kind, gate)
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 1), options: TaskOptions(id: "a"))
        await h.recorder.waitFor(.started, "a")
        await d.close()
        #expect(await d.isClosedForTests)
        try await h.runner.value
        #expect(h.recorder.events(.snoozed).map(\.taskID) == ["a"], "handed back at shutdown, as on cancellation")
        await #expect(throws: DocketError.closed) { try await d.run() }
        await d.close()  // again: nothing to do
        gate.open()
        if let dir = h.directory {
            let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
            let a = try #require(await reopened.task("a"))
            #expect(a.status == .scheduled && a.attempt == 0, "the attempt cut short by the close does not count: \(a)")
            await reopened.close()
            dir.remove()
        }
    }

    /// A handler that closes its own Docket: the call asks the loop to stop and returns at once
    /// (waiting, it would hold the shutdown for the whole grace period, waiting for itself);
    /// the handler's success is kept.
    @Test(arguments: EngineKind.allCases) func aHandlerThatClosesItsDocketDoesNotWaitForItself(kind: EngineKind) async throws {
        let holder = Mutex<Docket?>(nil)
        let h = try await Harness.make(kind, register: { d in
            holder.withLock { $0 = d }
            d.register("closer", payload: Job.self) { _, _ in
                if let d = holder.withLock({ $0 }) { await d.close() }
            }
        }, configure: { $0.shutdownGrace = .seconds(3600) })
        let d = h.docket
        try await d.enqueue("closer", payload: Job(n: 1), options: TaskOptions(id: "c"))
        try await h.runner.value
        #expect(await d.isClosedForTests)
        #expect(h.recorder.events(.succeeded).map(\.taskID) == ["c"])
        if let dir = h.directory {
            let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
            #expect(await reopened.task("c")?.status == .succeeded)
            await reopened.close()
            dir.remove()
        }
    }

    /// Several `close()` calls at once, one of them the loop's own: all return once closed.
    @Test func concurrentClosesAllWaitForTheClose() async throws {
        let h = try await Harness.make(.journaled, register: { d in d.register("noop", payload: Job.self) { _, _ in } })
        let d = h.docket
        try await d.enqueue("noop", payload: Job(n: 1), options: TaskOptions(id: "a", delay: .seconds(60)))
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<5 { group.addTask { await d.close(); return await d.isClosedForTests } }
            for await closed in group { #expect(closed) }
        }
        try await h.runner.value
        h.directory?.remove()
    }
}

extension Docket {
    var isClosedForTests: Bool { isClosed }
}
