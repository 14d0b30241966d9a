import Foundation

/// A schedule that repeats after a fixed length of elapsed time.
///
/// Two modes:
/// - **Fixed rate**: fires at `anchor + k · period` for whole k, so it never drifts however late
///   a run is. The default anchor is the Unix epoch, which aligns periods that divide a day to
///   the UTC clock (`@every 15m` fires at :00, :15, :30, :45 UTC).
/// - **Fixed delay**: fires one period after the previous run *completed*; `next(after:)` is
///   then asked with the completion time.
///
/// An optional jitter bound lets the engine delay each occurrence by a random amount up to it;
/// the draw belongs to the engine (it journals it, so a replay sees the same value), the
/// schedule only carries the bound.
///
/// Text form (`Schedule(parsing:)` and `description`): `@every 1h30m`,
/// `@every 10m from 2025-01-01T00:00:07Z`, `@every 5m after completion`, and a trailing
/// `jitter 30s` on any of them. Units: `ms`, `s`, `m`, `h`, `d`.
public struct Interval: Sendable, Hashable, CustomStringConvertible {
    /// How occurrences are spaced.
    public enum Mode: Sendable, Hashable {
        /// `anchor + k · period`.
        case fixedRate(anchor: Date)
        /// One period after each completion.
        case fixedDelay
    }

    /// The period in milliseconds (at least 1).
    public let periodMilliseconds: Int64
    /// How occurrences are spaced.
    public let mode: Mode
    /// The largest random delay the engine may add to an occurrence, in milliseconds (0 = none).
    public let jitterMilliseconds: Int64

    /// Creates an interval schedule.
    ///
    /// - Parameters:
    ///   - period: the spacing; at least one millisecond, at most 100 years.
    ///   - mode: fixed rate (anchored; default anchor the Unix epoch) or fixed delay.
    ///   - jitter: the largest random delay per occurrence; less than the period.
    public init(every period: Duration, mode: Mode = .fixedRate(anchor: Date(timeIntervalSince1970: 0)), jitter: Duration = .zero) throws(ScheduleError) {
        let ms = Self.milliseconds(period)
        guard ms >= 1, ms <= Self.maxMilliseconds else {
            throw ScheduleError(.outOfRange, "the period must be between 1 ms and 100 years", part: "interval")
        }
        let jitterMs = Self.milliseconds(jitter)
        guard jitterMs >= 0, jitterMs < ms else {
            throw ScheduleError(.outOfRange, "the jitter must be at least 0 and less than the period", part: "jitter")
        }
        var normalized = mode
        if case .fixedRate(let anchor) = mode {
            guard anchor.timeIntervalSince1970.isFinite, Instant.seconds(after: anchor) != nil else {
                throw ScheduleError(.outOfRange, "the anchor must be a date in years 1…9999", part: "from")
            }
            // Whole milliseconds, like the period: the canonical text then carries the anchor
            // exactly and a stored schedule reloads equal.
            normalized = .fixedRate(anchor: Date(timeIntervalSince1970: Instant.wholeMilliseconds(anchor.timeIntervalSince1970) / 1000))
        }
        periodMilliseconds = ms
        self.mode = normalized
        jitterMilliseconds = jitterMs
    }

    static let maxMilliseconds: Int64 = 100 * 366 * 86_400_000

