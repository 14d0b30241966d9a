import Foundation

extension Docket {
    /// Enqueues one task for handler `name` and returns it once its record is durable (under
    /// the configured durability).
    ///
    /// With `options.id` set, the id is an idempotency key: when a task with that id exists,
    /// this returns the existing task unchanged (or throws `duplicateTask` with
    /// `onConflict: .fail`) — also when several callers race with the same id.
    ///
    /// ```swift
    /// let task = try await docket.enqueue("resize", payload: Image(url: u), options: TaskOptions(id: "resize-\(u)"))
    /// ```
    @discardableResult
    public nonisolated func enqueue<P: Encodable & Sendable>(_ name: String, payload: P, options: TaskOptions = TaskOptions()) async throws(DocketError) -> TaskInfo {
        // Encoding and waiting for the sync happen off the actor, so concurrent producers
        // encode in parallel and the actor only records the task.
        let bytes: [UInt8]
        do { bytes = try configuration.codec.encode(payload).trimmedForStorage } catch { throw .encodingFailed("\(error)") }
        let (entry, sequence) = try await enqueueOne(name, options: options, payload: bytes)
        try await waitDurable(sequence)
        return TaskInfo(entry)
    }

    /// `enqueueEncoded` for one task, without the arrays and the set a batch needs (the path
    /// every single enqueue takes, many producers at once).
    func enqueueOne(_ name: String, options: TaskOptions, payload: [UInt8]) throws(DocketError) -> (TaskEntry, UInt64) {
        guard !isClosed else { throw .closed }
        // A reserved id is refused even when its task exists: that task is a workflow's step
        // or a schedule's occurrence, not one this call could have made.
        if let id = options.id, let refusal = reservation(of: id) { throw refusal }
        if let id = options.id, let existing = state.tasks[id] {
            if options.onConflict == .fail { throw .duplicateTask(id) }
            return (existing, journal?.lastSequence ?? 0)
        }
        let now = try clockReading()
        let entry = try makeEntry(name, payload: payload, options: options, now: now)
        let sequence: UInt64
        do {
            sequence = try commit(.enqueue(entry))
        } catch .journal(.recordTooLarge(let size, let limit)) {
            throw Self.tooLarge([entry], size: size, limit: limit)
        }
        emit(.enqueued, entry, at: now, runAt: entry.runAt)
        noteNewRunTime(entry.runAt)
        return (entry, sequence)
    }

    /// Enqueues several tasks in one journal write and one sync; returns them in order once
    /// all are durable. Validation happens first: if any task is invalid, none is enqueued.
    /// Ids that already exist follow each task's `onConflict`.
    ///
    /// Each task is its own journal record: a crash before the call returns (a power loss
    /// during the sync, or a batch larger than one write group) can keep a leading part of the
    /// batch, never a later task without the earlier ones. Give the tasks ids, and enqueueing
    /// the whole batch again after a crash is idempotent.
    @discardableResult
    public nonisolated func enqueue(batch: [NewTask]) async throws(DocketError) -> [TaskInfo] {
        guard !batch.isEmpty else { return [] }
        var encoded: [[UInt8]] = []
        encoded.reserveCapacity(batch.count)
        for (i, task) in batch.enumerated() {
            do { encoded.append(try task.encode(configuration.codec).trimmedForStorage) } catch {
                throw .encodingFailed("\(Self.batchTask(i, task)): \(error)")
            }
        }
        let (entries, sequence) = try await enqueueEncoded(batch, payloads: encoded)
        try await waitDurable(sequence)
        return entries.map(TaskInfo.init)
    }

