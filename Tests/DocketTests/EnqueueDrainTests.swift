import DocketJournal
import Foundation
import Testing
@testable import Docket

/// Single enqueues that reach the actor together are admitted in one drain and one journal
/// write, but each succeeds or fails on its own, as if it had come alone.
@Suite(.timeLimit(.minutes(2))) struct EnqueueDrainTests {
    /// The outcome of one enqueue, comparable across the racing callers.
    enum Outcome: Equatable, Sendable {
        case task(String)
        case refused(DocketError)

        var id: String? { if case .task(let id) = self { id } else { nil } }
        var refusal: DocketError? { if case .refused(let e) = self { e } else { nil } }
    }

    /// Starts `calls` concurrently while drains are held, waits until all wait in the inbox,
    /// then lets one drain take them all.
    static func inOneDrain(_ docket: Docket, _ calls: [@Sendable () async throws -> TaskInfo]) async -> [Outcome] {
        await docket.setHoldsEnqueues(true)
        let running = calls.map { call in
            Task { () -> Outcome in
                do { return .task(try await call().id) } catch { return .refused(error as? DocketError ?? .invalidArgument("not a DocketError: \(error)")) }
            }
        }
        while docket.inbox.waiting < calls.count { await Task.yield() }
        await docket.setHoldsEnqueues(false)
        var outcomes: [Outcome] = []
        for task in running { outcomes.append(await task.value) }
        return outcomes
    }

    /// A task an hour ahead (it never runs here) with `id`, changed by `change`.
    static func options(_ id: String, _ change: (inout TaskOptions) -> Void = { _ in }) -> TaskOptions {
        var o = TaskOptions(id: id, delay: .seconds(3600))
        change(&o)
        return o
    }

    @Test(arguments: EngineKind.allCases) func requestsOfOneDrainSucceedOrFailEachOnItsOwn(kind: EngineKind) async throws {
        let h = try await Harness.make(kind, register: { d in d.register("noop", payload: Job.self) { _, _ in } },
                                       configure: { $0.journal.maxRecordSize = 8 * 1024 })
        let d = h.docket
        try await d.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "old", delay: .seconds(60)))
        let later = TaskOptions(delay: .seconds(60))
        let a = Self.options("a"), old = Self.options("old"), oldOrFail = Self.options("old") { $0.onConflict = .fail }
        let aOrFail = Self.options("a") { $0.onConflict = .fail }, noQueue = Self.options("c") { $0.queue = "" }
        let big = String(repeating: "x", count: 9000)
        let outcomes = await Self.inOneDrain(d, [
            { try await d.enqueue("noop", payload: Job(n: 1), options: a) },
            { try await d.enqueue("nobody", payload: Job(n: 2), options: Self.options("b")) },
            { try await d.enqueue("noop", payload: Job(n: 3), options: a) },
            { try await d.enqueue("noop", payload: Job(n: 4), options: oldOrFail) },
            { try await d.enqueue("noop", payload: Job(n: 5), options: old) },
            { try await d.enqueue("noop", payload: big, options: Self.options("big")) },
            { try await d.enqueue("noop", payload: Job(n: 7), options: noQueue) },
            { try await d.enqueue("noop", payload: Job(n: 8), options: aOrFail) },
            { try await d.enqueue("noop", payload: Job(n: 9), options: later) },
            { try await d.enqueue("noop", payload: Job(n: 10), options: Self.options("d")) },
        ])
        #expect(outcomes[0] == .task("a"))
        #expect(outcomes[1] == .refused(.unknownHandler("nobody")))
        #expect(outcomes[2] == .task("a"), "a repeat of an id admitted earlier in the same drain returns that task")
        #expect(outcomes[3] == .refused(.duplicateTask("old")))
        #expect(outcomes[4] == .task("old"))
        if kind == .journaled {
            #expect(outcomes[5].refusal.map { if case .journal(.recordTooLarge(_, 8192)) = $0 { true } else { false } } == true,
                    "a record too large for the journal is refused on its own: \(outcomes[5])")
        } else {
            #expect(outcomes[5] == .task("big"), "without a journal there is no record limit")
        }
        #expect(outcomes[6].refusal.map { if case .invalidArgument = $0 { true } else { false } } == true, "an empty queue name: \(outcomes[6])")
        #expect(outcomes[7] == .refused(.duplicateTask("a")))
        let generated = try #require(outcomes[8].id, "a request without an id gets a generated one")
        #expect(outcomes[9] == .task("d"))

        // What was admitted is stored once, with the first caller's payload, and announced once.
        var stored = ["a", "d", "old", generated]
        if kind == .inMemory { stored.append("big") }
        #expect(Set(try await d.tasks().tasks.map(\.id)) == Set(stored))
        let first = try #require(await d.task("a"))
        #expect(try JSONDecoder().decode(Job.self, from: Data(first.payload)) == Job(n: 1))
        await h.settle()
        #expect(h.recorder.events(.enqueued).map(\.taskID).sorted() == stored.sorted())
        try await h.stop()
        if let dir = h.directory {
            let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
            #expect(Set(try await reopened.tasks().tasks.map(\.id)) == Set(stored))
            #expect(await reopened.task("a")?.payload == first.payload)
            await reopened.close()
            dir.remove()
        }
    }

    /// Requests still waiting when the Docket closes are refused with `closed`, and nothing
    /// of them is stored.
    @Test func requestsWaitingAtCloseAreRefused() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let d = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        d.register("noop", payload: Job.self) { _, _ in }
        await d.setHoldsEnqueues(true)
        let waiting = (0..<3).map { i in
            Task { () -> DocketError? in
                do {
                    try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "w\(i)"))
                    return nil
                } catch { return error as? DocketError ?? .invalidArgument("not a DocketError: \(error)") }
            }
        }
        while d.inbox.waiting < 3 { await Task.yield() }
        await d.close()
        await d.setHoldsEnqueues(false)
        for task in waiting { #expect(await task.value == .closed) }
        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        #expect(await reopened.count(matching: TaskFilter()) == 0)
        await reopened.close()
    }
}

extension Docket {
    /// Holds single enqueues in the inbox; releasing drains them.
    func setHoldsEnqueues(_ on: Bool) {
        holdsEnqueues = on
        if !on { drainEnqueues() }
    }
}
