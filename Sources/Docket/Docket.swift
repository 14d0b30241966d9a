import DocketJournal
import DocketSchedules
import Foundation

/// An embedded, durable task scheduler: delayed, recurring and retried jobs in your process,
/// every change in a journal that survives a crash.
///
/// ```swift
/// struct Email: Codable, Sendable { var to: String }
///
/// let docket = try await Docket.open(directory: "state/docket")
/// docket.register("email", payload: Email.self) { email, job in
///     try await send(email)
/// }
/// try await docket.enqueue("email", payload: Email(to: "a@example.com"), options: TaskOptions(delay: .seconds(5)))
/// try await docket.schedule("nightly-report", parsing: "CRON_TZ=Europe/Paris 0 2 * * *", handler: "report", payload: Report())
/// try await docket.run()   // until the surrounding task is cancelled
/// ```
///
/// Delivery is at least once: a task running when the process stops counts that attempt and
/// runs again per its retry policy. State lives in memory; every mutation is journaled first.
public actor Docket {
    /// The configuration it was opened with.
    public nonisolated let configuration: DocketConfiguration
    /// What opening found: the journal's recovery report and the tasks it had to recover.
    public nonisolated let recoveryReport: DocketRecoveryReport

    let journal: Journal?
    let handlers = HandlerRegistry()
    let hub = EventHub()
    let wakeup = Wakeup()
    /// Results of finished handlers, waiting for the timer loop.
    let completions = Completions()

    var state: EngineState
    /// Due tasks ordered by (priority, run at, sequence).
    var ready = BinaryHeap<ReadyItem>()
    /// Due tasks waiting for their key or queue to have room, so dispatch does not look at them
    /// again on every tick.
    var parked: [ParkingGroup: BinaryHeap<ReadyItem>] = [:]
    /// Running attempts started by this process, by task id.
    var inFlight: [String: InFlight] = [:]
    /// Tasks whose grouped call was cancelled because another task of it lost its lease, with
    /// their lease: their failure is not their own, so that attempt does not count.
    var cutShort: [String: UInt64] = [:]
    var leaseDeadlines = BinaryHeap<LeaseDeadline>()
    var concurrency: Int
    var queueLimits: [String: Int]
    var isRunning = false
    var isStopping = false
    /// Set by `close()` while `run()` runs: the loop ends as if cancelled.
    var stopRequested = false
    /// Between the start and the end of closing (journal sync, snapshot, close).
    var isClosing = false
    var isClosed = false
    /// `close()` calls waiting for a close under way (the loop's, or another call's) to end.
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var armedDeadline: Micros?
    /// The latest wall-clock time the timer loop has read, to tell a clock step back
    /// (`noteWallClock`).
    var wallHighWater: Micros = -Time.limit
    /// Clock steps back seen since opening.
    var clockStepsBack = 0
    /// When the timer loop last read the system clock, on `ContinuousClock` (nil on other
    /// clocks), and what it read.
    var lastLookMono: ContinuousClock.Instant?
    var lastLookWall: Micros = 0
    /// Whether the clock is the system's (so steps are measured on `ContinuousClock`), decided
    /// once: `configuration.clock is SystemClock` copies the whole configuration and casts, which
    /// cost single enqueues ~25 % of the engine's own ceiling once every one checked for steps.
    let clockIsSystem: Bool
    var recordsSinceSnapshot = 0
    var snapshotInFlight = false
    var random: SplitMix64
    var idCounter: UInt64 = 0
    var lastIDMillis: Int64 = 0
    var runStats = RunStatistics()
    /// Events from `open` (recovered tasks, and what their workflows did), delivered when
    /// `run()` starts.
    var pendingEvents: [DocketEvent] = []
    /// True while `open` recovers: nobody can subscribe yet, so events go to `pendingEvents`.
    var holdingEvents = false
    /// Set while a call commits and then announces its own outcomes: workflow effects of its
    /// commits wait for `releaseWorkflowEffects`, so that a cause is announced before its effect.
    var holdWorkflowEffects = false
    /// Tests: a catch-up written in several records stops (throws) after this many, leaving
    /// the journal as a crash between them would.
    var catchUpPartsBeforeFailure: Int?
    /// The most nominal times a catch-up scan looks at one by one; beyond, the fires up to
    /// shortly before now are counted (`countFires`) and a second scan looks at the rest.
    /// (Tests lower it.)
    var catchUpScanLimit = 1_000_000
    /// Tests: whether the engine has nothing left to do by itself now — its loop parked, no
    /// finished attempt waiting to be taken, everything journaled acknowledged. (Running
    /// handlers may still end and wake it.)
    var isQuiet: Bool {
        wakeup.isParked && completions.count == 0 && (journal.map { $0.durableSequence >= $0.lastSequence } ?? true)
    }

    /// Tests: finished attempts wait in `completions` while set, so that a test can act
    /// between a handler's end and the loop taking its result.
    var holdsCompletions = false
    /// Whether an event built now would reach anyone (events cost nothing when not).
    var wantsEvents: Bool { holdingEvents || hub.hasSubscribers }

    struct ReadyItem: Comparable, Sendable {
        var priority: Int
        var runAt: Micros
        var sequence: UInt64
        var version: UInt32
        var id: String
        static func < (a: ReadyItem, b: ReadyItem) -> Bool {
            (a.priority, a.runAt, a.sequence) < (b.priority, b.runAt, b.sequence)
        }
    }

    enum ParkingGroup: Hashable {
        case key(String)
        case queue(String)
    }

    struct InFlight {
        var lease: UInt64
        var handle: Task<Void, Never>?
        var deadline: Micros?
        /// The other tasks of a grouped handler's call (they share `handle`), with their leases.
        var mates: [(id: String, lease: UInt64)] = []
    }

    struct LeaseDeadline: Comparable, Sendable {
        var at: Micros
        var lease: UInt64
        var id: String
        static func < (a: LeaseDeadline, b: LeaseDeadline) -> Bool { (a.at, a.lease) < (b.at, b.lease) }
    }

    init(configuration: DocketConfiguration, journal: Journal?, state: EngineState, report: DocketRecoveryReport) {
        self.configuration = configuration
        self.journal = journal
        self.state = state
        self.state.recordsWorkflowEffects = true
        self.recoveryReport = report
        concurrency = configuration.concurrency
        queueLimits = configuration.queueLimits
        clockIsSystem = configuration.clock is SystemClock
        random = SplitMix64(seed: UInt64(truncatingIfNeeded: Time.micros(configuration.clock.now())) ^ 0x9E37_79B9_7F4A_7C15)
    }

    // MARK: Opening

    /// Opens (creating if needed) a journaled Docket in `directory`: recovers the journal,
    /// rebuilds every task and schedule, and counts the attempt of each task that was running
    /// when the process stopped (it retries per its policy, or fails when out of attempts).
    ///
    /// - Throws: `DocketError.journal` when the directory is locked by another instance or the
    ///   journal is damaged beyond what the recovery mode repairs; `.unreadableState` when the
    ///   journal holds engine records this version cannot read (nothing is changed then).
    public static func open(directory: String, configuration: DocketConfiguration = DocketConfiguration()) async throws(DocketError) -> Docket {
        try await open(directory: directory, configuration: configuration, progress: nil)
    }

    /// `open`, calling `progress` with the sequence of each record replayed (the command
    /// line's progress line).
    package static func open(directory: String, configuration: DocketConfiguration,
                             progress: ((UInt64) -> Void)?) async throws(DocketError) -> Docket {
        try configuration.validate()
        var journalConfiguration = configuration.journal
        journalConfiguration.durability = configuration.durability
        // Growing a dictionary of a million tasks step by step costs more than the replay
        // itself; size it from the journal's bytes (an enqueue record is ≥ 100 bytes).
        let estimate = min(Self.journalBytes(directory) / 100, 50_000_000)
        let (state, journal) = try StateLoader.replay(reserving: estimate) { snapshot, record in
            guard let progress else {
                return try Journal.openBorrowing(directory: directory, configuration: journalConfiguration, snapshot: snapshot, recordView: record)
            }
            return try Journal.openBorrowing(directory: directory, configuration: journalConfiguration, snapshot: snapshot) { view in
                progress(view.sequence)
                try record(view)
            }
        }
        var report = DocketRecoveryReport(journal: journal.recoveryReport, tasks: state.tasks.count, schedules: state.schedules.count,
                                          interrupted: state.tasks.ids(withStatus: .running).sorted())
        report.missingRetryFunctions = Self.missingRetryFunctions(in: state, configuration: configuration)
        let docket = Docket(configuration: configuration, journal: journal, state: state, report: report)
        do {
            try await docket.recoverInterrupted()
        } catch {
            // The caller gets no instance to close: release the directory now, so that opening
            // it again (once the cause is fixed) does not find it locked.
            try? await journal.close()
            throw error
        }
        return docket
    }

    /// The `.custom` retry function names in `state` that `configuration` has no function for.
    static func missingRetryFunctions(in state: EngineState, configuration: DocketConfiguration) -> [String] {
        func missing(_ p: RetryPolicy) -> Bool {
            if case .custom(let name) = p { return configuration.retryFunctions[name] == nil }
            return false
        }
        // Tasks that can still fail: finished ones keep their policy until purged. The interned
        // policies first (a handful), the rows only when one of them names a missing function.
        var policies = state.tasks.retryPolicies.contains(where: missing)
            ? state.tasks.retryPolicies(ofTasksIn: [.scheduled, .running, .paused]) : []
        policies += state.schedules.values.map(\.retry)
        for w in state.workflows.values where w.status == .running {
            for stage in w.stages { policies += stage.steps.map(\.retry) }
        }
        var missing = Set<String>()
        for case .custom(let name) in policies where configuration.retryFunctions[name] == nil { missing.insert(name) }
        return missing.sorted()
    }

    /// The bytes of the segment files in `directory` (0 if it cannot be listed).
    static func journalBytes(_ directory: String) -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var total = 0
        for f in files where f.hasPrefix("wal-") && f.hasSuffix(".log") {
            let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + f)[.size] as? Int) ?? 0
            total += size
        }
        return total
    }

    /// A Docket with no journal: the same engine, state in memory only (lost when the process
    /// ends). For tests, caches of work that can be recreated, and benchmarks.
    public static func inMemory(configuration: DocketConfiguration = DocketConfiguration()) throws(DocketError) -> Docket {
        try configuration.validate()
        return Docket(configuration: configuration, journal: nil, state: EngineState(),
                      report: DocketRecoveryReport(journal: nil, tasks: 0, schedules: 0, interrupted: []))
    }

    /// Tasks that were running when the previous process stopped: that attempt counts.
    private func recoverInterrupted() async throws(DocketError) {
        let now = nowMicros()
        var last: UInt64 = 0
        // Nobody can subscribe before `open` returns: events are kept for the start of `run()`.
        holdingEvents = true
        defer { holdingEvents = false }
        for id in recoveryReport.interrupted {
            // Still running: an earlier one's failure may have ended its workflow stage.
            guard let t = state.tasks[id], t.status == .running else { continue }
            let m = failure(of: t, lease: t.lease, error: "the process stopped while this attempt was running", control: nil, now: now)
            // The commit announces what the failure did to its workflow; the failure itself
            // goes first.
            let mark = pendingEvents.count
            last = try commit(m)
            if let after = state.tasks[id] {
                pendingEvents.insert(DocketEvent(kind: .recovered, taskID: id, attempt: after.attempt, at: Time.date(now),
                                                 runAt: after.status == .scheduled ? Time.date(after.runAt) : nil, name: after.name,
                                                 scheduleID: after.scheduleID, error: after.lastError), at: mark)
            }
        }
        if last > 0 { try await waitDurable(last) }
    }

    // MARK: Handlers

    /// Registers the handler for tasks named `name`, whose payloads decode as `Payload`. The
    /// handler's return value is encoded as the task's output. Registering a name again
    /// replaces the handler.
    public nonisolated func register<Payload: Decodable & Sendable, Output: Encodable & Sendable>(
        _ name: String, payload: Payload.Type = Payload.self,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Output
    ) {
        let codec = configuration.codec
        handlers.set(name, AnyHandler(run: { context, bytes in
            let value: Payload
            do { value = try codec.decode(Payload.self, from: bytes) } catch {
                throw PayloadDecodingFailure(name: name, underlying: "\(error)")
            }
            let output = try await handler(value, context)
            if output is Void || output is EmptyOutput { return nil }
            return try codec.encode(output).trimmedForStorage
        }))
    }

    /// Registers a handler without output.
    public nonisolated func register<Payload: Decodable & Sendable>(
        _ name: String, payload: Payload.Type = Payload.self,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Void
    ) {
        register(name, payload: payload) { (p: Payload, c: JobContext) async throws -> EmptyOutput in
            try await handler(p, c)
            return EmptyOutput()
        }
    }

    /// Registers what runs when a task of handler `name` is cancelled (by `cancel`, a query, or
    /// `cancelSchedule`): a task for this handler, with the cancelled task's payload, queue and
    /// priority, created in the same journal record as the cancellation and retried per its own
    /// `maxAttempts` and `retry`. Its id is the cancelled task's id + `~cancel`, its handler name
    /// `name` + `~cancel`. Say, a refund for a cancelled charge:
    ///
    /// ```swift
    /// docket.registerCancellation(for: "charge", payload: Charge.self, retry: .fixed(.seconds(30))) { charge, _ in
    ///     try await payments.void(charge.id)      // the charge may or may not have run
    /// }
    /// ```
    ///
    /// It runs whether or not the cancelled task had started (its handler may have done part of
    /// its work), and it may start while a cancelled handler that ignores cancellation is still
    /// finishing: make it safe to run after, or alongside, a late run of the original. There is
    /// at most one per task id (a task retried and cancelled again gets none the second time).
    /// Workflow steps get none: workflows compensate with their own stages. An id too long for
    /// the suffix gets a shortened one (its first 200 bytes, a hash, the suffix).
    ///
    /// - Throws: `invalidArgument` for a handler name too long for the suffix, `maxAttempts`
    ///   outside 1…1,000,000, or an invalid retry policy.
    public nonisolated func registerCancellation<Payload: Decodable & Sendable>(
        for name: String, payload: Payload.Type = Payload.self, maxAttempts: Int = 5, retry: RetryPolicy = .default,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Void
    ) throws(DocketError) {
        let cancellation = name + Self.cancellationSuffix
        try Self.validateName(cancellation, what: "cancellation handler name (handler name + \"\(Self.cancellationSuffix)\")")
        guard (1...1_000_000).contains(maxAttempts) else {
            throw .invalidArgument("maxAttempts of the cancellation handler of \"\(name)\" must be 1…1,000,000 (got \(maxAttempts))")
        }
        if let problem = retry.problem(functions: configuration.retryFunctions) {
            throw .invalidArgument("retry policy of the cancellation handler of \"\(name)\": \(problem)")
        }
        register(cancellation, payload: payload, handler: handler)
        handlers.setCancellation(for: name, CancellationSpec(handler: cancellation, maxAttempts: maxAttempts, retry: retry))
    }

    /// The names of the registered handlers.
    public nonisolated var handlerNames: [String] { handlers.names.sorted() }

    // MARK: Events

    /// A stream of everything that happens from now on (and of what `open` did while
    /// recovering, delivered with the next event or when `run()` starts). Each call makes an
    /// independent stream; it ends when the Docket shuts down. A subscriber more than 65,536 events behind
    /// loses the oldest.
    public nonisolated func events() -> AsyncStream<DocketEvent> { hub.subscribe() }

    // MARK: Committing mutations

    /// Journals `m` (without waiting for durability) and applies it. The journal comes first:
    /// if it refuses, nothing changes.
    @discardableResult
    func commit(_ m: Mutation) throws(DocketError) -> UInt64 {
        guard !isClosed else { throw .closed }
        var sequence: UInt64 = 0
        if let journal {
            do {
                sequence = try journal.submit(EngineCodec.encode(m), tag: EngineCodec.recordTag, timestamp: recordTimestamp())
            } catch let e as JournalError {
                throw .journal(e)
            } catch {
                throw .journal(.invalidArgument("\(error)"))
            }
            recordsSinceSnapshot += 1
        }
        state.apply(m)
        afterApplying()
        return sequence
    }

    /// What follows every commit: workflow effects are acted on by the timer loop's next turn,
    /// after the caller's own events (at once when there is no loop); a snapshot when due.
    private func afterApplying() {
        if !state.workflowEffects.isEmpty {
            if isRunning && !isStopping { wakeup.signal() } else if !holdWorkflowEffects { actOnWorkflowEffects() }
        }
        if recordsSinceSnapshot >= configuration.snapshotEvery { startSnapshot() }
    }

    /// Reads the task table in place. `state.tasks.peek(id)` on the actor's stored property
    /// copies the whole table first (`state` lives in a class, and the compiler cannot prove
    /// the call leaves it alone), retaining and releasing its two dozen buffers — several times
    /// per task on the hot paths. Through `inout` the table is borrowed, not copied.
    @inline(__always)
    func readTasks<R>(_ body: (inout TaskTable) -> R) -> R { body(&state.tasks) }

    /// Journals several mutations in one step (one lock, one wake of the journal's writer) and
    /// applies them in order; returns the last sequence.
    @discardableResult
    func commit(all ms: [Mutation]) throws(DocketError) -> UInt64 {
        guard !isClosed else { throw .closed }
        guard ms.count > 1 else { return try ms.first.map { m throws(DocketError) in try commit(m) } ?? 0 }
        let sequence = try journalPacked(ms.count, bytesEach: 48) { i, w in EngineCodec.encode(ms[i], into: &w) }
        for m in ms { state.apply(m) }
        afterApplying()
        return sequence
    }

    /// `commit(all:)` for new tasks only (a batch enqueue): each entry is encoded and applied
    /// from the array in place, not wrapped in a `Mutation` first, which copies it.
    func commit(enqueues entries: [TaskEntry]) throws(DocketError) -> UInt64 {
        guard !isClosed else { throw .closed }
        let sequence = try journalPacked(entries.count, bytesEach: 96) { i, w in EngineCodec.encodeEnqueue(entries[i], into: &w) }
        for i in entries.indices { state.applyEnqueue(entries[i]) }
        afterApplying()
        return sequence
    }

    /// Submits `count` records, record `i` written by `encode(i, &w)`, in one buffer (not an
    /// array per record) and one submit; returns the last sequence (0 without a journal).
    private func journalPacked(_ count: Int, bytesEach: Int, _ encode: (Int, inout BinaryWriter) -> Void) throws(DocketError) -> UInt64 {
        guard let journal else { return 0 }
        var w = BinaryWriter(capacity: count * bytesEach)
        var ends: [Int] = []
        ends.reserveCapacity(count)
        for i in 0..<count {
            encode(i, &w)
            ends.append(w.bytes.count)
        }
        let sequence: UInt64
        do {
            sequence = try journal.submit(packed: w.bytes, ends: ends, tag: EngineCodec.recordTag,
                                          timestamp: recordTimestamp()).upperBound
        } catch let e as JournalError {
            throw .journal(e)
        } catch {
            throw .journal(.invalidArgument("\(error)"))
        }
        recordsSinceSnapshot += count
        return sequence
    }

    /// Waits until the journal has `sequence` under the configured durability.
    nonisolated func waitDurable(_ sequence: UInt64) async throws(DocketError) {
        guard let journal, sequence > 0 else { return }
        do { try await journal.waitUntilDurable(sequence) } catch let e as JournalError { throw .journal(e) } catch {
            throw .journal(.invalidArgument("\(error)"))
        }
    }

    /// The journal timestamp of a record written now: nanoseconds, saturating past year 2554
    /// (wrapping would send `inspect(at:)` to the wrong records).
    func recordTimestamp() -> UInt64 {
        let (ns, overflow) = UInt64(max(0, nowMicros())).multipliedReportingOverflow(by: 1000)
        return overflow ? UInt64.max : ns
    }

    /// Writes a snapshot of a copy of the state, encoded and written off the actor.
    func startSnapshot() {
        guard let journal, !snapshotInFlight else { return }
        snapshotInFlight = true
        recordsSinceSnapshot = 0
        let copy = state
        let through = journal.lastSequence
        Task.detached { [weak self] in
            let bytes = EngineCodec.encodeSnapshot(copy)
            try? await journal.writeSnapshot(bytes, lastSequence: through)
            await self?.snapshotFinished()
        }
    }

    private func snapshotFinished() { snapshotInFlight = false }

    // MARK: Helpers

    func nowMicros() -> Micros { Time.micros(configuration.clock.now()) }

    func emit(_ kind: DocketEvent.Kind, _ t: TaskEntry, at: Micros, runAt: Micros? = nil, error: String? = nil) {
        guard wantsEvents else { return }
        publish(DocketEvent(kind: kind, taskID: t.id, attempt: t.attempt, at: Time.date(at), runAt: runAt.map(Time.date),
                            name: t.name, scheduleID: t.scheduleID, error: error))
    }

    /// Sends `event` to the subscribers, or keeps it while `open` recovers. Kept events go out
    /// before the next one that reaches a subscriber, or when `run()` starts, so the order
    /// stays causal even when calls come between `open` and `run()`.
    func publish(_ event: DocketEvent) {
        var event = event
        if let error = event.error, error.utf8.count > Self.eventErrorLimit {
            event.error = Self.cut(error, to: Self.eventErrorLimit, why: "the rest is in the task's lastError")
        }
        if holdingEvents {
            pendingEvents.append(event)
            return
        }
        if !pendingEvents.isEmpty && hub.hasSubscribers { releaseHeldEvents() }
        hub.emit(event)
    }

    /// Sends the events kept during `open`.
    func releaseHeldEvents() {
        let held = pendingEvents
        pendingEvents = []
        for e in held { hub.emit(e) }
    }

    /// A time-ordered id: milliseconds since the epoch and a counter, in hex, so ids sort by
    /// creation time.
    func generateID() -> String {
        let ms = nowMicros() / 1000
        if ms > lastIDMillis {
            lastIDMillis = ms
            idCounter = 0
        } else {
            idCounter += 1
        }
        let hex = String(UInt64(max(0, lastIDMillis)), radix: 16)
        let counter = String(idCounter, radix: 16)
        return String(repeating: "0", count: max(0, 12 - hex.count)) + hex + "-" + String(repeating: "0", count: max(0, 6 - counter.count)) + counter
    }

    /// The mutation that ends a failed attempt: a retry at the policy's delay while attempts
    /// remain (an explicit `retry(after:)` sets the delay), else failed for good.
    func failure(of t: TaskEntry, lease: UInt64, error raw: String, control: JobControl?, now: Micros) -> Mutation {
        let error = boundedError(raw)
        var retryAt: Micros?
        switch control {
        case .fail: retryAt = nil
        case .retry(let after):
            if t.attempt < t.maxAttempts { retryAt = Time.add(now, max(0, Time.micros(after))) }
        case .snooze, nil:
            if t.attempt < t.maxAttempts,
               let delay = t.retry.delay(afterAttempt: t.attempt, unit: random.nextUnit(), functions: configuration.retryFunctions) {
                retryAt = Time.add(now, delay)
            } else if t.attempt < t.maxAttempts, case .custom(let name) = t.retry, configuration.retryFunctions[name] == nil {
                // Stored before a deploy that dropped the function: say why there is no retry.
                let note = " (not retried: its retry policy names the function \"\(name)\", which DocketConfiguration.retryFunctions does not have)"
                // The note goes after the error cut to leave room for it, so it is never lost.
                let head = Self.cut(raw, to: max(128, errorLimit - note.utf8.count), why: "cut to fit the journal")
                return .fail(id: t.id, lease: lease, error: head + note, retryAt: nil, at: now)
            }
        }
        return .fail(id: t.id, lease: lease, error: error, retryAt: retryAt, at: now)
    }
}

