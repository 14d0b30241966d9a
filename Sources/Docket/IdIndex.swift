/// Task id → row slot of a `TaskTable`: open addressing with linear probing over 8-byte
/// entries (32 bits of the id's hash, slot + 1; 0 is empty). The ids themselves are compared in
/// the rows. Against a `[String: Int32]`, an entry costs 8 bytes instead of about 20, and
/// growing never hashes a string again: the stored bits place every entry. Hashing is Swift's
/// own (`Hasher`, seeded per process), so chosen ids cannot be made to collide.
struct IdIndex: Sendable {
    private var entries: [UInt64] = []
    private(set) var count = 0

    /// The hash bits an entry keeps: enough to place it at any capacity this table reaches, and
    /// to skip almost every string comparison with another id.
    @inline(__always)
    private static func tag(_ id: String) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: id.hashValue)) }

    @inline(__always)
    private static func entry(tag: UInt64, slot: Int32) -> UInt64 { tag << 32 | UInt64(UInt32(slot) &+ 1) }

    @inline(__always)
    private static func slot(_ e: UInt64) -> Int32 { Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: e) &- 1) }

    /// The slot of `id`, whose row is in `rows`.
    func find(_ id: String, in rows: [TaskTable.TaskRow]) -> Int32? {
        guard count > 0 else { return nil }
        let tag = Self.tag(id)
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let e = entries[i]
            if e == 0 { return nil }
            if e >> 32 == tag {
                let s = Self.slot(e)
                if rows[Int(s)].id == id { return s }
            }
            i = (i + 1) & mask
        }
    }

    /// The slot of `id` if it is present; otherwise records it at `slot` (the caller then puts
    /// its row there) and returns nil.
    mutating func findOrInsert(_ id: String, slot: Int32, in rows: [TaskTable.TaskRow]) -> Int32? {
        if (count + 1) * 4 > entries.count * 3 { grow(to: max(16, entries.count * 2)) }
        let tag = Self.tag(id)
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let e = entries[i]
            if e == 0 {
                entries[i] = Self.entry(tag: tag, slot: slot)
                count += 1
                return nil
            }
            if e >> 32 == tag {
                let s = Self.slot(e)
                if rows[Int(s)].id == id { return s }
            }
            i = (i + 1) & mask
        }
    }

    /// Removes `id` and returns its slot (nil if absent). Backward-shift deletion keeps every
    /// probe sequence unbroken without tombstones.
    mutating func remove(_ id: String, in rows: [TaskTable.TaskRow]) -> Int32? {
        guard count > 0 else { return nil }
        let tag = Self.tag(id)
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: tag) & mask
        var found: Int32?
        while true {
            let e = entries[i]
            if e == 0 { return nil }
            if e >> 32 == tag, rows[Int(Self.slot(e))].id == id {
                found = Self.slot(e)
                break
            }
            i = (i + 1) & mask
        }
        // Move later entries of the run back into the hole when their home allows it.
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            let e = entries[j]
            if e == 0 { break }
            let home = Int(truncatingIfNeeded: e >> 32) & mask
            // The entry may move to the hole unless its home lies cyclically in (hole, j].
            let homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
            if !homeInRange {
                entries[hole] = e
                hole = j
            }
        }
        entries[hole] = 0
        count -= 1
        return found
    }

    mutating func reserveCapacity(_ n: Int) {
        var capacity = 16
        while capacity * 3 < n * 4 { capacity *= 2 }
        if capacity > entries.count { grow(to: capacity) }
    }

    private mutating func grow(to capacity: Int) {
        let old = entries
        entries = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for e in old where e != 0 {
            var i = Int(truncatingIfNeeded: e >> 32) & mask
            while entries[i] != 0 { i = (i + 1) & mask }
            entries[i] = e
        }
    }
}
