import Foundation
import Testing
@testable import DocketSchedules

/// Readable examples of the RRULE decisions; all 42 RFC 5545 examples are checked from
/// `Fixtures/schedules/rrule_rfc_cases.json`.
@Suite struct RecurrenceRuleExamplesTests {
    static let ny = TimeZone(identifier: "America/New_York")!

    static func local(_ rule: RecurrenceRule, _ n: Int) -> [String] {
        rule.instances(limit: n).map { ISO8601.string(from: $0, in: ny) }
    }

    @Test func secondToLastWeekdayOfTheMonth() throws {
        let rule = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:19970929T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2")
        #expect(Self.local(rule, 4) == ["1997-09-29T09:00:00-04:00", "1997-10-30T09:00:00-05:00", "1997-11-27T09:00:00-05:00", "1997-12-30T09:00:00-05:00"])
    }

    @Test func weekStartChangesBiweeklySets() throws {
        let mo = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO")
        let su = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU")
        #expect(Self.local(mo, 10).map { String($0.prefix(10)) } == ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"])
        #expect(Self.local(su, 10).map { String($0.prefix(10)) } == ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"])
    }

    @Test func dailyAcrossAGapShiftsByTheGapAndFoldTakesTheFirst() throws {
        let spring = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:20250308T023000\nRRULE:FREQ=DAILY")
        #expect(Self.local(spring, 3) == ["2025-03-08T02:30:00-05:00", "2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"])
        let fall = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:20251101T013000\nRRULE:FREQ=DAILY")
        #expect(Self.local(fall, 3) == ["2025-11-01T01:30:00-04:00", "2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"])
    }

    @Test func hourlyStepsInElapsedTimeAcrossDST() throws {
        let spring = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:20250309T000000\nRRULE:FREQ=HOURLY;COUNT=4")
        #expect(Self.local(spring, 10) == ["2025-03-09T00:00:00-05:00", "2025-03-09T01:00:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-09T04:00:00-04:00"])
        let fall = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:20251102T000000\nRRULE:FREQ=HOURLY;COUNT=5")
        #expect(Self.local(fall, 10) == ["2025-11-02T00:00:00-04:00", "2025-11-02T01:00:00-04:00", "2025-11-02T01:00:00-05:00", "2025-11-02T02:00:00-05:00", "2025-11-02T03:00:00-05:00"])
    }

    @Test func startIsFirstEvenWhenItDoesNotMatchUnlessPatternOnly() throws {
        let text = "DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3"
        let rfc = try RecurrenceRule(parsing: text)
        #expect(Self.local(rfc, 5) == ["1997-09-02T09:00:00-04:00", "1998-02-13T09:00:00-05:00", "1998-03-13T09:00:00-05:00"])
        let pattern = try RecurrenceRule(parsing: text, startPolicy: .onlyIfMatching)
        #expect(Self.local(pattern, 5) == ["1998-02-13T09:00:00-05:00", "1998-03-13T09:00:00-05:00", "1998-11-13T09:00:00-05:00"])
    }

    @Test func nextAfterJumpsWithoutEnumeratingFromTheStart() throws {
        let rule = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:19970519T090000\nRRULE:FREQ=YEARLY;BYDAY=20MO")
        let after = try ISO8601.date(from: "2025-01-01T00:00:00Z", timeZone: Self.ny)
        let next = try #require(rule.next(after: after))
        #expect(ISO8601.string(from: next, in: Self.ny) == "2025-05-19T09:00:00-04:00")  // 2025-01-06 is the first Monday
    }
}
