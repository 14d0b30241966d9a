import DocketSchedules
import Foundation
import Testing
@testable import Docket

/// A paused fixed-delay schedule (`@every … after completion`): updating it and previewing it
/// agree with what resuming it would do — also when its occurrence ended while paused, which
/// leaves it no next fire (the next one is a delay after that end).
@Suite(.timeLimit(.minutes(2))) struct PausedFixedDelayTests {
    static func at(_ seconds: Double) -> Date { Harness.start.addingTimeInterval(seconds) }
    static let first = "fd@2027-01-15T08:00:10Z"

    /// Runs a 10 s fixed-delay schedule's first occurrence (10 s), pauses the schedule while it
    /// runs, and lets the occurrence end at 15 s.
    static func endedWhilePaused(_ gate: Gate) async throws -> (Harness, Schedule) {
        let h = try await Harness.make(.inMemory, register: { d in d.register("slow", payload: Job.self) { _, c in try await gate.run(c.id) } })
        let fd = try Schedule.interval(Interval(every: .seconds(10), mode: .fixedDelay))
        try await h.docket.schedule("fd", fd, handler: "slow", payload: Job(n: 0))
        h.clock.advance(by: .seconds(10))
        await h.recorder.waitFor(.started, first)
        try await h.docket.pauseSchedule("fd")
        h.clock.advance(by: .seconds(5))
        await gate.releaseWhenWaiting(first)
        await h.recorder.waitFor(.succeeded, first)
        return (h, fd)
    }

    /// The fires due while paused after the occurrence ended (25 and 35 s) are reported as
    /// missed by a resume; an update before the resume lost them (none run, none reported).
    @Test(arguments: [false, true]) func anUpdateReportsTheFiresMissedAfterTheOccurrenceEnded(update: Bool) async throws {
        let gate = Gate()
        let (h, fd) = try await Self.endedWhilePaused(gate)
        h.clock.advance(by: .seconds(29))  // 44 s
        await h.settle()
        if update { try await h.docket.updateSchedule("fd", fd, handler: "slow", payload: Job(n: 1)) }
        let resumed = try await h.docket.resumeSchedule("fd")
        await h.settle()
        #expect(h.recorder.events(.misfired).compactMap(\.runAt) == [Self.at(25), Self.at(35)], "update: \(update)")
        #expect(resumed.nextFire == (update ? Self.at(54) : Self.at(45)), "an update counts from now; a resume goes on one period apart")
        gate.open()
        try await h.stop()
    }

    /// The occurrence ended at 15 s: a resume at 17 s gives 25 s, and the preview said nothing.
    @Test func thePreviewCountsFromTheEndOfAnOccurrenceThatEndedWhilePaused() async throws {
        let gate = Gate()
        let (h, _) = try await Self.endedWhilePaused(gate)
        h.clock.advance(by: .seconds(2))  // 17 s
        await h.settle()
        let preview = try await h.docket.preview(scheduleID: "fd", count: 2)
        let resumed = try await h.docket.resumeSchedule("fd")
        #expect(resumed.nextFire == Self.at(25))
        #expect(preview == [Self.at(25), Self.at(35)], "\(preview)")
        gate.open()
        try await h.stop()
    }

    /// The next fire (10 s) passed while paused: a resume at 45 s gives 50 s (10…40 s missed);
    /// the preview said 45 s (now), then 55 s.
    @Test func thePreviewSkipsFiresThatPassedWhilePaused() async throws {
        let h = try await Harness.make(.inMemory, register: { d in d.register("tick", payload: Job.self) { _, _ in } })
        let fd = try Schedule.interval(Interval(every: .seconds(10), mode: .fixedDelay))
        try await h.docket.schedule("fd", fd, handler: "tick", payload: Job(n: 0))
        try await h.docket.pauseSchedule("fd")
        h.clock.advance(by: .seconds(45))
        await h.settle()
        let preview = try await h.docket.preview(scheduleID: "fd", count: 2)
        let resumed = try await h.docket.resumeSchedule("fd")
        #expect(resumed.nextFire == Self.at(50))
        #expect(preview == [Self.at(50), Self.at(60)], "\(preview)")
        try await h.stop()
    }
}
