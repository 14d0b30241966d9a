import Foundation

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
