import Foundation

/// Reads iCalendar recurrence text (DTSTART, RRULE, RDATE, EXDATE) into a rule definition, and
/// writes the canonical text back.
enum RecurrenceParser {
    /// A content line or bare rule, with the 1-based column where it starts.
    struct Token {
        var text: Substring
        var column: Int
    }

    static let partNames: Set<String> = [
        "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
        "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
    ]

    static func parse(_ input: String, start: Date?, timeZone: TimeZone?) throws(ScheduleError) -> RecurrenceRule.Definition {
        // Unfold folded lines (RFC 5545 §3.1): a line break followed by one space or tab.
        let text = input.replacingOccurrences(of: "\r\n ", with: "").replacingOccurrences(of: "\r\n\t", with: "")
            .replacingOccurrences(of: "\n ", with: "").replacingOccurrences(of: "\n\t", with: "")
        var tokens: [Token] = []
        var column = 1
        var tokenStart: String.Index?
        var tokenColumn = 0
        for index in text.indices {
            if text[index].isWhitespace {
                if let s = tokenStart { tokens.append(Token(text: text[s..<index], column: tokenColumn)) }
                tokenStart = nil
            } else if tokenStart == nil {
                tokenStart = index
                tokenColumn = column
            }
            column += 1
        }
        if let s = tokenStart { tokens.append(Token(text: text[s...], column: tokenColumn)) }
        guard !tokens.isEmpty else {
            throw ScheduleError(.syntax, "the rule is empty; expected e.g. FREQ=DAILY;COUNT=5 or DTSTART;TZID=Europe/London:20250101T090000 followed by RRULE:FREQ=WEEKLY")
        }

        var startLine: (params: [String: String], value: String, column: Int)?
        var ruleToken: Token?
        var rdateLines: [(params: [String: String], value: String, column: Int)] = []
        var exdateLines: [(params: [String: String], value: String, column: Int)] = []
        var policy: RecurrenceRule.StartPolicy = .alwaysFirst

        for token in tokens {
            let upper = token.text.uppercased()
            if upper.hasPrefix("FREQ=") || (!token.text.contains(":") && token.text.contains("=")) {
                if ruleToken != nil {
                    throw ScheduleError(.unsupported, "more than one RRULE; Docket takes exactly one (add dates with RDATE)", part: "RRULE", column: token.column)
                }
                ruleToken = token
                continue
            }
            guard let colon = token.text.firstIndex(of: ":") else {
                throw ScheduleError(.syntax, "'\(token.text)' is neither a content line (NAME:value) nor a rule (FREQ=...)", column: token.column)
            }
            let head = token.text[..<colon]
            let value = String(token.text[token.text.index(after: colon)...])
            var headParts = head.split(separator: ";", omittingEmptySubsequences: false)
            let name = String(headParts.removeFirst()).uppercased()
            var params: [String: String] = [:]
            for p in headParts {
                guard let eq = p.firstIndex(of: "=") else {
                    throw ScheduleError(.syntax, "parameter '\(p)' of \(name) needs a value (NAME=value)", part: name, column: token.column)
                }
                var v = String(p[p.index(after: eq)...])
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                params[p[..<eq].uppercased()] = v
            }
            switch name {
            case "DTSTART":
                if startLine != nil {
                    throw ScheduleError(.syntax, "DTSTART appears more than once", part: "DTSTART", column: token.column)
                }
                startLine = (params, value, token.column)
            case "RRULE":
                if ruleToken != nil {
                    throw ScheduleError(.unsupported, "more than one RRULE; Docket takes exactly one (add dates with RDATE)", part: "RRULE", column: token.column)
                }
                ruleToken = Token(text: token.text[token.text.index(after: colon)...], column: token.column + head.count + 1)
            case "RDATE": rdateLines.append((params, value, token.column))
            case "EXDATE": exdateLines.append((params, value, token.column))
            case "X-DOCKET-DTSTART":
                switch value.uppercased() {
                case "IF-MATCHING": policy = .onlyIfMatching
                case "ALWAYS": policy = .alwaysFirst
                default:
                    throw ScheduleError(.unknownName, "X-DOCKET-DTSTART takes ALWAYS or IF-MATCHING, not '\(value)'", part: name, column: token.column)
                }
            case "EXRULE":
                throw ScheduleError(.unsupported, "EXRULE was removed in RFC 5545; use EXDATE", part: name, column: token.column)
            default:
                throw ScheduleError(.unsupported, "unsupported property '\(name)' (allowed: DTSTART, RRULE, RDATE, EXDATE)", part: name, column: token.column)
            }
        }
        guard let ruleToken else {
            throw ScheduleError(.syntax, "no RRULE found; expected a line RRULE:FREQ=... or a bare rule FREQ=...")
        }

        // DTSTART: from the text, else from `start`.
        let zoneFallback = timeZone.map(ZoneName.canonical) ?? "UTC"
        var zone = zoneFallback
        var local: LocalDateTime
        var isDate = false
        if let line = startLine {
            if start != nil {
                throw ScheduleError(.invalidCombination, "the text has a DTSTART and a start was also given; give one", part: "DTSTART", column: line.column)
            }
            let parsed = try dateValue(line.value, part: "DTSTART", column: line.column, params: line.params)
            isDate = parsed.dateOnly
            if let tzid = line.params["TZID"] {
                if parsed.offset != nil {
                    throw ScheduleError(.invalidCombination, "a UTC time (ending in Z) cannot also have a TZID", part: "DTSTART", column: line.column)
                }
                do {
                    _ = try ZoneName.rules(for: tzid)
                } catch {
                    throw ScheduleError(error.kind, error.reason, part: "DTSTART", column: line.column)
                }
                zone = ZoneName.canonical(tzid)
            } else if parsed.offset != nil {
                zone = "UTC"
            }
            local = parsed.local
        } else if let start {
            guard let s = Instant.seconds(after: start) else {
                throw ScheduleError(.outOfRange, "the start date is outside years 1…9999", part: "DTSTART")
            }
            local = LocalDateTime(localSeconds: try ZoneName.rules(for: zone).local(s))
        } else {
            throw ScheduleError(.syntax, "the rule needs a start: add a line DTSTART;TZID=Zone:YYYYMMDDTHHMMSS (or DTSTART:YYYYMMDDTHHMMSSZ), or pass a start date")
        }
        let rules = try ZoneName.rules(for: zone)

        var d = RecurrenceRule.Definition(frequency: .daily, start: local, zone: zone)
        d.startIsDate = isDate
        d.startPolicy = policy
        try parseRule(ruleToken, into: &d, rules: rules)

        for line in rdateLines {
            for value in try dateList(line, part: "RDATE", rules: rules) {
                d.rdates.append(value.instant)
            }
        }
        for line in exdateLines {
            for value in try dateList(line, part: "EXDATE", rules: rules) {
                if value.dateOnly && !isDate {
                    // A DATE excludes that calendar day; a TZID (which RFC 5545 does not allow on
                    // DATE values) does not move it.
                    d.exdateDays.append(value.day)
                } else {
                    d.exdates.append(value.instant)
                }
            }
        }
        d.rdates = Array(Set(d.rdates)).sorted()
        d.exdates = Array(Set(d.exdates)).sorted()
        d.exdateDays = Array(Set(d.exdateDays)).sorted()
        return d
    }

