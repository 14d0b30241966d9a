import DocketCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let code = await DocketCLI.run(Array(CommandLine.arguments.dropFirst()))
exit(code)