extension Docket {
    /// The most bytes of an error message a task keeps: a handler's error may describe a whole
    /// response body, and its record must fit in the journal (`maxRecordSize`).
    var errorLimit: Int { max(128, min(16 * 1024, recordRoom / 4)) }

    /// The bytes a task's own fields may take in one record, leaving room for the rest (ids,
    /// leases, times: at most 1 KiB, and half of a small record).
    var recordRoom: Int {
        guard journal != nil else { return Int.max / 2 }
        let limit = configuration.journal.maxRecordSize
        return limit - min(1024, limit / 2)
    }

    /// `error`, cut to `errorLimit` bytes (on a character boundary) with a note saying so.
    func boundedError(_ error: String) -> String {
        Self.cut(error, to: errorLimit, why: "cut to fit the journal")
    }

    /// `text` if it has at most `limit` UTF-8 bytes, else its head (whole characters) and a
    /// note saying how long it was and `why` it was cut, within `limit` bytes in all.
    static func cut(_ text: String, to limit: Int, why: String) -> String {
        guard text.utf8.count > limit else { return text }
        let note = "… (\(text.utf8.count) bytes, \(why))"
        var head = ""
        head.reserveCapacity(limit)
        var bytes = 0
        for ch in text {
            let n = ch.utf8.count
            if bytes + n > limit - note.utf8.count { break }
            head.append(ch)
            bytes += n
        }
        return head + note
    }

