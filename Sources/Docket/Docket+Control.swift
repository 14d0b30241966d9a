import Foundation

extension Docket {
    /// Cancels tasks that have not finished (a running handler's Swift task is cancelled and
    /// its result ignored). All or nothing: if any id is unknown or finished, nothing changes.
    /// A task whose handler has a cancellation handler (`registerCancellation`) gets its
    /// cancellation task created in the same journal record (at most one per task id).
    @discardableResult
    public func cancel(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        // Made (and checked) for all first, so that a bad one changes nothing; each record then
        // takes those of its ids, numbered in the order they are written. Unknown ids and
        // illegal transitions are reported first, as for the other control calls.
        try check(ids, action: "cancel", allowed: Self.cancellable)
        let planned = try cancellationTasks(for: ids, now: try clockReading())
        guard !planned.isEmpty else {
            return try await control(ids, action: "cancel", event: .cancelled, allowed: Self.cancellable) { .cancel($0, at: $1) }
        }
        let byID = Dictionary(planned.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // What each cancellation task adds to its record, measured (name, queue, payload and
        // all), so that records stay within the journal's size limit.
        let sizes = byID.mapValues { t in
            var w = BinaryWriter(capacity: 128 + t.payload.count)
            EngineCodec.write(t, &w)
            return w.bytes.count + 16
        }
        // A cancellation task goes in its task's cancel record: one that cannot fit there even
        // alone (a payload near the record limit) is refused before anything is written, so
        // that a list is not cancelled in part before it.
        if journal != nil {
            let limit = configuration.journal.maxRecordSize
            for id in ids {
                let cid = Self.cancellationID(for: id)
                guard let t = byID[cid], let size = sizes[cid], size + id.utf8.count > limit / 2 else { continue }
                // Measured with the largest time and sequence a record can hold: numbers take
                // more bytes as they grow (at 0 the record came out 7 bytes short of the real one).
                var widest = t
                widest.sequence = 1 << 62
                let alone = EngineCodec.encode(.cancelWithCompensation([id], created: [widest], at: Time.limit)).count
                guard alone > limit else { continue }
                throw .invalidArgument("task \"\(id)\" cannot be cancelled with its cancellation task \"\(cid)\": the two take \(alone) bytes, more than one journal record holds (journal.maxRecordSize \(limit)); raise configuration.journal.maxRecordSize")
            }
        }
        var written: [TaskEntry] = []
        return try await control(ids, action: "cancel", event: .cancelled, allowed: Self.cancellable, weight: { id in
            sizes[Self.cancellationID(for: id)] ?? 0
        }, announce: {
            // Also after a failure in a later record: what was written is announced, and before
            // the call waits for durability, as the loop may start them meanwhile (`.started`
            // came before their `.enqueued`).
            for t in written where state.tasks.contains(t.id) {
                emit(.enqueued, t, at: t.createdAt, runAt: t.runAt)
                noteNewRunTime(t.runAt)
            }
        }) { chunk, now in
            var created: [TaskEntry] = []
            var sequence = state.nextSequence
            for id in chunk {
                guard var t = byID[Self.cancellationID(for: id)] else { continue }
                t.sequence = sequence
                sequence += 1
                created.append(t)
            }
            written += created
            return created.isEmpty ? .cancel(chunk, at: now) : .cancelWithCompensation(chunk, created: created, at: now)
        }
    }

    /// The tasks of the cancellation handlers of `ids` (sequence numbers not yet assigned): for
    /// each whose handler has one and is not a workflow's step (workflows compensate with their
    /// own stages), unless its cancellation task exists already.
    private func cancellationTasks(for ids: [String], now: Micros) throws(DocketError) -> [TaskEntry] {
        guard handlers.hasCancellations else { return [] }
        var created: [TaskEntry] = []
        var planned: Set<String> = []
        for id in ids {
            guard let t = state.tasks[id], !t.status.isTerminal, let spec = handlers.cancellation(for: t.name),
                  state.workflowOfTask[id] == nil else { continue }
            let cid = Self.cancellationID(for: id)
            if let existing = state.tasks[cid] {
                guard existing.name == spec.handler else {
                    throw .invalidArgument("the cancellation task id \"\(cid)\" of task \"\(id)\" is taken by a task of \"\(existing.name)\"")
                }
                continue
            }
            // A set, not a search of `created`: a list of 20,000 took 24 s of actor time.
            guard planned.insert(cid).inserted else { continue }
            created.append(try makeEntry(spec.handler, payload: t.payload,
                                         options: TaskOptions(id: cid, queue: t.queue, priority: t.priority, maxAttempts: spec.maxAttempts,
                                                              retry: spec.retry),
                                         now: now))
        }
        return created
    }

    /// How many times `id` ends in the cancellation suffix (`a~cancel~cancel`: 2).
    static func cancellationDepth(_ id: String) -> Int {
        // On the bytes: cancellation ids are made by appending the suffix's bytes
        // (`cancellationID(for:)`), and a character-wise search costs grapheme breaking per id.
        var depth = 0
        var end = id.utf8.count
        let suffix = cancellationSuffix.utf8
        let bytes = id.utf8
        while end >= suffix.count {
            let from = bytes.index(bytes.startIndex, offsetBy: end - suffix.count)
            let to = bytes.index(from, offsetBy: suffix.count)
            guard bytes[from..<to].elementsEqual(suffix) else { break }
            depth += 1
            end -= suffix.count
        }
        return depth
    }

    /// Appended to a task's id and handler name for its cancellation task and handler.
    static let cancellationSuffix = "~cancel"

    /// `<id>~cancel`, or for an id too long for that, its first 200 bytes, a stable hash of the
    /// whole and the suffix (stable across processes: later cancels must find it again).
    static func cancellationID(for id: String) -> String {
        let plain = id + cancellationSuffix
        guard plain.utf8.count > 256 else { return plain }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        var prefix = ""
        for character in id {
            guard prefix.utf8.count + character.utf8.count <= 200 else { break }
            prefix.append(character)
        }
        return prefix + "~" + String(hash, radix: 16) + cancellationSuffix
    }

    /// Cancels one task.
    @discardableResult
    public func cancel(_ id: String) async throws(DocketError) -> TaskInfo { try await single(cancel([id])) }

    /// Holds tasks (scheduled or running: a running handler is cancelled; that attempt
    /// counts) until `resume`.
    @discardableResult
    public func pause(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "pause", event: .paused, allowed: Self.pausable) { .pause($0, at: $1) }
    }

