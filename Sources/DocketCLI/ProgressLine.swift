import Foundation

/// When a progress line shows: most runs end within `firstAfter`, and a line is written at
/// most every `every` after that (on a terminal, `everyOnTerminal`, rewriting one line).
/// Tests use `.eachRecord`.
struct ProgressTiming: Sendable {
    var firstAfter: UInt64
    var every: UInt64
    var everyOnTerminal: UInt64
    /// Records between two looks at the clock (reading it per record would cost more than the
    /// record).
    var recordsPerCheck: Int
    /// Monotonic nanoseconds.
    var now: @Sendable () -> UInt64

    static let standard = ProgressTiming(firstAfter: 1_000_000_000, every: 5_000_000_000, everyOnTerminal: 200_000_000, recordsPerCheck: 4096,
                                         now: { DispatchTime.now().uptimeNanoseconds })
    static let eachRecord = ProgressTiming(firstAfter: 0, every: 0, everyOnTerminal: 0, recordsPerCheck: 1, now: { 0 })
}

/// The progress line of a long journal read, on standard error: nothing during the first
/// second, then how far it got. On a terminal one line is rewritten in place and cleared at the
/// end; elsewhere (a log, a pipe) a line every five seconds, so logs stay short.
///
/// ```
/// docket: verify: 1200000 records read, at sequence 1200000 (3 s)
/// ```
final class ProgressLine {
    private let label: String
    private let output: CLIOutput
    private let timing: ProgressTiming
    private let terminal: Bool
    private let start: UInt64
    private var due: UInt64
    private var records = 0
    private var shown = false

    init(_ label: String, output: CLIOutput, timing: ProgressTiming) {
        self.label = label
        self.output = output
        self.timing = timing
        // Rewriting a line needs the real standard error on a terminal.
        terminal = output is StandardOutput && isatty(2) != 0
        start = timing.now()
        due = start &+ timing.firstAfter
    }

    /// Notes one record read (its sequence).
    func record(_ sequence: UInt64) {
        records += 1
        guard records % timing.recordsPerCheck == 0 else { return }
        let now = timing.now()
        guard now >= due else { return }
        due = now &+ (terminal ? timing.everyOnTerminal : timing.every)
        let text = "docket: \(label): \(records) records read, at sequence \(sequence) (\((now &- start) / 1_000_000_000) s)"
        if terminal {
            StandardOutput.write("\r\u{1B}[K" + text, to: 2)
        } else {
            output.err(text)
        }
        shown = true
    }

    /// Runs `body` with `record` to call per record, then clears a terminal's line (also when
    /// `body` throws), so the results or the error print on a clean line.
    func run<T>(_ body: (_ record: (UInt64) -> Void) throws -> T) rethrows -> T {
        defer { if shown && terminal { StandardOutput.write("\r\u{1B}[K", to: 2) } }
        return try body(record)
    }
}
