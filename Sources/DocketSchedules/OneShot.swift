import Foundation

/// A schedule that fires once, at one instant.
public struct OneShot: Sendable, Hashable, CustomStringConvertible {
    /// The instant, truncated to whole milliseconds.
    public let date: Date

    /// Creates a one-shot schedule at `date` (truncated to whole milliseconds).
    /// - Throws: `ScheduleError` when `date` is not finite or outside years 1…9999.
    public init(at date: Date) throws(ScheduleError) {
        guard Instant.seconds(after: date) != nil else {
            throw ScheduleError(.outOfRange, "the instant must be a date in years 1…9999", part: "@at")
        }
        self.date = Date(timeIntervalSince1970: Instant.wholeMilliseconds(date.timeIntervalSince1970) / 1000)
    }

    /// `date` if it is strictly after `after`, else nil.
    public func next(after: Date) -> Date? { date > after ? date : nil }

    /// The canonical text, `@at 2025-03-09T07:00:00Z`.
    public var description: String {
        var stamp = ISO8601.string(from: date, in: ZoneName.timeZone("UTC"))
        if stamp.hasSuffix("+00:00") { stamp = String(stamp.dropLast(6)) + "Z" }
        return "@at " + stamp
    }

    static func parse(_ text: String, timeZone: TimeZone) throws(ScheduleError) -> OneShot {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0].lowercased() == "@at" else {
            throw ScheduleError(.syntax, "a one-shot schedule is '@at <ISO 8601 instant>', e.g. @at 2025-03-09T07:00:00Z", part: "@at")
        }
        return try OneShot(at: try ISO8601.date(from: String(words[1]), timeZone: timeZone))
    }
}
