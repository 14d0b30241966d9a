// docket-bench: the figures of DESIGN.md, measured as ratios against baselines run in the same
// process. Build and run with `swift run -c release docket-bench <suite> [--json]`.
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "journal":
    exit(try await JournalBench.run(Array(args.dropFirst())))
default:
    print("usage: docket-bench <suite> [--json]\n  suites: journal [--runs N] [--quick]")
    exit(args.isEmpty ? 0 : 2)
}
