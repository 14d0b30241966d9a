import DocketTestSupport
import Foundation
import Testing
@testable import DocketSchedules

/// Every schedule prints a canonical text that parses back to an equal value with the same
/// fire times, and printing is idempotent.
@Suite struct RoundTripTests {
    static let cronTexts = [
        "* * * * *", "*/5 * * * *", "30 2 * * *", "0 9 * * MON-FRI", "0 0 1,15 * */2", "0 0 1,15 * FRI",
        "15 10 L * ?", "0 0 LW * *", "0 0 L-3 * *", "0 12 15W * *", "0 0 ? * 5L", "0 0 * 2 MON#5",
        "0 0 * * sat-sun", "0 0 * * 5-0", "*/20 * * * * *", "0 0 12 * * ? 2025-2030", "0 0 0 1 1 * 2100",
        "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "CRON_TZ=America/New_York 30 2 * * *",
        "TZ=Europe/London 0 8 * * 1", "CRON_TZ=Asia/Kolkata CRON_DST_GAP=shiftByGap CRON_DST_FOLD=last 30 1 * * *",
        "0 0 */7 * *", "5/15 * * * *", "0 0 * * 1/2", "0 0 1-31/10 * *", "*/7,3 * * * *", "0 0 * jan,mar-may *",
        "0 0 1 * 7", "0-59 0-23 1-31 1-12 0-6", "0 22 * * 1-5", "0 0 * * 1#1,3#2,5L", "*/90 * * * *",
    ]

    @Test(arguments: cronTexts)
    func cronRoundTrips(_ text: String) throws {
        let a = try CronExpression(text)
        let b = try CronExpression(a.description)
        #expect(a == b, "\(text) → \(a.description)")
        #expect(b.description == a.description)
        #expect(a.isFixedTime == b.isFixedTime)
        var t = Date(timeIntervalSince1970: 1_735_689_600)
        for _ in 0..<20 {
            let na = a.next(after: t)
            #expect(na == b.next(after: t))
            guard let n = na else { break }
            t = n
        }
        let schedule = try Schedule(parsing: text)
        #expect(try Schedule(parsing: schedule.description) == schedule)
        let json = try JSONEncoder().encode(schedule)
        #expect(try JSONDecoder().decode(Schedule.self, from: json) == schedule)
    }

    static let otherTexts = [
        "DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=DAILY;COUNT=10",
        "DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=WEEKLY;UNTIL=19971224T000000Z;WKST=SU;BYDAY=TU,TH",
        "DTSTART:19970902T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=-1FR,1MO;BYSETPOS=1,-1",
        "DTSTART;TZID=Europe/London:20250101T000000\nRRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO\nRDATE;TZID=Europe/London:20250704T120000\nEXDATE;TZID=Europe/London:20260511T000000",
        "DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20251231",
        "DTSTART;TZID=Asia/Kolkata:20250101T093000\nRRULE:FREQ=MINUTELY;INTERVAL=90;BYHOUR=9,10,11\nX-DOCKET-DTSTART:IF-MATCHING",
        "DTSTART;TZID=America/Santiago:20250101T080000\nRRULE:FREQ=DAILY\nEXDATE;TZID=America/Santiago;VALUE=DATE:20250105,20250107",
        "@every 15m", "@every 1h30m from 2025-01-01T00:00:07Z jitter 30s", "@every 500ms after completion", "@every 2d",
        "@at 2025-03-09T07:00:00Z", "@at 2025-03-09T07:00:00.25Z",
    ]

    @Test(arguments: otherTexts)
    func otherSchedulesRoundTrip(_ text: String) throws {
        let a = try Schedule(parsing: text)
        let b = try Schedule(parsing: a.description)
        #expect(a == b, "\(text) → \(a.description)")
        #expect(b.description == a.description)
        #expect(Array(a.fires(after: Date(timeIntervalSince1970: 0)).prefix(12)) == Array(b.fires(after: Date(timeIntervalSince1970: 0)).prefix(12)))
    }

