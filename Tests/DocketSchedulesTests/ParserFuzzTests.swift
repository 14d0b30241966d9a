import DocketTestSupport
import Foundation
import Testing
@testable import DocketSchedules

/// Random and mutated text never crashes a parser: it gives a typed error or a valid schedule,
/// and a valid schedule answers `next(after:)` with a later instant (or nil) and round-trips.
@Suite struct ParserFuzzTests {
    static let cronAlphabet = Array("0123456789012345*/,-? LW#@ \tJANFEBMONSUNSAT57x=é\u{0}")
    static let ruleAlphabet = Array("0123456789012345678901234567890123456789=;,-+MOTUWEFRSA")

    static func mutate(_ text: String, alphabet: [Character], using rng: inout SeededGenerator) -> String {
        var chars = Array(text)
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            let op = Int.random(in: 0..<3, using: &rng)
            let index = chars.isEmpty ? 0 : Int.random(in: 0..<chars.count, using: &rng)
            switch op {
            case 0: chars.insert(alphabet.randomElement(using: &rng) ?? "*", at: index)
            case 1: if !chars.isEmpty { chars.remove(at: index) }
            default: if !chars.isEmpty { chars[index] = alphabet.randomElement(using: &rng) ?? "*" }
            }
        }
        return String(chars)
    }

    static func check(_ schedule: Schedule, text: String, using rng: inout SeededGenerator) throws {
        var t = Date(timeIntervalSince1970: Double(Int64.random(in: 0..<2_500_000_000, using: &rng)))
        for _ in 0..<3 {
            guard let n = schedule.next(after: t) else { break }
            #expect(n > t, "\(text)")
            t = n
        }
        #expect(try Schedule(parsing: schedule.description) == schedule, "\(text) → \(schedule.description)")
    }

    @Test func cronParserSurvivesMutatedAndRandomText() throws {
        let seed: UInt64 = 0xF022_C204
        print("cron fuzz seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        var valid = 0
        var invalid = 0
        for i in 0..<6000 {
            let text: String
            if i % 3 == 0 {
                text = String((0..<Int.random(in: 0...30, using: &rng)).map { _ in Self.cronAlphabet.randomElement(using: &rng) ?? " " })
            } else if i % 3 == 1 {
                text = RandomCron.expression(using: &rng)
            } else {
                text = Self.mutate(RandomCron.expression(using: &rng), alphabet: Self.cronAlphabet, using: &rng)
            }
            do {
                let cron = try CronExpression(text)
                try Self.check(.cron(cron), text: text, using: &rng)
                valid += 1
            } catch let error as ScheduleError {
                #expect(!error.reason.isEmpty)
                invalid += 1
            }
        }
        print("cron fuzz: \(valid) valid, \(invalid) rejected")
        #expect(valid > 400 && invalid > 400)
    }

    static let ruleSeeds = [
        "FREQ=DAILY;COUNT=10", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR", "FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=HOURLY;INTERVAL=3;BYMINUTE=0,30",
        "FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10", "FREQ=SECONDLY;INTERVAL=10;COUNT=5", "FREQ=MONTHLY;BYMONTHDAY=1,-1;UNTIL=20300101T000000Z",
        "FREQ=YEARLY;BYYEARDAY=1,100,-1;WKST=SU",
    ]

    @Test func ruleParserSurvivesMutatedText() throws {
        let seed: UInt64 = 0x22_1E_F0
        print("rrule fuzz seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        var valid = 0
        var invalid = 0
        let start = Date(timeIntervalSince1970: 1_735_722_000)
        for i in 0..<4000 {
            let text = i % 2 == 0
                ? Self.randomRule(using: &rng)
                : Self.mutate(Self.ruleSeeds[i % Self.ruleSeeds.count], alphabet: Self.ruleAlphabet, using: &rng)
            do {
                let rule = try RecurrenceRule(parsing: text, start: start)
                try Self.check(.recurrence(rule), text: text, using: &rng)
                valid += 1
            } catch let error as ScheduleError {
                #expect(!error.reason.isEmpty)
                invalid += 1
            }
        }
        print("rrule fuzz: \(valid) valid, \(invalid) rejected")
        #expect(valid > 1000 && invalid > 400)
    }

    /// A random rule over every part, often invalid in combination (which is the point).
    static func randomRule(using rng: inout SeededGenerator) -> String {
        let days = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
        var parts = ["FREQ=" + (RecurrenceRule.Frequency.allCases.randomElement(using: &rng)?.rawValue ?? "DAILY")]
        func maybe(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
        func list(_ range: ClosedRange<Int>, signed: Bool) -> String {
            (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                let v = Int.random(in: range, using: &rng)
                return String(signed && maybe(0.3) ? -v : v)
            }.joined(separator: ",")
        }
        if maybe(0.4) { parts.append("INTERVAL=\(Int.random(in: 1...5, using: &rng))") }
        if maybe(0.3) { parts.append("COUNT=\(Int.random(in: 1...20, using: &rng))") } else if maybe(0.2) { parts.append("UNTIL=20\(Int.random(in: 25...60, using: &rng))0101T000000Z") }
        if maybe(0.2) { parts.append("BYSECOND=" + list(0...59, signed: false)) }
        if maybe(0.2) { parts.append("BYMINUTE=" + list(0...59, signed: false)) }
        if maybe(0.3) { parts.append("BYHOUR=" + list(0...23, signed: false)) }
        if maybe(0.4) {
            parts.append("BYDAY=" + (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (maybe(0.3) ? String(Int.random(in: -5...5, using: &rng)) : "") + (days.randomElement(using: &rng) ?? "MO")
            }.joined(separator: ","))
        }
        if maybe(0.3) { parts.append("BYMONTHDAY=" + list(1...31, signed: true)) }
        if maybe(0.15) { parts.append("BYYEARDAY=" + list(1...366, signed: true)) }
        if maybe(0.15) { parts.append("BYWEEKNO=" + list(1...53, signed: true)) }
        if maybe(0.3) { parts.append("BYMONTH=" + list(1...12, signed: false)) }
        if maybe(0.2) { parts.append("BYSETPOS=" + list(1...10, signed: true)) }
        if maybe(0.2) { parts.append("WKST=" + (days.randomElement(using: &rng) ?? "MO")) }
        return parts.shuffled(using: &rng).joined(separator: ";")
    }
}