    /// The most bytes of an error an event carries: a stream buffers up to 65,536 events, and
    /// at the task's own limit (16 KiB) a stalled subscriber would hold a gigabyte.
    static let eventErrorLimit = 1024

    /// The mutation for a successful attempt: its output, or a permanent failure when the
    /// output cannot fit in a journal record (the record would be refused and stop the loop).
    func success(of id: String, lease: UInt64, output: [UInt8]?, now: Micros) -> Mutation {
        if let output, output.count > recordRoom - id.utf8.count {
            return .fail(id: id, lease: lease, error: "the handler's output of \(output.count) bytes does not fit in a journal record (maxRecordSize \(configuration.journal.maxRecordSize)); return less, or store it elsewhere and return a reference",
                         retryAt: nil, at: now)
        }
        return .succeed(id: id, lease: lease, output: output, at: now)
    }
}

/// The output of handlers that return nothing.
struct EmptyOutput: Codable, Sendable {}

/// What `Docket.open` found.
public struct DocketRecoveryReport: Sendable {
    /// The journal's report (snapshot used, records replayed, repairs); nil in memory.
    public var journal: RecoveryReport?
    /// Tasks recovered.
    public var tasks: Int
    /// Recurring schedules recovered.
    public var schedules: Int
    /// Tasks that were running when the previous process stopped; their attempt counted.
    public var interrupted: [String]
    /// `.custom` retry functions that tasks, schedules or workflows in the journal name and
    /// `DocketConfiguration.retryFunctions` does not have (say, renamed in a deploy). A task
    /// naming one is not retried: its next failure is its last, with this in its error. Add
    /// the functions back under these names to keep their retries.
    public var missingRetryFunctions: [String] = []
}
