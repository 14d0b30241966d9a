/// Little-endian loads and stores on raw buffers: every integer in the journal's files is stored
/// little-endian, whatever the host, so the files move between machines.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func le64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    @inline(__always)
    func le32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    @inline(__always)
    func le16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }

    /// The CRC32C of `count` bytes starting at `offset`.
    @inline(__always)
    func crc(_ offset: Int, _ count: Int) -> UInt32 {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: self[offset..<(offset + count)]))
    }

    /// Whether every byte in `range` is zero.
    func allZero(_ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        while i < range.upperBound && (i & 7) != 0 {
            if self[i] != 0 { return false }
            i += 1
        }
        while i + 8 <= range.upperBound {
            if loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < range.upperBound {
            if self[i] != 0 { return false }
            i += 1
        }
        return true
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func put64(_ value: UInt64, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
    @inline(__always)
    func put32(_ value: UInt32, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always)
    func put16(_ value: UInt16, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
}

extension Array where Element == UInt8 {
    /// Appends `value` as 8 little-endian bytes.
    mutating func appendLE(_ value: UInt64) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    /// Appends `value` as 4 little-endian bytes.
    mutating func appendLE(_ value: UInt32) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    /// Appends `value` as 2 little-endian bytes.
    mutating func appendLE(_ value: UInt16) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }

    /// Lower-case hexadecimal, for messages and reports.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