    /// The actor's part of a batch: validate all, then journal and apply the new tasks in one
    /// write. Returns each task (new, or the existing one for a known id) and the sequence to
    /// wait for (for existing ids, the journal's last: it covers their records).
    ///
    /// Written for batches of thousands: the tasks go from validation to the journal and the
    /// table without a `Mutation` array or a second array of entries, and a run of tasks with
    /// the same attempts, retry policy and timeout checks those once.
    func enqueueEncoded(_ batch: [NewTask], payloads: [[UInt8]]) throws(DocketError) -> ([TaskEntry], UInt64) {
        guard !isClosed else { throw .closed }
        let now = try clockReading()
        var created: [TaskEntry] = []
        created.reserveCapacity(batch.count)
        // Per task: its index in `created`, or -1 for an existing id.
        var position = [Int32](repeating: -1, count: batch.count)
        // The ids of this batch's new tasks, to catch a repeat before anything is journaled
        // (generated ones too, which an explicit id could name); not needed without explicit ids.
        let tracksIDs = batch.contains { $0.options.id != nil }
        var seen: Set<String> = []
        if tracksIDs { seen.reserveCapacity(batch.count) }
        var settings = SettingsCache()
        var next = state.nextSequence
        for i in batch.indices {
            let options = batch[i].options
            if let id = options.id {
                if let refusal = reservation(of: id) { throw refusal }
                if readTasks({ $0.contains(id) }) || seen.contains(id) {
                    if options.onConflict == .fail { throw .duplicateTask(id) }
                    continue
                }
            }
            var entry: TaskEntry
            do {
                entry = try makeEntry(batch[i].name, payload: payloads[i], options: options, now: now, settings: &settings, taken: seen)
            } catch .invalidArgument(let message) {
                // Which of the batch's tasks: a name's length, say, does not tell.
                throw .invalidArgument("\(Self.batchTask(i, batch[i])): \(message)")
            }
            if tracksIDs { seen.insert(entry.id) }
            entry.sequence = next
            next += 1
            position[i] = Int32(created.count)
            created.append(entry)
        }
        var sequence = journal?.lastSequence ?? 0
        if !created.isEmpty {
            do {
                sequence = try commit(enqueues: created)
            } catch .journal(.recordTooLarge(let size, let limit)) {
                throw Self.tooLarge(created, size: size, limit: limit)
            }
        }
        var earliest: Micros?
        for i in created.indices {
            emit(.enqueued, created[i], at: now, runAt: created[i].runAt)
            earliest = min(earliest ?? created[i].runAt, created[i].runAt)
        }
        if let earliest { noteNewRunTime(earliest) }
        guard created.count < batch.count else { return (created, sequence) }
        var result: [TaskEntry] = []
        result.reserveCapacity(batch.count)
        for i in batch.indices {
            if position[i] >= 0 {
                result.append(created[Int(position[i])])
            } else if let id = batch[i].options.id, let existing = state.tasks[id] {
                result.append(existing)
            }
        }
        return (result, sequence)
    }

    /// The journal refused a record of `size` bytes as too large: which task it was and what to
    /// do, instead of a journal error that reads as a failed journal (nothing was written; it
    /// works on). The journal's own error if no task's record is over the limit.
    static func tooLarge(_ entries: [TaskEntry], size: Int, limit: Int) -> DocketError {
        for t in entries {
            var w = BinaryWriter(capacity: 128 + t.payload.count)
            EngineCodec.encodeEnqueue(t, into: &w)
            guard w.bytes.count > limit else { continue }
            return .invalidArgument("task \"\(t.id)\" is \(w.bytes.count) bytes as a journal record (its payload \(t.payload.count)), more than journal.maxRecordSize (\(limit) bytes): store large data elsewhere and enqueue a reference to it, or raise configuration.journal.maxRecordSize")
        }
        return .journal(.recordTooLarge(size: size, limit: limit))
    }

    /// "batch task 3 (\"id\")": where a batch's error comes from.
    static func batchTask(_ index: Int, _ task: NewTask) -> String {
        "batch task \(index)" + (task.options.id.map { " (\"\($0)\")" } ?? "")
    }

    /// The resource key prefix of the occurrences of schedules with overlap `.queue`.
    static let scheduleKeyPrefix = "schedule:"

    func makeEntry(_ name: String, payload: [UInt8], options: TaskOptions, now: Micros, scheduleID: String? = nil) throws(DocketError) -> TaskEntry {
        var settings = SettingsCache()
        return try makeEntry(name, payload: payload, options: options, now: now, scheduleID: scheduleID, settings: &settings)
    }

    /// The run settings last checked, so that a batch whose tasks share them checks them once.
    struct SettingsCache {
        var maxAttempts: Int?
        var priority = 0
        var retry: RetryPolicy?
        var timeout: Duration?
        var checked: (maxAttempts: Int, retry: RetryPolicy, timeout: Duration?)?
    }

    /// `taken`: ids of this batch not yet in the table, which a generated id must avoid too.
    func makeEntry(_ name: String, payload: [UInt8], options: TaskOptions, now: Micros, scheduleID: String? = nil,
                   settings: inout SettingsCache, taken: Set<String> = []) throws(DocketError) -> TaskEntry {
        guard !isClosed else { throw .closed }
        try Self.validateName(name, what: "handler name")
        if !configuration.allowUnregisteredHandlers, !handlers.contains(name) { throw .unknownHandler(name) }
        var id: String
        if let given = options.id {
            id = given
        } else {
            id = generateID()
            // A clock stepped back (or a restart within the millisecond of an earlier run) can
            // generate an id again; so can a caller's own id in this format.
            while readTasks({ $0.contains(id) }) || taken.contains(id) { id = generateID() }
        }
        try Self.validateName(id, what: "task id")
        try Self.validateName(options.queue, what: "queue name")
        if let key = options.key {
            try Self.validateName(key, what: "serialization key")
            guard !key.hasPrefix(Self.scheduleKeyPrefix) else {
                throw .invalidArgument("the key \"\(key)\" of task \"\(id)\" starts with \"\(Self.scheduleKeyPrefix)\", which is reserved for the occurrences of schedules with overlap .queue; use another prefix")
            }
        }
        let maxAttempts: Int, retry: RetryPolicy, timeout: Duration?
        if let checked = settings.checked, settings.maxAttempts == options.maxAttempts, settings.priority == options.priority,
           settings.timeout == options.timeout, settings.retry == options.retry {
            (maxAttempts, retry, timeout) = checked
        } else {
            (maxAttempts, retry, timeout) = try runSettings(maxAttempts: options.maxAttempts, priority: options.priority, retry: options.retry,
                                                            timeout: options.timeout, of: "task \"\(id)\"")
            settings = SettingsCache(maxAttempts: options.maxAttempts, priority: options.priority, retry: options.retry, timeout: options.timeout,
                                     checked: (maxAttempts, retry, timeout))
        }
        // Ignored beside `runAt`, as documented: only a delay in use must not be negative.
        if options.runAt == nil, let delay = options.delay, delay < .zero {
            throw .invalidArgument("the delay of task \"\(id)\" must not be negative (got \(delay))")
        }
        var runAt = now
        if let at = options.runAt {
            guard at.timeIntervalSince1970.isFinite else { throw .invalidArgument("runAt of task \"\(id)\" is not a finite date") }
            runAt = Time.micros(at)
        } else if let delay = options.delay {
            runAt = Time.add(now, Time.micros(delay))
        }
        let sequence = state.nextSequence
        return TaskEntry(id: id, name: name, payload: payload, queue: options.queue, priority: options.priority, key: options.key,
                         runAt: runAt, attempt: 0, maxAttempts: maxAttempts, retry: retry, timeout: timeout.map(Time.micros) ?? 0,
                         status: .scheduled, createdAt: now, sequence: sequence, scheduleID: scheduleID,
                         runAtFromClock: options.runAt == nil)
    }

