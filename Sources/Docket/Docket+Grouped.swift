import Foundation

/// One task of a group handed to a grouped handler: its decoded payload and its context.
public struct GroupedJob<Payload: Sendable>: Sendable {
    /// The task's payload.
    public let payload: Payload
    /// The task's attempt: id, attempt number, progress reporting.
    public let context: JobContext
}

extension Docket {
    /// Registers a grouped handler: tasks of `name` that share a resource key (`TaskOptions.key`)
    /// and a queue, and are due together, come in one call — at most `maxGroup`, in (priority,
    /// run at, enqueue order), within the concurrency and queue limits. Say, one digest e-mail
    /// for every notification of a user that piled up. A task without a key comes alone.
    ///
    /// ```swift
    /// docket.registerGrouped("notify", payload: Note.self) { jobs in
    ///     try await mailer.sendDigest(to: jobs[0].context.id, notes: jobs.map(\.payload))
    /// }
    /// try await docket.enqueue("notify", payload: note, options: TaskOptions(key: "user-42"))
    /// ```
    ///
    /// Each task keeps its own attempt, lease and timeout. Returning succeeds every task of
    /// the call; throwing (or a `JobControl`) applies to each, per its own retry policy. A
    /// payload that does not decode fails its task alone, permanently. Cancelling, pausing or
    /// timing out one task cancels the call; the others then end that attempt without it
    /// counting (a failure the cancellation caused is not theirs) and run again.
    ///
    /// With `configuration.hooks`, the members' hooks nest around the one call: each sees the
    /// call's outcome (an error only when every member failed), and a hook that throws fails
    /// every member that had succeeded.
    public nonisolated func registerGrouped<Payload: Decodable & Sendable>(
        _ name: String, payload: Payload.Type = Payload.self, maxGroup: Int = 100,
        handler: @escaping @Sendable ([GroupedJob<Payload>]) async throws -> Void
    ) {
        let codec = configuration.codec
        let group = GroupHandler(maxGroup: max(1, maxGroup)) { contexts, payloads in
            var results = [Result<[UInt8]?, any Error>](repeating: .success(nil), count: contexts.count)
            var jobs: [GroupedJob<Payload>] = []
            var members: [Int] = []
            for i in contexts.indices {
                do {
                    jobs.append(GroupedJob(payload: try codec.decode(Payload.self, from: payloads[i]), context: contexts[i]))
                    members.append(i)
                } catch {
                    results[i] = .failure(PayloadDecodingFailure(name: name, underlying: "\(error)"))
                }
            }
            guard !jobs.isEmpty else { return results }
            do { try await handler(jobs) } catch {
                for i in members { results[i] = .failure(error) }
            }
            return results
        }
        handlers.set(name, AnyHandler(run: { context, bytes in
            // Not used (grouped tasks launch through `group`); kept correct all the same.
            try await group.run([context], [bytes]).first?.get() ?? nil
        }, group: group))
    }

    /// Grows the group that `leader` starts with the tasks parked behind its key that can run
    /// with it (same handler and queue, still due), within `room` more; the others stay parked.
    /// Schedule occurrences missed while busy (`missedWhileBusy`) go to `missed` instead.
    func groupMembers(of leader: TaskEntry, maxGroup: Int, room: Int, now: Micros, missed: inout [TaskEntry]) -> [TaskEntry] {
        // Occurrences queued behind their schedule's own key (overlap `.queue`) run one after
        // the other, as that policy says, not together in one call.
        guard let key = leader.key, !key.hasPrefix(Self.scheduleKeyPrefix), room > 0, maxGroup > 1, var heap = parked[.key(key)] else { return [] }
        let wanted = min(room, maxGroup - 1)
        var members: [TaskEntry] = []
        var skipped: [ReadyItem] = []
        // At most one occurrence of each schedule per call: the others of one wait for it
        // (overlap `.queue` under a key of the caller's runs them one after the other), also
        // when the leader is no occurrence.
        var schedulesInGroup: Set<String> = leader.scheduleID.map { [$0] } ?? []
        // In order, until the group is full: the rest of the heap is not looked at.
        while members.count < wanted, let item = heap.popMin() {
            guard let p = readTasks({ $0.peek(item.id) }), p.status == .scheduled, p.version == item.version, p.sequence == item.sequence,
                  let t = readTasks({ $0.find(item.id)?.task }) else { continue }
            if missedWhileBusy(t, now: now) {
                missed.append(t)
            } else if t.name == leader.name, t.queue == leader.queue, t.scheduleID.map({ !schedulesInGroup.contains($0) }) ?? true {
                if let schedule = t.scheduleID { schedulesInGroup.insert(schedule) }
                members.append(t)
            } else {
                skipped.append(item)
            }
        }
        for item in skipped { heap.push(item) }
        parked[.key(key)] = heap.isEmpty ? nil : heap
        return members
    }

