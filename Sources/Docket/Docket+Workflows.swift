import Foundation

extension Docket {
    /// Starts workflow `id`: its stages run one after another, each stage's tasks in parallel
    /// (see `WorkflowStage` and `Workflow` for chains, groups and chords). Returns once the
    /// workflow and its first stage's tasks are durable. Starting an id that exists returns
    /// that workflow unchanged.
    ///
    /// The workflow is journaled and its progress derived from its tasks' own records, so it
    /// survives a crash like any task: a stage whose last task ended before the crash has
    /// started the next one when the journal is replayed. Step ids are
    /// `<workflow id>/<stage>/<step>`; until the workflow is purged, `enqueue` refuses them.
    ///
    /// - Throws: `invalidArgument` for an id with "/", no stages, an empty stage, a quorum
    ///   outside 1…tasks, a step id that a task already has, or a workflow larger than
    ///   `journal.maxRecordSize` as one record (nothing is started then); the errors of
    ///   `enqueue` for a step (unknown handler, bad options, a payload that does not encode).
    @discardableResult
    public func startWorkflow(_ id: String, stages: [WorkflowStage]) async throws(DocketError) -> WorkflowInfo {
        guard !isClosed else { throw .closed }
        try Self.validateName(id, what: "workflow id")
        guard !id.contains("/") else { throw .invalidArgument("the workflow id \"\(id)\" must not contain \"/\" (step ids are <workflow id>/<stage>/<step>)") }
        if state.workflows[id] != nil {
            // Maybe started by a call still waiting for its record to be durable: wait too.
            try await waitDurable(journal?.lastSequence ?? 0)
            return try info(state.workflows[id].orThrow(.invalidArgument("workflow \"\(id)\" was purged meanwhile")))
        }
        guard !stages.isEmpty else { throw .invalidArgument("workflow \"\(id)\" has no stages") }
        guard id.utf8.count <= 200 else { throw .invalidArgument("the workflow id must be at most 200 bytes (its step ids add \"/<stage>/<step>\")") }
        guard stages[0].condition == .always else {
            throw .invalidArgument("the first stage of workflow \"\(id)\" has no previous stage: its condition must be .always")
        }
        let now = try clockReading()
        var specs: [WorkflowEntry.Stage] = []
        for (i, stage) in stages.enumerated() {
            guard !stage.tasks.isEmpty else { throw .invalidArgument("stage \(i) of workflow \"\(id)\" has no tasks") }
            if case .quorum(let q) = stage.completion, !(1...stage.tasks.count).contains(q) {
                throw .invalidArgument("the quorum of stage \(i) of workflow \"\(id)\" must be 1…\(stage.tasks.count) (got \(q))")
            }
            var steps: [TaskEntry] = []
            for (k, task) in stage.tasks.enumerated() {
                let stepID = WorkflowEntry.stepID(id, stage: i, step: k)
                if state.tasks.contains(stepID) { throw .invalidArgument("a task with the step id \"\(stepID)\" of workflow \"\(id)\" exists already") }
                let bytes: [UInt8]
                do { bytes = try task.encode(configuration.codec).trimmedForStorage } catch { throw .encodingFailed("\(error)") }
                var options = task.options
                options.id = stepID
                options.runAt = nil
                options.delay = nil
                steps.append(try makeEntry(task.name, payload: bytes, options: options, now: now))
            }
            if let timeout = stage.timeout, Time.micros(timeout) <= 0 {
                throw .invalidArgument("the timeout of stage \(i) of workflow \"\(id)\" must be at least 1 µs (got \(timeout))")
            }
            specs.append(WorkflowEntry.Stage(steps: steps, completion: stage.completion, stopOnFailure: stage.onFailure == .stop,
                                             condition: stage.condition, timeout: stage.timeout.map(Time.micros) ?? 0))
        }
        let entry = WorkflowEntry(id: id, stages: specs, current: 0, status: .running, outcomes: Array(repeating: nil, count: specs.count),
                                  createdAt: now, finishedAt: nil)
        let sequence: UInt64
        do {
            sequence = try commit(.startWorkflow(entry, at: now))
        } catch .journal(.recordTooLarge(let size, let limit)) {
            // The whole workflow is one record: say which limit it hit and what to do.
            throw .invalidArgument("workflow \"\(id)\" is \(size) bytes as one journal record, more than journal.maxRecordSize (\(limit) bytes): split it into smaller workflows, or raise configuration.journal.maxRecordSize")
        }
        try await waitDurable(sequence)
        return try info(state.workflows[id].orThrow(.invalidArgument("workflow \(id) was not started")))
    }

    /// The workflow with this id.
    public func workflow(_ id: String) -> WorkflowInfo? { state.workflows[id].map(info) }

    /// All workflows, by id.
    public func workflows() -> [WorkflowInfo] { state.workflows.values.sorted { $0.id < $1.id }.map(info) }

    /// Cancels a running workflow and its unfinished tasks (running handlers are cancelled).
    ///
    /// - Throws: `invalidArgument` for an unknown or finished workflow.
    @discardableResult
    public func cancelWorkflow(_ id: String) async throws(DocketError) -> WorkflowInfo {
        guard let w = state.workflows[id] else { throw .invalidArgument("there is no workflow \"\(id)\"") }
        guard w.status == .running else { throw .invalidArgument("workflow \"\(id)\" has finished (\(w.status.rawValue))") }
        let sequence = try commit(.cancelWorkflow(id: id, at: nowMicros()))
        try await waitDurable(sequence)
        return try info(state.workflows[id].orThrow(.invalidArgument("workflow \(id) is gone")))
    }

