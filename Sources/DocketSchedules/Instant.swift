import Foundation

/// Conversions between `Date` and the whole seconds schedules compute in.
enum Instant {
    /// The supported span: years 1…9999, where civil arithmetic and ISO 8601 are unambiguous.
    static let range: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// The whole second at or before `date`, so that "strictly after `date`" is "at or after the
    /// result + 1" whether or not `date` has a fraction. Nil for non-finite or out-of-range dates.
    static func seconds(after date: Date) -> Int64? {
        let t = date.timeIntervalSince1970
        guard t.isFinite, t >= Double(range.lowerBound), t <= Double(range.upperBound) else { return nil }
        return Int64(t.rounded(.down))
    }

    /// `seconds(after:)` for the start of a search: a date before the span (such as
    /// `Date.distantPast`, two days before year 1, or -∞) asks for the first fire, so it reads
    /// as the second before the span. Nil for NaN and for dates after the span.
    static func seconds(searchingAfter date: Date) -> Int64? {
        let t = date.timeIntervalSince1970
        if !t.isNaN, t < Double(range.lowerBound) { return range.lowerBound - 1 }
        return seconds(after: date)
    }

    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(seconds))
    }

    /// `seconds` since 1970 cut to whole milliseconds (as `Interval` anchors and `@at` times
    /// are kept), after rounding to the microsecond: a time read back from its printed text
    /// (…58.614) may come back a hair below (…58.61399999) once seconds pass 2^31, and cutting
    /// that would lose a millisecond at each round trip.
    static func wholeMilliseconds(_ seconds: Double) -> Double {
        ((seconds * 1_000_000).rounded() / 1000).rounded(.down)
    }
}
