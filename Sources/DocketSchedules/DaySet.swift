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
}
