import Foundation
import Testing
@testable import DocketSchedules

/// Every malformed expression and rule gets a typed error that says what was wrong, where, and
/// what is allowed.
@Suite struct InvalidInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: String
        var kind: ScheduleError.Kind
        var says: String
        var column: Int?
        var description: String { input.replacingOccurrences(of: "\n", with: "⏎") }
        init(_ input: String, _ kind: ScheduleError.Kind, _ says: String, column: Int? = nil) {
            self.input = input
            self.kind = kind
            self.says = says
            self.column = column
        }
    }

    static let cron: [Case] = [
        Case("", .fieldCount, "the expression is empty"),
        Case("* * * *", .fieldCount, "found 4"),
        Case("* * * * * * * *", .fieldCount, "found 8"),
        Case("60 * * * *", .outOfRange, "field 1 (minute) at column 1: 60 is out of range 0…59", column: 1),
        Case("* 24 * * *", .outOfRange, "field 2 (hour) at column 3: 24 is out of range 0…23", column: 3),
        Case("* * 0 * *", .outOfRange, "field 3 (day-of-month) at column 5: 0 is out of range 1…31", column: 5),
        Case("0 0 32 * *", .outOfRange, "32 is out of range 1…31", column: 5),
        Case("* * * 13 *", .outOfRange, "field 4 (month) at column 7: 13 is out of range 1…12 or JAN…DEC", column: 7),
        Case("* * * * 8", .outOfRange, "8 is out of range 0…7 (0 and 7 = Sunday) or SUN…SAT", column: 9),
        Case("*/0 * * * *", .invalidStep, "step 0 is not allowed", column: 3),
        Case("*/MON * * * *", .invalidStep, "a step must be a number", column: 3),
        Case("5-1 * * * *", .outOfRange, "the range 5-1 runs backwards", column: 1),
        Case("* * * * SAT-MON", .outOfRange, "the range 6-1 runs backwards", column: 9),
        Case("* * * JAM *", .unknownName, "unknown month name 'JAM' (allowed: JAN FEB", column: 7),
        Case("* * * * FUN", .unknownName, "unknown weekday name 'FUN'", column: 9),
        Case("a * * * *", .unknownName, "'A' is not a number; the minute field takes 0…59", column: 1),
        Case("1,,2 * * * *", .syntax, "empty list item", column: 3),
        Case("1, * * * *", .syntax, "empty list item", column: 3),
        Case(",1 * * * *", .syntax, "empty list item", column: 1),
        Case("* * * * L", .syntax, "'L' needs a weekday before it", column: 9),
        Case("* * * * L5", .syntax, "'L' needs a weekday before it", column: 9),
        Case("* * L-31 * *", .outOfRange, "L-31: the offset from the last day must be 0…30", column: 7),
        Case("* * LX * *", .syntax, "'L' in the day-of-month field must stand alone", column: 5),
        Case("* * 32W * *", .outOfRange, "32 is out of range 1…31", column: 5),
        Case("* * 15W-20 * *", .syntax, "unexpected '-' after '15W'", column: 8),
        Case("* * * * 5#6", .outOfRange, "#6: the week number must be 1…5", column: 11),
        Case("* * * * 5#0", .outOfRange, "#0: the week number must be 1…5", column: 11),
        Case("* * * * 8#1", .outOfRange, "8 is out of range", column: 9),
        Case("* * 5L * *", .syntax, "'xL' is only allowed in the day-of-week field", column: 6),
        Case("* * * * 1W", .syntax, "'nW' is only allowed in the day-of-month field", column: 10),
        Case("* * 1#2 * *", .syntax, "'x#k' is only allowed in the day-of-week field", column: 6),
        Case("? * * * *", .syntax, "'?' is only allowed in the day-of-month and day-of-week fields", column: 1),
        Case("* * ?5 * *", .syntax, "unexpected '5' after '?'", column: 6),
        Case("0 0 30 2 *", .neverFires, "day 30 does not occur in February", column: 5),
        Case("0 0 31 4,6,9,11 *", .neverFires, "day 31 does not occur in April, June, September, November", column: 5),
        Case("0 0 0 29 2 * 2025-2027", .neverFires, "in the allowed years", column: 7),
        Case("* * * * * * 1969", .outOfRange, "field 7 (year) at column 13: 1969 is out of range 1970…2199", column: 13),
        Case("* * * * * * 2200", .outOfRange, "2200 is out of range 1970…2199", column: 13),
        Case("0 0 * * * 2025", .outOfRange, "field 6 (day-of-week) at column 11: 2025 is out of range", column: 11),
        Case("@every 5m", .unsupported, "@every is an interval", column: 1),
        Case("@reboot", .unsupported, "@reboot is an event", column: 1),
        Case("@hourl", .unknownName, "unknown macro '@hourl'", column: 1),
        Case("@daily 0", .syntax, "a macro stands alone", column: 8),
        Case("CRON_TZ=Mars/Olympus 0 0 * * *", .unknownTimeZone, "unknown time zone 'Mars/Olympus'", column: 9),
        Case("CRON_TZ= 0 0 * * *", .syntax, "CRON_TZ= needs a zone name", column: 1),
        Case("FOO=bar * * * * *", .syntax, "unknown prefix 'FOO='", column: 1),
        Case("CRON_DST_GAP=later 0 2 * * *", .unknownName, "unknown gap policy 'later' (allowed: auto, fireAtGapEnd, shiftByGap, skip)", column: 14),
        Case("CRON_DST_FOLD=twice 0 2 * * *", .unknownName, "unknown fold policy 'twice'", column: 15),
        Case("*-5 * * * *", .syntax, "unexpected '-' after '*'", column: 2),
        Case("1-2-3 * * * *", .syntax, "unexpected '-'", column: 4),
        Case("1/2/3 * * * *", .syntax, "unexpected '/'", column: 4),
        Case("5 * * * é", .syntax, "unexpected character 'é'", column: 9),
        Case("1000000000 * * * *", .outOfRange, "is too large", column: 1),
        Case("* * * * MON-", .syntax, "expected a number at the end of the item", column: 13),
        Case("*/ * * * *", .syntax, "expected a step at the end of the item", column: 3),
        Case("0 0 * * 1-x", .unknownName, "unknown weekday name 'X'", column: 11),
    ]

    @Test(arguments: cron)
    func cronErrors(_ c: Case) {
        do {
            let parsed = try CronExpression(c.input)
            Issue.record("expected an error, parsed \(parsed)")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            #expect(error.description.contains(c.says), "message: \(error)")
            if let column = c.column { #expect(error.column == column, "\(error)") }
        }
    }

    static let rrule: [Case] = [
        Case("FREQ=FORTNIGHTLY", .unknownName, "unknown frequency 'FORTNIGHTLY'"),
        Case("INTERVAL=2", .syntax, "FREQ is required"),
        Case("FREQ=DAILY;COUNT=5;UNTIL=20250101T000000Z", .invalidCombination, "COUNT and UNTIL cannot both be given"),
        Case("FREQ=DAILY;INTERVAL=0", .outOfRange, "INTERVAL at column 12: '0' is not a whole number from 1", column: 12),
        Case("FREQ=DAILY;COUNT=0", .outOfRange, "COUNT at column 12"),
        Case("FREQ=DAILY;COUNT=1000001", .outOfRange, "from 1 to 1000000"),
        Case("FREQ=DAILY;BYHOUR=24", .outOfRange, "BYHOUR at column 12: 24 is out of range 0…23"),
        Case("FREQ=DAILY;BYMINUTE=60", .outOfRange, "60 is out of range 0…59"),
        Case("FREQ=DAILY;BYSECOND=60", .outOfRange, "leap second"),
        Case("FREQ=MONTHLY;BYMONTHDAY=0", .outOfRange, "0 is out of range 1…31 or -31…-1"),
        Case("FREQ=MONTHLY;BYMONTHDAY=32", .outOfRange, "32 is out of range"),
        Case("FREQ=YEARLY;BYYEARDAY=367", .outOfRange, "367 is out of range 1…366"),
        Case("FREQ=YEARLY;BYWEEKNO=54", .outOfRange, "54 is out of range 1…53"),
        Case("FREQ=YEARLY;BYMONTH=13", .outOfRange, "13 is out of range 1…12"),
        Case("FREQ=YEARLY;BYMONTH=-1", .outOfRange, "-1 is out of range 1…12"),
        Case("FREQ=MONTHLY;BYSETPOS=1", .invalidCombination, "BYSETPOS needs another BYxxx part"),
        Case("FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO", .outOfRange, "0 is out of range 1…366"),
        Case("FREQ=MONTHLY;BYWEEKNO=20", .invalidCombination, "BYWEEKNO is only allowed with FREQ=YEARLY"),
        Case("FREQ=WEEKLY;BYMONTHDAY=1", .invalidCombination, "BYMONTHDAY is not allowed with FREQ=WEEKLY"),
        Case("FREQ=DAILY;BYYEARDAY=1", .invalidCombination, "BYYEARDAY is not allowed with FREQ=DAILY"),
        Case("FREQ=WEEKLY;BYDAY=1MO", .invalidCombination, "needs FREQ=MONTHLY or YEARLY"),
        Case("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", .invalidCombination, "cannot be combined with BYWEEKNO"),
        Case("FREQ=DAILY;BYDAY=XX", .unknownName, "'XX' is not a weekday"),
        Case("FREQ=MONTHLY;BYDAY=0MO", .outOfRange, "the ordinal must be 1…53"),
        Case("FREQ=MONTHLY;BYDAY=54MO", .outOfRange, "the ordinal must be 1…53"),
        Case("FREQ=DAILY;WKST=MONDAY", .unknownName, "'MONDAY' is not a weekday"),
        Case("FREQ=DAILY;FOO=1", .unsupported, "unknown rule part 'FOO'"),
        Case("FREQ=DAILY;RSCALE=HEBREW", .unsupported, "unknown rule part 'RSCALE'"),
        Case("FREQ=DAILY;FREQ=WEEKLY", .syntax, "FREQ appears more than once"),
        Case("FREQ=DAILY;BYMONTHDAY=1;", .syntax, "is not NAME=value"),
        Case("FREQ=DAILY;BYHOUR=", .syntax, "BYHOUR has no value"),
        Case("FREQ=DAILY;BYHOUR=9,,10", .syntax, "'' is not a whole number"),
        Case("FREQ=DAILY;UNTIL=20251301", .outOfRange, "is not an iCalendar date"),
        Case("DTSTART;TZID=Mars/Base:20250101T090000\nRRULE:FREQ=DAILY", .unknownTimeZone, "unknown time zone 'Mars/Base'"),
        Case("DTSTART:2025010T090000\nRRULE:FREQ=DAILY", .syntax, "is not an iCalendar date"),
        Case("DTSTART:20250230T090000\nRRULE:FREQ=DAILY", .outOfRange, "is not an iCalendar date"),
        Case("DTSTART:20250101T090000+0100\nRRULE:FREQ=DAILY", .syntax, "not a numeric offset"),
        Case("DTSTART;TZID=America/New_York:20250101T090000Z\nRRULE:FREQ=DAILY", .invalidCombination, "cannot also have a TZID"),
        Case("DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=HOURLY", .invalidCombination, "needs a DTSTART with a time"),
        Case("DTSTART;VALUE=DATE:20250101T090000\nRRULE:FREQ=DAILY", .invalidCombination, "VALUE=DATE but"),
        Case("DTSTART:20250101T090000Z\nEXRULE:FREQ=DAILY", .unsupported, "EXRULE was removed in RFC 5545"),
        Case("DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", .unsupported, "more than one RRULE"),
        Case("DTSTART:20250101T090000Z", .syntax, "no RRULE found"),
        Case("DTSTART:20250101T090000Z\nDTSTART:20250102T090000Z\nRRULE:FREQ=DAILY", .syntax, "DTSTART appears more than once"),
        Case("DTSTART:20250101T090000Z\nSUMMARY:x\nRRULE:FREQ=DAILY", .unsupported, "unsupported property 'SUMMARY'"),
        Case("DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY\nEXDATE:20250102T9", .syntax, "is not an iCalendar date"),
        Case("DTSTART:20250101T090000Z\nX-DOCKET-DTSTART:SOMETIMES\nRRULE:FREQ=DAILY", .unknownName, "ALWAYS or IF-MATCHING"),
        Case("   ", .syntax, "the rule is empty"),
        Case("FREQ=MONTHLY;BYMONTHDAY=-9223372036854775808", .outOfRange, "is out of range 1…31 or -31…-1"),
        Case("FREQ=YEARLY;BYSETPOS=-9223372036854775808;BYMONTH=1", .outOfRange, "is out of range 1…366"),
        Case("FREQ=MONTHLY;BYDAY=-9223372036854775808MO", .outOfRange, "the ordinal must be 1…53"),
        Case("FREQ=DAILY;INTERVAL=99999999999999999999", .outOfRange, "is not a whole number from 1 to 1000000"),
    ]

    @Test(arguments: rrule)
    func rruleErrors(_ c: Case) {
        do {
            let start = c.input.contains("DTSTART") ? nil : Date(timeIntervalSince1970: 1_735_722_000)
            let parsed = try RecurrenceRule(parsing: c.input, start: start)
            Issue.record("expected an error, parsed \(parsed)")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            #expect(error.description.contains(c.says), "message: \(error)")
            if let column = c.column { #expect(error.column == column, "\(error)") }
        }
    }

    @Test func ruleWithoutAnyStartSaysHowToGiveOne() {
        #expect {
            _ = try RecurrenceRule(parsing: "FREQ=DAILY")
        } throws: { error in
            (error as? ScheduleError)?.description.contains("the rule needs a start") == true
        }
    }

    static let others: [Case] = [
        Case("@every", .syntax, "@every needs a duration"),
        Case("@every 0s", .outOfRange, "between 1 ms and 100 years"),
        Case("@every 5x", .unknownName, "unknown unit 'x'"),
        Case("@every m", .syntax, "is not a duration"),
        Case("@every 5m jitter 10m", .outOfRange, "less than the period"),
        Case("@every 5m sometimes", .syntax, "unexpected 'sometimes'"),
        Case("@every 200000d", .outOfRange, "longer than 100 years"),
        Case("@every 200000000000d", .outOfRange, "longer than 100 years"),
        Case("@every 9223372036854775807ms", .outOfRange, "is too long"),
        Case("@at tomorrow", .syntax, "is not an ISO 8601 date-time"),
        Case("@at 2025-02-30T00:00:00Z", .outOfRange, "names no real date-time"),
        Case("@at", .syntax, "a one-shot schedule is '@at <ISO 8601 instant>'"),
    ]

    @Test(arguments: others)
    func scheduleErrors(_ c: Case) {
        do {
            let parsed = try Schedule(parsing: c.input)
            Issue.record("expected an error, parsed \(parsed)")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            #expect(error.description.contains(c.says), "message: \(error)")
        }
    }
}
