import Foundation

/// Engine time: whole microseconds since the Unix epoch. Integer time keeps replay exact
/// (no floating-point drift between the run that wrote a record and the one that reads it).
typealias Micros = Int64

enum Time {
    /// Microseconds of `date`, clamped to a range that no arithmetic here can overflow.
    static func micros(_ date: Date) -> Micros {
        let t = date.timeIntervalSince1970 * 1e6
        guard t.isFinite else { return t > 0 ? limit : -limit }
        return Micros(max(-Double(limit), min(Double(limit), t.rounded())))
    }

    static func date(_ micros: Micros) -> Date { Date(timeIntervalSince1970: Double(micros) / 1e6) }

    /// Microseconds of `duration`, clamped like `micros(_:)`.
    static func micros(_ duration: Duration) -> Micros {
        // Compared as durations first: `components` traps beyond 2^63 seconds, and a Duration
        // holds ~1.7e20 (`.seconds(1e20)` is a valid value a caller can pass).
        if duration > limitDuration { return limit }
        if duration < .zero - limitDuration { return -limit }
        let (s, a) = duration.components
        return max(-limit, min(limit, s * 1_000_000 + a / 1_000_000_000_000))
    }

    private static let limitDuration = Duration.microseconds(limit)

    static func duration(_ micros: Micros) -> Duration { .microseconds(micros) }

    /// About ±126,000 years: far beyond any date a schedule produces, far from Int64 overflow.
    static let limit: Micros = 4_000_000_000_000_000_000

    /// Saturating addition, so a huge delay or timeout cannot trap.
    static func add(_ a: Micros, _ b: Micros) -> Micros {
        let (r, o) = a.addingReportingOverflow(b)
        if o { return b > 0 ? limit : -limit }
        return max(-limit, min(limit, r))
    }
}
