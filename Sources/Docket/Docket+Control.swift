import Foundation

extension Docket {
    /// Cancels tasks that have not finished (a running handler's Swift task is cancelled and
    /// its result ignored). All or nothing: if any id is unknown or finished, nothing changes.
    @discardableResult
    public func cancel(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "cancel", event: .cancelled, allowed: [.scheduled, .running, .paused]) { .cancel($0, at: $1) }
    }

    /// Cancels one task.
    @discardableResult
    public func cancel(_ id: String) async throws(DocketError) -> TaskInfo { try await single(cancel([id])) }

    /// Holds tasks (scheduled or running: a running handler is cancelled; that attempt
    /// counts) until `resume`.
    @discardableResult
    public func pause(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "pause", event: .paused, allowed: [.scheduled, .running]) { .pause($0, at: $1) }
    }

    /// Pauses one task.
    @discardableResult
    public func pause(_ id: String) async throws(DocketError) -> TaskInfo { try await single(pause([id])) }

    /// Lets paused tasks run again at their run time (at once if it has passed).
    @discardableResult
    public func resume(_ ids: [String]) async throws(DocketError) -> [TaskInfo] {
        try await control(ids, action: "resume", event: .resumed, allowed: [.paused]) { .resume($0, at: $1) }
    }

    /// Resumes one task.
    @discardableResult
    public func resume(_ id: String) async throws(DocketError) -> TaskInfo { try await single(resume([id])) }

    /// Moves the run time of scheduled or paused tasks.
    @discardableResult
    public func reschedule(_ ids: [String], to date: Date) async throws(DocketError) -> [TaskInfo] {
        guard date.timeIntervalSince1970.isFinite else { throw .invalidArgument("the new run time is not a finite date") }
        let runAt = Time.micros(date)
        return try await control(ids, action: "reschedule", event: .rescheduled, allowed: [.scheduled, .paused]) { .reschedule($0, runAt: runAt, at: $1) }
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
        try await control(ids, action: "retry", event: .rescheduled, allowed: [.scheduled, .paused, .failed, .cancelled]) { .retryNow($0, at: $1) }
    }

    /// Retries one task now.
    @discardableResult
    public func retryNow(_ id: String) async throws(DocketError) -> TaskInfo { try await single(retryNow([id])) }

    /// Removes finished tasks (succeeded, failed, cancelled) that finished more than `age`
    /// ago, and then finished recurring schedules (cancelled, or with no fire left) none of
    /// whose occurrences is left and whose last fire (or creation, if they never fired) is
    /// more than `age` ago — so that a service creating many one-shot schedules does not keep
    /// them all. Returns how many tasks were removed.
    ///
    /// ```swift
    /// // Once a day: forget what finished more than a week ago.
    /// try await docket.purge(olderThan: .seconds(7 * 86_400))
    /// ```
    @discardableResult
    public func purge(olderThan age: Duration) async throws(DocketError) -> Int {
        let cutoff = Time.add(nowMicros(), -Time.micros(age))
        let ids = state.tasks.values.filter { $0.status.isTerminal && ($0.finishedAt ?? $0.createdAt) < cutoff }.map(\.id).sorted()
        var sequence: UInt64 = 0
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + 10_000)])
            sequence = try commit(.purge(chunk))
            start += chunk.count
        }
        let inUse = state.tasks.scheduleIDsInUse()
        let schedules = state.schedules.values.filter { s in
            s.status == .finished && !inUse.contains(s.id) && (s.lastFire ?? s.createdAt) < cutoff
        }.map(\.id).sorted()
        if !schedules.isEmpty { sequence = try commit(.removeSchedules(schedules)) }
        try await waitDurable(sequence)
        return ids.count
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

    private func control(_ ids: [String], action: String, event: DocketEvent.Kind, allowed: Set<TaskStatus>,
                         make: ([String], Micros) -> Mutation) async throws(DocketError) -> [TaskInfo] {
        guard !ids.isEmpty else { return [] }
        for id in ids {
            guard let t = state.tasks[id] else { throw .taskNotFound(id) }
            guard allowed.contains(t.status) else { throw .illegalTransition(id: id, status: t.status, action: action) }
        }
        var seen: Set<String> = []
        let unique = ids.filter { seen.insert($0).inserted }
        let now = nowMicros()
        let sequence = try commit(make(unique, now))
        for id in unique {
            guard let t = state.tasks[id] else { continue }
            if t.status != .running, let flight = inFlight.removeValue(forKey: id) { flight.handle?.cancel() }
            emit(event, t, at: now, runAt: event == .resumed || event == .rescheduled ? t.runAt : nil)
            if t.status == .scheduled { noteNewRunTime(t.runAt) }
        }
        try await waitDurable(sequence)
        return unique.compactMap { state.tasks[$0].map(TaskInfo.init) }
    }
}
