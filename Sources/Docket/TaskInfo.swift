import Foundation

/// A task as `Docket` reports it: a copy, taken when asked.
public struct TaskInfo: Sendable, Equatable {
    /// The task's id: the caller's idempotency key, or a generated time-ordered id.
    public var id: String
    /// The handler's name.
    public var name: String
    /// The encoded payload.
    public var payload: [UInt8]
    /// The queue it runs on.
    public var queue: String
    /// Lower runs first among due tasks.
    public var priority: Int
    /// At most one task per serialization key runs at a time.
    public var key: String?
    /// When it is (or was last) due.
    public var runAt: Date
    /// Attempts started so far.
    public var attempt: Int
    /// The most attempts it gets.
    public var maxAttempts: Int
    /// Its retry policy.
    public var retry: RetryPolicy
    /// Its timeout, if any.
    public var timeout: Duration?
    /// Where it is in its life.
    public var status: TaskStatus
    /// The last progress its handler reported, 0…1.
    public var progress: Double
    /// The encoded output of a successful run.
    public var output: [UInt8]?
    /// The error of the last failed attempt.
    public var lastError: String?
    /// When it was enqueued.
    public var createdAt: Date
    /// When its last attempt started.
    public var startedAt: Date?
    /// When it reached a terminal state.
    public var finishedAt: Date?
    /// The recurring schedule it is an occurrence of.
    public var scheduleID: String?

    init(_ t: TaskEntry) {
        id = t.id
        name = t.name
        payload = t.payload
        queue = t.queue
        priority = t.priority
        key = t.key
        runAt = Time.date(t.runAt)
        attempt = t.attempt
        maxAttempts = t.maxAttempts
        retry = t.retry
        timeout = t.timeout > 0 ? Time.duration(t.timeout) : nil
        status = t.status
        progress = t.progress
        output = t.output
        lastError = t.lastError
        createdAt = Time.date(t.createdAt)
        startedAt = t.startedAt.map(Time.date)
        finishedAt = t.finishedAt.map(Time.date)
        scheduleID = t.scheduleID
    }

    /// Decodes the output with `codec` (JSON by default).
    public func decodeOutput<T: Decodable>(_ type: T.Type, codec: any PayloadCodec = JSONPayloadCodec()) throws -> T? {
        guard let output else { return nil }
        return try codec.decode(type, from: output)
    }
}
