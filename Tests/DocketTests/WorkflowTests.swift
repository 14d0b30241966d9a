import DocketJournal
import Foundation
import Synchronization
import Testing
@testable import Docket

/// Workflows: chains, groups with their completion policies, chords, conditional and
/// compensating stages, cancellation, reserved step ids, and recovery from a crash mid-way.
@Suite(.timeLimit(.minutes(2))) struct WorkflowTests {
    /// The task ids of the attempts started, in order.
    final class Starts: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ id: String) { list.withLock { $0.append(id) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// Handlers: "ok" returns n × n, "bad" fails for good, "gate" waits for the test, "sum"
    /// adds up the previous stage's results; every start is recorded in order.
    static func register(_ d: Docket, order: Starts, gate: Gate) {
        d.register("ok", payload: Job.self) { job, c in
            order.add(c.id)
            return job.n * job.n
        }
        d.register("bad", payload: Job.self) { _, c in
            order.add(c.id)
            throw JobControl.fail(permanently: "no")
        }
        d.register("gate", payload: Job.self) { _, c in
            order.add(c.id)
            try await gate.run(c.id)
        }
        d.register("sum", payload: Job.self) { _, c in
            order.add(c.id)
            return try await c.previousResults(as: Int.self).reduce(0, +)
        }
    }

    static func task(_ name: String, _ n: Int = 1) -> NewTask { NewTask(name, payload: Job(n: n)) }

    /// An in-memory Docket with `register`'s handlers whose timer loop never runs, and its events.
    static func withoutLoop() throws -> (Docket, Recorder) {
        let d = try Docket.inMemory(configuration: Harness.configuration(ManualClock(now: Harness.start)))
        register(d, order: Starts(), gate: Gate())
        return (d, Recorder(d.events()))
    }

    /// A harness with `register`'s handlers, recording starts in a fresh `Starts` and holding
    /// "gate" attempts in a fresh `Gate`.
    static func make(_ kind: EngineKind, clock: ManualClock = ManualClock(now: Harness.start),
                     directory: TempDirectory? = nil) async throws -> (Harness, Starts, Gate) {
        let order = Starts()
        let gate = Gate()
        let h = try await Harness.make(kind, clock: clock, directory: directory) { d in Self.register(d, order: order, gate: gate) }
        return (h, order, gate)
    }

    /// Waits until each of `ids` runs and waits in `gate`, then copies the journal in `dir` as a
    /// kill -9 would leave it.
    static func crashImage(of dir: TempDirectory, _ h: Harness, gate: Gate, running ids: [String], label: String) async throws -> TempDirectory {
        for id in ids {
            await h.recorder.waitFor(.started, id)
            while gate.waiting(id) == 0 { await Task.yield() }
        }
        let crash = TempDirectory(label)
        try copyDirectory(dir.journal, crash.journal)
        return crash
    }

    /// The workflow once it has ended: no yield budget (a loaded machine only takes longer);
    /// the suite's time limit bounds a workflow that never ends.
    static func waitFinished(_ d: Docket, _ id: String) async -> WorkflowInfo? {
        while !Task.isCancelled {
            if let w = await d.workflow(id), w.status != .running { return w }
            await Task.yield()
        }
        return await d.workflow(id)
    }

    @Test(arguments: EngineKind.allCases) func chainsRunInOrderAndStopAtAFailure(kind: EngineKind) async throws {
        let (h, order, _) = try await Self.make(kind)
        let d = h.docket
        let started = try await d.startWorkflow("w", stages: Workflow.chain([Self.task("ok"), Self.task("ok"), Self.task("ok")]))
        #expect(started.status == .running && started.taskIDs[0] == ["w/0/0"] && started.taskIDs[1].isEmpty)
        let ended = await h.recorder.waitFor(.workflowEnded, "w")
        #expect(ended.first?.error == nil)
        let done = try #require(await d.workflow("w"))
        #expect(done.status == .succeeded && done.stageOutcomes == [true, true, true] && done.progress == 1)
        #expect(order.all == ["w/0/0", "w/1/0", "w/2/0"])

        try await d.startWorkflow("f", stages: Workflow.chain([Self.task("ok"), Self.task("bad"), Self.task("ok")]))
        #expect(await h.recorder.waitFor(.workflowEnded, "f").first?.error == "failed")
        let failed = try #require(await d.workflow("f"))
        #expect(failed.status == .failed && failed.stageOutcomes == [true, false, nil])
        #expect(await d.task("f/2/0") == nil, "the stage after the failure never starts")
        // Its failed step cannot be run again behind the workflow's back, one by one or by query.
        await #expect(throws: DocketError.self) { try await d.retryNow("f/1/0") }
        #expect(try await d.retryNow(matching: TaskFilter(statuses: [.failed])).isEmpty)
        // Starting it again returns it as it is.
        #expect(try await d.startWorkflow("f", stages: []).status == .failed)
        // Purge: finished workflows and their tasks go once old enough.
        h.clock.advance(by: .seconds(120))
        try await d.purge(olderThan: .seconds(60))
        #expect(await d.workflows().isEmpty)
        #expect(await d.task("w/0/0") == nil)
        try await h.stop()
        h.directory?.remove()
    }

    /// A finished workflow's step ids stay reserved until the workflow itself is purged, also
    /// when the step was purged first (the id then came back as a task that `retryNow`
    /// refused, as "a step of a stage that has ended"); afterwards the id is free.
    @Test(arguments: EngineKind.allCases) func aFinishedWorkflowsStepIDsStayReservedUntilItIsPurged(kind: EngineKind) async throws {
        let (h, _, gate) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("w", stages: Workflow.chain([Self.task("ok"), Self.task("gate")]))
        await h.recorder.waitFor(.started, "w/1/0")
        h.clock.advance(by: .seconds(120))
        await gate.releaseWhenWaiting("w/1/0")
        _ = await Self.waitFinished(d, "w")
        // A step that exists is not handed out as the caller's own task either.
        await #expect(throws: DocketError.self) { try await d.enqueue("bad", payload: Job(n: 1), options: TaskOptions(id: "w/1/0")) }
        await #expect(throws: DocketError.self) { try await d.enqueue(batch: [NewTask("bad", payload: Job(n: 1), options: TaskOptions(id: "w/1/0"))]) }
        #expect(try await d.purge(olderThan: .seconds(60)) == 1, "only the first step finished long enough ago")
        #expect(await d.task("w/0/0") == nil)
        #expect(await d.workflow("w")?.status == .succeeded)
        await #expect(throws: DocketError.self) { try await d.enqueue("bad", payload: Job(n: 1), options: TaskOptions(id: "w/0/0")) }
        h.clock.advance(by: .seconds(120))
        #expect(try await d.purge(olderThan: .seconds(60)) == 1)
        #expect(await d.workflow("w") == nil)
        try await d.enqueue("bad", payload: Job(n: 1), options: TaskOptions(id: "w/0/0"))
        await h.recorder.waitFor(.failed, "w/0/0")
        #expect(try await d.retryNow("w/0/0").status != .failed)
        await h.recorder.waitFor(.failed, "w/0/0", count: 2)
        try await h.stop()
        h.directory?.remove()
    }

    /// Without a timer loop (here: before `run()`), a cancelled step is announced before what
    /// it did to its workflow (the sibling it cancelled, the workflow's end); it came after.
    @Test func withoutALoopACauseIsAnnouncedBeforeItsEffects() async throws {
        let (d, recorder) = try Self.withoutLoop()
        let later = TaskOptions(delay: .seconds(3600))
        try await d.startWorkflow("w", stages: Workflow.group([NewTask("ok", payload: Job(n: 1), options: later), NewTask("ok", payload: Job(n: 2), options: later)]))
        try await d.cancel("w/0/0")
        await recorder.waitFor(.workflowEnded, "w")
        let order = recorder.events.filter { $0.kind != .enqueued }.map { "\($0.kind) \($0.taskID)" }
        #expect(order == ["cancelled w/0/0", "cancelled w/0/1", "workflowEnded w"], "\(order)")
        await d.close()
    }

    /// A cancel of more ids than one record holds, whose first record ends a stage (which
    /// cancels the rest), announces each step once: the later records' ids were announced by
    /// the stage's end already.
    @Test func aCancelInSeveralRecordsAnnouncesEachStepOnce() async throws {
        let (d, recorder) = try Self.withoutLoop()
        let n = Docket.idsPerRecord + 50
        let later = TaskOptions(delay: .seconds(3600))
        try await d.startWorkflow("big", stages: Workflow.group((0..<n).map { NewTask("ok", payload: Job(n: $0), options: later) }))
        #expect(try await d.cancel(matching: TaskFilter(name: "ok")).count == n)
        await recorder.waitFor(.workflowEnded, "big")
        let cancelled = recorder.events.filter { $0.kind == .cancelled }.map(\.taskID)
        #expect(cancelled.count == n && Set(cancelled).count == n, "\(cancelled.count) events for \(Set(cancelled).count) steps")
        await d.close()
    }

    /// Only the ids a workflow makes are its steps: "w/00/0" (not canonical) enqueued before
    /// "w" started stays an ordinary task that `retryNow` runs again.
    @Test func onlyCanonicalStepIDsAreSteps() async throws {
        let (h, _, _) = try await Self.make(.inMemory)
        let d = h.docket
        try await d.enqueue("bad", payload: Job(n: 0), options: TaskOptions(id: "w/00/0"))
        await h.recorder.waitFor(.failed, "w/00/0")
        try await d.startWorkflow("w", stages: Workflow.chain([Self.task("ok")]))
        await h.recorder.waitFor(.workflowEnded, "w")
        #expect(try await d.retryNow("w/00/0").status != .failed)
        await #expect(throws: DocketError.self) { try await d.retryNow("w/0/0") }
        // Ids of stages or steps it does not have are not reserved.
        try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "w/7/0", delay: .seconds(60)))
        try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "w/0/1", delay: .seconds(60)))
        try await h.stop()
    }

    @Test(arguments: EngineKind.allCases) func groupsEndPerTheirCompletionPolicy(kind: EngineKind) async throws {
        let (h, _, gate) = try await Self.make(kind)
        let d = h.docket
        // any: one success is enough, the waiting ones are cancelled.
        try await d.startWorkflow("any", stages: Workflow.group([Self.task("gate"), Self.task("ok"), Self.task("gate")], completion: .any))
        let any = try #require(await Self.waitFinished(d, "any"))
        #expect(any.status == .succeeded)
        #expect(await d.task("any/0/0")?.status == .cancelled)
        #expect(await d.task("any/0/2")?.status == .cancelled)
        // quorum 2 of 3 with one failure: succeeds; all with one failure: fails and cancels the rest.
        try await d.startWorkflow("q", stages: Workflow.group([Self.task("ok"), Self.task("bad"), Self.task("ok")], completion: .quorum(2)))
        #expect(await Self.waitFinished(d, "q")?.status == .succeeded)
        try await d.startWorkflow("all", stages: Workflow.group([Self.task("bad"), Self.task("gate")]))
        let all = try #require(await Self.waitFinished(d, "all"))
        #expect(all.status == .failed && all.stageOutcomes == [false])
        #expect(await d.task("all/0/1")?.status == .cancelled)
        await #expect(throws: DocketError.self) {
            try await d.startWorkflow("bad-q", stages: [WorkflowStage([Self.task("ok")], completion: .quorum(2))])
        }
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// A stage past its timeout fails and cancels what still runs; with `.continue`, the
    /// compensating stage after it runs.
    @Test(arguments: EngineKind.allCases) func aStageTimesOut(kind: EngineKind) async throws {
        let (h, _, gate) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("slow", stages: [
            WorkflowStage([Self.task("ok"), Self.task("gate")], onFailure: .continue, timeout: .seconds(10)),
            WorkflowStage([Self.task("ok")], condition: .ifPreviousFailed),
        ])
        await h.recorder.waitFor(.succeeded, "slow/0/0")
        #expect(await d.workflow("slow")?.status == .running)
        h.clock.advance(by: .seconds(10))
        let ended = await h.recorder.waitFor(.workflowEnded, "slow")
        #expect(ended.first?.error == "failed")
        let w = try #require(await d.workflow("slow"))
        #expect(w.stageOutcomes == [false, true])
        #expect(await d.task("slow/0/1")?.status == .cancelled)
        await #expect(throws: DocketError.self) {
            try await d.startWorkflow("never", stages: [WorkflowStage([Self.task("ok")], timeout: .zero)])
        }
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func aChordCallbackReadsTheGroupsResults(kind: EngineKind) async throws {
        let (h, order, _) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("c", stages: Workflow.chord([Self.task("ok", 1), Self.task("ok", 2), Self.task("ok", 3)], then: Self.task("sum")))
        let done = try #require(await Self.waitFinished(d, "c"))
        #expect(done.status == .succeeded)
        #expect(try await d.task("c/1/0")?.decodeOutput(Int.self) == 14)
        #expect(order.all.last == "c/1/0")
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func conditionsRunACompensationAndSkipTheRest(kind: EngineKind) async throws {
        let (h, order, _) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("pay", stages: [
            WorkflowStage([Self.task("bad")], onFailure: .continue),           // charge fails
            WorkflowStage([Self.task("ok")], condition: .ifPreviousFailed),    // refund runs
            WorkflowStage([Self.task("ok")], condition: .ifPreviousFailed),    // refund succeeded: skipped
            WorkflowStage([Self.task("ok")], condition: .always),              // notify
        ])
        let done = try #require(await Self.waitFinished(d, "pay"))
        #expect(done.status == .failed, "the charge failed, compensated or not")
        #expect(done.stageOutcomes == [false, true, nil, true])
        #expect(order.all == ["pay/0/0", "pay/1/0", "pay/3/0"])
        try await h.stop()
        h.directory?.remove()
    }

    /// `.ifPreviousSucceeded` looks at the last stage that ran: after a failed stage it is
    /// skipped; after a compensation that succeeded it runs (the trap the README warns of).
    @Test(arguments: EngineKind.allCases) func ifPreviousSucceededLooksAtTheLastStageThatRan(kind: EngineKind) async throws {
        let (h, order, _) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("a", stages: [
            WorkflowStage([Self.task("bad")], onFailure: .continue),
            WorkflowStage([Self.task("ok")], condition: .ifPreviousSucceeded),  // skipped
            WorkflowStage([Self.task("ok")], condition: .always),
        ])
        let a = try #require(await Self.waitFinished(d, "a"))
        #expect(a.status == .failed && a.stageOutcomes == [false, nil, true])
        try await d.startWorkflow("b", stages: [
            WorkflowStage([Self.task("bad")], onFailure: .continue),          // charge fails
            WorkflowStage([Self.task("ok")], condition: .ifPreviousFailed),   // refund succeeds
            WorkflowStage([Self.task("ok")], condition: .ifPreviousSucceeded),  // "ship": runs after the refund
        ])
        let b = try #require(await Self.waitFinished(d, "b"))
        #expect(b.status == .failed && b.stageOutcomes == [false, true, true])
        #expect(order.all.filter { $0.hasPrefix("a/") } == ["a/0/0", "a/2/0"])
        #expect(order.all.filter { $0.hasPrefix("b/") } == ["b/0/0", "b/1/0", "b/2/0"])
        try await h.stop()
        h.directory?.remove()
    }

    /// A cancelled workflow and one whose stage timed out, replayed from their records alone
    /// (no snapshot anywhere): the same workflows and steps as live.
    @Test func cancelledAndTimedOutWorkflowsReplayFromRecordsAlone() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: { d in Self.register(d, order: Starts(), gate: gate) },
                                       configure: { $0.snapshotOnClose = false })
        let d = h.docket
        try await d.startWorkflow("c", stages: Workflow.chain([Self.task("gate"), Self.task("ok")]))
        try await d.startWorkflow("t", stages: Workflow.group([Self.task("gate"), Self.task("ok")], timeout: .seconds(30)) + [WorkflowStage([Self.task("ok")])])
        await h.recorder.waitFor(.started, "c/0/0")
        await h.recorder.waitFor(.succeeded, "t/0/1")
        _ = try await d.cancelWorkflow("c")
        clock.advance(by: .seconds(31))
        let t = try #require(await Self.waitFinished(d, "t"))
        #expect(t.status == .failed && t.stageOutcomes == [false, nil])
        #expect(await d.workflow("c")?.status == .cancelled)
        let live = await d.workflows()
        let liveSteps = try await d.tasks(matching: TaskFilter(), limit: 100).tasks.map { "\($0.id) \($0.status)" }
        gate.open()
        try await h.stop()
        #expect(try JournalReader.statistics(directory: dir.journal).snapshots == 0, "records alone")
        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        #expect(await reopened.workflows() == live)
        #expect(try await reopened.tasks(matching: TaskFilter(), limit: 100).tasks.map { "\($0.id) \($0.status)" } == liveSteps)
        await reopened.close()
    }

    @Test(arguments: EngineKind.allCases) func cancellingAWorkflowAndReservedIDs(kind: EngineKind) async throws {
        let (h, _, gate) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("x", stages: Workflow.chain([Self.task("gate"), Self.task("ok")]))
        await h.recorder.waitFor(.started, "x/0/0")
        await #expect(throws: DocketError.self) { try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "x/1/0")) }
        await #expect(throws: DocketError.self) { try await d.startWorkflow("y/z", stages: Workflow.chain([Self.task("ok")])) }
        // Cancelling a step by hand ends its `.all` stage; its sibling is announced cancelled once.
        try await d.startWorkflow("pair", stages: Workflow.group([Self.task("gate"), Self.task("gate")]))
        while gate.waiting("pair/0/0") == 0 || gate.waiting("pair/0/1") == 0 { await Task.yield() }
        try await d.cancel(["pair/0/0", "pair/0/1"])
        await h.recorder.waitFor(.workflowEnded, "pair")
        #expect(h.recorder.events(.cancelled).filter { $0.taskID.hasPrefix("pair/") }.map(\.taskID).sorted() == ["pair/0/0", "pair/0/1"])
        let cancelled = try await d.cancelWorkflow("x")
        #expect(cancelled.status == .cancelled && cancelled.currentStage == 0)
        #expect(await d.task("x/0/0")?.status == .cancelled)
        await #expect(throws: DocketError.self) { try await d.cancelWorkflow("x") }
        // Finished, its ids stay reserved until it is purged (see aFinishedWorkflowsStepIDsStayReservedUntilItIsPurged).
        await #expect(throws: DocketError.self) { try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "x/1/0")) }
        // A step id a task already has: refused before anything starts.
        try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "taken/0/0", delay: .seconds(60)))
        await #expect(throws: DocketError.self) { try await d.startWorkflow("taken", stages: [WorkflowStage([Self.task("ok")])]) }
        #expect(await d.workflow("taken") == nil)
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }
    /// A crash while a step runs: the reopened copy (replayed from records alone) counts that
    /// attempt, retries it, and the workflow goes on to its end; it survives a snapshot too.
    @Test func aWorkflowSurvivesACrashAndReopening() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let (h, _, gate) = try await Self.make(.journaled, clock: clock, directory: dir)
        try await h.docket.startWorkflow("w", stages: [WorkflowStage([Self.task("gate"), Self.task("ok", 2)]), WorkflowStage([Self.task("sum")])])
        let crash = try await Self.crashImage(of: dir, h, gate: gate, running: ["w/0/0"], label: "wf-crash")
        defer { crash.remove() }
        gate.open()
        // The last step's success and the workflow's end are one record.
        await h.recorder.waitFor(.succeeded, "w/1/0")
        #expect(await h.docket.workflow("w")?.status == .succeeded)
        try await h.stop()

        let order2 = Starts()
        let second = try await Harness.make(.journaled, clock: clock, directory: crash) { d in Self.register(d, order: order2, gate: gate) }
        let d = second.docket
        #expect(d.recoveryReport.interrupted.contains("w/0/0"))
        #expect(await d.workflow("w")?.status == .running)
        clock.advance(by: .seconds(3600))
        await second.recorder.waitFor(.succeeded, "w/1/0")
        let done = try #require(await d.workflow("w"))
        #expect(done.status == .succeeded && done.stageOutcomes == [true, true])
        #expect(await d.task("w/0/0")?.attempt == 2)
        #expect(try await d.task("w/1/0")?.decodeOutput(Int.self) == 4, "the sum of the group's outputs: nil (gate) and 2 × 2")
        let before = await d.workflow("w")
        try await second.stop()
        // Reopened, and read without the lock (both from the snapshot written on close; the
        // records-only comparison is aSnapshotMidWorkflowReplaysLikeTheRecordsAlone's): the same.
        let reopened = try await Docket.open(directory: crash.journal, configuration: Harness.configuration(clock))
        #expect(await reopened.workflow("w") == before)
        await reopened.close()
        let (state, _) = try StateLoader.load(directory: crash.journal)
        #expect(state.workflows["w"].map { w in w.status == .succeeded && w.current == 2 } == true)
        let inspected = try Docket.inspect(directory: crash.journal).workflows
        #expect(inspected.map(\.id) == ["w"] && inspected.first?.progress == 1 && inspected.first?.stageOutcomes == [true, true])
    }
    /// What recovery did to workflows is announced in causal order: a failed step's running
    /// sibling cancelled, a next stage enqueued — also to a subscriber that acts between `open` and
    /// `run()`, whose own events come after the held ones.
    @Test func recoveryAnnouncesWhatItDidToWorkflowsInOrder() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let (h, _, gate) = try await Self.make(.journaled, clock: clock, directory: dir)
        let once = NewTask("gate", payload: Job(n: 1), options: TaskOptions(maxAttempts: 1))
        try await h.docket.startWorkflow("a", stages: [WorkflowStage([once, Self.task("gate", 2)]), WorkflowStage([Self.task("ok")])])
        try await h.docket.startWorkflow("b", stages: [WorkflowStage([once], onFailure: .continue), WorkflowStage([Self.task("ok")])])
        let crash = try await Self.crashImage(of: dir, h, gate: gate, running: ["a/0/0", "a/0/1", "b/0/0"], label: "wf-order")
        defer { crash.remove() }
        gate.open()
        try await h.stop()

        let d = try await Docket.open(directory: crash.journal, configuration: Harness.configuration(clock))
        Self.register(d, order: Starts(), gate: gate)
        let stream = d.events()
        try await d.cancelWorkflow("b")
        var seen: [String] = []
        for await e in stream where e.taskID.hasPrefix("a") || e.taskID.hasPrefix("b") {
            seen.append("\(e.kind) \(e.taskID)")
            if seen.count == 7 { break }
        }
        let a = seen.filter { $0.hasSuffix(" a") || $0.contains(" a/") }
        let b = seen.filter { $0.hasSuffix(" b") || $0.contains(" b/") }
        #expect(a == ["recovered a/0/0", "cancelled a/0/1", "workflowEnded a"])
        #expect(b == ["recovered b/0/0", "enqueued b/1/0", "cancelled b/1/0", "workflowEnded b"])
        await d.close()
    }

    /// A workflow is one journal record: past `maxRecordSize` it is refused with an error that
    /// names the limit, and nothing is started; a smaller one then starts normally.
    @Test func aWorkflowLargerThanARecordIsRefusedWhole() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let config = Harness.configuration(clock) { c in c.journal.maxRecordSize = 4096 }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("ok", payload: Job.self) { job, _ in job.n }
        let big = (0..<100).map { NewTask("ok", payload: Job(n: $0)) }
        var message = ""
        do {
            try await d.startWorkflow("big", stages: [WorkflowStage(big)])
            Issue.record("a workflow larger than maxRecordSize started")
        } catch {
            if case .invalidArgument(let m) = error { message = m }
        }
        #expect(message.contains("maxRecordSize") && message.contains("\"big\""), "\(message)")
        #expect(await d.workflow("big") == nil)
        #expect(await d.task("big/0/0") == nil)
        let small = try await d.startWorkflow("small", stages: [WorkflowStage([NewTask("ok", payload: Job(n: 1))])])
        #expect(small.status == .running)
        await d.close()
    }

    /// A step that was running at a crash, out of attempts: `open` fails it, which fails its
    /// stage and so the workflow. Nobody can subscribe during `open`, so those events wait for
    /// `run()`, in causal order: the step's `recovered`, then the workflow's end.
    @Test func aWorkflowEndedDuringRecoveryIsAnnounced() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let (h, _, gate) = try await Self.make(.journaled, clock: clock, directory: dir)
        let once = NewTask("gate", payload: Job(n: 1), options: TaskOptions(maxAttempts: 1))
        try await h.docket.startWorkflow("w", stages: [WorkflowStage([once]), WorkflowStage([Self.task("ok")])])
        let crash = try await Self.crashImage(of: dir, h, gate: gate, running: ["w/0/0"], label: "wf-recovered")
        defer { crash.remove() }
        gate.open()
        try await h.stop()

        let second = try await Harness.make(.journaled, clock: clock, directory: crash) { d in Self.register(d, order: Starts(), gate: gate) }
        #expect(second.docket.recoveryReport.interrupted == ["w/0/0"])
        let ended = await second.recorder.waitFor(.workflowEnded, "w")
        #expect(ended.first?.error == "failed")
        let kinds = second.recorder.events.filter { $0.taskID.hasPrefix("w") }.map { "\($0.kind) \($0.taskID)" }
        #expect(kinds.prefix(2) == ["recovered w/0/0", "workflowEnded w"])
        #expect(await second.docket.workflow("w")?.status == .failed)
        #expect(await second.docket.task("w/1/0") == nil, "the second stage never started")
        try await second.stop()
    }

    /// Snapshots taken in the middle of stages (every few records), then the tail: the same
    /// workflows and tasks as a replay of every record from the first.
    @Test func aSnapshotMidWorkflowReplaysLikeTheRecordsAlone() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let order = Starts()
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: { d in Self.register(d, order: order, gate: Gate()) },
                                       configure: { c in
                                           c.snapshotEvery = 4
                                           c.journal.retention = .archive
                                           // The newest snapshot is then one taken mid-run,
                                           // with records after it (not the final one).
                                           c.snapshotOnClose = false
                                       })
        let d = h.docket
        for i in 0..<6 {
            try await d.startWorkflow("w\(i)", stages: Workflow.chord([Self.task("ok", i), Self.task("bad"), Self.task("ok", 2)],
                                                                      completion: .quorum(2), then: Self.task("sum")))
        }
        for i in 0..<6 { await h.recorder.waitFor(.succeeded, "w\(i)/1/0") }
        try await d.sync()
        let live = await d.workflows()
        #expect(live.count == 6 && live.allSatisfy { $0.status == .succeeded })
        try await h.stop()
        let (withSnapshots, report) = try StateLoader.load(directory: dir.journal)
        #expect(report.snapshotFile != nil)
        let (recordsOnly, _) = try StateLoader.replay { snapshot, record in
            try JournalReader.readBorrowing(directory: dir.journal, mode: .strict, from: 1, includeArchive: true, snapshot: snapshot, recordView: record)
        }
        #expect(withSnapshots.workflows == recordsOnly.workflows)
        #expect(RecoveryTests.tasksEqual(withSnapshots, recordsOnly))
        #expect(recordsOnly.workflows.values.map { withSnapshots.workflowInfo($0) }.sorted { $0.id < $1.id } == live)
        // At every record: the newest snapshot at or before it plus the records after, against
        // every record from the first. Some of those snapshots hold stages still running.
        var midStage = 0
        for s in 1...report.lastSequence {
            let (fromSnapshot, used) = try StateLoader.load(directory: dir.journal, asOf: s, includeArchive: true)
            let (fromRecords, _) = try StateLoader.replay { snapshot, record in
                try JournalReader.readBorrowing(directory: dir.journal, mode: .strict, from: 1, asOf: s, includeArchive: true,
                                                snapshot: snapshot, recordView: record)
            }
            #expect(fromSnapshot.workflows == fromRecords.workflows, "as of \(s)")
            #expect(RecoveryTests.tasksEqual(fromSnapshot, fromRecords), "as of \(s)")
            if used.snapshotSequence > 0, used.snapshotSequence < s, fromRecords.workflows.values.contains(where: { $0.status == .running }) {
                midStage += 1
            }
        }
        #expect(midStage > 0, "no snapshot was taken while a stage ran")
    }
    /// A stage's deadline is part of the workflow's stored state: after a restart (snapshot on
    /// close), the stage still times out when its time comes.
    @Test func aStageDeadlineSurvivesARestart() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let h = try await Harness.make(.journaled, clock: clock, directory: dir) { d in Self.register(d, order: Starts(), gate: gate) }
        try await h.docket.startWorkflow("t", stages: Workflow.group([Self.task("gate")], timeout: .seconds(30)))
        await h.recorder.waitFor(.started, "t/0/0")
        clock.advance(by: .seconds(10))
        try await h.stop()
        let second = try await Harness.make(.journaled, clock: clock, directory: dir) { d in Self.register(d, order: Starts(), gate: gate) }
        #expect(await second.docket.workflow("t")?.status == .running)
        clock.advance(by: .seconds(19))
        await second.settle()
        #expect(await second.docket.workflow("t")?.status == .running, "19 s after the restart, 29 s in: not yet")
        clock.advance(by: .seconds(1))
        #expect(await second.recorder.waitFor(.workflowEnded, "t").first?.error == "failed")
        gate.open()
        try await second.stop()
    }
    /// A stage decided during the shutdown grace period cancels its other tasks at once, so the
    /// shutdown does not wait for them (the grace period here never ends on its own).
    @Test(arguments: EngineKind.allCases) func aStageDecidedDuringShutdownReleasesTheRest(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind, register: { d in Self.register(d, order: Starts(), gate: gate) },
                                       configure: { $0.shutdownGrace = .seconds(3600) })
        try await h.docket.startWorkflow("s", stages: Workflow.group([Self.task("gate"), Self.task("gate")], completion: .any))
        while gate.waiting("s/0/0") == 0 || gate.waiting("s/0/1") == 0 { await Task.yield() }
        h.runner.cancel()
        // In the grace period for sure: released earlier, the stage would be decided before it.
        while await !h.docket.isStopping { await Task.yield() }
        await h.settle()
        gate.release("s/0/0")
        try await h.runner.value
        #expect(await h.docket.task("s/0/0")?.status == .succeeded)
        #expect(await h.docket.task("s/0/1")?.status == .cancelled)
        #expect(await h.docket.workflow("s")?.status == .succeeded)
        gate.open()
        h.directory?.remove()
    }
    /// A failed step of an undecided stage run again no longer counts as failed: here a second
    /// failure would otherwise end a quorum stage that can still succeed.
    @Test(arguments: EngineKind.allCases) func aRetriedStepOfAnUndecidedStageCountsAgain(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in Self.register(d, order: Starts(), gate: gate) }
        let d = h.docket
        try await d.startWorkflow("r", stages: Workflow.group([Self.task("gate"), Self.task("gate"), Self.task("ok")], completion: .quorum(2)))
        while gate.waiting("r/0/0") == 0 || gate.waiting("r/0/1") == 0 { await Task.yield() }
        gate.release("r/0/0", .control(.fail(permanently: "first try")))
        await h.recorder.waitFor(.failed, "r/0/0")
        try await d.retryNow("r/0/0")
        while gate.waiting("r/0/0") == 0 { await Task.yield() }
        gate.release("r/0/1", .control(.fail(permanently: "no")))
        await h.recorder.waitFor(.failed, "r/0/1")
        await h.settle()
        #expect(await d.workflow("r")?.status == .running, "one failure counted, not two")
        gate.release("r/0/0")
        #expect(await h.recorder.waitFor(.workflowEnded, "r").first?.error == nil)
        try await h.stop()
        h.directory?.remove()
    }

    /// The events of what a control call did to a workflow (a sibling cancelled, the workflow
    /// ended) go out even when a purge removed both before they were announced.
    @Test func workflowEventsSurviveAPurgeBeforeTheyGoOut() async throws {
        let clock = ManualClock(now: Harness.start)
        let d = try Docket.inMemory(configuration: Harness.configuration(clock))
        Self.register(d, order: Starts(), gate: Gate())
        let recorder = Recorder(d.events())
        try await d.startWorkflow("w", stages: Workflow.group([Self.task("gate"), Self.task("gate")]))
        await d.setHoldWorkflowEffects(true)
        try await d.cancel("w/0/0")
        clock.advance(by: .seconds(1))
        #expect(try await d.purge(olderThan: .zero) == 2, "both steps, ended")
        #expect(await d.workflow("w") == nil)
        await d.releaseWorkflowEffects(false)
        await recorder.waitFor(.workflowEnded, "w")
        #expect(recorder.events(.cancelled).map(\.taskID).sorted() == ["w/0/0", "w/0/1"])
        #expect(recorder.events(.workflowEnded).first?.error == "failed")
        await d.close()
    }

    /// `.any` fails only when every step has failed; `.quorum(2)` of three fails as soon as two
    /// have (the third, still running, is cancelled); a paused step keeps an `.all` stage open
    /// until it is resumed and ends.
    @Test(arguments: EngineKind.allCases) func anyAndQuorumStagesFailAndAPausedStepHoldsAStage(kind: EngineKind) async throws {
        let (h, _, gate) = try await Self.make(kind)
        let d = h.docket
        try await d.startWorkflow("any", stages: Workflow.group([Self.task("bad"), Self.task("gate")], completion: .any) + [WorkflowStage([Self.task("ok")])])
        await h.recorder.waitFor(.failed, "any/0/0")
        await h.settle()
        #expect(await d.workflow("any")?.status == .running, "one failure does not decide .any")
        await gate.releaseWhenWaiting("any/0/1", .control(.fail(permanently: "also")))
        let any = await Self.waitFinished(d, "any")
        #expect(any?.status == .failed && any?.stageOutcomes == [false, nil])
        #expect(await d.task("any/1/0") == nil, "the stage after a failed one does not run")

        try await d.startWorkflow("q", stages: Workflow.group([Self.task("bad"), Self.task("bad"), Self.task("gate")], completion: .quorum(2)))
        let quorum = await Self.waitFinished(d, "q")
        #expect(quorum?.status == .failed, "two of three failed: a quorum of two is out of reach")
        #expect(await d.task("q/0/2")?.status == .cancelled)

        try await d.startWorkflow("p", stages: Workflow.chain([Self.task("ok")]) + Workflow.group([Self.task("ok"), Self.task("gate")]))
        await h.recorder.waitFor(.started, "p/1/1")
        await gate.releaseWhenWaiting("p/1/1", .control(.retry(after: .seconds(60))))
        await h.recorder.waitFor(.retried, "p/1/1")
        try await d.pause("p/1/1")
        await h.recorder.waitFor(.succeeded, "p/1/0")
        await h.settle()
        #expect(await d.workflow("p")?.status == .running, "a paused step keeps its .all stage open")
        try await d.resume("p/1/1")
        h.clock.advance(by: .seconds(60))
        await gate.releaseWhenWaiting("p/1/1")
        #expect(await Self.waitFinished(d, "p")?.status == .succeeded)
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    /// A large group is decided as its tasks end, not by recounting it each time.
    @Test func aLargeGroupCompletes() async throws {
        let h = try await Harness.make(.inMemory, register: { d in Self.register(d, order: Starts(), gate: Gate()) },
                                       configure: { $0.concurrency = 64 })
        try await h.docket.startWorkflow("big", stages: Workflow.chord((0..<3_000).map { Self.task("ok", $0 % 7) }, then: Self.task("sum")))
        #expect(await h.recorder.waitFor(.workflowEnded, "big").first?.error == nil)
        let expected = (0..<3_000).reduce(0) { $0 + ($1 % 7) * ($1 % 7) }
        #expect(try await h.docket.task("big/1/0")?.decodeOutput(Int.self) == expected)
        #expect(await h.docket.state.stageRecounts == 2, "each of the two stages counted from its tasks once, not at each of 3,000 endings")
        try await h.stop()
    }
}

extension Docket {
    /// Holds what workflow progress did (its events and handler cancellations) until
    /// `releaseWorkflowEffects(false)`, as a control call does during its own work.
    func setHoldWorkflowEffects(_ on: Bool) { holdWorkflowEffects = on }
}
