import Synchronization

/// Single enqueues waiting for the actor, taken many per actor turn. With many producers, a
/// hop onto the actor and back for each enqueue cost more than the enqueue itself (each hop
/// wakes a pool thread), and their records reached the journal one by one; here the requests
/// that arrive while a drain is pending go to the actor in one turn and one journal write.
final class EnqueueInbox: Sendable {
    /// A request's answer: the task (new or existing) and the sequence of its record.
    typealias Outcome = Result<(TaskEntry, UInt64), DocketError>

    struct Request: Sendable {
        var name: String
        var options: TaskOptions
        var payload: [UInt8]
        /// The caller's: the drain that answers it runs at least at the highest waiting one.
        var priority: TaskPriority
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var requests: [Request] = []
        var draining = false
    }

    private let state = Mutex(State())

    /// How many requests wait (for tests).
    var waiting: Int { state.withLock { $0.requests.count } }

    /// Keeps `request` for the next drain; true when no drain was pending, and the caller
    /// must start one.
    func add(_ request: Request) -> Bool {
        state.withLock { s in
            s.requests.append(request)
            defer { s.draining = true }
            return !s.draining
        }
    }

    /// The waiting requests (in arrival order); when there are none, the drain ends in the same
    /// step, so a request is never left without a drain to take it.
    func takeOrEnd() -> [Request] {
        state.withLock { s in
            if s.requests.isEmpty { s.draining = false }
            defer { s.requests = [] }
            return s.requests
        }
    }
}
