import DocketSchedules
import Foundation

/// ISO 8601 UTC text for engine times (`2026-11-23T09:00:00Z`, with `.123456` only when the
/// time has a fraction): the schedules' formatter, with `Z` for UTC. Occurrence ids are built
/// from it, so its output must never change.
enum UTCStamp {
    private static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func string(_ micros: Micros) -> String {
        // From the integers: through `Date` (a `Double` of seconds) two microseconds apart
        // printed alike after 2106, and two occurrences would share an id.
        let seconds = micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)
        let text = ISO8601.utcString(seconds: seconds, micros: micros - seconds * 1_000_000)
            ?? ISO8601.string(from: Time.date(micros), in: utc)
        return text.hasSuffix("+00:00") ? String(text.dropLast(6)) + "Z" : text
    }

    /// The time `string` wrote, read back; nil for text it did not write. (Read through `Date`:
    /// after 2106 a fraction may come back a microsecond off, which the callers that compare
    /// the text written again — reserved occurrence ids — see as not written by `string`.)
    static func micros(_ text: String) -> Micros? {
        guard text.hasSuffix("Z"), let date = try? ISO8601.date(from: text, timeZone: utc) else { return nil }
        return Time.micros(date)
    }
}
