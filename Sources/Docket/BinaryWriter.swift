/// Appends the engine's binary encoding: LEB128 varints, zigzag for signed numbers,
/// length-prefixed strings and bytes, a flag byte before optionals.
struct BinaryWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ v: UInt8) { bytes.append(v) }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func int(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    mutating func int(_ v: Int) { int(Int64(v)) }

    mutating func double(_ v: Double) {
        var bits = v.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func data(_ v: [UInt8]) {
        varint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    mutating func string(_ v: String) {
        var v = v
        v.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optional<T>(_ v: T?, _ write: (inout BinaryWriter, T) -> Void) {
        if let v {
            byte(1)
            write(&self, v)
        } else {
            byte(0)
        }
    }
}

/// Reads what `BinaryWriter` wrote. Every read is bounds-checked and throws a typed error, so
/// damaged or foreign bytes never trap.
///
/// It reads borrowed memory (a journal segment being replayed, or an array's storage) and must
/// not outlive it: use it inside `withUnsafeBytes` or the record callback that lent the bytes.
struct BinaryReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Reads `bytes` with `body`.
    static func reading<T>(_ bytes: [UInt8], _ body: (inout BinaryReader) throws(Malformed) -> T) throws(Malformed) -> T {
        let result = bytes.withUnsafeBytes { raw in
            var r = BinaryReader(raw)
            return Result { () throws(Malformed) -> T in try body(&r) }
        }
        return try result.get()
    }

    var isAtEnd: Bool { offset == bytes.count }

    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var offset: Int
        var description: String { "\(reason) at byte \(offset)" }
    }

    func malformed(_ reason: String) -> Malformed { Malformed(reason: reason, offset: offset) }

    mutating func byte() throws(Malformed) -> UInt8 {
        guard offset < bytes.count else { throw malformed("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        // Most values (flags, counts, small numbers) fit in one byte.
        if offset < bytes.count, bytes[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(bytes[offset])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, shift != 63 || b <= 1 else { throw malformed("varint too long") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    /// A signed number. Every one the engine writes is a time, a duration (both within
    /// ±`Time.limit` microseconds) or a smaller number; a larger one is damage, refused here so
    /// that no time arithmetic after decoding can overflow (`now - runAt` stays in range).
    mutating func int() throws(Malformed) -> Int64 {
        let u = try varint()
        let v = Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
        guard v >= -Time.limit && v <= Time.limit else { throw malformed("number \(v) is out of range (±\(Time.limit))") }
        return v
    }

    /// A sequence or lease number. Live ones count up from 1 and stay far below 2^62; a larger
    /// one is damage, refused here so that counting on from it cannot overflow.
    mutating func counter() throws(Malformed) -> UInt64 {
        let v = try varint()
        guard v <= Self.counterLimit else { throw malformed("counter \(v) is out of range (at most 2^62)") }
        return v
    }

    static let counterLimit: UInt64 = 1 << 62

    mutating func intValue() throws(Malformed) -> Int {
        Int(try int())
    }

    /// A count or length, bounded by what is left so a damaged length cannot allocate much.
    mutating func count(elementSize: Int = 1) throws(Malformed) -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) / UInt64(max(1, elementSize)) else { throw malformed("length \(n) exceeds the record") }
        return Int(n)
    }

    mutating func double() throws(Malformed) -> Double {
        guard bytes.count - offset >= 8 else { throw malformed("unexpected end") }
        let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return Double(bitPattern: bits)
    }

    mutating func data() throws(Malformed) -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
    }

    mutating func string() throws(Malformed) -> String {
        let n = try count()
        defer { offset += n }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        // Ids and names are nearly always ASCII, which needs no further validation.
        if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw malformed("invalid UTF-8") }
        return s
    }

    mutating func optional<T>(_ read: (inout BinaryReader) throws(Malformed) -> T) throws(Malformed) -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        case let b: throw malformed("optional flag \(b)")
        }
    }
}
