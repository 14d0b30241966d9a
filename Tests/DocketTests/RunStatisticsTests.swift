import Testing
@testable import Docket

/// `stats().throughput`: finishes per second over the last 4,096 (or the last minute).
@Suite struct RunStatisticsTests {
    /// 10,000 finishes a second fill the window in 0.41 s; the rate was floored to a 1-second
    /// span and read 4,096 whatever the real rate.
    @Test func throughputAboveTheWindowSizeIsMeasured() throws {
        var stats = RunStatistics()
        for i in 0..<10_000 { stats.noteFinish(at: Micros(i) * 100) }  // every 100 µs
        let rate = try #require(stats.throughput(now: 10_000 * 100))
        #expect(abs(rate - 10_000) < 10, "\(rate)")
        // Two finishes close together after a quiet spell count over a second, not 20,000/s.
        var quiet = RunStatistics()
        quiet.noteFinish(at: 5_000_000)
        quiet.noteFinish(at: 5_000_050)
        #expect(quiet.throughput(now: 5_000_100) == 2)
    }
}
