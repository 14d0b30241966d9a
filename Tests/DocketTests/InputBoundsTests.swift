import DocketJournal
import DocketSchedules
import Foundation
import Testing
@testable import Docket

/// What users can hand the engine that it must bound or refuse: outputs and errors larger than
/// a journal record, catch-ups larger than one, ids reserved for occurrences, timeouts too
/// small to store, retry functions that do not exist, calls after close.
@Suite(.timeLimit(.minutes(2))) struct InputBoundsTests {
    struct Blob: Codable, Sendable { var text: String }

    /// An output too large for a journal record fails only its task (it used to stop `run()`,
    /// on every restart again); a huge error message is cut to fit; the loop goes on.
    @Test func anOversizedOutputOrErrorFailsOnlyItsTask() async throws {
        let h = try await Harness.make(.journaled, register: { d in
            d.register("big", payload: Job.self) { _, _ in Blob(text: String(repeating: "x", count: 20_000)) }
            d.register("loud", payload: Job.self) { _, _ in throw TestFailure(message: String(repeating: "é", count: 50_000)) }
            d.register("ok", payload: Job.self) { _, _ in }
        }, configure: { $0.journal.maxRecordSize = 8 * 1024 })
        let d = h.docket
        try await d.enqueue("big", payload: Job(n: 0), options: TaskOptions(id: "big"))
        try await d.enqueue("loud", payload: Job(n: 0), options: TaskOptions(id: "loud", maxAttempts: 1))
        await h.recorder.waitFor(.failed, count: 2)
        try await d.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "after"))
        await h.recorder.waitFor(.succeeded, "after")
        let big = try #require(await d.task("big"))
        #expect(big.status == .failed && big.output == nil)
        #expect(big.lastError?.contains("maxRecordSize 8192") == true, "\(big.lastError ?? "")")
        let loud = try #require(await d.task("loud"))
        #expect(loud.status == .failed)
        let error = loud.lastError ?? ""
        #expect(error.utf8.count <= 2048 + 64 && error.hasPrefix("ééé") && error.hasSuffix("bytes, cut to fit the journal)"), "\(error.utf8.count)")
        // Its event carries 1 KiB of it (a stalled stream buffers 65,536 events).
        let event = try #require(h.recorder.events(.failed).first { $0.taskID == "loud" })
        let carried = event.error ?? ""
        #expect(carried.utf8.count <= Docket.eventErrorLimit && carried.hasPrefix("ééé") && carried.hasSuffix("bytes, the rest is in the task's lastError)"), "\(carried)")
        let dir = try #require(h.directory)
        try await h.stop()
        // A Docket refuses a record limit too small for its own records (a failure record
        // could not be written, and the loop would stop).
        #expect(throws: DocketError.self) {
            try Docket.inMemory(configuration: Harness.configuration(h.clock) { $0.journal.maxRecordSize = 1024 })
        }
        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock) { $0.journal.maxRecordSize = 8 * 1024 })
        #expect(await reopened.task("big")?.status == .failed)
        #expect(await reopened.task("loud")?.lastError == error)
        await reopened.close()
        dir.remove()
    }

    /// Configuration defaults get the bounds a task's own values get, refused by name (they
    /// used to pass, and every enqueue without its own value was refused naming the task).
    /// A payload too large for one journal record is refused naming the task and the limit (it
    /// read "journal: record of … bytes exceeds…", the case documented as a failed journal),
    /// and the journal works on; a batch names its task and enqueues none.
    @Test func anOversizedPayloadIsRefusedNamingItsTask() async throws {
        struct Blob: Codable, Sendable { var text: String }
        let h = try await Harness.make(.journaled, register: { d in d.register("blob", payload: Blob.self) { _, _ in } },
                                       configure: { $0.journal.maxRecordSize = 4096 })
        let big = Blob(text: String(repeating: "x", count: 5000))
        for attempt in 0..<2 {
            do {
                if attempt == 0 {
                    try await h.docket.enqueue("blob", payload: big, options: TaskOptions(id: "big", delay: .seconds(60)))
                } else {
                    try await h.docket.enqueue(batch: [NewTask("blob", payload: Blob(text: "small"), options: TaskOptions(id: "small", delay: .seconds(60))),
                                                       NewTask("blob", payload: big, options: TaskOptions(id: "big", delay: .seconds(60)))])
                }
                Issue.record("an oversized payload was accepted")
            } catch {
                guard case .invalidArgument(let message) = error else { Issue.record("\(error)"); continue }
                #expect(message.contains("task \"big\"") && message.contains("maxRecordSize (4096 bytes)"), "\(message)")
            }
        }
        #expect(await h.docket.task("small") == nil, "the batch is all or nothing")
        try await h.docket.enqueue("blob", payload: Blob(text: "small"), options: TaskOptions(id: "after", delay: .seconds(60)))
        #expect(await h.docket.task("after")?.status == .scheduled)
        try await h.stop()
        h.directory?.remove()
    }

    /// A negative delay is refused; beside `runAt` it is ignored, as `TaskOptions` says.
    @Test func aNegativeDelayIsRefusedUnlessRunAtIsGiven() async throws {
        let h = try await Harness.make(.inMemory, register: { d in d.register("noop", payload: Job.self) { _, _ in } })
        await #expect(throws: DocketError.self) {
            try await h.docket.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "a", delay: .seconds(-1)))
        }
        let at = Harness.start.addingTimeInterval(60)
        let task = try await h.docket.enqueue("noop", payload: Job(n: 0), options: TaskOptions(id: "b", runAt: at, delay: .seconds(-1)))
        #expect(task.runAt == at)
        try await h.stop()
    }

    @Test func configurationDefaultsAreCheckedAtCreation() {
        let clock = ManualClock(now: Harness.start)
        let bad: [(String, (inout DocketConfiguration) -> Void)] = [
            ("defaultMaxAttempts", { $0.defaultMaxAttempts = 2_000_000 }),
            ("defaultMaxAttempts", { $0.defaultMaxAttempts = 0 }),
            ("defaultTimeout", { $0.defaultTimeout = .zero }),
            ("shutdownGrace", { $0.shutdownGrace = .seconds(-1) }),
        ]
        for (field, change) in bad {
            do {
                _ = try Docket.inMemory(configuration: Harness.configuration(clock, change))
                Issue.record("\(field): accepted")
            } catch {
                #expect("\(error)".contains(field), "\(error)")
            }
        }
    }

    /// Two tests advancing a manual clock at once move it by both steps (each read the time
    /// and then set it, so one step could be lost).
    @Test func concurrentAdvancesOfAManualClockAddUp() async {
        let clock = ManualClock(now: Harness.start)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { for _ in 0..<500 { clock.advance(by: .seconds(1)) } }
            }
        }
        #expect(clock.now() == Harness.start.addingTimeInterval(2_000))
    }

    /// A journal whose tasks name a `.custom` retry function the configuration no longer has
    /// (renamed in a deploy) opens, says so in its report, and a failure of such a task says
    /// why it is not retried (it used to end in dead-letter without a word).
    @Test func aRetryFunctionGoneSinceTheTaskWasStoredIsReported() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let first = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock) {
            $0.retryFunctions["billing"] = { _ in .seconds(5) }
            $0.retryFunctions["legacy"] = { _ in .seconds(5) }
        })
        first.register("flaky", payload: Job.self) { _, _ in }
        try await first.enqueue("flaky", payload: Job(n: 1), options: TaskOptions(id: "t", maxAttempts: 3, retry: .custom(name: "billing")))
        try await first.enqueue("flaky", payload: Job(n: 2), options: TaskOptions(id: "loud", maxAttempts: 3, retry: .custom(name: "billing")))
        // A finished task's policy is no concern: it cannot fail again.
        try await first.enqueue("flaky", payload: Job(n: 3), options: TaskOptions(id: "old", delay: .seconds(60), retry: .custom(name: "legacy")))
        try await first.cancel("old")
        await first.close()

        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        #expect(reopened.recoveryReport.missingRetryFunctions == ["billing"])
        reopened.register("flaky", payload: Job.self) { job, _ in
            throw TestFailure(message: job.n == 2 ? String(repeating: "x", count: 40_000) : "down")
        }
        let recorder = Recorder(reopened.events())
        let runner = Task { try await reopened.run() }
        await recorder.waitFor(.failed, count: 2)
        let t = try #require(await reopened.task("t"))
        #expect(t.status == .failed && t.attempt == 1)
        let note = " (not retried: its retry policy names the function \"billing\", which DocketConfiguration.retryFunctions does not have)"
        #expect(t.lastError == "down" + note, "\(t.lastError ?? "")")
        // A long error is cut before the note, which stays whole.
        let loud = try #require(await reopened.task("loud")?.lastError)
        #expect(loud.hasPrefix("xxx") && loud.hasSuffix("cut to fit the journal)" + note) && loud.utf8.count <= 16 * 1024, "\(loud.suffix(200))")
        runner.cancel()
        try await runner.value
    }

    /// A `.fireAll` catch-up whose occurrences (each carrying the payload) exceed one record is
    /// written in several, the schedule's next fire moving on only in the last; a reopened
    /// copy has every occurrence once.
    @Test func aCatchUpLargerThanARecordIsWrittenInParts() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configure: (inout DocketConfiguration) -> Void = { c in
            c.journal.maxRecordSize = 16 * 1024
            c.snapshotOnClose = false
        }
        let register: (Docket) -> Void = Self.registerTick
        try await Self.missTenBigFires(dir, clock, configure)
        let second = try await Harness.make(.journaled, clock: clock, directory: dir, register: register, configure: configure)
        await second.recorder.waitFor(.succeeded, count: 10)
        #expect(await second.docket.scheduleInfo("s")?.nextFire == Harness.start.addingTimeInterval(110))
        try await second.stop()
        let fires = try LongCatchUpTests.fires(dir).map(\.created.count).filter { $0 > 0 }
        #expect(fires.count > 1 && fires.reduce(0, +) == 10, "\(fires)")
        let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock, configure))
        #expect(try await reopened.tasks(matching: TaskFilter(scheduleID: "s")).tasks.count == 10)
        await reopened.close()
    }

    /// A crash between the records of a catch-up written in parts: the reopened engine fires
    /// again from the schedule's unchanged next fire and creates only what is missing, each
    /// occurrence once, none reported as missed.
    @Test func aCatchUpCutShortBetweenItsPartsIsCompletedOnce() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configure: (inout DocketConfiguration) -> Void = { $0.journal.maxRecordSize = 16 * 1024 }
        let register: (Docket) -> Void = Self.registerTick
        try await Self.cutACatchUpAfterItsFirstPart(dir, clock, configure)
        let partial = try Docket.inspect(directory: dir.journal).tasks.filter { $0.scheduleID == "s" }.count
        #expect(partial > 0 && partial < 10, "\(partial) occurrences after the first part")
        let second = try await Harness.make(.journaled, clock: clock, directory: dir, register: register, configure: configure)
        await second.recorder.waitFor(.succeeded, count: 10)
        await second.settle()
        let ids = try await second.docket.tasks(matching: TaskFilter(scheduleID: "s")).tasks.map(\.id)
        #expect(ids.count == 10 && Set(ids).count == 10, "\(ids)")
        #expect(second.recorder.events(.misfired).isEmpty)
        #expect(second.recorder.events(.enqueued).count == 10 - partial)
        #expect(await second.docket.scheduleInfo("s")?.nextFire == Harness.start.addingTimeInterval(110))
        try await second.stop()
    }

    /// The same with fires skipped (more than `maxCatchUp`): the first part journaled and
    /// reported them; handled again, the catch-up does not report them twice.
    @Test func aCatchUpCutShortReportsItsSkippedFiresOnce() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configure: (inout DocketConfiguration) -> Void = Self.cutShortSettings
        try await Self.cutACatchUpAfterItsFirstPart(dir, clock, configure)
        let second = try await Harness.make(.journaled, clock: clock, directory: dir, register: Self.registerTick, configure: configure)
        await second.recorder.waitFor(.succeeded, count: 8)
        await second.settle()
        try await second.stop()
        let records = try LongCatchUpTests.fires(dir)
        let skipped = records.flatMap(\.skipped), counts = records.map(\.skippedCount).reduce(0, +)
        #expect(counts == 2 && skipped.count == 2, "skipped \(counts), sample \(skipped)")
        #expect(second.recorder.events(.misfired).isEmpty, "reported again")
    }

    /// The same, handled again only after ten more fires came due: it goes on after the
    /// occurrences its first part created (it used to take itself for a new catch-up and
    /// report the first part's skipped fires, and those occurrences, as skipped again).
    @Test func aCatchUpCutShortAndResumedLaterReportsEachSkipOnce() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configure: (inout DocketConfiguration) -> Void = Self.cutShortSettings
        try await Self.cutACatchUpAfterItsFirstPart(dir, clock, configure)
        let partial = try LongCatchUpTests.fires(dir).flatMap(\.created).count
        #expect(partial > 0 && partial < 8, "the first part holds some of the eight occurrences (\(partial))")
        clock.advance(by: .seconds(100))  // fires at +110 … +200 come due too
        let second = try await Harness.make(.journaled, clock: clock, directory: dir, register: Self.registerTick, configure: configure)
        await second.recorder.waitFor(.succeeded, count: partial + 8)
        await second.settle()
        try await second.stop()
        let created = try Self.expectEachFireHandledOnce(dir, fires: 20)
        #expect(Set(created).count == created.count && created.count == partial + 8)
        let again = second.recorder.events(.misfired).map(\.taskID)
        #expect(!again.contains(LongCatchUpTests.id(10)) && !again.contains(LongCatchUpTests.id(20)), "reported again: \(again)")
    }

    /// The same, paused and resumed before any loop handled it again: the misses reported on
    /// resuming start after the occurrences the first part created.
    @Test func aCatchUpCutShortThenPausedAndResumedReportsEachSkipOnce() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let configure: (inout DocketConfiguration) -> Void = Self.cutShortSettings
        try await Self.cutACatchUpAfterItsFirstPart(dir, clock, configure)
        let d = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock, configure))
        Self.registerTick(d)
        try await d.pauseSchedule("s")
        try await d.resumeSchedule("s")
        await d.close()
        try Self.expectEachFireHandledOnce(dir, fires: 10)
    }

    /// Records of 16 KiB (a few big occurrences each) and at most eight fires per catch-up.
    static func cutShortSettings(_ c: inout DocketConfiguration) {
        c.journal.maxRecordSize = 16 * 1024
        c.maxCatchUp = 8
    }

    /// Checks that each of the first `fires` fires of schedule "s" was journaled once, as an
    /// occurrence or as a skip (counted, its time sampled at most once, never an occurrence's);
    /// returns the occurrence ids.
    @discardableResult
    static func expectEachFireHandledOnce(_ dir: TempDirectory, fires: Int) throws -> [String] {
        let records = try LongCatchUpTests.fires(dir)
        let skipped = records.flatMap(\.skipped), counts = records.map(\.skippedCount).reduce(0, +)
        let created = records.flatMap(\.created)
        #expect(counts == fires - created.count, "each of the \(fires) fires ran or was counted skipped once: \(counts), \(created.count) created")
        #expect(Set(skipped).count == skipped.count, "no skipped time journaled twice: \(skipped)")
        #expect(Set(skipped).isDisjoint(with: created.compactMap { UTCStamp.micros(String($0.dropFirst(2))) }), "an occurrence that exists is not skipped")
        return created
    }

    static func registerTick(_ d: Docket) { d.register("tick", payload: Blob.self) { _, _ in } }

    /// Misses ten big fires (`missTenBigFires`), then handles the catch-up in an engine that
    /// stops, as a crash would, after its first record; no snapshot at its close, so the next
    /// open replays that record.
    static func cutACatchUpAfterItsFirstPart(_ dir: TempDirectory, _ clock: ManualClock,
                                             _ configure: @escaping (inout DocketConfiguration) -> Void) async throws {
        try await missTenBigFires(dir, clock, configure)
        let config = Harness.configuration(clock) { c in
            configure(&c)
            c.snapshotOnClose = false
        }
        let cut = try await Docket.open(directory: dir.journal, configuration: config)
        registerTick(cut)
        await cut.setCatchUpPartsBeforeFailure(1)
        await #expect(throws: DocketError.self) { try await cut.run() }
    }

    /// Creates schedule "s" (every 10 s, `.fireAll`, a 3 KB payload) in `dir`, stops, and moves
    /// the clock on so that ten fires are missed.
    static func missTenBigFires(_ dir: TempDirectory, _ clock: ManualClock, _ configure: @escaping (inout DocketConfiguration) -> Void) async throws {
        let first = try await Harness.make(.journaled, clock: clock, directory: dir, register: registerTick, configure: configure)
        try await first.docket.schedule("s", parsing: "@every 10s", handler: "tick", payload: Blob(text: String(repeating: "p", count: 3_000)),
                                        options: ScheduleOptions(misfire: .fireAll, grace: .seconds(1)))
        try await first.stop()
        clock.advance(by: .seconds(105))
    }

    /// Ids of the form `<schedule id>@<canonical UTC time>` belong to that schedule's
    /// occurrences: a caller's task under one would make the occurrence vanish. A task that
    /// took one before the schedule existed is reported in the occurrence's place.
    @Test func occurrenceIDsAreReservedForTheirSchedule() async throws {
        let h = try await Harness.make(.inMemory) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        let early = try await d.enqueue("tick", payload: Job(n: 9), options: TaskOptions(id: "m@2027-01-15T08:01:00Z", delay: .seconds(3600)))
        try await d.schedule("nightly", parsing: "0 1 * * *", handler: "tick", payload: Job(n: 0))
        try await d.schedule("m", parsing: "* * * * *", handler: "tick", payload: Job(n: 0))
        await #expect(throws: DocketError.self) {
            try await d.enqueue("tick", payload: Job(n: 1), options: TaskOptions(id: "nightly@2027-01-16T01:00:00Z"))
        }
        await #expect(throws: DocketError.self) {
            try await d.enqueue(batch: [NewTask("tick", payload: Job(n: 1), options: TaskOptions(id: "nightly@2027-01-17T01:00:00Z"))])
        }
        // Not an occurrence id (no canonical time), another schedule's name, or none: free.
        try await d.enqueue("tick", payload: Job(n: 2), options: TaskOptions(id: "nightly@alice", delay: .seconds(60)))
        try await d.enqueue("tick", payload: Job(n: 2), options: TaskOptions(id: "nightly@2027-01-16T01:00:00.000000Z", delay: .seconds(60)))
        try await d.enqueue("tick", payload: Job(n: 2), options: TaskOptions(id: "other@2027-01-16T01:00:00Z", delay: .seconds(60)))
        h.clock.advance(by: .seconds(60))
        let missed = await h.recorder.waitFor(.misfired, "m@2027-01-15T08:01:00Z")
        #expect(missed.first?.error == "its id is taken by a task that is not this schedule's")
        let kept = await d.task(early.id)
        #expect(kept?.runAt == early.runAt && kept?.scheduleID == nil)
        h.clock.advance(by: .seconds(60))
        await h.recorder.waitFor(.succeeded, "m@2027-01-15T08:02:00Z")
        try await h.stop()
    }

    /// Values that cannot be stored or used are refused when given, not found out later.
    @Test func settingsThatCannotWorkAreRefused() async throws {
        var config = Harness.configuration(ManualClock(now: Harness.start))
        config.retryFunctions["billing"] = { n in .seconds(n) }
        let d = try Docket.inMemory(configuration: config)
        d.register("job", payload: Job.self) { _, _ in }
        // Stored in whole microseconds, 0 meaning none: 500 ns would have meant no timeout.
        await #expect(throws: DocketError.self) { try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(timeout: .nanoseconds(500))) }
        #expect(try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(timeout: .microseconds(1))).timeout == .microseconds(1))
        // A misspelt retry function gave no retries at all; a cancellation handler or a default
        // naming one would have made every cancel or enqueue fail.
        #expect(throws: DocketError.self) { try d.registerCancellation(for: "job", payload: Job.self, retry: .custom(name: "nope")) { _, _ in } }
        var bad = config
        bad.defaultRetry = .custom(name: "nope")
        #expect(throws: DocketError.self) { try Docket.inMemory(configuration: bad) }
        await #expect(throws: DocketError.self) { try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(retry: .custom(name: "biling"))) }
        try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(retry: .custom(name: "billing")))
        await #expect(throws: DocketError.self) {
            try await d.schedule("s", parsing: "@every 1m", handler: "job", payload: Job(n: 0), options: ScheduleOptions(retry: .custom(name: "nope")))
        }
        // After close: even an id that exists (it returned the task before).
        try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(id: "known"))
        await d.close()
        await #expect(throws: DocketError.closed) { try await d.enqueue("job", payload: Job(n: 0), options: TaskOptions(id: "known")) }
        await #expect(throws: DocketError.closed) { try await d.enqueue(batch: [NewTask("job", payload: Job(n: 0), options: TaskOptions(id: "known"))]) }
        // A stream asked for after close ends at once (it never did).
        var seen = 0
        for await _ in d.events() { seen += 1 }
        #expect(seen == 0)
    }

    /// The starts of one dispatch pass, and the occurrences it finds missed, are journaled in
    /// as many records as their ids need: one record of 40 leases with 200-byte ids (or of 199
    /// missed occurrences) was over a 4 KiB `maxRecordSize`, and `run()` stopped with
    /// `recordTooLarge` at every start, the same tasks being due again.
    @Test func aDispatchPassLargerThanARecordIsJournaledInParts() async throws {
        let h = try await Harness.make(.journaled, register: { d in d.register("job", payload: Int.self) { (_: Int, _: JobContext) in } },
                                       configure: { $0.journal.maxRecordSize = 4096; $0.concurrency = 40 })
        let ids = (0..<40).map { String(repeating: "x", count: 190) + "-\($0)" }
        try await h.docket.enqueue(batch: ids.map { NewTask("job", payload: 1, options: TaskOptions(id: $0, delay: .seconds(1))) })
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.succeeded, count: ids.count)
        #expect(Set(h.recorder.events(.succeeded).map(\.taskID)) == Set(ids))
        try await h.stop()
        // Several start records, each within the limit.
        let starts = try journaledMutations(h.directory?.journal ?? "").compactMap { m -> Int? in
            if case .start = m.mutation { m.size } else { nil }
        }
        #expect(starts.count > 1 && starts.allSatisfy { $0 <= 4096 }, "\(starts)")
        let reopened = try await Docket.open(directory: h.directory?.journal ?? "", configuration: Harness.configuration(h.clock))
        for id in ids { #expect(await reopened.task(id)?.status == .succeeded) }
        await reopened.close()
        h.directory?.remove()
    }

    @Test func manyOccurrencesMissedAtOnceAreCancelledInParts() async throws {
        let gate = Gate()
        let h = try await Harness.make(.journaled, register: { d in d.register("slow", payload: Int.self) { (_: Int, job: JobContext) in try await gate.run(job.id) } },
                                       configure: { $0.journal.maxRecordSize = 4096 })
        try await h.docket.schedule("s", parsing: "* * * * * *", handler: "slow", payload: 0,
                                    options: ScheduleOptions(misfire: .skip, grace: .milliseconds(500), overlap: .queue))
        for k in 1...200 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, count: k)
        }
        await h.recorder.waitFor(.started, "s@2027-01-15T08:00:01Z")
        h.clock.advance(by: .milliseconds(900))
        await h.settle()
        gate.open()
        let missed = await h.recorder.waitFor(.misfired, count: 199)
        for id in missed.map(\.taskID) { #expect(await h.docket.task(id)?.status == .cancelled, "\(id)") }
        try await h.stop()
        let cancels = try journaledMutations(h.directory?.journal ?? "").compactMap { m -> Int? in
            if case .cancel = m.mutation { m.size } else { nil }
        }
        #expect(cancels.count > 1 && cancels.allSatisfy { $0 <= 4096 }, "\(cancels)")
        h.directory?.remove()
    }

    /// A `Duration` holds ~1.7e20 seconds but its `components` trap beyond 2^63: a delay,
    /// timeout, retry policy, purge age, `retry(after:)` from a handler, an interval period or
    /// a manual clock step that large is clamped or refused, never a crash.
    @Test func durationsBeyondInt64SecondsDoNotTrap() async throws {
        let huge = Duration.seconds(1e20)
        #expect(Time.micros(huge) == Time.limit && Time.micros(.zero - huge) == -Time.limit)
        #expect(Time.micros(.seconds(Int64.max)) == Time.limit)
        #expect(throws: ScheduleError.self) { try Interval(every: huge) }
        #expect(throws: ScheduleError.self) { try Interval(every: .seconds(1), jitter: huge) }
        let clock = ManualClock(now: Harness.start)
        let h = try await Harness.make(.inMemory, clock: clock, register: { d in
            d.register("later", payload: Int.self) { (_: Int, _: JobContext) in throw JobControl.retry(after: .seconds(1e20)) }
        }, configure: { $0.defaultRetry = .fixed(huge) })
        let far = try await h.docket.enqueue("later", payload: 1, options: TaskOptions(id: "far", delay: huge,
                                                                                         retry: .exponential(initial: huge, multiplier: 2, maximum: huge, jitter: 0), timeout: huge))
        #expect(far.runAt > Date(timeIntervalSince1970: 1e12))
        try await h.docket.enqueue("later", payload: 2, options: TaskOptions(id: "now"))
        _ = await h.recorder.waitFor(.retried, "now")
        #expect(try #require(await h.docket.task("now")).runAt > Date(timeIntervalSince1970: 1e12))
        _ = try await h.docket.purge(olderThan: huge)
        let before = clock.now()
        clock.advance(by: .zero - huge)
        #expect(clock.now() == before)
        clock.advance(by: huge)
        #expect(clock.now() > Harness.start)
        try await h.stop()
    }

    /// An exponential policy starting at zero stays at zero (0 × ∞ made it jump to the cap).
    @Test func anExponentialPolicyFromZeroStaysZero() {
        let p = RetryPolicy.exponential(initial: .zero, multiplier: 10, maximum: .seconds(3600), jitter: 0)
        for attempt in [1, 2, 309, 310, 400] {
            #expect(p.delay(afterAttempt: attempt, unit: 0.5, functions: [:]) == 0, "attempt \(attempt)")
        }
        #expect(RetryPolicy.exponential(initial: .seconds(1), multiplier: 10, maximum: .seconds(3600), jitter: 0)
            .delay(afterAttempt: 400, unit: 0.5, functions: [:]) == 3_600_000_000)
    }
}

extension Docket {
    /// Sets `catchUpPartsBeforeFailure` from a test.
    func setCatchUpPartsBeforeFailure(_ n: Int?) { catchUpPartsBeforeFailure = n }
}
