import DocketSchedules
import Foundation

/// `docket-bench schedules`: nanoseconds per `next(after:)` for typical cron expressions and
/// RRULEs, in UTC and in America/New_York, against cronsim, croniter and python-dateutil run on
/// the same expressions in the same run (when Python has them), and against Foundation's
/// `Calendar.nextDate` where it can express the same schedule.
enum ScheduleBench {
    struct Row: Codable {
        var kind: String
        var expression: String
        var zone: String
        var docketNs: Double
        var foundationNs: Double?
        var oracle: String?
        var oracleNs: Double?
        var croniterNs: Double?
    }

    static let cron: [(expr: String, calls: Int)] = [
        ("*/5 * * * *", 50_000), ("30 2 * * *", 50_000), ("0 9 * * MON-FRI", 50_000), ("0 0 1 * *", 50_000),
        ("15 10 L * *", 50_000), ("0 */2 * * *", 50_000), ("0 8-18 * * 1-5", 50_000), ("0 12 * * 5L", 50_000),
        ("*/15 * * * * *", 50_000), ("0 0 * 2 MON#5", 300),
    ]
    static let rrules = [
        "FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9", "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
    ]
    static let zones = ["UTC", "America/New_York"]
    static let start = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z

    static func run(json: Bool) throws {
        var rows: [Row] = []
        let python = PythonOracle.measure(cron: cron.map { ($0.expr, min($0.calls, 2000)) }, rrules: rrules, zones: zones)
        for zone in zones {
            let tz = TimeZone(identifier: zone) ?? .gmt
            for (expr, calls) in cron {
                let cronExpression = try CronExpression(expr, timeZone: tz)
                let ns = medianNs(rounds: 7, calls: calls) { t in cronExpression.next(after: t) }
                var row = Row(kind: "cron", expression: expr, zone: zone, docketNs: ns)
                row.foundationNs = foundationBaseline(expr, tz: tz, calls: min(calls, 5000))
                if let p = python?["cron|\(expr)|\(zone)"] {
                    row.oracle = "cronsim"
                    row.oracleNs = p["cronsim"]
                    row.croniterNs = p["croniter"]
                }
                rows.append(row)
            }
            for text in rrules {
                let rule = try RecurrenceRule(parsing: text, start: start, timeZone: tz)
                let ns = medianNs(rounds: 7, calls: 20_000) { t in rule.next(after: t) }
                var row = Row(kind: "rrule", expression: text, zone: zone, docketNs: ns)
                if let p = python?["rrule|\(text)|\(zone)"] {
                    row.oracle = "dateutil"
                    row.oracleNs = p["dateutil"]
                }
                rows.append(row)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        if python == nil { print("(python3 with cronsim 2.8, croniter 7.0.0 and python-dateutil not found: no oracle ratios)") }
        print(pad("schedule", 48) + pad("zone", 18) + lpad("docket ns", 11) + lpad("oracle ns", 12) + lpad("× faster", 10)
              + lpad("croniter ns", 13) + lpad("× faster", 10) + lpad("Foundation ns", 15) + lpad("× faster", 10))
        for r in rows {
            var line = pad("\(r.kind) \(r.expression)", 48) + pad(r.zone, 18) + lpad(fmt(r.docketNs), 11)
            line += lpad(r.oracleNs.map { fmt($0) + (r.oracle == "dateutil" ? "ᵈ" : "ˢ") } ?? "-", 12)
            line += lpad(r.oracleNs.map { fmt($0 / r.docketNs) } ?? "-", 10)
            line += lpad(r.croniterNs.map(fmt) ?? "-", 13) + lpad(r.croniterNs.map { fmt($0 / r.docketNs) } ?? "-", 10)
            line += lpad(r.foundationNs.map(fmt) ?? "-", 15) + lpad(r.foundationNs.map { fmt($0 / r.docketNs) } ?? "-", 10)
            print(line)
        }
        let ratios = rows.compactMap { r in r.oracleNs.map { $0 / r.docketNs } }.sorted()
        if !ratios.isEmpty {
            print("oracle ratio (ˢ cronsim, ᵈ dateutil): min \(fmt(ratios[0]))×, median \(fmt(ratios[ratios.count / 2]))×")
        }
        let worst = rows.filter { !$0.expression.contains("#5") }.map(\.docketNs).max() ?? 0
        print("slowest docket next(after:) excluding the 28-year-gap case: \(fmt(worst)) ns")
    }

    /// `docket-bench profile SCHEDULE [--tz ZONE] [--calls N]`: chains `next(after:)` for a
    /// profiler to sample (`perf record -g docket-bench profile ...`).
    static func profile(_ args: [String]) throws {
        guard let text = args.first else {
            print("usage: docket-bench profile SCHEDULE [--tz ZONE] [--calls N]")
            return
        }
        var zone = TimeZone(identifier: "UTC") ?? .gmt
        var calls = 1_000_000
        var i = 1
        while i + 1 < args.count {
            if args[i] == "--tz", let z = TimeZone(identifier: args[i + 1]) { zone = z }
            if args[i] == "--calls", let n = Int(args[i + 1]) { calls = n }
            i += 2
        }
        let schedule: Schedule
        if text.contains("FREQ=") && !text.contains("DTSTART") {
            schedule = .recurrence(try RecurrenceRule(parsing: text, start: start, timeZone: zone))
        } else {
            schedule = try Schedule(parsing: text, timeZone: zone)
        }
        let ns = medianNs(rounds: 1, calls: calls) { schedule.next(after: $0) }
        print("\(schedule.description.replacingOccurrences(of: "\n", with: " ")): \(fmt(ns)) ns per next(after:)")
    }

    /// Median over `rounds` of the mean time of `calls` chained calls (each from the previous
    /// result, as a scheduler would).
    static func medianNs(rounds: Int, calls: Int, _ next: (Date) -> Date?) -> Double {
        var samples: [Double] = []
        let clock = ContinuousClock()
        var sink = 0.0
        for round in 0...rounds {
            var t = start
            let began = clock.now
            for _ in 0..<calls {
                guard let n = next(t) else { t = start; continue }
                t = n
            }
            let elapsed = clock.now - began
            sink += t.timeIntervalSince1970
            if round > 0 {  // round 0 warms caches and zone tables
                samples.append(Double(elapsed.components.attoseconds) / 1e9 / Double(calls) + Double(elapsed.components.seconds) * 1e9 / Double(calls))
            }
        }
        if sink == 42 { print("") }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// Foundation's `Calendar.nextDate(after:matching:…)` for expressions it can state as one
    /// `DateComponents` pattern (nil otherwise).
    static func foundationBaseline(_ expr: String, tz: TimeZone, calls: Int) -> Double? {
        var components = DateComponents()
        switch expr {
        case "30 2 * * *": components.hour = 2; components.minute = 30; components.second = 0
        case "0 0 1 * *": components.day = 1; components.hour = 0; components.minute = 0; components.second = 0
        case "0 */2 * * *": components.minute = 0; components.second = 0
        default: return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tz
        let pattern = components
        return medianNs(rounds: 3, calls: calls) { t in
            calendar.nextDate(after: t, matching: pattern, matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
        }
    }

    static func fmt(_ v: Double) -> String {
        v >= 100 ? String(Int(v.rounded())) : String(format: "%.1f", v)
    }
    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
}
