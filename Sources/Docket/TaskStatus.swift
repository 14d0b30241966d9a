/// Where a task is in its life.
///
/// `scheduled` → `running` → `succeeded` | `failed` (retries exhausted: the dead-letter state)
/// | back to `scheduled` (a retry or a snooze). `paused` from `scheduled` or `running`;
/// `cancelled` from any state that is not terminal; `paused` → `scheduled` on resume; `failed`
/// or `cancelled` → `scheduled` on a manual retry. Anything else is an `illegalTransition`
/// (pausing a paused task too).
public enum TaskStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its run time (or, when due, for a free worker).
    case scheduled
    /// Leased by a worker; its handler is running.
    case running
    /// The handler finished successfully.
    case succeeded
    /// Every attempt failed, or the handler failed it permanently: the dead-letter state.
    case failed
    /// Held by `pause`; it runs only after `resume`.
    case paused
    /// Cancelled; it never runs again unless retried by hand.
    case cancelled

    /// Succeeded, failed or cancelled: nothing happens to the task by itself any more.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    var code: UInt8 {
        switch self {
        case .scheduled: 0
        case .running: 1
        case .succeeded: 2
        case .failed: 3
        case .paused: 4
        case .cancelled: 5
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .scheduled
        case 1: self = .running
        case 2: self = .succeeded
        case 3: self = .failed
        case 4: self = .paused
        case 5: self = .cancelled
        default: return nil
        }
    }
}
