/// The compiled fields of a cron expression, matched against wall-clock (zone-less) time.
///
/// Every field is a bitset, so "the next allowed value at or after x" is one shift and one
/// trailing-zero count, and the search below jumps field by field instead of stepping through
/// minutes. Quartz's day specials (`L`, `L-n`, `nW`, `LW`, `xL`, `x#k`) depend on the month, so
/// the allowed days are computed per month as one 64-bit mask.
struct CronMatcher: Hashable, Sendable {
    var seconds: UInt64 = 0
    var minutes: UInt64 = 0
    var hours: UInt64 = 0
    /// Bits 1…31.
    var daysOfMonth: UInt64 = 0
    /// Bits 1…12.
    var months: UInt64 = 0
    /// Bits 0…6, Sunday = 0.
    var daysOfWeek: UInt64 = 0
    /// Bit `y - 1970` for each allowed year of 1970…2199; nil when there is no year field.
    var years: YearSet?

    /// Bit n for `L-n` (bit 0 = `L`, the last day).
    var lastDayOffsets: UInt64 = 0
    /// Bit d for `dW` (the weekday nearest day d, within the month).
    var nearestWeekdays: UInt64 = 0
    /// `LW`: the last weekday (Monday–Friday) of the month.
    var lastWeekdayOfMonth = false
    /// Bit x for `xL` (the last weekday x of the month).
    var lastOfWeekday: UInt64 = 0
    /// Bit `(k - 1) * 8 + x` for `x#k` (the k-th weekday x of the month).
    var nthWeekday: UInt64 = 0

    /// Whether the day-of-month / day-of-week field begins with `*` or `?` (Vixie day rule: if
    /// either does, both must match; otherwise either may).
    var domStar = false
    var dowStar = false

    var hasDomSpecials: Bool { lastDayOffsets != 0 || nearestWeekdays != 0 || lastWeekdayOfMonth }
    var hasDowSpecials: Bool { lastOfWeekday != 0 || nthWeekday != 0 }

    /// The allowed days of `year-month` as bits 1…31.
    @inline(__always)
    func dayMask(year: Int, month: Int) -> UInt64 {
        let dim = CivilCalendar.daysInMonth(year: year, month: month)
        let firstWeekday = CivilCalendar.weekday(year: year, month: month, day: 1)
        let monthBits: UInt64 = ((1 << UInt64(dim + 1)) - 1) & ~1
        var dom = daysOfMonth
        if hasDomSpecials {
            var offsets = lastDayOffsets
            while offsets != 0 {
                let n = offsets.trailingZeroBitCount
                offsets &= offsets - 1
                if dim - n >= 1 { dom |= 1 << UInt64(dim - n) }
            }
            var near = nearestWeekdays
            while near != 0 {
                let d = near.trailingZeroBitCount
                near &= near - 1
                if d <= dim {
                    dom |= 1 << UInt64(Self.nearestWeekday(to: d, daysInMonth: dim, firstWeekday: firstWeekday))
                }
            }
            if lastWeekdayOfMonth {
                let lastWeekday = (firstWeekday + dim - 1) % 7
                let day = lastWeekday == 6 ? dim - 1 : lastWeekday == 0 ? dim - 2 : dim
                dom |= 1 << UInt64(day)
            }
        }
        var dow = Self.weekdayDayMasks[Self.rotate(daysOfWeek, by: firstWeekday)]
        if hasDowSpecials {
            let lastWeekday = (firstWeekday + dim - 1) % 7
            var last = lastOfWeekday
            while last != 0 {
                let x = last.trailingZeroBitCount
                last &= last - 1
                dow |= 1 << UInt64(dim - (lastWeekday - x + 7) % 7)
            }
            var nth = nthWeekday
            while nth != 0 {
                let bit = nth.trailingZeroBitCount
                nth &= nth - 1
                let day = 1 + (bit % 8 - firstWeekday + 7) % 7 + 7 * (bit / 8)
                if day <= dim { dow |= 1 << UInt64(day) }
            }
        }
        return ((domStar || dowStar) ? (dom & dow) : (dom | dow)) & monthBits
    }

    /// Quartz `nW`: Saturday moves to Friday and Sunday to Monday, never leaving the month
    /// (`1W` on a Saturday is Monday the 3rd; the last day on a Sunday is the Friday before).
    static func nearestWeekday(to day: Int, daysInMonth dim: Int, firstWeekday: Int) -> Int {
        let weekday = (firstWeekday + day - 1) % 7
        switch weekday {
        case 6: return day == 1 ? 3 : day - 1
        case 0: return day == dim ? day - 2 : day + 1
        default: return day
        }
    }

    /// Weekday set `w` (bits 0…6) re-expressed for a month that starts on `first`: a day with
    /// weekday x in that month has the same day number as weekday x - first in a month starting
    /// on Sunday.
    @inline(__always)
    static func rotate(_ w: UInt64, by first: Int) -> Int {
        let s = UInt64(first)
        return Int(((w >> s) | (w << (7 - s))) & 0x7F)
    }

