/// The whole state of the engine as a value: tasks, schedules and counters, with `apply` the
/// only way to change it. The same `apply` runs live and in replay, so recovery rebuilds
/// exactly what was there. Being a value (dictionaries are copy-on-write), a copy for a
/// snapshot costs nothing until the next mutation.
struct EngineState: Sendable {
    var tasks = TaskTable()
    var schedules: [String: ScheduleEntry] = [:]
    var nextSequence: UInt64 = 1
    var nextLease: UInt64 = 1
    var workflows: [String: WorkflowEntry] = [:]

    // Derived from the above (rebuilt after loading a snapshot, never stored).
    var timers = BinaryHeap<TimerItem>()
    var scheduleTimers = BinaryHeap<ScheduleTimer>()
    var runningCount = 0
    var runningByQueue: [String: Int] = [:]
    /// Running tasks per resource key (more than one only for the group of a grouped handler).
    var runningKeys: [String: Int] = [:]
    /// Off while replaying: the timer heap is rebuilt once at the end instead of growing with
    /// stale entries on every change.
    var maintainsTimers = true
    /// The tasks of running workflows: task id → workflow and stage.
    var workflowOfTask: [String: (workflow: String, stage: Int, step: Int)] = [:]
    /// The running stage of each running workflow, step by step (0 waiting, 1 succeeded, 2
    /// failed, cancelled or missing) with the counts, kept as its tasks end so that deciding a
    /// stage costs O(1) per task (recounted from the tasks after loading a snapshot).
    var stageTallies: [String: StageTally] = [:]
    /// How many times a stage was counted from its tasks (tests check that it is once per
    /// stage, not once per task ending).
    var stageRecounts = 0

    struct StageTally: Sendable {
        var steps: [UInt8]
        var succeeded = 0
        var failed = 0

        mutating func set(_ k: Int, _ value: UInt8) {
            guard steps.indices.contains(k), steps[k] != value else { return }
            if steps[k] == 1 { succeeded -= 1 } else if steps[k] == 2 { failed -= 1 }
            if value == 1 { succeeded += 1 } else if value == 2 { failed += 1 }
            steps[k] = value
        }
    }
    /// Stage deadlines of running workflows (stale when the workflow's `stageDeadline` moved on).
    var workflowTimers = BinaryHeap<ScheduleTimer>()
    /// What workflow progress did inside `apply`, for the live engine to act on (events, the
    /// timer loop, cancelling handlers); recorded only when it asks (never in replay).
    var recordsWorkflowEffects = false
    var workflowEffects: [WorkflowEffect] = []

    /// Each carries what its event reports, as it was then: a purge between the commit and
    /// the loop's turn that acts on it must not swallow the event.
    enum WorkflowEffect: Sendable {
        case created(TaskEntry)
        case cancelled(TaskEntry)
        case finished(String, WorkflowStatus)
    }

