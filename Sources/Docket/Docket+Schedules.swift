import DocketSchedules
import Foundation

extension Docket {
    /// Creates recurring schedule `id`: each fire time of `schedule` becomes a task for
    /// `handler` with `payload`, whose id is `id@<nominal time>` — the same after any restart,
    /// so no occurrence is ever created twice.
    ///
    /// ```swift
    /// try await docket.schedule("digest", try Schedule(parsing: "CRON_TZ=America/New_York 0 8 * * MON-FRI"),
    ///                           handler: "digest", payload: Digest(list: "team"))
    /// ```
    ///
    /// - Throws: `duplicateSchedule` when the id exists, `unknownHandler`, `invalidArgument`
    ///   when the schedule has no fire time after now.
    @discardableResult
    public func schedule<P: Encodable & Sendable>(_ id: String, _ schedule: Schedule, handler: String, payload: P,
                                                  options: ScheduleOptions = ScheduleOptions()) async throws(DocketError) -> ScheduleInfo {
        guard state.schedules[id] == nil else { throw .duplicateSchedule(id) }
        return try await store(makeSchedule(id, schedule, handler: handler, payload: payload, options: options, previous: nil))
    }

    /// Creates a recurring schedule from its text (cron, `@every …`, `@at …` or an RRULE; see
    /// `Schedule(parsing:)`).
    @discardableResult
    public func schedule<P: Encodable & Sendable>(_ id: String, parsing text: String, handler: String, payload: P,
                                                  options: ScheduleOptions = ScheduleOptions()) async throws(DocketError) -> ScheduleInfo {
        let parsed: Schedule
        do { parsed = try Schedule(parsing: text) } catch { throw .invalidArgument("schedule \"\(id)\": \(error)") }
        return try await schedule(id, parsed, handler: handler, payload: payload, options: options)
    }

