import DocketSchedules
import Foundation
import Synchronization
import Testing
@testable import Docket

/// Grouped handlers: due tasks of one resource key come in one call, bounded by `maxGroup`
/// and the concurrency limit; outcomes apply per task; a bad payload fails alone.
@Suite(.timeLimit(.minutes(2))) struct GroupedHandlerTests {
    /// Each call's task ids and attempts, in order.
    final class Calls: Sendable {
        let list = Mutex<[[String]]>([])
        func add(_ jobs: [GroupedJob<Job>]) { list.withLock { $0.append(jobs.map { "\($0.context.id)#\($0.context.attempt)" }) } }
        var all: [[String]] { list.withLock { $0 } }
    }

    static func enqueue(_ d: Docket, _ specs: [(id: String, key: String?)], priority: (String) -> Int = { _ in 0 }) async throws {
        try await d.enqueue(batch: specs.map { s in
            NewTask("digest", payload: Job(n: 0), options: TaskOptions(id: s.id, delay: .seconds(10), priority: priority(s.id), key: s.key))
        })
    }

    @Test(arguments: EngineKind.allCases) func dueTasksOfOneKeyComeInOneCall(kind: EngineKind) async throws {
        let calls = Calls()
        let h = try await Harness.make(kind) { d in d.registerGrouped("digest", payload: Job.self) { jobs in calls.add(jobs) } }
        try await Self.enqueue(h.docket, [("a1", "u1"), ("b1", "u2"), ("a2", "u1"), ("solo", nil), ("a3", "u1")], priority: { $0 == "a3" ? -1 : 0 })
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.succeeded, count: 5)
        // u1's three in one call, a3 first (higher priority); u2's and the keyless one alone.
        #expect(Set(calls.all) == [["a3#1", "a1#1", "a2#1"], ["b1#1"], ["solo#1"]])
        #expect(await h.docket.stats().byStatus == [.succeeded: 5])
        try await h.stop()
        h.directory?.remove()
    }

    /// A group's leader takes parked tasks of its key along; schedule occurrences among them
    /// that were held back past their grace period follow the misfire policy there too.
    @Test func occurrencesMissedWhileBusyDoNotJoinAGroup() async throws {
        let calls = Calls()
        let gate = Gate()
        let h = try await Harness.make(.inMemory) { d in
            d.registerGrouped("digest", payload: Job.self) { jobs in
                calls.add(jobs)
                if jobs.first?.context.id.hasSuffix("08:00:01Z") == true { try await gate.run("first") }
            }
        }
        let d = h.docket
        func id(_ second: Int) -> String { "s@2027-01-15T08:00:0\(second)Z" }
        let options = ScheduleOptions(misfire: .fireOnce, grace: .milliseconds(500), overlap: .queue)
        try await d.schedule("s", parsing: "* * * * * *", handler: "digest", payload: Job(n: 0), options: options)
        for k in 1...4 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, count: k)
        }
        await h.recorder.waitFor(.started, id(1))
        // The next occurrence jumps the queue (a higher priority), so it leads the group.
        var urgent = options
        urgent.priority = -5
        try await d.updateSchedule("s", Schedule(parsing: "* * * * * *"), handler: "digest", payload: Job(n: 0), options: urgent)
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.enqueued, count: 5)
        h.clock.advance(by: .milliseconds(900))
        await h.settle()
        gate.open()
        await h.recorder.waitFor(.succeeded, id(5))
        await h.settle()
        #expect(h.recorder.events(.misfired).map(\.taskID) == [id(2), id(3), id(4)])
        #expect(calls.all == [["\(id(1))#1"], ["\(id(5))#1"]])
        try await h.stop()
    }

    @Test(arguments: EngineKind.allCases) func groupsStayWithinMaxGroupAndTheConcurrencyLimit(kind: EngineKind) async throws {
        let calls = Calls()
        let h = try await Harness.make(kind, register: { d in
            d.registerGrouped("digest", payload: Job.self, maxGroup: 3) { jobs in calls.add(jobs) }
        }, configure: { $0.concurrency = 2 })
        try await Self.enqueue(h.docket, (1...5).map { ("t\($0)", "u") })
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.succeeded, count: 5)
        // Two at a time (concurrency 2), in enqueue order, one call after another (one key).
        #expect(calls.all == [["t1#1", "t2#1"], ["t3#1", "t4#1"], ["t5#1"]])
        try await h.stop()
        h.directory?.remove()

        let big = Calls()
        let h2 = try await Harness.make(kind, register: { d in
            d.registerGrouped("digest", payload: Job.self, maxGroup: 3) { jobs in big.add(jobs) }
        })
        try await Self.enqueue(h2.docket, (1...5).map { ("t\($0)", "u") })
        h2.clock.advance(by: .seconds(10))
        await h2.recorder.waitFor(.succeeded, count: 5)
        #expect(big.all == [["t1#1", "t2#1", "t3#1"], ["t4#1", "t5#1"]])
        try await h2.stop()
        h2.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aFailedCallRetriesEachTaskAndABadPayloadFailsAlone(kind: EngineKind) async throws {
        let calls = Calls()
        let h = try await Harness.make(kind) { d in
            d.registerGrouped("digest", payload: Job.self) { jobs in
                calls.add(jobs)
                if jobs[0].context.attempt == 1 { throw TestFailure(message: "smtp down") }
            }
        }
        let d = h.docket
        try await Self.enqueue(d, [("a", "u"), ("b", "u")])
        try await d.enqueue("digest", payload: "not a job", options: TaskOptions(id: "bad", delay: .seconds(10), key: "u"))
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.failed, "bad")
        await h.recorder.waitFor(.retried, count: 2)
        #expect(await d.task("bad")?.lastError?.contains("does not decode") == true)
        #expect(await d.task("a")?.lastError == "smtp down")
        #expect(await d.task("b")?.status == .scheduled)
        // The retry: both again in one call, second attempt.
        _ = try await d.retryNow(["a", "b"])
        await h.recorder.waitFor(.succeeded, count: 2)
        #expect(calls.all == [["a#1", "b#1"], ["a#2", "b#2"]])
        try await h.stop()
        h.directory?.remove()
    }
    /// Occurrences of a schedule with overlap `.queue` wait behind their schedule's own key;
    /// a grouped handler took them all in one call, though `.queue` runs each after the one
    /// before. Now each comes alone, in order.
    @Test(arguments: [nil, "customer-7"]) func queuedOccurrencesOfOneScheduleComeOneByOne(key: String?) async throws {
        let calls = Calls()
        let gate = Gate()
        let h = try await Harness.make(.inMemory, register: { d in
            d.registerGrouped("digest", payload: Job.self) { jobs in
                calls.add(jobs)
                try await gate.run(jobs[0].context.id)
            }
        })
        try await h.docket.schedule("s", parsing: "@every 1s", handler: "digest", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .fireAll, grace: .seconds(60), overlap: .queue, key: key))
        for k in 1...3 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, count: k)
        }
        await h.recorder.waitFor(.started)
        gate.open()
        await h.recorder.waitFor(.succeeded, count: 3)
        #expect(calls.all.map(\.count) == [1, 1, 1], "\(calls.all)")
        try await h.stop()
    }

    /// The same under a key of the caller's, with a task that is no occurrence leading the
    /// group: it took two waiting occurrences of one schedule along into its call.
    @Test func aLeaderThatIsNoOccurrenceTakesOneOccurrenceOfASchedule() async throws {
        let calls = Calls()
        let gate = Gate()
        let h = try await Harness.make(.inMemory, register: { d in
            d.register("gated", payload: Job.self) { _, c in try await gate.run(c.id) }
            d.registerGrouped("digest", payload: Job.self) { jobs in calls.add(jobs) }
        })
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "blocker", key: "k"))
        await h.recorder.waitFor(.started, "blocker")
        try await d.schedule("s", parsing: "* * * * * *", handler: "digest", payload: Job(n: 0),
                             options: ScheduleOptions(misfire: .fireAll, grace: .seconds(3600), overlap: .queue, key: "k"))
        for second in 1...2 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, "s@2027-01-15T08:00:0\(second)Z")
        }
        try await d.enqueue("digest", payload: Job(n: 0), options: TaskOptions(id: "lead", priority: -1, key: "k"))
        await h.settle()
        await gate.releaseWhenWaiting("blocker")
        await h.recorder.waitFor(.succeeded, count: 4)
        #expect(calls.all == [["lead#1", "s@2027-01-15T08:00:01Z#1"], ["s@2027-01-15T08:00:02Z#1"]], "\(calls.all)")
        try await h.stop()
    }

    struct UpstreamCancelled: Error {}

    /// Pausing one task of a running group cancels the call; the others' attempt is not
    /// counted (with one attempt each, they would otherwise fail for good) and they run again —
    /// also when the call reports the cancellation as an error of its own (as `URLSession`
    /// does with `URLError(.cancelled)`); only a `CancellationError` was excused before.
    @Test(arguments: EngineKind.allCases, [false, true])
    func losingOneTaskDoesNotCostTheOthersAnAttempt(kind: EngineKind, wrapsCancellation: Bool) async throws {
        let calls = Calls()
        let h = try await Harness.make(kind, register: { d in
            d.registerGrouped("digest", payload: Job.self) { jobs in
                calls.add(jobs)
                // The first call hangs until cancelled; later ones return.
                if calls.all.count == 1 {
                    do { try await Task.sleep(for: .seconds(3600)) } catch { throw wrapsCancellation ? UpstreamCancelled() : error }
                }
            }
        }, configure: { $0.defaultMaxAttempts = 1 })
        let d = h.docket
        try await Self.enqueue(d, [("a", "u"), ("b", "u"), ("c", "u")])
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.started, count: 3)
        // Inside the call (a journaled start waits for its record to be durable first).
        while calls.all.isEmpty { await Task.yield() }
        try await d.pause("b")
        await h.recorder.waitFor(.succeeded, count: 2)
        #expect(await d.task("a")?.status == .succeeded)
        #expect(await d.task("c")?.status == .succeeded)
        #expect(await d.task("b")?.status == .paused)
        #expect(h.recorder.events(.snoozed).map(\.taskID).sorted() == ["a", "c"])
        #expect(calls.all.count == 2 && calls.all.last?.count == 2)
        try await h.stop()
        h.directory?.remove()
    }

    /// A grouped call that ignores cancellation keeps its other members, as the README says:
    /// after one is paused they stay running (holding their key) until the call returns; a call
    /// that then succeeds did their work, so they succeed.
    @Test func aCallThatIgnoresCancellationKeepsItsOtherMembersUntilItReturns() async throws {
        let calls = Calls()
        let gate = Gate()
        let h = try await Harness.make(.inMemory, register: { d in
            d.registerGrouped("digest", payload: Job.self) { jobs in
                calls.add(jobs)
                // The first call ignores its cancellation and returns only when released.
                if calls.all.count == 1 { try? await gate.run("first") }
            }
        }, configure: { $0.defaultMaxAttempts = 1 })
        let d = h.docket
        try await Self.enqueue(d, [("a", "u"), ("b", "u"), ("c", "u")])
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.started, count: 3)
        while gate.waiting("first") == 0 { await Task.yield() }
        try await d.pause("b")
        await h.settle()
        #expect(await d.task("a")?.status == .running, "held by the call")
        #expect(await d.task("c")?.status == .running, "held by the call")
        #expect(calls.all.count == 1)
        gate.release("first")
        await h.recorder.waitFor(.succeeded, count: 2)
        #expect(await d.task("b")?.status == .paused)
        #expect(h.recorder.events(.succeeded).map(\.taskID).sorted() == ["a", "c"])
        #expect(calls.all.count == 1)
        try await h.stop()
    }

    /// A call that already ended with a real error, whose results wait to be taken when one
    /// member is paused: the others' failure is their own (counted, failed for good with one
    /// attempt), not the pause's doing — only a call cancelled before it ended excuses them.
    @Test func aRealErrorAlreadyQueuedIsNotExcusedByALaterPause() async throws {
        let h = try await Harness.make(.inMemory, register: { d in
            d.registerGrouped("digest", payload: Job.self) { _ in throw TestFailure(message: "constraint violated") }
        }, configure: { $0.defaultMaxAttempts = 1 })
        let d = h.docket
        await d.setHoldsCompletions(true)
        try await Self.enqueue(d, [("a", "u"), ("b", "u"), ("c", "u")])
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.started, count: 3)
        while await d.completions.count < 3 { await Task.yield() }
        try await d.pause("b")
        await d.setHoldsCompletions(false)
        await h.recorder.waitFor(.failed, count: 2)
        #expect(await d.task("a")?.status == .failed)
        #expect(await d.task("c")?.status == .failed)
        #expect(h.recorder.events(.snoozed).isEmpty)
        try await h.stop()
    }
}

extension Docket {
    /// Holds finished attempts in `completions`; releasing wakes the loop to take them.
    func setHoldsCompletions(_ on: Bool) {
        holdsCompletions = on
        if !on { wakeup.signal() }
    }
}
