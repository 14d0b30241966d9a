import Testing
@testable import Docket

/// `stats().throughput`: finishes per second over the last minute, counted per second.
@Suite struct RunStatisticsTests {
    /// It kept the last 4,096 finish times and floored their span to a second: any rate above
    /// 4,096/s read 4,096, and once fixed for a full window, one more finish in a burst jumped
    /// the rate a hundredfold (and finishes stamped alike read as 4e9/s).
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
        // A burst after a quiet spell: 4,095 and 4,096 finishes within 10 ms read alike.
        var burst = RunStatistics()
        for i in 0..<4_096 { burst.noteFinish(at: 60_000_000 + Micros(i)) }
        #expect(burst.throughput(now: 60_010_000) == 4_096)
        // Only the last minute counts; a minute of 100/s reads 100.
        var steady = RunStatistics()
        for i in 0..<12_000 { steady.noteFinish(at: Micros(i) * 10_000) }  // 100/s for 120 s
        let steadyRate = try #require(steady.throughput(now: 120_000_000))
        #expect(abs(steadyRate - 100) < 2, "\(steadyRate)")
        #expect(RunStatistics().throughput(now: 0) == nil)
    }

    /// After a clock step back the seconds counted before it lie ahead again: they are dropped,
    /// not counted a second time when the clock passes them (a minute read up to twice the rate).
    @Test func aClockStepBackStartsTheMinuteOver() throws {
        var stats = RunStatistics()
        for second in 100...160 { stats.noteFinish(at: Micros(second) * 1_000_000) }  // 1/s
        stats.clockSteppedBack()
        #expect(stats.throughput(now: 50_000_000) == nil, "nothing finished since the step")
        stats.noteFinish(at: 51_000_000)
        #expect(stats.throughput(now: 51_500_000) == nil, "one finish since the step: none yet, as before any two")
        stats.noteFinish(at: 52_000_000)
        // At 100 s the clock is at the first second counted before the step again: only the
        // two finishes since count, over the 49 s since the first of them.
        let rate = try #require(stats.throughput(now: 100_000_000))
        #expect(abs(rate - 2.0 / 49) < 0.001, "\(rate)")
    }
}
