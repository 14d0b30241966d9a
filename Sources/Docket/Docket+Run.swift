import DocketJournal
import Foundation

extension Docket {
    /// Runs due tasks and recurring schedules until the calling task is cancelled, then shuts
    /// down gracefully: stops taking work, lets running handlers finish for up to
    /// `shutdownGrace`, cancels the rest (they run again later, their attempt not counted),
    /// syncs the journal, writes a snapshot and closes it. `close()` during `run()` ends it the
    /// same way (and returns once it has).
    ///
    /// ```swift
    /// let runner = Task { try await docket.run() }
    /// // …
    /// runner.cancel()
    /// try await runner.value
    /// ```
    ///
    /// - Throws: `alreadyRunning` if called twice; `closed` after shutdown or while closing; `journal` if the
    ///   journal failed while running (handlers are then cancelled at once, without the grace
    ///   period: none of their results could be recorded).
    public func run() async throws(DocketError) {
        guard !isClosed, !isClosing else { throw .closed }
        guard !isRunning else { throw .alreadyRunning }
        isRunning = true
        releaseHeldEvents()
        let failure: DocketError? = await withTaskCancellationHandler {
            while !Task.isCancelled && !stopRequested {
                let deadline: Micros?
                do throws(DocketError) { deadline = try tick() } catch { return error }
                armedDeadline = deadline
                await wakeup.wait(until: deadline.map(Time.wakeDate), clock: configuration.clock)
            }
            return nil
        } onCancel: {
            wakeup.signal()
        }
        await shutdown()
        if let failure { throw failure }
    }

    /// One pass of the timer loop: fires due schedules, expires leases, moves due tasks to the
    /// ready queue and starts as many as the limits allow. Returns when to come back.
    func tick() throws(DocketError) -> Micros? {
        try drainCompletions()
        if !state.workflowEffects.isEmpty { actOnWorkflowEffects() }
        let now = nowMicros()
        try noteWallClock(now)
        try fireDueSchedules(now: now)
        try expireLeases(now: now)
        if !state.workflowTimers.isEmpty { try expireWorkflowStages(now: now) }
        while let top = state.timers.min, top.runAt <= now {
            _ = state.timers.popMin()
            guard let t = state.tasks.markQueued(top.id, version: top.version, sequence: top.sequence) else { continue }
            ready.push(ReadyItem(priority: t.priority, runAt: t.runAt, sequence: top.sequence, version: top.version, id: top.id))
        }
        // Before anything starts: what expiries and timeouts did to workflows comes first.
        if !state.workflowEffects.isEmpty { actOnWorkflowEffects() }
        try dispatch(now: now)
        if !state.workflowEffects.isEmpty { actOnWorkflowEffects() }
        // Drop stale heads so the deadline is a real one.
        while let top = state.timers.min, readTasks({ $0.peek(top.id) }).map({ $0.status != .scheduled || $0.version != top.version || $0.sequence != top.sequence }) ?? true {
            _ = state.timers.popMin()
        }
        while let top = state.scheduleTimers.min, state.schedules[top.id].map({ $0.status != .active || $0.nextFire != top.at }) ?? true {
            _ = state.scheduleTimers.popMin()
        }
        while let top = leaseDeadlines.min, inFlight[top.id]?.lease != top.lease {
            _ = leaseDeadlines.popMin()
        }
        while let top = state.workflowTimers.min, state.workflows[top.id].map({ $0.status != .running || $0.stageDeadline != top.at }) ?? true {
            _ = state.workflowTimers.popMin()
        }
        return [state.timers.min?.runAt, state.scheduleTimers.min?.at, leaseDeadlines.min?.at, state.workflowTimers.min?.at].compactMap { $0 }.min()
    }

    /// Starts ready tasks within the global, per-queue and per-key limits, in one journal
    /// record for all of them.
    func dispatch(now: Micros) throws(DocketError) {
        // A pass that failed a task without a handler and so freed its key for a task parked
        // behind it goes again at once: nothing else would wake the loop for that one.
        while try dispatchPass(now: now) {}
    }