    /// Pauses one task.
    @discardableResult
    public func pause(_ id: String) async throws(DocketError) -> TaskInfo { try await single(pause([id])) }

    /// Lets paused tasks run again at their run time (at once if it has passed). One paused
    /// while running on its last attempt gets one more, as `retryNow` gives a failed one.
    @discardableResult
    public func resume(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "resume", event: .resumed, allowed: Self.resumable) { .resume($0, at: $1) }
    }

    /// Resumes one task.
    @discardableResult
    public func resume(_ id: String) async throws(DocketError) -> TaskInfo { try await single(resume([id])) }

    /// Moves the run time of scheduled or paused tasks.
    @discardableResult
    public func reschedule(_ ids: [String], to date: Date) async throws(DocketError) -> [TaskInfo] {
        guard date.timeIntervalSince1970.isFinite else { throw .invalidArgument("the new run time is not a finite date") }
        let runAt = Time.micros(date)
        return try await control(ids, action: "reschedule", event: .rescheduled, allowed: Self.reschedulable) { .reschedule($0, runAt: runAt, at: $1) }
    }

    /// Reschedules one task.
    @discardableResult
    public func reschedule(_ id: String, to date: Date) async throws(DocketError) -> TaskInfo {
        try await single(reschedule([id], to: date))
    }

    /// Runs tasks now: a scheduled one (say, waiting out a retry delay) is due at once; a
    /// failed or cancelled one gets another attempt (one more if it had used them all); a
    /// paused one resumes now.
    @discardableResult
    public func retryNow(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "retry", event: .rescheduled, allowed: Self.retryable) { .retryNow($0, at: $1) }
    }

    /// Retries one task now.
    @discardableResult
    public func retryNow(_ id: String) async throws(DocketError) -> TaskInfo { try await single(retryNow([id])) }

    // MARK: By query

    /// Cancels every unfinished task (scheduled, running or paused) that matches `filter` —
    /// say, all tasks of one resource key: `cancel(matching: TaskFilter(key: "customer-42"))`.
    /// Finished tasks that match are left alone. Returns the cancelled tasks in enqueue order.
    ///
    /// The matches are found and changed in one turn of the actor, so no task can start or
    /// change in between. Up to 10,000 tasks go in one journal record, which a crash applies
    /// whole or not at all; a larger set is written in several, and a crash may keep a prefix.
    @discardableResult
    public func cancel(matching filter: TaskFilter) async throws(DocketError) -> [TaskInfo] {
        try await cancel(ids(matching: filter, allowed: Self.cancellable))
    }

    /// Pauses every scheduled or running task that matches `filter` (see `cancel(matching:)`
    /// for how matches are found and written). Returns the paused tasks.
    @discardableResult
    public func pause(matching filter: TaskFilter) async throws(DocketError) -> [TaskInfo] {
        try await pause(ids(matching: filter, allowed: Self.pausable))
    }

    /// Resumes every paused task that matches `filter`. Returns the resumed tasks.
    @discardableResult
    public func resume(matching filter: TaskFilter) async throws(DocketError) -> [TaskInfo] {
        try await resume(ids(matching: filter, allowed: Self.resumable))
    }

    /// Moves the run time of every scheduled or paused task that matches `filter`. Returns
    /// the moved tasks.
    @discardableResult
    public func reschedule(matching filter: TaskFilter, to date: Date) async throws(DocketError) -> [TaskInfo] {
        try await reschedule(ids(matching: filter, allowed: Self.reschedulable), to: date)
    }

    /// Runs now every scheduled, paused, failed or cancelled task that matches `filter` —
    /// say, the whole dead-letter queue of one handler:
    /// `retryNow(matching: TaskFilter(statuses: [.failed], name: "email"))`. Returns them.
    @discardableResult
    public func retryNow(matching filter: TaskFilter) async throws(DocketError) -> [TaskInfo] {
        // Steps of workflow stages that have ended are left alone (see `retryNow(_:)`).
        try await retryNow(ids(matching: filter, allowed: Self.retryable).filter { !isDecidedWorkflowStep($0) })
    }

    /// The ids of the tasks matching `filter` whose status allows the action, in enqueue order.
    private func ids(matching filter: TaskFilter, allowed: Set<TaskStatus>) -> [String] {
        var narrowed = filter
        narrowed.statuses = filter.statuses.isEmpty ? allowed : filter.statuses.intersection(allowed)
        // No status both asked for and allowed: nothing (an empty set would mean any status).
        guard !narrowed.statuses.isEmpty else { return [] }
        return readTasks { $0.ids(matching: narrowed) }
    }

    /// The most task ids written in one journal record.
    static let idsPerRecord = 10_000

    static let cancellable: Set<TaskStatus> = [.scheduled, .running, .paused]
    static let pausable: Set<TaskStatus> = [.scheduled, .running]
    static let resumable: Set<TaskStatus> = [.paused]
    static let reschedulable: Set<TaskStatus> = [.scheduled, .paused]
    static let retryable: Set<TaskStatus> = [.scheduled, .paused, .failed, .cancelled]

    /// Removes finished tasks (succeeded, failed, cancelled) that finished more than `age`
    /// ago, and then finished recurring schedules (cancelled, or with no fire left) none of
    /// whose occurrences is left and whose last fire (or creation, if they never fired) is
    /// more than `age` ago — so that a service creating many one-shot schedules does not keep
    /// them all — and workflows that finished more than `age` ago. A running workflow's tasks
    /// stay, and a task and its cancellation task (`<id>~cancel`) stay while either does (the
    /// two go together). Returns how many tasks were removed.
    ///
    /// ```swift
    /// // Once a day: forget what finished more than a week ago.
    /// try await docket.purge(olderThan: .seconds(7 * 86_400))
    /// ```
    @discardableResult
    public func purge(olderThan age: Duration) async throws(DocketError) -> Int {
        guard age >= .zero else {
            throw .invalidArgument("purge(olderThan:) takes an age of zero or more (got \(age)); a negative one would remove tasks that finished in the future, i.e. all of them")
        }
        let cutoff = Time.add(nowMicros(), -Time.micros(age))
        // A running workflow's tasks stay: its stages are decided from them.
        let inWorkflows = state.workflowOfTask
        var ids = readTasks { $0.idsFinished(before: cutoff) }
        if !inWorkflows.isEmpty { ids.removeAll { inWorkflows[$0] != nil } }
        // A task and its cancellation task (`<id>~cancel`) go together, in one purge once both
        // are old enough. A cancelled task stays while its cancellation task does: its id freed,
        // a new task under it would find that task in its way (refused, or left without its
        // own compensation). A cancellation task stays while its task does: that task, retried
        // and cancelled again, would get a second compensation.
        // Until nothing changes: a cancellation task can have one of its own, which keeps it.
        var purgeable = Set(ids)
        // Through `readTasks`: `state.tasks` in a loop would copy the table's references per id.
        var cancelled = readTasks { table in ids.filter { table.peek($0)?.status == .cancelled } }
        // On the bytes, as the ids were made (see `cancellationDepth`).
        var compensations = ids.filter { Self.cancellationDepth($0) > 0 }
        // Whose cancellation task each is: `<id>~cancel` gives its id back; a hashed one (of an
        // id too long for the suffix) is found among the long ids.
        var originals: [String: String] = [:]
        var hashed = false
        for cid in compensations {
            let plain = String(decoding: cid.utf8.dropLast(Self.cancellationSuffix.utf8.count), as: UTF8.self)
            if Self.cancellationID(for: plain) == cid { originals[cid] = plain } else { hashed = true }
        }
        if hashed {
            for t in state.tasks.values where t.id.utf8.count + Self.cancellationSuffix.utf8.count > 256 {
                let cid = Self.cancellationID(for: t.id)
                if purgeable.contains(cid) { originals[cid] = t.id }
            }
        }
        while true {
            let keptTasks = readTasks { table in
                cancelled.filter { id in
                    let cid = Self.cancellationID(for: id)
                    return table.contains(cid) && !purgeable.contains(cid)
                }
            }
            let keptCompensations = readTasks { table in
                compensations.filter { cid in
                    guard purgeable.contains(cid), let id = originals[cid] else { return false }
                    return table.contains(id) && !purgeable.contains(id)
                }
            }
            guard !keptTasks.isEmpty || !keptCompensations.isEmpty else { break }
            let kept = Set(keptTasks).union(keptCompensations)
            purgeable.subtract(kept)
            cancelled.removeAll { kept.contains($0) }
            compensations.removeAll { kept.contains($0) }
        }
        // Cancellation tasks before the tasks they compensate (deepest first), so that a crash
        // between two of the records below never leaves a task purged and its `~cancel` task not.
        // The depth once per id, not per comparison.
        ids = purgeable.map { ($0, Self.cancellationDepth($0)) }
            .sorted { a, b in a.1 != b.1 ? a.1 > b.1 : a.0 < b.0 }
            .map(\.0)
        var sequence: UInt64 = 0
        for chunk in idChunks(ids) { sequence = try commit(.purge(Array(chunk))) }
        let inUse = state.tasks.scheduleIDsInUse()
        let schedules = state.schedules.values.filter { s in
            s.status == .finished && !inUse.contains(s.id) && (s.lastFire ?? s.createdAt) < cutoff
        }.map(\.id).sorted()
        for chunk in idChunks(schedules) { sequence = try commit(.removeSchedules(Array(chunk))) }
        let workflows = state.workflows.values.filter { w in w.status != .running && (w.finishedAt ?? w.createdAt) < cutoff }.map(\.id).sorted()
        for chunk in idChunks(workflows) { sequence = try commit(.removeWorkflows(Array(chunk))) }
        try await waitDurable(sequence)
        return ids.count
    }

    /// `ids` in runs that fit one record each: at most `idsPerRecord`, and at most half the
    /// journal's record size limit (ids are up to 256 bytes; a purge of 10,000 of them did not
    /// fit an 8 KiB limit, and failed every time after).
    /// `weight`: bytes an id adds to its record besides itself (a cancellation task).
    func idChunks(_ ids: [String], weight: (String) -> Int = { _ in 0 }) -> [ArraySlice<String>] {
        let budget = max(1, (journal.map { _ in configuration.journal.maxRecordSize } ?? Int.max) / 2)
        var chunks: [ArraySlice<String>] = []
        var start = 0
        while start < ids.count {
            var end = start
            var bytes = 0
            while end < ids.count, end - start < Self.idsPerRecord,
                  end == start || bytes + ids[end].utf8.count + 3 + weight(ids[end]) <= budget {
                bytes += ids[end].utf8.count + 3 + weight(ids[end])
                end += 1
            }
            chunks.append(ids[start..<end])
            start = end
        }
        return chunks
    }

    /// Changes the global concurrency while running.
    public func setConcurrency(_ n: Int) throws(DocketError) {
        guard n >= 1 else { throw .invalidArgument("concurrency must be at least 1 (got \(n))") }
        concurrency = n
        if isRunning { wakeup.signal() }
    }

    /// Sets (or, with nil, removes) the concurrency limit of one queue while running.
    public func setQueueLimit(_ queue: String, _ limit: Int?) throws(DocketError) {
        if let limit, limit < 0 { throw .invalidArgument("the limit of queue \"\(queue)\" must not be negative (got \(limit))") }
        queueLimits[queue] = limit
        if isRunning { wakeup.signal() }
    }

    private func single(_ result: [TaskInfo]) throws(DocketError) -> TaskInfo {
        guard let first = result.first else { throw .invalidArgument("no task") }
        return first
    }

    /// Throws for the first id that is unknown or whose status does not allow `action`.
    private func check(_ ids: [String], action: String, allowed: Set<TaskStatus>) throws(DocketError) {
        // Statuses read in place (`readTasks`): `state.tasks[id]` per id copied the table's
        // references and materialized each task (a cancel of 1M tasks spent seconds here).
        let problem = readTasks { table -> DocketError? in
            for id in ids {
                guard let p = table.peek(id) else { return .taskNotFound(id) }
                guard allowed.contains(p.status) else { return .illegalTransition(id: id, status: p.status, action: action) }
            }
            return nil
        }
        if let problem { throw problem }
        if action == "retry", let id = ids.first(where: isDecidedWorkflowStep) {
            throw .invalidArgument("task \"\(id)\" is a step of a workflow stage that has ended; running it again would not change the workflow")
        }
    }

    /// `weight`: bytes an id adds to its record besides itself (a cancellation task), so that
    /// records stay within the size limit.
    private func control(_ ids: [String], action: String, event: DocketEvent.Kind, allowed: Set<TaskStatus>,
                         weight: (String) -> Int = { _ in 0 }, announce: () -> Void = {},
                         make: ([String], Micros) throws(DocketError) -> Mutation) async throws(DocketError) -> [TaskInfo] {
        guard !ids.isEmpty else { return [] }
        try check(ids, action: action, allowed: allowed)
        var seen: Set<String> = []
        let unique = ids.filter { seen.insert($0).inserted }
        let now = try clockReading()
        let freesSlots = unique.contains { id in readTasks { $0.peek(id)?.status == .running } }
        var sequence: UInt64 = 0
        // The ids this call changed: a record's effects (a workflow stage it ended) may have
        // changed ids of a later record already, and those were announced then.
        var changed: [String] = []
        var failure: DocketError?
        // Workflow effects wait until this call's own events are out (without a loop to act on
        // them later, they were acted on inside `commit`, announcing the effect before the cause).
        let outerHold = holdWorkflowEffects
        holdWorkflowEffects = true
        do throws(DocketError) {
            // Bounded records (`idChunks`); each chunk keeps the ids an earlier record's effects
            // left in an allowed status.
            for run in idChunks(unique, weight: weight) {
                let chunk = run.filter { id in readTasks { $0.peek(id).map { allowed.contains($0.status) } ?? false } }
                if !chunk.isEmpty { sequence = try commit(try make(chunk, now)) }
                changed += chunk
            }
        } catch {
            failure = error
        }
        // What was applied before a failure is applied for good: finish it, then report.
        for t in readTasks({ table in changed.compactMap { table[$0] } }) {
            let id = t.id
            if t.status != .running, let flight = inFlight.removeValue(forKey: id) { cancelAttempt(flight) }
            emit(event, t, at: now, runAt: event == .resumed || event == .rescheduled ? t.runAt : nil)
            if t.status == .scheduled { noteNewRunTime(t.runAt) }
        }
        // Before the wait below: the loop may start a task created here meanwhile.
        announce()
        releaseWorkflowEffects(outerHold)
        // A fixed-delay schedule whose occurrence ended here (cancelled) has a next fire now,
        // which the sleeping timer loop does not know about.
        if let top = state.scheduleTimers.min { noteNewRunTime(top.at) }
        // A running task stopped here frees its slot, key and queue at once (its handler may
        // still be finishing): the loop starts the next task now, and a shutdown waiting for
        // handlers sees one fewer.
        if freesSlots && isRunning { wakeup.signal() }
        if let failure { throw failure }
        try await waitDurable(sequence)
        return readTasks { table in unique.compactMap { table[$0].map(TaskInfo.init) } }
    }
}
