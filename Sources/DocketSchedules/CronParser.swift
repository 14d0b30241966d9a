/// Turns cron text into a `CronMatcher` (and back into canonical text).
enum CronParser {
    struct Result {
        var matcher = CronMatcher()
        var secondStar = false
        var minuteStar = false
        var hourStar = false
        var zone: String?
        var gapPolicy: GapPolicy?
        var foldPolicy: FoldPolicy?
    }

    /// Vixie's macro meanings (cronie `entry.c`).
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// A word of the input with its 1-based column.
    struct Word {
        var text: Substring
        var column: Int
    }

    static func words(_ text: String) throws(ScheduleError) -> [Word] {
        var result: [Word] = []
        var column = 1
        var current: Substring.Index?
        var currentColumn = 0
        for index in text.indices {
            let c = text[index]
            // Character.isWhitespace, so that "\r\n" (one Character) separates words too.
            if c.isWhitespace {
                if let start = current {
                    result.append(Word(text: text[start..<index], column: currentColumn))
                    current = nil
                }
            } else {
                if !c.isASCII {
                    throw ScheduleError(.syntax, "unexpected character '\(c)'; cron expressions are plain ASCII", column: column)
                }
                if let scalar = c.unicodeScalars.first, scalar.value < 0x20 || scalar.value == 0x7F {
                    throw ScheduleError(.syntax, "unexpected control character U+\(String(scalar.value, radix: 16, uppercase: true)); cron expressions are printable ASCII", column: column)
                }
                if current == nil {
                    current = index
                    currentColumn = column
                }
            }
            column += 1
        }
        if let start = current { result.append(Word(text: text[start...], column: currentColumn)) }
        return result
    }

    static func parse(_ text: String) throws(ScheduleError) -> Result {
        var result = Result()
        var words = try words(text)
        // Prefixes: CRON_TZ=Zone / TZ=Zone (robfig, cronie), and Docket's DST overrides.
        var seenPrefixes: Set<Substring> = []
        while let first = words.first, let eq = first.text.firstIndex(of: "=") {
            let key = first.text[..<eq]
            let family: Substring = key == "TZ" ? "CRON_TZ" : key
            guard seenPrefixes.insert(family).inserted else {
                throw ScheduleError(.syntax, "\(key)= is given twice; give each prefix once", part: "prefix", column: first.column)
            }
            let value = String(first.text[first.text.index(after: eq)...])
            switch key {
            case "CRON_TZ", "TZ":
                guard !value.isEmpty else {
                    throw ScheduleError(.syntax, "\(key)= needs a zone name, e.g. \(key)=America/New_York", part: "prefix", column: first.column)
                }
                do {
                    _ = try ZoneName.rules(for: value)
                } catch {
                    throw ScheduleError(error.kind, error.reason, part: "prefix \(key)", column: first.column + key.count + 1)
                }
                result.zone = ZoneName.canonical(value)
            case "CRON_DST_GAP":
                guard let policy = GapPolicy(rawValue: value) else {
                    throw ScheduleError(.unknownName, "unknown gap policy '\(value)' (allowed: \(GapPolicy.allCases.map(\.rawValue).joined(separator: ", ")))", part: "prefix CRON_DST_GAP", column: first.column + key.count + 1)
                }
                result.gapPolicy = policy
            case "CRON_DST_FOLD":
                guard let policy = FoldPolicy(rawValue: value) else {
                    throw ScheduleError(.unknownName, "unknown fold policy '\(value)' (allowed: \(FoldPolicy.allCases.map(\.rawValue).joined(separator: ", ")))", part: "prefix CRON_DST_FOLD", column: first.column + key.count + 1)
                }
                result.foldPolicy = policy
            default:
                throw ScheduleError(.syntax, "unknown prefix '\(key)=' (allowed: CRON_TZ=, TZ=, CRON_DST_GAP=, CRON_DST_FOLD=)", part: "prefix", column: first.column)
            }
            words.removeFirst()
        }
        guard let first = words.first else {
            throw ScheduleError(.fieldCount, "the expression is empty; expected 5 fields (minute hour day-of-month month day-of-week), 6 (seconds first) or 7 (plus year), or a macro such as @daily")
        }

        if first.text.hasPrefix("@") {
            let name = first.text.lowercased()
            if name == "@every" {
                throw ScheduleError(.unsupported, "@every is an interval, not a cron expression: use it as a schedule on its own, without a CRON_TZ= prefix (Schedule(parsing: \"@every 5m\") in Swift, `docket cron next '@every 5m'` on the command line)", column: first.column)
            }
            if name == "@reboot" {
                throw ScheduleError(.unsupported, "@reboot is an event, not a time; run the job at start-up instead", column: first.column)
            }
            guard let expansion = macros[name] else {
                throw ScheduleError(.unknownName, "unknown macro '\(first.text)' (allowed: @yearly @annually @monthly @weekly @daily @midnight @hourly, or @every <duration> as a Schedule)", column: first.column)
            }
            if words.count > 1 {
                throw ScheduleError(.syntax, "unexpected text after \(name); a macro stands alone", column: words[1].column)
            }
            // Column information points at the macro itself: its fields cannot be wrong.
            let expanded = expansion.split(separator: " ").map { Word(text: $0, column: first.column) }
            try parseFields(expanded, into: &result)
        } else {
            try parseFields(words, into: &result)
        }
        return result
    }