    /// One pass of `dispatch`; returns whether a task behind the key of a task without a
    /// handler is ready now.
    private func dispatchPass(now: Micros) throws(DocketError) -> Bool {
        guard !isStopping, state.runningCount < concurrency else { return false }
        unpark()
        guard !ready.isEmpty else { return false }
        var leases: [Mutation.Lease] = []
        var queueCounts: [String: Int] = [:]
        var keys: Set<String> = []
        var unregistered: [TaskEntry] = []
        var starting: [TaskEntry] = []
        var handlersOf: [AnyHandler] = []
        var missed: [TaskEntry] = []
        // A task that will not start in this pass gives the turn it had behind its key
        // (overlap `.queue`) or its queue's limit to the next one parked there, when that key
        // is free or that queue has room; otherwise that one would wait for an unrelated wakeup.
        func passTurn(of t: TaskEntry, key passesKey: Bool = true, queue passesQueue: Bool = true) {
            if passesKey, let key = t.key, state.runningKeys[key] == nil, !keys.contains(key) { unparkNext(.key(key)) }
            if passesQueue, let limit = queueLimits[t.queue], (state.runningByQueue[t.queue] ?? 0) + (queueCounts[t.queue] ?? 0) < limit {
                unparkNext(.queue(t.queue))
            }
        }
        while state.runningCount + leases.count < concurrency, let item = ready.popMin() {
            guard let t = readTasks({ $0.find(item.id)?.task }), t.status == .scheduled, t.version == item.version, t.sequence == item.sequence else { continue }
            if missedWhileBusy(t, now: now) {
                missed.append(t)
                passTurn(of: t)
                continue
            }
            // A task parked here may have just been unparked from its other group (its key
            // freed, or its queue got room): that group's turn goes on.
            if let limit = queueLimits[t.queue], (state.runningByQueue[t.queue] ?? 0) + (queueCounts[t.queue] ?? 0) >= limit {
                parked[.queue(t.queue), default: BinaryHeap()].push(item)
                passTurn(of: t, queue: false)
                continue
            }
            if let key = t.key, state.runningKeys[key] != nil || keys.contains(key) {
                parked[.key(key), default: BinaryHeap()].push(item)
                passTurn(of: t, key: false)
                continue
            }
            guard let handler = handlers.get(t.name) else {
                // Failed below without running. Its start is journaled after this pass's
                // starts, so it holds its key until then: a task of that key started in this
                // pass would share the key with it in the journal (two leases on one key).
                unregistered.append(t)
                if let key = t.key { keys.insert(key) }
                passTurn(of: t, key: false)
                continue
            }
            queueCounts[t.queue, default: 0] += 1
            if let key = t.key { keys.insert(key) }
            leases.append(Mutation.Lease(id: t.id, lease: state.nextLease + UInt64(leases.count)))
            starting.append(t)
            handlersOf.append(handler)
        }
        // Grouped handlers: each started task of one takes the tasks parked behind its key
        // along (the later ones of this pass were parked above, as its key was taken).
        var groups: [Int: [Int]] = [:]
        for i in starting.indices {
            guard let group = handlersOf[i].group else { continue }
            let t = starting[i]
            var room = concurrency - state.runningCount - leases.count
            if let limit = queueLimits[t.queue] { room = min(room, limit - (state.runningByQueue[t.queue] ?? 0) - (queueCounts[t.queue] ?? 0)) }
            var members = [i]
            for m in groupMembers(of: t, maxGroup: group.maxGroup, room: room, now: now, missed: &missed) {
                queueCounts[m.queue, default: 0] += 1
                leases.append(Mutation.Lease(id: m.id, lease: state.nextLease + UInt64(leases.count)))
                members.append(starting.count)
                starting.append(m)
                handlersOf.append(handlersOf[i])
            }
            groups[i] = members
        }
        if !leases.isEmpty {
            // One record for the pass, or several when the ids would not fit one (long ids, a
            // small `maxRecordSize`, large groups): an oversized record would stop `run()` at
            // every start, the same tasks being due again. Each attempt waits for the last.
            let sequence = try commitInParts(leases, size: { $0.id.utf8.count + 13 }) { .start(Array($0), at: now) }
            var started: [TaskEntry] = []
            started.reserveCapacity(starting.count)
            for (l, before) in zip(leases, starting) {
                // What `apply(.start)` made of it (checked: the launch must see the started task).
                var t = before
                t.attempt += 1
                t.lease = l.lease
                t.status = .running
                assert(state.tasks[l.id].map { $0.attempt == t.attempt && $0.lease == t.lease && $0.status == .running } ?? false)
                emit(.started, t, at: now)
                runStats.noteStart(lateness: now - t.runAt)
                started.append(t)
            }
            for i in started.indices {
                if let group = handlersOf[i].group {
                    // Members launch with their group's first task.
                    guard let members = groups[i] else { continue }
                    launchGroup(members.map { (started[$0], leases[$0].lease) }, handler: group, startSequence: sequence, now: now)
                } else {
                    launch(started[i], handler: handlersOf[i], lease: leases[i].lease, startSequence: sequence, now: now)
                }
            }
        }
        if !missed.isEmpty {
            // Unbounded by the concurrency (each missed one frees the turn for the next one
            // parked behind its key): in parts, like the starts.
            try commitInParts(missed.map(\.id), size: { $0.utf8.count + 3 }) { .cancel(Array($0), at: now) }
            for t in missed {
                if wantsEvents {
                    publish(DocketEvent(kind: .misfired, taskID: t.id, attempt: 0, at: Time.date(now),
                                        runAt: Time.date(EngineState.nominalTime(of: t) ?? t.runAt), name: t.name,
                                        scheduleID: t.scheduleID, error: "not started within the grace period of its time (held back by busy workers, its queue, its key or a pause)"))
                }
            }
        }
        var freedKey = false
        for t in unregistered {
            // An earlier one of these may have ended a workflow stage and cancelled this one.
            if readTasks({ $0.peek(t.id) })?.status == .scheduled {
                // Started and failed in one go, so the attempt shows.
                let lease = state.nextLease
                try commit(.start([Mutation.Lease(id: t.id, lease: lease)], at: now))
                if let started = state.tasks[t.id] {
                    let error = "no handler is registered for \"\(t.name)\""
                    try commit(.fail(id: t.id, lease: lease, error: error, retryAt: nil, at: now))
                    emit(.failed, started, at: now, error: error)
                }
            }
            if let key = t.key, state.runningKeys[key] == nil {
                let before = ready.count
                unparkNext(.key(key))
                freedKey = freedKey || ready.count > before
            }
        }
        return freedKey
    }

