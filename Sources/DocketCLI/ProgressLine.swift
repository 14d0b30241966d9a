import Foundation

/// When a progress line shows: most runs end within `firstAfter`, and a line is written at
/// most every `every` after that (on a terminal, `everyOnTerminal`, rewriting one line).
struct ProgressTiming: Sendable {
    /// Quiet time at the start.
    var firstAfter: UInt64
    /// Between two lines in a log or a pipe.
    var every: UInt64
    /// Between two rewrites of the line on a terminal.
    var everyOnTerminal: UInt64
    /// Records between two looks at the clock (reading it per record would cost more than the
    /// record).
    var recordsPerCheck: Int
    /// Show lines on any `CLIOutput`, not only the process's standard error (tests).
    var force = false
    /// Monotonic nanoseconds.
    var now: @Sendable () -> UInt64

    /// What the `docket` tool uses: quiet for a second, a line every 5 s (0.2 s on a terminal).
    static let standard = ProgressTiming(firstAfter: 1_000_000_000, every: 5_000_000_000, everyOnTerminal: 200_000_000, recordsPerCheck: 4096,
                                         now: { DispatchTime.now().uptimeNanoseconds })
    /// A line for every record, on any output: what tests use.
    static let eachRecord = ProgressTiming(firstAfter: 0, every: 0, everyOnTerminal: 0, recordsPerCheck: 1, force: true, now: { 0 })
}

/// The progress line of a long journal read, on standard error: nothing during the first
/// second, then how far it got. On a terminal (in the foreground) one line is rewritten in
/// place and cleared before the results; in a log or a pipe a line every five seconds; in the
/// background of a terminal, or on an output that is not the process's own, nothing.
///
/// ```
/// docket: verify: 1200000 records read, at sequence 1200000 (3 s)
/// ```
final class ProgressLine {
    private var label: String
    private let output: CLIOutput
    private let timing: ProgressTiming
    private let terminal: Bool
    private let enabled: Bool
    private let start: UInt64
    private var due: UInt64
    private var records = 0
    private var untilCheck: Int
    private var shown = false

    init(_ label: String, output: CLIOutput, timing: ProgressTiming) {
        self.label = label
        self.output = output
        self.timing = timing
        let own = output is StandardOutput
        let tty = own && isatty(2) != 0
        terminal = tty && tcgetpgrp(2) == getpgrp()
        enabled = timing.force || (own && (!tty || terminal))
        start = timing.now()
        due = start &+ timing.firstAfter
        untilCheck = max(1, timing.recordsPerCheck)
    }

    /// Starts counting again under another label (a second pass over the journal).
    func phase(_ label: String) {
        self.label = label
        records = 0
    }

    /// Notes one record read (its sequence).
    func record(_ sequence: UInt64) {
        records += 1
        untilCheck -= 1
        guard untilCheck == 0 else { return }
        untilCheck = max(1, timing.recordsPerCheck)
        guard enabled else { return }
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

    /// Runs `body` with this line, then clears a terminal's line (also when `body` throws), so
    /// the results or the error print on a clean line.
    func run<T, E: Error>(_ body: (ProgressLine) throws(E) -> T) throws(E) -> T {
        defer { clear() }
        return try body(self)
    }

    /// `run` for an asynchronous body.
    func run<T>(_ body: (ProgressLine) async throws -> T) async throws -> T {
        defer { clear() }
        return try await body(self)
    }

    /// Clears a terminal's line, so that a body can print its own results on a clean line.
    func clear() {
        if shown && terminal { StandardOutput.write("\r\u{1B}[K", to: 2) }
        shown = false
    }
}
