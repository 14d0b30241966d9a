/// Walks the instances of a compiled RRULE (with DTSTART, `COUNT` and `UNTIL`; without RDATE
/// and EXDATE) in increasing order.
///
/// Periods (a year, a month, a week, a day, or an elapsed hour, minute or second) are loaded one
/// at a time, and their instances are streamed by index: the k-th instance of a calendar period
/// is `days[k / T]` at `timesOfDay[k % T]`, so BYSETPOS is index arithmetic and nothing the size
/// of the whole period is materialized.
///
/// Instances come out in wall-clock order, which is instant order except right after a DST gap:
/// a skipped wall time is read with the offset from before the gap and lands up to one gap
/// length later than its wall-clock neighbours. Such an instant is held back until the wall
/// clock has moved past where it could be overtaken.
struct RecurrenceIterator {
    let c: CompiledRecurrence
    /// The next period to load.
    var period: Int64
    /// The loaded period: its passing days (calendar rules), its BYSETPOS choices, its size,
    /// and how far the cursor has read.
    var days = DaySet()
    var periodFirstDay: Int64 = 0
    var selected: [Int] = []
    var periodSize = 0
    var cursor = 0
    /// Elapsed rules: the period's first instant, and where its expansions start.
    var elapsedInstant: Int64 = 0
    var elapsedBase: Int64 = 0
    /// Produced instants not yet returned, sorted (almost always zero or one of them).
    var held: [Int64] = []
    /// Where the held instances begin in `held` (taken from the front without moving the rest:
    /// a skipped day of a rule with an instance every second holds 86,400 of them).
    var heldStart = 0
    /// Calendar rules: instants must wait until the wall clock reaches this (see the type's
    /// comment); the wall time of the last produced instance.
    var holdUntilLocal = Int64.min
    var lastLocal = Int64.min
    var sourceDone = false
    var emitted = 0
    var last: Int64?
    var startPending: Bool
    var exhausted = false
    /// Periods loaded since the last instance was returned, and in all.
    var barren = 0
    var loaded = 0
    /// Periods beyond this are not loaded: 400 years past where the search began, or past the
    /// latest instance returned, whichever is later (a walk of many instances never runs out
    /// of horizon while it keeps finding them; only a 400-year drought ends it).
    var periodLimit: Int64
    var instantLimit: Int64
    /// `instantLimit` moved on since `periodLimit` was computed from it.
    var periodLimitStale = false
    /// How far before an elapsed period's own instant its expansions can reach (an HOURLY rule
    /// with BYMINUTE expands over the whole local hour).
    let expansionSpan: Int64
    /// Seconds per elapsed period.
    let step: Int64
    /// Whether a period whose hour, minute or second fails its limit jumps straight to the next
    /// allowed one (tests turn it off to compare against stepping one unit at a time).
    var jumpsToAllowedValues = true

    /// Days (and wall times) before these cannot hold an instance after the search start, so
    /// loading skips them (only without BYSETPOS, whose positions count every day of a period).
    let minDay: Int64
    let minLocal: Int64

    static let horizonDays: Int64 = 146_097
    /// An elapsed rule whose INTERVAL never lines up with its limits in a way the compile-time
    /// checks miss would otherwise step through 400 years one period at a time; after this many
    /// fruitless periods the search gives up.
    static let barrenLimit = 200_000

    /// - Parameters:
    ///   - after: start near the period holding the first instance after this instant; nil to
    ///     walk from DTSTART (needed when COUNT makes positions matter).
    ///   - horizonFrom: where the 400-year search horizon starts (default: `after`, or DTSTART).
    init(_ c: CompiledRecurrence, from after: Int64?, horizonFrom: Int64? = nil) {
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
        var minDay = Int64.min
        var minLocal = Int64.min
        if let after, after >= c.startInstant {
            // Jump to the period that can hold the first instance after `after`: a wall time
            // maps to an instant at most one offset jump away from its neighbours'.
            let localAfter = c.rules.local(after) - c.rules.maxJump - 1
            if c.setPositions.isEmpty {
                minDay = CivilCalendar.floorDiv(localAfter, 86_400)
                minLocal = localAfter
            }
            first = max(0, Self.period(c, containing: after, localDay: CivilCalendar.floorDiv(localAfter, 86_400),
                                       expansionSpan: expansionSpan, step: step))
        }
        self.minDay = minDay
        self.minLocal = minLocal
        period = first
        startPending = first == 0 && c.startPolicy == .alwaysFirst
        if first > 0 && c.isPureElapsed {
            // Every elapsed period of a rule with no BYxxx part holds exactly one instance,
            // DTSTART being the first: the instances before period `first` number `first`.
            emitted = Int(clamping: first)
        }
        let horizonStart = max(horizonFrom ?? after ?? c.startInstant, c.startInstant)
        instantLimit = min(horizonStart, Instant.range.upperBound) + Self.horizonDays * 86_400
        periodLimit = Self.periodLimit(c, instantLimit: instantLimit, step: step)
    }

