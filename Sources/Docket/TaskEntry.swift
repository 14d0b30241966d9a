/// One task as the engine stores it (times in microseconds). `TaskInfo` is its public face.
struct TaskEntry: Sendable, Equatable {
    var id: String
    var name: String
    var payload: [UInt8]
    var queue: String
    var priority: Int
    /// At most one task per key runs at a time.
    var key: String?
    var runAt: Micros
    /// Attempts started so far (a snooze gives one back).
    var attempt: Int
    var maxAttempts: Int
    var retry: RetryPolicy
    /// 0 = no timeout.
    var timeout: Micros
    var status: TaskStatus
    var progress: Double = 0
    var output: [UInt8]?
    var lastError: String?
    var createdAt: Micros
    var startedAt: Micros?
    var finishedAt: Micros?
    /// Enqueue order: the FIFO tie-breaker and the list cursor.
    var sequence: UInt64
    /// The lease of the current run (0 when not running); completions must present it.
    var lease: UInt64 = 0
    /// The recurring schedule this task is an occurrence of.
    var scheduleID: String?
    /// Bumped on every change of status or run time; heap entries carrying an older value are
    /// stale.
    var version: UInt32 = 0
    /// `runAt` was computed from a clock reading (a delay, a retry's wait, "now"), not given as
    /// a time (`TaskOptions.runAt`, a schedule's fire, `reschedule`, `snooze(until:)`): a step of
    /// the wall clock back moves it back too (`Docket+ClockSteps`). Stored in the status byte.
    var runAtFromClock = false
}