    static func dateValue(_ value: String, part: String, column: Int, params: [String: String]) throws(ScheduleError) -> ISO8601.Parsed {
        let parsed: ISO8601.Parsed
        do {
            parsed = try ISO8601.parse(value)
        } catch {
            throw ScheduleError(error.kind, "'\(value)' is not an iCalendar date or date-time (expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ)", part: part, column: column)
        }
        if parsed.offset != nil && parsed.offset != 0 {
            throw ScheduleError(.syntax, "'\(value)': iCalendar times carry a TZID parameter or end in Z, not a numeric offset", part: part, column: column)
        }
        if parsed.fraction != 0 {
            throw ScheduleError(.syntax, "'\(value)': iCalendar times have whole seconds", part: part, column: column)
        }
        if let kind = params["VALUE"]?.uppercased() {
            if kind == "DATE" && !parsed.dateOnly {
                throw ScheduleError(.invalidCombination, "VALUE=DATE but '\(value)' has a time", part: part, column: column)
            }
            if kind == "DATE-TIME" && parsed.dateOnly {
                throw ScheduleError(.invalidCombination, "VALUE=DATE-TIME but '\(value)' has no time", part: part, column: column)
            }
        }
        return parsed
    }

    /// One value of an RDATE or EXDATE line.
    struct DateValue {
        /// The instant (a DATE means local midnight).
        var instant: Int64
        /// Whether the value was a DATE.
        var dateOnly: Bool
        /// The calendar day as written (days since 1970-01-01).
        var day: Int64
    }

