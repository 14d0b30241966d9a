import Foundation
import Testing
@testable import DocketSchedules

/// Sparse schedules are searched to a fixed horizon and then answer nil; nothing loops.
@Suite struct HorizonTests {
    static func utc(_ text: String) throws -> Date {
        try ISO8601.date(from: text, timeZone: TimeZone(identifier: "UTC") ?? .gmt)
    }

    @Test func fifthMondayOfFebruaryIsDecadesApart() throws {
        let cron = try CronExpression("0 0 * 2 MON#5")
        let fires = Array(Schedule.cron(cron).fires(after: try Self.utc("2020-01-01T00:00:00Z")).prefix(3))
        #expect(fires == [try Self.utc("2044-02-29T00:00:00Z"), try Self.utc("2072-02-29T00:00:00Z"), try Self.utc("2112-02-29T00:00:00Z")])
    }

    @Test func leapDayOnAMondayUsesTheOrRule() throws {
        // Both day fields restricted: the 29th OR any Monday of February.
        let cron = try CronExpression("0 0 29 2 MON")
        #expect(cron.next(after: try Self.utc("2025-03-01T00:00:00Z")) == (try Self.utc("2026-02-02T00:00:00Z")))
        // With `?` the weekday field is a star, so the rule is AND: February 29th only.
        let and = try CronExpression("0 0 29 2 ?")
        #expect(and.next(after: try Self.utc("2025-03-01T00:00:00Z")) == (try Self.utc("2028-02-29T00:00:00Z")))
    }

    @Test func yearFieldEndsTheSchedule() throws {
        let cron = try CronExpression("0 0 0 1 1 * 2100")
        #expect(cron.next(after: try Self.utc("2099-06-01T00:00:00Z")) == (try Self.utc("2100-01-01T00:00:00Z")))
        #expect(cron.next(after: try Self.utc("2100-01-01T00:00:00Z")) == nil)
    }

    @Test func ruleThatNeverMatchesAfterItsStartReturnsNil() throws {
        // DTSTART is the first instance (RFC); the pattern itself never produces February 30th.
        let rule = try RecurrenceRule(parsing: "DTSTART:20250101T000000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")
        #expect(rule.instances(limit: 5) == [try Self.utc("2025-01-01T00:00:00Z")])
        #expect(rule.next(after: try Self.utc("2025-01-01T00:00:00Z")) == nil)
        let minutely = try RecurrenceRule(parsing: "DTSTART:20250101T000000Z\nRRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30")
        #expect(minutely.next(after: try Self.utc("2025-01-01T00:00:00Z")) == nil)
    }

    @Test func misalignedIntervalGivesUpInsteadOfLooping() throws {
        // Every 2 seconds from an even second can never land on second 1.
        let rule = try RecurrenceRule(parsing: "DTSTART:20250101T000000Z\nRRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=1")
        #expect(rule.next(after: try Self.utc("2025-01-01T00:00:00Z")) == nil)
    }

    /// A whole skipped day (Samoa, 2011-12-30) of a rule with an instance every second: the
    /// skipped wall times read with the offset from before the gap land on the same instants as
    /// the next day's, each counted once; holding them back costs linear time (it was quadratic,
    /// seconds per answer).
    @Test func aSkippedDayOfSecondlyInstancesIsHeldInLinearTime() throws {
        let hours = (0...23).map(String.init).joined(separator: ","), sixty = (0...59).map(String.init).joined(separator: ",")
        let rule = try RecurrenceRule(parsing: "DTSTART;TZID=Pacific/Apia:20111229T000000\nRRULE:FREQ=DAILY;BYHOUR=\(hours);BYMINUTE=\(sixty);BYSECOND=\(sixty)")
        let after = try Self.utc("2011-12-30T09:59:59Z")  // 2011-12-29 23:59:59 at UTC-10
        #expect(rule.next(after: after) == (try Self.utc("2011-12-30T10:00:00Z")))
        let fires = Array(Schedule.recurrence(rule).fires(after: after).prefix(86_402))
        #expect(fires.count == 86_402 && Set(fires).count == 86_402)
        let first = try Self.utc("2011-12-30T10:00:00Z"), last = try Self.utc("2011-12-31T10:00:01Z")
        #expect(fires.first == first && fires.last == last)
        #expect(zip(fires, fires.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 1 })
    }

