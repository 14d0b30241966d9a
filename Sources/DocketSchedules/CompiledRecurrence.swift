/// A recurrence rule prepared for evaluation: bitmasks for the BYxxx parts, the implicit
/// defaults of RFC 5545 applied, DTSTART resolved to an instant.
///
/// Day-level parts are all evaluated as filters over the days of one period (a year, a month,
/// a week or a day), the approach python-dateutil takes: "expand" in the RFC's table is the
/// same as "keep the days of the period that pass every filter".
final class CompiledRecurrence: Sendable {
    let frequency: RecurrenceRule.Frequency
    let interval: Int64
    let count: Int?
    let until: Int64?
    let rules: ZoneRules
    let startPolicy: RecurrenceRule.StartPolicy

    let startLocal: Int64
    let startInstant: Int64
    let startDay: Int64
    let startYear: Int
    /// `year * 12 + month - 1` of DTSTART.
    let startMonthIndex: Int64
    /// The first day (WKST) of DTSTART's week.
    let startWeekDay: Int64
    let weekStart: Int

    /// Seconds of the day of each instance of a day, sorted (DAILY and coarser).
    let timesOfDay: [Int64]
    /// Bits 1…12; 0 = every month.
    let months: UInt64
    /// Bits 1…31 for BYMONTHDAY=n, and for BYMONTHDAY=-n.
    let monthDays: UInt64
    let monthDaysFromEnd: UInt64
    /// BYYEARDAY, positive and negative (as given).
    let yearDays: [Int]
    let weekNumbers: [Int]
    /// Bits 0…6 for BYDAY entries without an ordinal.
    let weekdays: UInt64
    /// BYDAY entries with an ordinal.
    let nthWeekdays: [(weekday: Int, n: Int)]
    let setPositions: [Int]
    /// BYHOUR / BYMINUTE / BYSECOND as bitmasks (0 = not given), for sub-daily limits.
    let hours: UInt64
    let minutes: UInt64
    let seconds: UInt64
    let byMinute: [Int64]
    let bySecond: [Int64]

    let rdates: [Int64]
    let exdates: Set<Int64>
    let exdateDays: Set<Int64>
    /// True when an elapsed rule's INTERVAL can never reach a time of day its BYHOUR, BYMINUTE
    /// and BYSECOND allow, under any of the zone's offsets (every 2 seconds from an even second
    /// never lands on second 1): then only DTSTART and RDATEs remain.
    let patternNeverMatches: Bool

    var hasDayFilter: Bool { weekdays != 0 || !nthWeekdays.isEmpty }
    /// An elapsed rule with no BYxxx part: its k-th instance is DTSTART + k · step.
    var isPureElapsed: Bool {
        isSubDaily && months == 0 && monthDays == 0 && monthDaysFromEnd == 0 && yearDays.isEmpty
            && weekdays == 0 && nthWeekdays.isEmpty && hours == 0 && minutes == 0 && seconds == 0
            && setPositions.isEmpty && byMinute.isEmpty && bySecond.isEmpty
    }
    var isSubDaily: Bool { frequency == .hourly || frequency == .minutely || frequency == .secondly }

