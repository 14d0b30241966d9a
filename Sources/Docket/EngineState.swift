/// The whole state of the engine as a value: tasks, schedules and counters, with `apply` the
/// only way to change it. The same `apply` runs live and in replay, so recovery rebuilds
/// exactly what was there. Being a value (dictionaries are copy-on-write), a copy for a
/// snapshot costs nothing until the next mutation.
struct EngineState: Sendable {
    var tasks = TaskTable()
    var schedules: [String: ScheduleEntry] = [:]
    var nextSequence: UInt64 = 1
    var nextLease: UInt64 = 1

    // Derived from the above (rebuilt after loading a snapshot, never stored).
    var timers = BinaryHeap<TimerItem>()
    var scheduleTimers = BinaryHeap<ScheduleTimer>()
    var runningCount = 0
    var runningByQueue: [String: Int] = [:]
    var runningKeys: Set<String> = []
    /// Off while replaying: the timer heap is rebuilt once at the end instead of growing with
    /// stale entries on every change.
    var maintainsTimers = true

    /// A task waiting for its time. Stale when the task's version moved on.
    struct TimerItem: Comparable, Sendable {
        var runAt: Micros
        var sequence: UInt64
        var version: UInt32
        var id: String
        static func < (a: TimerItem, b: TimerItem) -> Bool {
            (a.runAt, a.sequence) < (b.runAt, b.sequence)
        }
    }

    /// A schedule's next fire. Stale when the schedule's `nextFire` is another time.
    struct ScheduleTimer: Comparable, Sendable {
        var at: Micros
        var id: String
        static func < (a: ScheduleTimer, b: ScheduleTimer) -> Bool { (a.at, a.id) < (b.at, b.id) }
    }

    // MARK: Applying mutations

    mutating func apply(_ m: Mutation) {
        switch m {
        case .enqueue(let t):
            insert(t)
        case .start(let leases, let at):
            for l in leases {
                guard var t = tasks[l.id], t.status == .scheduled else { continue }
                t.attempt += 1
                t.lease = l.lease
                t.startedAt = at
                t.progress = 0
                setStatus(&t, .running)
                tasks[t.id] = t
                nextLease = max(nextLease, l.lease &+ 1)
            }
        case .succeed(let id, let lease, let output, let at):
            guard var t = running(id, lease) else { return }
            t.output = output
            t.progress = 1
            t.finishedAt = at
            t.lease = 0
            setStatus(&t, .succeeded)
            tasks[id] = t
            occurrenceFinished(t, at: at)
        case .fail(let id, let lease, let error, let retryAt, let at):
            guard var t = running(id, lease) else { return }
            t.lastError = error
            t.lease = 0
            if let retryAt {
                t.runAt = retryAt
                setStatus(&t, .scheduled)
                tasks[id] = t
            } else {
                t.finishedAt = at
                setStatus(&t, .failed)
                tasks[id] = t
                occurrenceFinished(t, at: at)
            }
        case .snooze(let id, let lease, let until, _):
            guard var t = running(id, lease) else { return }
            t.attempt = max(0, t.attempt - 1)
            t.lease = 0
            t.runAt = until
            setStatus(&t, .scheduled)
            tasks[id] = t
        case .progress(let id, let lease, let value):
            guard var t = running(id, lease) else { return }
            t.progress = value
            tasks[id] = t
        case .cancel(let ids, let at):
            for id in ids {
                guard var t = tasks[id], !t.status.isTerminal else { continue }
                t.lease = 0
                t.finishedAt = at
                setStatus(&t, .cancelled)
                tasks[id] = t
                occurrenceFinished(t, at: at)
            }
        case .pause(let ids, _):
            for id in ids {
                guard var t = tasks[id], t.status == .scheduled || t.status == .running else { continue }
                t.lease = 0
                setStatus(&t, .paused)
                tasks[id] = t
            }
        case .resume(let ids, _):
            for id in ids {
                guard var t = tasks[id], t.status == .paused else { continue }
                // Keeps its run time: one that passed while paused is due at once.
                setStatus(&t, .scheduled)
                tasks[id] = t
            }
        case .reschedule(let ids, let runAt, _):
            for id in ids {
                guard var t = tasks[id], t.status == .scheduled || t.status == .paused else { continue }
                t.runAt = runAt
                let status = t.status
                setStatus(&t, status)
                tasks[id] = t
            }
        case .retryNow(let ids, let at):
            for id in ids {
                guard var t = tasks[id], t.status == .scheduled || t.status == .failed || t.status == .cancelled || t.status == .paused else { continue }
                if t.status == .failed || t.status == .cancelled {
                    t.finishedAt = nil
                    if t.attempt >= t.maxAttempts { t.maxAttempts = t.attempt + 1 }
                }
                t.runAt = at
                setStatus(&t, .scheduled)
                tasks[id] = t
            }
        case .purge(let ids):
            for id in ids {
                guard let t = tasks[id], t.status.isTerminal else { continue }
                tasks[id] = nil
            }
        case .upsertSchedule(let s):
            schedules[s.id] = s
            armSchedule(s)
        case .setScheduleStatus(let id, let status, let nextFire, _):
            guard var s = schedules[id] else { return }
            s.status = status
            s.nextFire = nextFire
            schedules[id] = s
            armSchedule(s)
        case .fire(let scheduleID, let created, let lastNominal, _, _, let nextFire, _):
            for t in created { insert(t) }
            guard var s = schedules[scheduleID] else { return }
            if let last = created.last { s.lastTaskID = last.id }
            if let lastNominal { s.lastFire = lastNominal }
            s.nextFire = nextFire
            if nextFire == nil && !s.isFixedDelay { s.status = .finished }
            schedules[scheduleID] = s
            armSchedule(s)
        }
    }

