import DocketSchedules
import Foundation

/// ISO 8601 UTC text for engine times (`2026-11-23T09:00:00Z`, with `.123456` only when the
/// time has a fraction): the schedules' formatter, with `Z` for UTC. Occurrence ids are built
/// from it, so its output must never change.
enum UTCStamp {
    private static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func string(_ micros: Micros) -> String {
        // Engine times stay within ±`Time.limit`; beyond, the arithmetic below would overflow.
        let micros = max(-Time.limit, min(Time.limit, micros))
        // From the integers: through `Date` (a `Double` of seconds) two microseconds apart
        // printed alike after 2106, and two occurrences would share an id.
        let seconds = micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)
        let text = ISO8601.utcString(seconds: seconds, micros: micros - seconds * 1_000_000)
            ?? ISO8601.string(from: Time.date(micros), in: utc)
        return text.hasSuffix("+00:00") ? String(text.dropLast(6)) + "Z" : text
    }

    /// The time `string` wrote, read back; nil for text it did not write. The whole seconds go
    /// through the schedules' parser (exact: whole seconds are exact in a `Date`) and the
    /// fraction is read as digits, so a microsecond is never lost (centuries ahead, a `Date`
    /// would round it, and reserved occurrence ids compare the text written again).
    static func micros(_ text: String) -> Micros? {
        guard text.hasSuffix("Z") else { return nil }
        var whole = Substring(text.dropLast())
        var fraction: Micros = 0
        if let dot = whole.firstIndex(of: ".") {
            let digits = whole[whole.index(after: dot)...]
            guard (1...6).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Micros(digits) else { return nil }
            fraction = n * [1, 100_000, 10_000, 1_000, 100, 10, 1][digits.count]
            whole = whole[..<dot]
        }
        guard let date = try? ISO8601.date(from: whole + "Z", timeZone: utc) else { return nil }
        let seconds = date.timeIntervalSince1970
        guard seconds == seconds.rounded(), abs(seconds) < 1e15 else { return nil }
        return Micros(seconds) * 1_000_000 + fraction
    }
}
