/// One field of a cron expression: its place, its range, its names, and the parser of its text.
///
/// Grammar of one field (spec/cron.md §1.2):
/// ```
/// list  = item { "," item }
/// item  = ( "*" | v | v "-" v ) [ "/" step ] | v "/" step          (v/step = v-max/step)
///       | "?"                                                      (day fields only; = "*")
///       | "L" [ "-" n ] | n "W" | "LW"                             (day-of-month only)
///       | v "L" | v "#" k                                          (day-of-week only)
/// ```
struct CronField: Sendable {
    enum Kind: Sendable { case second, minute, hour, dayOfMonth, month, dayOfWeek, year }

    let kind: Kind
    let name: String
    let range: ClosedRange<Int>

    static let second = CronField(kind: .second, name: "second", range: 0...59)
    static let minute = CronField(kind: .minute, name: "minute", range: 0...59)
    static let hour = CronField(kind: .hour, name: "hour", range: 0...23)
    static let dayOfMonth = CronField(kind: .dayOfMonth, name: "day-of-month", range: 1...31)
    static let month = CronField(kind: .month, name: "month", range: 1...12)
    static let dayOfWeek = CronField(kind: .dayOfWeek, name: "day-of-week", range: 0...7)
    static let year = CronField(kind: .year, name: "year", range: 1970...2199)

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// What a parsed field contributes to the matcher.
    struct Parsed {
        var values: [Int] = []
        var startsWithStar = false
        var lastDayOffsets: UInt64 = 0
        var nearestWeekdays: UInt64 = 0
        var lastWeekdayOfMonth = false
        var lastOfWeekday: UInt64 = 0
        var nthWeekday: UInt64 = 0
    }

    /// Parses the field `text`, which starts at 1-based `column` of field number `position`.
    func parse(_ text: Substring, position: Int, column: Int) throws(ScheduleError) -> Parsed {
        var result = Parsed()
        let bytes = Array(text.utf8)
        result.startsWithStar = bytes.first == UInt8(ascii: "*") || bytes.first == UInt8(ascii: "?")
        var start = 0
        while true {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
            if end == start {
                throw error(.syntax, "empty list item (two commas in a row, or a comma at an end)", position, column + start)
            }
            var item = ItemReader(bytes: bytes[start..<end], field: self, position: position, column: column + start)
            try item.parse(into: &result)
            if end == bytes.count { break }
            start = end + 1
        }
        return result
    }

    func error(_ kind: ScheduleError.Kind, _ reason: String, _ position: Int, _ column: Int) -> ScheduleError {
        ScheduleError(kind, reason, part: "field \(position) (\(name))", column: column)
    }

    var allowedDescription: String {
        switch kind {
        case .month: return "1…12 or JAN…DEC"
        case .dayOfWeek: return "0…7 (0 and 7 = Sunday) or SUN…SAT"
        default: return "\(range.lowerBound)…\(range.upperBound)"
        }
    }
}

/// Reads one list item of a field.
private struct ItemReader {
    let bytes: ArraySlice<UInt8>
    let field: CronField
    let position: Int
    let column: Int
    var i: Int

    init(bytes: ArraySlice<UInt8>, field: CronField, position: Int, column: Int) {
        self.bytes = bytes
        self.field = field
        self.position = position
        self.column = column
        i = bytes.startIndex
    }

    var atEnd: Bool { i == bytes.endIndex }
    var peek: UInt8? { atEnd ? nil : bytes[i] }
    var col: Int { column + (i - bytes.startIndex) }

    func fail(_ kind: ScheduleError.Kind, _ reason: String, at column: Int? = nil) -> ScheduleError {
        field.error(kind, reason, position, column ?? col)
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte < 0x80 { return "control character U+\(String(byte, radix: 16, uppercase: true))" }
        return "a non-ASCII character"
    }

    mutating func expectEnd(after what: String) throws(ScheduleError) {
        if let c = peek {
            throw fail(.syntax, "unexpected \(describe(c)) after \(what)")
        }
    }