    private func running(_ id: String, _ lease: UInt64) -> TaskEntry? {
        guard let t = tasks[id], t.status == .running, t.lease == lease else { return nil }
        return t
    }

    private mutating func insert(_ t: TaskEntry) {
        guard !tasks.contains(t.id) else { return }
        var t = t
        t.version = 0
        nextSequence = max(nextSequence, t.sequence &+ 1)
        let status = t.status
        t.status = .paused  // so setStatus counts the entry from a neutral state
        setStatus(&t, status)
        tasks[t.id] = t
    }

    /// Changes the status and keeps the derived structures right: running counts, the timer
    /// heap (a scheduled task gets a fresh entry; older ones go stale by version).
    private mutating func setStatus(_ t: inout TaskEntry, _ status: TaskStatus) {
        if t.status == .running {
            runningCount -= 1
            runningByQueue[t.queue, default: 1] -= 1
            if runningByQueue[t.queue] == 0 { runningByQueue[t.queue] = nil }
            if let key = t.key { runningKeys.remove(key) }
        }
        if status == .running {
            runningCount += 1
            runningByQueue[t.queue, default: 0] += 1
            if let key = t.key { runningKeys.insert(key) }
        }
        t.status = status
        t.version &+= 1
        if status == .scheduled && maintainsTimers {
            timers.push(TimerItem(runAt: t.runAt, sequence: t.sequence, version: t.version, id: t.id))
        }
    }

    /// A fixed-delay schedule waits for its occurrence to end before it computes the next fire.
    private mutating func occurrenceFinished(_ t: TaskEntry, at: Micros) {
        guard let sid = t.scheduleID, var s = schedules[sid], s.isFixedDelay, s.status == .active,
              s.lastTaskID == t.id, s.nextFire == nil else { return }
        s.nextFire = s.schedule.next(after: Time.date(at)).map(Time.micros)
        if s.nextFire == nil { s.status = .finished }
        schedules[sid] = s
        armSchedule(s)
    }

    private mutating func armSchedule(_ s: ScheduleEntry) {
        if s.status == .active, let at = s.nextFire { scheduleTimers.push(ScheduleTimer(at: at, id: s.id)) }
    }

    /// Rebuilds the derived structures after loading tasks and schedules from a snapshot (or
    /// to drop the stale heap entries a replay leaves). Leaves the tasks themselves untouched.
    mutating func rebuildDerived() {
        var timerItems: [TimerItem] = []
        runningCount = 0
        runningByQueue = [:]
        runningKeys = []
        tasks.forEachLive { id, status, runAt, sequence, version, queue, key in
            switch status {
            case .scheduled:
                timerItems.append(TimerItem(runAt: runAt, sequence: sequence, version: version, id: id))
            case .running:
                runningCount += 1
                runningByQueue[queue, default: 0] += 1
                if let key { runningKeys.insert(key) }
            default:
                break
            }
        }
        // A sorted array is a valid min-heap: O(n log n) once instead of n pushes.
        timerItems.sort()
        timers = BinaryHeap(sorted: timerItems)
        scheduleTimers.removeAll()
        for s in schedules.values { armSchedule(s) }
    }

    // MARK: Occurrence ids

    /// The id of the occurrence of schedule `id` at nominal time `at`
    /// (`nightly@2026-11-23T02:00:00Z`): the same on every run, so a restart can never create
    /// an occurrence twice.
    static func occurrenceID(schedule id: String, nominal at: Micros) -> String {
        id + "@" + UTCStamp.string(at)
    }
}