    static func parseFields(_ words: [Word], into result: inout Result) throws(ScheduleError) {
        let fields: [CronField]
        switch words.count {
        case 5: fields = [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case 6: fields = [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case 7: fields = [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek, .year]
        default:
            throw ScheduleError(.fieldCount, "expected 5 fields (minute hour day-of-month month day-of-week), 6 (seconds first) or 7 (seconds first, year last), found \(words.count)")
        }
        var m = CronMatcher()
        if words.count == 5 { m.seconds = 1 }
        for (index, field) in fields.enumerated() {
            let word = words[index]
            let parsed = try field.parse(word.text, position: index + 1, column: word.column)
            var bits: UInt64 = 0
            for v in parsed.values where field.kind != .year {
                bits |= 1 << UInt64(field.kind == .dayOfWeek ? v % 7 : v)
            }
            switch field.kind {
            case .second:
                m.seconds = bits
                result.secondStar = parsed.startsWithStar
            case .minute:
                m.minutes = bits
                result.minuteStar = parsed.startsWithStar
            case .hour:
                m.hours = bits
                result.hourStar = parsed.startsWithStar
            case .dayOfMonth:
                m.daysOfMonth = bits
                m.domStar = parsed.startsWithStar
                m.lastDayOffsets = parsed.lastDayOffsets
                m.nearestWeekdays = parsed.nearestWeekdays
                m.lastWeekdayOfMonth = parsed.lastWeekdayOfMonth
            case .month:
                m.months = bits
            case .dayOfWeek:
                m.daysOfWeek = bits
                m.dowStar = parsed.startsWithStar
                m.lastOfWeekday = parsed.lastOfWeekday
                m.nthWeekday = parsed.nthWeekday
            case .year:
                var years = YearSet()
                for v in parsed.values { years.insert(v) }
                // A year field of `*` is no restriction; keep the value equal to the 6-field form.
                m.years = parsed.startsWithStar && years.isFull ? nil : years
            }
        }
        if !m.canEverMatch() {
            throw ScheduleError(.neverFires, neverFiresReason(m), part: "field \(fields.count == 5 ? 3 : 4) (day-of-month)", column: words[fields.count == 5 ? 2 : 3].column)
        }
        result.matcher = m
    }

    static func neverFiresReason(_ m: CronMatcher) -> String {
        let monthNames = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        var months: [String] = []
        var bits = m.months
        while bits != 0 {
            months.append(monthNames[bits.trailingZeroBitCount])
            bits &= bits - 1
        }
        if m.daysOfMonth != 0 && !m.hasDomSpecials {
            let firstDay = m.daysOfMonth.trailingZeroBitCount
            return "the expression can never fire: day \(firstDay) does not occur in \(months.joined(separator: ", "))\(m.years == nil ? "" : " in the allowed years") with the other day constraints"
        }
        return "the expression can never fire: no day of \(months.joined(separator: ", "))\(m.years == nil ? "" : " in the allowed years") satisfies the day-of-month and day-of-week fields"
    }

    // MARK: - Canonical text

    static func canonicalText(_ e: CronExpression) -> String {
        let m = e.matcher
        var parts: [String] = []
        // Always name the zone, so the text means the same wherever it is parsed.
        parts.append("CRON_TZ=\(e.zone.identifier)")
        if e.gapPolicy != .auto { parts.append("CRON_DST_GAP=\(e.gapPolicy.rawValue)") }
        if e.foldPolicy != .auto { parts.append("CRON_DST_FOLD=\(e.foldPolicy.rawValue)") }
        let hasSeconds = !(m.seconds == 1 && !e.secondStar) || m.years != nil
        if hasSeconds { parts.append(render(m.seconds, range: 0...59, star: e.secondStar)) }
        parts.append(render(m.minutes, range: 0...59, star: e.minuteStar))
        parts.append(render(m.hours, range: 0...23, star: e.hourStar))

        var dom = m.daysOfMonth == 0 ? [] : [render(m.daysOfMonth, range: 1...31, star: m.domStar)]
        if m.lastDayOffsets & 1 != 0 { dom.append("L") }
        for n in 1...30 where m.lastDayOffsets & (1 << UInt64(n)) != 0 { dom.append("L-\(n)") }
        for d in 1...31 where m.nearestWeekdays & (1 << UInt64(d)) != 0 { dom.append("\(d)W") }
        if m.lastWeekdayOfMonth { dom.append("LW") }
        parts.append(dom.joined(separator: ","))

        parts.append(render(m.months, range: 1...12, star: false, full: "*"))

        var dow = m.daysOfWeek == 0 ? [] : [render(m.daysOfWeek, range: 0...6, star: m.dowStar)]
        for x in 0...6 where m.lastOfWeekday & (1 << UInt64(x)) != 0 { dow.append("\(x)L") }
        for k in 1...5 {
            for x in 0...6 where m.nthWeekday & (1 << UInt64((k - 1) * 8 + x)) != 0 { dow.append("\(x)#\(k)") }
        }
        parts.append(dow.joined(separator: ","))

        if let years = m.years {
            parts.append(renderList(years.members))
        }
        return parts.joined(separator: " ")
    }

    /// Renders a bitset field so that parsing it gives back the same bits and the same
    /// "begins with `*`" flag.
    static func render(_ bits: UInt64, range: ClosedRange<Int>, star: Bool, full: String? = nil) -> String {
        let values = range.filter { bits & (1 << UInt64($0)) != 0 }
        if values.count == range.count, star || full != nil { return "*" }
        if star {
            // A field that began with `*` always holds the range's first value: render the
            // densest `*/k` it contains, then what is left as a list.
            let span = range.count
            for k in 1...span {
                let progression = Set(stride(from: range.lowerBound, through: range.upperBound, by: k))
                if progression.isSubset(of: values) {
                    let rest = values.filter { !progression.contains($0) }
                    let head = k == 1 ? "*" : "*/\(k)"
                    return rest.isEmpty ? head : head + "," + renderList(rest)
                }
            }
        }
        return renderList(values)
    }

    /// Renders sorted values as ranges and single values (`1-5,7,9-12`), or as one progression
    /// (`10-50/10`) when that is what they are.
    static func renderList(_ values: [Int]) -> String {
        guard let first = values.first, let last = values.last else { return "" }
        if values.count >= 3 {
            let step = values[1] - values[0]
            if step > 1, zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                return "\(first)-\(last)/\(step)"
            }
        }
        var items: [String] = []
        var runStart = first
        var previous = first
        for v in values.dropFirst() + [Int.max] {
            if v == previous + 1 {
                previous = v
                continue
            }
            items.append(previous - runStart >= 2 ? "\(runStart)-\(previous)" : (runStart == previous ? "\(runStart)" : "\(runStart),\(previous)"))
            runStart = v
            previous = v
        }
        return items.joined(separator: ",")
    }
}
