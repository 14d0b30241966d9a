import Foundation

/// ISO 8601 instants the way schedules print and read them: with the local offset of a zone.
///
/// ```swift
/// let ny = TimeZone(identifier: "America/New_York")!
/// ISO8601.string(from: date, in: ny)                    // "2025-03-09T03:00:00-04:00"
/// try ISO8601.date(from: "2025-03-09T03:00", timeZone: ny) // wall time in New York
/// ```
public enum ISO8601 {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS±HH:MM` with the offset `timeZone` has at that
    /// instant (`+00:00` for UTC). A fraction of a second is printed only when there is one;
    /// offsets with seconds (local mean time before 1900) print them.
    /// Dates outside years 1…9999 (or not finite) print as `invalid-date`.
    public static func string(from date: Date, in timeZone: TimeZone) -> String {
        let t = date.timeIntervalSince1970
        guard t.isFinite, t >= Double(Instant.range.lowerBound), t < Double(Instant.range.upperBound) + 1 else {
            return "invalid-date"
        }
        var whole = t.rounded(.down)
        // Whole microseconds, carrying into the seconds (0.9999996 s prints as the next second).
        var micros = Int64(((t - whole) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            micros -= 1_000_000
            whole += 1
        }
        let rules = (try? ZoneName.rules(for: ZoneName.canonical(timeZone))) ?? ZoneRules.utc
        return format(seconds: Int64(whole), micros: micros, rules: rules)
    }

    /// `seconds` and `micros` (0…999,999) since 1970 as UTC text (`…+00:00`), exactly: no
    /// trip through `Date`, whose `Double` loses microseconds after 2106. Nil outside years
    /// 1…9999.
    package static func utcString(seconds: Int64, micros: Int64) -> String? {
        guard Instant.range.contains(seconds), (0..<1_000_000).contains(micros) else { return nil }
        return format(seconds: seconds, micros: micros, rules: .utc)
    }

    static func format(seconds: Int64, micros: Int64 = 0, rules: ZoneRules) -> String {
        let offset = rules.offset(at: seconds)
        let local = LocalDateTime(localSeconds: seconds + offset)
        var text = pad(local.year, 4) + "-" + pad(local.month, 2) + "-" + pad(local.day, 2) + "T"
            + pad(local.hour, 2) + ":" + pad(local.minute, 2) + ":" + pad(local.second, 2)
        if micros > 0 {
            var digits = pad(Int(micros), 6)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        text += sign + pad(Int(a / 3600), 2) + ":" + pad(Int(a / 60 % 60), 2)
        if a % 60 != 0 { text += ":" + pad(Int(a % 60), 2) }
        return text
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(abs(n))
        return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// Parses an instant. Accepted: `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH[:MM]]`, a space instead
    /// of `T`, and the basic form `YYYYMMDD[THHMMSS][Z]` of iCalendar. Without an offset the text
    /// is a wall time in `timeZone`; one that a DST change skips is read with the offset from
    /// before the change, one that occurs twice means the first occurrence (RFC 5545 §3.3.5).
    public static func date(from text: String, timeZone: TimeZone) throws(ScheduleError) -> Date {
        let parsed = try parse(text)
        if let offset = parsed.offset {
            return Date(timeIntervalSince1970: Double(parsed.local.localSeconds - offset) + parsed.fraction)
        }
        let rules = try ZoneName.rules(for: ZoneName.canonical(timeZone))
        return Date(timeIntervalSince1970: Double(rules.instant(local: parsed.local.localSeconds)) + parsed.fraction)
    }

    struct Parsed {
        var local: LocalDateTime
        var fraction: Double
        /// Seconds east of UTC, when the text carries an offset or `Z`.
        var offset: Int64?
        /// Whether only a date was given (an iCalendar DATE value).
        var dateOnly: Bool
    }

    static func parse(_ text: String) throws(ScheduleError) -> Parsed {
        let b = Array(text.utf8)
        var i = 0
        func fail(_ reason: String) -> ScheduleError {
            ScheduleError(.syntax, "'\(text)' is not an ISO 8601 date-time: \(reason); expected e.g. 2025-03-09T03:00:00-04:00, 2025-03-09T03:00 or 20250309T030000Z", column: i + 1)
        }
        func digits(_ n: Int) throws(ScheduleError) -> Int {
            guard i + n <= b.count else { throw fail("it ends too early") }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { throw fail("expected a digit") }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func accept(_ c: Character) -> Bool {
            if i < b.count, let a = c.asciiValue, b[i] == a { i += 1; return true }
            return false
        }
        let year = try digits(4)
        let extended = accept("-")
        let month = try digits(2)
        if extended, !accept("-") { throw fail("expected '-' after the month") }
        let day = try digits(2)
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var dateOnly = true
        if accept("T") || accept(" ") || accept("t") {
            dateOnly = false
            hour = try digits(2)
            if extended {
                if !accept(":") { throw fail("expected ':' after the hour") }
                minute = try digits(2)
                if accept(":") { second = try digits(2) }
            } else {
                minute = try digits(2)
                second = try digits(2)
            }
            if accept(".") || accept(",") {
                var scale = 0.1
                var any = false
                while i < b.count, b[i] >= 48 && b[i] <= 57 {
                    fraction += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                if !any { throw fail("expected digits after the decimal point") }
            }
        }
        var offset: Int64?
        if accept("Z") || accept("z") {
            offset = 0
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let negative = b[i] == UInt8(ascii: "-")
            i += 1
            let oh = try digits(2)
            var om = 0, os = 0
            if accept(":") {
                om = try digits(2)
                if accept(":") { os = try digits(2) }
            } else if i + 2 <= b.count {
                om = try digits(2)
            }
            guard oh <= 18, om < 60, os < 60 else { throw fail("the offset is out of range") }
            let total = Int64(oh * 3600 + om * 60 + os)
            offset = negative ? -total : total
        }
        if i != b.count { throw fail("unexpected text at the end") }
        let local = LocalDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard local.isValid else {
            throw ScheduleError(.outOfRange, "'\(text)' names no real date-time (month 1…12, a day the month has, hour 0…23, minute and second 0…59; leap seconds are not supported)")
        }
        return Parsed(local: local, fraction: fraction, offset: offset, dateOnly: dateOnly)
    }
}