    /// The values of an RDATE or EXDATE line.
    static func dateList(
        _ line: (params: [String: String], value: String, column: Int),
        part: String, rules zoneRules: ZoneRules
    ) throws(ScheduleError) -> [DateValue] {
        var rules = zoneRules
        if let tzid = line.params["TZID"] {
            do {
                rules = try ZoneName.rules(for: tzid)
            } catch {
                throw ScheduleError(error.kind, error.reason, part: part, column: line.column)
            }
        }
        let isPeriod = line.params["VALUE"]?.uppercased() == "PERIOD"
        var result: [DateValue] = []
        for item in line.value.split(separator: ",", omittingEmptySubsequences: false) {
            // A PERIOD (start/end or start/duration) stands for its start.
            let text = isPeriod ? String(item.split(separator: "/").first ?? item) : String(item)
            var params = line.params
            if isPeriod { params["VALUE"] = nil }
            let parsed = try dateValue(text, part: part, column: line.column, params: params)
            let instant = parsed.offset != nil ? parsed.local.localSeconds : rules.instant(local: parsed.local.localSeconds)
            result.append(DateValue(instant: instant, dateOnly: parsed.dateOnly,
                                    day: CivilCalendar.floorDiv(parsed.local.localSeconds, 86_400)))
        }
        return result
    }

