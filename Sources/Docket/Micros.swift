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

    /// The earliest `Date` that reads as `micros` (or later) through `micros(_:)`: what a sleep
    /// until engine time `micros` waits for. `date(_:)` can lie a fraction of a microsecond
    /// after a clock reading that already rounds to `micros`; a clock that compares `Date`s
    /// (`ManualClock` advanced by whole milliseconds, say) then never woke the loop for a task
    /// the engine reads as due. Reading is monotonic, so once a clock passes this `Date` the
    /// engine reads the time as reached, and the loop cannot wake early and sleep again.
    static func wakeDate(_ micros: Micros) -> Date {
        func reads(_ r: Double) -> Micros { Self.micros(Date(timeIntervalSinceReferenceDate: r)) }
        var r = date(micros).timeIntervalSinceReferenceDate
        // A few steps of the `Double`'s spacing either way (bounded all the same: far from the
        // epoch one step is more than a microsecond).
        var steps = 0
        while steps < 64, reads(r) < micros { r = r.nextUp; steps += 1 }
        while steps < 128, reads(r.nextDown) >= micros { r = r.nextDown; steps += 1 }
        return Date(timeIntervalSinceReferenceDate: r)
    }

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
