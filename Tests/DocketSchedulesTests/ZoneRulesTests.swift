import DocketTestSupport
import Foundation
import Testing
@testable import DocketSchedules

@Suite struct ZoneRulesTests {
    static let zones = ["America/New_York", "Europe/London", "Europe/Dublin", "Australia/Lord_Howe", "Pacific/Apia",
                        "America/Santiago", "Asia/Kolkata", "UTC", "America/Sao_Paulo", "Asia/Tehran"]

    /// 3,000 seeded random instants in `range`: the table's offset is Foundation's.
    static func expectRandomOffsetsAgree(_ rules: ZoneRules, _ tz: TimeZone, in range: Range<Int64>, seed: UInt64) {
        print("ZoneRules seed \(seed) zone \(tz.identifier)")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<3000 {
            let t = Int64.random(in: range, using: &rng)
            #expect(rules.offset(at: t) == Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))), "at \(t)")
        }
    }

    @Test(arguments: zones)
    func offsetsAgreeWithFoundation(_ zone: String) throws {
        let tz = try #require(TimeZone(identifier: zone))
        let rules = ZoneRules.forZone(tz)
        let lo = CivilCalendar.daysFromCivil(year: 1900, month: 1, day: 1) * 86_400
        let hi = CivilCalendar.daysFromCivil(year: 2150, month: 1, day: 1) * 86_400
        Self.expectRandomOffsetsAgree(rules, tz, in: lo..<hi, seed: 0x20_2511)
        // Around every transition the table knows, one second before and at it.
        for (i, t) in rules.transitions.enumerated() where t > lo && t < hi {
            #expect(rules.offset(at: t - 1) == rules.offsets[i])
            #expect(Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t - 1)))) == rules.offsets[i])
            #expect(Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) == rules.offsets[i + 1])
        }
    }