    @Test func boundedRulesEnd() throws {
        let rule = try RecurrenceRule(parsing: "DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY;COUNT=3")
        #expect(rule.next(after: try Self.utc("2025-01-03T09:00:00Z")) == nil)
        #expect(rule.next(after: try Self.utc("2025-01-02T09:00:00Z")) == (try Self.utc("2025-01-03T09:00:00Z")))
        let once = try OneShot(at: try Self.utc("2025-01-01T00:00:00Z"))
        #expect(once.next(after: try Self.utc("2024-12-31T23:59:59Z")) == (try Self.utc("2025-01-01T00:00:00Z")))
        #expect(once.next(after: try Self.utc("2025-01-01T00:00:00Z")) == nil)
    }

    /// `Date.distantPast` (two days before year 1) or -∞ ask for the first fire, as any date
    /// before it would; they answered nil, as if the schedule had ended.
    @Test func aSearchFromBeforeTheSpanFindsTheFirstFire() throws {
        for past in [Date.distantPast, Date(timeIntervalSince1970: -.infinity)] {
            #expect(try CronExpression("0 0 1 1 *").next(after: past) == (try Self.utc("0001-01-01T00:00:00Z")))
            #expect(try CronExpression("0 9 * * MON", timeZone: TimeZone(identifier: "America/New_York")).next(after: past) != nil)
            let rule = try RecurrenceRule(parsing: "DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY;COUNT=3")
            #expect(rule.next(after: past) == (try Self.utc("2025-01-01T09:00:00Z")))
            let schedule = try Schedule(parsing: "DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY;COUNT=3")
            #expect(Array(schedule.fires(after: past)).count == 3)
        }
        #expect(try CronExpression("* * * * *").next(after: Date(timeIntervalSince1970: .nan)) == nil)
    }

    @Test func datesOutsideTheSupportedSpanAnswerNil() throws {
        let cron = try CronExpression("* * * * *")
        #expect(cron.next(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(cron.next(after: Date(timeIntervalSince1970: 1e15)) == nil)
        #expect(cron.next(after: Date(timeIntervalSince1970: .nan)) == nil)
    }

    /// A walk of many instances keeps its horizon 400 years past the latest one found, as chained
    /// `next(after:)` calls do: it measured 400 years from where it began, so a preview of 20
    /// fires of a sparse rule stopped after 18 (found by differential fuzzing against dateutil).
    @Test func aLongWalkAnswersWhatChainedCallsAnswer() throws {
        let texts = [
            "DTSTART;TZID=Europe/Dublin:19840325T010000\nRRULE:FREQ=YEARLY;INTERVAL=3;BYMONTH=10,11;BYMONTHDAY=-4,31;BYDAY=-5SU,5MO;BYHOUR=13;BYSETPOS=1;WKST=SU",
            "DTSTART:20000229T120000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
            "DTSTART:20000229T120000Z\nRRULE:FREQ=HOURLY;INTERVAL=5;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=12",
            "DTSTART:20000229T120000Z\nRRULE:FREQ=YEARLY;COUNT=30;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
        ]
        for text in texts {
            let rule = try RecurrenceRule(parsing: text)
            let after = try Self.utc("2100-01-01T00:00:00Z")
            let walked = Array(Schedule.recurrence(rule).fires(after: after).prefix(20))
            var chained: [Date] = []
            var t = after
            while chained.count < 20, let n = rule.next(after: t) { chained.append(n); t = n }
            #expect(walked == chained, "\(text)")
            #expect(walked.count == 20 || text.contains("COUNT"), "\(text): \(walked.count)")
            #expect(try #require(walked.last).timeIntervalSince(after) > 400 * 365 * 86_400, "\(text)")
        }
    }
}
