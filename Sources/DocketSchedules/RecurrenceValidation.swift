/// The combination rules of RFC 5545 §3.3.10 that a single part's range check cannot see.
enum RecurrenceValidation {
    /// Bounds shared by the parser and the convenience initializer. COUNT is bounded because an
    /// instance's position depends on every earlier one; INTERVAL so that period arithmetic
    /// cannot overflow.
    static let maxCount = 1_000_000
    static let maxInterval = 1_000_000

    /// Every value of a BYxxx list within `range` (or its negation, when `signed`; never 0
    /// unless the range holds it).
    static func check(_ values: [Int], _ part: String, _ range: ClosedRange<Int>, signed: Bool) throws(ScheduleError) {
        for v in values {
            // `magnitude`, not `abs`: abs(Int.min) traps.
            let ok = range.contains(v) || (signed && v < 0 && range.contains(Int(clamping: v.magnitude)))
            if !ok {
                let allowed = signed ? "\(range.lowerBound)…\(range.upperBound) or -\(range.upperBound)…-\(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)"
                throw ScheduleError(.outOfRange, "\(v) is out of range \(allowed)", part: part)
            }
        }
    }

    static func validate(_ d: RecurrenceRule.Definition) throws(ScheduleError) {
        let f = d.frequency
        if d.count != nil && d.until != nil {
            throw ScheduleError(.invalidCombination, "COUNT and UNTIL cannot both be given", part: "COUNT")
        }
        if let c = d.count, c < 1 || c > maxCount {
            throw ScheduleError(.outOfRange, "COUNT must be a whole number from 1 to \(maxCount), not \(c)", part: "COUNT")
        }
        if d.interval < 1 || d.interval > maxInterval {
            throw ScheduleError(.outOfRange, "INTERVAL must be a whole number from 1 to \(maxInterval), not \(d.interval)", part: "INTERVAL")
        }
        try check(d.bySecond, "BYSECOND", 0...59, signed: false)
        try check(d.byMinute, "BYMINUTE", 0...59, signed: false)
        try check(d.byHour, "BYHOUR", 0...23, signed: false)
        try check(d.byMonthDay, "BYMONTHDAY", 1...31, signed: true)
        try check(d.byYearDay, "BYYEARDAY", 1...366, signed: true)
        try check(d.byWeekNo, "BYWEEKNO", 1...53, signed: true)
        try check(d.byMonth, "BYMONTH", 1...12, signed: false)
        try check(d.bySetPos, "BYSETPOS", 1...366, signed: true)
        try check(d.byDay.compactMap(\.ordinal), "BYDAY", 1...53, signed: true)
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
        guard d.start.isValid else {
            throw ScheduleError(.outOfRange, "DTSTART is not a real date-time", part: "DTSTART")
        }
        guard (1...9999).contains(d.start.year) else {
            throw ScheduleError(.outOfRange, "DTSTART's year \(d.start.year) is outside 1…9999", part: "DTSTART")
        }
    }
}
