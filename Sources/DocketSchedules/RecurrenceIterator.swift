/// Walks the instances of a compiled RRULE (with DTSTART, `COUNT` and `UNTIL`; without RDATE
/// and EXDATE) in increasing order, one period (year, month, week, day, or elapsed hour, minute
/// or second) at a time.
///
/// Instants are produced per period and held until no later period can produce an earlier one:
/// reading wall times across a DST gap can move an instance past the start of the next period,
/// so emission waits for a lower bound on everything still to come.
struct RecurrenceIterator {
    let c: CompiledRecurrence
    /// The next period to expand.
    var period: Int64
    /// Produced instants not yet returned, sorted.
    var pending: [Int64] = []
    var pendingIndex = 0
    var emitted = 0
    var last: Int64?
    var startPending: Bool
    var exhausted = false
    /// Periods beyond this are not expanded (400 years past where the search began).
    let periodLimit: Int64
    let instantLimit: Int64
    /// The earliest instant expansions of an elapsed period can reach before the period's own
    /// instant (an HOURLY rule with BYMINUTE expands over the whole local hour).
    let expansionSpan: Int64
    /// Seconds per sub-daily period.
    let step: Int64
    /// Periods expanded since the last instance was returned.
    var barren = 0
    /// An elapsed rule whose INTERVAL can never line up with its BYxxx limits (SECONDLY,
    /// INTERVAL=2, BYSECOND=1 from an even second) would otherwise step through 400 years one
    /// period at a time; after this many fruitless periods the search gives up.
    static let barrenLimit = 200_000

    static let horizonDays: Int64 = 146_097

    init(_ c: CompiledRecurrence, from after: Int64?) {
        self.c = c
        switch c.frequency {
        case .secondly: step = c.interval
        case .minutely: step = c.interval * 60
        case .hourly: step = c.interval * 3600
        default: step = 0
        }
        switch c.frequency {
        case .hourly where !c.byMinute.isEmpty || !c.bySecond.isEmpty: expansionSpan = 3600
        case .minutely where !c.bySecond.isEmpty: expansionSpan = 60
        default: expansionSpan = 0
        }
        var first: Int64 = 0
        if let after, after >= c.startInstant {
            // Jump to the period that can hold the first instance after `after`: a wall time
            // maps to an instant at most one offset jump away from its neighbours'.
            let localAfter = c.rules.local(after) - c.rules.maxJump - 1
            let day = CivilCalendar.floorDiv(localAfter, 86_400)
            switch c.frequency {
            case .secondly, .minutely, .hourly:
                first = CivilCalendar.floorDiv(after - c.startInstant - expansionSpan - c.rules.maxJump, step)
            case .daily:
                first = CivilCalendar.floorDiv(day - c.startDay, c.interval)
            case .weekly:
                let weekDay = day - Int64((CivilCalendar.weekday(ofDays: day) - c.weekStart + 7) % 7)
                first = CivilCalendar.floorDiv(weekDay - c.startWeekDay, 7 * c.interval)
            case .monthly:
                let civil = CivilCalendar.civilFromDays(day)
                first = CivilCalendar.floorDiv(Int64(civil.year * 12 + civil.month - 1) - c.startMonthIndex, c.interval)
            case .yearly:
                let civil = CivilCalendar.civilFromDays(day)
                first = CivilCalendar.floorDiv(Int64(civil.year - c.startYear), c.interval)
            }
            first = max(0, first)
        }
        period = first
        startPending = first == 0 && c.startPolicy == .alwaysFirst
        let searchFrom = max(after ?? c.startInstant, c.startInstant)
        instantLimit = searchFrom &+ Self.horizonDays * 86_400
        switch c.frequency {
        case .yearly: periodLimit = first + 400 / c.interval + 1
        case .monthly: periodLimit = first + 4800 / c.interval + 1
        case .weekly: periodLimit = first + 20_872 / c.interval + 1
        case .daily: periodLimit = first + Self.horizonDays / c.interval + 1
        default: periodLimit = Int64.max
        }
    }

    /// The next instance, or nil when the set has ended.
    mutating func next() -> Int64? {
        if exhausted { return nil }
        if let count = c.count, emitted >= count {
            exhausted = true
            return nil
        }
        if c.patternNeverMatches && !startPending {
            exhausted = true
            return nil
        }
        if startPending {
            startPending = false
            if c.until.map({ c.startInstant <= $0 }) ?? true {
                return emit(c.startInstant)
            }
        }
        while true {
            if pendingIndex < pending.count {
                let t = pending[pendingIndex]
                let bound = lowerBound(period)
                if t < bound || bound == Int64.max {
                    pendingIndex += 1
                    if let l = last, t <= l { continue }
                    if let u = c.until, t > u { continue }
                    return emit(t)
                }
            } else if period == Int64.max {
                exhausted = true
                return nil
            }
            if period > periodLimit || (c.until.map { lowerBound(period) > $0 } ?? false) {
                period = Int64.max
                continue
            }
            if pendingIndex > 0 {
                pending.removeFirst(pendingIndex)
                pendingIndex = 0
            }
            barren += 1
            if barren > Self.barrenLimit {
                period = Int64.max
                continue
            }
            let before = pending.count
            period = c.isSubDaily ? expandElapsed(period) : expandCalendar(period)
            if pending.count > before { pending.sort() }
        }
    }

