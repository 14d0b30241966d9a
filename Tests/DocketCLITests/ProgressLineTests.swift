import Synchronization
import Testing
@testable import DocketCLI

/// The progress line's timing, on a manual clock: quiet for the first second, then a line at
/// most every five seconds (off a terminal), the clock read once per `recordsPerCheck` records.
@Suite struct ProgressLineTests {
    @Test func quietAtFirstThenEveryInterval() {
        let clock = Mutex<UInt64>(0)
        let second: UInt64 = 1_000_000_000
        let timing = ProgressTiming(firstAfter: second, every: 5 * second, everyOnTerminal: second / 5, recordsPerCheck: 2, force: true,
                                    now: { clock.withLock { $0 } })
        let out = CapturedOutput()
        let line = ProgressLine("verify", output: out, timing: timing)
        let total = line.run { line in
            // (time in tenths of a second, records read at that time)
            for (tenths, sequence) in [(5, 1), (5, 2), (10, 3), (10, 4), (20, 5), (20, 6), (59, 7), (59, 8), (60, 9), (60, 10), (61, 11), (61, 12)] {
                clock.withLock { $0 = UInt64(tenths) * second / 10 }
                line.record(UInt64(sequence))
            }
            return 12
        }
        #expect(total == 12)
        #expect(out.stderr == ["docket: verify: 4 records read, at sequence 4 (1 s)", "docket: verify: 10 records read, at sequence 10 (6 s)"])
        #expect(out.stdout.isEmpty)
    }

    /// A library caller's own output gets no progress lines unless asked (only the process's
    /// standard error does).
    @Test func onlyTheProcessOwnStandardErrorGetsLines() {
        var timing = ProgressTiming.eachRecord
        timing.force = false
        let out = CapturedOutput()
        ProgressLine("verify", output: out, timing: timing).run { line in for s in 1...10 { line.record(UInt64(s)) } }
        #expect(out.stderr.isEmpty)
    }

    /// A second pass counts again under its own label.
    @Test func aPhaseStartsTheCountAgain() {
        let out = CapturedOutput()
        ProgressLine("inspect", output: out, timing: .eachRecord).run { line in
            line.phase("inspect, finding the time")
            for s in 1...2 { line.record(UInt64(s)) }
            line.phase("inspect, replaying")
            line.record(1)
        }
        #expect(out.stderr == ["docket: inspect, finding the time: 1 records read, at sequence 1 (0 s)",
                               "docket: inspect, finding the time: 2 records read, at sequence 2 (0 s)",
                               "docket: inspect, replaying: 1 records read, at sequence 1 (0 s)"])
    }
}