    /// The attempts, retry policy and timeout a task runs with — its own or the configuration's
    /// defaults — checked along with its priority; shared by tasks and by schedules, which hand
    /// them to every occurrence. `owner` names it in errors (`task "a"`, `schedule "b"`).
    func runSettings(maxAttempts: Int?, priority: Int, retry: RetryPolicy?, timeout: Duration?,
                     of owner: String) throws(DocketError) -> (maxAttempts: Int, retry: RetryPolicy, timeout: Duration?) {
        let maxAttempts = maxAttempts ?? configuration.defaultMaxAttempts
        guard (1...1_000_000).contains(maxAttempts) else { throw .invalidArgument("maxAttempts of \(owner) must be 1…1,000,000 (got \(maxAttempts))") }
        guard Int(Int32.min)...Int(Int32.max) ~= priority else {
            throw .invalidArgument("the priority of \(owner) must fit in 32 bits (got \(priority))")
        }
        let retry = retry ?? configuration.defaultRetry
        if let problem = retry.problem(functions: configuration.retryFunctions) { throw .invalidArgument("retry policy of \(owner): \(problem)") }
        let timeout = timeout ?? configuration.defaultTimeout
        // Stored in whole microseconds, where 0 means none: a shorter one would silently vanish.
        if let timeout, timeout < .microseconds(1) { throw .invalidArgument("the timeout of \(owner) must be at least 1 µs (got \(timeout))") }
        return (maxAttempts, retry, timeout)
    }

    /// Why a caller's task may not have `id`, if it may not: it is a step id of a workflow, or
    /// an occurrence id of a schedule (`<schedule id>@<canonical UTC time>`, as `fire` makes
    /// them; schedule ids contain no "@"), and a task under it would take that one's place.
    func reservation(of id: String) -> DocketError? {
        // On the bytes, as cancellation ids are made (see `cancellationDepth`).
        if Self.cancellationDepth(id) > 0 {
            // Taken by another task, a cancellation task could not be made, and every cancel of
            // its task would be refused.
            return .invalidArgument("the task id \"\(id)\" ends in \"\(Self.cancellationSuffix)\", which is reserved for the cancellation tasks of cancelled tasks (<id>\(Self.cancellationSuffix)); choose another")
        }
        if isReservedStepID(id) {
            return .invalidArgument("the task id \"\(id)\" is a step id of a workflow (<workflow id>/<stage>/<step>), reserved until that workflow is purged; choose another")
        }
        guard !state.schedules.isEmpty, let at = id.firstIndex(of: "@") else { return nil }
        let schedule = String(id[..<at]), stamp = String(id[id.index(after: at)...])
        guard state.schedules[schedule] != nil, let micros = UTCStamp.micros(stamp), UTCStamp.string(micros) == stamp else { return nil }
        return .invalidArgument("the task id \"\(id)\" is an occurrence id of schedule \"\(schedule)\" (<schedule id>@<time>), reserved for its occurrences; choose another")
    }

    static func validateName(_ s: String, what: String) throws(DocketError) {
        let n = s.utf8.count
        guard n >= 1, n <= 256 else { throw .invalidArgument("the \(what) must be 1…256 bytes of UTF-8 (got \(n) bytes)") }
    }

    /// Wakes the timer loop when a run time is earlier than what it sleeps until.
    func noteNewRunTime(_ runAt: Micros) {
        guard isRunning else { return }
        if armedDeadline.map({ runAt < $0 }) ?? true {
            armedDeadline = runAt
            wakeup.signal()
        }
    }
}
