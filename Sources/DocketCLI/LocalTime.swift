import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times in the machine's local zone for people (`12:00:03.125`, `2026-01-02 12:00:10`), with
/// the C library's `localtime_r`: thread-safe and without Foundation's formatters.
enum LocalTime {
    private static func parts(_ date: Date) -> (tm, Int) {
        let t = date.timeIntervalSince1970
        let whole = t.rounded(.down)
        var seconds = time_t(whole)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return (parts, min(999, max(0, Int(((t - whole) * 1000).rounded(.down)))))
    }

    /// `HH:MM:SS.mmm`.
    static func clock(_ date: Date) -> String {
        let (p, ms) = parts(date)
        return String(format: "%02d:%02d:%02d.%03d", Int(p.tm_hour), Int(p.tm_min), Int(p.tm_sec), ms)
    }

    /// The command's "now" for zones, read once: the headers' offset and the rows' comparisons
    /// agree even across a DST change while printing, and no row reads the clock again.
    static let started = Date()
    private static let offsetAtStart = Int(parts(started).0.tm_gmtoff)

    /// `YYYY-MM-DD HH:MM:SS`, followed by the offset (` UTC+02:00`) when it is not the zone's
    /// offset now, which the headers print: a summer time read in winter, or either 01:30 of
    /// the night the clocks go back, is then not ambiguous.
    static func dateTime(_ date: Date) -> String {
        let (p, _) = parts(date)
        let text = String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(p.tm_year) + 1900, Int(p.tm_mon) + 1, Int(p.tm_mday),
                          Int(p.tm_hour), Int(p.tm_min), Int(p.tm_sec))
        let offset = Int(p.tm_gmtoff)
        guard offset != offsetAtStart else { return text }
        return text + " " + utcOffset(offset)
    }

    /// `UTC+01:00`, `UTC-03:30`; with seconds when there are some (local mean times before
    /// standard time: Monrovia until 1972 was `UTC-00:44:30`).
    static func utcOffset(_ seconds: Int) -> String {
        let s = abs(seconds)
        let text = String(format: "UTC%@%02d:%02d", seconds < 0 ? "-" : "+", s / 3600, s / 60 % 60)
        return s % 60 == 0 ? text : text + String(format: ":%02d", s % 60)
    }

    /// The zone's abbreviation and offset now, e.g. `CET, UTC+01:00`.
    static func zoneDescription(_ date: Date = started) -> String {
        let (p, _) = parts(date)
        let name = p.tm_zone.map { String(cString: $0) } ?? "local"
        return name + ", " + utcOffset(Int(p.tm_gmtoff))
    }

    /// ISO 8601 in UTC, for JSON (`2026-01-02T11:00:10Z`, microseconds when there are some).
    static func utc(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let whole = t.rounded(.down)
        var seconds = time_t(whole)
        // To the nearest microsecond: engine times are whole microseconds, and the Double
        // round trip through `Date` can land just below one.
        var micros = Int(((t - whole) * 1_000_000).rounded())
        if micros == 1_000_000 {
            micros = 0
            seconds += 1
        }
        var p = tm()
        gmtime_r(&seconds, &p)
        let base = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(p.tm_year) + 1900, Int(p.tm_mon) + 1, Int(p.tm_mday),
                          Int(p.tm_hour), Int(p.tm_min), Int(p.tm_sec))
        return base + (micros > 0 ? String(format: ".%06d", micros) : "") + "Z"
    }
}
