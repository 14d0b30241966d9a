import Foundation

/// Something that happened to a task or schedule, as `Docket.events()` delivers it.
public struct DocketEvent: Sendable, Equatable, CustomStringConvertible {
    /// What happened.
    public enum Kind: String, Sendable, Hashable {
        /// A task was created (by `enqueue` or a recurring schedule).
        case enqueued
        /// An attempt started.
        case started
        /// A handler finished successfully.
        case succeeded
        /// A task failed for good (dead-letter): retries exhausted or failed permanently.
        case failed
        /// An attempt failed (or timed out) and the task will run again at `runAt`.
        case retried
        /// The handler snoozed the task until `runAt` (not counted as an attempt).
        case snoozed
        /// A task was cancelled.
        case cancelled
        /// A task was paused.
        case paused
        /// A task was resumed.
        case resumed
        /// A task was rescheduled or set to run now by hand.
        case rescheduled
        /// An occurrence of a recurring schedule was skipped (missed while down or busy,
        /// or its predecessor was still running). `runAt` is the nominal time.
        case misfired
        /// A task that was running when the previous process stopped (its attempt counts; it
        /// retries per its policy, `runAt` says when). Delivered, with what its failure did to a
        /// workflow, when `run()` starts or with the first event after `open`.
        case recovered
        /// A workflow ended: `taskID` is the workflow's id, `error` says "failed" or
        /// "cancelled" (nil when it succeeded).
        case workflowEnded
    }

    /// What happened.
    public var kind: Kind
    /// The task concerned.
    public var taskID: String
    /// The attempt number (after the event).
    public var attempt: Int
    /// When it happened (engine clock).
    public var at: Date
    /// For retried/snoozed/rescheduled: the next run time; for misfired: the nominal time.
    public var runAt: Date?
    /// The handler's name, when known.
    public var name: String?
    /// The recurring schedule concerned, if any.
    public var scheduleID: String?
    /// For failed/retried: the error.
    public var error: String?

    /// One line for logs: `succeeded report@2026-11-23T09:00:00Z attempt 1`.
    public var description: String {
        var s = "\(kind.rawValue) \(taskID)"
        if let name { s += " (\(name))" }
        s += " attempt \(attempt)"
        if let runAt { s += " at " + UTCStamp.string(Time.micros(runAt)) }
        if let error { s += ": \(error)" }
        return s
    }
}
