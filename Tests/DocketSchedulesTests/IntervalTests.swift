import Foundation
import Testing
@testable import DocketSchedules

@Suite struct IntervalTests {
    @Test func fixedRateNeverDrifts() throws {
        let anchor = Date(timeIntervalSince1970: 1_000_000_007)
        let every = try Interval(every: .seconds(90), mode: .fixedRate(anchor: anchor))
        // Late calls land back on the grid anchor + k·90 s.
        #expect(every.next(after: Date(timeIntervalSince1970: 1_000_000_007)) == Date(timeIntervalSince1970: 1_000_000_097))
        #expect(every.next(after: Date(timeIntervalSince1970: 1_000_000_500.5)) == Date(timeIntervalSince1970: 1_000_000_547))
        // Before the anchor the grid extends backwards.
        #expect(every.next(after: Date(timeIntervalSince1970: 1_000_000_000)) == anchor)
        var t = anchor
        for k in 1...1000 {
            let n = try #require(every.next(after: t))
            #expect(n == Date(timeIntervalSince1970: 1_000_000_007 + Double(k) * 90))
            t = n
        }
    }

    @Test func defaultAnchorAlignsToTheUTCClockAndMillisecondsWork() throws {
        let every = try Schedule(parsing: "@every 15m")
        let t = try ISO8601.date(from: "2025-01-01T10:07:31Z", timeZone: .gmt)
        #expect(every.next(after: t) == (try ISO8601.date(from: "2025-01-01T10:15:00Z", timeZone: .gmt)))
        let fast = try Interval(every: .milliseconds(250))
        #expect(fast.next(after: Date(timeIntervalSince1970: 10.1)) == Date(timeIntervalSince1970: 10.25))
    }

    @Test func fixedDelayCountsFromCompletion() throws {
        let every = try Schedule(parsing: "@every 5m after completion")
        let done = Date(timeIntervalSince1970: 1_700_000_123.5)
        #expect(every.next(after: done) == Date(timeIntervalSince1970: 1_700_000_423.5))
    }

    @Test func durationsPrintInLargestUnits() throws {
        #expect(try Schedule(parsing: "@every 90m").description == "@every 1h30m")
        #expect(try Schedule(parsing: "@every 1500ms").description == "@every 1s500ms")
        #expect(try Schedule(parsing: "@every 48h jitter 90s").description == "@every 2d jitter 1m30s")
        let i = try Interval(every: .seconds(60), jitter: .seconds(5))
        #expect(i.jitter == .seconds(5) && i.period == .seconds(60))
    }
}
