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

    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(seconds))
    }
}

/// Time-zone identifiers as schedules store them: UTC spelled one way, everything else as the
/// system's zone database names it.
enum ZoneName {
    static let utcAliases: Set<String> = ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal", "GMT0", "Etc/GMT0", "UCT", "Etc/UCT"]

    static func canonical(_ timeZone: TimeZone) -> String {
        canonical(timeZone.identifier)
    }

    static func canonical(_ identifier: String) -> String {
        utcAliases.contains(identifier) ? "UTC" : identifier
    }

    /// The rules of zone `identifier`, or `unknownTimeZone`.
    static func rules(for identifier: String) throws(ScheduleError) -> ZoneRules {
        let id = canonical(identifier)
        if id == "UTC" { return ZoneRules.utc }
        guard let tz = TimeZone(identifier: id) else {
            throw ScheduleError(.unknownTimeZone, "unknown time zone '\(identifier)'; use an IANA name such as America/New_York, Europe/London or UTC")
        }
        return ZoneRules.forZone(tz)
    }

    static func timeZone(_ identifier: String) -> TimeZone {
        (identifier == "UTC" ? TimeZone(identifier: "UTC") : TimeZone(identifier: identifier)) ?? TimeZone.gmt
    }
}