    /// Journals `items` in as few records as fit the journal's record size (`size`: an item's
    /// bytes in its record, within `recordRoom`), in order; returns the last record's sequence.
    @discardableResult
    func commitInParts<T>(_ items: [T], size: (T) -> Int, make: (ArraySlice<T>) -> Mutation) throws(DocketError) -> UInt64 {
        let budget = recordRoom
        var sequence: UInt64 = 0
        var start = 0
        while start < items.count {
            var end = start
            var bytes = 0
            while end < items.count, end == start || bytes + size(items[end]) <= budget {
                bytes += size(items[end])
                end += 1
            }
            sequence = try commit(make(items[start..<end]))
            start = end
        }
        return sequence
    }

    /// Whether a schedule's occurrence that never started, taken for a worker `grace` or more
    /// after its time because workers, its queue or its key were busy, is missed per its
    /// schedule's misfire policy: `.skip` skips it, `.fireOnce` skips it unless it is the
    /// schedule's latest occurrence (the one run for all of them), `.fireAll` runs it.
    /// Fixed-delay schedules are exempt, as at firing: their next occurrence waits for this one;
    /// so are occurrences rescheduled to before their own time.
    func missedWhileBusy(_ t: TaskEntry, now: Micros) -> Bool {
        guard let id = t.scheduleID, t.attempt == 0, t.startedAt == nil, let s = state.schedules[id], !s.isFixedDelay,
              now - t.runAt > s.grace else { return false }
        // Rescheduled to before its own time: someone asked for it to run (a jittered run time
        // is never earlier), not an occurrence that waited for a worker.
        if let nominal = EngineState.nominalTime(of: t), t.runAt < nominal { return false }
        switch s.misfire {
        case .fireAll: return false
        case .skip: return true
        case .fireOnce: return s.lastTaskID != t.id
        }
    }

    /// Moves the first live task parked in `group` back to the ready queue (the caller checked
    /// that the group has room for one).
    func unparkNext(_ group: ParkingGroup) {
        guard var heap = parked.removeValue(forKey: group) else { return }
        while let item = heap.popMin() {
            guard let t = readTasks({ $0.peek(item.id) }), t.status == .scheduled, t.version == item.version, t.sequence == item.sequence else { continue }
            ready.push(item)
            break
        }
        if !heap.isEmpty { parked[group] = heap }
    }