    /// The last period to load for a search that ends at `instantLimit`.
    static func periodLimit(_ c: CompiledRecurrence, instantLimit: Int64, step: Int64) -> Int64 {
        if c.isSubDaily { return Int64.max }
        let endDay = CivilCalendar.floorDiv(c.rules.local(instantLimit), 86_400)
        return period(c, containing: instantLimit, localDay: endDay, expansionSpan: 0, step: step) + 1
    }

    /// The index of the period holding instant `t` (whose local day is `day`).
    static func period(_ c: CompiledRecurrence, containing t: Int64, localDay day: Int64, expansionSpan: Int64, step: Int64) -> Int64 {
        switch c.frequency {
        case .secondly, .minutely, .hourly:
            return CivilCalendar.floorDiv(t - c.startInstant - expansionSpan - c.rules.maxJump, step)
        case .daily:
            return CivilCalendar.floorDiv(day - c.startDay, c.interval)
        case .weekly:
            let weekDay = day - Int64((CivilCalendar.weekday(ofDays: day) - c.weekStart + 7) % 7)
            return CivilCalendar.floorDiv(weekDay - c.startWeekDay, 7 * c.interval)
        case .monthly:
            let civil = CivilCalendar.civilFromDays(day)
            return CivilCalendar.floorDiv(Int64(civil.year * 12 + civil.month - 1) - c.startMonthIndex, c.interval)
        case .yearly:
            let civil = CivilCalendar.civilFromDays(day)
            return CivilCalendar.floorDiv(Int64(civil.year - c.startYear), c.interval)
        }
    }

