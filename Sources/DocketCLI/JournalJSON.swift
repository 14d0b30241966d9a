/// A tiny JSON object writer for the journal commands' `--json` output (keys keep their order,
/// which JSONSerialization does not promise).
struct JournalJSON {
    private var parts: [String] = []

    mutating func add(_ key: String, _ value: String?) { parts.append("\(Self.quote(key)):\(value.map(Self.quote) ?? "null")") }
    mutating func add(_ key: String, _ value: Int) { parts.append("\(Self.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: UInt64?) { parts.append("\(Self.quote(key)):\(value.map { String($0) } ?? "null")") }
    mutating func add(_ key: String, _ value: Bool) { parts.append("\(Self.quote(key)):\(value)") }
    mutating func add(_ key: String, raw: String) { parts.append("\(Self.quote(key)):\(raw)") }

    var text: String { "{" + parts.joined(separator: ",") + "}" }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
