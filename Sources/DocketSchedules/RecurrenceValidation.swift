/// The combination rules of RFC 5545 §3.3.10 that a single part's range check cannot see.
enum RecurrenceValidation {
    static func validate(_ d: RecurrenceRule.Definition) throws(ScheduleError) {
        let f = d.frequency
        if d.count != nil && d.until != nil {
            throw ScheduleError(.invalidCombination, "COUNT and UNTIL cannot both be given", part: "COUNT")
        }
        if let c = d.count, c < 1 {
            throw ScheduleError(.outOfRange, "COUNT must be at least 1, not \(c)", part: "COUNT")
        }
        if d.interval < 1 {
            throw ScheduleError(.outOfRange, "INTERVAL must be at least 1, not \(d.interval)", part: "INTERVAL")
        }
        if !d.byWeekNo.isEmpty && f != .yearly {
            throw ScheduleError(.invalidCombination, "BYWEEKNO is only allowed with FREQ=YEARLY", part: "BYWEEKNO")
        }
        if !d.byYearDay.isEmpty && (f == .daily || f == .weekly || f == .monthly) {
            throw ScheduleError(.invalidCombination, "BYYEARDAY is not allowed with FREQ=\(f.rawValue) (only YEARLY, HOURLY, MINUTELY, SECONDLY)", part: "BYYEARDAY")
        }
        if !d.byMonthDay.isEmpty && f == .weekly {
            throw ScheduleError(.invalidCombination, "BYMONTHDAY is not allowed with FREQ=WEEKLY", part: "BYMONTHDAY")
        }
        if d.byDay.contains(where: { $0.ordinal != nil }) {
            if f != .monthly && f != .yearly {
                throw ScheduleError(.invalidCombination, "BYDAY with an ordinal (such as 2MO) needs FREQ=MONTHLY or YEARLY, not \(f.rawValue)", part: "BYDAY")
            }
            if f == .yearly && !d.byWeekNo.isEmpty {
                throw ScheduleError(.invalidCombination, "BYDAY with an ordinal cannot be combined with BYWEEKNO", part: "BYDAY")
            }
        }
        if !d.bySetPos.isEmpty && d.bySecond.isEmpty && d.byMinute.isEmpty && d.byHour.isEmpty && d.byDay.isEmpty
            && d.byMonthDay.isEmpty && d.byYearDay.isEmpty && d.byWeekNo.isEmpty && d.byMonth.isEmpty {
            throw ScheduleError(.invalidCombination, "BYSETPOS needs another BYxxx part to select from", part: "BYSETPOS")
        }
        if d.startIsDate && (f == .hourly || f == .minutely || f == .secondly) {
            throw ScheduleError(.invalidCombination, "FREQ=\(f.rawValue) needs a DTSTART with a time, not a DATE", part: "DTSTART")
        }
        for v in d.byMonthDay where v == 0 || abs(v) > 31 {
            throw ScheduleError(.outOfRange, "\(v) is out of range 1…31 or -31…-1", part: "BYMONTHDAY")
        }
        for v in d.byMonth where v < 1 || v > 12 {
            throw ScheduleError(.outOfRange, "\(v) is out of range 1…12", part: "BYMONTH")
        }
        guard d.start.isValid else {
            throw ScheduleError(.outOfRange, "DTSTART is not a real date-time", part: "DTSTART")
        }
        guard (1...9999).contains(d.start.year) else {
            throw ScheduleError(.outOfRange, "DTSTART's year \(d.start.year) is outside 1…9999", part: "DTSTART")
        }
    }
}
