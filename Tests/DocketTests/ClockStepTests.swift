import Foundation
import Synchronization
import Testing
@testable import Docket

/// The wall clock stepping back: schedules' next fires and running attempts' timeouts move
/// back with it (they were computed from the time read before the step), occurrences that ran
/// before the step are not made again, tasks waiting out a delay or a retry keep what was left
/// of the wait, and tasks with a time someone gave keep it.
@Suite(.timeLimit(.minutes(2))) struct ClockStepTests {
    /// Runs per task id.
    final class Runs: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func add(_ id: String) { counts.withLock { $0[id, default: 0] += 1 } }
        func count(_ id: String) -> Int { counts.withLock { $0[id] ?? 0 } }
    }

    static func at(_ seconds: TimeInterval) -> Date { Harness.start.addingTimeInterval(seconds) }
    static func occurrence(_ schedule: String, _ date: Date) -> String {
        EngineState.occurrenceID(schedule: schedule, nominal: Time.micros(date))
    }

    static func make(_ kind: EngineKind, runs: Runs, gate: Gate = Gate(), clock: ManualClock = ManualClock(now: Harness.start)) async throws -> Harness {
        try await Harness.make(kind, clock: clock, register: { d in
            d.register("ok", payload: Job.self) { _, c in runs.add(c.id) }
            d.register("gated", payload: Job.self) { _, c in
                runs.add(c.id)
                try await gate.run(c.id)  // ignores cancellation until released
            }
        })
    }

    /// Steps the clock back to `date` and waits until the engine has seen the step. The loop
    /// may be between reading the time and sleeping when the step comes (its sleeper not yet
    /// registered, so not woken): stepping to the same time again wakes it, and is no further
    /// step. (On the system clock the 60 s cap on sleeps bounds the same race.)
    static func stepBack(_ h: Harness, to date: Date) async {
        let seen = await h.docket.stats().clockStepsBack
        h.clock.step(to: date)
        while await h.docket.stats().clockStepsBack == seen {
            await Task.yield()
            h.clock.step(to: date)
        }
        await h.settle()
    }

    /// Moves the clock on by `seconds` and lets the engine look at it (a task "look" runs), so
    /// that a step back is measured from there.
    static func look(_ h: Harness, after seconds: Int64) async throws {
        h.clock.advance(by: .seconds(seconds))
        try await h.docket.enqueue("ok", payload: Job(n: 0), options: TaskOptions(id: "look"))
        await h.recorder.waitFor(.succeeded, "look")
        await h.settle()
    }

    /// A harness with schedule "m" firing every minute, run to 08:02 (its 08:01 and 08:02
    /// occurrences succeeded).
    static func minutelyForTwoMinutes(_ kind: EngineKind, runs: Runs) async throws -> Harness {
        let h = try await make(kind, runs: runs)
        try await h.docket.schedule("m", parsing: "* * * * *", handler: "ok", payload: Job(n: 1))
        for minute in 1...2 {
            h.clock.advance(to: at(Double(60 * minute)))
            await h.recorder.waitFor(.succeeded, occurrence("m", at(Double(60 * minute))))
        }
        return h
    }

    @Test(arguments: EngineKind.allCases) func aScheduleFollowsTheClockBack(kind: EngineKind) async throws {
        let runs = Runs()
        let h = try await Self.minutelyForTwoMinutes(kind, runs: runs)
        let d = h.docket
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(180))
        // Back an hour: the next fire is the first one after the new time, not 08:03 an hour on.
        // (The loop parked first: one that read the time just before the step would sleep
        // until a deadline from before it, as on the system clock, where it then wakes within
        // a minute.)
        await h.settle()
        await Self.stepBack(h, to: Self.at(-3600 + 30))
        await h.settle()
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(-3600 + 60))
        #expect(await d.stats().clockStepsBack == 1)
        h.clock.advance(to: Self.at(-3600 + 60))
        await h.recorder.waitFor(.succeeded, Self.occurrence("m", Self.at(-3600 + 60)))
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(-3600 + 120))
        try await h.stop()
        if let dir = h.directory {
            // The move was journaled: a reopened instance (on the same clock) has it.
            let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
            #expect(await reopened.scheduleInfo("m")?.nextFire == Self.at(-3600 + 120))
            await reopened.close()
            dir.remove()
        }
    }

    /// Back half a minute, past occurrences that ran: they are not made or run again.
    @Test(arguments: EngineKind.allCases) func occurrencesThatRanAreNotRunAgain(kind: EngineKind) async throws {
        let runs = Runs()
        let h = try await Self.minutelyForTwoMinutes(kind, runs: runs)
        let d = h.docket
        h.clock.advance(to: Self.at(130))
        await h.settle()
        await Self.stepBack(h, to: Self.at(70))
        await h.settle()
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(120), "08:02, whose occurrence exists")
        h.clock.advance(to: Self.at(120))
        await h.settle()
        #expect(runs.count(Self.occurrence("m", Self.at(120))) == 1)
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(180))
        h.clock.advance(to: Self.at(180))
        await h.recorder.waitFor(.succeeded, Self.occurrence("m", Self.at(180)))
        #expect(runs.count(Self.occurrence("m", Self.at(60))) == 1 && runs.count(Self.occurrence("m", Self.at(180))) == 1)
        #expect(await d.count() == 3)
        // A step under the tolerance changes nothing.
        await h.settle()
        h.clock.step(to: Self.at(179.5))
        await h.settle()
        #expect(await d.stats().clockStepsBack == 1)
        #expect(await d.scheduleInfo("m")?.nextFire == Self.at(240))
        try await h.stop()
        h.directory?.remove()
    }

    /// An attempt's timeout is its time run, whatever the clock says: after a step back of an
    /// hour, a 10 s timeout still ends a handler that ignores cancellation 10 s after it began.
    @Test(arguments: EngineKind.allCases) func timeoutsOfRunningAttemptsMoveBackToo(kind: EngineKind) async throws {
        let runs = Runs(), gate = Gate()
        let h = try await Self.make(kind, runs: runs, gate: gate)
        let d = h.docket
        try await d.enqueue("gated", payload: Job(n: 1), options: TaskOptions(id: "t", maxAttempts: 1, timeout: .seconds(10)))
        await h.recorder.waitFor(.started, "t")
        try await Self.look(h, after: 4)
        await Self.stepBack(h, to: Self.at(4 - 3600))
        await h.settle()
        #expect(await d.task("t")?.status == .running)
        h.clock.advance(by: .seconds(6))
        let failed = await h.recorder.waitFor(.failed, "t")
        #expect(failed.first?.error?.contains("timed out") == true)
        #expect(failed.first?.at == Self.at(10 - 3600))
        gate.releaseAll()
        try await h.stop()
        h.directory?.remove()
    }

    /// A fixed-delay schedule's next fire moves back to one delay from now (never later than
    /// it was); landing on the time of an occurrence that exists already, it gets its next fire
    /// one delay on instead of waiting for good for an occurrence that will not end.
    @Test func aFixedDelayScheduleMovesBackToADelayFromNow() async throws {
        let runs = Runs()
        let h = try await Self.make(.inMemory, runs: runs)
        let d = h.docket
        try await d.schedule("f", parsing: "@every 1m after completion", handler: "ok", payload: Job(n: 1))
        #expect(await d.scheduleInfo("f")?.nextFire == Self.at(60))
        h.clock.advance(to: Self.at(60))
        await h.recorder.waitFor(.succeeded, Self.occurrence("f", Self.at(60)))
        await h.settle()
        #expect(await d.scheduleInfo("f")?.nextFire == Self.at(120))
        // Back to 08:00: one delay from now is 08:01, the time of the occurrence that ran.
        await Self.stepBack(h, to: Self.at(0))
        await h.settle()
        #expect(await d.scheduleInfo("f")?.nextFire == Self.at(60))
        h.clock.advance(to: Self.at(60))
        await h.settle()
        #expect(runs.count(Self.occurrence("f", Self.at(60))) == 1, "not run again")
        #expect(await d.scheduleInfo("f")?.nextFire == Self.at(120))
        h.clock.advance(to: Self.at(120))
        await h.recorder.waitFor(.succeeded, Self.occurrence("f", Self.at(120)))
        // Five seconds back: the delay still runs from the last completion, five seconds
        // earlier by the new clock.
        await h.settle()
        let next = try #require(await d.scheduleInfo("f")?.nextFire)
        await Self.stepBack(h, to: h.clock.now().addingTimeInterval(-5))
        await h.settle()
        #expect(await d.scheduleInfo("f")?.nextFire == next.addingTimeInterval(-5))
        #expect(await d.stats().clockStepsBack == 2)
        // Paused, it moves too: it resumes at its stored next fire.
        try await d.pauseSchedule("f")
        await h.settle()
        let paused = try #require(await d.scheduleInfo("f")?.nextFire)
        await Self.stepBack(h, to: h.clock.now().addingTimeInterval(-3600))
        await h.settle()
        #expect(await d.scheduleInfo("f")?.nextFire == h.clock.now().addingTimeInterval(60))
        #expect(paused > h.clock.now().addingTimeInterval(3000))
        try await d.resumeSchedule("f")
        #expect(await d.scheduleInfo("f")?.nextFire == h.clock.now().addingTimeInterval(60))
        try await h.stop()
    }

    /// At open a clock behind the journal's times is left alone: it may be the wrong one (a
    /// board without a working clock boots in 1970), and moving the schedules to it would run
    /// them at those times and then catch up the years between when the clock is set.
    @Test func openingBehindTheJournalsClockChangesNothing() async throws {
        let runs = Runs()
        let ahead = ManualClock(now: Self.at(365 * 86_400))
        let h = try await Self.make(.journaled, runs: runs, clock: ahead)
        try await h.docket.schedule("m", parsing: "0 * * * *", handler: "ok", payload: Job(n: 1))
        try await h.docket.schedule("f", parsing: "@every 1h after completion", handler: "ok", payload: Job(n: 1))
        await h.settle()
        try await h.stop()
        let dir = try #require(h.directory)
        let behind = ManualClock(now: Self.at(30))
        let reopened = try await Harness.make(.journaled, clock: behind, directory: dir, register: { d in
            d.register("ok", payload: Job.self) { _, c in runs.add(c.id) }
        })
        await reopened.settle()
        #expect(await reopened.docket.stats().clockStepsBack == 0)
        #expect(await reopened.docket.scheduleInfo("m")?.nextFire == Self.at(365 * 86_400 + 3600))
        #expect(await reopened.docket.scheduleInfo("f")?.nextFire == Self.at(365 * 86_400 + 3600))
        try await reopened.stop()
        dir.remove()
    }

    /// A delay and a retry's wait, computed from the clock, keep what was left of them across a
    /// step back; a run time given to `enqueue` and a `snooze(until:)` wait for the clock to show
    /// them. The moved times are journaled: a replay of the journal has them.
    @Test(arguments: EngineKind.allCases) func delaysAndRetriesKeepWhatWasLeftOfTheirWait(kind: EngineKind) async throws {
        let runs = Runs(), gate = Gate()
        let h = try await Self.make(kind, runs: runs, gate: gate)
        let d = h.docket
        let tenMinutes = Self.at(600)
        try await d.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "delayed", delay: .seconds(600)))
        try await d.enqueue("ok", payload: Job(n: 2), options: TaskOptions(id: "given", runAt: tenMinutes))
        try await d.enqueue("gated", payload: Job(n: 3), options: TaskOptions(id: "retried", maxAttempts: 2, retry: .fixed(.seconds(600))))
        try await d.enqueue("gated", payload: Job(n: 4), options: TaskOptions(id: "snoozed"))
        await gate.releaseWhenWaiting("retried", .fail("boom"))
        await gate.releaseWhenWaiting("snoozed", .control(.snooze(until: tenMinutes)))
        await h.recorder.waitFor(.retried, "retried")
        await h.recorder.waitFor(.snoozed, "snoozed")
        // One minute on, the engine looks at the clock; then the clock goes back an hour.
        try await Self.look(h, after: 60)
        await Self.stepBack(h, to: Self.at(60 - 3600))
        // Nine minutes were left of the delay and of the retry's wait.
        let moved = Self.at(600 - 3600)
        #expect(await d.task("delayed")?.runAt == moved)
        #expect(await d.task("retried")?.runAt == moved)
        #expect(await d.task("given")?.runAt == tenMinutes)
        #expect(await d.task("snoozed")?.runAt == tenMinutes)
        if let dir = h.directory {
            let (replayed, _) = try StateLoader.load(directory: dir.journal)
            #expect(replayed.tasks["delayed"]?.runAt == Time.micros(moved) && replayed.tasks["retried"]?.runAt == Time.micros(moved))
            #expect(replayed.tasks["given"]?.runAt == Time.micros(tenMinutes))
        }
        h.clock.advance(to: moved)
        await h.recorder.waitFor(.succeeded, "delayed")
        await gate.releaseWhenWaiting("retried")
        await h.recorder.waitFor(.succeeded, "retried")
        await h.settle()
        #expect(runs.count("given") == 0)
        #expect(await d.task("snoozed")?.status == .scheduled)
        h.clock.advance(to: tenMinutes)
        await h.recorder.waitFor(.succeeded, "given")
        await gate.releaseWhenWaiting("snoozed")
        await h.recorder.waitFor(.succeeded, "snoozed")
        try await h.stop()
        h.directory?.remove()
    }

    /// A wait computed after the step but before the engine saw it is not moved back by the
    /// step again: the enqueue itself notices the step (here with no timer loop, so nothing
    /// else looks at the clock until the tick).
    @Test func aDelayComputedAfterTheStepIsNotMovedBackTwice() async throws {
        let clock = ManualClock(now: Harness.start)
        let d = try Docket.inMemory(configuration: Harness.configuration(clock))
        d.register("ok", payload: Job.self) { _, _ in }
        _ = try await d.tick()
        clock.advance(to: Self.at(60))
        try await d.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "before", delay: .seconds(600)))
        _ = try await d.tick()
        clock.step(to: Self.at(60 - 3600))
        try await d.enqueue("ok", payload: Job(n: 2), options: TaskOptions(id: "after", delay: .seconds(600)))
        _ = try await d.tick()
        let expected = Self.at(660 - 3600)
        #expect(await d.task("before")?.runAt == expected)
        #expect(await d.task("after")?.runAt == expected)
        #expect(await d.stats().clockStepsBack == 1)
        await d.close()
    }

    /// The engine's own "run again now" (a snooze until the time of its record: shutdown, a
    /// cancelled grouped call) came from the clock; a handler's `snooze(until:)` is a given time.
    @Test func theEnginesOwnRunAgainNowCountsAsComputedFromTheClock() {
        var state = EngineState()
        state.apply(.enqueue(TaskEntry(id: "t", name: "n", payload: [], queue: "q", priority: 0, key: nil, runAt: 10, attempt: 0,
                                       maxAttempts: 3, retry: .never, timeout: 0, status: .scheduled, createdAt: 10, sequence: 1)))
        state.apply(.start([.init(id: "t", lease: 1)], at: 20))
        state.apply(.snooze(id: "t", lease: 1, until: 20, at: 20))
        #expect(state.tasks["t"]?.runAtFromClock == true)
        state.apply(.start([.init(id: "t", lease: 2)], at: 30))
        state.apply(.snooze(id: "t", lease: 2, until: 90, at: 30))
        #expect(state.tasks["t"]?.runAtFromClock == false && state.tasks["t"]?.runAt == 90)
    }

    /// A workflow stage's deadline (its start plus its timeout) keeps the time left of it across
    /// a step back, journaled; the stage times out ten minutes after it began by the clock it
    /// ran on, not an hour and ten minutes.
    @Test(arguments: EngineKind.allCases) func aStageDeadlineKeepsTheTimeLeftOfIt(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind, register: { d in WorkflowTests.register(d, order: WorkflowTests.Starts(), gate: gate) })
        let d = h.docket
        try await d.startWorkflow("w", stages: Workflow.group([WorkflowTests.task("gate")], timeout: .seconds(600)))
        await h.recorder.waitFor(.started, "w/0/0")
        try await Self.look(h, after: 60)
        await Self.stepBack(h, to: Self.at(60 - 3600))
        if let dir = h.directory {
            let (replayed, _) = try StateLoader.load(directory: dir.journal)
            #expect(replayed.workflows["w"]?.stageDeadline == Time.micros(Self.at(600 - 3600)))
        }
        h.clock.advance(to: Self.at(599 - 3600))
        await h.settle()
        #expect(await d.workflow("w")?.status == .running)
        h.clock.advance(to: Self.at(600 - 3600))
        #expect(await h.recorder.waitFor(.workflowEnded, "w").first?.error == "failed")
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }
}