    /// Runs one attempt of every task of a group in one call of its grouped handler, on a
    /// Swift task of its own, once the start record is durable.
    func launchGroup(_ members: [(task: TaskEntry, lease: UInt64)], handler group: GroupHandler, startSequence: UInt64, now: Micros) {
        let contexts = members.map { m in
            JobContext(id: m.task.id, name: m.task.name, attempt: m.task.attempt, maxAttempts: m.task.maxAttempts, queue: m.task.queue,
                       runAt: Time.date(m.task.runAt), scheduleID: m.task.scheduleID,
                       workflow: state.workflowOfTask.isEmpty ? nil : state.workflowOfTask[m.task.id].map { ($0.workflow, $0.stage) },
                       lease: m.lease, docket: self)
        }
        let payloads = members.map(\.task.payload)
        let journal = self.journal
        let completions = self.completions, wakeup = self.wakeup, hooks = configuration.hooks
        let handle = Task.detached {
            var results: [Result<[UInt8]?, any Error>]
            do {
                if let journal, startSequence > 0 { try await journal.waitUntilDurable(startSequence) }
                try Task.checkCancellation()
                results = await Docket.$attemptOf.withValue(contexts.first.map { ObjectIdentifier($0.docket) }) {
                    await Docket.runGroupAttempt(group, contexts, payloads, hooks: hooks)
                }
            } catch {
                results = Array(repeating: .failure(error), count: contexts.count)
            }
            // Read as the call ends: a cancellation after it (its results already queued) did
            // not cause them.
            let cancelled = Task.isCancelled
            for (context, result) in zip(contexts, results) {
                completions.add(Completions.Item(id: context.id, lease: context.lease, result: result, callCancelled: cancelled))
            }
            wakeup.signal()
        }
        for m in members {
            var deadline: Micros?
            if m.task.timeout > 0 {
                let at = Time.add(now, m.task.timeout)
                deadline = at
                leaseDeadlines.push(LeaseDeadline(at: at, lease: m.lease, id: m.task.id))
            }
            inFlight[m.task.id] = InFlight(lease: m.lease, handle: handle, deadline: deadline,
                                           mates: members.count > 1 ? members.filter { $0.task.id != m.task.id }.map { ($0.task.id, $0.lease) } : [])
        }
    }

    /// Cancels the attempt of `id` that just lost its lease. In a grouped call the others are
    /// cancelled with it through no fault of theirs: they are marked so that their attempt
    /// does not count (`drainCompletions`).
    func cancelAttempt(_ flight: InFlight) {
        flight.handle?.cancel()
        // Only mates still on the attempt of this call (one already drained has no entry left;
        // one whose result is queued is not excused: see `Completions.Item.callCancelled`).
        for mate in flight.mates where inFlight[mate.id]?.lease == mate.lease { cutShort[mate.id] = mate.lease }
    }

    /// One call of a grouped handler through `hooks`, nested once per member (each member's
    /// `around` sees its own context). As for single attempts, the handler's outcomes stand; a
    /// hook's error fails the members that had succeeded, and a skipped call fails them all.
    static func runGroupAttempt(_ group: GroupHandler, _ contexts: [JobContext], _ payloads: [[UInt8]],
                                hooks: (any DocketHooks)?) async -> [Result<[UInt8]?, any Error>] {
        guard let hooks else { return await group.run(contexts, payloads) }
        var results: [Result<[UInt8]?, any Error>]?
        // Per member's hook: a second call of its `attempt` throws without running anything
        // again (an inline retry must not turn the call's failure into a success).
        var called = [Bool](repeating: false, count: contexts.count)
        func nest(_ i: Int) async throws {
            guard i < contexts.count else {
                let r = await group.run(contexts, payloads)
                results = r
                // The handler's error, for the hooks to see, when it failed them all.
                if case .failure(let error)? = r.first, r.allSatisfy({ if case .failure = $0 { true } else { false } }) { throw error }
                return
            }
            try await hooks.around(contexts[i]) {
                guard !called[i] else { throw HookRanAttemptTwice() }
                called[i] = true
                try await nest(i + 1)
            }
        }
        do {
            try await nest(0)
        } catch {
            guard let r = results else { return Array(repeating: .failure(error), count: contexts.count) }
            return r.map { if case .success = $0 { .failure(error) } else { $0 } }
        }
        return results ?? Array(repeating: .failure(HookSkippedAttempt()), count: contexts.count)
    }
}