    @Test(arguments: zones)
    func localTimesResolveConsistently(_ zone: String) throws {
        let rules = ZoneRules.forZone(try #require(TimeZone(identifier: zone)))
        let seed: UInt64 = 0x10CA1
        print("ZoneRulesTests local seed \(seed) zone \(zone)")
        var rng = SeededGenerator(seed: seed)
        var samples: [Int64] = []
        // Every wall time within two hours of each transition, minute by minute, plus random ones.
        for t in rules.transitions where t > 0 && t < 2_000_000_000 {
            let w = t + rules.offset(at: t)
            for k in stride(from: -7200 as Int64, through: 7200, by: 60) { samples.append(w + k) }
        }
        for _ in 0..<2000 { samples.append(Int64.random(in: 0..<4_000_000_000, using: &rng)) }
        for w in samples {
            switch rules.resolve(local: w) {
            case .unique(let t):
                #expect(rules.local(t) == w)
            case .repeated(let a, let b):
                #expect(a < b && rules.local(a) == w && rules.local(b) == w)
            case .skipped(let transition, let before, let after):
                #expect(before < after && w - before >= transition && w - after < transition)
                #expect(rules.offset(at: transition - 1) == before && rules.offset(at: transition) == after)
            }
        }
    }

    @Test func knownTransitions() throws {
        let ny = ZoneRules.forZone(try #require(TimeZone(identifier: "America/New_York")))
        let gapWall = LocalDateTime(year: 2025, month: 3, day: 9, hour: 2, minute: 30).localSeconds
        #expect(ny.resolve(local: gapWall) == .skipped(transition: 1_741_503_600, offsetBefore: -18_000, offsetAfter: -14_400))
        #expect(ny.instant(local: gapWall) == 1_741_505_400)  // 03:30 EDT
        let foldWall = LocalDateTime(year: 2025, month: 11, day: 2, hour: 1, minute: 30).localSeconds
        #expect(ny.resolve(local: foldWall) == .repeated(first: 1_762_061_400, second: 1_762_065_000))
        let apia = ZoneRules.forZone(try #require(TimeZone(identifier: "Pacific/Apia")))
        let missingDay = LocalDateTime(year: 2011, month: 12, day: 30, hour: 12).localSeconds
        guard case .skipped(_, -36_000, 50_400) = apia.resolve(local: missingDay) else {
            Issue.record("2011-12-30 should not exist in Apia")
            return
        }
        #expect(apia.maxJump == 86_400)
    }
}


@Suite struct ZoneRulesFarFutureTests {
    /// Past the stored table (2700) the zone's rule repeats every 400 years; Foundation reads the
    /// same tzdata footer, so it answers the same at any instant up to year 9999.
    @Test(arguments: ["America/New_York", "America/Havana", "Australia/Sydney", "Australia/Lord_Howe",
                      "Europe/Berlin", "America/Santiago", "Asia/Tokyo"])
    func offsetsPast2700AgreeWithFoundation(_ zone: String) throws {
        let tz = try #require(TimeZone(identifier: zone))
        let rules = ZoneRules.forZone(tz)
        let lo = CivilCalendar.daysFromCivil(year: 2650, month: 1, day: 1) * 86_400
        let hi = CivilCalendar.daysFromCivil(year: 9999, month: 12, day: 31) * 86_400
        ZoneRulesTests.expectRandomOffsetsAgree(rules, tz, in: lo..<hi, seed: 0x2700_9999)
        // Each transition of a few far years, one second before and at it, against Foundation.
        for year in [2700, 2701, 3100, 5000, 9999] {
            let from = CivilCalendar.daysFromCivil(year: year, month: 1, day: 1) * 86_400
            let to = CivilCalendar.daysFromCivil(year: year + 1, month: 1, day: 1) * 86_400
            var i = rules.segment(containing: from)
            while i < rules.lastSegment, rules.transition(i) < to {
                let t = rules.transition(i)
                #expect(Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t - 1)))) == rules.offset(ofSegment: i))
                #expect(Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) == rules.offset(ofSegment: i + 1))
                #expect(rules.segment(containing: t) == i + 1 && rules.segment(containing: t - 1) == i)
                i += 1
            }
        }
    }

    @Test func havanaKeepsDaylightTimeIn2898() throws {
        // Found by differential fuzzing against dateutil: the table held 2700's winter offset
        // for ever, so a 12:57 daily rule in Havana fired at 13:57 summer time after 2700.
        let havana = ZoneRules.forZone(try #require(TimeZone(identifier: "America/Havana")))
        let wall = LocalDateTime(year: 2898, month: 4, day: 2, hour: 12, minute: 57).localSeconds
        #expect(havana.instant(local: wall) == wall + 4 * 3600)
        let expression = try CronExpression("57 12 2 4 *", timeZone: TimeZone(identifier: "America/Havana"))
        let after = CivilCalendar.daysFromCivil(year: 2898, month: 1, day: 1) * 86_400
        #expect(expression.nextInstant(after: after) == wall + 4 * 3600)
        // The spring gap of 2898 (second Sunday of March, 00:00 → 01:00) is a gap there too.
        let gapWall = LocalDateTime(year: 2898, month: 3, day: 9, hour: 0, minute: 30).localSeconds
        guard case .skipped(_, -18_000, -14_400) = havana.resolve(local: gapWall) else {
            Issue.record("00:30 on 2898-03-09 should not exist in Havana")
            return
        }
    }

    /// A time of day reachable only under summer time, from a start in the table's last stored
    /// segment (winter 2699): the offsets listed from there left out the repeated summer
    /// offset, so the rule was judged never to match and answered nil.
    @Test func summerTimeAfterTheStoredTableCounts() throws {
        for year in [2698, 2699] {
            let rule = try RecurrenceRule(parsing: "DTSTART;TZID=America/New_York:\(year)1201T100000\nRRULE:FREQ=HOURLY;INTERVAL=24;BYHOUR=11")
            let after = Date(timeIntervalSince1970: Double(CivilCalendar.daysFromCivil(year: year, month: 12, day: 2) * 86_400))
            let next = try #require(rule.next(after: after), "from \(year)")
            // The first summer day: 10:00 EST is 11:00 EDT.
            #expect(ISO8601.string(from: next, in: try #require(TimeZone(identifier: "America/New_York"))).hasSuffix("T11:00:00-04:00"))
        }
    }
}