    /// For every set of weekdays (7 bits), the days 1…31 that have one of those weekdays in a
    /// month starting on a Sunday.
    static let weekdayDayMasks: [UInt64] = (0..<128).map { set in
        var mask: UInt64 = 0
        for day in 1...31 where set & (1 << ((day - 1) % 7)) != 0 { mask |= 1 << UInt64(day) }
        return mask
    }

    /// The first wall time at or after `start` that matches, if one comes before `limit`
    /// (both in seconds since 1970-01-01T00:00 local).
    func nextMatch(from start: Int64, before limit: Int64) -> Int64? {
        guard start < limit else { return nil }
        let startDays = CivilCalendar.floorDiv(start, 86_400)
        let secondOfDay = Int(start - startDays * 86_400)
        var (y, mo, d) = CivilCalendar.civilFromDays(startDays)
        var h = secondOfDay / 3600
        var mi = secondOfDay / 60 % 60
        var s = secondOfDay % 60
        let limitYear = CivilCalendar.civilFromDays(CivilCalendar.floorDiv(limit - 1, 86_400)).year

        @inline(__always) func nextDay() {
            d += 1
            h = 0; mi = 0; s = 0
            if d > CivilCalendar.daysInMonth(year: y, month: mo) {
                d = 1
                mo += 1
                if mo > 12 { mo = 1; y += 1 }
            }
        }

        while y <= limitYear {
            if let years, !years.contains(y) {
                guard let next = years.first(atOrAfter: y) else { return nil }
                y = next; mo = 1; d = 1; h = 0; mi = 0; s = 0
                continue
            }
            let monthsLeft = months >> UInt64(mo)
            if monthsLeft == 0 {
                y += 1; mo = 1; d = 1; h = 0; mi = 0; s = 0
                continue
            }
            let m2 = mo + monthsLeft.trailingZeroBitCount
            if m2 != mo { mo = m2; d = 1; h = 0; mi = 0; s = 0 }

            let daysLeft = dayMask(year: y, month: mo) >> UInt64(d)
            if daysLeft == 0 {
                mo += 1; d = 1; h = 0; mi = 0; s = 0
                if mo > 12 { mo = 1; y += 1 }
                continue
            }
            let d2 = d + daysLeft.trailingZeroBitCount
            if d2 != d { d = d2; h = 0; mi = 0; s = 0 }

            let hoursLeft = hours >> UInt64(h)
            if hoursLeft == 0 { nextDay(); continue }
            let h2 = h + hoursLeft.trailingZeroBitCount
            if h2 != h { h = h2; mi = 0; s = 0 }

            let minutesLeft = minutes >> UInt64(mi)
            if minutesLeft == 0 {
                mi = 0; s = 0; h += 1
                if h > 23 { nextDay() }
                continue
            }
            let mi2 = mi + minutesLeft.trailingZeroBitCount
            if mi2 != mi { mi = mi2; s = 0 }

            let secondsLeft = seconds >> UInt64(s)
            if secondsLeft == 0 {
                s = 0; mi += 1
                if mi > 59 {
                    mi = 0; h += 1
                    if h > 23 { nextDay() }
                }
                continue
            }
            s += secondsLeft.trailingZeroBitCount
            let result = CivilCalendar.daysFromCivil(year: y, month: mo, day: d) * 86_400
                + Int64(h * 3600 + mi * 60 + s)
            return result < limit ? result : nil
        }
        return nil
    }

    /// Whether any day of any month can ever match (checked once, at parse time, over a whole
    /// 400-year Gregorian cycle, after which the calendar repeats; or over the year field).
    func canEverMatch() -> Bool {
        let candidateYears: [Int] = years.map { $0.members } ?? Array(2000..<2400)
        for y in candidateYears {
            var m = months
            while m != 0 {
                let month = m.trailingZeroBitCount
                m &= m - 1
                if dayMask(year: y, month: month) != 0 { return true }
            }
        }
        return false
    }
}

/// The years 1970…2199 a Quartz-style seventh field allows.
struct YearSet: Hashable, Sendable {
    static let range = 1970...2199
    private(set) var words: [UInt64] = [0, 0, 0, 0]

    mutating func insert(_ year: Int) {
        let i = year - Self.range.lowerBound
        words[i >> 6] |= 1 << UInt64(i & 63)
    }

    func contains(_ year: Int) -> Bool {
        guard Self.range.contains(year) else { return false }
        let i = year - Self.range.lowerBound
        return words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    func first(atOrAfter year: Int) -> Int? {
        var y = max(year, Self.range.lowerBound)
        while y <= Self.range.upperBound {
            if contains(y) { return y }
            y += 1
        }
        return nil
    }

    var members: [Int] { Self.range.filter(contains) }
    var isFull: Bool { members.count == Self.range.count }
}
