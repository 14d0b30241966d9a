/// The framing of one record inside a segment (byte layout in `Docs/journal-format.md`).
///
/// ```
/// 0  rcrc  u32  masked CRC32C of [4, end of chain hash)
/// 4  len   u32  payload length
/// 8  seq   u64  global sequence number (a seal repeats the segment's last one)
/// 16 ts    u64  Unix nanoseconds
/// 24 kind  u8   1 data, 2 seal, 3 group end (0 never valid, so zero fill is never a record)
/// 25 flags u8   bit 0: a 32-byte chain hash follows the payload
/// 26 tag   u16  the owner's type/format tag
/// 28 hcrc  u32  masked CRC32C of [4, 28)
/// 32 payload, [chain hash], zero padding to a multiple of 8
/// ```
enum RecordFormat {
    /// The largest sequence number, and the largest segment number, a valid journal holds
    /// (2^63 − 1). Any larger value read from disk or from a file name is corruption, so `+ 1`
    /// on a value that passed validation never overflows.
    static let maxSequence = UInt64(Int64.max)
    static let maxSegmentNumber = UInt64(Int64.max)
    /// The format's limit on a payload (the `len` field is 32 bits; the rest is headroom for
    /// the header, chain hash and padding). `JournalConfiguration.maxRecordSize` is at most this.
    static let maxPayloadSize = Int(UInt32.max) - 4096
    /// The largest `JournalConfiguration.segmentSize`.
    static let maxSegmentSizeSetting = 1 << 32
    /// The largest segment file a writer can produce: a full segment, or one holding a single
    /// maximal record, plus its seal. Recovery refuses to read larger files whole.
    static let maxSegmentFileSize = SegmentHeader.size
        + max(maxSegmentSizeSetting, storedSize(payload: maxPayloadSize, chained: true)) + groupEndSize + SealPayload.storedSize

    static let headerSize = 32
    /// A group-end marker is a bare header.
    static let groupEndSize = 32
    static let chainHashSize = 32
    static let alignment = 8
    static let flagChained: UInt8 = 1

    /// Total bytes a record occupies on disk.
    @inline(__always)
    static func storedSize(payload: Int, chained: Bool) -> Int {
        let raw = headerSize + payload + (chained ? chainHashSize : 0)
        return (raw + 7) & ~7
    }

    /// Appends one encoded record to `out`. When `chain` is given, the record carries the next
    /// chain hash `SHA256(chain ‖ header[4,28) ‖ payload)` and `chain` is updated to it.
    static func encode(into out: inout [UInt8], kind: RecordKind, sequence: UInt64, timestamp: UInt64,
                       tag: UInt16, payload: UnsafeRawBufferPointer, chain: inout [UInt8]?) {
        let chained = chain != nil
        let size = storedSize(payload: payload.count, chained: chained)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: size))
        out.withUnsafeMutableBytes { all in
            let r = UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + size)])
            r.put32(UInt32(payload.count), 4)
            r.put64(sequence, 8)
            r.put64(timestamp, 16)
            r[24] = kind.rawValue
            r[25] = chained ? flagChained : 0
            r.put16(tag, 26)
            UnsafeMutableRawBufferPointer(rebasing: r[headerSize..<(headerSize + payload.count)]).copyMemory(from: payload)
            let ro = UnsafeRawBufferPointer(r)
            if let previous = chain {
                var h = SHA256()
                h.update(previous)
                h.update(UnsafeRawBufferPointer(rebasing: ro[4..<28]))
                h.update(payload)
                let next = h.finalize()
                let at = headerSize + payload.count
                next.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: r[at..<(at + chainHashSize)]).copyMemory(from: $0) }
                chain = next
            }
            r.put32(CRC32C.mask(ro.crc(4, 24)), 28)
            let end = headerSize + payload.count + (chained ? chainHashSize : 0)
            r.put32(CRC32C.mask(ro.crc(4, end - 4)), 0)
        }
    }
}

/// What a record is. Kind 0 is never valid, so a zero-filled region never parses as a record.
enum RecordKind: UInt8 {
    /// An owner's record: replayed.
    case data = 1
    /// The last record of every non-final segment (`SealPayload`).
    case seal = 2
    /// In a preallocated segment, after each group the writer wrote before one sync: no payload,
    /// the group's last data sequence, and its first one in the timestamp field. It lets
    /// recovery tell a group cut short by a power loss (at most its own marker after the
    /// damage, and nothing after that) from lost synced records.
    case groupEnd = 3
}

