/// The 96-byte header at the start of every segment file, written once (to a temporary file that
/// is synced before it is renamed into place) and never modified.
///
/// ```
/// 0  magic "SWJRNL\0\1"      32 segment number
/// 8  format version u16      40 first sequence expected in this segment
/// 10 header size u16 (96)    48 chain hash at the end of the previous segment (zeros at genesis)
/// 12 flags u32 (see below)   80 created-at, Unix ns
/// 16 journal id (16 bytes)   88 reserved, 92 masked CRC32C of [0, 92)
/// ```
///
/// Flags: bit 0, every record carries the SHA-256 chain hash; bit 1, the writer fills the
/// segment with zeros ahead of its records (preallocation), so zeros right after the last
/// record are unwritten space, not a torn write.
struct SegmentHeader: Equatable {
    static let size = 96
    static let magic: [UInt8] = [0x53, 0x57, 0x4A, 0x52, 0x4E, 0x4C, 0x00, 0x01]  // "SWJRNL\0\1"
    static let formatVersion: UInt16 = 1
    static let flagChained: UInt32 = 1
    static let flagPreallocated: UInt32 = 2

    var journalID: [UInt8]
    var segmentNumber: UInt64
    var firstSequence: UInt64
    var previousChain: [UInt8]
    var createdAt: UInt64
    var chained: Bool
    /// Zeros after the last record are preallocated space (flag bit 1).
    var preallocated: Bool = false

    var bytes: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.size)
        out.appendLE(Self.formatVersion)
        out.appendLE(UInt16(Self.size))
        out.appendLE((chained ? Self.flagChained : 0) | (preallocated ? Self.flagPreallocated : 0))
        out.append(contentsOf: journalID)
        out.appendLE(segmentNumber)
        out.appendLE(firstSequence)
        out.append(contentsOf: previousChain.count == 32 ? previousChain : [UInt8](repeating: 0, count: 32))
        out.appendLE(createdAt)
        out.appendLE(UInt32(0))
        let crc = out.withUnsafeBytes { CRC32C.mask(CRC32C.checksum($0)) }
        out.appendLE(crc)
        return out
    }

    /// Parses a header, or says what is wrong with it.
    static func decode(_ b: UnsafeRawBufferPointer) -> Result<SegmentHeader, HeaderProblem> {
        guard b.count >= size else { return .failure(.incomplete(b.count)) }
        guard Array(b[0..<8]) == magic else {
            return .failure(.invalid("not a journal segment (bad magic)"))
        }
        guard CRC32C.mask(b.crc(0, 92)) == b.le32(92) else { return .failure(.invalid("segment header checksum mismatch")) }
        let version = b.le16(8)
        guard version == formatVersion else {
            return .failure(.invalid("segment format version \(version) is not supported (this build reads version \(formatVersion))"))
        }
        guard b.le16(10) == UInt16(size) else { return .failure(.invalid("unexpected segment header size \(b.le16(10))")) }
        let flags = b.le32(12)
        guard flags & ~(flagChained | flagPreallocated) == 0 else { return .failure(.invalid("unknown segment flags \(flags)")) }
        let number = b.le64(32), first = b.le64(40)
        guard number <= RecordFormat.maxSegmentNumber else {
            return .failure(.invalid("segment number \(number) in the header is out of range (at most \(RecordFormat.maxSegmentNumber))"))
        }
        // One past the last sequence: the empty segment a rotation makes once the sequences ran
        // out (its records, if any, are refused for their own sequences).
        guard first >= 1 && first <= RecordFormat.maxSequence + 1 else {
            return .failure(.invalid("first sequence \(first) in the segment header is out of range (1…\(RecordFormat.maxSequence + 1))"))
        }
        return .success(SegmentHeader(journalID: Array(b[16..<32]), segmentNumber: number, firstSequence: first,
                                      previousChain: Array(b[48..<80]), createdAt: b.le64(80),
                                      chained: flags & flagChained != 0, preallocated: flags & flagPreallocated != 0))
    }

    /// The id of the journal that segments (in segment order) belong to: the one most of them
    /// carry; on a tie, the oldest segment's among the tied ones — deterministic, whatever the
    /// ids are. Segments with another id are foreign (reported by recovery and `verify`).
    static func journalID(of headers: [SegmentHeader]) -> [UInt8]? {
        var counts: [[UInt8]: Int] = [:]
        for h in headers { counts[h.journalID, default: 0] += 1 }
        guard let most = counts.values.max() else { return nil }
        return headers.first { counts[$0.journalID] == most }?.journalID
    }

    enum HeaderProblem: Error, Equatable {
        /// The file is shorter than a header: a segment whose creation never completed.
        case incomplete(Int)
        case invalid(String)
    }
}
