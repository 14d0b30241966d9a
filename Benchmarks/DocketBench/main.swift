// docket-bench: the figures of DESIGN.md, measured as ratios against baselines run in the same
// process. Build and run with `swift run -c release docket-bench <suite> [--json]`.
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
let json = args.contains("--json")
let usage = "usage: docket-bench schedules [--json]"
do {
    switch args.first {
    case "schedules":
        try ScheduleBench.run(json: json)
    default:
        print(usage)
        exit(args.isEmpty ? 0 : 2)
    }
} catch {
    print("docket-bench: \(error)")
    exit(1)
}
