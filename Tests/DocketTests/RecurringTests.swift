import DocketSchedules
import Foundation
import Synchronization
import Testing
@testable import Docket

/// Recurring schedules: occurrences with stable ids, misfire and overlap policies, restarts,
/// DST days.
@Suite(.timeLimit(.minutes(2))) struct RecurringTests {
    static func iso(_ s: String) -> Date {
        (try? Date(s, strategy: .iso8601)) ?? .distantPast
    }

    @Test(arguments: EngineKind.allCases) func everyMinuteCreatesOneOccurrencePerFireWithStableIDs(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let info = try await h.docket.schedule("tick", parsing: "* * * * *", handler: "tick", payload: Job(n: 0))
        #expect(info.nextFire == Harness.start.addingTimeInterval(60))
        for minute in 1...3 {
            h.clock.advance(by: .seconds(60))
            await h.recorder.waitFor(.succeeded, count: minute)
        }
        let ids = h.recorder.events(.succeeded).map(\.taskID)
        #expect(ids == ["tick@2027-01-15T08:01:00Z", "tick@2027-01-15T08:02:00Z", "tick@2027-01-15T08:03:00Z"])
        #expect(h.recorder.events(.misfired).isEmpty)
        let s = try #require(await h.docket.scheduleInfo("tick"))
        #expect(s.lastFire == Harness.start.addingTimeInterval(180))
        #expect(s.nextFire == Harness.start.addingTimeInterval(240))
        #expect(try await h.docket.preview(scheduleID: "tick", count: 2) == [Harness.start.addingTimeInterval(240), Harness.start.addingTimeInterval(300)])
        try await h.stop()
        h.directory?.remove()
    }

    /// Closed for ten minutes, then reopened: each misfire policy decides what runs.
    @Test(arguments: [MisfirePolicy.fireOnce, .fireAll, .skip]) func missedWhileDown(policy: MisfirePolicy) async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let register: (Docket) -> Void = { d in d.register("tick", payload: Job.self) { _, _ in } }
        let first = try await Harness.make(.journaled, clock: clock, directory: dir, register: register)
        try await first.docket.schedule("m", parsing: "* * * * *", handler: "tick", payload: Job(n: 0),
                                        options: ScheduleOptions(misfire: policy, grace: .seconds(30)))
        clock.advance(by: .seconds(60))
        await first.recorder.waitFor(.succeeded)
        try await first.stop()

        clock.advance(by: .seconds(600))  // 08:11:00: fires 08:02 … 08:11 were missed; 08:11 is on time
        clock.advance(by: .seconds(45))   // 08:11:45: now 08:11 is 45 s late too (grace 30 s)
        let second = try await Harness.make(.journaled, clock: clock, directory: dir, register: register)
        let expectedRuns: Int
        switch policy {
        case .fireAll: expectedRuns = 10
        case .fireOnce: expectedRuns = 1
        case .skip: expectedRuns = 0
        }
        let misfires = await second.recorder.waitFor(.misfired, count: 10 - expectedRuns)
        if expectedRuns > 0 { await second.recorder.waitFor(.succeeded, count: expectedRuns) }
        await second.settle()
        #expect(misfires.count == 10 - expectedRuns)
        let occurrences = try await second.docket.tasks(matching: TaskFilter(scheduleID: "m")).tasks.map(\.id)
        switch policy {
        case .fireAll: #expect(occurrences.count == 11)
        case .fireOnce: #expect(occurrences == ["m@2027-01-15T08:01:00Z", "m@2027-01-15T08:11:00Z"])
        case .skip: #expect(occurrences == ["m@2027-01-15T08:01:00Z"])
        }
        #expect(await second.docket.scheduleInfo("m")?.nextFire == Harness.start.addingTimeInterval(720))
        try await second.stop()

        // A third open creates nothing again.
        let third = try await Harness.make(.journaled, clock: clock, directory: dir, register: register)
        await third.settle()
        #expect(try await third.docket.tasks(matching: TaskFilter(scheduleID: "m")).tasks.count == occurrences.count)
        try await third.stop()
    }

    @Test(arguments: EngineKind.allCases) func overlapSkipQueueAllow(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        for policy in [OverlapPolicy.skip, .queue, .allow] {
            try await h.docket.schedule("o-\(policy)", parsing: "* * * * *", handler: "slow", payload: Job(n: 0),
                                        options: ScheduleOptions(grace: .seconds(3600), overlap: policy))
        }
        h.clock.advance(by: .seconds(60))
        await h.recorder.waitFor(.started, count: 3)
        h.clock.advance(by: .seconds(60))
        // skip: the 08:02 occurrence is skipped; queue: created but waits; allow: runs.
        await h.recorder.waitFor(.misfired)
        await h.recorder.waitFor(.started, count: 4)
        await h.settle()
        let running = Set(try await h.docket.tasks(matching: TaskFilter(statuses: [.running])).tasks.map(\.id))
        #expect(running == ["o-skip@2027-01-15T08:01:00Z", "o-queue@2027-01-15T08:01:00Z", "o-allow@2027-01-15T08:01:00Z", "o-allow@2027-01-15T08:02:00Z"])
        #expect(await h.docket.task("o-queue@2027-01-15T08:02:00Z")?.status == .scheduled)
        #expect(await h.docket.task("o-skip@2027-01-15T08:02:00Z") == nil)
        #expect(h.recorder.events(.misfired).map(\.taskID) == ["o-skip@2027-01-15T08:02:00Z"])
        await gate.releaseWhenWaiting("o-queue@2027-01-15T08:01:00Z")
        await h.recorder.waitFor(.started, "o-queue@2027-01-15T08:02:00Z")
        gate.open()
        await h.recorder.waitFor(.succeeded, count: 5)
        try await h.stop()
        h.directory?.remove()
    }

    /// Occurrences created on time but waiting for their predecessor (overlap `.queue`) past
    /// the grace period follow the misfire policy when they could start: `.skip` skips them
    /// all, `.fireOnce` runs only the latest, `.fireAll` runs every one. Skipped ones are
    /// cancelled and reported as misfired, so a job slower than its period cannot pile up runs.
    @Test(arguments: [MisfirePolicy.fireOnce, .fireAll, .skip]) func missedWhileBusy(policy: MisfirePolicy) async throws {
        let gate = Gate()
        let h = try await Harness.make(.journaled) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        try await h.docket.schedule("s", parsing: "* * * * * *", handler: "slow", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: policy, grace: .milliseconds(500), overlap: .queue))
        func id(_ second: Int) -> String { "s@2027-01-15T08:00:0\(second)Z" }
        for k in 1...7 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, count: k)
        }
        await h.recorder.waitFor(.started, id(1))
        // 0.9 s after the last one's time: every waiting occurrence is past the grace period.
        h.clock.advance(by: .milliseconds(900))
        await h.settle()
        gate.open()
        let expectedMissed: [String]
        let expectedRun: [String]
        switch policy {
        case .skip: (expectedMissed, expectedRun) = ((2...7).map(id), [id(1)])
        case .fireOnce: (expectedMissed, expectedRun) = ((2...6).map(id), [id(1), id(7)])
        case .fireAll: (expectedMissed, expectedRun) = ([], (1...7).map(id))
        }
        await h.recorder.waitFor(.succeeded, count: expectedRun.count)
        await h.settle()
        let missed = h.recorder.events(.misfired)
        #expect(missed.map(\.taskID) == expectedMissed)
        #expect(missed.allSatisfy { $0.error?.contains("grace period") == true })
        #expect(h.recorder.events(.succeeded).map(\.taskID).sorted() == expectedRun)
        for m in expectedMissed { #expect(await h.docket.task(m)?.status == .cancelled) }
        try await h.stop()
        h.directory?.remove()
    }

    /// An occurrence waiting for its predecessor that someone reschedules to before its own
    /// time wants to run: it is not skipped as missed when a worker is free (it was cancelled
    /// as "missed by more than the grace period" though it was moved there on purpose).
    @Test func anOccurrenceRescheduledEarlierIsNotMissed() async throws {
        let gate = Gate()
        let h = try await Harness.make(.inMemory) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        try await h.docket.schedule("s", parsing: "* * * * * *", handler: "slow", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .skip, grace: .milliseconds(500), overlap: .queue))
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.started, "s@2027-01-15T08:00:01Z")
        h.clock.advance(by: .seconds(1))
        await h.recorder.waitFor(.enqueued, "s@2027-01-15T08:00:02Z")
        try await h.docket.pauseSchedule("s")
        // Moved an hour back: due at once, and far past any grace period.
        try await h.docket.reschedule("s@2027-01-15T08:00:02Z", to: Harness.start.addingTimeInterval(-3600))
        h.clock.advance(by: .seconds(5))
        await h.settle()
        gate.open()
        await h.settle()
        #expect(h.recorder.events(.misfired).isEmpty)
        #expect(await h.docket.task("s@2027-01-15T08:00:02Z")?.status == .succeeded)
        try await h.stop()
    }

    /// An occurrence missed while busy is reported with its nominal time (the one in its id),
    /// not the jittered time it was due to run at.
    @Test func aMissedOccurrenceIsReportedAtItsNominalTime() async throws {
        let gate = Gate()
        let h = try await Harness.make(.inMemory) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        // Occurrences every 2 s, each due up to 1.5 s later; the clock moves 1 s at a time, so
        // the first starts within its grace period and blocks the rest (overlap `.queue`).
        try await h.docket.schedule("j", parsing: "@every 2s jitter 1500ms", handler: "slow", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .skip, grace: .milliseconds(1200), overlap: .queue))
        for _ in 0..<13 {
            h.clock.advance(by: .seconds(1))
            await h.settle()
        }
        #expect(h.recorder.events(.started).count == 1)
        gate.open()
        await h.recorder.waitFor(.succeeded)
        await h.settle()
        let missed = h.recorder.events(.misfired)
        #expect(missed.count >= 3)
        var jittered = 0
        for event in missed {
            let stamp = try #require(event.taskID.split(separator: "@").last)
            let nominal = try ISO8601.date(from: String(stamp), timeZone: TimeZone(identifier: "UTC") ?? .current)
            #expect(event.runAt == nominal, "\(event.taskID)")
            let runAt = try #require(await h.docket.task(event.taskID)?.runAt)
            #expect(runAt >= nominal && runAt < nominal.addingTimeInterval(1.5))
            if runAt != nominal { jittered += 1 }
        }
        #expect(jittered > 0, "the clock-seeded jitter moved at least one of them")
        try await h.stop()
    }

    /// An occurrence whose attempt a shutdown handed back is no missed occurrence: after a
    /// restart past the grace period it runs again, whatever the misfire policy.
    @Test func anOccurrenceInterruptedByAShutdownRunsAfterTheRestart() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let h = try await Harness.make(.journaled, clock: clock, directory: dir) { d in
            d.register("slow", payload: Job.self) { _, c in try await gate.run(c.id) }
        }
        try await h.docket.schedule("s", parsing: "* * * * *", handler: "slow", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .skip, grace: .seconds(1)))
        clock.advance(by: .seconds(60))
        let id = "s@2027-01-15T08:01:00Z"
        await h.recorder.waitFor(.started, id)
        try await h.stop()
        let handedBack = try #require(await h.docket.task(id))
        #expect(handedBack.status == .scheduled && handedBack.attempt == 0, "shutdown hands the attempt back")
        clock.advance(by: .seconds(30))
        let second = try await Harness.make(.journaled, clock: clock, directory: dir) { d in
            d.register("slow", payload: Job.self) { _, _ in }
        }
        await second.recorder.waitFor(.succeeded, id)
        #expect(second.recorder.events(.misfired).isEmpty)
        try await second.stop()
    }

    @Test(arguments: EngineKind.allCases) func pauseResumeCancelSchedule(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.schedule("p", parsing: "@every 10s", handler: "tick", payload: Job(n: 0))
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.succeeded)
        #expect(try await d.pauseSchedule("p").status == .paused)
        h.clock.advance(by: .seconds(35))
        await h.settle()
        #expect(h.recorder.events(.enqueued).count == 1)
        let resumed = try await d.resumeSchedule("p")
        #expect(resumed.nextFire == Harness.start.addingTimeInterval(50) && resumed.status == .active)
        // The fires at 20, 30 and 40 s were not run, and are reported as such.
        let missed = await h.recorder.waitFor(.misfired, count: 3)
        #expect(missed.map(\.runAt) == [20, 30, 40].map { Harness.start.addingTimeInterval($0) })
        #expect(missed.allSatisfy { $0.error == "the schedule was paused" && $0.scheduleID == "p" })
        #expect(missed.first?.taskID == "p@2027-01-15T08:00:20Z")
        h.clock.advance(by: .seconds(5))
        await h.recorder.waitFor(.succeeded, count: 2)
        let cancelled = try await d.cancelSchedule("p")
        #expect(cancelled.status == .finished && cancelled.nextFire == nil)
        h.clock.advance(by: .seconds(100))
        await h.settle()
        #expect(h.recorder.events(.enqueued).count == 2)
        await #expect(throws: DocketError.scheduleNotFound("nope")) { try await d.pauseSchedule("nope") }
        await #expect(throws: DocketError.duplicateSchedule("p")) { try await d.schedule("p", parsing: "@every 1s", handler: "tick", payload: Job(n: 0)) }
        await #expect(throws: DocketError.self) { try await d.schedule("bad", parsing: "0 0 30 2 *", handler: "tick", payload: Job(n: 0)) }
        try await h.stop()
        h.directory?.remove()
    }

    /// A one-shot and an RRULE through the engine; the one-shot finishes after its fire.
    /// A one-shot whose time passed while it was paused is reported as missed on resume, and
    /// finishes instead of staying active with nothing to fire.
    @Test(arguments: EngineKind.allCases) func aOneShotMissedWhilePausedFinishesOnResume(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.schedule("once", parsing: "@at 2027-01-15T08:00:30Z", handler: "tick", payload: Job(n: 0))
        try await d.pauseSchedule("once")
        h.clock.advance(by: .seconds(60))
        await h.settle()
        let resumed = try await d.resumeSchedule("once")
        #expect(resumed.status == .finished && resumed.nextFire == nil)
        let missed = await h.recorder.waitFor(.misfired, "once@2027-01-15T08:00:30Z")
        #expect(missed.first?.error == "the schedule was paused")
        #expect(h.recorder.events(.enqueued).isEmpty)
        try await h.stop()
        h.directory?.remove()
    }

    @Test(arguments: EngineKind.allCases) func oneShotAndRecurrence(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        try await h.docket.schedule("once", parsing: "@at 2027-01-15T08:00:30Z", handler: "tick", payload: Job(n: 0))
        try await h.docket.schedule("rule", parsing: "DTSTART:20270115T080000Z\nRRULE:FREQ=MINUTELY;INTERVAL=15;COUNT=3", handler: "tick", payload: Job(n: 0))
        for _ in 0..<4 { h.clock.advance(by: .seconds(15 * 60)) ; await h.settle() }
        await h.recorder.waitFor(.succeeded, count: 3)
        await h.settle()
        let ids = Set(h.recorder.events(.succeeded).map(\.taskID))
        #expect(ids == ["once@2027-01-15T08:00:30Z", "rule@2027-01-15T08:30:00Z", "rule@2027-01-15T08:15:00Z"])
        #expect(await h.docket.scheduleInfo("once")?.status == .finished)
        #expect(await h.docket.scheduleInfo("rule")?.status == .finished)
        try await h.stop()
        h.directory?.remove()
    }

    /// `purge` removes a finished schedule once none of its occurrences is left, and keeps
    /// active ones and finished ones with an occurrence still pending; a reopened journal
    /// agrees.
    @Test(arguments: EngineKind.allCases) func purgeRemovesFinishedSchedulesWithoutOccurrences(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in
            d.register("tick", payload: Job.self) { _, _ in }
            d.register("flaky", payload: Job.self) { _, _ in throw TestFailure(message: "again") }
        }
        let d = h.docket
        try await d.schedule("once", parsing: "@at 2027-01-15T08:00:30Z", handler: "tick", payload: Job(n: 0))
        var retrying = ScheduleOptions()
        retrying.maxAttempts = 3
        retrying.retry = .fixed(.seconds(3600))
        try await d.schedule("retrying", parsing: "@at 2027-01-15T08:00:30Z", handler: "flaky", payload: Job(n: 0), options: retrying)
        try await d.schedule("every", parsing: "@every 10s", handler: "tick", payload: Job(n: 0))
        try await d.schedule("cancelled", parsing: "@every 1h", handler: "tick", payload: Job(n: 0))
        try await d.cancelSchedule("cancelled")
        h.clock.advance(by: .seconds(30))
        await h.recorder.waitFor(.succeeded, "once@2027-01-15T08:00:30Z")
        await h.recorder.waitFor(.retried, "retrying@2027-01-15T08:00:30Z")
        await h.settle()
        h.clock.advance(by: .seconds(120))
        await h.settle()
        try await d.purge(olderThan: .seconds(60))
        let left = await d.schedules().map(\.id)
        #expect(left == ["every", "retrying"], "once and cancelled are finished with nothing left; retrying still has a pending retry")
        #expect(await d.scheduleInfo("once") == nil)
        #expect(await d.task("retrying@2027-01-15T08:00:30Z")?.status == .scheduled)
        if let dir = h.directory {
            try await h.stop()
            let reopened = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(h.clock))
            #expect(await reopened.schedules().map(\.id) == ["every", "retrying"])
            await reopened.close()
            dir.remove()
        } else {
            try await h.stop()
        }
    }

    /// Fixed delay: the next occurrence is one period after the previous one finished.
    @Test(arguments: EngineKind.allCases) func fixedDelayWaitsForCompletion(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        try await h.docket.schedule("fd", try Schedule.interval(Interval(every: .seconds(10), mode: .fixedDelay)), handler: "slow", payload: Job(n: 0))
        h.clock.advance(by: .seconds(10))
        let first = try #require(await h.recorder.waitFor(.started).first)
        h.clock.advance(by: .seconds(25))  // the run takes 25 s
        await gate.releaseWhenWaiting(first.taskID)
        await h.recorder.waitFor(.succeeded)
        #expect(await h.docket.scheduleInfo("fd")?.nextFire == Harness.start.addingTimeInterval(45))
        gate.open()
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.succeeded, count: 2)
        try await h.stop()
        h.directory?.remove()
    }

    /// DST days of spec/cron.md through the engine: a fixed-time job on New York's
    /// spring-forward night fires once at 03:00 EDT; on the fall-back night once, at the
    /// first 01:30; a wildcard-hour job fires at both 01:30s.
    @Test func dstDaysThroughTheEngine() async throws {
        let clock = ManualClock(now: Self.iso("2027-03-13T12:00:00Z"))
        let h = try await Harness.make(.inMemory, clock: clock) { d in d.register("tick", payload: Job.self) { _, _ in } }
        try await h.docket.schedule("gap", parsing: "CRON_TZ=America/New_York 30 2 * * *", handler: "tick", payload: Job(n: 0))
        // A day at a time: each fire is hours late when the clock jumps, and `.fireOnce` runs
        // the latest missed one.
        clock.advance(to: Self.iso("2027-03-14T12:00:00Z"))
        await h.recorder.waitFor(.succeeded, count: 1)
        clock.advance(to: Self.iso("2027-03-15T12:00:00Z"))
        await h.recorder.waitFor(.succeeded, count: 2)
        #expect(h.recorder.events(.succeeded).map(\.taskID) == ["gap@2027-03-14T07:00:00Z", "gap@2027-03-15T06:30:00Z"])
        try await h.docket.cancelSchedule("gap")

        clock.advance(to: Self.iso("2027-11-06T12:00:00Z"))
        try await h.docket.schedule("fold", parsing: "CRON_TZ=America/New_York 30 1 * * *", handler: "tick", payload: Job(n: 0))
        try await h.docket.schedule("wild", parsing: "CRON_TZ=America/New_York 30 * 7 11 *", handler: "tick", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .fireAll, grace: .seconds(7200)))
        clock.advance(to: Self.iso("2027-11-07T07:00:00Z"))
        await h.recorder.wait(count: 3) { $0.kind == .succeeded && $0.scheduleID != "gap" }
        await h.settle()
        let fold = h.recorder.events(.succeeded).filter { $0.scheduleID == "fold" }.map(\.taskID)
        #expect(fold == ["fold@2027-11-07T05:30:00Z"])
        let wild = h.recorder.events(.succeeded).filter { $0.scheduleID == "wild" }.map(\.taskID)
        #expect(wild.contains("wild@2027-11-07T05:30:00Z") && wild.contains("wild@2027-11-07T06:30:00Z"))
        try await h.stop()
    }

    /// A long gap: each skipped occurrence is reported, up to `maxCatchUp` per catch-up (the
    /// most recent ones), and the schedule continues with the first fire after now.
    @Test func aLongGapReportsSkippedOccurrencesUpToTheCatchUpLimit() async throws {
        let h = try await Harness.make(.inMemory, register: { d in d.register("tick", payload: Job.self) { _, _ in } },
                                       configure: { $0.maxCatchUp = 50 })
        try await h.docket.schedule("s", parsing: "@every 1s", handler: "tick", payload: Job(n: 0),
                                    options: ScheduleOptions(misfire: .skip, grace: .zero))
        h.clock.advance(by: .seconds(3000))
        await h.recorder.waitFor(.misfired, count: 50)
        await h.settle()
        let misfires = h.recorder.events(.misfired)
        #expect(misfires.count == 50)
        #expect(misfires.last?.runAt == Harness.start.addingTimeInterval(2999))
        #expect(misfires.first?.runAt == Harness.start.addingTimeInterval(2950))
        // The fire at exactly now is on time (grace zero), so it runs.
        #expect(h.recorder.events(.enqueued).map(\.taskID) == ["s@2027-01-15T08:50:00Z"])
        #expect(await h.docket.scheduleInfo("s")?.nextFire == Harness.start.addingTimeInterval(3001))
        try await h.stop()
    }

    /// A schedule's key serializes its occurrences with every other task of that key: an
    /// occurrence waits while a task with the key runs, and a task with the key waits while an
    /// occurrence runs.
    @Test(arguments: EngineKind.allCases) func aScheduleKeySerializesOccurrencesWithOtherTasks(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        let d = h.docket
        try await d.enqueue("slow", payload: Job(n: 0), options: TaskOptions(id: "export", key: "account-42"))
        await h.recorder.waitFor(.started, "export")
        let info = try await d.schedule("s", parsing: "* * * * * *", handler: "slow", payload: Job(n: 1),
                                        options: ScheduleOptions(grace: .seconds(30), key: "account-42"))
        #expect(info.key == "account-42")
        h.clock.advance(by: .seconds(1))
        let first = "s@2027-01-15T08:00:01Z"
        await h.recorder.waitFor(.enqueued, first)
        await h.settle()
        #expect(h.recorder.events(.started).map(\.taskID) == ["export"], "the occurrence waits for the task with its key")
        #expect(await d.task(first)?.key == "account-42")
        await gate.releaseWhenWaiting("export")
        await h.recorder.waitFor(.started, first)
        // Now a task with the key waits for the occurrence.
        try await d.enqueue("slow", payload: Job(n: 2), options: TaskOptions(id: "import", key: "account-42"))
        await h.settle()
        #expect(await d.task("import")?.status == .scheduled)
        await gate.releaseWhenWaiting(first)
        await h.recorder.waitFor(.started, "import")
        await gate.releaseWhenWaiting("import")
        await h.recorder.waitFor(.succeeded, "import")
        try await d.cancelSchedule("s")
        gate.open()
        try await h.stop()
        h.directory?.remove()
    }

    @Test func aScheduleKeyIsCheckedAndKeptAcrossRestarts() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let h = try await Harness.make(.journaled, clock: clock, directory: dir) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        func invalid(_ e: DocketError?) -> Bool { if case .invalidArgument = e { true } else { false } }
        #expect(invalid(await #expect(throws: DocketError.self) {
            try await d.schedule("a", parsing: "@every 1m", handler: "tick", payload: Job(n: 0), options: ScheduleOptions(overlap: .allow, key: "k"))
        }))
        #expect(invalid(await #expect(throws: DocketError.self) {
            try await d.schedule("b", parsing: "@every 1m", handler: "tick", payload: Job(n: 0), options: ScheduleOptions(key: "schedule:x"))
        }))
        #expect(invalid(await #expect(throws: DocketError.self) {
            try await d.schedule("c", parsing: "@every 1m", handler: "tick", payload: Job(n: 0), options: ScheduleOptions(key: ""))
        }))
        #expect(await d.schedules().isEmpty)
        try await d.schedule("keyed", parsing: "@every 1m", handler: "tick", payload: Job(n: 0), options: ScheduleOptions(overlap: .skip, key: "k"))
        try await d.schedule("plain", parsing: "@every 1m", handler: "tick", payload: Job(n: 0))
        #expect(invalid(await #expect(throws: DocketError.self) {
            try await d.updateSchedule("plain", try Schedule(parsing: "@every 1m"), handler: "tick", payload: Job(n: 0),
                                       options: ScheduleOptions(overlap: .allow, key: "k"))
        }))
        await h.settle()
        // From the records alone (a crash image), then from the snapshot that close writes.
        let crash = TempDirectory("schedule-key-crash")
        defer { crash.remove() }
        try copyDirectory(dir.journal, crash.journal)
        try await h.stop()
        for journal in [crash.journal, dir.journal] {
            let reopened = try await Docket.open(directory: journal, configuration: Harness.configuration(clock))
            #expect(await reopened.scheduleInfo("keyed")?.key == "k")
            #expect(await reopened.scheduleInfo("plain")?.key == nil)
            await reopened.close()
        }
        let snapshotted = try await Docket.open(directory: dir.journal, configuration: Harness.configuration(clock))
        #expect(snapshotted.recoveryReport.journal?.snapshotSequence ?? 0 > 0)
        #expect(await snapshotted.scheduleInfo("keyed")?.key == "k")
        // An update can drop the key; the next occurrence has none.
        snapshotted.register("tick", payload: Job.self) { _, _ in }
        try await snapshotted.updateSchedule("keyed", try Schedule(parsing: "@every 1m"), handler: "tick", payload: Job(n: 0))
        #expect(await snapshotted.scheduleInfo("keyed")?.key == nil)
        await snapshotted.close()
    }

    /// The key occurrences get cannot change while one has not finished: an occurrence from
    /// before the change could run beside one from after. Once they are done it can.
    @Test func aScheduleKeyChangesOnlyWithoutUnfinishedOccurrences() async throws {
        let gate = Gate()
        let h = try await Harness.make(.inMemory) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        let d = h.docket
        let every = try Schedule(parsing: "@every 1m")
        try await d.schedule("s", every, handler: "slow", payload: Job(n: 0), options: ScheduleOptions(key: "a"))
        h.clock.advance(by: .seconds(60))
        let first = "s@2027-01-15T08:01:00Z"
        await h.recorder.waitFor(.started, first)
        for options in [ScheduleOptions(key: "b"), ScheduleOptions(), ScheduleOptions(overlap: .skip)] {
            do {
                try await d.updateSchedule("s", every, handler: "slow", payload: Job(n: 0), options: options)
                Issue.record("the key changed under a running occurrence: \(options)")
            } catch {
                guard case .invalidArgument(let m) = error else { Issue.record("\(error)"); continue }
                #expect(m.contains(first))
            }
        }
        // The same key with other settings is fine.
        try await d.updateSchedule("s", every, handler: "slow", payload: Job(n: 1), options: ScheduleOptions(priority: 3, key: "a"))
        await gate.releaseWhenWaiting(first)
        await h.recorder.waitFor(.succeeded, first)
        #expect(try await d.updateSchedule("s", every, handler: "slow", payload: Job(n: 0), options: ScheduleOptions(key: "b")).key == "b")
        gate.open()
        try await h.stop()
    }

    /// Cancelling a schedule cancels its occurrences that have not started, not the running one.
    @Test func cancelScheduleCancelsOnlyWaitingOccurrences() async throws {
        let gate = Gate()
        let h = try await Harness.make(.inMemory) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        try await h.docket.schedule("c", parsing: "* * * * * *", handler: "slow", payload: Job(n: 0),
                                    options: ScheduleOptions(grace: .seconds(60), overlap: .queue))
        for k in 1...3 {
            h.clock.advance(by: .seconds(1))
            await h.recorder.waitFor(.enqueued, count: k)
        }
        let ids = (1...3).map { "c@2027-01-15T08:00:0\($0)Z" }
        await h.recorder.waitFor(.started, ids[0])
        try await h.docket.cancelSchedule("c")
        #expect(await h.docket.task(ids[0])?.status == .running)
        for id in ids.dropFirst() { #expect(await h.docket.task(id)?.status == .cancelled) }
        gate.open()
        await h.recorder.waitFor(.succeeded, ids[0])
        try await h.stop()
    }

    /// An update of a schedule whose fires came due (here while the process was down, before
    /// `run()`) handles those fires first, under the old definition, as the loop would have:
    /// `.fireOnce` creates the latest and journals the others as skipped. Before, the update
    /// recomputed the next fire from now and the missed fires vanished without a trace.
    @Test func anUpdateFirstHandlesTheFiresThatCameDue() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let first = try await Harness.make(.journaled, clock: clock, directory: dir) { d in d.register("tick", payload: Job.self) { _, _ in } }
        try await first.docket.schedule("h", parsing: "0 * * * *", handler: "tick", payload: Job(n: 1))
        try await first.docket.schedule("k", parsing: "0 * * * *", handler: "tick", payload: Job(n: 1))
        try await first.stop()
        clock.advance(by: .seconds(3 * 3600 + 600))  // 11:10: the 09:00, 10:00 and 11:00 fires were missed
        let config = Harness.configuration(clock)
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("tick", payload: Job.self) { _, _ in }
        let updated = try await d.updateSchedule("h", try Schedule(parsing: "0 * * * *"), handler: "tick", payload: Job(n: 2))
        let eleven = "h@2027-01-15T11:00:00Z"
        #expect(updated.nextFire == Harness.start.addingTimeInterval(4 * 3600))
        #expect(updated.lastTaskID == eleven && updated.lastFire == Harness.start.addingTimeInterval(3 * 3600))
        let occurrences = try await d.tasks(matching: TaskFilter(scheduleID: "h")).tasks
        #expect(occurrences.map(\.id) == [eleven] && occurrences.first?.status == .scheduled)
        // Created under the old definition: the old payload.
        #expect(occurrences.first?.payload == Array(#"{"n":1}"#.utf8))
        // An update that changes the occurrences' key (overlap .queue → .skip) is not refused
        // because of the occurrence it creates itself, which gets the new key; a refused update
        // (an unfinished occurrence under the old key) writes nothing.
        let rekeyed = try await d.updateSchedule("k", try Schedule(parsing: "0 * * * *"), handler: "tick", payload: Job(n: 2),
                                                 options: ScheduleOptions(overlap: .skip))
        #expect(rekeyed.lastTaskID == "k@2027-01-15T11:00:00Z")
        #expect(await d.task("k@2027-01-15T11:00:00Z").map { $0.key == nil } == true)
        let sequence = await d.journal?.lastSequence
        await #expect(throws: DocketError.self) {
            try await d.updateSchedule("h", try Schedule(parsing: "0 * * * *"), handler: "tick", payload: Job(n: 3), options: ScheduleOptions(overlap: .skip))
        }
        #expect(await d.journal?.lastSequence == sequence)
        await d.close()
        let reopened = try await Docket.open(directory: dir.journal, configuration: config)
        #expect(try await reopened.tasks(matching: TaskFilter(scheduleID: "h")).tasks.map(\.id) == [eleven])
        #expect(await reopened.scheduleInfo("h")?.nextFire == Harness.start.addingTimeInterval(4 * 3600))
        await reopened.close()
    }

    /// Schedule "d" (every 5 minutes after completion) whose first occurrence has failed for
    /// good; its handler's later runs wait at the gate. Returns that occurrence's id.
    static func fixedDelayOccurrenceThatFailedOnce(_ kind: EngineKind) async throws -> (Harness, Gate, String) {
        let gate = Gate()
        let attempts = Mutex(0)
        let h = try await Harness.make(kind) { d in
            d.register("once", payload: Job.self) { _, job in
                if attempts.withLock({ $0 += 1; return $0 }) == 1 { throw JobControl.fail(permanently: "first run fails") }
                try await gate.run(job.id)
            }
        }
        try await h.docket.schedule("d", parsing: "@every 5m after completion", handler: "once", payload: Job(n: 1))
        h.clock.advance(by: .seconds(300))
        let first = try #require(await h.recorder.waitFor(.failed).first?.taskID)
        return (h, gate, first)
    }

    /// A fixed-delay schedule waits for its occurrence; one that failed and is retried runs
    /// again, and the next occurrence waits for it again (its next fire, set when it failed,
    /// started the next one beside the retried run).
    @Test(arguments: EngineKind.allCases) func aRetriedFixedDelayOccurrenceIsWaitedForAgain(kind: EngineKind) async throws {
        let (h, gate, first) = try await Self.fixedDelayOccurrenceThatFailedOnce(kind)
        let d = h.docket
        #expect(try #require(await d.scheduleInfo("d")).nextFire == Harness.start.addingTimeInterval(600))
        try await d.retryNow(first)
        await h.recorder.waitFor(.started, first, count: 2)
        #expect(try #require(await d.scheduleInfo("d")).nextFire == nil)
        // Past the old next fire: nothing new while the retried run goes on.
        h.clock.advance(by: .seconds(400))
        await h.settle()
        #expect(try await d.tasks(matching: TaskFilter(scheduleID: "d")).tasks.count == 1)
        await gate.releaseWhenWaiting(first)
        await h.recorder.waitFor(.succeeded, first)
        await h.settle()
        #expect(try #require(await d.scheduleInfo("d")).nextFire == Harness.start.addingTimeInterval(1_000))
        try await h.stop()
        h.directory?.remove()
    }

    /// The retried run and its schedule's wait for it are one journal record (they were two:
    /// a crash between them left the next fire set beside the retried run); a reopened copy
    /// agrees.
    @Test func aRetriedFixedDelayOccurrenceAndItsScheduleAreOneRecord() async throws {
        let (h, gate, first) = try await Self.fixedDelayOccurrenceThatFailedOnce(.journaled)
        let d = h.docket
        try await d.retryNow(first)
        let dir = try #require(h.directory)
        let mutations = try journaledMutations(dir.journal).map(\.mutation)
        let retry = try #require(mutations.lastIndex { if case .retryNow = $0 { return true }; return false })
        #expect(!mutations[(retry + 1)...].contains { if case .upsertSchedule = $0 { return true }; return false })
        let copy = TempDirectory()
        defer { copy.remove() }
        try copyDirectory(dir.journal, copy.journal)
        let reopened = try await Docket.open(directory: copy.journal, configuration: Harness.configuration(h.clock))
        #expect(try #require(await reopened.scheduleInfo("d")).nextFire == nil)
        await reopened.close()
        gate.open()
        try await h.stop()
        dir.remove()
    }

    /// A schedule paused when a fire has come due but the loop has not handled it yet (it was
    /// busy, or not running) fires it first, as the loop would have: the fire came due while
    /// the schedule was active, and resuming used to report it missed ("paused") unrun.
    @Test func pausingAfterAFireCameDueFiresItFirst() async throws {
        let clock = ManualClock(now: Harness.start)
        let d = try Docket.inMemory(configuration: Harness.configuration(clock))
        d.register("tick", payload: Job.self) { _, _ in }
        try await d.schedule("s", parsing: "@every 1m", handler: "tick", payload: Job(n: 0))
        let recorder = Recorder(d.events())
        clock.advance(by: .seconds(61))  // no loop runs: the fire at +60 s is due, unhandled
        try await d.pauseSchedule("s")
        let occurrences = try await d.tasks(matching: TaskFilter(scheduleID: "s")).tasks
        #expect(occurrences.map(\.runAt) == [Harness.start.addingTimeInterval(60)])
        try await d.resumeSchedule("s")
        await Task.yield()
        #expect(recorder.events(.misfired).isEmpty, "\(recorder.events(.misfired))")
        await d.close()
    }

    /// The same with the schedule paused when the occurrence is retried: resuming it must not
    /// fire beside the retried run either.
    @Test func aRetriedOccurrenceOfAPausedFixedDelayScheduleIsWaitedFor() async throws {
        let (h, gate, first) = try await Self.fixedDelayOccurrenceThatFailedOnce(.inMemory)
        let d = h.docket
        try await d.pauseSchedule("d")
        try await d.retryNow(first)
        await h.recorder.waitFor(.started, first, count: 2)
        h.clock.advance(by: .seconds(400))
        try await d.resumeSchedule("d")
        await h.settle()
        #expect(try await d.tasks(matching: TaskFilter(scheduleID: "d")).tasks.count == 1)
        gate.open()
        await h.recorder.waitFor(.succeeded, first)
        try await h.stop()
    }

    /// `preview` of a fixed-delay schedule starts at its next fire, then a period apart (it
    /// asked the interval for the fire after next fire − 1 µs, which a fixed delay answers with a
    /// period added: every time was a period late).
    @Test func aFixedDelayPreviewStartsAtTheNextFire() async throws {
        let h = try await Harness.make(.inMemory) { d in d.register("tick", payload: Job.self) { _, _ in } }
        try await h.docket.schedule("d", parsing: "@every 5m after completion", handler: "tick", payload: Job(n: 1))
        #expect(try await h.docket.preview(scheduleID: "d", count: 3) == [300, 600, 900].map { Harness.start.addingTimeInterval($0) })
        try await h.stop()
    }

    /// An update keeps a paused schedule paused and reports the old definition's fires missed
    /// while paused; `preview` of a paused schedule starts at now (the fires before will be
    /// reported, not run); `lastFire` stays the last occurrence created.
    @Test(arguments: EngineKind.allCases) func anUpdateKeepsAPausedSchedulePaused(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.schedule("p", parsing: "@every 10s", handler: "tick", payload: Job(n: 1))
        h.clock.advance(by: .seconds(5))
        try await d.pauseSchedule("p")
        h.clock.advance(by: .seconds(40))  // 45 s: the fires at 10, 20, 30 and 40 s passed while paused
        await h.settle()
        #expect(try await d.preview(scheduleID: "p", count: 2) == [50, 60].map { Harness.start.addingTimeInterval($0) })
        let updated = try await d.updateSchedule("p", try Schedule(parsing: "@every 10s"), handler: "tick", payload: Job(n: 2))
        #expect(updated.status == .paused && updated.nextFire == Harness.start.addingTimeInterval(50))
        #expect(updated.lastFire == nil && updated.lastTaskID == nil)
        let missed = await h.recorder.waitFor(.misfired, count: 4)
        #expect(missed.map(\.runAt) == [10, 20, 30, 40].map { Harness.start.addingTimeInterval($0) })
        #expect(missed.allSatisfy { $0.error == "the schedule was paused" })
        h.clock.advance(by: .seconds(2))
        let resumed = try await d.resumeSchedule("p")
        #expect(resumed.status == .active && resumed.nextFire == Harness.start.addingTimeInterval(50))
        h.clock.advance(by: .seconds(3))
        await h.recorder.waitFor(.succeeded, "p@2027-01-15T08:00:50Z")
        #expect(await d.task("p@2027-01-15T08:00:50Z")?.payload == Array(#"{"n":2}"#.utf8))
        await h.settle()
        #expect(h.recorder.events(.misfired).count == 4, "nothing reported twice")
        try await h.stop()
        h.directory?.remove()
    }

    /// Fixed delay across pause and resume: a short pause keeps the next fire; a fire that
    /// passed while paused is missed (with those one period after it, up to now) and the
    /// schedule goes on from the next one; paused while its occurrence runs, it resumes
    /// waiting for that occurrence, not on a timer of its own.
    @Test(arguments: EngineKind.allCases) func fixedDelayAcrossPauseAndResume(kind: EngineKind) async throws {
        let gate = Gate()
        let h = try await Harness.make(kind) { d in d.register("slow", payload: Job.self) { _, job in try await gate.run(job.id) } }
        let d = h.docket
        let fd = try Schedule.interval(Interval(every: .seconds(10), mode: .fixedDelay))
        try await d.schedule("fd", fd, handler: "slow", payload: Job(n: 0))
        h.clock.advance(by: .seconds(5))
        try await d.pauseSchedule("fd")
        h.clock.advance(by: .seconds(2))
        #expect(try await d.resumeSchedule("fd").nextFire == Harness.start.addingTimeInterval(10), "a short pause keeps the next fire")
        try await d.pauseSchedule("fd")
        h.clock.advance(by: .seconds(26))  // 33 s: the fires at 10, 20 and 30 s passed while paused
        let resumed = try await d.resumeSchedule("fd")
        #expect(resumed.nextFire == Harness.start.addingTimeInterval(40) && resumed.status == .active)
        let missed = await h.recorder.waitFor(.misfired, count: 3)
        #expect(missed.map(\.runAt) == [10, 20, 30].map { Harness.start.addingTimeInterval($0) })
        h.clock.advance(by: .seconds(7))
        let started = try #require(await h.recorder.waitFor(.started).first)
        #expect(started.taskID == "fd@2027-01-15T08:00:40Z")
        try await d.pauseSchedule("fd")
        h.clock.advance(by: .seconds(3))
        let waiting = try await d.resumeSchedule("fd")
        #expect(waiting.status == .active && waiting.nextFire == nil, "it waits for the running occurrence")
        h.clock.advance(by: .seconds(5))  // 48 s
        await gate.releaseWhenWaiting(started.taskID)
        await h.recorder.waitFor(.succeeded)
        #expect(await d.scheduleInfo("fd")?.nextFire == Harness.start.addingTimeInterval(58))
        #expect(h.recorder.events(.enqueued).count == 1, "no second occurrence while the first ran")
        // An update while its occurrence runs waits for that occurrence too.
        h.clock.advance(by: .seconds(10))  // 58 s
        let second = try #require(await h.recorder.waitFor(.started, count: 2).last)
        let updated = try await d.updateSchedule("fd", fd, handler: "slow", payload: Job(n: 1))
        #expect(updated.nextFire == nil && updated.status == .active)
        // Paused, the same: resuming it then waits as well.
        try await d.pauseSchedule("fd")
        let pausedUpdate = try await d.updateSchedule("fd", fd, handler: "slow", payload: Job(n: 2))
        #expect(pausedUpdate.status == .paused && pausedUpdate.nextFire == nil)
        #expect(try await d.resumeSchedule("fd").nextFire == nil)
        h.clock.advance(by: .seconds(2))  // 60 s
        await gate.releaseWhenWaiting(second.taskID)
        await h.recorder.waitFor(.succeeded, count: 2)
        #expect(await d.scheduleInfo("fd")?.nextFire == Harness.start.addingTimeInterval(70))
        try await h.stop()
        h.directory?.remove()
    }

    /// A fixed-delay schedule whose waiting occurrence is cancelled gets its next fire at once,
    /// and the sleeping timer loop wakes for it (it slept until the occurrence's retry an hour
    /// away).
    @Test(arguments: EngineKind.allCases) func cancellingAFixedDelayOccurrenceWakesTheLoop(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("flaky", payload: Job.self) { _, _ in throw TestFailure(message: "no") } }
        let d = h.docket
        var options = ScheduleOptions()
        options.maxAttempts = 5
        options.retry = .fixed(.seconds(3600))
        try await d.schedule("fd", try Schedule.interval(Interval(every: .seconds(10), mode: .fixedDelay)), handler: "flaky", payload: Job(n: 0), options: options)
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.retried, "fd@2027-01-15T08:00:10Z")
        await h.settle()
        h.clock.advance(by: .seconds(10))
        try await d.cancel("fd@2027-01-15T08:00:10Z")
        #expect(await d.scheduleInfo("fd")?.nextFire == Harness.start.addingTimeInterval(30))
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.started, "fd@2027-01-15T08:00:30Z")
        try await h.stop()
        h.directory?.remove()
    }

    /// A catch-up walks the schedule once: an RRULE with COUNT (each instance's place depends
    /// on all before it) misses and runs the same fires as the same rule without COUNT. (With
    /// `next(after:)` per fire, one catch-up of such a rule took 12.7 s on the actor; see the
    /// `engine-profile catchup` bench.)
    @Test(arguments: EngineKind.allCases) func aCatchUpOfACountRuleMatchesTheRuleWithoutCount(kind: EngineKind) async throws {
        let h = try await Harness.make(kind) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        let options = ScheduleOptions(grace: .seconds(30))
        try await d.schedule("counted", parsing: "DTSTART:20270101T000000Z\nRRULE:FREQ=MINUTELY;BYHOUR=8;COUNT=100000", handler: "tick",
                             payload: Job(n: 0), options: options)
        try await d.schedule("plain", parsing: "DTSTART:20270101T000000Z\nRRULE:FREQ=MINUTELY;BYHOUR=8", handler: "tick",
                             payload: Job(n: 0), options: options)
        h.clock.advance(by: .seconds(600))  // 08:10: 08:01 … 08:09 late, 08:10 on time
        let missed = await h.recorder.waitFor(.misfired, count: 18)
        await h.recorder.waitFor(.succeeded, count: 2)
        for id in ["counted", "plain"] {
            let times = missed.filter { $0.scheduleID == id }.compactMap(\.runAt)
            #expect(times == (1...9).map { Harness.start.addingTimeInterval(Double($0 * 60)) }, "\(id): \(times)")
            #expect(await d.scheduleInfo(id)?.nextFire == Harness.start.addingTimeInterval(660))
        }
        #expect(Set(h.recorder.events(.succeeded).map(\.taskID)) == ["counted@2027-01-15T08:10:00Z", "plain@2027-01-15T08:10:00Z"])
        try await h.stop()
        h.directory?.remove()
    }

    /// Fires a fixed-delay schedule missed while paused are reported at exact multiples of its
    /// period, however many (stepped as `Date`s, 100 ms drifted below the microsecond).
    @Test func fixedDelayMissesAreExactMultiples() async throws {
        let h = try await Harness.make(.inMemory) { d in d.register("tick", payload: Job.self) { _, _ in } }
        let d = h.docket
        try await d.schedule("fd", try Schedule.interval(Interval(every: .milliseconds(100), mode: .fixedDelay)), handler: "tick", payload: Job(n: 0))
        try await d.pauseSchedule("fd")
        h.clock.advance(by: .seconds(30))
        try await d.resumeSchedule("fd")
        let missed = await h.recorder.waitFor(.misfired, count: 300)
        let start = Time.micros(Harness.start)
        let got = missed.compactMap { $0.runAt.map(Time.micros) }
        #expect(got == (1...300).map { start + Int64($0) * 100_000 }, "\(got.prefix(8))")
        try await h.stop()
    }
}