    mutating func emit(_ t: Int64) -> Int64 {
        barren = 0
        last = t
        emitted += 1
        return t
    }

    /// The earliest instant any period from `p` on can produce.
    func lowerBound(_ p: Int64) -> Int64 {
        if p == Int64.max { return Int64.max }
        if c.isSubDaily {
            let (product, overflow) = p.multipliedReportingOverflow(by: step)
            if overflow || product > instantLimit - c.startInstant { return Int64.max }
            return c.startInstant + product - expansionSpan - c.rules.maxJump
        }
        guard let day = firstDay(of: p) else { return Int64.max }
        return c.rules.instant(local: day * 86_400) - c.rules.maxJump
    }

    /// The first day (since 1970) of calendar period `p`, or nil past year 9999.
    func firstDay(of p: Int64) -> Int64? {
        switch c.frequency {
        case .daily:
            return c.startDay + p * c.interval
        case .weekly:
            return c.startWeekDay + p * 7 * c.interval
        case .monthly:
            let index = c.startMonthIndex + p * c.interval
            guard index < 10_000 * 12 else { return nil }
            return CivilCalendar.daysFromCivil(year: Int(index / 12), month: Int(index % 12) + 1, day: 1)
        case .yearly:
            let year = Int64(c.startYear) + p * c.interval
            guard year < 10_000 else { return nil }
            return CivilCalendar.daysFromCivil(year: Int(year), month: 1, day: 1)
        default:
            return nil
        }
    }

    // MARK: - Calendar periods (DAILY and coarser)

    /// Expands period `p` into `pending` and returns the next period to expand.
    mutating func expandCalendar(_ p: Int64) -> Int64 {
        var days: [Int64] = []
        var nth: [Int64] = []
        switch c.frequency {
        case .yearly:
            let year64 = Int64(c.startYear) + p * c.interval
            guard year64 < 10_000 else { return Int64.max }
            let year = Int(year64)
            let yearStart = CivilCalendar.daysFromCivil(year: year, month: 1, day: 1)
            let yearLength = CivilCalendar.daysInYear(year)
            let weekDays = c.weekNumbers.isEmpty ? nil : Set(c.weekNumberDays(year: year))
            if !c.nthWeekdays.isEmpty {
                if c.months != 0 {
                    for month in 1...12 where c.months & (1 << UInt64(month)) != 0 {
                        let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
                        c.nthDays(first: first, last: first + Int64(CivilCalendar.daysInMonth(year: year, month: month)) - 1, into: &nth)
                    }
                } else {
                    c.nthDays(first: yearStart, last: yearStart + Int64(yearLength) - 1, into: &nth)
                }
            }
            for month in 1...12 where c.months == 0 || c.months & (1 << UInt64(month)) != 0 {
                let dim = CivilCalendar.daysInMonth(year: year, month: month)
                let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
                for md in 1...dim {
                    let day = first + Int64(md - 1)
                    let dayOfYear = Int(day - yearStart)
                    if let weekDays, !weekDays.contains(dayOfYear) { continue }
                    if !c.yearDayPasses(dayOfYear: dayOfYear, yearLength: yearLength) { continue }
                    if c.dayPasses(day: day, month: month, monthDay: md, daysInMonth: dim, nth: nth) { days.append(day) }
                }
            }
        case .monthly:
            let index = c.startMonthIndex + p * c.interval
            guard index < 10_000 * 12 else { return Int64.max }
            let year = Int(index / 12)
            let month = Int(index % 12) + 1
            if c.months == 0 || c.months & (1 << UInt64(month)) != 0 {
                let dim = CivilCalendar.daysInMonth(year: year, month: month)
                let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
                if !c.nthWeekdays.isEmpty { c.nthDays(first: first, last: first + Int64(dim) - 1, into: &nth) }
                for md in 1...dim {
                    let day = first + Int64(md - 1)
                    if c.dayPasses(day: day, month: month, monthDay: md, daysInMonth: dim, nth: nth) { days.append(day) }
                }
            }
        case .weekly:
            let first = c.startWeekDay + p * 7 * c.interval
            for day in first..<(first + 7) {
                let civil = CivilCalendar.civilFromDays(day)
                guard civil.year < 10_000 else { return Int64.max }
                let dim = CivilCalendar.daysInMonth(year: civil.year, month: civil.month)
                if c.dayPasses(day: day, month: civil.month, monthDay: civil.day, daysInMonth: dim, nth: nth) { days.append(day) }
            }
        default:
            let day = c.startDay + p * c.interval
            let civil = CivilCalendar.civilFromDays(day)
            guard civil.year < 10_000 else { return Int64.max }
            let dim = CivilCalendar.daysInMonth(year: civil.year, month: civil.month)
            if c.dayPasses(day: day, month: civil.month, monthDay: civil.day, daysInMonth: dim, nth: nth) {
                days.append(day)
            } else if c.months != 0 && c.months & (1 << UInt64(civil.month)) == 0 {
                // Skip the rest of a month BYMONTH excludes, keeping the INTERVAL alignment.
                let nextMonth = civil.month == 12
                    ? CivilCalendar.daysFromCivil(year: civil.year + 1, month: 1, day: 1)
                    : CivilCalendar.daysFromCivil(year: civil.year, month: civil.month + 1, day: 1)
                return max(p + 1, ceilDiv(nextMonth - c.startDay, c.interval))
            }
        }
        if days.isEmpty { return p + 1 }
        var locals: [Int64] = []
        locals.reserveCapacity(days.count * c.timesOfDay.count)
        for day in days {
            for time in c.timesOfDay { locals.append(day * 86_400 + time) }
        }
        if !c.setPositions.isEmpty { locals = select(locals) }
        for w in locals where w >= c.startLocal {
            pending.append(c.rules.instant(local: w))
        }
        return p + 1
    }

