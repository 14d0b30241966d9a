/// Proleptic Gregorian calendar arithmetic on plain integers.
///
/// Foundation's `Calendar` is both slow (hundreds of nanoseconds per field extraction) and
/// policy-laden at DST gaps, so schedules do their own civil arithmetic: wall-clock date-times are
/// counted as seconds since 1970-01-01T00:00:00 *local*, and zones are applied separately
/// (`ZoneRules`). The day-count conversions are Howard Hinnant's `days_from_civil` /
/// `civil_from_days`, exact for every year representable in `Int64` arithmetic we use.
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    @inline(__always)
    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    @inline(__always)
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    @inline(__always)
    static func daysInYear(_ year: Int) -> Int { isLeapYear(year) ? 366 : 365 }

    /// Days since 1970-01-01 of the civil date `year-month-day` (month 1…12, day 1…31).
    @inline(__always)
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    @inline(__always)
    static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Day of week of a day count: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    @inline(__always)
    static func weekday(ofDays days: Int64) -> Int {
        let r = (days + 4) % 7
        return Int(r >= 0 ? r : r + 7)
    }

    /// Day of week of a civil date: 0 = Sunday … 6 = Saturday.
    @inline(__always)
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        weekday(ofDays: daysFromCivil(year: year, month: month, day: day))
    }

    /// Floor division, because Swift's `/` truncates toward zero and pre-1970 values are negative.
    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }
}

/// A wall-clock date-time with no zone attached (what a clock on the wall shows).
struct LocalDateTime: Hashable, Comparable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Decomposes seconds since 1970-01-01T00:00:00 local.
    init(localSeconds: Int64) {
        let days = CivilCalendar.floorDiv(localSeconds, CivilCalendar.secondsPerDay)
        let secs = Int(localSeconds - days * CivilCalendar.secondsPerDay)
        let (y, m, d) = CivilCalendar.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    /// Seconds since 1970-01-01T00:00:00 local.
    var localSeconds: Int64 {
        CivilCalendar.daysFromCivil(year: year, month: month, day: day) * CivilCalendar.secondsPerDay
            + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Whether the fields name a real calendar date and a time of day (no leap seconds).
    var isValid: Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= CivilCalendar.daysInMonth(year: year, month: month)
            && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60
    }

    static func < (a: LocalDateTime, b: LocalDateTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }
}