    /// A run of digits, as a number (at most 9 digits, so it cannot overflow).
    mutating func number(_ what: String) throws(ScheduleError) -> Int {
        let start = i
        while let c = peek, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1 }
        if start == i {
            if let c = peek { throw fail(.syntax, "expected \(what), found \(describe(c))") }
            throw fail(.syntax, "expected \(what) at the end of the item")
        }
        if i - start > 9 { throw fail(.outOfRange, "\(what) \(String(decoding: bytes[start..<i], as: UTF8.self)) is too large", at: column + (start - bytes.startIndex)) }
        var n = 0
        for c in bytes[start..<i] { n = n * 10 + Int(c - UInt8(ascii: "0")) }
        return n
    }

    /// A value: a number in the field's range, or a month/weekday name. Returns the value and,
    /// for a weekday name directly followed by `L` (`FRIL`), leaves the `L` unread.
    mutating func value() throws(ScheduleError) -> Int {
        let startCol = col
        if let c = peek, Self.isLetter(c) {
            let start = i
            while let c = peek, Self.isLetter(c) { i += 1 }
            let word = String(decoding: bytes[start..<i], as: UTF8.self).uppercased()
            let names: [String]
            switch field.kind {
            case .month: names = CronField.monthNames
            case .dayOfWeek: names = CronField.weekdayNames
            default:
                throw fail(.unknownName, "'\(word)' is not a number; the \(field.name) field takes \(field.allowedDescription)", at: startCol)
            }
            if field.kind == .dayOfWeek && word == "L" {
                throw fail(.syntax, "in the day-of-week field 'L' needs a weekday before it (5L = the last Friday of the month)", at: startCol)
            }
            if let index = names.firstIndex(of: word) {
                return field.kind == .month ? index + 1 : index
            }
            if field.kind == .dayOfWeek, word.count == 4, word.hasSuffix("L"),
                let index = names.firstIndex(of: String(word.prefix(3))) {
                i -= 1  // leave the L for the caller
                return index
            }
            throw fail(.unknownName, "unknown \(field.kind == .month ? "month" : "weekday") name '\(word)' (allowed: \(names.joined(separator: " ")))", at: startCol)
        }
        let n = try number("a number")
        guard field.range.contains(n) else {
            throw fail(.outOfRange, "\(n) is out of range \(field.allowedDescription)", at: startCol)
        }
        return n
    }

    static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
    }

    mutating func step() throws(ScheduleError) -> Int {
        let startCol = col
        if let c = peek, Self.isLetter(c) {
            throw fail(.invalidStep, "a step must be a number, not a name", at: startCol)
        }
        let n = try number("a step")
        if n == 0 {
            throw fail(.invalidStep, "step 0 is not allowed; a step is a whole number from 1 up", at: startCol)
        }
        return n
    }

    mutating func parse(into result: inout CronField.Parsed) throws(ScheduleError) {
        let isDOM = field.kind == .dayOfMonth
        let isDOW = field.kind == .dayOfWeek
        let itemCol = col
        let maxValue = field.range.upperBound

        if isDOM, peek == UInt8(ascii: "L") || peek == UInt8(ascii: "l") {
            i += 1
            if atEnd {
                result.lastDayOffsets |= 1
                return
            }
            if peek == UInt8(ascii: "W") || peek == UInt8(ascii: "w") {
                i += 1
                try expectEnd(after: "'LW'")
                result.lastWeekdayOfMonth = true
                return
            }
            if peek == UInt8(ascii: "-") {
                i += 1
                let offsetCol = col
                let n = try number("a day offset")
                guard n <= 30 else { throw fail(.outOfRange, "L-\(n): the offset from the last day must be 0…30", at: offsetCol) }
                try expectEnd(after: "'L-\(n)'")
                result.lastDayOffsets |= 1 << UInt64(n)
                return
            }
            throw fail(.syntax, "'L' in the day-of-month field must stand alone or be 'LW' or 'L-n' (n = 0…30)", at: itemCol)
        }

        switch peek {
        case UInt8(ascii: "*"):
            i += 1
            var stepValue = 1
            if peek == UInt8(ascii: "/") {
                i += 1
                stepValue = try step()
            }
            try expectEnd(after: stepValue == 1 ? "'*' (only '/step' may follow it)" : "the step")
            for v in stride(from: field.range.lowerBound, through: maxValue, by: stepValue) {
                result.values.append(v)
            }
            return
        case UInt8(ascii: "?"):
            guard isDOM || isDOW else {
                throw fail(.syntax, "'?' is only allowed in the day-of-month and day-of-week fields")
            }
            i += 1
            try expectEnd(after: "'?'")
            result.values.append(contentsOf: field.range)
            return
        default:
            break
        }

        let a = try value()
        if isDOW, peek == UInt8(ascii: "L") || peek == UInt8(ascii: "l") {
            i += 1
            try expectEnd(after: "'\(a)L' (the last such weekday of the month)")
            result.lastOfWeekday |= 1 << UInt64(a % 7)
            return
        }
        if isDOW, peek == UInt8(ascii: "#") {
            i += 1
            let kCol = col
            let k = try number("the week number k of 'x#k'")
            guard (1...5).contains(k) else { throw fail(.outOfRange, "#\(k): the week number must be 1…5", at: kCol) }
            try expectEnd(after: "'x#k'")
            result.nthWeekday |= 1 << UInt64((k - 1) * 8 + a % 7)
            return
        }
        if isDOM, peek == UInt8(ascii: "W") || peek == UInt8(ascii: "w") {
            i += 1
            try expectEnd(after: "'\(a)W' (the weekday nearest day \(a))")
            result.nearestWeekdays |= 1 << UInt64(a)
            return
        }

        var b = a
        var hasRange = false
        if peek == UInt8(ascii: "-") {
            i += 1
            b = try value()
            hasRange = true
        }
        var stepValue = 1
        var hasStep = false
        if peek == UInt8(ascii: "/") {
            i += 1
            stepValue = try step()
            hasStep = true
        }
        if let c = peek {
            let hint: String
            switch (c, field.kind) {
            case (UInt8(ascii: "W"), _), (UInt8(ascii: "w"), _): hint = " ('nW' is only allowed in the day-of-month field, as a single day)"
            case (UInt8(ascii: "L"), _), (UInt8(ascii: "l"), _): hint = " ('xL' is only allowed in the day-of-week field, as a single weekday)"
            case (UInt8(ascii: "#"), _): hint = " ('x#k' is only allowed in the day-of-week field)"
            default: hint = ""
            }
            throw fail(.syntax, "unexpected \(describe(c))\(hint)")
        }
        if hasStep && !hasRange { b = maxValue }
        if a > b {
            // cronie's one special case: a day-of-week range may end on Sunday written as 0.
            if isDOW && b == 0 {
                b = 7
            } else {
                throw fail(.outOfRange, "the range \(a)-\(b) runs backwards; write the smaller value first", at: itemCol)
            }
        }
        for v in stride(from: a, through: b, by: stepValue) {
            result.values.append(v)
        }
    }
}
