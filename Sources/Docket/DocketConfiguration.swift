import DocketJournal
import Foundation

/// How a journaled Docket makes enqueues durable (re-exported from DocketJournal):
/// `.always` acknowledges after fdatasync (concurrent callers share one sync), `.interval(ms)`
/// after the write with a sync at least every interval, `.none` leaves syncing to the OS.
public typealias Durability = DocketJournal.Durability

/// The journal's I/O counters and recent fdatasync times, in `DocketStats.journal`
/// (re-exported from DocketJournal).
public typealias JournalMetrics = DocketJournal.JournalMetrics

/// Everything a `Docket` can be tuned with. Every field has a sensible default.
///
/// ```swift
/// var config = DocketConfiguration()
/// config.concurrency = 32
/// config.queueLimits["email"] = 4
/// config.durability = .interval(milliseconds: 10)
/// ```
public struct DocketConfiguration: Sendable {
    /// Where time comes from (`ManualClock` in tests).
    public var clock: any DocketClock = SystemClock()
    /// When an enqueue returns (journaled instances only). Default `.always`.
    public var durability: Durability = .always
    /// The most handlers running at once, over all queues. Default 16.
    public var concurrency: Int = 16
    /// The most handlers running at once per queue, for the queues named here.
    public var queueLimits: [String: Int] = [:]
    /// Whether `enqueue` accepts a handler name nobody registered (the task waits, and fails
    /// permanently if it comes due while still unregistered). Default false: it throws.
    public var allowUnregisteredHandlers = false
    /// Encodes payloads and outputs. Default JSON.
    public var codec: any PayloadCodec = JSONPayloadCodec()
    /// Attempts a task gets when its options do not say. Default 5.
    public var defaultMaxAttempts = 5
    /// Retry policy of tasks whose options do not say. Default exponential with jitter.
    public var defaultRetry: RetryPolicy = .default
    /// Timeout of tasks whose options do not say. Default none.
    public var defaultTimeout: Duration?
    /// Code run around every handler attempt (logging, metrics, tracing). Default none.
    public var hooks: (any DocketHooks)?
    /// Functions for `RetryPolicy.custom(name:)`: attempt number → delay, or nil to give up.
    public var retryFunctions: [String: @Sendable (Int) -> Duration?] = [:]
    /// A snapshot is written after this many journal records. Default 100,000.
    public var snapshotEvery = 100_000
    /// Whether closing writes a snapshot (so the next open replays nothing). Default true.
    public var snapshotOnClose = true
    /// How long `run()` lets running handlers finish once cancelled. Default 10 s.
    public var shutdownGrace: Duration = .seconds(10)
    /// The most missed occurrences `.fireAll` creates at once (beyond, they are skipped), and
    /// the most skipped occurrences one catch-up journals and reports one by one (beyond, only
    /// their count). Default 1,000.
    public var maxCatchUp = 1_000
    /// Journal settings other than durability (segment size, recovery mode, retention…).
    public var journal = JournalConfiguration()

    /// The defaults.
    public init() {}

    /// The defaults with another clock.
    public init(clock: any DocketClock) { self.clock = clock }

    func validate() throws(DocketError) {
        if concurrency < 1 { throw .invalidArgument("concurrency must be at least 1 (got \(concurrency))") }
        if let (q, n) = queueLimits.first(where: { $0.value < 0 }) { throw .invalidArgument("the limit of queue \"\(q)\" must not be negative (got \(n))") }
        // The bounds every task's own values get (`runSettings`), named here: out of them,
        // every enqueue without its own value would be refused with the task's name instead.
        if !(1...1_000_000).contains(defaultMaxAttempts) { throw .invalidArgument("defaultMaxAttempts must be 1…1,000,000 (got \(defaultMaxAttempts))") }
        if let t = defaultTimeout, t < .microseconds(1) { throw .invalidArgument("defaultTimeout must be at least 1 µs, or nil for none (got \(t))") }
        if shutdownGrace < .zero { throw .invalidArgument("shutdownGrace must not be negative (got \(shutdownGrace))") }
        if snapshotEvery < 1 { throw .invalidArgument("snapshotEvery must be at least 1 (got \(snapshotEvery))") }
        if maxCatchUp < 1 { throw .invalidArgument("maxCatchUp must be at least 1 (got \(maxCatchUp))") }
        if let p = defaultRetry.problem(functions: retryFunctions) { throw .invalidArgument("defaultRetry: \(p)") }
        // A task's record holds ids, names and queues of up to 256 bytes each, and an error text.
        if journal.maxRecordSize < 4096 {
            throw .invalidArgument("journal.maxRecordSize must be at least 4096 bytes for a Docket (got \(journal.maxRecordSize)): a task's record alone can take 1 KiB")
        }
    }
}
