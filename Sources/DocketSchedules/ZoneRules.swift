import Foundation
import Synchronization

/// A time zone's UTC offsets as a sorted table of transitions, built once per zone from
/// Foundation's `TimeZone` and cached for the life of the process.
///
/// Why not call `TimeZone` directly: `secondsFromGMT(for:)` costs ~150 ns per call and there is
/// no API to ask "which local times does this zone skip or repeat?". With the table, an offset
/// lookup is a binary search over a few hundred integers, and gaps and folds are explicit.
///
/// The table covers the instants from 1800-01-01 to 2700-01-01 UTC. Outside that window the
/// offset is held at its value at the window's edge (no zone rule is known that far out anyway).
final class ZoneRules: Sendable {
    /// The zone identifier, e.g. `America/New_York`.
    let identifier: String
    /// Instants (seconds since 1970, UTC) at which the offset changes, strictly increasing.
    let transitions: [Int64]
    /// `offsets[i]` is the offset (seconds east of UTC) in force before `transitions[i]` and
    /// after `transitions[i - 1]`; it has one more element than `transitions`.
    let offsets: [Int64]
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

    init(identifier: String, transitions: [Int64], offsets: [Int64]) {
        precondition(offsets.count == transitions.count + 1, "one offset per segment")
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
        minOffset = offsets.min() ?? 0
        maxOffset = offsets.max() ?? 0
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
        let relative = t &- Self.tableStart
        if relative < 0 { return 0 }  // every transition lies inside the table window
        let b = Int(relative >> Self.bucketShift)
        if b >= buckets.count { return transitions.count }
        var i = Int(buckets[b])
        while i < transitions.count && transitions[i] <= t { i += 1 }
        return i
    }

    /// The UTC offset in force at instant `t`.
    @inline(__always)
    func offset(at t: Int64) -> Int64 {
        transitions.isEmpty ? offsets[0] : offsets[segment(containing: t)]
    }

    /// The first instant of segment `i` (`Int64.min` for the first segment).
    @inline(__always)
    func segmentStart(_ i: Int) -> Int64 { i == 0 ? Int64.min : transitions[i - 1] }

    /// The instant just past segment `i` (`Int64.max` for the last segment).
    @inline(__always)
    func segmentEnd(_ i: Int) -> Int64 { i == transitions.count ? Int64.max : transitions[i] }

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
            let t = w - offsets[i]
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
        for i in max(first, 1)...max(last, 1) where i < offsets.count {
            let t = transitions[i - 1]
            if w - offsets[i - 1] >= t && w - offsets[i] < t {
                return .skipped(transition: t, offsetBefore: offsets[i - 1], offsetAfter: offsets[i])
            }
        }
        // Unreachable for a consistent table; answer with the earlier offset rather than trap.
        return .unique(w - offsets[first])
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