    /// Moves parked tasks whose key or queue has room again back to the ready queue: the top one
    /// of a key that no longer runs, as many of a queue as its limit now allows. Only keys that
    /// were running and queues with limits have parked tasks, so this stays small however many
    /// tasks wait (a waiting task is not looked at again until its key or queue frees up).
    func unpark() {
        guard !parked.isEmpty else { return }
        for group in Array(parked.keys) {
            guard var heap = parked[group] else { continue }
            var room: Int
            switch group {
            case .key(let key): room = state.runningKeys[key] != nil ? 0 : 1
            case .queue(let queue): room = queueLimits[queue].map { $0 - (state.runningByQueue[queue] ?? 0) } ?? Int.max
            }
            while room > 0, let item = heap.popMin() {
                guard let t = readTasks({ $0.peek(item.id) }), t.status == .scheduled, t.version == item.version, t.sequence == item.sequence else { continue }
                ready.push(item)
                room -= 1
            }
            parked[group] = heap.isEmpty ? nil : heap
        }
    }

    /// Runs one attempt on its own Swift task. The handler starts only once the start record is
    /// durable, so an attempt that crashes the process is always counted.
    func launch(_ t: TaskEntry, handler: AnyHandler, lease: UInt64, startSequence: UInt64, now: Micros) {
        let context = JobContext(id: t.id, name: t.name, attempt: t.attempt, maxAttempts: t.maxAttempts, queue: t.queue,
                                 runAt: Time.date(t.runAt), scheduleID: t.scheduleID,
                                 workflow: state.workflowOfTask.isEmpty ? nil : state.workflowOfTask[t.id].map { ($0.workflow, $0.stage) }, lease: lease, docket: self)
        let journal = self.journal
        let payload = t.payload
        let completions = self.completions, wakeup = self.wakeup, hooks = configuration.hooks
        var deadline: Micros?
        if t.timeout > 0 {
            let at = Time.add(now, t.timeout)
            deadline = at
            leaseDeadlines.push(LeaseDeadline(at: at, lease: lease, id: t.id))
        }
        // Detached: the attempt must not start on the actor's executor (one hop less per task).
        let handle = Task.detached {
            let result: Result<[UInt8]?, any Error>
            do {
                if let journal, startSequence > 0 { try await journal.waitUntilDurable(startSequence) }
                try Task.checkCancellation()
                result = await Docket.$attemptOf.withValue(ObjectIdentifier(context.docket)) {
                    await Docket.runAttempt(handler, context, payload, hooks: hooks)
                }
            } catch {
                result = .failure(error)
            }
            // Handed to the timer loop, which ends many attempts in one actor turn and one
            // journal write.
            completions.add(Completions.Item(id: context.id, lease: lease, result: result))
            wakeup.signal()
        }
        // Inserted once, with its handle: its result is taken on this actor, after this turn.
        inFlight[t.id] = InFlight(lease: lease, handle: handle, deadline: deadline)
    }

    /// Ends the attempts whose handlers returned since the last call, in one journal write.
    /// A result from an attempt that lost its lease (timed out, cancelled, paused) is ignored.
    func drainCompletions() throws(DocketError) {
        guard !holdsCompletions else { return }
        let done = completions.takeAll()
        guard !done.isEmpty, !isClosed else { return }
        // A step's own outcome is announced before what it did to its workflow.
        let outerHold = holdWorkflowEffects
        holdWorkflowEffects = true
        defer { releaseWorkflowEffects(outerHold) }
        let now = try clockReading()
        var mutations: [Mutation] = []
        mutations.reserveCapacity(done.count)
        for c in done {
            // One hash in the common case; a newer attempt's entry is put back.
            if let flight = inFlight.removeValue(forKey: c.id), flight.lease != c.lease { inFlight[c.id] = flight }
            // A mark for another attempt stays (a late result of an old one must not clear it).
            var wasCutShort = false
            if !cutShort.isEmpty, cutShort[c.id] == c.lease {
                cutShort[c.id] = nil
                wasCutShort = true
            }
            guard let p = readTasks({ $0.peek(c.id) }), p.status == .running, p.lease == c.lease else { continue }
            if case .success(let output) = c.result {
                // The common case needs nothing of the task but its id and lease.
                mutations.append(success(of: c.id, lease: c.lease, output: output, now: now))
            } else if wasCutShort, c.callCancelled, case .failure(let error) = c.result, !(error is JobControl), !(error is PayloadDecodingFailure) {
                // Its grouped call was cancelled for another task: runs again, not counted,
                // whatever error the cancellation surfaced as (`URLError(.cancelled)`, a wrapped
                // one). A bad payload or an explicit `JobControl` stands.
                mutations.append(.snooze(id: c.id, lease: c.lease, until: now, at: now))
            } else if let t = state.tasks[c.id] {
                mutations.append(outcome(of: t, lease: c.lease, result: c.result, now: now))
            }
        }
        guard !mutations.isEmpty else { return }
        try commit(all: mutations)
        let watched = wantsEvents
        for m in mutations {
            runStats.noteFinish(at: now)
            guard watched else { continue }
            switch m {
            // Only what happened: a workflow may have cancelled a task before its result came in.
            case .succeed(let id, _, _, _): if let t = state.tasks[id], t.status == .succeeded { emit(.succeeded, t, at: now) }
            case .fail(let id, _, _, _, _), .snooze(let id, _, _, _): emitOutcome(m, id: id, now: now)
            default: break
            }
        }
    }

