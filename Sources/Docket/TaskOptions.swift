import Foundation

/// How to enqueue a task. Everything is optional; the configuration supplies the defaults.
///
/// ```swift
/// try await docket.enqueue("email", payload: mail, options: TaskOptions(id: "welcome-42", delay: .seconds(30)))
/// ```
public struct TaskOptions: Sendable {
    /// What to do when a task with the same `id` exists.
    public enum OnConflict: Sendable {
        /// Return the existing task unchanged (idempotent enqueue). The default.
        case returnExisting
        /// Throw `DocketError.duplicateTask`.
        case fail
    }

    /// The task's id and idempotency key (1…256 bytes of UTF-8). Default: a generated
    /// time-ordered id. Ids of a schedule's occurrences (`<schedule id>@<UTC time>`) and of a
    /// workflow's steps (`<workflow id>/<stage>/<step>`) are reserved for them.
    public var id: String?
    /// When to run. Default: now (or now + `delay`).
    public var runAt: Date?
    /// Run this long after now (ignored when `runAt` is set).
    public var delay: Duration?
    /// The queue (for per-queue limits and queries). Default `"default"`.
    public var queue: String = "default"
    /// Lower runs first among due tasks (a 32-bit value). Default 0.
    public var priority: Int = 0
    /// The most attempts (1…1,000,000). Default: the configuration's.
    public var maxAttempts: Int?
    /// The delays between attempts. Default: the configuration's.
    public var retry: RetryPolicy?
    /// How long one attempt may run before it is cancelled and counted as failed.
    public var timeout: Duration?
    /// At most one task with this key runs at a time (per-key serialization). Keys starting
    /// with `schedule:` are reserved: occurrences of a schedule with overlap `.queue` and no
    /// key of its own (`ScheduleOptions.key`) carry `schedule:<schedule id>`, which is how
    /// they wait for each other.
    public var key: String?
    /// What to do when the id exists.
    public var onConflict: OnConflict = .returnExisting

    /// Options with the given fields.
    public init(id: String? = nil, runAt: Date? = nil, delay: Duration? = nil, queue: String = "default", priority: Int = 0,
                maxAttempts: Int? = nil, retry: RetryPolicy? = nil, timeout: Duration? = nil, key: String? = nil,
                onConflict: OnConflict = .returnExisting) {
        self.id = id
        self.runAt = runAt
        self.delay = delay
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.retry = retry
        self.timeout = timeout
        self.key = key
        self.onConflict = onConflict
    }
}

/// One task of a batch enqueue.
public struct NewTask: Sendable {
    /// The handler name.
    public var name: String
    /// The options.
    public var options: TaskOptions
    let encode: @Sendable (any PayloadCodec) throws -> [UInt8]

    /// A task for handler `name` with `payload`.
    public init<P: Encodable & Sendable>(_ name: String, payload: P, options: TaskOptions = TaskOptions()) {
        self.name = name
        self.options = options
        encode = { codec in try codec.encode(payload) }
    }
}

/// How to create a recurring schedule.
public struct ScheduleOptions: Sendable {
    /// Missed occurrences. Default `.fireOnce`.
    public var misfire: MisfirePolicy = .fireOnce
    /// How late an occurrence may start before it is a misfire. Default 60 s.
    public var grace: Duration = .seconds(60)
    /// When an occurrence is due while the previous one is unfinished. Default `.queue`.
    public var overlap: OverlapPolicy = .queue
    /// Each occurrence's queue, priority, attempts, retry policy and timeout.
    public var queue: String = "default"
    /// Lower runs first among due tasks.
    public var priority: Int = 0
    /// Attempts per occurrence. Default: the configuration's.
    public var maxAttempts: Int?
    /// Retry policy per occurrence. Default: the configuration's.
    public var retry: RetryPolicy?
    /// Timeout per attempt.
    public var timeout: Duration?
    /// Each occurrence's serialization key (see `TaskOptions.key`): it waits while any task
    /// with this key runs, and so do they while it runs. Occurrences of one schedule then wait
    /// for each other too, so `overlap` must be `.queue` or `.skip` (`.skip` still skips an
    /// occurrence whose predecessor is unfinished). The key an occurrence gets (this one, or
    /// `schedule:<id>` under `.queue`) cannot change while the schedule has unfinished
    /// occurrences: `updateSchedule` refuses it, since one created before the change could
    /// then run beside one created after. Default: none.
    ///
    /// ```swift
    /// // The nightly export of account 42 never runs beside its other jobs.
    /// ScheduleOptions(key: "account-42")
    /// ```
    public var key: String?
    /// Create the schedule paused.
    public var paused = false

    /// Options with the given fields.
    public init(misfire: MisfirePolicy = .fireOnce, grace: Duration = .seconds(60), overlap: OverlapPolicy = .queue,
                queue: String = "default", priority: Int = 0, maxAttempts: Int? = nil, retry: RetryPolicy? = nil,
                timeout: Duration? = nil, key: String? = nil, paused: Bool = false) {
        self.misfire = misfire
        self.grace = grace
        self.overlap = overlap
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.retry = retry
        self.timeout = timeout
        self.key = key
        self.paused = paused
    }
}
