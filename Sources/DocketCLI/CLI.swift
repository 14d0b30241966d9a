#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command writes. Tests capture it; the real tool writes straight to the file
/// descriptors, unbuffered, so a crash test that kills the process sees every line it printed.
public protocol CLIOutput: AnyObject {
    func out(_ text: String)
    func err(_ text: String)
}

/// Writes to file descriptors 1 and 2 with `write(2)`, one call per line: no buffer to lose.
public final class StandardOutput: CLIOutput {
    public init() {}
    public func out(_ text: String) { Self.write(text + "\n", to: 1) }
    public func err(_ text: String) { Self.write(text + "\n", to: 2) }

    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                #if canImport(Glibc)
                return Glibc.write(fd, base + offset, raw.count - offset)
                #else
                return Darwin.write(fd, base + offset, raw.count - offset)
                #endif
            }
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}

/// Collects output in memory, for tests.
public final class CapturedOutput: CLIOutput {
    public private(set) var stdout: [String] = []
    public private(set) var stderr: [String] = []
    public init() {}
    public func out(_ text: String) { stdout.append(text) }
    public func err(_ text: String) { stderr.append(text) }
}

/// Exit codes of the `docket` tool.
public enum ExitCode {
    /// Success.
    public static let success: Int32 = 0
    /// A check found a problem (e.g. `journal verify` found corruption).
    public static let checkFailed: Int32 = 1
    /// Bad usage or input; the reason is on stderr.
    public static let usage: Int32 = 2
}

/// A usage or input error: the message goes to stderr and the tool exits with code 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The `docket` command line: `docket <command> [arguments]`.
public enum DocketCLI {
    static let usage = """
        usage: docket <command> [options]

        commands:
          demo [--dir D] [--for SECONDS]
                       run a small journaled service (cron, interval, one-shot, RRULE, retries,
                       a dead letter) printing its events; Ctrl-C stops it, running it again
                       resumes it (default directory ./.docket-demo)
          inspect DIR [--as-of SEQ | --at ISO8601] [--archive] [--tasks] [--status S] [--name H]
                      [--queue Q] [--key K] [--limit N] [--json]
                       task counts per status and queue, schedules and their next fires, failed
                       tasks and their errors (with --tasks, the tasks), now or as of a past
                       record or time, read without the lock and without changing anything
          stress DIR --tasks N [--producers P] [--durability always|interval:MS|none]
                 [--snapshot-every N] [--resume]
                       enqueue N tasks t-0… from P producers, printing "enqueued <id>" when each
                       is acknowledged and "completed <id>" when it ran; exit when all finished
          cron next EXPR [--after ISO8601] [--tz ZONE] [-n N] [--json]
                       preview the next N fire times of a cron expression
          rrule next RULE [--dtstart ISO8601] [--after ISO8601] [--tz ZONE] [-n N] [--json]
                       preview the next N instances of an RFC 5545 recurrence rule
          journal verify|dump|stats|replay|compact|stress DIR ...
                       check, print (engine records decoded), summarize, rebuild the state as of
                       a record or time (replay --to SEQ | --at TIME), snapshot and apply
                       retention (compact), or load a journal directory
        """

    static let commandUsage = ["cron": CronCommand.usage, "rrule": RRuleCommand.usage, "demo": DemoCommand.usage,
                               "inspect": InspectCommand.usage, "stress": StressCommand.usage, "journal": JournalCommand.usage]

    /// Runs the tool with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String], output: CLIOutput = StandardOutput()) async -> Int32 {
        await run(arguments, output: output, progress: .standard)
    }

    /// `run` with the timing of progress lines (tests ask for one per record).
    static func run(_ arguments: [String], output: CLIOutput, progress: ProgressTiming) async -> Int32 {
        guard let command = arguments.first else {
            output.err(usage)
            return ExitCode.usage
        }
        let rest = Array(arguments.dropFirst())
        // `docket <command> --help`: that command's usage, on stdout, exit 0.
        if rest.contains("--help") || rest.contains("-h"), let text = commandUsage[command] {
            output.out(text)
            return ExitCode.success
        }
        do {
            switch command {
            case "cron":
                return try CronCommand.run(rest, output: output)
            case "rrule":
                return try RRuleCommand.run(rest, output: output)
            case "demo":
                return try await DemoCommand.run(rest, output: output)
            case "inspect":
                return try InspectCommand.run(rest, output: output, progress: progress)
            case "stress":
                return try await StressCommand.run(rest, output: output)
            case "journal":
                return try await JournalCommand.run(rest, output: output, progress: progress)
            case "help", "--help", "-h":
                output.out(usage)
                return ExitCode.success
            default:
                throw UsageError("unknown command '\(command)'\n\(usage)")
            }
        } catch let error as UsageError {
            output.err("docket: \(error.message)")
            return ExitCode.usage
        } catch {
            output.err("docket: \(error)")
            return ExitCode.of(error)
        }
    }
}
