import Foundation
import Testing
@testable import DocketSchedules

/// Behaviour at the edges: DST overrides in unusual zones, ISO week numbers at year ends,
/// RDATE/EXDATE interplay, the simple-model initializer, and dates far from today.
@Suite struct EdgeCaseTests {
    static func zone(_ id: String) -> TimeZone { TimeZone(identifier: id) ?? .gmt }

    static func fires(_ s: Schedule, from start: String, in zone: String, count: Int) throws -> [String] {
        let tz = Self.zone(zone)
        return Array(s.fires(after: try ISO8601.date(from: start, timeZone: tz)).prefix(count)).map { ISO8601.string(from: $0, in: tz) }
    }

    static func cron(_ text: String, _ zone: String, gap: GapPolicy = .auto, fold: FoldPolicy = .auto) throws -> Schedule {
        .cron(try CronExpression(text, timeZone: Self.zone(zone), gapPolicy: gap, foldPolicy: fold))
    }

    @Test func wildcardWithLastOccurrenceOnlyFiresInTheSecondPassOfTheFold() throws {
        #expect(try Self.fires(Self.cron("*/30 * * * *", "America/New_York", fold: .last), from: "2025-11-02T00:10-04:00", in: "America/New_York", count: 4)
            == ["2025-11-02T00:30:00-04:00", "2025-11-02T01:00:00-05:00", "2025-11-02T01:30:00-05:00", "2025-11-02T02:00:00-05:00"])
    }

    @Test func wildcardShiftedByTheGapCoalescesWithRealTimes() throws {
        #expect(try Self.fires(Self.cron("*/30 * * * *", "America/New_York", gap: .shiftByGap), from: "2025-03-09T01:10-05:00", in: "America/New_York", count: 4)
            == ["2025-03-09T01:30:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-09T03:30:00-04:00", "2025-03-09T04:00:00-04:00"])
    }

    @Test func shiftByGapInHalfHourAndWholeDayGaps() throws {
        // Lord Howe skips 02:00–02:30: 02:15 read with the old offset is 02:45 after the change.
        #expect(try Self.fires(Self.cron("15 2 * * *", "Australia/Lord_Howe", gap: .shiftByGap), from: "2025-10-04T12:00+10:30", in: "Australia/Lord_Howe", count: 2)
            == ["2025-10-05T02:45:00+11:00", "2025-10-06T02:15:00+11:00"])
        // Apia's missing 2011-12-30 12:00 shifts by 24 h onto 2011-12-31 12:00, which fires once.
        #expect(try Self.fires(Self.cron("0 12 * * *", "Pacific/Apia", gap: .shiftByGap), from: "2011-12-29T13:00-10:00", in: "Pacific/Apia", count: 2)
            == ["2011-12-31T12:00:00+14:00", "2012-01-01T12:00:00+14:00"])
    }

    @Test func queryBetweenTheGapAndItsShiftedFire() throws {
        let s = try Self.cron("30 2 * * *", "America/New_York", gap: .shiftByGap)
        #expect(try Self.fires(s, from: "2025-03-09T03:10-04:00", in: "America/New_York", count: 2) == ["2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"])
        #expect(try Self.fires(s, from: "2025-03-09T03:30-04:00", in: "America/New_York", count: 1) == ["2025-03-10T02:30:00-04:00"])
    }

    @Test func datesLongBeforeAndFarAfterToday() throws {
        // New York's 1965 DST began on 25 April at 02:00.
        #expect(try Self.fires(Self.cron("30 2 * * *", "America/New_York"), from: "1965-04-24T12:00-05:00", in: "America/New_York", count: 2)
            == ["1965-04-25T03:00:00-04:00", "1965-04-26T02:30:00-04:00"])
        // Before 1800 the zone keeps its 1800 offset: New York's local mean time.
        #expect(try Self.fires(Self.cron("0 12 * * *", "America/New_York"), from: "1750-01-01T00:00:00Z", in: "America/New_York", count: 1)
            == ["1750-01-01T12:00:00-04:56:02"])
        // Nothing past year 9999.
        #expect(try Self.fires(Self.cron("0 0 1 1 *", "UTC"), from: "9998-06-01T00:00:00Z", in: "UTC", count: 3) == ["9999-01-01T00:00:00+00:00"])
        let rule = try Schedule(parsing: "DTSTART:99990101T000000Z\nRRULE:FREQ=YEARLY")
        #expect(try Self.fires(rule, from: "9998-01-01T00:00:00Z", in: "UTC", count: 3) == ["9999-01-01T00:00:00+00:00"])
    }

    /// Expected values: ISO 8601 week numbers (Python's `date.isocalendar()`), which is what
    /// BYWEEKNO means with the default WKST=MO. python-dateutil 4.0.0 misses 2022-01-02 for week
    /// 52 (it sizes the previous year's last week from the current year, its PR #1537).
    static let weekNumberCases: [(String, [String])] = [
        ("BYWEEKNO=1;BYDAY=MO", ["2019-12-30", "2021-01-04", "2022-01-03", "2023-01-02", "2024-01-01", "2024-12-30"]),
        ("BYWEEKNO=1;BYDAY=TH", ["2019-01-03", "2020-01-02", "2021-01-07", "2022-01-06", "2023-01-05", "2024-01-04"]),
        ("BYWEEKNO=53;BYDAY=FR", ["2021-01-01", "2027-01-01", "2032-12-31", "2038-01-01", "2044-01-01", "2049-01-01"]),
        ("BYWEEKNO=52;BYDAY=SU", ["2019-12-29", "2020-12-27", "2022-01-02", "2023-01-01", "2023-12-31", "2024-12-29"]),
        ("BYWEEKNO=-1;BYDAY=MO", ["2019-12-23", "2020-12-28", "2021-12-27", "2022-12-26", "2023-12-25", "2024-12-23"]),
        ("BYWEEKNO=-1;BYDAY=TH", ["2019-12-26", "2020-12-31", "2021-12-30", "2022-12-29", "2023-12-28", "2024-12-26"]),
        ("BYWEEKNO=-2;BYDAY=SA", ["2019-12-21", "2020-12-26", "2021-12-25", "2022-12-24", "2023-12-23", "2024-12-21"]),
    ]

    @Test func weekNumbersAtYearEnds() throws {
        for (parts, expected) in Self.weekNumberCases {
            let rule = try RecurrenceRule(parsing: "DTSTART:20190101T000000Z\nRRULE:FREQ=YEARLY;COUNT=6;\(parts)", startPolicy: .onlyIfMatching)
            let days = rule.instances(limit: 10).map { String(ISO8601.string(from: $0, in: .gmt).prefix(10)) }
            #expect(days == expected, "\(parts)")
        }
    }

    @Test func exdateBeatsRdateAndCountIsSpentBeforeExclusion() throws {
        let rule = try RecurrenceRule(parsing: """
            DTSTART:20250101T090000Z
            RRULE:FREQ=DAILY;COUNT=4
            RDATE:20250102T090000Z,20250110T090000Z,20250111T090000Z
            EXDATE:20250103T090000Z,20250111T090000Z
            """)
        // RDATE 01-02 equals an RRULE instance (counted once); EXDATE 01-03 removes an instance
        // that COUNT already spent (so 01-05 never appears); EXDATE 01-11 beats the RDATE.
        let days = rule.instances(limit: 10).map { String(ISO8601.string(from: $0, in: .gmt).prefix(10)) }
        #expect(days == ["2025-01-01", "2025-01-02", "2025-01-04", "2025-01-10"])
        #expect(rule.next(after: try ISO8601.date(from: "2025-01-04T09:00:00Z", timeZone: .gmt)) == (try ISO8601.date(from: "2025-01-10T09:00:00Z", timeZone: .gmt)))
    }

    @Test func dateExdateExcludesThatCalendarDayWhateverItsZoneParameter() throws {
        let rule = try RecurrenceRule(parsing: """
            DTSTART;TZID=America/New_York:20250101T090000
            RRULE:FREQ=DAILY;COUNT=6
            EXDATE;TZID=Asia/Tokyo;VALUE=DATE:20250105
            """)
        let days = rule.instances(limit: 10).map { String(ISO8601.string(from: $0, in: Self.zone("America/New_York")).prefix(10)) }
        #expect(days == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-06"])
    }

    @Test func simpleModelInitializerBuildsTheRule() throws {
        let tz = Self.zone("Europe/London")
        let start = try ISO8601.date(from: "2025-01-06T08:30", timeZone: tz)
        let end = try ISO8601.date(from: "2025-02-01T00:00", timeZone: tz)
        let rule = try RecurrenceRule(frequency: .weekly, interval: 2, start: start, timeZone: tz, end: end, daysOfWeek: [.friday, .monday])
        #expect(rule.description == "DTSTART;TZID=Europe/London:20250106T083000\nRRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20250201T000000Z;BYDAY=MO,FR")
        #expect(rule.instances(limit: 10).map { String(ISO8601.string(from: $0, in: tz).prefix(10)) }
            == ["2025-01-06", "2025-01-10", "2025-01-20", "2025-01-24"])
        let monthly = try RecurrenceRule(frequency: .monthly, start: start, timeZone: tz, count: 3, daysOfMonth: [-1], monthsOfYear: [2, 4, 6])
        #expect(monthly.instances(limit: 10).map { String(ISO8601.string(from: $0, in: tz).prefix(10)) }
            == ["2025-01-06", "2025-02-28", "2025-04-30"])
        #expect(throws: ScheduleError.self) { try RecurrenceRule(frequency: .weekly, start: start, timeZone: tz, daysOfMonth: [1]) }
        #expect(throws: ScheduleError.self) { try RecurrenceRule(frequency: .daily, start: start, timeZone: tz, end: end, count: 3) }
        #expect(throws: ScheduleError.self) { try RecurrenceRule(frequency: .daily, start: start, timeZone: tz, daysOfMonth: [Int.min]) }
        #expect(throws: ScheduleError.self) { try RecurrenceRule(frequency: .hourly, interval: Int.max, start: start, timeZone: tz) }
        #expect(throws: ScheduleError.self) { try RecurrenceRule(frequency: .daily, start: start, timeZone: tz, count: Int.max) }
    }

    @Test func extremeValuesAreErrorsNotCrashes() throws {
        #expect(throws: ScheduleError.self) { try Interval(every: .seconds(Int64.max)) }
        #expect(throws: ScheduleError.self) { try OneShot(at: Date(timeIntervalSince1970: .infinity)) }
        #expect(throws: ScheduleError.self) { try OneShot(at: Date(timeIntervalSince1970: 3e11)) }
        #expect(ISO8601.string(from: Date(timeIntervalSince1970: .nan), in: .gmt) == "invalid-date")
        #expect(ISO8601.string(from: Date(timeIntervalSince1970: 0.9999996), in: .gmt) == "1970-01-01T00:00:01+00:00")
        #expect(try CronExpression("0 0 * * *\r\n") == (try CronExpression("0 0 * * *")))
        #expect(throws: ScheduleError.self) { try CronExpression("0 0 * * *\u{7}") }
    }

    @Test func intervalAnchoredNowRoundTrips() throws {
        let now = Date()
        let i = try Interval(every: .seconds(60), mode: .fixedRate(anchor: now))
        let back = try Schedule(parsing: Schedule.interval(i).description)
        #expect(back == .interval(i))
        #expect(back.next(after: now) == Schedule.interval(i).next(after: now))
    }

    @Test func countRulesBeyondFourHundredYearsAndElapsedCountsJump() throws {
        let old = try RecurrenceRule(parsing: "DTSTART:17000101T000000Z\nRRULE:FREQ=YEARLY;COUNT=500")
        #expect(old.next(after: try ISO8601.date(from: "2150-06-01T00:00:00Z", timeZone: .gmt)) == (try ISO8601.date(from: "2151-01-01T00:00:00Z", timeZone: .gmt)))
        #expect(old.next(after: try ISO8601.date(from: "2199-01-01T00:00:00Z", timeZone: .gmt)) == nil)
        // A pure elapsed rule with COUNT answers from its closed form: instance k = start + k s.
        let seconds = try RecurrenceRule(parsing: "DTSTART:20250101T000000Z\nRRULE:FREQ=SECONDLY;COUNT=1000000")
        #expect(seconds.next(after: try ISO8601.date(from: "2025-01-12T13:46:38Z", timeZone: .gmt)) == (try ISO8601.date(from: "2025-01-12T13:46:39Z", timeZone: .gmt)))
        #expect(seconds.next(after: try ISO8601.date(from: "2025-01-12T13:46:39Z", timeZone: .gmt)) == nil)
    }
}