    /// The next instance, or nil when the set has ended.
    mutating func next() -> Int64? {
        if exhausted { return nil }
        if let count = c.count, emitted >= count {
            exhausted = true
            return nil
        }
        if startPending {
            startPending = false
            if c.until.map({ c.startInstant <= $0 }) ?? true {
                return emit(c.startInstant)
            }
        }
        if c.patternNeverMatches {
            exhausted = true
            return nil
        }
        while true {
            if heldStart < held.count, case let t = held[heldStart], sourceDone || isSafe(t) {
                heldStart += 1
                if heldStart == held.count {
                    held.removeAll(keepingCapacity: true)
                    heldStart = 0
                } else if heldStart >= 4096 && heldStart * 2 >= held.count {
                    held.removeFirst(heldStart)
                    heldStart = 0
                }
                if let l = last, t <= l { continue }
                if let u = c.until, t > u { continue }
                return emit(t)
            }
            if sourceDone {
                exhausted = true
                return nil
            }
            guard let t = pull() else {
                sourceDone = true
                continue
            }
            if heldStart == held.count && isSafe(t) {
                // The common case: nothing held back, nothing can overtake t.
                if let l = last, t <= l { continue }
                if let u = c.until, t > u { continue }
                return emit(t)
            }
            if heldStart < held.count, let back = held.last, back > t {
                // Sorted insert by binary search; an instant held already is the same instance
                // (instances on one instant count once), so it is not held twice.
                var lo = heldStart, hi = held.count
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if held[mid] < t { lo = mid + 1 } else { hi = mid }
                }
                if lo < held.count && held[lo] == t { continue }
                held.insert(t, at: lo)
            } else {
                held.append(t)
            }
        }
    }

    mutating func emit(_ t: Int64) -> Int64 {
        barren = 0
        last = t
        emitted += 1
        // Cheap here, on every instance; the period limit follows when a walk reaches it.
        let limit = min(t, Instant.range.upperBound) + Self.horizonDays * 86_400
        if limit > instantLimit {
            instantLimit = limit
            periodLimitStale = true
        }
        return t
    }

    /// Whether nothing still to be produced can come before `t`.
    func isSafe(_ t: Int64) -> Bool {
        if c.isSubDaily {
            // Later elapsed periods start at or after their own instant minus the span their
            // expansions reach back; within a period instances come out sorted.
            if expansionSpan == 0 { return true }
            let (product, overflow) = period.multipliedReportingOverflow(by: step)
            return overflow || t <= c.startInstant + product - expansionSpan
        }
        return lastLocal >= holdUntilLocal
    }

    /// The next instance in wall-clock (or elapsed) order, loading periods as needed.
    mutating func pull() -> Int64? {
        while true {
            if cursor < periodSize {
                let index = selected.isEmpty ? cursor : selected[cursor]
                cursor += 1
                if c.isSubDaily {
                    let t = elapsedCandidate(index)
                    if t < c.startInstant { continue }
                    return t
                }
                let perDay = c.timesOfDay.count
                let day = periodFirstDay + Int64(days.member(index / perDay))
                let w = day * 86_400 + c.timesOfDay[index % perDay]
                if w < c.startLocal { continue }
                lastLocal = w
                switch c.rules.resolve(local: w) {
                case .unique(let t):
                    return t
                case .repeated(let first, _):
                    return first
                case .skipped(_, let before, let after):
                    // Read with the offset from before the gap, this instant can be overtaken
                    // by wall times up to one gap length later.
                    holdUntilLocal = max(holdUntilLocal, w + (after - before))
                    return w - before
                }
            }
            if period > periodLimit && periodLimitStale {
                periodLimit = Self.periodLimit(c, instantLimit: instantLimit, step: step)
                periodLimitStale = false
            }
            if period > periodLimit || period == Int64.max { return nil }
            if let u = c.until, periodFloor(period) > u { return nil }
            barren += 1
            loaded += 1
            if barren > Self.barrenLimit { return nil }
            periodSize = 0
            cursor = 0
            period = c.isSubDaily ? loadElapsed(period) : loadCalendar(period)
        }
    }

    /// The earliest instant period `p` can produce.
    func periodFloor(_ p: Int64) -> Int64 {
        if c.isSubDaily {
            let (product, overflow) = p.multipliedReportingOverflow(by: step)
            if overflow || product > instantLimit - c.startInstant { return Int64.max }
            return c.startInstant + product - expansionSpan
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

    /// BYSETPOS: the chosen indices (n-th, or n-th from last) of a period of `size` instances.
    mutating func choosePositions(size: Int) {
        selected.removeAll(keepingCapacity: true)
        for pos in c.setPositions {
            let index = pos > 0 ? pos - 1 : size + pos
            if index >= 0 && index < size { selected.append(index) }
        }
        selected.sort()
        var unique = 0
        for i in selected.indices where i == 0 || selected[i] != selected[i - 1] {
            selected[unique] = selected[i]
            unique += 1
        }
        selected.removeLast(selected.count - unique)
        periodSize = selected.count
    }

    // MARK: - Calendar periods (DAILY and coarser)

    /// Loads calendar period `p` and returns the next period to load.
    mutating func loadCalendar(_ p: Int64) -> Int64 {
        days.removeAll()
        var nth = DaySet()
        var next = p + 1
        switch c.frequency {
        case .yearly:
            let year64 = Int64(c.startYear) + p * c.interval
            guard year64 < 10_000 else { return Int64.max }
            let year = Int(year64)
            let yearStart = CivilCalendar.daysFromCivil(year: year, month: 1, day: 1)
            periodFirstDay = yearStart
            let yearLength = CivilCalendar.daysInYear(year)
            let weekDays = c.weekNumbers.isEmpty ? nil : Set(c.weekNumberDays(year: year))
            if !c.nthWeekdays.isEmpty {
                if c.months != 0 {
                    for month in 1...12 where c.months & (1 << UInt64(month)) != 0 {
                        let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
                        c.nthDays(first: first, last: first + Int64(CivilCalendar.daysInMonth(year: year, month: month)) - 1, base: yearStart, into: &nth)
                    }
                } else {
                    c.nthDays(first: yearStart, last: yearStart + Int64(yearLength) - 1, base: yearStart, into: &nth)
                }
            }
            for month in 1...12 where c.months == 0 || c.months & (1 << UInt64(month)) != 0 {
                let dim = CivilCalendar.daysInMonth(year: year, month: month)
                let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
                if first + Int64(dim) <= minDay { continue }
                let offset = Int(first - yearStart)
                var mask = c.monthDayMask(year: year, month: month, firstDay: first, daysInMonth: dim,
                                          ordinal: nth.bits(from: offset, count: dim))
                if minDay > first { mask &= ~((1 << UInt64(minDay - first)) - 1) }
                if weekDays != nil || !c.yearDays.isEmpty {
                    var bits = mask
                    while bits != 0 {
                        let d = bits.trailingZeroBitCount
                        bits &= bits - 1
                        let dayOfYear = offset + d
                        if let weekDays, !weekDays.contains(dayOfYear) { mask &= ~(1 << UInt64(d)) }
                        if !c.yearDayPasses(dayOfYear: dayOfYear, yearLength: yearLength) { mask &= ~(1 << UInt64(d)) }
                    }
                }
                days.insert(mask: mask, at: offset)
            }
        case .monthly:
            let index = c.startMonthIndex + p * c.interval
            guard index < 10_000 * 12 else { return Int64.max }
            let year = Int(index / 12)
            let month = Int(index % 12) + 1
            let dim = CivilCalendar.daysInMonth(year: year, month: month)
            let first = CivilCalendar.daysFromCivil(year: year, month: month, day: 1)
            periodFirstDay = first
            if !c.nthWeekdays.isEmpty { c.nthDays(first: first, last: first + Int64(dim) - 1, base: first, into: &nth) }
            var mask = c.monthDayMask(year: year, month: month, firstDay: first, daysInMonth: dim, ordinal: nth.bits(from: 0, count: dim))
            if minDay > first { mask &= minDay - first >= 64 ? 0 : ~((1 << UInt64(minDay - first)) - 1) }
            days.insert(mask: mask, at: 0)
        case .weekly:
            let first = c.startWeekDay + p * 7 * c.interval
            periodFirstDay = first
            var (y, m, md) = CivilCalendar.civilFromDays(first)
            guard y < 10_000 else { return Int64.max }
            var dim = CivilCalendar.daysInMonth(year: y, month: m)
            for offset in 0..<7 {
                if first + Int64(offset) >= minDay,
                   c.dayPasses(day: first + Int64(offset), month: m, monthDay: md, daysInMonth: dim, ordinal: false) {
                    days.insert(offset)
                }
                md += 1
                if md > dim {
                    md = 1
                    m += 1
                    if m > 12 { m = 1; y += 1 }
                    dim = CivilCalendar.daysInMonth(year: y, month: m)
                }
            }
        default:
            let day = c.startDay + p * c.interval
            periodFirstDay = day
            let civil = CivilCalendar.civilFromDays(day)
            guard civil.year < 10_000 else { return Int64.max }
            let dim = CivilCalendar.daysInMonth(year: civil.year, month: civil.month)
            if c.dayPasses(day: day, month: civil.month, monthDay: civil.day, daysInMonth: dim, ordinal: false) {
                days.insert(0)
            } else if c.months != 0 && c.months & (1 << UInt64(civil.month)) == 0 {
                // Skip the rest of a month BYMONTH excludes, keeping the INTERVAL alignment.
                let nextMonth = civil.month == 12
                    ? CivilCalendar.daysFromCivil(year: civil.year + 1, month: 1, day: 1)
                    : CivilCalendar.daysFromCivil(year: civil.year, month: civil.month + 1, day: 1)
                next = max(p + 1, ceilDiv(nextMonth - c.startDay, c.interval))
            }
        }
        let size = days.count * c.timesOfDay.count
        if c.setPositions.isEmpty {
            periodSize = size
            if size > 0 && minLocal != Int64.min {
                // Start at the first time of day that can come after the search start (a rule
                // with every second of the day would otherwise resolve 86,400 instances).
                let firstDay = periodFirstDay + Int64(days.member(0))
                let target = minLocal - firstDay * 86_400
                if target > 0 {
                    var lo = 0
                    var hi = c.timesOfDay.count
                    while lo < hi {
                        let mid = (lo + hi) >> 1
                        if c.timesOfDay[mid] < target { lo = mid + 1 } else { hi = mid }
                    }
                    cursor = lo
                }
            }
        } else {
            choosePositions(size: size)
        }
        return next
    }

    func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
        -CivilCalendar.floorDiv(-a, b)
    }

    // MARK: - Elapsed periods (HOURLY, MINUTELY, SECONDLY)

    /// The `index`-th instance of the loaded elapsed period.
    func elapsedCandidate(_ index: Int) -> Int64 {
        switch c.frequency {
        case .hourly where expansionSpan != 0:
            let secondsCount = max(c.bySecond.count, 1)
            let minute = c.byMinute.isEmpty ? (elapsedInstant - elapsedBase) / 60 : c.byMinute[index / secondsCount]
            let second = c.bySecond.isEmpty ? (elapsedInstant - elapsedBase) % 60 : c.bySecond[index % secondsCount]
            return elapsedBase + minute * 60 + second
        case .minutely where expansionSpan != 0:
            return elapsedBase + c.bySecond[index]
        default:
            return elapsedInstant
        }
    }

    /// The second of the day where the next value set in `mask` after `value` begins (`base +
    /// next · unit`), or `end` when none is left before it.
    static func nextSet(_ mask: UInt64, after value: Int64, unit: Int64, base: Int64, end: Int64) -> Int64 {
        let later = value >= 63 ? 0 : mask >> UInt64(value + 1)
        guard later != 0 else { return end }
        return min(end, base + (value + 1 + Int64(later.trailingZeroBitCount)) * unit)
    }

    /// The next period worth loading after period `k` (at instant `p`, `secondOfDay` on the
    /// wall clock), whose hour, minute or second fails its limit: the first period at or after
    /// the wall time `target` (a second of the same day, up to 86,400), the next value the limit
    /// allows. The wall clock runs with the instants only while the offset stays the same, so a
    /// jump over a transition goes no further than `boundary`, the end of the failing unit (the
    /// next unit begins there on the wall clock too, as zones change offset on its boundaries).
    mutating func skip(_ k: Int64, from p: Int64, secondOfDay: Int64, to target: Int64, boundary: Int64) -> Int64 {
        var end = p + (boundary - secondOfDay)
        if jumpsToAllowedValues {
            let t = p + (target - secondOfDay)
            if c.rules.isFixed || c.rules.segment(containing: p) == c.rules.segment(containing: t - 1) { end = max(end, t) }
        }
        return max(k + 1, ceilDiv(end - c.startInstant, step))
    }

    /// Loads elapsed period `k` (instant `start + k · step`) and returns the next `k` worth
    /// loading: when a limit fails for the whole day, hour or minute, it jumps past it.
    mutating func loadElapsed(_ k: Int64) -> Int64 {
        let (product, overflow) = k.multipliedReportingOverflow(by: step)
        if overflow || product > instantLimit - c.startInstant { return Int64.max }
        let p = c.startInstant + product
        let local = c.rules.local(p)
        let day = CivilCalendar.floorDiv(local, 86_400)
        let secondOfDay = local - day * 86_400
        let civil = CivilCalendar.civilFromDays(day)
        guard civil.year < 10_000 else { return Int64.max }
        let dim = CivilCalendar.daysInMonth(year: civil.year, month: civil.month)

        let yearStart = CivilCalendar.daysFromCivil(year: civil.year, month: 1, day: 1)
        // Ordinal BYDAY entries are rejected for sub-daily rules, so no ordinal days apply here.
        if !c.dayPasses(day: day, month: civil.month, monthDay: civil.day, daysInMonth: dim, ordinal: false)
            || !c.yearDayPasses(dayOfYear: Int(day - yearStart), yearLength: CivilCalendar.daysInYear(civil.year)) {
            let limitDay = CivilCalendar.floorDiv(c.rules.local(instantLimit), 86_400)
            guard let nextDay = c.nextPassingDay(after: day, limit: limitDay) else { return Int64.max }
            return max(k + 1, ceilDiv(c.rules.instant(local: nextDay * 86_400) - c.startInstant, step))
        }
        let hour = secondOfDay / 3600
        if c.hours != 0 && c.hours & (1 << UInt64(hour)) == 0 {
            let hourStart = secondOfDay - secondOfDay % 3600
            return skip(k, from: p, secondOfDay: secondOfDay, to: Self.nextSet(c.hours, after: hour, unit: 3600, base: 0, end: 86_400),
                        boundary: hourStart + 3600)
        }
        let minute = secondOfDay / 60 % 60
        if c.frequency != .hourly && c.minutes != 0 && c.minutes & (1 << UInt64(minute)) == 0 {
            let minuteStart = secondOfDay - secondOfDay % 60
            let hourStart = secondOfDay - secondOfDay % 3600
            return skip(k, from: p, secondOfDay: secondOfDay, to: Self.nextSet(c.minutes, after: minute, unit: 60, base: hourStart, end: hourStart + 3600),
                        boundary: minuteStart + 60)
        }
        let second = secondOfDay % 60
        if c.frequency == .secondly && c.seconds != 0 && c.seconds & (1 << UInt64(second)) == 0 {
            let minuteStart = secondOfDay - second
            return skip(k, from: p, secondOfDay: secondOfDay, to: Self.nextSet(c.seconds, after: second, unit: 1, base: minuteStart, end: minuteStart + 60),
                        boundary: secondOfDay + 1)
        }
        elapsedInstant = p
        let size: Int
        switch c.frequency {
        case .hourly where expansionSpan != 0:
            elapsedBase = p - secondOfDay % 3600
            size = max(c.byMinute.count, 1) * max(c.bySecond.count, 1)
        case .minutely where expansionSpan != 0:
            elapsedBase = p - second
            size = c.bySecond.count
        default:
            elapsedBase = p
            size = 1
        }
        if c.setPositions.isEmpty {
            periodSize = size
        } else {
            choosePositions(size: size)
        }
        return k + 1
    }
}
