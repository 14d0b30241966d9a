import Foundation

/// A cron expression evaluated in a time zone, with an exact rule for DST days.
///
/// Accepted forms (spec/cron.md §1.2):
/// - 5 fields `minute hour day-of-month month day-of-week` (Vixie), 6 fields with seconds first
///   (Quartz order), 7 fields with a year (1970…2199) last.
/// - Lists `a,b`, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n` (= `a`-max`/n`), names `JAN`…`DEC`
///   and `SUN`…`SAT` (any case), 0 and 7 = Sunday, `?` = `*` in the day fields, Quartz `L`,
///   `L-n`, `nW`, `LW` (day-of-month) and `xL`, `x#k` (day-of-week).
/// - Macros `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
/// - A `CRON_TZ=Zone ` or `TZ=Zone ` prefix, and Docket's `CRON_DST_GAP=` / `CRON_DST_FOLD=`
///   prefixes for the DST overrides.
///
/// Day rule (Vixie/cronie): when the day-of-month or the day-of-week field begins with `*` or
/// `?`, a day must match both; otherwise either one suffices (`0 0 1,15 * FRI` = the 1st, the
/// 15th and every Friday).
///
/// DST rule (cronie's): an expression is *fixed-time* when none of its seconds, minute and hour
/// fields begins with `*`. A wall time that occurs twice fires once (the first time) for a
/// fixed-time expression and at both instants for a wildcard one. A wall time inside a gap fires,
/// for a fixed-time expression, once at the first instant after the gap (all matches in one gap
/// coalesce); wildcard expressions skip the gap. `gapPolicy` and `foldPolicy` override this.
///
/// ```swift
/// let cron = try CronExpression("30 2 * * *", timeZone: TimeZone(identifier: "America/New_York")!)
/// cron.next(after: saturdayNoon)   // 2025-03-09T03:00:00-04:00: 02:30 did not exist that night
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    var matcher: CronMatcher
    /// Whether the seconds, minute or hour field begins with `*`: such expressions are
    /// "wildcard" for the DST rule.
    var secondStar: Bool
    var minuteStar: Bool
    var hourStar: Bool
    let zone: ZoneRules

    /// How wall times skipped by a DST change are handled.
    public var gapPolicy: GapPolicy
    /// How wall times repeated by a DST change are handled.
    public var foldPolicy: FoldPolicy

    /// Parses `text`.
    ///
    /// - Parameters:
    ///   - text: the expression; a `CRON_TZ=`/`TZ=` prefix in it takes precedence over `timeZone`.
    ///   - timeZone: the zone whose wall clock the fields describe (default UTC).
    ///   - gapPolicy: DST gap handling; a `CRON_DST_GAP=` prefix in `text` takes precedence.
    ///   - foldPolicy: DST fold handling; a `CRON_DST_FOLD=` prefix in `text` takes precedence.
    /// - Throws: `ScheduleError` naming the field, the column and what is allowed; also when the
    ///   expression can never fire (`0 0 30 2 *`).
    public init(
        _ text: String,
        timeZone: TimeZone? = nil,
        gapPolicy: GapPolicy = .auto,
        foldPolicy: FoldPolicy = .auto
    ) throws(ScheduleError) {
        let parsed = try CronParser.parse(text)
        let zoneID = parsed.zone ?? timeZone.map(ZoneName.canonical) ?? "UTC"
        zone = try ZoneName.rules(for: zoneID)
        matcher = parsed.matcher
        secondStar = parsed.secondStar
        minuteStar = parsed.minuteStar
        hourStar = parsed.hourStar
        self.gapPolicy = parsed.gapPolicy ?? gapPolicy
        self.foldPolicy = parsed.foldPolicy ?? foldPolicy
    }

    /// The zone whose wall clock the expression describes.
    public var timeZone: TimeZone { ZoneName.timeZone(zone.identifier) }

    /// Whether the DST rule treats this as a fixed-time expression (none of the seconds, minute
    /// and hour fields begins with `*`).
    public var isFixedTime: Bool { !(secondStar || minuteStar || hourStar) }

    /// The first fire time strictly after `date`, or nil if there is none within 400 years
    /// (a full Gregorian cycle) of it.
    public func next(after date: Date) -> Date? {
        guard let after = Instant.seconds(searchingAfter: date), let t = nextInstant(after: after),
              t <= Instant.range.upperBound else { return nil }
        return Date(timeIntervalSince1970: Double(t))
    }

    /// How far `next(after:)` searches: one full 400-year Gregorian cycle.
    static let horizon: Int64 = 146_097 * 86_400

    /// The first fire instant (seconds since 1970) strictly after `a`.
    func nextInstant(after a: Int64) -> Int64? {
        let rules = zone
        let limit = a &+ Self.horizon
        if rules.isFixed {
            let o = rules.offsets[0]
            return matcher.nextMatch(from: a + 1 + o, before: limit + o).map { $0 - o }
        }
        let fixed = isFixedTime
        let gap = gapPolicy == .auto ? (fixed ? .fireAtGapEnd : .skip) : gapPolicy
        let fold = foldPolicy == .auto ? (fixed ? .first : .both) : foldPolicy
        let lastSegment = rules.lastSegment

        // Walk the zone's constant-offset segments in time order. Within one segment wall time
        // and instants move together, so the first wall-time match is the first instant; the
        // only irregular places are the transitions that open and close it.
        var i = rules.segment(containing: a)
        while true {
            let s = rules.segmentStart(i)
            let e = rules.segmentEnd(i)
            let o = rules.offset(ofSegment: i)
            if s > limit { return nil }
            var best: Int64?

            if i > 0, o > rules.offset(ofSegment: i - 1) {
                // This segment opens with a gap: wall times [s + before, s + o) never happen.
                let before = rules.offset(ofSegment: i - 1)
                switch gap {
                case .fireAtGapEnd where s > a:
                    if matcher.nextMatch(from: s + before, before: s + o) != nil { best = s }
                case .shiftByGap:
                    if let w = matcher.nextMatch(from: max(s + before, a + 1 + before), before: s + o) {
                        best = w - before
                    }
                default:
                    break
                }
            }

            var lo = max(a + 1, s) + o
            if i > 0, o < rules.offset(ofSegment: i - 1), fold == .first {
                // This segment opens with a fold: wall times [s + o, s + before) are their
                // second occurrence.
                lo = max(lo, s + rules.offset(ofSegment: i - 1))
            }
            var hi = (e == Int64.max || e > limit) ? limit + o : e + o
            if i < lastSegment, rules.offset(ofSegment: i + 1) < o, fold == .last {
                // A fold closes this segment: wall times [e + after, e + o) recur after it.
                hi = min(hi, e + rules.offset(ofSegment: i + 1))
            }
            if lo < hi, let w = matcher.nextMatch(from: lo, before: hi) {
                best = min(best ?? (w - o), w - o)
            }
            if let best { return best }
            if e == Int64.max || e > limit { return nil }
            i += 1
        }
    }

    /// The canonical text: parsing it gives back an equal expression.
    public var description: String {
        CronParser.canonicalText(self)
    }

    /// Equal when the fields mean the same (`7` and `0` for Sunday, `@daily` and `0 0 * * *`),
    /// in the same zone, with the same DST policies.
    public static func == (a: CronExpression, b: CronExpression) -> Bool {
        a.matcher == b.matcher && a.secondStar == b.secondStar && a.minuteStar == b.minuteStar
            && a.hourStar == b.hourStar && a.zone.identifier == b.zone.identifier
            && a.gapPolicy == b.gapPolicy && a.foldPolicy == b.foldPolicy
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(matcher)
        hasher.combine(zone.identifier)
        hasher.combine(gapPolicy)
        hasher.combine(foldPolicy)
        hasher.combine(isFixedTime)
    }
}

extension CronExpression: Codable {
    /// Decodes the canonical text.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    /// Encodes the canonical text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