    @Test func randomCronExpressionsRoundTrip() throws {
        let seed: UInt64 = 0xC0FFEE
        print("randomCronExpressionsRoundTrip seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        var checked = 0
        for _ in 0..<1500 {
            let text = RandomCron.expression(using: &rng)
            let a: CronExpression
            do { a = try CronExpression(text) } catch {
                #expect(error.kind == .neverFires || error.kind == .outOfRange, "\(text): \(error)")
                continue
            }
            let b = try CronExpression(a.description)
            #expect(a == b, "\(text) → \(a.description)")
            var t = Date(timeIntervalSince1970: Double(Int64.random(in: 0..<3_000_000_000, using: &rng)))
            for _ in 0..<3 {
                let n = a.next(after: t)
                #expect(n == b.next(after: t), "\(text)")
                guard let n else { break }
                #expect(n > t)
                t = n
            }
            checked += 1
        }
        #expect(checked > 1000)
    }
}

/// Random cron text over the whole grammar, for round-trip and fuzz tests.
enum RandomCron {
    static func item(_ lo: Int, _ hi: Int, names: [String]?, using rng: inout SeededGenerator) -> String {
        func v() -> String {
            let n = Int.random(in: lo...hi, using: &rng)
            if let names, Bool.random(using: &rng), n - lo < names.count {
                let name = names[n - lo]
                return Bool.random(using: &rng) ? name : name.lowercased()
            }
            return String(n)
        }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: return "*"
        case 1: return "*/\(Int.random(in: 1...(hi - lo + 2), using: &rng))"
        case 2, 3: return v()
        case 4:
            let a = Int.random(in: lo...hi, using: &rng)
            return "\(a)-\(Int.random(in: a...hi, using: &rng))"
        case 5:
            let a = Int.random(in: lo...hi, using: &rng)
            return "\(a)-\(Int.random(in: a...hi, using: &rng))/\(Int.random(in: 1...10, using: &rng))"
        default: return "\(v())/\(Int.random(in: 1...12, using: &rng))"
        }
    }

    static func field(_ lo: Int, _ hi: Int, names: [String]? = nil, using rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: 1...3, using: &rng)).map { _ in item(lo, hi, names: names, using: &rng) }.joined(separator: ",")
    }

    static func expression(using rng: inout SeededGenerator) -> String {
        var dom = field(1, 31, using: &rng)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: dom = "L"
        case 1: dom = "LW"
        case 2: dom = "L-\(Int.random(in: 0...5, using: &rng))"
        case 3: dom = "\(Int.random(in: 1...31, using: &rng))W"
        case 4: dom = "?"
        default: break
        }
        var dow = field(0, 7, names: CronField.weekdayNames, using: &rng)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: dow = "\(Int.random(in: 0...6, using: &rng))L"
        case 1: dow = "\(Int.random(in: 0...6, using: &rng))#\(Int.random(in: 1...5, using: &rng))"
        case 2: dow = "*"
        default: break
        }
        var fields = [field(0, 59, using: &rng), field(0, 23, using: &rng), dom,
                      field(1, 12, names: CronField.monthNames, using: &rng), dow]
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: fields.insert(field(0, 59, using: &rng), at: 0)
        case 1:
            fields.insert(field(0, 59, using: &rng), at: 0)
            fields.append(field(1970, 2199, using: &rng))
        default: break
        }
        return fields.joined(separator: " ")
    }
}

extension RoundTripTests {
    /// Stored schedules are their text: an anchor (or `@at` time) in milliseconds must read
    /// back to the same millisecond. After 2038 a `Double` of seconds read from "…58.615" may
    /// fall a hair below, and cutting to whole milliseconds lost one on each round trip (~7 %
    /// of anchors in 2038–2040, and pre-1970 ones drifted).
    @Test func millisecondAnchorsSurviveTheirText() throws {
        let seed: UInt64 = 0x2038
        print("RoundTripTests anchors seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<3_000 {
            let ms = Int64.random(in: -2_000_000_000_000...4_102_444_800_000, using: &rng)  // 1906…2100
            let anchor = Date(timeIntervalSince1970: Double(ms) / 1000)
            for schedule in [Schedule.interval(try Interval(every: .seconds(3600), mode: .fixedRate(anchor: anchor))), .once(try OneShot(at: anchor))] {
                var text = schedule.description
                var value = schedule
                for _ in 0..<3 {
                    value = try Schedule(parsing: text)
                    text = value.description
                }
                #expect(value == schedule, "\(ms): \(schedule.description) came back as \(text)")
            }
        }
    }
}
