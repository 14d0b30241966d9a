import DocketJournal
import DocketSchedules
import Foundation
import Testing
@testable import Docket

/// A catch-up with more fires than one scan looks at (`catchUpScanLimit`, lowered here from a
/// million): the fires up to shortly before now are counted, and the fires run and reported
/// are still the latest ones. The scan used to stop after the limit and jump to now, so
/// `.fireOnce` ran the limit-th fire (10 hours stale for a per-second schedule down 12 days)
/// and the rest went uncounted.
@Suite(.timeLimit(.minutes(2))) struct LongCatchUpTests {
    /// The fire records of schedule "s": (created occurrence ids, skipped count, skipped sample).
    static func fires(_ dir: TempDirectory) throws -> [(created: [String], skippedCount: Int, skipped: [Micros])] {
        try journaledMutations(dir.journal).compactMap { m in
            guard case .fire("s", let created, _, let skipped, let skippedCount, _, _) = m.mutation else { return nil }
            return (created.map(\.id), skippedCount, skipped)
        }
    }

    /// A journaled harness with a no-op handler "tick", at most ten fires per catch-up, and a
    /// catch-up scan of `scanLimit` nominal times (so that a few thousand fires exceed it).
    static func ticking(scanLimit: Int) async throws -> Harness {
        let h = try await Harness.make(.journaled, register: { d in d.register("tick", payload: Int.self) { (_: Int, _: JobContext) in } },
                                       configure: { $0.maxCatchUp = 10 })
        await h.docket.setCatchUpScanLimit(scanLimit)
        return h
    }

    static func id(_ secondsAfterStart: Int) -> String {
        EngineState.occurrenceID(schedule: "s", nominal: Time.micros(Harness.start.addingTimeInterval(Double(secondsAfterStart))))
    }

    @Test(arguments: [MisfirePolicy.fireOnce, .fireAll], ["@every 1s", "* * * * * *"])
    func theLatestFiresRunAndEveryOtherIsCounted(policy: MisfirePolicy, text: String) async throws {
        let h = try await Self.ticking(scanLimit: 1_000)
        try await h.docket.schedule("s", parsing: text, handler: "tick", payload: 0,
                                    options: ScheduleOptions(misfire: policy, grace: .milliseconds(500), overlap: .allow))
        // 5,000 fires, every one 0.7 s or more late.
        h.clock.advance(by: .milliseconds(5_000_700))
        let runs = policy == .fireOnce ? 1 : 10
        await h.recorder.waitFor(.succeeded, count: runs)
        try await h.stop()
        let records = try Self.fires(try #require(h.directory))
        let created = records.flatMap(\.created)
        #expect(created == (5_001 - runs...5_000).map(Self.id), "\(created)")
        #expect(records.map(\.skippedCount).reduce(0, +) == 5_000 - runs)
        // The sample of skipped times is the latest ones.
        let sample = records.flatMap(\.skipped)
        #expect(sample.last == Time.micros(Harness.start.addingTimeInterval(Double(5_000 - runs))), "\(sample.suffix(3))")
        h.directory?.remove()
    }

    /// A grace period holding more fires than one scan: the latest `maxCatchUp` run (all on
    /// time) and every other fire is counted; the jump used to land before the grace period and
    /// the scan after it stopped short of now, which ran fires 35 minutes old and left the 2,111
    /// newest neither run nor counted.
    @Test func aGracePeriodLongerThanAScanStillRunsTheLatestAndCountsTheRest() async throws {
        let h = try await Self.ticking(scanLimit: 1_000)
        try await h.docket.schedule("s", parsing: "@every 1s", handler: "tick", payload: 0,
                                    options: ScheduleOptions(misfire: .fireOnce, grace: .seconds(3_000), overlap: .allow))
        h.clock.advance(by: .milliseconds(5_000_700))
        await h.recorder.waitFor(.succeeded, count: 10)
        try await h.stop()
        let records = try Self.fires(try #require(h.directory))
        #expect(records.flatMap(\.created) == (4_991...5_000).map(Self.id))
        #expect(records.map(\.skippedCount).reduce(0, +) == 4_990)
        #expect(records.flatMap(\.skipped).last == Time.micros(Harness.start.addingTimeInterval(4_990)))
        h.directory?.remove()
    }

    /// Uneven fires (every minute of business hours), handled on a Monday at 08:00 after two
    /// weeks down: an average spacing from the first scan looked back 2 hours, found no fire
    /// there, and `.fireOnce` ran one from the first day. Cron scans on to the latest.
    @Test func unevenFiresStillRunTheLatest() async throws {
        let h = try await Self.ticking(scanLimit: 100)
        try await h.docket.schedule("s", parsing: "0 * 9-16 * * 1-5", handler: "tick", payload: 0,
                                    options: ScheduleOptions(misfire: .fireOnce, grace: .seconds(30)))
        h.clock.advance(by: .seconds(17 * 86_400))  // Friday 2027-01-15 08:00 to Monday 2027-02-01 08:00
        await h.recorder.waitFor(.succeeded)
        try await h.stop()
        let records = try Self.fires(try #require(h.directory))
        let latest = try ISO8601.date(from: "2027-01-29T16:59:00Z", timeZone: TimeZone(identifier: "UTC") ?? .gmt)
        #expect(records.flatMap(\.created) == [EngineState.occurrenceID(schedule: "s", nominal: Time.micros(latest))])
        // 480 fires a business day: that Friday and two full weeks, 11 days, 5,280.
        #expect(records.map(\.skippedCount).reduce(0, +) == 5_279)
        h.directory?.remove()
    }

    @Test func missesWhilePausedAreCountedAndTheLatestReported() async throws {
        let h = try await Self.ticking(scanLimit: 1_000)
        try await h.docket.schedule("s", parsing: "@every 1s", handler: "tick", payload: 0)
        try await h.docket.pauseSchedule("s")
        h.clock.advance(by: .milliseconds(5_000_700))
        try await h.docket.resumeSchedule("s")
        try await h.stop()
        let records = try Self.fires(try #require(h.directory))
        #expect(records.map(\.skippedCount).reduce(0, +) == 5_000)
        #expect(records.flatMap(\.skipped).last == Time.micros(Harness.start.addingTimeInterval(5_000)))
        h.directory?.remove()
    }
}

/// An occurrence must fit a journal record beside its fire's other fields: a schedule whose
/// occurrences cannot is refused when created (it used to stop `run()` at every fire), and the
/// sample of skipped times shrinks to leave room for a large payload.
@Suite(.timeLimit(.minutes(2))) struct OccurrenceSizeTests {
    struct Blob: Codable, Sendable { var text: String }

    @Test func aScheduleWhoseOccurrenceCannotFitARecordIsRefused() async throws {
        let h = try await Harness.make(.journaled, register: { d in d.register("big", payload: Blob.self) { (_: Blob, _: JobContext) in } },
                                       configure: { $0.journal.maxRecordSize = 4096 })
        let id = String(repeating: "s", count: 200)
        await #expect(throws: DocketError.self) {
            try await h.docket.schedule(id, parsing: "@every 1m", handler: "big", payload: Blob(text: String(repeating: "x", count: 2_900)))
        }
        #expect(await h.docket.scheduleInfo(id) == nil)
        try await h.stop()
        h.directory?.remove()
    }

    @Test func aLargePayloadLeavesTheSkippedSampleLessRoom() async throws {
        let h = try await Harness.make(.journaled, register: { d in d.register("big", payload: Blob.self) { (_: Blob, _: JobContext) in } },
                                       configure: { $0.journal.maxRecordSize = 4096 })
        try await h.docket.schedule("s", parsing: "@every 1s", handler: "big", payload: Blob(text: String(repeating: "x", count: 2_850)),
                                    options: ScheduleOptions(misfire: .fireOnce, grace: .milliseconds(500)))
        // 500 fires missed: a sample of up to 153 times (~1.2 KB) no longer fits beside the occurrence.
        h.clock.advance(by: .milliseconds(500_700))
        await h.recorder.waitFor(.succeeded)
        try await h.stop()
        let records = try LongCatchUpTests.fires(try #require(h.directory))
        #expect(records.flatMap(\.created) == [LongCatchUpTests.id(500)])
        #expect(records.map(\.skippedCount).reduce(0, +) == 499)
        // Fewer skipped times than the 153 a record of this size lists otherwise, but some.
        let sample = records.flatMap(\.skipped)
        #expect(!sample.isEmpty && sample.count < 153, "\(sample.count)")
        #expect(sample.last == Time.micros(Harness.start.addingTimeInterval(499)))
        h.directory?.remove()
    }
}

extension Docket {
    func setCatchUpScanLimit(_ n: Int) { catchUpScanLimit = n }
}