    init(_ d: RecurrenceRule.Definition) throws(ScheduleError) {
        frequency = d.frequency
        interval = Int64(d.interval)
        count = d.count
        until = d.until
        rules = try ZoneName.rules(for: d.zone)
        startPolicy = d.startPolicy
        startLocal = d.start.localSeconds
        startInstant = rules.instant(local: startLocal)
        startDay = CivilCalendar.floorDiv(startLocal, 86_400)
        startYear = d.start.year
        startMonthIndex = Int64(d.start.year * 12 + d.start.month - 1)
        weekStart = d.weekStart.rawValue
        startWeekDay = startDay - Int64((CivilCalendar.weekday(ofDays: startDay) - weekStart + 7) % 7)

        func mask(_ values: [Int]) -> UInt64 { values.reduce(0) { $0 | (1 << UInt64($1)) } }

        var byMonth = d.byMonth
        var byMonthDay = d.byMonthDay
        var plainDays = d.byDay.filter { $0.ordinal == nil }.map(\.weekday.rawValue)
        // RFC 5545's implicit parts: with no day-level BYxxx, a YEARLY rule recurs on DTSTART's
        // month and day, a MONTHLY one on DTSTART's day, a WEEKLY one on DTSTART's weekday.
        if d.byWeekNo.isEmpty && d.byYearDay.isEmpty && d.byMonthDay.isEmpty && d.byDay.isEmpty {
            switch d.frequency {
            case .yearly:
                if byMonth.isEmpty { byMonth = [d.start.month] }
                byMonthDay = [d.start.day]
            case .monthly:
                byMonthDay = [d.start.day]
            case .weekly:
                plainDays = [CivilCalendar.weekday(ofDays: startDay)]
            default:
                break
            }
        }
        months = mask(byMonth)
        monthDays = mask(byMonthDay.filter { $0 > 0 })
        monthDaysFromEnd = mask(byMonthDay.filter { $0 < 0 }.map { -$0 })
        yearDays = d.byYearDay
        weekNumbers = d.byWeekNo
        weekdays = mask(plainDays)
        nthWeekdays = d.byDay.compactMap { r in r.ordinal.map { (r.weekday.rawValue, $0) } }
        setPositions = d.bySetPos
        hours = mask(d.byHour)
        minutes = mask(d.byMinute)
        seconds = mask(d.bySecond)
        byMinute = d.byMinute.map(Int64.init)
        bySecond = d.bySecond.map(Int64.init)

        if d.startIsDate {
            timesOfDay = [0]
        } else {
            let hs = d.byHour.isEmpty ? [d.start.hour] : d.byHour
            let ms = d.byMinute.isEmpty ? [d.start.minute] : d.byMinute
            let ss = d.bySecond.isEmpty ? [d.start.second] : d.bySecond
            var times: [Int64] = []
            for h in hs { for m in ms { for s in ss { times.append(Int64(h * 3600 + m * 60 + s)) } } }
            timesOfDay = times.sorted()
        }
        rdates = d.rdates
        exdates = Set(d.exdates)
        exdateDays = Set(d.exdateDays)
        // BYSETPOS picks positions within one period; positions beyond the most a period can
        // hold select nothing, ever.
        let perDay = timesOfDay.count
        let maxPerPeriod: Int
        switch d.frequency {
        case .yearly: maxPerPeriod = 366 * perDay
        case .monthly: maxPerPeriod = 31 * perDay
        case .weekly: maxPerPeriod = 7 * perDay
        case .daily: maxPerPeriod = perDay
        case .hourly: maxPerPeriod = max(d.byMinute.count, 1) * max(d.bySecond.count, 1)
        case .minutely: maxPerPeriod = max(d.bySecond.count, 1)
        case .secondly: maxPerPeriod = 1
        }
        let positionsUnreachable = !d.bySetPos.isEmpty && d.bySetPos.allSatisfy { abs($0) > maxPerPeriod }
        patternNeverMatches = positionsUnreachable || Self.timeOfDayUnreachable(
            frequency: d.frequency, interval: Int64(d.interval), startLocal: startLocal,
            startOffset: startLocal - startInstant, offsets: Array(rules.offsets(fromSegment: rules.segment(containing: startInstant))),
            hours: hours, minutes: minutes, seconds: seconds)
    }

    /// Whether the local times of day `startLocal + k · step + (offset change)` can never pass
    /// the BYHOUR / BYMINUTE / BYSECOND limits of an elapsed rule.
    static func timeOfDayUnreachable(
        frequency: RecurrenceRule.Frequency, interval: Int64, startLocal: Int64, startOffset: Int64,
        offsets: [Int64], hours: UInt64, minutes: UInt64, seconds: UInt64
    ) -> Bool {
        let step: Int64
        switch frequency {
        case .secondly: step = interval
        case .minutely: step = interval * 60
        case .hourly: step = interval * 3600
        default: return false
        }
        let checkMinutes = frequency != .hourly && minutes != 0
        let checkSeconds = frequency == .secondly && seconds != 0
        if hours == 0 && !checkMinutes && !checkSeconds { return false }
        func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
        let day: Int64 = 86_400
        let stride = step % day
        let cycle = stride == 0 ? 1 : day / gcd(stride, day)
        let base = CivilCalendar.floorMod(startLocal, day)
        for delta in Set(offsets.map { $0 - startOffset }) {
            var position = CivilCalendar.floorMod(base + delta, day)
            for _ in 0..<cycle {
                let hourOK = hours == 0 || hours & (1 << UInt64(position / 3600)) != 0
                let minuteOK = !checkMinutes || minutes & (1 << UInt64(position / 60 % 60)) != 0
                let secondOK = !checkSeconds || seconds & (1 << UInt64(position % 60)) != 0
                if hourOK && minuteOK && secondOK { return false }
                position = (position + stride) % day
            }
        }
        return true
    }

