/// A minimal argument reader (the project takes no argument-parser package).
///
/// Options are declared up front so that an unknown option is an error rather than a silently
/// ignored word. `--name value` and `--name=value` are both accepted; flags take no value.
struct Arguments {
    private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: option names that take a value (e.g. `["--after", "-n"]`).
    ///   - flags: option names that take none (e.g. `["--json"]`).
    init(_ arguments: [String], valued: Set<String>, flags allowedFlags: Set<String>) throws {
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" || Arguments.isNumber(arg) {
                positionals.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositionals = true
                continue
            }
            var name = arg
            var inline: String?
            if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if allowedFlags.contains(name) {
                if inline != nil { throw UsageError("option \(name) takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                // Given twice, one of the two would be ignored without a word.
                guard values[name] == nil else { throw UsageError("option \(name) is given more than once") }
                if let inline {
                    values[name] = inline
                } else {
                    guard i < arguments.count else { throw UsageError("option \(name) needs a value") }
                    values[name] = arguments[i]
                    i += 1
                }
            } else {
                let known = (valued.union(allowedFlags)).sorted().joined(separator: ", ")
                throw UsageError("unknown option '\(name)' (allowed: \(known.isEmpty ? "none" : known))")
            }
        }
    }

    private static func isNumber(_ s: String) -> Bool {
        s.count > 1 && s.first == "-" && s.dropFirst().allSatisfy(\.isNumber)
    }

    func value(_ name: String) -> String? { values[name] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    /// An integer option within `range`, or `defaultValue` when absent.
    func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return defaultValue }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return n
    }
}
