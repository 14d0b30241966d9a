/// Walks the whole recurrence set in order — the RRULE with DTSTART, plus RDATE, minus EXDATE —
/// strictly after a starting instant, keeping one `RecurrenceIterator` for the whole walk.
///
/// `next(after:)` builds one for a single answer; `Schedule.fires(after:)` keeps one, so that a
/// preview of n instances costs n steps rather than n answers each walked from DTSTART (which a
/// COUNT rule needs, since its positions depend on every earlier instance).
struct RecurrenceCursor: Sendable {
    let c: CompiledRecurrence
    var iterator: RecurrenceIterator
    var nextFromRule: Int64?
    var rdateIndex: Int
    var last: Int64?

    init(_ c: CompiledRecurrence, after: Int64?) {
        self.c = c
        // With COUNT an instance's position depends on all earlier ones: walk from DTSTART
        // (unless the rule's instances can be counted directly), with the search horizon
        // measured from `after` all the same.
        let jump = c.count == nil || c.isPureElapsed
        iterator = RecurrenceIterator(c, from: jump ? after : nil, horizonFrom: after)
        nextFromRule = iterator.next()
        var lo = 0
        if let after {
            var hi = c.rdates.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if c.rdates[mid] <= after { lo = mid + 1 } else { hi = mid }
            }
        }
        rdateIndex = lo
        last = after
    }

    mutating func next() -> Int64? {
        while true {
            let t: Int64
            if let r = nextFromRule, rdateIndex >= c.rdates.count || r <= c.rdates[rdateIndex] {
                t = r
                nextFromRule = iterator.next()
            } else if rdateIndex < c.rdates.count {
                t = c.rdates[rdateIndex]
                rdateIndex += 1
            } else {
                return nil
            }
            if let l = last, t <= l { continue }
            if c.isExcluded(t) { continue }
            last = t
            return t
        }
    }
}
