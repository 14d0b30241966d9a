import Foundation

/// An RFC 5545 recurrence: DTSTART, one RRULE, and optional RDATE and EXDATE.
///
/// All of RFC 5545 §3.3.10 is supported: `FREQ` (SECONDLY…YEARLY), `INTERVAL`, `COUNT` or
/// `UNTIL`, `BYSECOND`, `BYMINUTE`, `BYHOUR`, `BYDAY` (with ordinals for MONTHLY/YEARLY),
/// `BYMONTHDAY`, `BYYEARDAY`, `BYWEEKNO`, `BYMONTH`, `BYSETPOS` and `WKST`.
///
/// Decisions where the RFC leaves room (spec/rrule.md §4):
/// - DTSTART is always the first instance and counts toward `COUNT`, even when it does not
///   match the pattern (the RFC reading); `startPolicy: .onlyIfMatching` gives the
///   "pattern only" reading of python-dateutil instead.
/// - A wall time that a DST change skips is read with the offset from before the change (02:30
///   becomes 03:30); one that occurs twice means its first occurrence (§3.3.5). Instances that
///   land on the same instant count once, before `COUNT` is applied.
/// - SECONDLY, MINUTELY and HOURLY step in elapsed time from DTSTART, so an hourly rule fires
///   every 3,600 seconds straight through a DST change.
/// - Invalid dates (February 30, a fifth Monday that does not exist) are skipped, not clamped.
///
/// ```swift
/// let rule = try RecurrenceRule(parsing: """
///     DTSTART;TZID=America/New_York:19970902T090000
///     RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2
///     """)
/// rule.next(after: someDate)   // the second-to-last weekday of the month, 09:00 New York
/// ```
public struct RecurrenceRule: Sendable, Hashable, CustomStringConvertible {
    /// `FREQ`.
    public enum Frequency: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every `INTERVAL` seconds, in elapsed time.
        case secondly = "SECONDLY"
        /// Every `INTERVAL` minutes, in elapsed time.
        case minutely = "MINUTELY"
        /// Every `INTERVAL` hours, in elapsed time.
        case hourly = "HOURLY"
        /// Every `INTERVAL` days, by the calendar.
        case daily = "DAILY"
        /// Every `INTERVAL` weeks (starting on `WKST`).
        case weekly = "WEEKLY"
        /// Every `INTERVAL` months.
        case monthly = "MONTHLY"
        /// Every `INTERVAL` years.
        case yearly = "YEARLY"
    }

    /// A day of the week, as RFC 5545 names it.
    public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable {
        /// `SU`
        case sunday = 0
        /// `MO`
        case monday
        /// `TU`
        case tuesday
        /// `WE`
        case wednesday
        /// `TH`
        case thursday
        /// `FR`
        case friday
        /// `SA`
        case saturday

        /// The two-letter iCalendar name (`SU`…`SA`).
        public var code: String { ["SU", "MO", "TU", "WE", "TH", "FR", "SA"][rawValue] }
    }

    /// One `BYDAY` entry: a weekday, optionally with an ordinal (`2MO` = the second Monday,
    /// `-1FR` = the last Friday of the month or year).
    public struct WeekdayRule: Sendable, Hashable, Codable, Comparable {
        /// The weekday.
        public var weekday: Weekday
        /// The ordinal (±1…53), or nil for every such weekday.
        public var ordinal: Int?

        /// Creates a `BYDAY` entry.
        public init(_ weekday: Weekday, ordinal: Int? = nil) {
            self.weekday = weekday
            self.ordinal = ordinal
        }

        /// Orders entries for the canonical text: by ordinal (none first), then weekday.
        public static func < (a: WeekdayRule, b: WeekdayRule) -> Bool {
            (a.ordinal ?? 0, a.weekday.rawValue) < (b.ordinal ?? 0, b.weekday.rawValue)
        }

        var text: String { (ordinal.map(String.init) ?? "") + weekday.code }
    }

    /// Whether DTSTART is an instance when it does not match the pattern.
    public enum StartPolicy: String, Sendable, Hashable, Codable {
        /// DTSTART is always the first instance (RFC 5545).
        case alwaysFirst
        /// DTSTART is an instance only if the rule's pattern produces it (python-dateutil).
        case onlyIfMatching
    }

    /// The normalized content of a rule; two rules are equal when their definitions are.
    struct Definition: Hashable, Sendable {
        var frequency: Frequency
        var interval = 1
        var count: Int?
        /// The last allowed instant (inclusive), seconds since 1970.
        var until: Int64?
        var bySecond: [Int] = []
        var byMinute: [Int] = []
        var byHour: [Int] = []
        var byDay: [WeekdayRule] = []
        var byMonthDay: [Int] = []
        var byYearDay: [Int] = []
        var byWeekNo: [Int] = []
        var byMonth: [Int] = []
        var bySetPos: [Int] = []
        var weekStart: Weekday = .monday
        /// DTSTART as a wall time in `zone`.
        var start: LocalDateTime
        /// Whether DTSTART is a DATE (all-day) value.
        var startIsDate = false
        /// The zone whose wall clock the rule describes (`UTC` for `...Z` and floating times
        /// evaluated without a zone).
        var zone: String
        /// RDATE instants, sorted and unique.
        var rdates: [Int64] = []
        /// EXDATE instants, sorted and unique.
        var exdates: [Int64] = []
        /// EXDATE values given as dates: every instance on those local days is excluded.
        var exdateDays: [Int64] = []
        var startPolicy: StartPolicy = .alwaysFirst
    }

    let definition: Definition
    let compiled: CompiledRecurrence

    init(definition: Definition) throws(ScheduleError) {
        try RecurrenceValidation.validate(definition)
        self.definition = definition
        compiled = try CompiledRecurrence(definition)
    }

    /// Parses a rule.
    ///
    /// `text` is either iCalendar content lines (`DTSTART;TZID=America/New_York:19970902T090000`,
    /// `RRULE:FREQ=...`, `RDATE...`, `EXDATE...`, separated by newlines or spaces) or a bare rule
    /// (`FREQ=DAILY;COUNT=5`, optionally prefixed `RRULE:`), in which case `start` gives DTSTART.
    ///
    /// - Parameters:
    ///   - start: DTSTART when the text has none (default: no default; the text must carry it).
    ///   - timeZone: the zone for a floating DTSTART (no `Z`, no `TZID`) and for `start`;
    ///     default UTC.
    ///   - startPolicy: whether a DTSTART that does not match the pattern is an instance.
    /// - Throws: `ScheduleError` naming the part at fault and what is allowed.
    public init(
        parsing text: String,
        start: Date? = nil,
        timeZone: TimeZone? = nil,
        startPolicy: StartPolicy? = nil
    ) throws(ScheduleError) {
        var d = try RecurrenceParser.parse(text, start: start, timeZone: timeZone)
        if let startPolicy { d.startPolicy = startPolicy }
        try self.init(definition: d)
    }

    /// Builds a rule from the simple recurrence model of task stores: a frequency, an interval,
    /// a start, an optional end or count, and optional days of the week, days of the month and
    /// months.
    ///
    /// ```swift
    /// // Every other Monday and Friday at the start's time of day, until the end of 2026.
    /// let rule = try RecurrenceRule(frequency: .weekly, interval: 2, start: start,
    ///                               timeZone: zone, end: endOf2026, daysOfWeek: [.monday, .friday])
    /// ```
    /// - Parameters:
    ///   - end: the last allowed instant (inclusive), `UNTIL`.
    ///   - count: the number of instances, `COUNT` (not together with `end`).
    ///   - daysOfMonth: 1…31, or -1…-31 counted from the month's end (not with `.weekly`).
    ///   - monthsOfYear: 1…12.
    public init(
        frequency: Frequency,
        interval: Int = 1,
        start: Date,
        timeZone: TimeZone,
        end: Date? = nil,
        count: Int? = nil,
        daysOfWeek: [Weekday] = [],
        daysOfMonth: [Int] = [],
        monthsOfYear: [Int] = []
    ) throws(ScheduleError) {
        let zone = ZoneName.canonical(timeZone)
        let rules = try ZoneName.rules(for: zone)
        guard let startSeconds = Instant.seconds(after: start) else {
            throw ScheduleError(.outOfRange, "the start date is outside years 1…9999", part: "start")
        }
        var d = Definition(
            frequency: frequency,
            start: LocalDateTime(localSeconds: rules.local(startSeconds)),
            zone: zone)
        d.interval = interval
        d.count = count
        if let end {
            guard let e = Instant.seconds(after: end) else {
                throw ScheduleError(.outOfRange, "the end date is outside years 1…9999", part: "end")
            }
            d.until = e
        }
        d.byDay = Array(Set(daysOfWeek)).sorted { $0.rawValue < $1.rawValue }.map { WeekdayRule($0) }
        d.byMonthDay = Array(Set(daysOfMonth)).sorted()
        d.byMonth = Array(Set(monthsOfYear)).sorted()
        try self.init(definition: d)
    }

    /// `FREQ`.
    public var frequency: Frequency { definition.frequency }
    /// `INTERVAL`.
    public var interval: Int { definition.interval }
    /// `COUNT`, if any.
    public var count: Int? { definition.count }
    /// `UNTIL` (inclusive), if any.
    public var until: Date? { definition.until.map(Instant.date) }
    /// The zone whose wall clock the rule describes.
    public var timeZone: TimeZone { ZoneName.timeZone(definition.zone) }
    /// DTSTART as an instant.
    public var start: Date { Instant.date(compiled.startInstant) }
    /// Whether DTSTART is an instance when it does not match the pattern.
    public var startPolicy: StartPolicy { definition.startPolicy }

    /// The first instance strictly after `date`, or nil when the set has ended (or nothing
    /// follows within 400 years).
    public func next(after date: Date) -> Date? {
        guard let a = Instant.seconds(searchingAfter: date), let t = compiled.nextInstant(after: a),
              t <= Instant.range.upperBound else { return nil }
        return Instant.date(t)
    }

    /// The first `limit` instances from the start, in order.
    public func instances(limit: Int) -> [Date] {
        compiled.instances(limit: limit).map(Instant.date)
    }

    /// The canonical iCalendar text (DTSTART, RRULE, RDATE, EXDATE lines); parsing it gives
    /// back an equal rule.
    public var description: String { RecurrenceParser.canonicalText(definition) }

    /// Equal when DTSTART, zone, rule parts (in any order), RDATE, EXDATE and the start policy
    /// are the same.
    public static func == (a: RecurrenceRule, b: RecurrenceRule) -> Bool { a.definition == b.definition }
    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(definition) }
}

extension RecurrenceRule: Codable {
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
