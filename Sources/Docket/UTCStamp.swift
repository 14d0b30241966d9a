import DocketSchedules
import Foundation

/// ISO 8601 UTC text for engine times (`2026-11-23T09:00:00Z`, with `.123456` only when the
/// time has a fraction): the schedules' formatter, with `Z` for UTC. Occurrence ids are built
/// from it, so its output must never change.
enum UTCStamp {
    private static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func string(_ micros: Micros) -> String {
        let text = ISO8601.string(from: Time.date(micros), in: utc)
        return text.hasSuffix("+00:00") ? String(text.dropLast(6)) + "Z" : text
    }

    /// The time `string` wrote, read back; nil for text it did not write.
    static func micros(_ text: String) -> Micros? {
        guard text.hasSuffix("Z"), let date = try? ISO8601.date(from: text, timeZone: utc) else { return nil }
        return Time.micros(date)
    }
}
