/// A set of day offsets 0…383 within one recurrence period (a year at most), kept in six words
/// so that loading a period allocates nothing.
struct DaySet {
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0
    private var w4: UInt64 = 0
    private var w5: UInt64 = 0

    static let capacity = 384

    @inline(__always)
    private func word(_ i: Int) -> UInt64 {
        switch i {
        case 0: return w0
        case 1: return w1
        case 2: return w2
        case 3: return w3
        case 4: return w4
        default: return w5
        }
    }

    @inline(__always)
    mutating func insert(_ offset: Int) {
        let bit: UInt64 = 1 << UInt64(offset & 63)
        switch offset >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        case 3: w3 |= bit
        case 4: w4 |= bit
        default: w5 |= bit
        }
    }

    @inline(__always)
    func contains(_ offset: Int) -> Bool {
        offset >= 0 && offset < Self.capacity && word(offset >> 6) & (1 << UInt64(offset & 63)) != 0
    }

    var count: Int {
        w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount
            + w4.nonzeroBitCount + w5.nonzeroBitCount
    }

    var isEmpty: Bool { (w0 | w1 | w2 | w3 | w4 | w5) == 0 }

    /// The offset of the `k`-th member (0-based) in increasing order.
    func member(_ k: Int) -> Int {
        var remaining = k
        for i in 0..<6 {
            var w = word(i)
            let n = w.nonzeroBitCount
            if remaining >= n {
                remaining -= n
                continue
            }
            while remaining > 0 {
                w &= w - 1
                remaining -= 1
            }
            return i * 64 + w.trailingZeroBitCount
        }
        return Self.capacity
    }

    mutating func removeAll() {
        self = DaySet()
    }

    /// Inserts the set bits of `mask` (bit i = offset `at + i`, at most 64 bits).
    mutating func insert(mask: UInt64, at offset: Int) {
        guard mask != 0 else { return }
        let shift = UInt64(offset & 63)
        let index = offset >> 6
        setWord(index, word(index) | (mask << shift))
        if shift != 0 && index + 1 < 6 {
            setWord(index + 1, word(index + 1) | (mask >> (64 - shift)))
        }
    }

    /// The members in `offset ..< offset + count` (count ≤ 64) as bits 0… of a word.
    func bits(from offset: Int, count: Int) -> UInt64 {
        let shift = UInt64(offset & 63)
        let index = offset >> 6
        var value = word(index) >> shift
        if shift != 0 && index + 1 < 6 { value |= word(index + 1) << (64 - shift) }
        return count >= 64 ? value : value & ((1 << UInt64(count)) - 1)
    }

    @inline(__always)
    private mutating func setWord(_ i: Int, _ value: UInt64) {
        switch i {
        case 0: w0 = value
        case 1: w1 = value
        case 2: w2 = value
        case 3: w3 = value
        case 4: w4 = value
        default: w5 = value
        }
    }
}
