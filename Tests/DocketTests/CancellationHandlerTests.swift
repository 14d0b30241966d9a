import DocketJournal
import Foundation
import Synchronization
import Testing
@testable import Docket

/// Cancellation handlers: a cancelled task of a handler that has one gets a task of its own,
/// created in the same record as the cancellation, with the payload and its own retry policy.
@Suite(.timeLimit(.minutes(2))) struct CancellationHandlerTests {
    final class Seen: Sendable {
        private let list = Mutex<[Int]>([])
        func add(_ n: Int) { list.withLock { $0.append(n) } }
        var all: [Int] { list.withLock { $0 } }
    }

    /// Cancelling a running task frees its slot at once, so the loop may start the new
    /// cancellation task while the call waits for durability: it is announced before that
    /// wait (its `.started` came before its `.enqueued`).
    @Test(arguments: EngineKind.allCases) func aCancellationTaskIsAnnouncedBeforeItCanStart(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in
            d.register("charge", payload: Job.self) { _, job in try await gate.run(job.id) }
        }
        let d = h.docket
        try d.registerCancellation(for: "charge", payload: Job.self) { _, _ in }
        for i in 0..<5 {
            let id = "run\(i)"
            try await d.enqueue("charge", payload: Job(n: i), options: TaskOptions(id: id))
            await h.recorder.waitFor(.started, id)
            try await d.cancel(id)
            await h.recorder.waitFor(.succeeded, id + "~cancel")
            let kinds = h.recorder.events.filter { $0.taskID == id + "~cancel" }.map(\.kind)
            #expect(kinds == [.enqueued, .started, .succeeded], "\(id): \(kinds)")
        }
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// A task whose cancellation task cannot fit in one record with its cancellation (its
    /// payload near the record limit) is refused by name before anything is written: a list
    /// holding it is not cancelled in part (its first record went through, then the journal
    /// refused the next).
    @Test func aCancellationTooLargeForARecordChangesNothing() async throws {
        struct Blob: Codable, Sendable { var text: String }
        let h = try await Harness.make(.journaled, register: { d in
            d.register("charge", payload: Blob.self) { _, _ in }
        }, configure: { $0.journal.maxRecordSize = 8 * 1024 })
        let d = h.docket
        try d.registerCancellation(for: "charge", payload: Blob.self) { _, _ in }
        try await d.enqueue("charge", payload: Blob(text: "small"), options: TaskOptions(id: "small", delay: .seconds(60)))
        // The largest payload whose task fits a record: its cancellation record does not.
        var size = 8_200
        while true {
            do {
                try await d.enqueue("charge", payload: Blob(text: String(repeating: "b", count: size)), options: TaskOptions(id: "big", delay: .seconds(60)))
                break
            } catch {
                size -= 1
            }
        }
        do {
            try await d.cancel(["small", "big"])
            Issue.record("cancelled")
        } catch {
            #expect("\(error)".contains("task \"big\" cannot be cancelled with its cancellation task"), "\(error)")
        }
        #expect(await d.task("small")?.status == .scheduled)
        #expect(await d.task("big")?.status == .scheduled)
        try await h.stop()
        h.directory?.remove()
    }

    /// Ids ending in "~cancel" are the cancellation tasks': a user's task under one would make
    /// every cancel of the task it names fail (and `cancel(matching:)` of every match).
    @Test func cancellationIdsAreReserved() async throws {
        let d = try Docket.inMemory(configuration: Harness.configuration(ManualClock(now: Harness.start)))
        d.register("charge", payload: Job.self) { _, _ in }
        do {
            try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: "x~cancel"))
            Issue.record("a ~cancel id was taken")
        } catch {
            #expect("\(error)".contains("reserved for the cancellation tasks"), "\(error)")
        }
        await #expect(throws: DocketError.self) {
            try await d.enqueue(batch: [NewTask("charge", payload: Job(n: 2), options: TaskOptions(id: "y~cancel"))])
        }
        #expect(await d.task("x~cancel") == nil)
        #expect(await d.task("y~cancel") == nil)
        await d.close()
    }

    @Test(arguments: EngineKind.allCases) func aCancelledTaskGetsItsCancellationTask(kind: EngineKind) async throws {
        let refunded = Seen()
        let h = try await Harness.make(kind) { d in
            d.register("charge", payload: Job.self) { _, _ in }
            d.register("plain", payload: Job.self) { _, _ in }
        }
        let d = h.docket
        try d.registerCancellation(for: "charge", payload: Job.self) { job, _ in refunded.add(job.n) }
        try await d.enqueue("charge", payload: Job(n: 7), options: TaskOptions(id: "c1", delay: .seconds(60), queue: "pay"))
        try await d.enqueue("charge", payload: Job(n: 8), options: TaskOptions(id: "c2", delay: .seconds(60), queue: "pay"))
        try await d.enqueue("plain", payload: Job(n: 9), options: TaskOptions(id: "p1", delay: .seconds(60)))
        try await d.cancel("c1")
        await h.recorder.waitFor(.succeeded, "c1~cancel")
        let compensation = try #require(await d.task("c1~cancel"))
        #expect(compensation.name == "charge~cancel" && compensation.queue == "pay")
        #expect(refunded.all == [7])
        // By query: the charge gets one, the plain task none.
        try await d.cancel(matching: TaskFilter(statuses: [.scheduled]))
        await h.recorder.waitFor(.succeeded, "c2~cancel")
        #expect(await d.task("p1~cancel") == nil)
        #expect(refunded.all == [7, 8])
        #expect(h.recorder.events(.enqueued).map(\.taskID).filter { $0.hasSuffix("~cancel") } == ["c1~cancel", "c2~cancel"])
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aCancellationTaskRetriesPerItsOwnPolicy(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("charge", payload: Job.self) { _, _ in } }
        let d = h.docket
        try d.registerCancellation(for: "charge", payload: Job.self, maxAttempts: 2, retry: .fixed(.seconds(1))) { _, _ in
            throw TestFailure(message: "the payment service is down")
        }
        try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: "c", delay: .seconds(60)))
        try await d.cancel("c")
        await h.recorder.waitFor(.retried, "c~cancel")
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.failed, "c~cancel")
        let dead = try #require(await d.task("c~cancel"))
        #expect(dead.status == .failed && dead.attempt == 2 && dead.lastError == "the payment service is down")
        try await h.stop()
        h.directory?.remove()
    }

    /// Bad settings are refused at registration; a long id gets a shortened cancellation id;
    /// an id taken by another handler's task refuses the cancel and changes nothing; workflow
    /// steps get none.
    @Test(arguments: EngineKind.allCases) func edgesOfCancellationHandlers(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in
            d.register("charge", payload: Job.self) { _, _ in }
            d.register("plain", payload: Job.self) { _, _ in }
            d.register("hold", payload: Job.self) { _, c in try await gate.run(c.id) }
        }
        let d = h.docket
        try d.registerCancellation(for: "hold", payload: Job.self) { _, _ in }
        #expect(throws: DocketError.self) { try d.registerCancellation(for: "charge", payload: Job.self, maxAttempts: 0) { _, _ in } }
        #expect(throws: DocketError.self) { try d.registerCancellation(for: "charge", payload: Job.self, retry: .fixed(.seconds(-1))) { _, _ in } }
        #expect(throws: DocketError.self) { try d.registerCancellation(for: String(repeating: "n", count: 250), payload: Job.self) { _, _ in } }
        try d.registerCancellation(for: "charge", payload: Job.self) { _, _ in }

        let long = String(repeating: "é", count: 127) + "x"   // 255 bytes
        try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: long, delay: .seconds(60)))
        try await d.cancel(long)
        let cid = Docket.cancellationID(for: long)
        #expect(cid.utf8.count <= 256 && cid.hasSuffix("~cancel") && cid == Docket.cancellationID(for: long))
        await h.recorder.waitFor(.succeeded, cid)

        // The cancellation id cannot be taken by another task (it is reserved), so the cancel
        // gets its cancellation task.
        await #expect(throws: DocketError.self) {
            try await d.enqueue("plain", payload: Job(n: 2), options: TaskOptions(id: "x~cancel", delay: .seconds(60)))
        }
        try await d.enqueue("charge", payload: Job(n: 3), options: TaskOptions(id: "x", delay: .seconds(60)))
        try await d.cancel("x")
        await h.recorder.waitFor(.succeeded, "x~cancel")
        #expect(await d.task("x~cancel")?.name == "charge~cancel")

        try await d.startWorkflow("w", stages: Workflow.chain([NewTask("hold", payload: Job(n: 4))]))
        while gate.waiting("w/0/0") == 0 { await Task.yield() }
        try await d.cancel("w/0/0")
        await h.recorder.waitFor(.workflowEnded, "w")
        #expect(await d.task("w/0/0~cancel") == nil)
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// One record holds the cancellation and the new task; a reopened journal has both.
    @Test func theCancellationAndItsTaskAreOneRecord() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { $0.snapshotOnClose = false }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("charge", payload: Job.self) { _, _ in }
        try d.registerCancellation(for: "charge", payload: Job.self) { _, _ in }
        try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: "c", delay: .seconds(60)))
        try await d.cancel("c")
        await d.close()
        var kinds: [String] = []
        _ = try JournalReader.read(directory: dir.journal, mode: .strict, snapshot: { _ in }) { record in
            if case .cancelWithCompensation(let ids, let created, _) = try EngineCodec.decodeMutation(record.payload) {
                kinds.append("\(ids) \(created.map(\.id))")
            }
        }
        #expect(kinds == [#"["c"] ["c~cancel"]"#])
        let (state, _) = try StateLoader.load(directory: dir.journal)
        #expect(state.tasks["c"]?.status == .cancelled && state.tasks["c~cancel"]?.status == .scheduled)
    }
    /// Cancellation tasks carry payloads: records are cut so that they stay within the size
    /// limit with them.
    @Test func recordsWithCancellationTasksStayWithinTheSizeLimit() async throws {
        struct Big: Codable, Sendable { var text: String }
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { c in
            c.journal.maxRecordSize = 64 * 1024
            c.snapshotOnClose = false
        }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("charge", payload: Big.self) { _, _ in }
        try d.registerCancellation(for: "charge", payload: Big.self) { _, _ in }
        for i in 0..<100 {
            try await d.enqueue("charge", payload: Big(text: String(repeating: "x", count: 2_000)), options: TaskOptions(id: "c\(i)", delay: .seconds(60)))
        }
        #expect(try await d.cancel(matching: TaskFilter(name: "charge")).count == 100)
        await d.close()
        /// The sizes of the journal's cancellation records and the tasks they created.
        func cancellationRecords(_ directory: String) throws -> (sizes: [Int], created: Int) {
            var sizes: [Int] = []
            var created = 0
            _ = try JournalReader.read(directory: directory, mode: .strict, snapshot: { _ in }) { record in
                if case .cancelWithCompensation(_, let tasks, _) = try EngineCodec.decodeMutation(record.payload) {
                    sizes.append(record.payload.count)
                    created += tasks.count
                }
            }
            return (sizes, created)
        }
        let (sizes, created) = try cancellationRecords(dir.journal)
        #expect(created == 100 && sizes.count > 1 && sizes.allSatisfy { $0 <= 64 * 1024 }, "\(sizes)")

        // Long handler and queue names with small payloads: the cancellation tasks are mostly
        // names, which the records' size estimate must count too (it did not: 177 ids went
        // into one record of ~106 KB, refused as too large).
        let named = TempDirectory()
        defer { named.remove() }
        let long = String(repeating: "h", count: 249)
        let queue = String(repeating: "q", count: 256)
        let e = try await Docket.open(directory: named.journal, configuration: config)
        e.register(long, payload: Job.self) { _, _ in }
        try e.registerCancellation(for: long, payload: Job.self) { _, _ in }
        try await e.enqueue(batch: (0..<300).map { NewTask(long, payload: Job(n: $0), options: TaskOptions(id: "n\($0)", delay: .seconds(60), queue: queue)) })
        #expect(try await e.cancel(matching: TaskFilter(name: long)).count == 300)
        await e.close()
        let (namedSizes, namedCreated) = try cancellationRecords(named.journal)
        #expect(namedCreated == 300 && namedSizes.allSatisfy { $0 <= 64 * 1024 }, "\(namedSizes)")
    }

    /// A task retried after its cancellation and still live keeps its cancellation task through
    /// a purge: purged, the task's next cancel made a second one (and ran a second compensation).
    /// Also for an id ending in a Unicode "prepend" character (U+0600), which joins the "~" of
    /// its cancellation id into one character: the purge recognized that id character-wise and
    /// missed it.
    @Test(arguments: ["a", "a\u{600}"]) func aLiveTaskKeepsItsCancellationTaskThroughAPurge(a: String) async throws {
        let gate = Gate()
        let compensations = Mutex(0)
        let h = try await Harness.make(.inMemory) { d in
            d.register("charge", payload: Job.self) { _, job in try await gate.run(job.id) }
        }
        let d = h.docket
        try d.registerCancellation(for: "charge", payload: Job.self) { _, _ in compensations.withLock { $0 += 1 } }
        try await d.enqueue("charge", payload: Job(n: 1), options: TaskOptions(id: a, delay: .seconds(3600)))
        try await d.cancel(a)
        await h.recorder.waitFor(.succeeded, a + "~cancel")
        try await d.retryNow(a)
        await h.recorder.waitFor(.started, a)
        h.clock.advance(by: .seconds(7200))
        await h.settle()
        #expect(try await d.purge(olderThan: .seconds(3600)) == 0)
        #expect(await d.task(a + "~cancel")?.status == .succeeded, "kept while its task lives")
        try await d.cancel(a)
        await h.settle()
        #expect(compensations.withLock { $0 } == 1)
        // Once both are finished and old enough, they go together.
        h.clock.advance(by: .seconds(7200))
        await h.settle()
        #expect(try await d.purge(olderThan: .seconds(3600)) == 2)
        #expect(await d.task(a) == nil)
        #expect(await d.task(a + "~cancel") == nil)
        // Its cancellation id is reserved too.
        await #expect(throws: DocketError.self) { try await d.enqueue("charge", payload: Job(n: 2), options: TaskOptions(id: a + "~cancel")) }
        gate.open()
        try await h.stop()
    }
}
