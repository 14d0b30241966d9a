/// A workflow as the engine stores and journals it: the stages with their task templates, the
/// stage running, each stage's outcome. Progress is not journaled: `EngineState.apply` derives
/// it from the tasks' own transitions (a stage's end, the next stage's tasks), so replaying
/// the journal rebuilds exactly the same workflow and tasks.
struct WorkflowEntry: Sendable, Equatable {
    struct Stage: Sendable, Equatable {
        /// Task templates: name, payload, queue, priority, key, attempts, retry, timeout.
        var steps: [TaskEntry]
        var completion: WorkflowStage.Completion
        var stopOnFailure: Bool
        var condition: WorkflowStage.Condition
        /// Microseconds from the stage's start; 0: none.
        var timeout: Micros = 0
    }

    var id: String
    var stages: [Stage]
    /// The stage running; `stages.count` once finished, the stage it stopped at once cancelled.
    var current: Int
    var status: WorkflowStatus
    var outcomes: [Bool?]
    var createdAt: Micros
    var finishedAt: Micros?
    /// Step ids that were taken by another task when their stage started: failed steps.
    var collided: [String] = []
    /// When the running stage times out, if it has a timeout.
    var stageDeadline: Micros?

    static func stepID(_ workflow: String, stage: Int, step: Int) -> String { "\(workflow)/\(stage)/\(step)" }

    /// Whether `stage` runs after a last run stage that ended `previousSucceeded`.
    static func runs(_ condition: WorkflowStage.Condition, previousSucceeded: Bool) -> Bool {
        switch condition {
        case .always: true
        case .ifPreviousSucceeded: previousSucceeded
        case .ifPreviousFailed: !previousSucceeded
        }
    }

    /// The verdict on a stage of `total` tasks with `succeeded` and `failed` (failed, cancelled
    /// or missing) ones: true done well, false failed, nil not decided.
    static func verdict(_ completion: WorkflowStage.Completion, total: Int, succeeded: Int, failed: Int) -> Bool? {
        let needed: Int
        switch completion {
        case .all: needed = total
        case .any: needed = min(1, total)
        case .quorum(let q): needed = min(max(q, 0), total)
        }
        if succeeded >= needed { return true }
        if failed > total - needed { return false }
        return nil
    }
}

extension EngineState {
    /// A task of a workflow reached a final status: decide its stage, and go on.
    mutating func workflowTaskEnded(_ id: String, at: Micros) {
        guard let (wid, stage, step) = workflowOfTask[id], var w = workflows[wid], w.status == .running, w.current == stage else { return }
        stageTallies[wid]?.set(step, Self.tallyValue(tasks.peek(id)?.status))
        evaluateStage(&w, at: at)
        workflows[wid] = w
    }

    /// A step of the running stage was set to run again (`retryNow`).
    mutating func workflowTaskReopened(_ id: String) {
        guard let (wid, stage, step) = workflowOfTask[id], workflows[wid].map({ $0.status == .running && $0.current == stage }) ?? false else { return }
        stageTallies[wid]?.set(step, Self.tallyValue(tasks.peek(id)?.status))
    }

    /// A step's place in the tally: 1 succeeded, 2 failed (cancelled, failed or missing), 0 not ended.
    static func tallyValue(_ status: TaskStatus?) -> UInt8 {
        switch status {
        case .succeeded?: 1
        case .failed?, .cancelled?, nil: 2
        default: 0
        }
    }

    /// Counts the running stage of `w` from its tasks.
    mutating func recountStage(of w: WorkflowEntry) {
        stageRecounts += 1
        let collided = Set(w.collided)
        let steps = w.stages[w.current].steps.indices.map { k -> UInt8 in
            let id = WorkflowEntry.stepID(w.id, stage: w.current, step: k)
            return collided.contains(id) ? 2 : Self.tallyValue(tasks.peek(id)?.status)
        }
        stageTallies[w.id] = StageTally(steps: steps, succeeded: steps.count(where: { $0 == 1 }), failed: steps.count(where: { $0 == 2 }))
    }

    /// Starts the workflow's first stage (`startWorkflow`).
    mutating func beginWorkflow(_ entry: WorkflowEntry, at: Micros) {
        guard workflows[entry.id] == nil else { return }
        var w = entry
        startStage(&w, 0, at: at)
        workflows[w.id] = w
    }

    /// Cancels the running stage's unfinished tasks and the workflow.
    mutating func cancelWorkflow(_ id: String, at: Micros) {
        guard var w = workflows[id], w.status == .running else { return }
        cancelUnfinished(of: w, stage: w.current, at: at)
        w.status = .cancelled
        stageTallies[id] = nil
        forgetTasks(of: w)
        w.finishedAt = at
        workflows[id] = w
        if recordsWorkflowEffects { workflowEffects.append(.finished(id, w.status)) }
    }

    private mutating func evaluateStage(_ w: inout WorkflowEntry, at: Micros) {
        let stage = w.stages[w.current]
        if stageTallies[w.id] == nil { recountStage(of: w) }
        guard let tally = stageTallies[w.id],
              let ok = WorkflowEntry.verdict(stage.completion, total: stage.steps.count, succeeded: tally.succeeded, failed: tally.failed) else { return }
        concludeStage(&w, ok: ok, at: at)
    }