    /// The workflow and stage a step id names (whatever its status), if it names one.
    func workflowStep(_ id: String) -> (workflow: WorkflowEntry, stage: Int)? {
        guard !state.workflows.isEmpty else { return nil }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        // Only the ids `startWorkflow` makes: canonical numbers ("0", not "00" or "+0") of a
        // stage and a step the workflow has.
        func index(_ s: Substring) -> Int? { Int(s).flatMap { $0 >= 0 && String($0) == s ? $0 : nil } }
        guard parts.count >= 3, let step = index(parts[parts.count - 1]), let stage = index(parts[parts.count - 2]),
              let w = state.workflows[parts.dropLast(2).joined(separator: "/")],
              w.stages.indices.contains(stage), w.stages[stage].steps.indices.contains(step) else { return nil }
        return (w, stage)
    }

    /// Journals the timeout of every running stage whose deadline has come.
    func expireWorkflowStages(now: Micros) throws(DocketError) {
        while let top = state.workflowTimers.min, top.at <= now {
            _ = state.workflowTimers.popMin()
            guard let w = state.workflows[top.id], w.status == .running, w.stageDeadline == top.at else { continue }
            try commit(.workflowTimedOut(id: w.id, stage: w.current, at: now))
        }
    }

    /// Whether `id` is a step id of a workflow (reserved for it until the workflow is purged:
    /// a finished workflow's step, once purged, must not come back as a task of another kind
    /// that the workflow's rules would then refuse to retry).
    func isReservedStepID(_ id: String) -> Bool { workflowStep(id) != nil }

    /// Whether `id` is a step of a workflow stage that has ended (or of a finished workflow):
    /// running it again would not change the workflow.
    func isDecidedWorkflowStep(_ id: String) -> Bool {
        guard let (w, stage) = workflowStep(id) else { return false }
        return w.status != .running || stage < w.current
    }

    /// The outputs of the succeeded tasks of the last stage before `stage` that ran.
    func previousStageOutputs(_ workflowID: String, before stage: Int) -> [[UInt8]] {
        guard let w = state.workflows[workflowID], stage > 0 else { return [] }
        guard let previous = (0..<min(stage, w.stages.count)).last(where: { w.outcomes[$0] != nil }) else { return [] }
        return w.stages[previous].steps.indices.compactMap { k in
            state.tasks[WorkflowEntry.stepID(workflowID, stage: previous, step: k)].flatMap { $0.status == .succeeded ? $0.output : nil }
        }
    }

    /// Ends a hold of workflow effects (`holdWorkflowEffects`), restoring the outer one, and
    /// acts on them now when no timer loop will.
    func releaseWorkflowEffects(_ outer: Bool) {
        holdWorkflowEffects = outer
        if !outer, !state.workflowEffects.isEmpty, !isRunning || isStopping { actOnWorkflowEffects() }
    }

    /// What workflow progress did in the last commit: announce the new tasks (and wake the
    /// timer loop for them), cancel the handlers of the tasks it cancelled.
    func actOnWorkflowEffects() {
        let effects = state.workflowEffects
        state.workflowEffects = []
        let now = nowMicros()
        for effect in effects {
            switch effect {
            case .created(let t):
                emit(.enqueued, t, at: now, runAt: t.runAt)
                noteNewRunTime(t.runAt)
            case .cancelled(let t):
                if let flight = inFlight.removeValue(forKey: t.id) { cancelAttempt(flight) }
                emit(.cancelled, t, at: now)
            case .finished(let id, let status):
                guard wantsEvents else { continue }
                publish(DocketEvent(kind: .workflowEnded, taskID: id, attempt: 0, at: Time.date(now), runAt: nil, name: nil, scheduleID: nil,
                                    error: status == .succeeded ? nil : status.rawValue))
            }
        }
    }

    func info(_ w: WorkflowEntry) -> WorkflowInfo { state.workflowInfo(w) }
}

extension EngineState {
    /// `w` as seen from outside, its progress counted from its tasks.
    func workflowInfo(_ w: WorkflowEntry) -> WorkflowInfo {
        var taskIDs: [[String]] = []
        var finished = 0
        var total = 0
        for (i, stage) in w.stages.enumerated() {
            let started = w.outcomes[i] != nil || i == w.current
            let ids = started ? stage.steps.indices.map { WorkflowEntry.stepID(w.id, stage: i, step: $0) } : []
            taskIDs.append(ids)
            total += stage.steps.count
            if started && w.status == .running {
                finished += ids.count(where: { tasks.peek($0)?.status.isTerminal ?? true })
            } else if w.status != .running || i < w.current {
                // Finished workflows are done; stages passed over by their condition too.
                finished += stage.steps.count
            }
        }
        return WorkflowInfo(id: w.id, status: w.status, currentStage: w.current, stageOutcomes: w.outcomes, taskIDs: taskIDs,
                            progress: total == 0 ? 1 : Double(finished) / Double(total), createdAt: Time.date(w.createdAt),
                            finishedAt: w.finishedAt.map(Time.date))
    }
}
