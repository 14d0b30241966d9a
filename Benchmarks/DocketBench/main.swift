// docket-bench: the figures of DESIGN.md, measured as ratios against baselines run in the same
// process. Build and run with `swift run -c release docket-bench <suite> [--json]`.
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
let usage = """
    usage: docket-bench <suite> [options]
      suites: schedules [--json]
              journal [--runs N] [--quick] [--json]
              engine [--runs N] [--quick] [--only NAME] [--json]
              profile SCHEDULE [--tz ZONE] [--calls N]   (chains next(after:) N times, for perf record)
              engine-profile recovery|recovery-snapshot|batch|batch4|e2e|enqueue16|enqueue64|enqueue16-none|catchup|paging|purge [--dir D] [--repeat N]   (one engine phase alone, for perf record)
    """
do {
    switch args.first {
    case "schedules":
        try ScheduleBench.run(json: args.contains("--json"))
    case "journal":
        exit(try await JournalBench.run(Array(args.dropFirst())))
    case "engine":
        exit(try await EngineBench.run(Array(args.dropFirst())))
    case "profile":
        try ScheduleBench.profile(Array(args.dropFirst()))
    case "engine-profile":
        try await EngineBench.profile(Array(args.dropFirst()))
    default:
        print(usage)
        exit(args.isEmpty ? 0 : 2)
    }
} catch {
    print("docket-bench: \(error)")
    exit(1)
}
