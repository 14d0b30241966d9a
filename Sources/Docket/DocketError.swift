import DocketJournal

/// What went wrong in a `Docket` call. Every case says what was wrong and what is allowed.
public enum DocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No handler is registered under this name (see `register`), and the configuration does
    /// not allow unregistered names.
    case unknownHandler(String)
    /// A task with this id exists and the options asked to fail on a conflict.
    case duplicateTask(String)
    /// No task has this id.
    case taskNotFound(String)
    /// No recurring schedule has this id.
    case scheduleNotFound(String)
    /// A schedule with this id exists (use `updateSchedule`).
    case duplicateSchedule(String)
    /// The action is not allowed in the task's current status.
    case illegalTransition(id: String, status: TaskStatus, action: String)
    /// A value out of its allowed range; the message says which and what is allowed.
    case invalidArgument(String)
    /// The payload could not be encoded with the configured codec.
    case encodingFailed(String)
    /// The journal refused or failed. `recordTooLarge` refuses one record (nothing was
    /// written, the journal works on: see `journal.maxRecordSize`); the others (disk full, an
    /// fsync error, damage) fail it for good: reopen to recover.
    case journal(JournalError)
    /// The engine's records in the journal cannot be read by this version.
    case unreadableState(String)
    /// `run()` is already running on this instance.
    case alreadyRunning
    /// The instance was shut down.
    case closed

    /// A sentence for people.
    public var description: String {
        switch self {
        case .unknownHandler(let n): "no handler is registered for \"\(n)\"; register it first (or set allowUnregisteredHandlers)"
        case .duplicateTask(let id): "a task with id \"\(id)\" already exists"
        case .taskNotFound(let id): "no task has id \"\(id)\""
        case .scheduleNotFound(let id): "no recurring schedule has id \"\(id)\""
        case .duplicateSchedule(let id): "a recurring schedule with id \"\(id)\" already exists; use updateSchedule to change it"
        case .illegalTransition(let id, let status, let action): "cannot \(action) task \"\(id)\": it is \(status.rawValue)"
        case .invalidArgument(let m): m
        case .encodingFailed(let m): "the payload could not be encoded: \(m)"
        case .journal(let e): "journal: \(e)"
        case .unreadableState(let m): "the journal holds engine state this version cannot read: \(m)"
        case .alreadyRunning: "run() is already running on this Docket"
        case .closed: "this Docket was shut down"
        }
    }
}
