import DocketTestSupport
import Foundation
import Testing
@testable import DocketSchedules

/// SECONDLY, MINUTELY and HOURLY rules jump from a period whose hour, minute or second fails
/// its limit straight to the next allowed one; stepping one unit at a time is the reference.
@Suite struct ElapsedSkipTests {
    static let zones = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "America/Santiago"]

    static func instants(_ c: CompiledRecurrence, after: Int64?, jumping: Bool, limit: Int) -> [Int64] {
        var iterator = RecurrenceIterator(c, from: c.count == nil ? after : nil, horizonFrom: after)
        iterator.jumpsToAllowedValues = jumping
        var result: [Int64] = []
        while result.count < limit, let t = iterator.next() {
            if let after, t <= after { continue }
            result.append(t)
        }
        return result
    }

    static func subset(_ range: ClosedRange<Int>, _ count: Int, using rng: inout SeededGenerator) -> String {
        Set((0..<count).map { _ in Int.random(in: range, using: &rng) }).sorted().map(String.init).joined(separator: ",")
    }

    @Test func jumpingFindsWhatSteppingFinds() throws {
        let seed: UInt64 = 0x5EC0_4D1E
        print("ElapsedSkipTests seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        var compared = 0
        for round in 0..<400 {
            let zone = Self.zones[round % Self.zones.count]
            let frequency = ["SECONDLY", "MINUTELY", "HOURLY"][Int.random(in: 0...2, using: &rng)]
            let interval = frequency == "SECONDLY" ? Int.random(in: 1...150, using: &rng) : Int.random(in: 1...40, using: &rng)
            var parts = ["FREQ=\(frequency)", "INTERVAL=\(interval)"]
            if Bool.random(using: &rng) { parts.append("BYHOUR=" + Self.subset(0...23, Int.random(in: 1...4, using: &rng), using: &rng)) }
            if frequency != "HOURLY" || Bool.random(using: &rng) {
                if Bool.random(using: &rng) { parts.append("BYMINUTE=" + Self.subset(0...59, Int.random(in: 1...6, using: &rng), using: &rng)) }
            }
            if frequency == "SECONDLY" && Bool.random(using: &rng) {
                parts.append("BYSECOND=" + Self.subset(0...59, Int.random(in: 1...6, using: &rng), using: &rng))
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { parts.append("BYDAY=" + ["MO", "TU,SA", "SU"][Int.random(in: 0...2, using: &rng)]) }
            if Bool.random(using: &rng) { parts.append("COUNT=\(Int.random(in: 20...5000, using: &rng))") }
            // Starts spread over years with transitions, some right before one (the jumps must
            // not carry across an offset change).
            let rules = ZoneRules.forZone(try #require(TimeZone(identifier: zone)))
            var start = Int64.random(in: 1_262_304_000...1_893_456_000, using: &rng)  // 2010…2030
            if Bool.random(using: &rng), let t = rules.transitions.first(where: { $0 > start }) {
                start = t - Int64.random(in: 1...7200, using: &rng)
            }
            let local = rules.local(start)
            let day = CivilCalendar.floorDiv(local, 86_400)
            let (y, m, d) = CivilCalendar.civilFromDays(day)
            let s = local - day * 86_400
            let stamp = String(format: "%04d%02d%02dT%02d%02d%02d", y, m, d, Int(s / 3600), Int(s / 60 % 60), Int(s % 60))
            let text = "DTSTART;TZID=\(zone):\(stamp)\nRRULE:" + parts.joined(separator: ";")
            let rule = try RecurrenceRule(parsing: text)
            let after: Int64? = Bool.random(using: &rng) ? nil : start + Int64.random(in: 0...40_000_000, using: &rng)
            let stepped = Self.instants(rule.compiled, after: after, jumping: false, limit: 40)
            let jumped = Self.instants(rule.compiled, after: after, jumping: true, limit: 40)
            #expect(jumped == stepped, "\(text) after \(after.map(String.init) ?? "start")")
            compared += stepped.count
        }
        #expect(compared > 5000)
    }

    /// A COUNT rule must be walked from DTSTART; one whose instances are rare among its
    /// periods (every 59 hours, periods of 59 seconds) loaded ~61 periods an hour, 1.6 s of
    /// a release build for a century; now about 3.
    @Test func sparseCountRuleFarFromItsStartLoadsFewPeriods() throws {
        let rule = try RecurrenceRule(parsing: "DTSTART:20000101T000000Z\nRRULE:FREQ=SECONDLY;INTERVAL=59;BYMINUTE=0;BYSECOND=0;COUNT=1000000")
        let after = try ISO8601.date(from: "2040-01-01T00:00:00Z", timeZone: TimeZone(identifier: "UTC") ?? .gmt)
        let start = rule.start.timeIntervalSince1970
        // Instances are the multiples of lcm(59, 3600) = 212,400 s after DTSTART.
        let k = ((after.timeIntervalSince1970 - start) / 212_400).rounded(.down) + 1
        #expect(rule.next(after: after)?.timeIntervalSince1970 == start + k * 212_400)
        var iterator = RecurrenceIterator(rule.compiled, from: nil)
        var instances = 0
        while let t = iterator.next(), t <= Int64(after.timeIntervalSince1970) { instances += 1 }
        #expect(Double(instances) == k)
        let hours = Int((after.timeIntervalSince1970 - start) / 3600)
        #expect(iterator.loaded < 4 * hours, "\(iterator.loaded) periods loaded for \(hours) hours")
    }
}