    /// A task waiting for its time. Stale when the task's version moved on, or when its id now
    /// names another task (purged, then enqueued again: versions start at 1 again, so the
    /// sequence tells them apart, here and in the ready and parked queues).
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
        defer { pruneStaleTimersIfNeeded() }
        applyOwn(m)
        // Workflow tasks that reached a final status move their workflows on (derived here, so
        // replay does exactly the same).
        guard !workflowOfTask.isEmpty else { return }
        switch m {
        case .succeed(let id, _, _, let at), .fail(let id, _, _, nil, let at):
            workflowTaskEnded(id, at: at)
        case .cancel(let ids, let at), .cancelWithCompensation(let ids, _, let at):
            for id in ids { workflowTaskEnded(id, at: at) }
        case .retryNow(let ids, _):
            // A failed step of an undecided stage runs again: it no longer counts as failed.
            for id in ids { workflowTaskReopened(id) }
        default:
            break
        }
    }

    private mutating func applyOwn(_ m: Mutation) {
        switch m {
        case .startWorkflow(let w, let at):
            beginWorkflow(w, at: at)
        case .cancelWorkflow(let id, let at):
            cancelWorkflow(id, at: at)
        case .workflowTimedOut(let id, let stage, let at):
            workflowStageTimedOut(id, stage: stage, at: at)
        case .shiftWorkflowDeadlines(let ids, let by, _):
            for id in ids {
                guard var w = workflows[id], w.status == .running, let deadline = w.stageDeadline else { continue }
                let moved = Time.add(deadline, -by)
                w.stageDeadline = moved
                workflows[id] = w
                // The old entry goes stale: it no longer matches `stageDeadline`.
                workflowTimers.push(ScheduleTimer(at: moved, id: id))
            }
        case .removeWorkflows(let ids):
            // Only finished ones: the live engine checked, and replay must agree with it.
            for id in ids where workflows[id].map({ $0.status != .running }) ?? false { workflows[id] = nil }
        case .enqueue(let t):
            applyEnqueue(t)
        case .start(let leases, let at):
            for l in leases {
                // In place (`markStarted`); the counters as `setStatus` keeps them.
                guard let (queue, key) = tasks.markStarted(l.id, lease: l.lease, at: at) else { continue }
                runningCount += 1
                runningByQueue[queue, default: 0] += 1
                if let key { runningKeys[key, default: 0] += 1 }
                nextLease = max(nextLease, l.lease &+ 1)
            }
        case .succeed(let id, let lease, let output, let at):
            guard let (queue, key, scheduleID) = tasks.markSucceeded(id, lease: lease, output: output, at: at) else { return }
            leftRunning(queue: queue, key: key)
            if let scheduleID { occurrenceFinished(id: id, scheduleID: scheduleID, at: at) }
        case .fail(let id, let lease, let error, let retryAt, let at):
            guard var f = running(id, lease) else { return }
            f.task.lastError = error
            f.task.lease = 0
            if let retryAt {
                f.task.runAt = retryAt
                f.task.runAtFromClock = true
                setStatus(&f.task, .scheduled)
                tasks.store(f)
            } else {
                f.task.finishedAt = at
                setStatus(&f.task, .failed)
                tasks.store(f)
                occurrenceFinished(f.task, at: at)
            }
        case .snooze(let id, let lease, let until, let at):
            guard var f = running(id, lease) else { return }
            f.task.attempt = max(0, f.task.attempt - 1)
            f.task.lease = 0
            f.task.runAt = until
            // The engine's own "run again now" (a cancelled grouped call, shutdown) came from
            // the clock; a handler's `snooze(until:)` is a time it gave.
            f.task.runAtFromClock = until == at
            setStatus(&f.task, .scheduled)
            tasks.store(f)
        case .progress(let id, let lease, let value):
            guard var f = running(id, lease) else { return }
            f.task.progress = value
            tasks.store(f)
        case .cancelWithCompensation(let ids, let created, let at):
            applyOwn(.cancel(ids, at: at))
            for t in created { insert(t) }
        case .cancel(let ids, let at):
            for id in ids {
                guard var f = tasks.find(id), !f.task.status.isTerminal else { continue }
                f.task.lease = 0
                f.task.finishedAt = at
                setStatus(&f.task, .cancelled)
                tasks.store(f)
                occurrenceFinished(f.task, at: at)
            }
        case .pause(let ids, _):
            for id in ids {
                guard var f = tasks.find(id), f.task.status == .scheduled || f.task.status == .running else { continue }
                f.task.lease = 0
                setStatus(&f.task, .paused)
                tasks.store(f)
            }
        case .resume(let ids, _):
            for id in ids {
                guard var f = tasks.find(id), f.task.status == .paused else { continue }
                // Keeps its run time: one that passed while paused is due at once. Paused
                // while running, its attempt counted; if that was the last, it gets one more.
                if f.task.attempt >= f.task.maxAttempts { f.task.maxAttempts = f.task.attempt + 1 }
                setStatus(&f.task, .scheduled)
                tasks.store(f)
            }
        case .reschedule(let ids, let runAt, _):
            for id in ids {
                guard var f = tasks.find(id), f.task.status == .scheduled || f.task.status == .paused else { continue }
                f.task.runAt = runAt
                f.task.runAtFromClock = false
                let status = f.task.status
                setStatus(&f.task, status)
                tasks.store(f)
            }
        case .shiftRunAt(let ids, let by, _):
            for id in ids {
                guard var f = tasks.find(id), f.task.status == .scheduled || f.task.status == .paused, f.task.runAtFromClock else { continue }
                f.task.runAt = Time.add(f.task.runAt, -by)
                let status = f.task.status
                setStatus(&f.task, status)
                tasks.store(f)
            }
        case .retryNow(let ids, let at):
            for id in ids {
                guard var f = tasks.find(id), [.scheduled, .failed, .cancelled, .paused].contains(f.task.status) else { continue }
                if f.task.status == .failed || f.task.status == .cancelled { f.task.finishedAt = nil }
                if f.task.status != .scheduled, f.task.attempt >= f.task.maxAttempts { f.task.maxAttempts = f.task.attempt + 1 }
                f.task.runAt = at
                f.task.runAtFromClock = true
                setStatus(&f.task, .scheduled)
                // A fixed-delay schedule whose latest occurrence runs again waits for it again:
                // its next fire (set when the occurrence ended) goes, to be set when it ends
                // anew, else the next occurrence would start beside it. In this record, so
                // that no crash can leave the one without the other. (Journals of earlier
                // builds follow this record with an `upsertSchedule` saying the same.)
                if let sid = f.task.scheduleID, var sch = schedules[sid], sch.isFixedDelay,
                   sch.status == .active || sch.status == .paused, sch.lastTaskID == id, sch.nextFire != nil {
                    sch.nextFire = nil
                    schedules[sid] = sch
                }
                tasks.store(f)
            }
        case .purge(let ids):
            for id in ids {
                // A running workflow's tasks stay: its stages are decided from them.
                guard let p = tasks.peek(id), p.status.isTerminal, workflowOfTask[id] == nil else { continue }
                tasks.remove(id)
            }
        case .removeSchedules(let ids):
            // Only finished ones: the live engine checked, and replay must agree with it.
            for id in ids where schedules[id]?.status == .finished { schedules[id] = nil }
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

    private func running(_ id: String, _ lease: UInt64) -> TaskTable.Found? {
        guard let f = tasks.find(id), f.task.status == .running, f.task.lease == lease else { return nil }
        return f
    }

    /// Adds a new task (an id already present is left alone: enqueue checked it, and replay
    /// must do what the live engine did).
    /// What `apply(.enqueue(t))` does — all it does, so the batch path (`commit(enqueues:)`)
    /// calls this for each task instead of wrapping it in a mutation. A side effect of
    /// enqueueing belongs here, or live state and replay drift apart.
    mutating func applyEnqueue(_ t: TaskEntry) {
        insert(t)
    }

    mutating func insert(_ t: TaskEntry) {
        if t.sequence < nextSequence {
            // Never from a live engine (new tasks take the next sequence); from a damaged or
            // hand-made record, a sequence taken already would list the task twice in pages and
            // snapshots. It gets the next one, the same way in every replay.
            var renumbered = t
            renumbered.sequence = nextSequence
            return insert(renumbered)
        }
        guard tasks.insertNew(t, version: 1) else { return }
        nextSequence = max(nextSequence, t.sequence &+ 1)
        entered(t, version: 1)
    }

    /// Changes the status and keeps the derived structures right: running counts, the timer
    /// heap (a scheduled task gets a fresh entry; older ones go stale by version).
    mutating func setStatus(_ t: inout TaskEntry, _ status: TaskStatus) {
        if t.status == .running { leftRunning(queue: t.queue, key: t.key) }
        t.status = status
        t.version &+= 1
        entered(t, version: t.version)
    }

    /// The derived structures' side of a task entering its (new) status.
    private mutating func entered(_ t: TaskEntry, version: UInt32) {
        if t.status == .running {
            runningCount += 1
            runningByQueue[t.queue, default: 0] += 1
            if let key = t.key { runningKeys[key, default: 0] += 1 }
        }
        if t.status == .scheduled && maintainsTimers {
            timers.push(TimerItem(runAt: t.runAt, sequence: t.sequence, version: version, id: t.id))
        }
    }

    /// The running counters' side of a task leaving `running`.
    private mutating func leftRunning(queue: String, key: String?) {
        runningCount -= 1
        runningByQueue[queue, default: 1] -= 1
        if runningByQueue[queue] == 0 { runningByQueue[queue] = nil }
        if let key {
            runningKeys[key, default: 1] -= 1
            if runningKeys[key] == 0 { runningKeys[key] = nil }
        }
    }

    /// A fixed-delay schedule waits for its occurrence to end before it computes the next fire.
    private mutating func occurrenceFinished(_ t: TaskEntry, at: Micros) {
        if let sid = t.scheduleID { occurrenceFinished(id: t.id, scheduleID: sid, at: at) }
    }

    private mutating func occurrenceFinished(id: String, scheduleID sid: String, at: Micros) {
        guard var s = schedules[sid], s.isFixedDelay, s.status == .active,
              s.lastTaskID == id, s.nextFire == nil else { return }
        s.nextFire = s.schedule.next(after: Time.date(at)).map(Time.micros)
        if s.nextFire == nil { s.status = .finished }
        schedules[sid] = s
        armSchedule(s)
    }

    private mutating func armSchedule(_ s: ScheduleEntry) {
        if s.status == .active, let at = s.nextFire { scheduleTimers.push(ScheduleTimer(at: at, id: s.id)) }
    }

    /// Heap entries outlive the versions they were pushed for (a cancel, a reschedule, a purge of
    /// a task not yet due) until they reach the top, which for a far run time can be days: a
    /// service that reschedules or cancels many delayed tasks would hold every old entry. Once
    /// stale entries are at least half the heap, the current ones are kept (O(n log n) for at
    /// least n/2 stale pushes). Called after a whole mutation, when every change is stored.
    private mutating func pruneStaleTimersIfNeeded() {
        guard maintainsTimers, timers.count > Self.staleTimerSlack, timers.count > 2 * tasks.scheduledCount + Self.staleTimerSlack else { return }
        // From the heap, not the table: O(heap), whatever number of finished tasks the table
        // holds, and entries of tasks already queued stay gone.
        var items = timers.elements.filter { e in
            guard let p = tasks.peek(e.id) else { return false }
            return p.status == .scheduled && p.version == e.version && p.sequence == e.sequence
        }
        items.sort()
        timers = BinaryHeap(sorted: items)
    }

    /// Below this many stale entries the heap is left alone.
    static let staleTimerSlack = 1_024

    /// Rebuilds the derived structures after loading tasks and schedules from a snapshot (or
    /// to drop the stale heap entries a replay leaves). Leaves the tasks themselves untouched.
    mutating func rebuildDerived() {
        rebuildWorkflowIndex()
        var timerItems: [TimerItem] = []
        timerItems.reserveCapacity(tasks.count)
        runningCount = 0
        runningByQueue = [:]
        runningKeys = [:]
        tasks.forEachLive { id, status, runAt, sequence, version, queue, key in
            switch status {
            case .scheduled:
                timerItems.append(TimerItem(runAt: runAt, sequence: sequence, version: version, id: id))
            case .running:
                runningCount += 1
                runningByQueue[queue, default: 0] += 1
                if let key { runningKeys[key, default: 0] += 1 }
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

    /// The nominal time of an occurrence, read back from its id: its run time differs by the
    /// jitter of an interval schedule or a reschedule. Nil for a task that is no occurrence.
    static func nominalTime(of t: TaskEntry) -> Micros? {
        guard let sid = t.scheduleID, t.id.utf8.count > sid.utf8.count + 1, t.id.hasPrefix(sid + "@") else { return nil }
        return UTCStamp.micros(String(decoding: t.id.utf8.dropFirst(sid.utf8.count + 1), as: UTF8.self))
    }
}