    /// The mutation that ends attempt `lease` of `t` with `result`.
    func outcome(of t: TaskEntry, lease: UInt64, result: Result<[UInt8]?, any Error>, now: Micros) -> Mutation {
        let id = t.id
        switch result {
        case .success(let output):
            return success(of: id, lease: lease, output: output, now: now)
        case .failure(let error):
            switch error {
            case let control as JobControl:
                switch control {
                case .snooze(let until):
                    return .snooze(id: id, lease: lease, until: Time.micros(until), at: now)
                case .fail(let reason):
                    return failure(of: t, lease: lease, error: reason, control: control, now: now)
                case .retry:
                    return failure(of: t, lease: lease, error: "the handler asked to retry", control: control, now: now)
                }
            case let decoding as PayloadDecodingFailure:
                return .fail(id: id, lease: lease, error: boundedError(decoding.description), retryAt: nil, at: now)
            default:
                return failure(of: t, lease: lease, error: String(describing: error), control: nil, now: now)
            }
        }
    }

    func emitOutcome(_ m: Mutation, id: String, now: Micros) {
        guard let t = state.tasks[id] else { return }
        switch m {
        case .snooze(_, _, let until, _): if t.status == .scheduled { emit(.snoozed, t, at: now, runAt: until) }
        case .fail(_, _, let error, let retryAt, _):
            if let retryAt {
                if t.status == .scheduled { emit(.retried, t, at: now, runAt: retryAt, error: error) }
            } else if t.status == .failed {
                emit(.failed, t, at: now, error: error)
            }
        default: break
        }
    }

    /// Attempts past their timeout: cancel the handler's task and take its lease away at once;
    /// the task runs again with its next attempt (a handler that ignores cancellation cannot
    /// hold it), and a late result is ignored.
    func expireLeases(now: Micros) throws(DocketError) {
        guard let first = leaseDeadlines.min, first.at <= now else { return }
        let outerHold = holdWorkflowEffects
        holdWorkflowEffects = true
        defer { releaseWorkflowEffects(outerHold) }
        while let top = leaseDeadlines.min, top.at <= now {
            _ = leaseDeadlines.popMin()
            guard let flight = inFlight[top.id], flight.lease == top.lease else { continue }
            inFlight[top.id] = nil
            cutShort[top.id] = nil
            cancelAttempt(flight)
            guard let t = state.tasks[top.id], t.status == .running, t.lease == top.lease else { continue }
            let m = failure(of: t, lease: top.lease, error: "timed out after \(Time.duration(t.timeout))", control: nil, now: now)
            try commit(m)
            runStats.noteFinish(at: now)
            emitOutcome(m, id: t.id, now: now)
        }
    }

    /// Records the progress a handler reports.
    func reportProgress(id: String, lease: UInt64, value: Double) {
        guard value.isFinite, let t = state.tasks[id], t.status == .running, t.lease == lease else { return }
        _ = try? commit(.progress(id: id, lease: lease, value: max(0, min(1, value))))
    }

