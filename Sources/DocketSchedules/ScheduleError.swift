/// Why a schedule could not be built from its text or values.
///
/// The message says what was wrong, where, and what is allowed, e.g.
/// `field 3 (day-of-month) at column 5: 32 is out of range 1…31`.
///
/// ```swift
/// do {
///     _ = try CronExpression("0 0 32 * *")
/// } catch {
///     print(error)          // field 3 (day-of-month) at column 5: 32 is out of range 1…31
///     print(error.kind)     // .outOfRange
///     print(error.column)   // Optional(5)
/// }
/// ```
public struct ScheduleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of the problem.
    public enum Kind: String, Hashable, Sendable {
        /// The text does not follow the grammar (unexpected character, missing part, bad number).
        case syntax
        /// A value is outside the range its field allows.
        case outOfRange
        /// A step is zero or otherwise unusable.
        case invalidStep
        /// A month, weekday or other name is not recognized.
        case unknownName
        /// The expression has the wrong number of fields.
        case fieldCount
        /// The schedule can never fire (e.g. `0 0 30 2 *`).
        case neverFires
        /// The time zone identifier is not known to the system's zone database.
        case unknownTimeZone
        /// The combination of parts is not allowed (e.g. RRULE `BYWEEKNO` with `FREQ=MONTHLY`).
        case invalidCombination
        /// A construct that exists in some dialect but is not supported (with the reason).
        case unsupported
    }

    /// The category of the problem.
    public let kind: Kind
    /// What was wrong and what is allowed, without the location prefix.
    public let reason: String
    /// The part of the schedule at fault, e.g. `field 3 (day-of-month)` or `BYMONTHDAY`.
    public let part: String?
    /// The 1-based column of the offending text in the input, when known.
    public let column: Int?

    /// Creates an error; the library produces these, tests and callers may compare them.
    public init(_ kind: Kind, _ reason: String, part: String? = nil, column: Int? = nil) {
        self.kind = kind
        self.reason = reason
        self.part = part
        self.column = column
    }

    /// The full message: `part at column N: reason`.
    public var description: String {
        var prefix = part ?? ""
        if let column { prefix += prefix.isEmpty ? "at column \(column)" : " at column \(column)" }
        return prefix.isEmpty ? reason : "\(prefix): \(reason)"
    }
}