    /// The running stage of workflow `id` passed its timeout (journaled by the timer loop):
    /// it fails, its unfinished tasks are cancelled.
    mutating func workflowStageTimedOut(_ id: String, stage: Int, at: Micros) {
        guard var w = workflows[id], w.status == .running, w.current == stage else { return }
        concludeStage(&w, ok: false, at: at)
        workflows[id] = w
    }

    /// Records the running stage's verdict and moves on: the next stage whose condition holds,
    /// or the end.
    private mutating func concludeStage(_ w: inout WorkflowEntry, ok: Bool, at: Micros) {
        let stage = w.stages[w.current]
        w.stageDeadline = nil
        stageTallies[w.id] = nil
        cancelUnfinished(of: w, stage: w.current, at: at)
        w.outcomes[w.current] = ok
        if !ok && stage.stopOnFailure {
            finish(&w, at: at)
            return
        }
        var next = w.current + 1
        while next < w.stages.count, !WorkflowEntry.runs(w.stages[next].condition, previousSucceeded: ok) { next += 1 }
        if next == w.stages.count {
            finish(&w, at: at)
        } else {
            startStage(&w, next, at: at)
        }
    }

    private mutating func finish(_ w: inout WorkflowEntry, at: Micros) {
        w.status = w.outcomes.contains(false) ? .failed : .succeeded
        stageTallies[w.id] = nil
        forgetTasks(of: w)
        w.current = w.stages.count
        w.finishedAt = at
        if recordsWorkflowEffects { workflowEffects.append(.finished(w.id, w.status)) }
    }

    /// Creates the tasks of `stage`, due at `at`. An id already taken (a task enqueued by hand
    /// under a step's id) counts as a failed step, decided at once like any other.
    private mutating func startStage(_ w: inout WorkflowEntry, _ stage: Int, at: Micros) {
        w.current = stage
        w.stageDeadline = nil
        if w.stages[stage].timeout > 0 {
            let deadline = Time.add(at, w.stages[stage].timeout)
            w.stageDeadline = deadline
            workflowTimers.push(ScheduleTimer(at: deadline, id: w.id))
        }
        for (k, template) in w.stages[stage].steps.enumerated() {
            var t = template
            t.id = WorkflowEntry.stepID(w.id, stage: stage, step: k)
            t.runAt = at
            t.runAtFromClock = true
            t.createdAt = at
            t.attempt = 0
            t.status = .scheduled
            t.sequence = nextSequence
            guard !tasks.contains(t.id) else {
                w.collided.append(t.id)
                continue
            }
            workflowOfTask[t.id] = (w.id, stage, k)
            insert(t)
            if recordsWorkflowEffects { workflowEffects.append(.created(t)) }
        }
        recountStage(of: w)
        // Collisions may decide the stage at once (an empty stage succeeds at once).
        if !w.collided.isEmpty || w.stages[stage].steps.isEmpty { evaluateStage(&w, at: at) }
    }

    private mutating func cancelUnfinished(of w: WorkflowEntry, stage: Int, at: Micros) {
        for k in w.stages[stage].steps.indices {
            let id = WorkflowEntry.stepID(w.id, stage: stage, step: k)
            guard workflowOfTask[id] != nil, var f = tasks.find(id), !f.task.status.isTerminal else { continue }
            f.task.lease = 0
            f.task.finishedAt = at
            setStatus(&f.task, .cancelled)
            tasks.store(f)
            if recordsWorkflowEffects { workflowEffects.append(.cancelled(f.task)) }
        }
    }

    /// Drops a finished workflow's tasks from `workflowOfTask` (only running ones are there).
    private mutating func forgetTasks(of w: WorkflowEntry) {
        for stage in 0..<min(w.current + 1, w.stages.count) where stage == w.current || w.outcomes[stage] != nil {
            for k in w.stages[stage].steps.indices { workflowOfTask[WorkflowEntry.stepID(w.id, stage: stage, step: k)] = nil }
        }
    }

    /// Rebuilds `workflowOfTask` from the running workflows (after loading a snapshot): every
    /// step of the stages started so far, but those whose id another task held.
    mutating func rebuildWorkflowIndex() {
        workflowOfTask = [:]
        stageTallies = [:]
        workflowTimers = BinaryHeap()
        for w in workflows.values where w.status == .running {
            if let deadline = w.stageDeadline { workflowTimers.push(ScheduleTimer(at: deadline, id: w.id)) }
            // Stages that ran, and the running one (skipped ones never had tasks).
            let collided = Set(w.collided)
            for stage in 0..<min(w.current + 1, w.stages.count) where stage == w.current || w.outcomes[stage] != nil {
                for k in w.stages[stage].steps.indices {
                    let id = WorkflowEntry.stepID(w.id, stage: stage, step: k)
                    if !collided.contains(id) { workflowOfTask[id] = (w.id, stage, k) }
                }
            }
            if w.current < w.stages.count { recountStage(of: w) }
        }
    }
}