/// A record header whose header checksum has been verified.
struct RecordHeader {
    var length: Int
    var sequence: UInt64
    var timestamp: UInt64
    var kindByte: UInt8
    var flags: UInt8
    var tag: UInt16

    var chained: Bool { flags & RecordFormat.flagChained != 0 }
    /// Whether the sequence can be one a writer produced: 1…`maxSequence` for data, at most
    /// `maxSequence` for a seal (which repeats its segment's last data sequence, 0 when empty).
    var sequenceInRange: Bool {
        kindByte == RecordKind.seal.rawValue ? sequence <= RecordFormat.maxSequence
            : sequence >= 1 && sequence <= RecordFormat.maxSequence
    }
    var storedSize: Int { RecordFormat.storedSize(payload: length, chained: chained) }

    /// Parses the header at `offset` when its checksum holds; never trusts a length otherwise.
    @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, at offset: Int) -> RecordHeader? {
        guard offset >= 0, b.count - offset >= RecordFormat.headerSize else { return nil }
        let stored = b.le32(offset + 28)
        guard CRC32C.mask(b.crc(offset + 4, 24)) == stored else { return nil }
        return RecordHeader(length: Int(b.le32(offset + 4)), sequence: b.le64(offset + 8),
                            timestamp: b.le64(offset + 16), kindByte: b[offset + 24],
                            flags: b[offset + 25], tag: b.le16(offset + 26))
    }

    /// Why the record body at `offset` is bad, or nil when its checksum holds, its padding is
    /// zero and its kind and flags are known. The caller has checked the record fits the buffer.
    /// The cheap checks come first and the checksum over the payload last; searches pass a
    /// `RangeCRC` so that many overlapping candidates do not each pay for their whole length.
    @inline(__always)
    func bodyProblem(_ b: UnsafeRawBufferPointer, at offset: Int, ranges: RangeCRC? = nil) -> String? {
        guard flags & ~RecordFormat.flagChained == 0 else { return "unknown record flags \(flags)" }
        guard let kind = RecordKind(rawValue: kindByte) else { return "unknown record kind \(kindByte)" }
        if kind == .seal && (length != SealPayload.size || chained) { return "malformed seal record" }
        if kind == .groupEnd && (length != 0 || chained) { return "malformed group-end marker" }
        let end = RecordFormat.headerSize + length + (chained ? RecordFormat.chainHashSize : 0)
        guard b.allZero((offset + end)..<(offset + storedSize)) else { return "non-zero padding after the record" }
        let crc = ranges?.crc(offset + 4, end - 4) ?? b.crc(offset + 4, end - 4)
        guard CRC32C.mask(crc) == b.le32(offset) else { return "record checksum mismatch" }
        return nil
    }
}

/// The payload of a seal record: what the next segment must continue from.
struct SealPayload: Equatable {
    static let size = 56
    /// The last data sequence number in the sealed segment (its first minus one when empty).
    var lastSequence: UInt64
    var nextSegmentNumber: UInt64
    var recordCount: UInt64
    /// The chain hash after the segment's last record (zeros when the chain is off).
    var chainHash: [UInt8]

    var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.size)
        out.appendLE(lastSequence)
        out.appendLE(nextSegmentNumber)
        out.appendLE(recordCount)
        out.append(contentsOf: chainHash.count == 32 ? chainHash : [UInt8](repeating: 0, count: 32))
        return out
    }

    init(lastSequence: UInt64, nextSegmentNumber: UInt64, recordCount: UInt64, chainHash: [UInt8]) {
        self.lastSequence = lastSequence
        self.nextSegmentNumber = nextSegmentNumber
        self.recordCount = recordCount
        self.chainHash = chainHash
    }

    init(_ b: UnsafeRawBufferPointer, at offset: Int) {
        lastSequence = b.le64(offset)
        nextSegmentNumber = b.le64(offset + 8)
        recordCount = b.le64(offset + 16)
        chainHash = Array(b[(offset + 24)..<(offset + 56)])
    }

    /// Bytes a seal record occupies on disk.
    static let storedSize = RecordFormat.storedSize(payload: size, chained: false)
}
