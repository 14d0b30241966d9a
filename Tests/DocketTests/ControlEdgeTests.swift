import Foundation
import Testing
@testable import Docket

/// Control calls at their edges: purges that must fit the journal's record limit, a purged
/// task whose cancellation task is still there, cancel records measured as written, and long
/// lists with cancellation handlers. (From a review of the control operations.)
@Suite(.timeLimit(.minutes(2))) struct ControlEdgeTests {
    /// 2,000 ids of finished tasks do not fit one 8 KiB record: the purge is cut by bytes, as
    /// control calls are. It was cut by count only, failed with `recordTooLarge`, and failed the
    /// same way every time after, so finished tasks could never be purged.
    @Test func aPurgeFitsTheRecordLimit() async throws {
        let h = try await Harness.make(.journaled, register: { d in d.register("noop", payload: Job.self) { _, _ in } },
                                       configure: { $0.journal.maxRecordSize = 8 * 1024 })
        let batch = (0..<2_000).map { i in
            NewTask("noop", payload: Job(n: i), options: TaskOptions(id: "task-\(i)", delay: .seconds(3_600)))
        }
        try await h.docket.enqueue(batch: batch)
        #expect(try await h.docket.cancel(matching: TaskFilter()).count == 2_000)
        // Finished schedules and workflows are removed in records cut the same way.
        for i in 0..<600 {
            try await h.docket.schedule("one-shot-schedule-\(i)", parsing: "@at 2030-01-01T00:00:00Z", handler: "noop", payload: Job(n: i))
            try await h.docket.cancelSchedule("one-shot-schedule-\(i)")
        }
        h.clock.advance(by: .seconds(10))
        #expect(try await h.docket.purge(olderThan: .zero) == 2_000)
        #expect(await h.docket.count() == 0)
        #expect(await h.docket.schedules().isEmpty)
        try await h.stop()
        let dir = try #require(h.directory)
        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
        #expect(await reopened.count() == 0)
        #expect(await reopened.schedules().isEmpty)
        await reopened.close()
        dir.remove()
    }

    /// A cancelled task is kept while its cancellation task is: purging it freed its id, and a
    /// new task under that id could then not be cancelled (the `~cancel` id taken by a task of
    /// another handler) or got no compensation of its own (the old one's stood in).
    @Test(arguments: EngineKind.allCases) func aCancelledTaskStaysWhileItsCancellationTaskDoes(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind, register: { d in
            d.register("charge", payload: Job.self) { _, _ in }
            d.register("ship", payload: Job.self) { _, _ in }
            try? d.registerCancellation(for: "charge", payload: Job.self) { _, c in try await gate.run(c.id) }
            try? d.registerCancellation(for: "ship", payload: Job.self) { _, _ in }
        })
        let d = h.docket
        try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: "order-1", delay: .seconds(60)))
        try await d.cancel("order-1")
        await h.recorder.waitFor(.started, "order-1~cancel")
        h.clock.advance(by: .seconds(1))
        #expect(try await d.purge(olderThan: .zero) == 0, "its cancellation task still runs")
        #expect(await d.task("order-1")?.status == .cancelled)
        // The id is still the cancelled task's: an enqueue under it returns that task.
        #expect(try await d.enqueue("ship", payload: Job(n: 2), options: TaskOptions(id: "order-1")).name == "charge")
        // Once the cancellation task is done, the two go together.
        await gate.releaseWhenWaiting("order-1~cancel")
        await h.recorder.waitFor(.succeeded, "order-1~cancel")
        h.clock.advance(by: .seconds(1))
        #expect(try await d.purge(olderThan: .zero) == 2)
        try await d.enqueue("ship", payload: Job(n: 2), options: TaskOptions(id: "order-1", delay: .seconds(60)))
        try await d.cancel("order-1")
        let compensation = try #require(await d.task("order-1~cancel"))
        #expect(compensation.name == "ship~cancel")
        try await h.stop()
        h.directory?.remove()
    }

    /// A cancellation task with one of its own (cancellation handlers for both handlers) keeps
    /// its task: kept itself, it kept the first one only if the purge looked again.
    @Test func aChainOfCancellationTasksIsKeptWhole() async throws {
        let clock = ManualClock(now: Harness.start)
        let d = try Docket.inMemory(configuration: Harness.configuration(clock))
        d.register("job", payload: Job.self) { _, _ in }
        try d.registerCancellation(for: "job", payload: Job.self) { _, _ in }
        try d.registerCancellation(for: "job~cancel", payload: Job.self) { _, _ in }
        try await d.enqueue("job", payload: Job(n: 1), options: TaskOptions(id: "a", delay: .seconds(86_400)))
        try await d.cancel(["a"])
        try await d.cancel(["a~cancel"])
        #expect(await d.task("a~cancel~cancel")?.status == .scheduled)
        clock.advance(by: .seconds(10))
        #expect(try await d.purge(olderThan: .seconds(1)) == 0)
        #expect(await d.task("a")?.status == .cancelled)
        #expect(await d.task("a~cancel")?.status == .cancelled)
        try await d.cancel(["a~cancel~cancel"])
        clock.advance(by: .seconds(10))
        #expect(try await d.purge(olderThan: .seconds(1)) == 3)
    }

    /// A purge in several records writes cancellation tasks before the tasks they compensate:
    /// after any prefix of its records (a crash between two), no task is gone while its
    /// `~cancel` task is still there.
    @Test func aPurgeCutShortNeverLeavesACancellationTaskBehind() async throws {
        let h = try await Harness.make(.journaled, register: { d in
            d.register("job", payload: Job.self) { _, _ in }
            try? d.registerCancellation(for: "job", payload: Job.self) { _, _ in }
        }, configure: { $0.journal.maxRecordSize = 4096 })
        let d = h.docket
        let n = 300
        try await d.enqueue(batch: (0..<n).map { NewTask("job", payload: Job(n: $0), options: TaskOptions(id: "t-\($0)", delay: .seconds(600))) })
        #expect(try await d.cancel(matching: TaskFilter(name: "job")).count == n)
        await h.recorder.waitFor(.succeeded, count: n)
        h.clock.advance(by: .seconds(10))
        let before = try #require(await d.stats().journal).lastSequence
        #expect(try await d.purge(olderThan: .zero) == 2 * n)
        let after = try #require(await d.stats().journal).lastSequence
        try await h.stop()
        let dir = try #require(h.directory)
        #expect(after - before >= 3, "the purge took several records")
        for sequence in before...after {
            let ids = Set(try Docket.inspect(directory: dir.journal, asOf: sequence).tasks.map(\.id))
            for i in 0..<n where !ids.contains("t-\(i)") {
                #expect(!ids.contains("t-\(i)~cancel"), "after record \(sequence)")
            }
        }
        dir.remove()
    }

    /// The check that a task and its cancellation task fit one record measures the record as
    /// it will be written: measured with a time of 0 it came out 7 bytes short, so a list was
    /// cancelled in part and then the journal refused the record of the rest.
    @Test func aCancelRecordIsMeasuredAsWritten() async throws {
        struct Blob: Codable, Sendable { var text: String }
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { $0.journal.maxRecordSize = 8 * 1024 }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("charge", payload: Blob.self) { _, _ in }
        try d.registerCancellation(for: "charge", payload: Blob.self) { _, _ in }
        var outcomes: [String] = []
        for size in stride(from: 8_100, to: 8_040, by: -1) {
            let small = "s\(size)", big = "b\(size)"
            do {
                try await d.enqueue("charge", payload: Blob(text: String(repeating: "b", count: size)), options: TaskOptions(id: big, delay: .seconds(60)))
            } catch { continue }
            try await d.enqueue("charge", payload: Blob(text: "x"), options: TaskOptions(id: small, delay: .seconds(60)))
            do {
                try await d.cancel([small, big])
                outcomes.append("cancelled")
            } catch {
                // Refused whole, or not at all: never one cancelled and the other not.
                let s = await d.task(small)?.status, b = await d.task(big)?.status
                #expect(s == .scheduled && b == .scheduled, "payload text \(size): \(error)")
                outcomes.append("refused")
            }
        }
        #expect(outcomes.contains("cancelled") && outcomes.contains("refused"), "the sizes straddle the limit: \(outcomes)")
        await d.close()
    }

    /// A long list of tasks with a cancellation handler gets one cancellation task each (the
    /// plan was built with a linear search per id: 20,000 took 24 s of actor time).
    @Test func aLongCancelListGetsOneCancellationTaskEach() async throws {
        let d = try Docket.inMemory(configuration: Harness.configuration(ManualClock(now: Harness.start)))
        d.register("charge", payload: Job.self) { _, _ in }
        try d.registerCancellation(for: "charge", payload: Job.self) { _, _ in }
        let n = 5_000
        try await d.enqueue(batch: (0..<n).map { NewTask("charge", payload: Job(n: $0), options: TaskOptions(id: "t\($0)", delay: .seconds(60))) })
        let cancelled = try await d.cancel(matching: TaskFilter(name: "charge"))
        #expect(cancelled.count == n)
        #expect(await d.count(matching: TaskFilter(name: "charge~cancel")) == n)
        #expect(await d.task("t4999~cancel")?.status == .scheduled)
    }
}
