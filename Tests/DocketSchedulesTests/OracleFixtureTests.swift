import Foundation
import Testing
@testable import DocketSchedules

/// Docket against cases nobody here computed by hand: the DST table of spec/cron.md, thousands
/// of random cron expressions checked with cronsim and croniter, the 42 RFC 5545 examples, and
/// a thousand random RRULEs checked with python-dateutil.
@Suite struct OracleFixtureTests {
    @Test func cronDSTTable() throws {
        let file = try Fixtures.load("cron_dst_cases.json", as: Fixtures.CronCase.self)
        #expect(file.cases.filter { $0.id.hasPrefix("D") }.count == 30)
        for c in file.cases {
            let zone = try #require(TimeZone(identifier: c.zone))
            let cron = try CronExpression(c.expr, timeZone: zone)
            let got = Fixtures.fires(cron.next(after:), after: c.start.unix, count: c.next.count, zone: zone)
            #expect(got == c.next, "\(c.id) \(c.expr) in \(c.zone) from \(c.start)")
        }
    }

    @Test func cronAgainstCronsim() throws {
        let file = try Fixtures.load("cron_cases.json", as: Fixtures.CronCase.self)
        let divergences = try Fixtures.load("cron_divergences.json", as: Fixtures.Divergence.self)
        let known = Dictionary(uniqueKeysWithValues: divergences.cases.map { ($0.id, $0) })
        #expect(file.cases.count >= 3000)
        var failures: [String] = []
        for c in file.cases {
            let zone = try #require(TimeZone(identifier: c.zone))
            let cron = try CronExpression(c.expr, timeZone: zone)
            let expected = known[c.id]?.expected ?? c.next
            let got = Fixtures.fires(cron.next(after:), after: c.start.unix, count: expected.count, zone: zone)
            if got != expected {
                failures.append("\(c.id) \(c.expr) in \(c.zone) from \(c.start): got \(got), expected \(expected)")
            }
            if let d = known[c.id] {
                // A listed divergence must really be one: cronsim's answer differs from the rule.
                #expect(d.cronsim == c.next && d.cronsim != d.expected, "\(c.id)")
            }
        }
        // The oracles ran with tzdata \(file.generator.tzdata); a toolchain whose ICU data is another
        // release may legitimately differ on recent years' transitions.
        #expect(failures.isEmpty, "\(failures.count) of \(file.cases.count) differ (ICU tzdata \(TimeZone.timeZoneDataVersion), fixtures \(file.generator.tzdata)); first: \(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func cronAgainstCroniter() throws {
        let file = try Fixtures.load("cron_croniter_cases.json", as: Fixtures.CronCase.self)
        let failures = try Self.cronMismatches(file.cases)
        #expect(failures.isEmpty, "\(failures.count) differ; first: \(failures.prefix(10).joined(separator: "\n"))")
    }

    /// The cases whose next fires in Docket differ from the fixture's `next`, described.
    static func cronMismatches(_ cases: [Fixtures.CronCase]) throws -> [String] {
        var failures: [String] = []
        for c in cases {
            let zone = try #require(TimeZone(identifier: c.zone))
            let cron = try CronExpression(c.expr, timeZone: zone)
            let got = Fixtures.fires(cron.next(after:), after: c.start.unix, count: c.next.count, zone: zone)
            if got != c.next { failures.append("\(c.id) \(c.expr) in \(c.zone) from \(c.start): got \(got), expected \(c.next)") }
        }
        return failures
    }

    /// Starts in 2650–9900, many near the DST changes of 2695–2701 (where the zone table's
    /// stored years end and its repeated 400-year cycle begins), checked against the differential
    /// fuzzer's independent model (its own calendar matcher, zoneinfo for wall times).
    @Test func cronFarFuture() throws {
        let file = try Fixtures.load("cron_far_cases.json", as: Fixtures.CronCase.self)
        #expect(file.cases.count == 400)
        #expect(file.cases.allSatisfy { $0.start.unix > 21_000_000_000 })
        let failures = try Self.cronMismatches(file.cases)
        #expect(failures.isEmpty, "\(failures.count) of \(file.cases.count) differ; first: \(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func rfc5545Examples() throws {
        let file = try Fixtures.load("rrule_rfc_cases.json", as: Fixtures.RFCCase.self)
        let ids = Set(file.cases.map(\.id))
        #expect((1...42).allSatisfy { ids.contains("R\($0)") } && ids.contains("R35b"))
        for c in file.cases {
            let zone = try #require(TimeZone(identifier: c.zone))
            let rule = try RecurrenceRule(parsing: c.text)
            let limit = c.bounded ? c.n + 5 : c.n
            let got = rule.instances(limit: limit).map { Fixtures.Instant(unix: Int64($0.timeIntervalSince1970), iso: ISO8601.string(from: $0, in: zone)) }
            #expect(got == c.expected, "\(c.id) \(c.title)")
            // next(after:) walks the same set from any point.
            let chained = Fixtures.fires(rule.next(after:), after: c.expected[0].unix - 1, count: limit, zone: zone)
            #expect(chained == c.expected, "\(c.id) via next(after:)")
        }
    }

    @Test func rrulesAgainstDateutil() throws {
        let file = try Fixtures.load("rrule_cases.json", as: Fixtures.RuleCase.self)
        let divergences = try Fixtures.load("rrule_divergences.json", as: Fixtures.RuleDivergence.self)
        #expect(file.cases.count >= 1000)
        var failures: [String] = []
        for var c in file.cases {
            if let d = divergences.cases.first(where: { $0.id == c.id }) {
                // Docket reads a BYDAY list as a union; the fixture carries that reading.
                #expect(d.first != c.first, "\(c.id) is listed as a divergence but dateutil agrees")
                c.first = d.first
                c.complete = d.complete
                c.queries = d.queries
                c.dtstart_in_pattern = d.dtstart_in_pattern
            }
            let zone = try #require(TimeZone(identifier: c.zone))
            // dateutil's reading: DTSTART only when the pattern produces it.
            let pattern = try RecurrenceRule(parsing: c.text, startPolicy: .onlyIfMatching)
            let limit = c.first.count + (c.complete ? 3 : 0)
            let first = pattern.instances(limit: limit).map { Fixtures.Instant(unix: Int64($0.timeIntervalSince1970), iso: ISO8601.string(from: $0, in: zone)) }
            if first != c.first { failures.append("\(c.id) \(c.text.replacingOccurrences(of: "\n", with: " ")): first \(first) expected \(c.first)") }
            for q in c.queries {
                let got = Fixtures.fires(pattern.next(after:), after: q.after.unix, count: q.next.count, zone: zone)
                if got != q.next { failures.append("\(c.id) after \(q.after): \(got) expected \(q.next)") }
            }
            // The RFC reading adds DTSTART as the first instance, counted by COUNT.
            let rfc = try RecurrenceRule(parsing: c.text)
            var expected = c.first
            if !c.dtstart_in_pattern {
                expected.insert(c.dtstart, at: 0)
                if rfc.count != nil || !c.complete {
                    expected.removeLast()
                }
            }
            let rfcFirst = rfc.instances(limit: c.first.count + (c.complete ? 3 : 0)).map { Fixtures.Instant(unix: Int64($0.timeIntervalSince1970), iso: ISO8601.string(from: $0, in: zone)) }
            if rfcFirst != expected { failures.append("\(c.id) RFC reading: \(rfcFirst) expected \(expected)") }
        }
        #expect(failures.isEmpty, "\(failures.count) differ; first: \(failures.prefix(10).joined(separator: "\n"))")
    }
}
