import DocketJournal
import Foundation
import Synchronization
import Testing
@testable import Docket

/// A fresh directory under the system temp dir.
struct TempDirectory {
    let path: String

    init(_ label: String = "engine") {
        path = NSTemporaryDirectory() + "docket-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var journal: String { path + "/j" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Copies a directory as a kill -9 would leave it: whatever the running process wrote so far.
/// Every engine mutation journaled in `directory` from record 1 on, with its record's size.
func journaledMutations(_ directory: String) throws -> [(mutation: Mutation, size: Int)] {
    var result: [(mutation: Mutation, size: Int)] = []
    _ = try JournalReader.read(directory: directory, from: 1) { record in
        result.append((try EngineCodec.decodeMutation(record.payload), record.payload.count))
    }
    return result
}

func copyDirectory(_ from: String, _ to: String) throws {
    try? FileManager.default.removeItem(atPath: to)
    try FileManager.default.copyItem(atPath: from, toPath: to)
    // The copy must not inherit a held lock; the lock is flock-based (per open file), so a
    // copied lock file is free.
}

/// Collects a Docket's events and lets tests wait for the ones they expect.
final class Recorder: Sendable {
    private struct Waiter {
        var id: UUID
        var count: Int
        var predicate: @Sendable (DocketEvent) -> Bool
        var continuation: CheckedContinuation<[DocketEvent], Never>
        /// The events matched so far (each new event is tested once, not all again).
        var matched: [DocketEvent]
    }

    private struct State {
        var events: [DocketEvent] = []
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    init(_ stream: AsyncStream<DocketEvent>) {
        Task { [weak self] in
            for await e in stream { self?.append(e) }
        }
    }

    private func append(_ e: DocketEvent) {
        let ready = state.withLock { s -> [(CheckedContinuation<[DocketEvent], Never>, [DocketEvent])] in
            s.events.append(e)
            var ready: [(CheckedContinuation<[DocketEvent], Never>, [DocketEvent])] = []
            for i in s.waiters.indices where s.waiters[i].predicate(e) { s.waiters[i].matched.append(e) }
            s.waiters.removeAll { w in
                guard w.matched.count >= w.count else { return false }
                ready.append((w.continuation, w.matched))
                return true
            }
            return ready
        }
        for (c, events) in ready { c.resume(returning: events) }
    }

    var events: [DocketEvent] { state.withLock { $0.events } }

    func events(_ kind: DocketEvent.Kind) -> [DocketEvent] { events.filter { $0.kind == kind } }

    /// Waits until at least `count` recorded events match, and returns all that match. Gives up
    /// (returning what matched so far) when the test is cancelled, e.g. by its time limit.
    @discardableResult
    func wait(count: Int = 1, where predicate: @escaping @Sendable (DocketEvent) -> Bool) async -> [DocketEvent] {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                let now = state.withLock { s -> [DocketEvent]? in
                    let matching = s.events.filter(predicate)
                    if matching.count >= count || Task.isCancelled { return matching }
                    s.waiters.append(Waiter(id: id, count: count, predicate: predicate, continuation: c, matched: matching))
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let w = state.withLock { s -> (Waiter, [DocketEvent])? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                let w = s.waiters.remove(at: i)
                return (w, w.matched)
            }
            if let (w, events) = w { w.continuation.resume(returning: events) }
        }
    }

    @discardableResult
    func waitFor(_ kind: DocketEvent.Kind, _ id: String? = nil, count: Int = 1) async -> [DocketEvent] {
        await wait(count: count) { $0.kind == kind && (id == nil || $0.taskID == id) }
    }
}

/// Journaled or in memory: the shared behaviour suite runs on both.
enum EngineKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, journaled
    var testDescription: String { rawValue }
}

/// A Docket on a manual clock, running in a background task, with its events recorded.
struct Harness {
    let docket: Docket
    let clock: ManualClock
    let recorder: Recorder
    let runner: Task<Void, any Error>
    let directory: TempDirectory?

    static let start = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

    /// The id a fresh instance generates as its `counter`-th (from 0) at `start`: the clock's
    /// milliseconds in hex, then the counter (the format of `Docket.generateID`).
    static func generatedID(_ counter: Int) -> String {
        let ms = String(Int64(start.timeIntervalSince1970 * 1000), radix: 16)
        let n = String(counter, radix: 16)
        return String(repeating: "0", count: max(0, 12 - ms.count)) + ms + "-" + String(repeating: "0", count: max(0, 6 - n.count)) + n
    }

    static func configuration(_ clock: ManualClock, _ configure: (inout DocketConfiguration) -> Void = { _ in }) -> DocketConfiguration {
        var c = DocketConfiguration(clock: clock)
        c.shutdownGrace = .zero
        c.durability = .always
        configure(&c)
        return c
    }

    static func make(_ kind: EngineKind, clock: ManualClock = ManualClock(now: start), directory: TempDirectory? = nil,
                     register: (Docket) -> Void = { _ in }, configure: (inout DocketConfiguration) -> Void = { _ in }) async throws -> Harness {
        let config = configuration(clock, configure)
        let docket: Docket
        var dir = directory
        switch kind {
        case .inMemory:
            docket = try Docket.inMemory(configuration: config)
        case .journaled:
            if dir == nil { dir = TempDirectory() }
            docket = try await Docket.open(directory: dir?.journal ?? "", configuration: config)
        }
        register(docket)
        let recorder = Recorder(docket.events())
        let runner = Task { try await docket.run() }
        return Harness(docket: docket, clock: clock, recorder: recorder, runner: runner, directory: dir)
    }

    /// A harness whose handler "gated" holds each attempt (by task id) in `gate` until the test
    /// releases it; `register` adds other handlers.
    static func gated(_ kind: EngineKind, _ gate: Gate, register: (Docket) -> Void = { _ in },
                      configure: (inout DocketConfiguration) -> Void = { _ in }) async throws -> Harness {
        try await make(kind, register: { d in
            d.register("gated", payload: Job.self) { _, job in try await gate.run(job.id) }
            register(d)
        }, configure: configure)
    }

    /// Stops the run loop (graceful shutdown) and waits for it.
    func stop() async throws {
        runner.cancel()
        try await runner.value
    }

    /// Lets the engine catch up: yields at least 2,000 times, then until the engine is quiet
    /// (its loop parked, no result waiting, the journal caught up, nothing due on the clock)
    /// for 50 yields in a row — a loaded machine gets more turns, not a wrong answer.
    func settle() async {
        for _ in 0..<2000 {
            await Task.yield()
        }
        var quiet = 0
        for _ in 0..<200_000 where quiet < 50 {
            let due = clock.nextDeadline.map { $0 <= clock.now() } ?? false
            let engineQuiet = await docket.isQuiet
            quiet = !due && engineQuiet ? quiet + 1 : 0
            await Task.yield()
        }
    }
}

/// A handler whose attempts wait until the test releases them with an outcome.
final class Gate: Sendable {
    enum Outcome: Sendable { case succeed, fail(String), control(JobControl) }

    private let state = Mutex<[String: [CheckedContinuation<Outcome, Never>]]>([:])
    private let isOpen = Mutex(false)

    /// How many attempts of `id` are waiting right now.
    func waiting(_ id: String) -> Int { state.withLock { $0[id]?.count ?? 0 } }

    func run(_ id: String) async throws {
        let outcome = await withCheckedContinuation { c in
            let pass = isOpen.withLock { open in
                if open { return true }
                state.withLock { $0[id, default: []].append(c) }
                return false
            }
            if pass { c.resume(returning: .succeed) }
        }
        switch outcome {
        case .succeed: return
        case .fail(let m): throw TestFailure(message: m)
        case .control(let c): throw c
        }
    }

    /// Releases the oldest waiting attempt of `id`; false when none waits.
    @discardableResult
    func release(_ id: String, _ outcome: Outcome = .succeed) -> Bool {
        let c = state.withLock { s -> CheckedContinuation<Outcome, Never>? in
            guard var list = s[id], !list.isEmpty else { return nil }
            let first = list.removeFirst()
            s[id] = list.isEmpty ? nil : list
            return first
        }
        c?.resume(returning: outcome)
        return c != nil
    }

    /// Waits (yielding, never sleeping) until an attempt of `id` waits, then releases it.
    func releaseWhenWaiting(_ id: String, _ outcome: Outcome = .succeed) async {
        while !release(id, outcome), !Task.isCancelled { await Task.yield() }
    }

    /// Releases everything waiting now and lets every later attempt through.
    func open() {
        isOpen.withLock { $0 = true }
        releaseAll()
    }

    /// Releases everything waiting now (so no handler task is left hanging).
    func releaseAll() {
        let all = state.withLock { s -> [CheckedContinuation<Outcome, Never>] in
            defer { s = [:] }
            return s.values.flatMap { $0 }
        }
        for c in all { c.resume(returning: .succeed) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct Job: Codable, Sendable, Equatable {
    var n: Int
}
