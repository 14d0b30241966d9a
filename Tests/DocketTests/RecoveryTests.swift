import DocketJournal
import Foundation
import Synchronization
import Testing
@testable import Docket

/// Crashes and restarts. A crash is simulated by copying the journal directory while the
/// instance runs: the copy holds exactly what a kill -9 would leave (everything written,
/// synced or not, since the page cache survives a killed process).
@Suite(.timeLimit(.minutes(2))) struct RecoveryTests {
    static func tasksEqual(_ a: EngineState, _ b: EngineState) -> Bool {
        guard a.tasks.count == b.tasks.count else { return false }
        for t in a.tasks.values {
            guard var u = b.tasks[t.id] else { return false }
            u.version = t.version
            if u != t { return false }
        }
        return a.schedules == b.schedules && a.nextSequence == b.nextSequence
    }

    /// Damage in a record the newest snapshot covers: `open` passes over it, and `inspect`
    /// shows the same state (it read under `.strict` and showed nothing), with the damage.
    @Test func inspectShowsWhatOpenRecoversPastCoveredDamage() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { $0.snapshotOnClose = false }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("noop", payload: Job.self) { _, _ in }
        for i in 0..<30 { try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(60))) }
        await d.close()
        // A snapshot through record 20 of the one segment holding records 1…30.
        let (state20, _) = try StateLoader.load(directory: dir.journal, asOf: 20)
        let journal = try Journal.open(directory: dir.journal) { _ in }
        try await journal.writeSnapshot(EngineCodec.encodeSnapshot(state20), lastSequence: 20)
        try await journal.close()
        let segment = dir.journal + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir.journal).filter { $0.hasPrefix("wal-") }.sorted().first ?? "")
        var bytes = try #require(FileManager.default.contents(atPath: segment).map { [UInt8]($0) })
        bytes[bytes.count / 3] ^= 0x10  // inside one of the first records (all ≤ 20)
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let seen = try Docket.inspect(directory: dir.journal)
        #expect(seen.tasks.count == 30, "\(seen.tasks.count) tasks, damage \(String(describing: seen.damage))")
        #expect(seen.damage?.reason.contains("no state lost") == true)
        let reopened = try await Docket.open(directory: dir.journal, configuration: config)
        #expect(await reopened.count() == 30)
        await reopened.close()
    }

    @Test func closeAndReopenRestoresEveryTaskAndScheduleExactly() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let register: (Docket) -> Void = { d in
            d.register("ok", payload: Job.self) { job, _ in job.n }
            d.register("bad", payload: Job.self) { _, _ in throw TestFailure(message: "nope") }
        }
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: register)
        for i in 0..<20 {
            try await h.docket.enqueue(i % 3 == 0 ? "bad" : "ok", payload: Job(n: i),
                                       options: TaskOptions(id: "t\(i)", delay: .seconds(Int64(i)), queue: "q\(i % 2)", priority: i % 4, maxAttempts: 2, retry: .fixed(.seconds(3))))
        }
        try await h.docket.schedule("s", parsing: "*/5 * * * * *", handler: "ok", payload: Job(n: 7))
        try await h.docket.pause("t19")
        clock.advance(by: .seconds(12))
        await h.recorder.waitFor(.succeeded, count: 6)
        await h.settle()
        try await h.stop()
        let before = await h.docket.state

        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        let after = await reopened.state
        #expect(Self.tasksEqual(before, after))
        #expect(reopened.recoveryReport.interrupted.isEmpty)
        #expect(reopened.recoveryReport.tasks == before.tasks.count)
        #expect(reopened.recoveryReport.journal?.snapshotSequence ?? 0 > 0, "close writes a snapshot")
        await reopened.close()
    }

    @Test func aTaskRunningAtACrashCountsThatAttemptAndCannotLoopForever() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let gate = Gate()
        let clock = ManualClock(now: Harness.start)
        let register: (Docket) -> Void = { d in d.register("crashy", payload: Job.self) { _, job in try await gate.run(job.id) } }
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: register)
        try await h.docket.enqueue("crashy", payload: Job(n: 1), options: TaskOptions(id: "c", maxAttempts: 2, retry: .fixed(.seconds(1))))
        await h.recorder.waitFor(.started, "c")
        while gate.waiting("c") == 0 { await Task.yield() }
        // kill -9 while the handler runs.
        let crash1 = TempDirectory("crash1")
        defer { crash1.remove() }
        try copyDirectory(dir.journal, crash1.journal)
        gate.open()
        try await h.stop()

        let stuck = Gate()
        let second = try await Harness.make(.journaled, clock: clock, directory: crash1, register: { d in
            d.register("crashy", payload: Job.self) { _, job in try await stuck.run(job.id) }
        })
        #expect(second.docket.recoveryReport.interrupted == ["c"])
        let recovered = await second.recorder.waitFor(.recovered, "c")
        #expect(recovered.first?.attempt == 1 && recovered.first?.runAt == Harness.start.addingTimeInterval(1))
        let t = try #require(await second.docket.task("c"))
        #expect(t.status == .scheduled)
        #expect(t.attempt == 1)
        #expect(t.lastError == "the process stopped while this attempt was running")
        #expect(t.runAt == Harness.start.addingTimeInterval(1))
        clock.advance(by: .seconds(1))
        await second.recorder.waitFor(.started, "c")
        // Its handler never returns (and ignores cancellation): the process "crashes" again.
        let crash2 = TempDirectory("crash2")
        defer { crash2.remove() }
        while true {
            try copyDirectory(crash1.journal, crash2.journal)
            let (state, _) = try StateLoader.load(directory: crash2.journal)
            if state.tasks["c"]?.status == .running { break }
            await Task.yield()
        }
        try await second.stop()
        #expect(await second.docket.task("c")?.status == .scheduled, "shutdown hands the attempt back")
        #expect(await second.docket.task("c")?.attempt == 1)
        stuck.open()

        let third = try await Docket.open(directory: crash2.journal, configuration: Harness.configuration(clock))
        let dead = try #require(await third.task("c"))
        #expect(dead.status == .failed, "out of attempts after two crashes")
        #expect(dead.attempt == 2)
        await third.close()
    }

    /// Thousands of records go through the replay pipeline in many batches (1,024 each, 8 in
    /// flight), from records alone and from a snapshot plus a tail: the state after reopening
    /// is the state before, counts per queue and status included.
    @Test(arguments: [false, true]) func aLargeJournalReplaysExactlyThroughManyBatches(snapshotFirst: Bool) async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let config = Harness.configuration(clock) { c in
            c.snapshotEvery = 1_000_000
            c.snapshotOnClose = false
        }
        func enqueue(_ d: Docket, rounds: Range<Int>) async throws {
            for b in rounds {
                try await d.enqueue(batch: (0..<1000).map { i in
                    NewTask("ok", payload: Job(n: i), options: TaskOptions(id: "t\(b)-\(i)", delay: .seconds(Int64(i % 50)), queue: "q\(i % 3)", priority: i % 5))
                })
            }
            _ = try await d.cancel((0..<300).map { "t\(rounds.lowerBound)-\($0)" })
            _ = try await d.pause((300..<400).map { "t\(rounds.lowerBound)-\($0)" })
        }
        var first = config
        first.snapshotOnClose = snapshotFirst
        var d = try await Docket.open(directory: dir.journal, configuration: first)
        d.register("ok", payload: Job.self) { _, _ in }
        try await enqueue(d, rounds: 0..<6)
        if snapshotFirst {
            await d.close()
            d = try await Docket.open(directory: dir.journal, configuration: config)
            #expect(d.recoveryReport.journal?.snapshotSequence ?? 0 > 0)
            d.register("ok", payload: Job.self) { _, _ in }
        }
        try await enqueue(d, rounds: 6..<12)
        try await d.sync()
        let before = await d.state
        let statsBefore = await d.stats()
        await d.close()

        let reopened = try await Docket.open(directory: dir.journal, configuration: config)
        let after = await reopened.state
        #expect(after.tasks.count == 12_000)
        #expect(Self.tasksEqual(before, after))
        #expect(await reopened.stats().byQueue == statsBefore.byQueue)
        #expect(after.timers.count == before.tasks.values.filter { $0.status == .scheduled }.count, "one timer per scheduled task after replay")
        await reopened.close()
    }

    /// A query matching more tasks than one record holds is written in several records of
    /// at most `idsPerRecord` ids, and replays to the same state.
    @Test func aLargeControlByQueryIsWrittenInBoundedRecords() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { c in
            c.snapshotEvery = 1_000_000
            c.snapshotOnClose = false
        }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("ok", payload: Job.self) { _, _ in }
        let total = Docket.idsPerRecord * 2 + 500
        for b in 0..<(total / 500) {
            try await d.enqueue(batch: (0..<500).map { i in
                NewTask("ok", payload: Job(n: i), options: TaskOptions(id: "t\(b)-\(i)", delay: .seconds(60), key: i % 2 == 0 ? "even" : nil))
            })
        }
        #expect(try await d.pause(matching: TaskFilter(key: "even")).count == total / 2)
        #expect(try await d.cancel(matching: TaskFilter()).count == total)
        await d.close()
        var cancelRecords: [Int] = []
        _ = try JournalReader.read(directory: dir.journal, mode: .strict, snapshot: { _ in }) { record in
            if case .cancel(let ids, _) = try EngineCodec.decodeMutation(record.payload) { cancelRecords.append(ids.count) }
        }
        #expect(cancelRecords == [Docket.idsPerRecord, Docket.idsPerRecord, 500])
        let reopened = try await Docket.open(directory: dir.journal, configuration: config)
        #expect(await reopened.stats().byStatus == [.cancelled: total])
        await reopened.close()
    }

    /// With a small record size limit, control records are cut by bytes too, so a control
    /// call over many long ids never asks for a record the journal refuses.
    @Test func controlRecordsStayWithinTheRecordSizeLimit() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start)) { c in
            c.journal.maxRecordSize = 4096
            c.snapshotOnClose = false
        }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("ok", payload: Job.self) { _, _ in }
        let ids = (0..<1_000).map { "a-rather-long-task-identifier-number-\($0)" }
        for chunk in stride(from: 0, to: ids.count, by: 100) {
            try await d.enqueue(batch: ids[chunk..<chunk + 100].map { NewTask("ok", payload: Job(n: 0), options: TaskOptions(id: $0, delay: .seconds(60))) })
        }
        #expect(try await d.cancel(matching: TaskFilter()).count == ids.count)
        await d.close()
        var sizes: [Int] = []
        var cancelled = 0
        _ = try JournalReader.read(directory: dir.journal, mode: .strict, snapshot: { _ in }) { record in
            if case .cancel(let ids, _) = try EngineCodec.decodeMutation(record.payload) {
                sizes.append(record.payload.count)
                cancelled += ids.count
            }
        }
        #expect(cancelled == ids.count && sizes.count > 1 && sizes.allSatisfy { $0 <= 4096 }, "\(sizes)")
    }

    /// A damaged record after many good ones: the open is refused with a typed error (the
    /// applying thread is joined, nothing hangs) and the directory is left as it was.
    @Test func aDamagedRecordDeepInALargeJournalIsRefused() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.journal, withIntermediateDirectories: true)
        let journal = try Journal.open(directory: dir.journal) { _ in }
        let good = (0..<20_000).map { i in
            EngineCodec.encode(.enqueue(TaskEntry(id: "t\(i)", name: "ok", payload: [], queue: "default", priority: 0, key: nil, runAt: 0, attempt: 0,
                                                  maxAttempts: 3, retry: .default, timeout: 0, status: .scheduled, createdAt: 0, sequence: UInt64(i + 1))))
        }
        _ = try journal.submit(contentsOf: good, tag: EngineCodec.recordTag)
        _ = try journal.submit([99, 1, 2], tag: EngineCodec.recordTag)
        try await journal.close()
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted()
        do {
            _ = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(ManualClock()))
            Issue.record("a journal with a damaged record opened")
        } catch {
            guard case .unreadableState(let message) = error else {
                Issue.record("expected unreadableState, got \(error)")
                return
            }
            #expect(message.contains("unknown mutation kind 99"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted() == before)
        #expect(throws: DocketError.self) { try StateLoader.load(directory: dir.journal) }
    }

    /// A well-formed record holding a time no engine writes (here `Int64.min`, which crashed
    /// the first start, at every restart): the open is refused with `unreadableState`, and the
    /// directory is left as it was.
    @Test func aRecordWithATimeNoEngineWritesIsRefusedAtOpen() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.journal, withIntermediateDirectories: true)
        let journal = try Journal.open(directory: dir.journal) { _ in }
        let hostile = TaskEntry(id: "t", name: "ok", payload: [], queue: "default", priority: 0, key: nil, runAt: Int64.min, attempt: 0,
                                maxAttempts: 3, retry: .default, timeout: 0, status: .scheduled, createdAt: 0, sequence: 1)
        _ = try journal.submit(EngineCodec.encode(.enqueue(hostile)), tag: EngineCodec.recordTag)
        try await journal.close()
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted()
        do {
            let d = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(ManualClock()))
            Issue.record("opened")
            await d.close()
        } catch {
            guard case .unreadableState(let message) = error else {
                Issue.record("expected unreadableState, got \(error)")
                return
            }
            #expect(message.contains("out of range"), "\(message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted() == before)
    }

    @Test func aSecondOpenOfTheSameDirectoryIsRefused() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let first = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(ManualClock()))
        do {
            _ = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(ManualClock()))
            Issue.record("a second open succeeded")
        } catch {
            guard case .journal(.journalLocked) = error else {
                Issue.record("expected journalLocked, got \(error)")
                return
            }
        }
        await first.close()
    }

    @Test func foreignRecordsAreRefusedWithoutChangingAnything() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let d = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        d.register("ok", payload: Job.self) { _, _ in }
        try await d.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "a"))
        try await d.journal?.append([1, 2, 3], tag: 7)
        try await d.journal?.close()
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted()
        await #expect(throws: DocketError.self) {
            _ = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.journal).sorted() == before)
    }

    /// A workflow of every stage setting, for the codec, as `startWorkflow` journals it (no
    /// collided step: a snapshot test adds one).
    static func workflow(_ task: TaskEntry) -> WorkflowEntry {
        var step = task
        step.id = "template"
        return WorkflowEntry(id: "w", stages: [
            .init(steps: [step, step], completion: .quorum(1), stopOnFailure: false, condition: .always, timeout: 5_000_000),
            .init(steps: [step], completion: .any, stopOnFailure: true, condition: .ifPreviousFailed),
            .init(steps: [step], completion: .all, stopOnFailure: true, condition: .ifPreviousSucceeded),
        ], current: 0, status: .running, outcomes: [nil, nil, nil], createdAt: 3, finishedAt: nil, collided: [], stageDeadline: 99)
    }

    /// Sequences no engine writes: a snapshot whose tasks repeat a sequence (or go back) is
    /// refused when decoded, and a record's task whose sequence is taken already gets the next
    /// one. Either listed the task twice in pages and wrote snapshots whose task count was off by
    /// one (found by a review of the task table).
    @Test func repeatedSequencesAreRefusedOrRenumbered() throws {
        func task(_ id: String, sequence: UInt64) -> TaskEntry {
            TaskEntry(id: id, name: "n", payload: [], queue: "q", priority: 0, key: nil, runAt: 0, attempt: 0, maxAttempts: 1,
                      retry: .never, timeout: 0, status: .scheduled, progress: 0, output: nil, lastError: nil, createdAt: 0,
                      startedAt: nil, finishedAt: nil, sequence: sequence, lease: 0, scheduleID: nil)
        }
        var crafted = EngineState()
        _ = crafted.tasks.insertNew(task("a", sequence: 5))
        _ = crafted.tasks.insertNew(task("b", sequence: 5))
        #expect(throws: BinaryReader.Malformed.self, "a repeated sequence") { try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(crafted)) }
        var state = EngineState()
        state.apply(.enqueue(task("a", sequence: 1)))
        state.apply(.enqueue(task("b", sequence: 2)))
        state.apply(.enqueue(task("c", sequence: 1)))  // hand-made: sequence 1 is a's
        #expect(state.tasks["c"]?.sequence == 3 && state.nextSequence == 4)
        var order: [String] = []
        state.tasks.forEachInSequenceOrder { t in
            order.append(t.id)
            return true
        }
        #expect(order == ["a", "b", "c"])
        let back = try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(state))
        #expect(back.tasks.count == 3 && back.tasks["c"]?.sequence == 3)
    }

    /// A step id another task holds when its stage starts. The API cannot get there
    /// (`startWorkflow` refuses taken step ids and enqueue refuses a workflow's reserved ones),
    /// but records replayed from a hand-made or older journal can: the step counts as failed,
    /// the task holding the id keeps its own life, and a snapshot round-trips the result.
    @Test func aStepWhoseIDATaskAlreadyHoldsFailsItsStage() throws {
        var template = TaskEntry(id: "template", name: "n", payload: [1], queue: "q", priority: 0, key: nil, runAt: 0, attempt: 0,
                                 maxAttempts: 1, retry: .never, timeout: 0, status: .scheduled, progress: 0, output: nil, lastError: nil,
                                 createdAt: 0, startedAt: nil, finishedAt: nil, sequence: 1, lease: 0, scheduleID: nil)
        let workflow = WorkflowEntry(id: "w", stages: [
            .init(steps: [template], completion: .all, stopOnFailure: true, condition: .always),
            .init(steps: [template, template], completion: .quorum(1), stopOnFailure: true, condition: .always),
            .init(steps: [template], completion: .all, stopOnFailure: true, condition: .always),
        ], current: 0, status: .running, outcomes: [nil, nil, nil], createdAt: 1, finishedAt: nil)
        var state = EngineState()
        state.apply(.startWorkflow(workflow, at: 1))
        // Both ids of stage 1 taken before it starts, one by a task still to run.
        template.id = "w/1/0"
        template.sequence = 10
        state.apply(.enqueue(template))
        template.id = "w/1/1"
        template.sequence = 11
        template.runAt = 9_999
        state.apply(.enqueue(template))
        state.apply(.start([.init(id: "w/0/0", lease: 1)], at: 2))
        state.apply(.succeed(id: "w/0/0", lease: 1, output: nil, at: 3))
        let w = try #require(state.workflows["w"])
        #expect(w.collided == ["w/1/0", "w/1/1"])
        #expect(w.status == .failed && w.outcomes == [true, false, nil], "a quorum of 1 fails once no step can succeed")
        #expect(state.tasks["w/2/0"] == nil, "the stage after the failure never starts")
        #expect(state.tasks["w/1/1"]?.status == .scheduled && state.tasks["w/1/1"]?.runAt == 9_999, "the holder is left alone")
        #expect(state.workflowOfTask["w/1/1"] == nil && state.workflowOfTask["w/1/0"] == nil)
        let info = state.workflowInfo(w)
        #expect(info.progress == 1 && info.stageOutcomes == [true, false, nil])
        let back = try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(state))
        #expect(back.workflows == state.workflows)
        #expect(back.tasks["w/1/1"]?.runAt == 9_999)
    }

    /// A snapshot or record holding a task with an empty id (the task table's mark of a free
    /// slot) is refused: it would be counted and never seen. Record timestamps saturate far in
    /// the future instead of wrapping to the past.
    @Test func emptyTaskIDsAreRefusedAndTimestampsSaturate() async throws {
        var state = EngineState()
        state.insert(TaskEntry(id: "", name: "n", payload: [], queue: "q", priority: 0, key: nil, runAt: 0, attempt: 0, maxAttempts: 1,
                               retry: .never, timeout: 0, status: .scheduled, progress: 0, output: nil, lastError: nil, createdAt: 0,
                               startedAt: nil, finishedAt: nil, sequence: 1, lease: 0, scheduleID: nil))
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(state)) }
        let empty = TaskEntry(id: "", name: "n", payload: [], queue: "q", priority: 0, key: nil, runAt: 0, attempt: 0, maxAttempts: 1,
                              retry: .never, timeout: 0, status: .scheduled, progress: 0, output: nil, lastError: nil, createdAt: 0,
                              startedAt: nil, finishedAt: nil, sequence: 1, lease: 0, scheduleID: nil)
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeMutation(EngineCodec.encode(.enqueue(empty))) }
        let far = try Docket.inMemory(configuration: Harness.configuration(ManualClock(now: Date(timeIntervalSince1970: 2e10))))
        #expect(await far.recordTimestamp() == UInt64.max)
        let now = try Docket.inMemory(configuration: Harness.configuration(ManualClock(now: Harness.start)))
        #expect(await now.recordTimestamp() == 1_800_000_000_000_000_000)
    }

    /// Values no live engine writes, in records that are otherwise well formed (a damaged or
    /// hand-made journal), are refused when decoded: times beyond ±`Time.limit` (later time
    /// arithmetic would overflow and trap at every restart), counters near `UInt64.max`
    /// (counting on would trap), a NaN retry multiplier (interning would leak), a workflow with
    /// an impossible quorum, repeated or surplus collided steps, or one started mid-way.
    @Test func valuesNoEngineWritesAreRefusedWhenDecoded() throws {
        func task(runAt: Micros = 0, sequence: UInt64 = 1, lease: UInt64 = 0, retry: RetryPolicy = .never) -> TaskEntry {
            TaskEntry(id: "t", name: "n", payload: [], queue: "q", priority: 0, key: nil, runAt: runAt, attempt: 0, maxAttempts: 1,
                      retry: retry, timeout: 0, status: .scheduled, progress: 0, output: nil, lastError: nil, createdAt: 0,
                      startedAt: nil, finishedAt: nil, sequence: sequence, lease: lease, scheduleID: nil)
        }
        func refused(_ m: Mutation, _ what: String) {
            #expect(throws: BinaryReader.Malformed.self, "\(what)") { try EngineCodec.decodeMutation(EngineCodec.encode(m)) }
        }
        _ = try EngineCodec.decodeMutation(EngineCodec.encode(.enqueue(task(runAt: Time.limit, sequence: BinaryReader.counterLimit))))
        refused(.enqueue(task(runAt: Int64.min)), "runAt Int64.min")
        refused(.enqueue(task(runAt: Time.limit + 1)), "runAt past the limit")
        refused(.enqueue(task(sequence: UInt64.max - 1)), "sequence near UInt64.max")
        refused(.enqueue(task(lease: UInt64.max)), "lease UInt64.max")
        refused(.start([.init(id: "a", lease: UInt64.max)], at: 0), "start lease")
        refused(.succeed(id: "a", lease: 1, output: nil, at: Int64.max), "succeed at")
        refused(.enqueue(task(retry: .exponential(initial: .seconds(1), multiplier: .nan, maximum: .seconds(9), jitter: 0.1))), "NaN multiplier")
        refused(.enqueue(task(retry: .exponential(initial: .seconds(1), multiplier: 2, maximum: .seconds(9), jitter: .infinity))), "infinite jitter")

        var state = EngineState()
        state.nextSequence = UInt64.max
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(state)) }

        func workflow(_ completion: WorkflowStage.Completion, current: Int = 0, status: WorkflowStatus = .running,
                      outcomes: [Bool?] = [nil], collided: [String] = []) -> WorkflowEntry {
            WorkflowEntry(id: "w", stages: [.init(steps: [task(), task()], completion: completion, stopOnFailure: true, condition: .always)],
                          current: current, status: status, outcomes: outcomes, createdAt: 0, finishedAt: nil, collided: collided, stageDeadline: nil)
        }
        _ = try EngineCodec.decodeMutation(EngineCodec.encode(.startWorkflow(workflow(.quorum(2)), at: 0)))
        refused(.startWorkflow(workflow(.quorum(0)), at: 0), "quorum 0")
        refused(.startWorkflow(workflow(.quorum(3)), at: 0), "quorum above the steps")
        refused(.startWorkflow(workflow(.all, collided: ["w/0/0"]), at: 0), "a start with a collided step")
        refused(.startWorkflow(workflow(.all, current: 1, status: .succeeded, outcomes: [true]), at: 0), "a start already finished")
        var snapshot = EngineState()
        snapshot.workflows["w"] = workflow(.all, collided: ["w/0/0", "w/0/0"])
        #expect(throws: BinaryReader.Malformed.self, "repeated collided ids") { try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(snapshot)) }
        snapshot.workflows["w"] = workflow(.all, collided: ["a", "b", "c"])
        #expect(throws: BinaryReader.Malformed.self, "more collided ids than steps") { try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(snapshot)) }
        #expect(UTCStamp.string(Int64.min) == UTCStamp.string(-Time.limit), "no overflow trap")
    }

    @Test func codecRoundTripsEveryMutationAndRejectsDamage() throws {
        let task = TaskEntry(id: "i", name: "n", payload: [1, 2], queue: "q", priority: -3, key: "k", runAt: -5, attempt: 2, maxAttempts: 4,
                             retry: .exponential(initial: .seconds(2), multiplier: 1.5, maximum: .seconds(90), jitter: 0.3), timeout: 9,
                             status: .running, progress: 0.5, output: [9], lastError: "e", createdAt: 1, startedAt: 2, finishedAt: nil,
                             sequence: 77, lease: 5, scheduleID: "s")
        var fromClock = task
        fromClock.status = .scheduled
        fromClock.runAtFromClock = true
        let schedule = ScheduleEntry(id: "s", schedule: try .init(parsing: "CRON_TZ=Europe/Paris 0 9 * * MON-FRI"), name: "n", payload: [3],
                                     queue: "q", priority: 1, maxAttempts: 3, retry: .custom(name: "f"), timeout: 0, misfire: .fireAll,
                                     grace: 60_000_000, overlap: .skip, status: .active, nextFire: 100, lastFire: nil, lastTaskID: "x", createdAt: 4)
        let mutations: [Mutation] = [
            .enqueue(task), .start([.init(id: "a", lease: 1), .init(id: "b", lease: 2)], at: 3),
            .succeed(id: "a", lease: 1, output: nil, at: 4), .succeed(id: "a", lease: 1, output: [1], at: 4),
            .fail(id: "b", lease: 2, error: "x", retryAt: 10, at: 5), .fail(id: "b", lease: 2, error: "", retryAt: nil, at: 5),
            .snooze(id: "c", lease: 3, until: 8, at: 6), .progress(id: "c", lease: 3, value: 0.25),
            .cancel(["a", "b"], at: 1), .pause(["a"], at: 2), .resume([], at: 3), .reschedule(["x"], runAt: 9, at: 4),
            .retryNow(["y"], at: 5), .purge(["z"]), .removeSchedules(["s", "t"]), .upsertSchedule(schedule),
            .setScheduleStatus(id: "s", status: .paused, nextFire: nil, at: 6),
            .fire(scheduleID: "s", created: [task], lastNominal: 5, skipped: [1, 2], skippedCount: 40, nextFire: 9, at: 7),
            .startWorkflow(Self.workflow(task), at: 8), .cancelWorkflow(id: "w", at: 9), .removeWorkflows(["w", "v"]),
            .workflowTimedOut(id: "w", stage: 2, at: 10), .cancelWithCompensation(["a"], created: [task], at: 11),
            .shiftRunAt(["p", "q"], by: 3_600_000_000, at: 12), .enqueue(fromClock),
            .shiftWorkflowDeadlines(["w"], by: 5, at: 13),
        ]
        for m in mutations {
            let bytes = EngineCodec.encode(m)
            #expect(try EngineCodec.decodeMutation(bytes) == m)
            // Every truncation is refused with a typed error, never a trap.
            for cut in 0..<bytes.count {
                #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeMutation(Array(bytes.prefix(cut))) }
            }
            #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeMutation(bytes + [0]) }
        }
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeMutation([99]) }
        // A step back that is not positive was never written (negating Int64.min would trap).
        for by: Micros in [0, -1, .min] {
            #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeMutation(EngineCodec.encode(.shiftRunAt(["p"], by: by, at: 1))) }
            #expect(throws: BinaryReader.Malformed.self) {
                try EngineCodec.decodeMutation(EngineCodec.encode(.shiftWorkflowDeadlines(["w"], by: by, at: 1)))
            }
        }
        // The clock bit rides in the status byte: without it, the bytes are what builds before
        // it wrote.
        var givenTime = fromClock
        givenTime.runAtFromClock = false
        let plainBytes = EngineCodec.encode(.enqueue(givenTime))
        let clockBytes = EngineCodec.encode(.enqueue(fromClock))
        #expect(plainBytes.count == clockBytes.count && zip(plainBytes, clockBytes).filter { $0 != $1 }.count == 1)
        var state = EngineState()
        state.apply(.enqueue(task))
        state.apply(.upsertSchedule(schedule))
        state.apply(.startWorkflow(Self.workflow(task), at: 8))
        #expect(state.workflows["w"]?.current == 0 && state.tasks["w/0/0"] != nil)
        state.workflows["w"]?.collided = ["w/0/1"]  // the field round-trips in snapshots
        let snap = EngineCodec.encodeSnapshot(state)
        let back = try EngineCodec.decodeSnapshot(snap)
        #expect(back.tasks.count == 3, "the task and the workflow's first stage")
        #expect(back.workflows == state.workflows)
        #expect(back.tasks[task.id].map { var t = $0; t.version = 0; return t } == state.tasks[task.id].map { var t = $0; t.version = 0; return t })
        #expect(back.schedules == state.schedules)
        // A schedule key follows the schedule in its record and gets a section at the end of a
        // snapshot; without keys, both are what builds from before keys wrote.
        var keyed = schedule
        keyed.id = "keyed"
        keyed.key = "account-42"
        let keyedBytes = EngineCodec.encode(.upsertSchedule(keyed))
        #expect(try EngineCodec.decodeMutation(keyedBytes) == .upsertSchedule(keyed))
        var unkeyed = keyed
        unkeyed.key = nil
        #expect(Array(keyedBytes.prefix(keyedBytes.count - 11)) == EngineCodec.encode(.upsertSchedule(unkeyed)))
        var withKeys = state
        withKeys.apply(.upsertSchedule(keyed))
        let keyedSnap = EngineCodec.encodeSnapshot(withKeys)
        #expect(try EngineCodec.decodeSnapshot(keyedSnap).schedules == withKeys.schedules)
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeSnapshot(keyedSnap + [0]) }
        var keysOnly = EngineState()
        keysOnly.apply(.upsertSchedule(keyed))
        #expect(try EngineCodec.decodeSnapshot(EngineCodec.encodeSnapshot(keysOnly)).schedules == keysOnly.schedules, "keys without workflows")
        // A keys section naming a schedule the snapshot lacks, an empty key, or ids out of
        // order is damage, not a key to drop or guess.
        var plain = EngineState()
        plain.apply(.upsertSchedule(unkeyed))
        plain.apply(.upsertSchedule(schedule))
        for section in [[("ghost", "k")], [("keyed", "")], [("s", "k"), ("keyed", "k")], [("keyed", "k"), ("keyed", "k")]] {
            var w = BinaryWriter()
            w.bytes = EngineCodec.encodeSnapshot(plain)
            w.varint(0)
            w.varint(UInt64(section.count))
            for (id, key) in section { w.string(id); w.string(key) }
            #expect(throws: BinaryReader.Malformed.self, "\(section)") { try EngineCodec.decodeSnapshot(w.bytes) }
        }
        var good = BinaryWriter()
        good.bytes = EngineCodec.encodeSnapshot(plain)
        good.varint(0)
        good.varint(2)
        for id in ["keyed", "s"] { good.string(id); good.string("k-" + id) }
        #expect(try EngineCodec.decodeSnapshot(good.bytes).schedules.mapValues(\.key) == ["keyed": "k-keyed", "s": "k-s"])
        var wrongVersion = snap
        wrongVersion[4] = 9
        #expect(throws: BinaryReader.Malformed.self) { try EngineCodec.decodeSnapshot(wrongVersion) }
    }

    /// A journal with one attempt running at the crash, as a kill -9 would leave it.
    static func interruptedImage(_ label: String) async throws -> TempDirectory {
        let gate = Gate()
        let h = try await Harness.gated(.journaled, gate)
        let dir = try #require(h.directory)
        try await h.docket.enqueue("gated", payload: Job(n: 0), options: TaskOptions(id: "held"))
        let image = try await WorkflowTests.crashImage(of: dir, h, gate: gate, running: ["held"], label: label)
        gate.open()
        try await h.stop()
        dir.remove()
        return image
    }

    /// The `.recovered` event of an attempt the crash interrupted (kept by `open` for `run()`)
    /// reaches a subscriber that closes without ever running the instance.
    @Test func recoveredEventsReachASubscriberThatNeverRuns() async throws {
        let image = try await Self.interruptedImage("recovered-no-run")
        defer { image.remove() }
        let d = try await Docket.open(directory: image.journal, configuration: Harness.configuration(ManualClock(now: Harness.start)))
        let stream = d.events()
        await d.close()
        var seen: [(DocketEvent.Kind, String)] = []
        for await e in stream { seen.append((e.kind, e.taskID)) }
        #expect(seen.contains { $0 == (.recovered, "held") }, "events: \(seen)")
    }

    /// `open` whose recovery cannot journal the interrupted attempt's end (here a record size
    /// limit refuses it) throws, and leaves the directory unlocked: opening it again succeeds at
    /// once. Without the close, the abandoned journal let go of its lock only once its deinit
    /// had its I/O thread finish, racing the second open (which this test rarely loses: it
    /// guards the behaviour, it cannot force the race).
    @Test func openThatFailsDuringRecoveryReleasesTheDirectory() async throws {
        let image = try await Self.interruptedImage("open-fails")
        defer { image.remove() }
        let tight = Harness.configuration(ManualClock(now: Harness.start)) { $0.journal.maxRecordSize = 8 }
        await #expect(throws: DocketError.self) { _ = try await Docket.open(directory: image.journal, configuration: tight) }
        let d = try await Docket.open(directory: image.journal, configuration: Harness.configuration(ManualClock(now: Harness.start)))
        let held = await d.task("held")
        #expect(held?.attempt == 1 && held?.status == .scheduled, "\(String(describing: held))")
        await d.close()
    }
}