    /// Replaces schedule `id`'s timing, handler, payload and options. Occurrences already
    /// created stay; the next fire is recomputed from now.
    ///
    /// Fires of the old definition that came due before the update are handled first, as the
    /// timer loop would have handled them (created, or skipped per the misfire policy and
    /// reported); on a paused schedule they are reported as missed. A paused schedule stays
    /// paused (resume it with `resumeSchedule`); `options.paused` pauses an active one. A
    /// finished schedule (a one-shot that fired, a rule whose COUNT ran out) becomes active
    /// again with the new definition — the way to give it more fires, which `resumeSchedule`
    /// cannot.
    ///
    /// - Throws: `invalidArgument` when the update changes the key its occurrences get (its
    ///   own `key`, or `overlap` to or from `.queue`) while some have not finished: one created
    ///   before could run beside one created after. Cancel them or let them finish first.
    @discardableResult
    public func updateSchedule<P: Encodable & Sendable>(_ id: String, _ schedule: Schedule, handler: String, payload: P,
                                                        options: ScheduleOptions = ScheduleOptions()) async throws(DocketError) -> ScheduleInfo {
        guard var previous = state.schedules[id] else { throw .scheduleNotFound(id) }
        var options = options
        if previous.status == .paused { options.paused = true }
        // Validated before anything is journaled: a refused update changes nothing.
        var entry = try makeSchedule(id, schedule, handler: handler, payload: payload, options: options, previous: previous)
        if entry.occurrenceKey != previous.occurrenceKey,
           let unfinished = readTasks({ $0.ids(ofSchedule: id) { !$0.isTerminal } }).first {
            throw .invalidArgument("schedule \"\(id)\": its occurrences' key cannot change from \(previous.occurrenceKey.map { "\"\($0)\"" } ?? "none") to \(entry.occurrenceKey.map { "\"\($0)\"" } ?? "none") while \"\(unfinished)\" (or another occurrence) has not finished; cancel them or wait for them first")
        }
        let now = nowMicros()
        // A paused fixed-delay schedule misses what a resume now would report: also when its
        // occurrence ended while paused, which leaves it no next fire (fires came due one
        // delay after that end).
        let pausedFixedDelay = previous.status == .paused && previous.isFixedDelay ? fixedDelayResume(previous, now: now) : nil
        if let due = pausedFixedDelay?.missedFrom ?? previous.nextFire, due <= now {
            switch previous.status {
            case .active:
                // Under the new key: they may still run when the new definition's first does.
                try fire(previous, now: now, occurrenceKey: entry.occurrenceKey)
            case .paused:
                // The old definition's own next fire (the upsert below replaces it).
                let oldNext = pausedFixedDelay.map(\.next) ?? previous.schedule.next(after: Time.date(now)).map(Time.micros)
                if let from = pausedFixedDelay.map(\.missedFrom) ?? firstUnhandledFire(previous, now: now), from <= now {
                    try reportPausedMisses(previous, from: from, now: now, next: oldNext)
                }
            case .finished: break
            }
            previous = try state.schedules[id].orThrow(.scheduleNotFound(id))
            entry.lastFire = previous.lastFire
            entry.lastTaskID = previous.lastTaskID
        }
        // Fixed delay counts from the end of the last occurrence: while it runs, wait for it.
        // (Paused, too: resuming a fixed-delay schedule with no next fire waits the same way.)
        if entry.isFixedDelay, let last = entry.lastTaskID.flatMap({ state.tasks[$0] }), !last.status.isTerminal {
            entry.nextFire = nil
        }
        return try await store(entry)
    }

    /// Stops creating occurrences until `resumeSchedule`.
    @discardableResult
    public func pauseSchedule(_ id: String) async throws(DocketError) -> ScheduleInfo {
        try await setScheduleStatus(id, .paused)
    }

    /// Resumes a paused schedule from its next fire after now. Fires missed while paused are
    /// not run, but each is journaled and reported as a `.misfired` event ("the schedule was
    /// paused"), like any skipped occurrence; a schedule with no fire left finishes.
    ///
    /// A fixed-delay schedule (`@every … after completion`) keeps a next fire that has not
    /// come yet; one that passed while paused is missed, as are the fires one period apart
    /// after it, up to now. If its occurrence still runs, it waits for that to end as usual.
    @discardableResult
    public func resumeSchedule(_ id: String) async throws(DocketError) -> ScheduleInfo {
        try await setScheduleStatus(id, .active)
    }

    /// Ends schedule `id` and cancels its occurrences that have not started.
    @discardableResult
    public func cancelSchedule(_ id: String) async throws(DocketError) -> ScheduleInfo {
        // Both in one actor turn, the occurrences' cancel right behind the schedule's end (no
        // wait between): the loop cannot start one of them in between, and a crash can fall
        // between the two records only if it falls within one group commit.
        let (sequence, info) = try commitScheduleStatus(id, .finished)
        let pending = readTasks { $0.ids(ofSchedule: id) { $0 == .scheduled || $0 == .paused } }
        if !pending.isEmpty { _ = try await cancel(pending) }
        try await waitDurable(sequence)
        return info
    }

    /// The schedule with this id.
    public func scheduleInfo(_ id: String) -> ScheduleInfo? { state.schedules[id].map(ScheduleInfo.init) }

    /// All schedules, by id.
    public func schedules() -> [ScheduleInfo] { state.schedules.values.sorted { $0.id < $1.id }.map(ScheduleInfo.init) }

    /// The next `count` fire times of schedule `id` from now. A fixed-delay schedule whose
    /// latest occurrence has not finished has none yet (its next fire is a period after that
    /// end): the list is then empty, as for a finished schedule.
    public func preview(scheduleID id: String, count: Int) throws(DocketError) -> [Date] {
        guard let s = state.schedules[id] else { throw .scheduleNotFound(id) }
        guard s.status != .finished else { return [] }
        // A paused schedule's fires before now will be reported as missed, not run.
        let now = nowMicros()
        if s.isFixedDelay {
            // Each fire waits for the occurrence before it: the next one, then one period apart
            // as if each ran in no time (asking the interval for the fire "after" a time would
            // add a period to it).
            // Paused: where a resume now would put it (past fires are missed, one period apart;
            // an occurrence that ended while paused counts from its end).
            guard count > 0, let next = s.status == .paused ? fixedDelayResume(s, now: now).next : s.nextFire else { return [] }
            let period = Time.micros(s.schedule.interval?.period ?? .zero)
            return (0..<count).map { Time.date(Time.add(next, Self.saturatingProduct(period, $0))) }
        }
        let from = s.nextFire.map { Time.date(s.status == .paused ? max($0 - 1, now) : $0 - 1) } ?? Time.date(now)
        return Array(s.schedule.fires(after: from).prefix(max(0, count)))
    }

    /// Journals a created or replaced schedule and waits until it is durable.
    private func store(_ entry: ScheduleEntry) async throws(DocketError) -> ScheduleInfo {
        let sequence = try commit(.upsertSchedule(entry))
        if let next = entry.nextFire { noteNewRunTime(next) }
        try await waitDurable(sequence)
        return ScheduleInfo(entry)
    }

    private func setScheduleStatus(_ id: String, _ status: ScheduleStatus) async throws(DocketError) -> ScheduleInfo {
        let (sequence, _) = try commitScheduleStatus(id, status)
        try await waitDurable(sequence)
        return try ScheduleInfo(state.schedules[id].orThrow(.scheduleNotFound(id)))
    }

    /// Journals (without waiting) a schedule's change of status, with what goes before it: the
    /// fires that came due while it was active (handled first when it pauses, as the loop
    /// would have), the misses of a pause when it resumes. Returns the sequence to wait for (0
    /// when nothing changed) and the schedule after it.
    private func commitScheduleStatus(_ id: String, _ status: ScheduleStatus) throws(DocketError) -> (UInt64, ScheduleInfo) {
        guard var s = state.schedules[id] else { throw .scheduleNotFound(id) }
        if s.status == .finished && status != .finished { throw .invalidArgument("schedule \"\(id)\" has finished; create it again to restart it") }
        if s.status == status { return (0, ScheduleInfo(s)) }
        let now = nowMicros()
        if status == .paused, s.status == .active, let due = s.nextFire, due <= now {
            // Came due while active, not yet handled by the loop: not a miss of the pause.
            try fire(s, now: now)
            s = try state.schedules[id].orThrow(.scheduleNotFound(id))
            // That was its last fire: nothing is left to pause.
            if s.status == .finished { return (journal?.lastSequence ?? 0, ScheduleInfo(s)) }
        }
        var next: Micros?
        var missedFrom: Micros?
        switch status {
        case .active where s.isFixedDelay:
            (next, missedFrom) = fixedDelayResume(s, now: now)
        case .active:
            next = s.schedule.next(after: Time.date(now)).map(Time.micros)
            missedFrom = firstUnhandledFire(s, now: now)
        case .paused: next = s.nextFire
        case .finished: next = nil
        }
        var status = status
        if status == .active, s.status == .paused, let missedFrom, missedFrom <= now {
            try reportPausedMisses(s, from: missedFrom, now: now, next: next)
            if next == nil && !s.isFixedDelay { status = .finished }
        }
        let sequence = try commit(.setScheduleStatus(id: id, status: status, nextFire: next, at: now))
        if let next, status == .active { noteNewRunTime(next) }
        return (sequence, try ScheduleInfo(state.schedules[id].orThrow(.scheduleNotFound(id))))
    }

    /// Where a fixed-delay schedule resumes: its next fire if that has not come; else the first
    /// of the fires one period apart after it that is after now (the ones before were missed,
    /// from `missedFrom`). With no next fire it waits for its running occurrence, or counts
    /// from when the last one ended.
    private func fixedDelayResume(_ s: ScheduleEntry, now: Micros) -> (next: Micros?, missedFrom: Micros?) {
        let period = max(1, Time.micros(s.schedule.interval?.period ?? .zero))
        var from = s.nextFire
        if from == nil {
            let last = s.lastTaskID.flatMap { state.tasks[$0] }
            if let last, !last.status.isTerminal { return (nil, nil) }
            from = Time.add(last?.finishedAt ?? now, period)
        }
        guard let from, from <= now else { return (from, nil) }
        return (Time.add(from, ((now - from) / period + 1) * period), from)
    }

    private func makeSchedule<P: Encodable & Sendable>(_ id: String, _ schedule: Schedule, handler: String, payload: P,
                                                       options: ScheduleOptions, previous: ScheduleEntry?) throws(DocketError) -> ScheduleEntry {
        guard !isClosed else { throw .closed }
        try Self.validateName(id, what: "schedule id")
        guard !id.contains("@") else { throw .invalidArgument("the schedule id \"\(id)\" must not contain \"@\" (occurrence ids are <schedule id>@<time>)") }
        try Self.validateName(handler, what: "handler name")
        try Self.validateName(options.queue, what: "queue name")
        if !configuration.allowUnregisteredHandlers, !handlers.contains(handler) { throw .unknownHandler(handler) }
        let bytes: [UInt8]
        do { bytes = try configuration.codec.encode(payload).trimmedForStorage } catch { throw .encodingFailed("\(error)") }
        let (maxAttempts, retry, timeout) = try runSettings(maxAttempts: options.maxAttempts, priority: options.priority, retry: options.retry,
                                                            timeout: options.timeout, of: "schedule \"\(id)\"")
        guard options.grace >= .zero else { throw .invalidArgument("the grace period of schedule \"\(id)\" must not be negative") }
        if let key = options.key {
            try Self.validateName(key, what: "serialization key")
            guard !key.hasPrefix(Self.scheduleKeyPrefix) else {
                throw .invalidArgument("the key \"\(key)\" of schedule \"\(id)\" starts with \"\(Self.scheduleKeyPrefix)\", which is reserved for the occurrences of schedules with overlap .queue; use another prefix")
            }
            guard options.overlap != .allow else {
                throw .invalidArgument("schedule \"\(id)\" has a key, so its occurrences cannot run together as overlap .allow says; use .queue or .skip")
            }
        }
        let now = nowMicros()
        let next: Micros?
        if case .interval(let i) = schedule, case .fixedDelay = i.mode {
            next = Time.add(now, Time.micros(i.period))
        } else {
            next = schedule.next(after: Time.date(now)).map(Time.micros)
        }
        guard next != nil else { throw .invalidArgument("schedule \"\(id)\" (\(schedule)) has no fire time after now") }
        let entry = ScheduleEntry(id: id, schedule: schedule, name: handler, payload: bytes, queue: options.queue, priority: options.priority,
                                  maxAttempts: maxAttempts, retry: retry, timeout: timeout.map(Time.micros) ?? 0, misfire: options.misfire,
                                  grace: Time.micros(options.grace), overlap: options.overlap, key: options.key,
                                  status: options.paused ? .paused : .active,
                                  nextFire: next, lastFire: previous?.lastFire, lastTaskID: previous?.lastTaskID, createdAt: previous?.createdAt ?? now)
        // An occurrence is a task in a fire record beside the schedule's id: one that cannot
        // fit a record would stop `run()` at every fire. Refused here, while it is input.
        if journal != nil {
            let size = Self.occurrenceRecordSize(of: entry)
            guard size <= recordRoom else {
                throw .invalidArgument("an occurrence of schedule \"\(id)\" takes \(size) bytes of a journal record (its payload is \(bytes.count) bytes), more than fit in one (journal.maxRecordSize \(configuration.journal.maxRecordSize) leaves \(recordRoom)): make the payload smaller (say, an id to look the data up by) or raise configuration.journal.maxRecordSize")
            }
        }
        return entry
    }

    /// The bytes a fire record needs for one occurrence of `s` (its task, under the longest
    /// occurrence id, and the schedule's id).
    static func occurrenceRecordSize(of s: ScheduleEntry) -> Int {
        let occurrence = TaskEntry(id: s.id + "@9999-12-31T23:59:59.999999Z", name: s.name, payload: s.payload, queue: s.queue, priority: s.priority,
                                   key: s.occurrenceKey, runAt: Micros.max, attempt: 0, maxAttempts: s.maxAttempts, retry: s.retry,
                                   timeout: s.timeout, status: .scheduled, createdAt: Micros.max, sequence: UInt64.max, scheduleID: s.id)
        var w = BinaryWriter(capacity: s.payload.count + 256)
        EngineCodec.write(occurrence, &w)
        return w.bytes.count + s.id.utf8.count + 16
    }

    /// Journals and reports the fires of `s` from `from` through `now`, skipped because the
    /// schedule was paused: the exact count, and the most recent `maxCatchUp` of them.
    private func reportPausedMisses(_ s: ScheduleEntry, from: Micros, now: Micros, next: Micros?) throws(DocketError) {
        var sample: [Micros] = []
        var count = 0
        var x: Micros? = from
        // One walk for all of them (`next(after:)` each time would walk a COUNT rule from its
        // DTSTART again per fire). A fixed delay steps in whole microseconds: its `Date` steps
        // would drift (100 ms is not a binary fraction).
        var fires = s.schedule.fires(after: Time.date(from))
        let delay = s.isFixedDelay ? max(1, Time.micros(s.schedule.interval?.period ?? .zero)) : 0
        func scan(_ limit: Int) {
            var scanned = 0
            while let at = x, at <= now, scanned < limit {
                scanned += 1
                count += 1
                sample.append(at)
                if sample.count > configuration.maxCatchUp + Self.lateSlack { sample.removeFirst(sample.count - configuration.maxCatchUp) }
                x = s.isFixedDelay ? Time.add(at, delay) : fires.next().map(Time.micros)
            }
        }
        scan(catchUpScanLimit)
        if let at = x, at <= now {
            // More than one scan looks at: as in `fire`, evenly spaced fires up to shortly
            // before now are counted and the scan picks up there; cron and RRULE scan on.
            let keep = configuration.maxCatchUp + Self.lateSlack + 1
            if s.isFixedDelay {
                let resume = max(at, Time.add(now, -Self.saturatingProduct(delay, keep)))
                let skipped = (resume - at + delay - 1) / delay
                count += Int(clamping: skipped)
                x = Time.add(at, skipped &* delay)
                scan(catchUpScanLimit)
            } else if let lookback = Self.uniformLookback(of: s.schedule, keeping: keep) {
                let jump = Self.jump(s.schedule, from: at, to: max(at, Time.add(now, -lookback)))
                count += jump.skipped
                (fires, x) = (jump.fires, jump.next)
                scan(catchUpScanLimit)
            } else {
                scan(Self.catchUpCountLimit - catchUpScanLimit)
            }
        }
        sample = Array(sample.suffix(skippedSampleLimit))
        try commit(.fire(scheduleID: s.id, created: [], lastNominal: nil, skipped: sample, skippedCount: count, nextFire: next, at: now))
        guard wantsEvents else { return }
        for at in sample {
            publish(DocketEvent(kind: .misfired, taskID: EngineState.occurrenceID(schedule: s.id, nominal: at), attempt: 0, at: Time.date(now),
                                runAt: Time.date(at), name: s.name, scheduleID: s.id, error: "the schedule was paused"))
        }
    }

    // MARK: Firing

    /// Creates the occurrences of every schedule whose next fire has come, applying the misfire
    /// and overlap policies.
    func fireDueSchedules(now: Micros) throws(DocketError) {
        while let top = state.scheduleTimers.min, top.at <= now {
            _ = state.scheduleTimers.popMin()
            guard let s = state.schedules[top.id], s.status == .active, s.nextFire == top.at else { continue }
            try fire(s, now: now)
        }
    }

    /// The most fires a catch-up of a cron or RRULE schedule scans in all (a few seconds of
    /// actor time, after years down at one fire a second); beyond, the count is a lower bound.
    static let catchUpCountLimit = 100_000_000

    /// For evenly spaced fires (a fixed-rate interval), the span holding the last `keeping` of
    /// them; nil for the others.
    static func uniformLookback(of schedule: Schedule, keeping: Int) -> Micros? {
        guard let i = schedule.interval, case .fixedRate = i.mode else { return nil }
        return saturatingProduct(i.periodMilliseconds * 1000, keeping)
    }

    /// `a × b`, saturated at `Time.limit` (`maxCatchUp` has no upper bound).
    static func saturatingProduct(_ a: Micros, _ b: Int) -> Micros {
        let (p, overflow) = a.multipliedReportingOverflow(by: Micros(b))
        return overflow ? Time.limit : min(p, Time.limit)
    }

    /// Skips the fires of a fixed-rate interval in [`from`, `resume`), `from` being one: how
    /// many they are, and the walk from the first fire at or after `resume`.
    static func jump(_ schedule: Schedule, from: Micros, to resume: Micros) -> (skipped: Int, fires: Schedule.Fires, next: Micros?) {
        var skipped = 0
        if resume > from, let i = schedule.interval {
            let period = i.periodMilliseconds * 1000
            skipped = Int(clamping: (resume - from + period - 1) / period)
        }
        var fires = schedule.fires(after: Time.date(max(from, resume) - 1))
        let next = fires.next().map(Time.micros)
        return (skipped, fires, next)
    }
    /// The most skipped times one record lists: `maxCatchUp`, and no more than half of a
    /// record holds (a time takes at most 10 bytes).
    var skippedSampleLimit: Int { min(configuration.maxCatchUp, max(1, recordRoom / 20)) }

    /// Extra late times kept while scanning, so that `maxCatchUp` of them survive trimming.
    static let lateSlack = 100

    /// Where a catch-up written in parts and cut short by a crash stopped: the nominal time of
    /// the last occurrence its written parts created. Those parts move `lastTaskID` on but
    /// leave `nextFire` (only the last part moves it), so a last occurrence at or after the
    /// next fire, and not in the future, means one was cut short; every fire up to it was
    /// created or reported then, and is not handled again.
    func cutShortThrough(_ s: ScheduleEntry, now: Micros) -> Micros? {
        guard !s.isFixedDelay, let first = s.nextFire, let id = s.lastTaskID, id.hasPrefix(s.id + "@"),
              let nominal = UTCStamp.micros(String(id.dropFirst(s.id.count + 1))), nominal >= first, nominal <= now else { return nil }
        return nominal
    }

    /// The first fire of `s` not handled yet: its next fire, or the one after a cut-short
    /// catch-up's last occurrence (`cutShortThrough`).
    func firstUnhandledFire(_ s: ScheduleEntry, now: Micros) -> Micros? {
        guard let through = cutShortThrough(s, now: now) else { return s.nextFire }
        var fires = s.schedule.fires(after: Time.date(through))
        return fires.next().map(Time.micros)
    }

    /// Handles the fires of `s` due by `now`. `occurrenceKey` overrides the key its occurrences
    /// get (an update changing it handles the old definition's due fires first).
    func fire(_ s: ScheduleEntry, now: Micros, occurrenceKey: String?? = nil) throws(DocketError) {
        guard let first = s.nextFire else { return }
        var late: [Micros] = []
        var lateCount = 0
        var onTime: [Micros] = []
        var next: Micros? = first
        var scanned = 0
        if s.isFixedDelay {
            onTime = [first]
            next = nil
            // Its occurrence exists already (a clock stepped back onto its time): none is made
            // here, so none will end to give the next fire; it is one delay from now.
            if state.tasks.contains(EngineState.occurrenceID(schedule: s.id, nominal: first)) {
                next = s.schedule.next(after: Time.date(now)).map(Time.micros)
            }
        } else {
            // One walk for the whole catch-up: `next(after:)` per fire would walk a COUNT rule
            // from its DTSTART again each time (12.7 s for 17k missed fires of one such rule).
            // A catch-up cut short goes on after what its written parts did.
            let through = cutShortThrough(s, now: now)
            var fires = s.schedule.fires(after: Time.date(through ?? first))
            if through != nil { next = fires.next().map(Time.micros) }
            func scan(_ limit: Int) {
                scanned = 0
                while let x = next, x <= now, scanned < limit {
                    scanned += 1
                    if now - x > s.grace {
                        lateCount += 1
                        // Keep the newest ones: the last may be the coalesced run.
                        late.append(x)
                        if late.count > configuration.maxCatchUp + Self.lateSlack { late.removeFirst(late.count - configuration.maxCatchUp) }
                    } else {
                        onTime.append(x)
                    }
                    next = fires.next().map(Time.micros)
                }
            }
            scan(catchUpScanLimit)
            if let x = next, x <= now {
                // More fires than one scan looks at (a per-second schedule down 12 days). Those
                // of a fixed-rate interval are evenly spaced: the ones up to shortly before the
                // grace period are counted arithmetically and the scan picks up there. Cron and
                // RRULE fire at most once a second, unevenly (business hours): the scan goes on,
                // keeping only the newest, up to `catchUpCountLimit` fires in all. Either way the
                // fires run are the latest ones, and those within the grace period are all seen.
                if let lookback = Self.uniformLookback(of: s.schedule, keeping: configuration.maxCatchUp + Self.lateSlack + 1) {
                    // Into the grace period too when it holds a lookback or more: only the last
                    // `maxCatchUp` fires (and the slack) can run or be sampled, and the scan
                    // after the jump must reach now (a grace period of more fires than a scan
                    // left the newest ones uncounted).
                    let jump = Self.jump(s.schedule, from: x, to: max(x, Time.add(now, -(s.grace >= lookback ? lookback : Time.add(s.grace, lookback)))))
                    lateCount += jump.skipped
                    (fires, next) = (jump.fires, jump.next)
                    scan(catchUpScanLimit)
                } else {
                    scan(Self.catchUpCountLimit - catchUpScanLimit)
                }
                // Still short (beyond the count limit, or a grace period holding more than a
                // scan): on from now, and the count is a lower bound.
                if let y = next, y <= now { next = s.schedule.next(after: Time.date(now)).map(Time.micros) }
            }
        }
        var toFire: [Micros]
        switch s.misfire {
        case .fireAll: toFire = late + onTime
        case .fireOnce: toFire = onTime.isEmpty ? Array(late.suffix(1)) : onTime
        case .skip: toFire = onTime
        }
        let chosen = Set(toFire)
        if toFire.count > configuration.maxCatchUp { toFire = Array(toFire.suffix(configuration.maxCatchUp)) }
        let capped = Set(toFire)
        let previousUnfinished = s.lastTaskID.flatMap { state.tasks[$0] }.map { !$0.status.isTerminal } ?? false
        if s.overlap == .skip {
            toFire = previousUnfinished ? [] : Array(toFire.suffix(1))
        }
        /// Why fire `x` did not become an occurrence.
        func reason(_ x: Micros) -> String {
            if !chosen.contains(x) { return "missed by more than the grace period" }
            if !capped.contains(x) { return "more than maxCatchUp (\(configuration.maxCatchUp)) fires were due at once" }
            return previousUnfinished ? "the previous occurrence had not finished" : "overlap .skip runs only the latest of the fires due at once"
        }
        let fired = Set(toFire)
        // Fires whose occurrence exists already were not skipped: they run. (A catch-up cut
        // short by a crash resumes after its occurrences, above; this covers what a clock
        // stepped back can bring round again.)
        let existing = Set((late + onTime).filter { x in
            !fired.contains(x) && state.tasks[EngineState.occurrenceID(schedule: s.id, nominal: x)]?.scheduleID == s.id
        })
        let skippedAll = (late + onTime).filter { !fired.contains($0) && !existing.contains($0) }
        let skippedCount = lateCount + onTime.count - toFire.count - existing.count
        var created: [TaskEntry] = []
        var taken: Set<Micros> = []
        var sequence = state.nextSequence
        for x in toFire {
            let id = EngineState.occurrenceID(schedule: s.id, nominal: x)
            if let existing = state.tasks[id] {
                // Created by an earlier fire (after a clock step back, say): nothing to do.
                // A task of another kind under this id (enqueued before such ids were
                // reserved) takes the occurrence's place: reported as skipped.
                if existing.scheduleID != s.id { taken.insert(x) }
                continue
            }
            var runAt = x
            if case .interval(let i) = s.schedule, i.jitterMilliseconds > 0 {
                runAt = Time.add(x, Micros(random.next() % UInt64(i.jitterMilliseconds)) * 1000)
            }
            created.append(TaskEntry(id: id, name: s.name, payload: s.payload, queue: s.queue, priority: s.priority,
                                     key: occurrenceKey ?? s.occurrenceKey, runAt: runAt, attempt: 0,
                                     maxAttempts: s.maxAttempts, retry: s.retry, timeout: s.timeout, status: .scheduled,
                                     createdAt: now, sequence: sequence, scheduleID: s.id))
            sequence += 1
        }
        // Every skipped time is journaled and reported, up to `maxCatchUp` per catch-up (the
        // most recent ones); the count is always exact. (A catch-up cut short was resumed after
        // what its first part reported, above.)
        var sample = Array((skippedAll + toFire.filter { taken.contains($0) }).sorted().suffix(skippedSampleLimit))
        if journal != nil, !created.isEmpty, !sample.isEmpty {
            // The sample shares the first record with an occurrence: a large payload leaves it
            // less room (a skipped time takes at most 10 bytes; the count stays exact).
            let room = recordRoom - Self.occurrenceRecordSize(of: s)
            sample = Array(sample.suffix(max(0, room / 10)))
        }
        // Occurrences carry the payload: many of them (`.fireAll` after a long gap) may not fit
        // in one record. Every record but the last keeps the schedule's next fire as it was, so
        // a crash between them fires again and creates only what is missing.
        let chunks = Self.chunks(of: created, budget: recordRoom - s.id.utf8.count, first: sample.count * 10)
        for (i, chunk) in chunks.enumerated() {
            let last = i == chunks.count - 1
            try commit(.fire(scheduleID: s.id, created: Array(chunk), lastNominal: last ? toFire.last : nil, skipped: i == 0 ? sample : [],
                             skippedCount: i == 0 ? skippedCount + taken.count : 0, nextFire: last ? next : s.nextFire, at: now))
            if !last, let stop = catchUpPartsBeforeFailure, i + 1 >= stop {
                throw .journal(.failed(reason: "stopped after \(i + 1) part(s) of a catch-up, as a crash would (a test's setting)"))
            }
        }
        for t in created { emit(.enqueued, t, at: now, runAt: t.runAt) }
        if wantsEvents {
            for x in sample {
                publish(DocketEvent(kind: .misfired, taskID: EngineState.occurrenceID(schedule: s.id, nominal: x), attempt: 0,
                                    at: Time.date(now), runAt: Time.date(x), name: s.name, scheduleID: s.id,
                                    error: taken.contains(x) ? "its id is taken by a task that is not this schedule's" : reason(x)))
            }
        }
    }

    /// `tasks` cut into runs of at most `budget` bytes of record each, the first run sharing
    /// its record with `first` bytes of other fields (at least one task per run, and one empty
    /// run for none).
    static func chunks(of tasks: [TaskEntry], budget: Int, first: Int) -> [ArraySlice<TaskEntry>] {
        // The common fire creates one occurrence, and without a journal nothing is cut: no
        // need to encode the tasks once more just to measure them.
        guard tasks.count > 1, budget < Int.max / 4 else { return [tasks[...]] }
        var result: [ArraySlice<TaskEntry>] = []
        var start = 0
        var bytes = first
        var w = BinaryWriter(capacity: 1024)
        for (i, t) in tasks.enumerated() {
            w.bytes.removeAll(keepingCapacity: true)
            EngineCodec.write(t, &w)
            let size = w.bytes.count
            if i > start, bytes + size > budget {
                result.append(tasks[start..<i])
                start = i
                bytes = 0
            }
            bytes += size
        }
        result.append(tasks[start..<tasks.count])
        return result
    }
}

extension Schedule {
    var interval: Interval? {
        if case .interval(let i) = self { return i }
        return nil
    }
}

extension Optional {
    func orThrow(_ error: DocketError) throws(DocketError) -> Wrapped {
        guard let self else { throw error }
        return self
    }
}