    /// Stop taking work, let handlers finish up to the grace period, cancel the rest, sync,
    /// snapshot, close.
    func shutdown() async {
        isStopping = true
        // Left by the loop's last turn (or a control call just before): handlers of tasks a
        // workflow cancelled must stop now, not hold the grace period.
        if !state.workflowEffects.isEmpty { actOnWorkflowEffects() }
        // A failed journal records no result: waiting for handlers would only hold up the
        // error `run()` throws (they are cancelled, and run again after a restart).
        let grace = journal?.hasFailed == true ? .zero : configuration.shutdownGrace
        let graceEnd = Time.add(nowMicros(), Time.micros(grace))
        try? drainCompletions()
        while !inFlight.isEmpty, nowMicros() < graceEnd {
            // In a task of its own: the caller is cancelled, and a cancelled wait would spin.
            // Timeouts still apply during the grace period: a hung attempt times out (and
            // counts) as it would have, instead of holding shutdown for the whole grace.
            let wakeup = self.wakeup, clock = configuration.clock
            let until = min(graceEnd, leaseDeadlines.min?.at ?? graceEnd)
            await Task { await wakeup.wait(until: Time.wakeDate(until), clock: clock) }.value
            try? drainCompletions()
            try? expireLeases(now: nowMicros())
        }
        // Results that came in since the last look are kept, not thrown away with the lease.
        try? drainCompletions()
        // The rest are cancelled and not waited for (a handler may ignore cancellation): each
        // goes back to scheduled, its attempt not counted, and a late result is ignored.
        let remaining = inFlight
        inFlight = [:]
        cutShort = [:]
        let now = nowMicros()
        for (id, flight) in remaining.sorted(by: { $0.key < $1.key }) {
            flight.handle?.cancel()
            guard let t = state.tasks[id], t.status == .running, t.lease == flight.lease else { continue }
            if (try? commit(.snooze(id: id, lease: flight.lease, until: now, at: now))) != nil, let back = state.tasks[id] {
                emit(.snoozed, back, at: now, runAt: now)
            }
        }
        // Still running and stopping while it closes: `run()` and `close()` calls meanwhile
        // wait for the close or are refused, instead of starting over on a closing journal.
        await closeNow()
        isRunning = false
        isStopping = false
    }

    /// Syncs, snapshots and closes the journal; ends the event streams. Further calls throw
    /// `closed`. `run()` calls it when it ends; call it yourself when you never ran.
    ///
    /// While `run()` runs, it stops the loop, which shuts down gracefully (as when its task is
    /// cancelled) and closes; this returns when that is done. Calls during a close wait for it.
    ///
    /// Called from one of this Docket's own handlers (or a hook around one) while `run()` runs,
    /// it asks the loop to stop and returns at once: waiting there would hold the shutdown for
    /// its grace period, waiting for that very handler.
    public func close() async {
        guard !isClosed else { return }
        if isRunning && !isStopping {
            stopRequested = true
            wakeup.signal()
        }
        if isRunning && Docket.attemptOf == ObjectIdentifier(self) { return }
        if isClosing || isRunning {
            await withCheckedContinuation { closeWaiters.append($0) }
            return
        }
        await closeNow()
    }

    /// The Docket whose handler attempt the current task runs (or a task it started), if any.
    @TaskLocal static var attemptOf: ObjectIdentifier?

    /// `close()`'s work, once no loop runs (or by the loop's shutdown itself).
    func closeNow() async {
        guard !isClosed, !isClosing else { return }
        isClosing = true
        for flight in inFlight.values { flight.handle?.cancel() }
        if let journal {
            while snapshotInFlight { await Task.yield() }
            if configuration.snapshotOnClose, recordsSinceSnapshot > 0 || journal.lastSequence > 0 {
                let bytes = EngineCodec.encodeSnapshot(state)
                try? await journal.writeSnapshot(bytes, lastSequence: journal.lastSequence)
            }
            try? await journal.close()
        }
        isClosed = true
        isClosing = false
        // What `open` recovered is kept for `run()`; a subscriber that never runs gets it now.
        if hub.hasSubscribers { releaseHeldEvents() }
        hub.finish()
        let waiting = closeWaiters
        closeWaiters = []
        for c in waiting { c.resume() }
    }
}

extension Docket {
    /// Writes and fdatasyncs everything journaled so far, whatever the durability setting.
    public func sync() async throws(DocketError) {
        guard let journal else { return }
        do { try await journal.sync() } catch let e as JournalError { throw .journal(e) } catch {
            throw .journal(.invalidArgument("\(error)"))
        }
    }
}
