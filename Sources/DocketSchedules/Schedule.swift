import Foundation

/// When something should run: a cron expression, an RFC 5545 recurrence, an interval or a single
/// instant.
///
/// Every schedule answers one question, `next(after:)`: the first fire time strictly after an
/// instant. It is stateless and deterministic, so a scheduler can recompute it after a restart
/// and get the same answer. Every schedule prints a canonical text that parses back to an equal
/// value, which is how schedules are stored and shown.
///
/// ```swift
/// let s = try Schedule(parsing: "CRON_TZ=Europe/London 30 1 * * *")
/// for fire in s.fires(after: .now).prefix(3) { print(fire) }
/// let every = try Schedule(parsing: "@every 15m")
/// let once = try Schedule(parsing: "@at 2026-01-01T00:00:00Z")
/// let rule = try Schedule(parsing: "DTSTART;TZID=America/New_York:20250101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO")
/// ```
public enum Schedule: Sendable, Hashable, CustomStringConvertible {
    /// A cron expression.
    case cron(CronExpression)
    /// An RFC 5545 recurrence (DTSTART, RRULE, RDATE, EXDATE).
    case recurrence(RecurrenceRule)
    /// A fixed rate or fixed delay.
    case interval(Interval)
    /// A single instant.
    case once(OneShot)

    /// Parses any schedule text: `@every …` is an interval, `@at …` a one-shot, text with
    /// `FREQ=` / `RRULE:` / `DTSTART` a recurrence, anything else a cron expression.
    ///
    /// - Parameter timeZone: the zone for cron fields and floating RRULE times when the text
    ///   names none (default UTC), and for `@at` times without an offset.
    public init(parsing text: String, timeZone: TimeZone? = nil) throws(ScheduleError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = trimmed.lowercased()
        if lower.hasPrefix("@every") {
            self = .interval(try Interval.parse(trimmed))
        } else if lower.hasPrefix("@at") {
            self = .once(try OneShot.parse(trimmed, timeZone: timeZone ?? ZoneName.timeZone("UTC")))
        } else if lower.contains("freq=") || lower.hasPrefix("rrule") || lower.hasPrefix("dtstart") {
            self = .recurrence(try RecurrenceRule(parsing: trimmed, timeZone: timeZone))
        } else {
            self = .cron(try CronExpression(trimmed, timeZone: timeZone))
        }
    }

    /// The first fire time strictly after `date`, or nil when the schedule has no more.
    public func next(after date: Date) -> Date? {
        switch self {
        case .cron(let c): return c.next(after: date)
        case .recurrence(let r): return r.next(after: date)
        case .interval(let i): return i.next(after: date)
        case .once(let o): return o.next(after: date)
        }
    }

    /// The fire times after `date`, lazily, in order.
    public func fires(after date: Date) -> Fires { Fires(schedule: self, after: date) }

    /// A lazy sequence of fire times.
    public struct Fires: Sequence, IteratorProtocol, Sendable {
        let schedule: Schedule
        var cursor: Date?
        /// A recurrence keeps its walk instead of answering `next(after:)` afresh each time.
        var recurrence: RecurrenceCursor?

        init(schedule: Schedule, after: Date) {
            self.schedule = schedule
            cursor = after
            if case .recurrence(let rule) = schedule {
                recurrence = Instant.seconds(searchingAfter: after).map { RecurrenceCursor(rule.compiled, after: $0) }
                if recurrence == nil { cursor = nil }
            }
        }

        /// The next fire time, or nil at the end.
        public mutating func next() -> Date? {
            if recurrence != nil {
                return recurrence?.next().map(Instant.date)
            }
            guard let c = cursor, let n = schedule.next(after: c) else {
                cursor = nil
                return nil
            }
            cursor = n
            return n
        }
    }

    /// The canonical text.
    public var description: String {
        switch self {
        case .cron(let c): return c.description
        case .recurrence(let r): return r.description
        case .interval(let i): return i.description
        case .once(let o): return o.description
        }
    }
}

extension Schedule: Codable {
    /// Decodes the canonical text.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    /// Encodes the canonical text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