    /// Whole milliseconds of `d`, saturated to ±Int64.max/2 so that a huge duration fails the
    /// range check instead of overflowing.
    static func milliseconds(_ d: Duration) -> Int64 {
        // Compared as durations first: `components` traps beyond 2^63 seconds.
        let limit = Int64.max / 2_000
        if d > .seconds(limit) { return Int64.max / 2 }
        if d < .seconds(-limit) { return Int64.min / 2 }
        let (seconds, attoseconds) = d.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The period.
    public var period: Duration { .milliseconds(periodMilliseconds) }
    /// The jitter bound.
    public var jitter: Duration { .milliseconds(jitterMilliseconds) }

    /// For a fixed rate, the first `anchor + k · period` strictly after `date` (k may be
    /// negative: the anchor may lie in the future). For a fixed delay, `date + period`, where
    /// `date` is when the previous run completed.
    public func next(after date: Date) -> Date? {
        let t = date.timeIntervalSince1970
        guard t.isFinite, t < Double(Instant.range.upperBound) - Double(periodMilliseconds) / 1000 else { return nil }
        switch mode {
        case .fixedDelay:
            return Date(timeIntervalSince1970: t + Double(periodMilliseconds) / 1000)
        case .fixedRate(let anchor):
            // Work in whole milliseconds relative to the anchor so no error accumulates.
            let anchorMs = (anchor.timeIntervalSince1970 * 1000).rounded()
            let sinceAnchor = (t * 1000).rounded(.down) - anchorMs
            guard abs(sinceAnchor) < 9e15 else { return nil }
            let k = CivilCalendar.floorDiv(Int64(sinceAnchor), periodMilliseconds) + 1
            let ms = anchorMs + Double(k) * Double(periodMilliseconds)
            let result = Date(timeIntervalSince1970: ms / 1000)
            return result > date ? result : Date(timeIntervalSince1970: (ms + Double(periodMilliseconds)) / 1000)
        }
    }

    /// The canonical text, e.g. `@every 1h30m from 2025-01-01T00:00:07Z jitter 30s`.
    public var description: String {
        var text = "@every " + Self.format(periodMilliseconds)
        switch mode {
        case .fixedDelay:
            text += " after completion"
        case .fixedRate(let anchor):
            if anchor.timeIntervalSince1970 != 0 {
                var stamp = ISO8601.string(from: anchor, in: ZoneName.timeZone("UTC"))
                if stamp.hasSuffix("+00:00") { stamp = String(stamp.dropLast(6)) + "Z" }
                text += " from " + stamp
            }
        }
        if jitterMilliseconds > 0 { text += " jitter " + Self.format(jitterMilliseconds) }
        return text
    }

    /// Parses the text form.
    static func parse(_ text: String) throws(ScheduleError) -> Interval {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.first?.lowercased() == "@every" else {
            throw ScheduleError(.syntax, "an interval starts with @every, e.g. @every 15m")
        }
        guard words.count >= 2 else {
            throw ScheduleError(.syntax, "@every needs a duration such as 30s, 15m, 1h30m or 2d", part: "interval")
        }
        let period = try parseDuration(words[1], part: "interval")
        var mode: Mode = .fixedRate(anchor: Date(timeIntervalSince1970: 0))
        var jitter: Duration = .zero
        var i = 2
        while i < words.count {
            switch words[i].lowercased() {
            case "from" where i + 1 < words.count:
                mode = .fixedRate(anchor: try ISO8601.date(from: words[i + 1], timeZone: ZoneName.timeZone("UTC")))
                i += 2
            case "after" where i + 1 < words.count && words[i + 1].lowercased() == "completion":
                mode = .fixedDelay
                i += 2
            case "jitter" where i + 1 < words.count:
                jitter = try parseDuration(words[i + 1], part: "jitter")
                i += 2
            default:
                throw ScheduleError(.syntax, "unexpected '\(words[i])' in an interval (allowed after the duration: from <ISO 8601 instant>, after completion, jitter <duration>)", part: "interval")
            }
        }
        return try Interval(every: period, mode: mode, jitter: jitter)
    }

    static let units: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]

    /// `1h30m`, `90s`, `500ms`, `2d`: numbers each followed by a unit.
    static func parseDuration(_ text: String, part: String) throws(ScheduleError) -> Duration {
        var total: Int64 = 0
        let b = Array(text.lowercased().utf8)
        var i = 0
        guard !b.isEmpty else { throw ScheduleError(.syntax, "empty duration", part: part) }
        while i < b.count {
            var n: Int64 = 0
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                n = n * 10 + Int64(b[i] - 48)
                i += 1
                if n > 1_000_000_000_000 { throw ScheduleError(.outOfRange, "duration '\(text)' is too long", part: part) }
            }
            guard i > start else {
                throw ScheduleError(.syntax, "'\(text)' is not a duration; write numbers with units, e.g. 90s, 15m, 1h30m, 500ms, 2d", part: part)
            }
            let unitStart = i
            while i < b.count, b[i] >= 97, b[i] <= 122 { i += 1 }
            let unit = String(decoding: b[unitStart..<i], as: UTF8.self)
            guard let factor = units.first(where: { $0.0 == unit })?.1 else {
                throw ScheduleError(.unknownName, "unknown unit '\(unit)' in '\(text)' (allowed: ms, s, m, h, d)", part: part)
            }
            if n > maxMilliseconds / factor { throw ScheduleError(.outOfRange, "duration '\(text)' is longer than 100 years", part: part) }
            total += n * factor
            if total > maxMilliseconds { throw ScheduleError(.outOfRange, "duration '\(text)' is longer than 100 years", part: part) }
        }
        return .milliseconds(total)
    }

    static func format(_ ms: Int64) -> String {
        var rest = ms
        var text = ""
        for (unit, factor) in units where rest >= factor {
            text += "\(rest / factor)\(unit)"
            rest %= factor
        }
        return text.isEmpty ? "0s" : text
    }
}
