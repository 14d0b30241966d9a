import Foundation
import Testing
@testable import DocketSchedules

/// A few rows of the DST table written out as readable examples; the whole table (D1–D30) is
/// checked from `Fixtures/schedules/cron_dst_cases.json`.
@Suite struct CronDSTExamplesTests {
    static func fires(_ expr: String, _ zone: String, after start: String, count: Int) throws -> [String] {
        let tz = try #require(TimeZone(identifier: zone))
        let cron = try CronExpression(expr, timeZone: tz)
        var t = try ISO8601.date(from: start, timeZone: tz)
        var out: [String] = []
        for _ in 0..<count {
            guard let n = cron.next(after: t) else { break }
            out.append(ISO8601.string(from: n, in: tz))
            t = n
        }
        return out
    }

    @Test func fixedTimeInsideSpringForwardGapFiresAtGapEnd() throws {
        #expect(try Self.fires("30 2 * * *", "America/New_York", after: "2025-03-08T12:00-05:00", count: 3)
            == ["2025-03-09T03:00:00-04:00", "2025-03-10T02:30:00-04:00", "2025-03-11T02:30:00-04:00"])
    }

    @Test func fixedTimeInFoldFiresOnceAndStartInSecondOccurrenceWaitsADay() throws {
        #expect(try Self.fires("30 1 * * *", "America/New_York", after: "2025-11-01T12:00-04:00", count: 3)
            == ["2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00", "2025-11-04T01:30:00-05:00"])
        #expect(try Self.fires("30 1 * * *", "America/New_York", after: "2025-11-02T01:10-05:00", count: 1)
            == ["2025-11-03T01:30:00-05:00"])
    }

    @Test func wildcardFiresInBothOccurrencesAndSkipsGaps() throws {
        #expect(try Self.fires("0 * * * *", "America/New_York", after: "2025-11-02T00:30-04:00", count: 4)
            == ["2025-11-02T01:00:00-04:00", "2025-11-02T01:00:00-05:00", "2025-11-02T02:00:00-05:00", "2025-11-02T03:00:00-05:00"])
        #expect(try Self.fires("*/15 * * * *", "Australia/Lord_Howe", after: "2025-10-05T01:40+10:30", count: 3)
            == ["2025-10-05T01:45:00+10:30", "2025-10-05T02:30:00+11:00", "2025-10-05T02:45:00+11:00"])
    }

    @Test func apiaMissingDay() throws {
        #expect(try Self.fires("0 12 * * *", "Pacific/Apia", after: "2011-12-29T13:00-10:00", count: 3)
            == ["2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00", "2012-01-01T12:00:00+14:00"])
        #expect(try Self.fires("@daily", "America/Santiago", after: "2025-09-06T12:00-04:00", count: 3)
            == ["2025-09-07T01:00:00-03:00", "2025-09-08T00:00:00-03:00", "2025-09-09T00:00:00-03:00"])
    }

    @Test func overridesChangeTheRule() throws {
        let ny = try #require(TimeZone(identifier: "America/New_York"))
        let start = try ISO8601.date(from: "2025-03-08T12:00-05:00", timeZone: ny)
        let shift = try CronExpression("30 2 * * *", timeZone: ny, gapPolicy: .shiftByGap)
        #expect(shift.next(after: start).map { ISO8601.string(from: $0, in: ny) } == "2025-03-09T03:30:00-04:00")
        let skip = try CronExpression("30 2 * * *", timeZone: ny, gapPolicy: .skip)
        #expect(skip.next(after: start).map { ISO8601.string(from: $0, in: ny) } == "2025-03-10T02:30:00-04:00")
        let fallStart = try ISO8601.date(from: "2025-11-01T12:00-04:00", timeZone: ny)
        let last = try CronExpression("30 1 * * *", timeZone: ny, foldPolicy: .last)
        #expect(last.next(after: fallStart).map { ISO8601.string(from: $0, in: ny) } == "2025-11-02T01:30:00-05:00")
        let both = try CronExpression("30 1 * * *", timeZone: ny, foldPolicy: .both)
        let first = try #require(both.next(after: fallStart))
        #expect(ISO8601.string(from: first, in: ny) == "2025-11-02T01:30:00-04:00")
        #expect(both.next(after: first).map { ISO8601.string(from: $0, in: ny) } == "2025-11-02T01:30:00-05:00")
    }
}