    static func parseRule(_ token: Token, into d: inout RecurrenceRule.Definition, rules: ZoneRules) throws(ScheduleError) {
        var seen: Set<String> = []
        var offset = 0
        var untilValue: (String, Int)?
        for rawPart in token.text.split(separator: ";", omittingEmptySubsequences: false) {
            let column = token.column + offset
            offset += rawPart.count + 1
            guard let eq = rawPart.firstIndex(of: "=") else {
                throw ScheduleError(.syntax, "'\(rawPart)' is not NAME=value (rule parts are separated by ';')", part: "RRULE", column: column)
            }
            let name = rawPart[..<eq].uppercased()
            let value = String(rawPart[rawPart.index(after: eq)...])
            guard partNames.contains(name) else {
                throw ScheduleError(.unsupported, "unknown rule part '\(name)' (allowed: \(partNames.sorted().joined(separator: ", ")))", part: "RRULE", column: column)
            }
            guard seen.insert(name).inserted else {
                throw ScheduleError(.syntax, "\(name) appears more than once", part: name, column: column)
            }
            guard !value.isEmpty else {
                throw ScheduleError(.syntax, "\(name) has no value", part: name, column: column)
            }
            func ints(_ range: ClosedRange<Int>, allowNegative: Bool, zero: Bool = false) throws(ScheduleError) -> [Int] {
                var out: [Int] = []
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let n = Int(item.hasPrefix("+") ? item.dropFirst() : item) else {
                        throw ScheduleError(.syntax, "'\(item)' is not a whole number", part: name, column: column)
                    }
                    // `magnitude`, not `abs`: abs(Int.min) traps.
                    let magnitude = allowNegative ? Int(clamping: n.magnitude) : n
                    guard range.contains(magnitude), zero || n != 0, allowNegative || n >= 0 else {
                        let allowed = allowNegative ? "\(range.lowerBound)…\(range.upperBound) or -\(range.upperBound)…-\(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)"
                        throw ScheduleError(.outOfRange, "\(n) is out of range \(allowed)", part: name, column: column)
                    }
                    out.append(n)
                }
                return Array(Set(out)).sorted()
            }
            switch name {
            case "FREQ":
                guard let f = RecurrenceRule.Frequency(rawValue: value.uppercased()) else {
                    throw ScheduleError(.unknownName, "unknown frequency '\(value)' (allowed: SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY)", part: name, column: column)
                }
                d.frequency = f
            case "INTERVAL":
                guard let n = Int(value), n >= 1, n <= RecurrenceValidation.maxInterval else {
                    throw ScheduleError(.outOfRange, "'\(value)' is not a whole number from 1 to \(RecurrenceValidation.maxInterval)", part: name, column: column)
                }
                d.interval = n
            case "COUNT":
                // Bounded because an instance's position depends on every earlier one: next(after:)
                // of a COUNT rule walks from DTSTART.
                guard let n = Int(value), n >= 1, n <= RecurrenceValidation.maxCount else {
                    throw ScheduleError(.outOfRange, "'\(value)' is not a whole number from 1 to \(RecurrenceValidation.maxCount)", part: name, column: column)
                }
                d.count = n
            case "UNTIL":
                untilValue = (value, column)
            case "BYSECOND":
                if value.split(separator: ",").contains("60") {
                    throw ScheduleError(.outOfRange, "60 (a leap second) is not supported; Docket's clocks have no leap seconds (allowed: 0…59)", part: name, column: column)
                }
                d.bySecond = try ints(0...59, allowNegative: false, zero: true)
            case "BYMINUTE": d.byMinute = try ints(0...59, allowNegative: false, zero: true)
            case "BYHOUR": d.byHour = try ints(0...23, allowNegative: false, zero: true)
            case "BYMONTHDAY": d.byMonthDay = try ints(1...31, allowNegative: true)
            case "BYYEARDAY": d.byYearDay = try ints(1...366, allowNegative: true)
            case "BYWEEKNO": d.byWeekNo = try ints(1...53, allowNegative: true)
            case "BYMONTH": d.byMonth = try ints(1...12, allowNegative: false)
            case "BYSETPOS": d.bySetPos = try ints(1...366, allowNegative: true)
            case "BYDAY":
                var days: Set<RecurrenceRule.WeekdayRule> = []
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    guard item.count >= 2, let weekday = weekday(item.suffix(2)) else {
                        throw ScheduleError(.unknownName, "'\(item)' is not a weekday (SU, MO, TU, WE, TH, FR, SA, optionally with an ordinal such as 2MO or -1FR)", part: name, column: column)
                    }
                    let prefix = item.dropLast(2)
                    var ordinal: Int?
                    if !prefix.isEmpty {
                        guard let n = Int(prefix.hasPrefix("+") ? prefix.dropFirst() : prefix), n != 0, n.magnitude <= 53 else {
                            throw ScheduleError(.outOfRange, "'\(item)': the ordinal must be 1…53 or -1…-53", part: name, column: column)
                        }
                        ordinal = n
                    }
                    days.insert(RecurrenceRule.WeekdayRule(weekday, ordinal: ordinal))
                }
                d.byDay = days.sorted()
            case "WKST":
                guard let w = weekday(Substring(value)), value.count == 2 else {
                    throw ScheduleError(.unknownName, "'\(value)' is not a weekday (SU, MO, TU, WE, TH, FR, SA)", part: name, column: column)
                }
                d.weekStart = w
            default:
                break
            }
        }
        guard seen.contains("FREQ") else {
            throw ScheduleError(.syntax, "FREQ is required (SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)", part: "RRULE", column: token.column)
        }
        if let (value, column) = untilValue {
            if d.count != nil {
                throw ScheduleError(.invalidCombination, "COUNT and UNTIL cannot both be given", part: "UNTIL", column: column)
            }
            let parsed = try dateValue(value, part: "UNTIL", column: column, params: [:])
            if d.startIsDate && !parsed.dateOnly {
                // All-day instances fall at local midnight: a date-time limit keeps the days up
                // to its local date, which is what the canonical DATE form says.
                let u = parsed.offset != nil ? parsed.local.localSeconds : rules.instant(local: parsed.local.localSeconds)
                d.until = rules.instant(local: CivilCalendar.floorDiv(rules.local(u), 86_400) * 86_400)
            } else if parsed.offset != nil {
                d.until = parsed.local.localSeconds
            } else if parsed.dateOnly && !d.startIsDate {
                // A DATE limit on a DATE-TIME rule: keep every instance of that local day.
                d.until = rules.instant(local: parsed.local.localSeconds + 86_399)
            } else {
                d.until = rules.instant(local: parsed.local.localSeconds)
            }
        }
    }

    static func weekday(_ code: Substring) -> RecurrenceRule.Weekday? {
        RecurrenceRule.Weekday.allCases.first { $0.code == code.uppercased() }
    }

    // MARK: - Canonical text

    static func canonicalText(_ d: RecurrenceRule.Definition) -> String {
        let rules = (try? ZoneName.rules(for: d.zone)) ?? ZoneRules.utc
        var lines: [String] = []
        let startText = basic(d.start, dateOnly: d.startIsDate)
        if d.startIsDate {
            lines.append(d.zone == "UTC" ? "DTSTART;VALUE=DATE:\(startText)" : "DTSTART;TZID=\(d.zone);VALUE=DATE:\(startText)")
        } else if d.zone == "UTC" {
            lines.append("DTSTART:\(startText)Z")
        } else {
            lines.append("DTSTART;TZID=\(d.zone):\(startText)")
        }
        var parts = ["FREQ=\(d.frequency.rawValue)"]
        if d.interval != 1 { parts.append("INTERVAL=\(d.interval)") }
        if let c = d.count { parts.append("COUNT=\(c)") }
        if let u = d.until {
            if d.startIsDate {
                parts.append("UNTIL=" + basic(LocalDateTime(localSeconds: rules.local(u)), dateOnly: true))
            } else {
                parts.append("UNTIL=" + basic(LocalDateTime(localSeconds: u), dateOnly: false) + "Z")
            }
        }
        func list(_ name: String, _ values: [Int]) {
            if !values.isEmpty { parts.append("\(name)=" + values.map(String.init).joined(separator: ",")) }
        }
        list("BYSECOND", d.bySecond)
        list("BYMINUTE", d.byMinute)
        list("BYHOUR", d.byHour)
        if !d.byDay.isEmpty { parts.append("BYDAY=" + d.byDay.map(\.text).joined(separator: ",")) }
        list("BYMONTHDAY", d.byMonthDay)
        list("BYYEARDAY", d.byYearDay)
        list("BYWEEKNO", d.byWeekNo)
        list("BYMONTH", d.byMonth)
        list("BYSETPOS", d.bySetPos)
        if d.weekStart != .monday { parts.append("WKST=\(d.weekStart.code)") }
        lines.append("RRULE:" + parts.joined(separator: ";"))
        if !d.rdates.isEmpty {
            lines.append("RDATE:" + d.rdates.map { basic(LocalDateTime(localSeconds: $0), dateOnly: false) + "Z" }.joined(separator: ","))
        }
        if !d.exdates.isEmpty {
            lines.append("EXDATE:" + d.exdates.map { basic(LocalDateTime(localSeconds: $0), dateOnly: false) + "Z" }.joined(separator: ","))
        }
        if !d.exdateDays.isEmpty {
            lines.append("EXDATE;VALUE=DATE:" + d.exdateDays.map { basic(LocalDateTime(localSeconds: $0 * 86_400), dateOnly: true) }.joined(separator: ","))
        }
        if d.startPolicy == .onlyIfMatching { lines.append("X-DOCKET-DTSTART:IF-MATCHING") }
        return lines.joined(separator: "\n")
    }

    /// `YYYYMMDD` or `YYYYMMDDTHHMMSS`.
    static func basic(_ t: LocalDateTime, dateOnly: Bool) -> String {
        let date = ISO8601.pad(t.year, 4) + ISO8601.pad(t.month, 2) + ISO8601.pad(t.day, 2)
        if dateOnly { return date }
        return date + "T" + ISO8601.pad(t.hour, 2) + ISO8601.pad(t.minute, 2) + ISO8601.pad(t.second, 2)
    }
}
