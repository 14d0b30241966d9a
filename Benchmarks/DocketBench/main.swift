// docket-bench: the figures of DESIGN.md, measured as ratios against baselines run in the same
// process. Build and run with `swift run -c release docket-bench <suite> [--json]`.
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
print("usage: docket-bench <suite> [--json]")
exit(args.isEmpty ? 0 : 2)
