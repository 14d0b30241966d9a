/// A snapshot file: a 96-byte header, the owner's bytes, and a trailer checksum over both.
///
/// ```
/// 0  magic "SWSNAP\0\1"      32 last sequence the snapshot covers
/// 8  format version u16      40 chain hash at that sequence (zeros when the chain is off)
/// 10 header size u16 (96)    72 created-at, Unix ns
/// 12 flags u32 (bit 0 chain) 80 body length u64
/// 16 journal id (16 bytes)   88 reserved, 92 masked CRC32C of [0, 92)
/// 96 body, then a u32 masked CRC32C of [0, 96 + body length), then 4 zero bytes
/// ```
struct SnapshotFile: Equatable {
    static let headerSize = 96
    static let trailerSize = 8
    static let magic: [UInt8] = [0x53, 0x57, 0x53, 0x4E, 0x41, 0x50, 0x00, 0x01]  // "SWSNAP\0\1"
    static let formatVersion: UInt16 = 1
    /// The largest snapshot file (4 GiB): `writeSnapshot` refuses larger bodies, and recovery
    /// refuses to read a larger file whole.
    static let maxFileSize = 1 << 32
    static let maxBodySize = maxFileSize - headerSize - trailerSize

    var journalID: [UInt8]
    var lastSequence: UInt64
    var chainHash: [UInt8]
    var createdAt: UInt64
    var chained: Bool
    var body: [UInt8]

    /// The whole file.
    var bytes: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.headerSize + body.count + Self.trailerSize)
        out.appendLE(Self.formatVersion)
        out.appendLE(UInt16(Self.headerSize))
        out.appendLE(chained ? UInt32(1) : 0)
        out.append(contentsOf: journalID)
        out.appendLE(lastSequence)
        out.append(contentsOf: chainHash.count == 32 ? chainHash : [UInt8](repeating: 0, count: 32))
        out.appendLE(createdAt)
        out.appendLE(UInt64(body.count))
        out.appendLE(UInt32(0))
        out.appendLE(out.withUnsafeBytes { CRC32C.mask(CRC32C.checksum($0)) })
        out.append(contentsOf: body)
        out.appendLE(out.withUnsafeBytes { CRC32C.mask(CRC32C.checksum($0)) })
        out.appendLE(UInt32(0))
        return out
    }

    /// Parses a whole snapshot file, or says what is wrong with it. The body length is trusted
    /// only after the header checksum holds, and must match the file size exactly.
    static func decode(_ b: UnsafeRawBufferPointer) -> Result<SnapshotFile, SnapshotProblem> {
        guard b.count >= headerSize + trailerSize else { return .failure(SnapshotProblem("snapshot file too short (\(b.count) bytes)")) }
        guard Array(b[0..<8]) == magic else { return .failure(SnapshotProblem("not a snapshot file (bad magic)")) }
        guard CRC32C.mask(b.crc(0, 92)) == b.le32(92) else { return .failure(SnapshotProblem("snapshot header checksum mismatch")) }
        guard b.le16(8) == formatVersion else {
            return .failure(SnapshotProblem("snapshot format version \(b.le16(8)) is not supported (this build reads version \(formatVersion))"))
        }
        guard b.le16(10) == UInt16(headerSize) else { return .failure(SnapshotProblem("unexpected snapshot header size")) }
        guard b.le64(32) <= RecordFormat.maxSequence else {
            return .failure(SnapshotProblem("snapshot's last sequence \(b.le64(32)) is out of range (at most \(RecordFormat.maxSequence))"))
        }
        let length = b.le64(80)
        guard length == UInt64(b.count - headerSize - trailerSize) else {
            return .failure(SnapshotProblem("snapshot is \(b.count) bytes but its header promises a body of \(length) bytes"))
        }
        let end = headerSize + Int(length)
        guard CRC32C.mask(b.crc(0, end)) == b.le32(end), b.le32(end + 4) == 0 else {
            return .failure(SnapshotProblem("snapshot body checksum mismatch"))
        }
        return .success(SnapshotFile(journalID: Array(b[16..<32]), lastSequence: b.le64(32), chainHash: Array(b[40..<72]),
                                     createdAt: b.le64(72), chained: b.le32(12) & 1 != 0, body: Array(b[headerSize..<end])))
    }

    struct SnapshotProblem: Error, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
