import Foundation
import Synchronization

/// A time zone's UTC offsets as a sorted table of transitions, built once per zone from
/// Foundation's `TimeZone` and cached for the life of the process.
///
/// Why not call `TimeZone` directly: `secondsFromGMT(for:)` costs ~150 ns per call and there is
/// no API to ask "which local times does this zone skip or repeat?". With the table, an offset
/// lookup is a binary search over a few hundred integers, and gaps and folds are explicit.
///
/// The table holds the instants from 1800-01-01 to 2700-01-01 UTC. Before it the offset is held
/// at its 1800 value (local mean time). After it the last 400 years repeat: a zone's rule for the
/// far future is its tzdata footer (e.g. `CST5CDT,M3.2.0/0,M11.1.0/1`), written in calendar terms,
/// and the Gregorian calendar repeats every 400 years to the weekday, so a transition at `t`
/// recurs at `t + 400 years` exactly. Segments past the table are numbered on from it
/// (virtual indices), so callers walk them like stored ones. A zone whose table does not end on
/// a repeating pattern holds its last offset instead.
final class ZoneRules: Sendable {
    /// The zone identifier, e.g. `America/New_York`.
    let identifier: String
    /// Stored instants (seconds since 1970, UTC) at which the offset changes, strictly
    /// increasing, all inside the table window.
    let transitions: [Int64]
    /// `offsets[i]` is the offset (seconds east of UTC) in force before `transitions[i]` and
    /// after `transitions[i - 1]`; it has one more element than `transitions`.
    let offsets: [Int64]
    /// The index of the first stored transition of the table's last 400 years, and how many
    /// transitions each 400-year cycle holds (0: no repetition, the last offset holds).
    let cycleStart: Int
    let cycleLength: Int
    /// The number of transitions, stored and repeated: the last segment's index.
    let lastSegment: Int
    let minOffset: Int64
    let maxOffset: Int64
    /// The largest change of offset at any single transition, in either direction.
    let maxJump: Int64
    /// `buckets[b]` is the index of the first transition at or after `tableStart + b << 24`
    /// (windows of ~194 days, so each holds at most a few transitions): a lookup is one shift
    /// and a short scan instead of a binary search over a thousand transitions.
    let buckets: [Int32]
    static let bucketShift: Int64 = 24

    /// 1800-01-01T00:00:00Z and 2700-01-01T00:00:00Z (literals: this is on every lookup's path).
    static let tableStart: Int64 = -5_364_662_400
    static let tableEnd: Int64 = 23_036_572_800
    /// 400 Gregorian years (146,097 days, exactly 20,871 weeks) in seconds.
    static let cycle: Int64 = 146_097 * 86_400
    /// Repeated cycles past the table: to 10700, past year 9999 plus a 400-year search horizon.
    static let repeatedCycles = 20
    /// Where the last repeated cycle ends (year 10700).
    static let repeatEnd: Int64 = tableEnd + Int64(repeatedCycles) * cycle

    init(identifier: String, transitions: [Int64], offsets: [Int64]) {
        precondition(offsets.count == transitions.count + 1, "one offset per segment")
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
        minOffset = offsets.min() ?? 0
        maxOffset = offsets.max() ?? 0
        // The last 400 years repeat when the offset before their first transition is the one
        // after the table's last (a whole number of rule cycles). They start in 2300, long past
        // the one-off changes tzdata lists (to 2037), so they follow the footer rule alone.
        let windowStart = Self.tableEnd - Self.cycle
        let first = transitions.firstIndex { $0 >= windowStart } ?? transitions.count
        if first < transitions.count, offsets[first] == offsets[transitions.count], first > 0 {
            cycleStart = first
            cycleLength = transitions.count - first
        } else {
            cycleStart = transitions.count
            cycleLength = 0
        }
        lastSegment = transitions.count + cycleLength * Self.repeatedCycles
        var jump: Int64 = 0
        for i in 1..<offsets.count { jump = max(jump, abs(offsets[i] - offsets[i - 1])) }
        maxJump = jump
        var table: [Int32] = []
        if !transitions.isEmpty {
            let count = Int((Self.tableEnd - Self.tableStart) >> Self.bucketShift) + 1
            table.reserveCapacity(count)
            var i = 0
            for b in 0..<count {
                let bucketStart = Self.tableStart + (Int64(b) << Self.bucketShift)
                while i < transitions.count && transitions[i] < bucketStart { i += 1 }
                table.append(Int32(i))
            }
        }
        buckets = table
    }