    /// BYSETPOS: the n-th (or n-th from last) entries of one period's sorted set.
    func select(_ values: [Int64]) -> [Int64] {
        var chosen: [Int64] = []
        let n = values.count
        for pos in c.setPositions {
            let index = pos > 0 ? pos - 1 : n + pos
            if index >= 0 && index < n { chosen.append(values[index]) }
        }
        return Array(Set(chosen)).sorted()
    }

    func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
        -CivilCalendar.floorDiv(-a, b)
    }

    // MARK: - Elapsed periods (HOURLY, MINUTELY, SECONDLY)

    /// Expands elapsed period `k` (instant `start + k * step`) and returns the next `k` worth
    /// expanding: when a limit fails for the whole day, hour or minute, it jumps past it.
    mutating func expandElapsed(_ k: Int64) -> Int64 {
        let (product, overflow) = k.multipliedReportingOverflow(by: step)
        if overflow || product > instantLimit - c.startInstant { return Int64.max }
        let p = c.startInstant + product
        let local = c.rules.local(p)
        let day = CivilCalendar.floorDiv(local, 86_400)
        let secondOfDay = local - day * 86_400
        let civil = CivilCalendar.civilFromDays(day)
        guard civil.year < 10_000 else { return Int64.max }
        let dim = CivilCalendar.daysInMonth(year: civil.year, month: civil.month)

        func jump(toLocal target: Int64) -> Int64 {
            max(k + 1, ceilDiv(c.rules.instant(local: target) - c.startInstant, step))
        }
        let yearStart = CivilCalendar.daysFromCivil(year: civil.year, month: 1, day: 1)
        // Ordinal BYDAY entries are rejected for sub-daily rules, so no ordinal days apply here.
        if !c.dayPasses(day: day, month: civil.month, monthDay: civil.day, daysInMonth: dim, nth: [])
            || !c.yearDayPasses(dayOfYear: Int(day - yearStart), yearLength: CivilCalendar.daysInYear(civil.year)) {
            let limitDay = CivilCalendar.floorDiv(c.rules.local(instantLimit), 86_400)
            guard let next = c.nextPassingDay(after: day, limit: limitDay) else { return Int64.max }
            return jump(toLocal: next * 86_400)
        }
        let hour = secondOfDay / 3600
        if c.hours != 0 && c.hours & (1 << UInt64(hour)) == 0 {
            return max(k + 1, ceilDiv(p + (3600 - secondOfDay % 3600) - c.startInstant, step))
        }
        let minute = secondOfDay / 60 % 60
        if c.frequency != .hourly && c.minutes != 0 && c.minutes & (1 << UInt64(minute)) == 0 {
            return max(k + 1, ceilDiv(p + (60 - secondOfDay % 60) - c.startInstant, step))
        }
        let second = secondOfDay % 60
        if c.frequency == .secondly && c.seconds != 0 && c.seconds & (1 << UInt64(second)) == 0 {
            return k + 1
        }
        var candidates: [Int64]
        switch c.frequency {
        case .hourly where !c.byMinute.isEmpty || !c.bySecond.isEmpty:
            let hourStart = p - secondOfDay % 3600
            let ms = c.byMinute.isEmpty ? [minute] : c.byMinute
            let ss = c.bySecond.isEmpty ? [second] : c.bySecond
            candidates = []
            for m in ms { for s in ss { candidates.append(hourStart + m * 60 + s) } }
            candidates.sort()
        case .minutely where !c.bySecond.isEmpty:
            let minuteStart = p - second
            candidates = c.bySecond.map { minuteStart + $0 }
        default:
            candidates = [p]
        }
        if !c.setPositions.isEmpty { candidates = select(candidates) }
        for t in candidates where t >= c.startInstant { pending.append(t) }
        return k + 1
    }
}
