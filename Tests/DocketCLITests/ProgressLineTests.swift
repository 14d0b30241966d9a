import Synchronization
import Testing
@testable import DocketCLI

/// The progress line's timing, on a manual clock: quiet for the first second, then a line at
/// most every five seconds (off a terminal), the clock read once per `recordsPerCheck` records.
@Suite struct ProgressLineTests {
    @Test func quietAtFirstThenEveryInterval() {
        let clock = Mutex<UInt64>(0)
        let second: UInt64 = 1_000_000_000
        let timing = ProgressTiming(firstAfter: second, every: 5 * second, everyOnTerminal: second / 5, recordsPerCheck: 2,
                                    now: { clock.withLock { $0 } })
        let out = CapturedOutput()
        let line = ProgressLine("verify", output: out, timing: timing)
        let total = line.run { record in
            // (time in tenths of a second, records read at that time)
            for (tenths, sequence) in [(5, 1), (5, 2), (10, 3), (10, 4), (20, 5), (20, 6), (59, 7), (59, 8), (60, 9), (60, 10), (61, 11), (61, 12)] {
                clock.withLock { $0 = UInt64(tenths) * second / 10 }
                record(UInt64(sequence))
            }
            return 12
        }
        #expect(total == 12)
        #expect(out.stderr == ["docket: verify: 4 records read, at sequence 4 (1 s)", "docket: verify: 10 records read, at sequence 10 (6 s)"])
        #expect(out.stdout.isEmpty)
    }
}