    /// Builds the table from Foundation's zone data.
    convenience init(timeZone: TimeZone) {
        var transitions: [Int64] = []
        var offsets: [Int64] = [Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.tableStart))))]
        var cursor = Date(timeIntervalSince1970: Double(Self.tableStart))
        // Bounded: real zones have a few transitions a year; the cap only guards against an API
        // that would keep returning the same instant.
        for _ in 0..<20_000 {
            guard let next = timeZone.nextDaylightSavingTimeTransition(after: cursor), next > cursor else { break }
            let instant = Int64(next.timeIntervalSince1970.rounded())
            if instant >= Self.tableEnd { break }
            cursor = next
            let offset = Int64(timeZone.secondsFromGMT(for: next))
            // Transitions that only rename the zone (same offset) do not matter to schedules.
            if let last = offsets.last, offset != last {
                transitions.append(instant)
                offsets.append(offset)
            }
        }
        self.init(identifier: timeZone.identifier, transitions: transitions, offsets: offsets)
    }

    /// Zone rules for `timeZone`, built on first use and then shared.
    static func forZone(_ timeZone: TimeZone) -> ZoneRules {
        let id = timeZone.identifier
        if let cached = cache.withLock({ $0[id] }) { return cached }
        let built = ZoneRules(timeZone: timeZone)
        return cache.withLock { table in
            if let raced = table[id] { return raced }
            table[id] = built
            return built
        }
    }

    static let utc = ZoneRules(identifier: "UTC", transitions: [], offsets: [0])
    private static let cache = Mutex<[String: ZoneRules]>(["UTC": utc, "GMT": utc])

    var isFixed: Bool { transitions.isEmpty }

    /// The index of the segment containing instant `t`: the number of transitions at or before `t`.
    @inline(__always)
    func segment(containing t: Int64) -> Int {
        if transitions.isEmpty { return 0 }
        if t < Self.tableStart { return 0 }  // every transition lies inside the table window
        // The last bucket reaches past the table's end, where repeated transitions lie.
        if t >= Self.tableEnd { return repeatedSegment(containing: t) }
        return storedSegment(containing: t)
    }

    /// `segment(containing:)` for `tableStart ≤ t < tableEnd`: one shift and a short scan.
    @inline(__always)
    private func storedSegment(containing t: Int64) -> Int {
        var i = Int(buckets[Int((t &- Self.tableStart) >> Self.bucketShift)])
        while i < transitions.count && transitions[i] <= t { i += 1 }
        return i
    }

    /// `segment(containing:)` past the table: `t` moved back by whole cycles into the table's
    /// last 400 years, and the segment found there moved forward by as many cycles' transitions.
    private func repeatedSegment(containing t: Int64) -> Int {
        // Also keeps the arithmetic below from overflowing for instants near Int64.max.
        if cycleLength == 0 || t >= Self.repeatEnd { return lastSegment }
        let k = Int((t - (Self.tableEnd - Self.cycle)) / Self.cycle)
        // At or past cycleStart: transitions[cycleStart - 1] lies before the last 400 years.
        let i = storedSegment(containing: t - Int64(k) * Self.cycle)
        return min(i + k * cycleLength, lastSegment)
    }

    /// The instant of transition `j` (stored or repeated), `0 ≤ j < lastSegment`.
    @inline(__always)
    func transition(_ j: Int) -> Int64 {
        if j < transitions.count { return transitions[j] }
        let r = j - cycleStart
        return transitions[cycleStart + r % cycleLength] + Int64(r / cycleLength) * Self.cycle
    }

    /// The offset in force during segment `i` (stored or repeated), `0 ≤ i ≤ lastSegment`.
    @inline(__always)
    func offset(ofSegment i: Int) -> Int64 {
        i <= transitions.count ? offsets[i] : offsets[cycleStart + (i - cycleStart) % cycleLength]
    }

    /// The offsets of segment `i` and every segment after it (repeats not listed twice): from
    /// inside the repeating years, the whole cycle's (the stored last segment is followed by
    /// the repeats, summer time included).
    func offsets(fromSegment i: Int) -> ArraySlice<Int64> {
        cycleLength > 0 && i >= cycleStart ? offsets[cycleStart...] : offsets[min(i, transitions.count)...]
    }

    /// The UTC offset in force at instant `t`.
    @inline(__always)
    func offset(at t: Int64) -> Int64 {
        transitions.isEmpty ? offsets[0] : offset(ofSegment: segment(containing: t))
    }

    /// The first instant of segment `i` (`Int64.min` for the first segment).
    @inline(__always)
    func segmentStart(_ i: Int) -> Int64 { i == 0 ? Int64.min : transition(i - 1) }

    /// The instant just past segment `i` (`Int64.max` for the last segment).
    @inline(__always)
    func segmentEnd(_ i: Int) -> Int64 { i == lastSegment ? Int64.max : transition(i) }

    /// The local wall-clock seconds of instant `t`.
    @inline(__always)
    func local(_ t: Int64) -> Int64 { t + offset(at: t) }

    /// How a local wall-clock time maps to instants.
    enum Resolution: Equatable {
        /// The wall time occurs exactly once.
        case unique(Int64)
        /// The wall time occurs twice (a fold, e.g. the repeated hour of a fall-back night).
        case repeated(first: Int64, second: Int64)
        /// The wall time does not occur: clocks jumped from `offsetBefore` to `offsetAfter` at
        /// instant `transition`, skipping it.
        case skipped(transition: Int64, offsetBefore: Int64, offsetAfter: Int64)
    }

    /// Maps local wall-clock seconds to the instants at which a clock in this zone shows them.
    func resolve(local w: Int64) -> Resolution {
        if transitions.isEmpty { return .unique(w - offsets[0]) }
        // Any instant showing w lies in [w - maxOffset, w - minOffset], so only the segments
        // overlapping that window can hold it.
        let first = segment(containing: w &- maxOffset)
        let last = segment(containing: w &- minOffset)
        var earliest: Int64?
        var latest: Int64?
        for i in first...last {
            let t = w - offset(ofSegment: i)
            if t >= segmentStart(i) && t < segmentEnd(i) {
                if earliest == nil { earliest = t }
                latest = t
            }
        }
        if let a = earliest, let b = latest {
            return a == b ? .unique(a) : .repeated(first: min(a, b), second: max(a, b))
        }
        // A gap: the transition whose before-offset maps w past it and whose after-offset maps
        // w before it.
        for i in max(first, 1)...max(last, 1) where i <= lastSegment {
            let t = transition(i - 1)
            let before = offset(ofSegment: i - 1)
            let after = offset(ofSegment: i)
            if w - before >= t && w - after < t {
                return .skipped(transition: t, offsetBefore: before, offsetAfter: after)
            }
        }
        // Unreachable for a consistent table; answer with the earlier offset rather than trap.
        return .unique(w - offset(ofSegment: first))
    }

    /// The instant of wall time `w` by RFC 5545 §3.3.5: in a fold the first occurrence, in a gap
    /// the wall time read with the offset from before the gap (02:30 in a 02:00→03:00 gap becomes
    /// 03:30 after it).
    func instant(local w: Int64) -> Int64 {
        if transitions.isEmpty { return w - offsets[0] }
        switch resolve(local: w) {
        case .unique(let t): return t
        case .repeated(let first, _): return first
        case .skipped(_, let before, _): return w - before
        }
    }
}