    func isExcluded(_ t: Int64) -> Bool {
        if exdates.contains(t) { return true }
        if !exdateDays.isEmpty && exdateDays.contains(CivilCalendar.floorDiv(rules.local(t), 86_400)) { return true }
        return false
    }

    /// The first instance of the whole set (RRULE with DTSTART, plus RDATE, minus EXDATE)
    /// strictly after `a`.
    func nextInstant(after a: Int64) -> Int64? {
        var cursor = RecurrenceCursor(self, after: a)
        return cursor.next()
    }

    /// The first `limit` instances of the whole set.
    func instances(limit: Int) -> [Int64] {
        var cursor = RecurrenceCursor(self, after: nil)
        var result: [Int64] = []
        while result.count < limit, let t = cursor.next() { result.append(t) }
        return result
    }

    // MARK: - Day filters

    /// Whether a day passes the month, weekday and month-day filters; `ordinal` tells whether an
    /// ordinal BYDAY entry (`2MO`) selects it in this period. BYDAY entries are a union.
    @inline(__always)
    func dayPasses(day: Int64, month: Int, monthDay: Int, daysInMonth: Int, ordinal: Bool) -> Bool {
        if months != 0 && months & (1 << UInt64(month)) == 0 { return false }
        if hasDayFilter {
            let inPlain = weekdays != 0 && weekdays & (1 << UInt64(CivilCalendar.weekday(ofDays: day))) != 0
            if !inPlain && !ordinal { return false }
        }
        if monthDays != 0 || monthDaysFromEnd != 0 {
            let fromEnd = daysInMonth - monthDay + 1
            if monthDays & (1 << UInt64(monthDay)) == 0 && monthDaysFromEnd & (1 << UInt64(fromEnd)) == 0 { return false }
        }
        return true
    }

    /// The days of month `year-month` (bit i = day i + 1) that pass the month, weekday and
    /// month-day filters, computed as whole-month bitmasks rather than day by day; `ordinal`
    /// holds the days ordinal BYDAY entries select (same bit layout).
    @inline(__always)
    func monthDayMask(year: Int, month: Int, firstDay: Int64, daysInMonth dim: Int, ordinal: UInt64) -> UInt64 {
        if months != 0 && months & (1 << UInt64(month)) == 0 { return 0 }
        var mask: UInt64 = (1 << UInt64(dim)) - 1
        if hasDayFilter {
            // Cron's table: days 1…31 with given weekdays in a month starting on a Sunday,
            // rotated to this month's first weekday (bit d there = day d, so shift down one).
            let first = CivilCalendar.weekday(ofDays: firstDay)
            let plain = weekdays == 0 ? 0 : CronMatcher.weekdayDayMasks[CronMatcher.rotate(weekdays, by: first)] >> 1
            mask &= plain | ordinal
        }
        if monthDays != 0 || monthDaysFromEnd != 0 {
            var wanted = monthDays >> 1
            var fromEnd = monthDaysFromEnd
            while fromEnd != 0 {
                let n = fromEnd.trailingZeroBitCount
                fromEnd &= fromEnd - 1
                if n <= dim { wanted |= 1 << UInt64(dim - n) }
            }
            mask &= wanted
        }
        return mask
    }

    @inline(__always)
    func yearDayPasses(dayOfYear: Int, yearLength: Int) -> Bool {
        if yearDays.isEmpty { return true }
        let positive = dayOfYear + 1
        let negative = dayOfYear - yearLength
        return yearDays.contains(positive) || yearDays.contains(negative)
    }

    /// The first day after `day` (and at most `limit`) that passes the month, weekday, month-day
    /// and year-day filters, walking the calendar without converting instants.
    func nextPassingDay(after day: Int64, limit: Int64) -> Int64? {
        var d = day + 1
        var (y, m, md) = CivilCalendar.civilFromDays(d)
        var dim = CivilCalendar.daysInMonth(year: y, month: m)
        var yearStart = CivilCalendar.daysFromCivil(year: y, month: 1, day: 1)
        var yearLength = CivilCalendar.daysInYear(y)
        while d <= limit {
            if months != 0 && months & (1 << UInt64(m)) == 0 {
                d += Int64(dim - md + 1)
                md = dim
            } else if dayPasses(day: d, month: m, monthDay: md, daysInMonth: dim, ordinal: false)
                        && yearDayPasses(dayOfYear: Int(d - yearStart), yearLength: yearLength) {
                return d
            } else {
                d += 1
            }
            md += 1
            if md > dim {
                md = 1
                m += 1
                if m > 12 {
                    m = 1
                    y += 1
                    yearStart = CivilCalendar.daysFromCivil(year: y, month: 1, day: 1)
                    yearLength = CivilCalendar.daysInYear(y)
                }
                dim = CivilCalendar.daysInMonth(year: y, month: m)
            }
        }
        return nil
    }

    /// The days selected by ordinal BYDAY entries within `first…last`, as offsets from `base`.
    func nthDays(first: Int64, last: Int64, base: Int64, into out: inout DaySet) {
        let firstWeekday = Int64(CivilCalendar.weekday(ofDays: first))
        let lastWeekday = Int64(CivilCalendar.weekday(ofDays: last))
        for (weekday, n) in nthWeekdays {
            let w = Int64(weekday)
            let day: Int64
            if n > 0 {
                day = first + (w - firstWeekday + 7) % 7 + Int64(n - 1) * 7
            } else {
                day = last - (lastWeekday - w + 7) % 7 + Int64(n + 1) * 7
            }
            if day >= first && day <= last { out.insert(Int(day - base)) }
        }
    }

    /// The days of `year` selected by BYWEEKNO, as day-of-year indices (0-based), following
    /// python-dateutil's week numbering with WKST (ISO 8601 weeks when WKST=MO), with the week
    /// count of the previous year computed from that year's own length.
    func weekNumberDays(year: Int) -> [Int] {
        // dateutil numbers weekdays Monday = 0.
        func mondayBased(_ d: Int) -> Int { (d + 6) % 7 }
        let wkst = mondayBased(weekStart)
        let yearStart = CivilCalendar.daysFromCivil(year: year, month: 1, day: 1)
        let yearLength = CivilCalendar.daysInYear(year)
        let yearWeekday = mondayBased(CivilCalendar.weekday(ofDays: yearStart))
        func weekdayAt(_ i: Int) -> Int { mondayBased(CivilCalendar.weekday(ofDays: yearStart + Int64(i))) }

        let firstWkst = (7 - yearWeekday + wkst) % 7
        var no1wkst = firstWkst
        let weekYearLength: Int
        if no1wkst >= 4 {
            no1wkst = 0
            weekYearLength = yearLength + (yearWeekday - wkst + 7) % 7
        } else {
            weekYearLength = yearLength - no1wkst
        }
        let numWeeks = weekYearLength / 7 + (weekYearLength % 7) / 4
        var marked = Set<Int>()
        func markWeek(from start: Int) {
            var i = start
            for _ in 0..<7 {
                if i >= 0 && i < yearLength { marked.insert(i) }
                i += 1
                if weekdayAt(i) == wkst { break }
            }
        }
        for var n in weekNumbers {
            if n < 0 { n += numWeeks + 1 }
            guard n > 0 && n <= numWeeks else { continue }
            var i: Int
            if n > 1 {
                i = no1wkst + (n - 1) * 7
                if no1wkst != firstWkst { i -= 7 - firstWkst }
            } else {
                i = no1wkst
            }
            markWeek(from: i)
        }
        if weekNumbers.contains(1) {
            // Week 1 of the next year may begin in this year's last days.
            var i = no1wkst + numWeeks * 7
            if no1wkst != firstWkst { i -= 7 - firstWkst }
            if i < yearLength { markWeek(from: i) }
        }
        if no1wkst != 0 {
            // This year's first days belong to the last week of the previous year.
            let lastWeeks: Int
            if weekNumbers.contains(-1) {
                lastWeeks = -1
            } else {
                let previousStart = CivilCalendar.daysFromCivil(year: year - 1, month: 1, day: 1)
                let previousWeekday = mondayBased(CivilCalendar.weekday(ofDays: previousStart))
                let previousLength = CivilCalendar.daysInYear(year - 1)
                var previousNo1 = (7 - previousWeekday + wkst) % 7
                let previousWeekYear: Int
                if previousNo1 >= 4 {
                    previousNo1 = 0
                    previousWeekYear = previousLength + (previousWeekday - wkst + 7) % 7
                } else {
                    previousWeekYear = previousLength - previousNo1
                }
                lastWeeks = previousWeekYear / 7 + (previousWeekYear % 7) / 4
            }
            if weekNumbers.contains(lastWeeks) {
                for i in 0..<no1wkst { marked.insert(i) }
            }
        }
        return marked.sorted()
    }
}
