import Foundation
import Testing
@testable import DocketJournal

/// T1: encode→decode round trips for every record kind, segment headers and snapshots, and the
/// properties the reader relies on (zero fill is never a record, lengths are only trusted after
/// the header checksum).
@Suite struct CodecTests {
    @Test func dataRecordsRoundTripWithAndWithoutChain() {
        for chained in [false, true] {
            var bytes: [UInt8] = []
            var chain: [UInt8]? = chained ? [UInt8](repeating: 9, count: 32) : nil
            let payloads: [[UInt8]] = [[], [1], Array(0..<7), Array(repeating: 0xFF, count: 1000)]
            for (i, p) in payloads.enumerated() {
                p.withUnsafeBytes { RecordFormat.encode(into: &bytes, kind: .data, sequence: UInt64(i + 1), timestamp: 1234 + UInt64(i), tag: 77, payload: $0, chain: &chain) }
                #expect(bytes.count % 8 == 0)
            }
            bytes.withUnsafeBytes { b in
                var offset = 0
                for (i, p) in payloads.enumerated() {
                    guard let h = RecordHeader.decode(b, at: offset) else { Issue.record("header \(i) unreadable"); return }
                    #expect(h.sequence == UInt64(i + 1))
                    #expect(h.timestamp == 1234 + UInt64(i))
                    #expect(h.tag == 77)
                    #expect(h.length == p.count)
                    #expect(h.chained == chained)
                    #expect(h.bodyProblem(b, at: offset) == nil)
                    #expect(Array(b[(offset + 32)..<(offset + 32 + p.count)]) == p)
                    offset += h.storedSize
                }
                #expect(offset == b.count)
            }
        }
    }

    @Test func sealRecordRoundTrips() {
        let seal = SealPayload(lastSequence: 41, nextSegmentNumber: 3, recordCount: 12, chainHash: Array(repeating: 5, count: 32))
        var bytes: [UInt8] = []
        var none: [UInt8]?
        seal.bytes.withUnsafeBytes { RecordFormat.encode(into: &bytes, kind: .seal, sequence: 41, timestamp: 1, tag: 0, payload: $0, chain: &none) }
        #expect(bytes.count == SealPayload.storedSize)
        bytes.withUnsafeBytes { b in
            let h = RecordHeader.decode(b, at: 0)
            #expect(h?.kindByte == RecordKind.seal.rawValue)
            #expect(h?.bodyProblem(b, at: 0) == nil)
            #expect(SealPayload(b, at: 32) == seal)
        }
    }

    @Test func zeroFillAndCorruptLengthsAreNeverTrusted() {
        let zeros = [UInt8](repeating: 0, count: 64)
        zeros.withUnsafeBytes { #expect(RecordHeader.decode($0, at: 0) == nil) }
        var bytes: [UInt8] = []
        var none: [UInt8]?
        [1, 2, 3].withUnsafeBytes { RecordFormat.encode(into: &bytes, kind: .data, sequence: 1, timestamp: 1, tag: 0, payload: $0, chain: &none) }
        bytes[6] ^= 0x40  // the length field
        bytes.withUnsafeBytes { #expect(RecordHeader.decode($0, at: 0) == nil) }
    }

    @Test func segmentHeaderRoundTripsAndRejectsDamage() {
        let header = SegmentHeader(journalID: Array(0..<16), segmentNumber: 7, firstSequence: 1000, previousChain: Array(repeating: 3, count: 32),
                                   createdAt: 99, chained: true)
        let bytes = header.bytes
        #expect(bytes.count == SegmentHeader.size)
        #expect(bytes.withUnsafeBytes { SegmentHeader.decode($0) } == .success(header))
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 1
            if case .success = damaged.withUnsafeBytes({ SegmentHeader.decode($0) }) { Issue.record("flip at \(i) accepted") }
        }
        #expect(Array(bytes.prefix(50)).withUnsafeBytes { SegmentHeader.decode($0) } == .failure(.incomplete(50)))
    }

    @Test func snapshotFileRoundTripsAndRejectsDamage() {
        let file = SnapshotFile(journalID: Array(0..<16), lastSequence: 42, chainHash: Array(repeating: 1, count: 32), createdAt: 5,
                                chained: true, body: Array("state".utf8))
        let bytes = file.bytes
        #expect(bytes.withUnsafeBytes { SnapshotFile.decode($0) } == .success(file))
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x10
            if case .success = damaged.withUnsafeBytes({ SnapshotFile.decode($0) }) { Issue.record("flip at \(i) accepted") }
        }
        for cut in [0, 10, 95, bytes.count - 1] {
            if case .success = Array(bytes.prefix(cut)).withUnsafeBytes({ SnapshotFile.decode($0) }) { Issue.record("truncation at \(cut) accepted") }
        }
    }

    @Test func fileNamesRoundTrip() {
        #expect(JournalFiles.segmentName(26) == "wal-000000000000001a.log")
        #expect(JournalFiles.segmentNumber("wal-000000000000001a.log") == 26)
        #expect(JournalFiles.snapshotSequence(JournalFiles.snapshotName(.max)) == .max)
        #expect(JournalFiles.segmentNumber("wal-000000000000001A.log") == nil)
        #expect(JournalFiles.segmentNumber("wal-1.log") == nil)
        #expect(JournalFiles.segmentNumber("wal-000000000000001a.log.broken") == nil)
    }

    @Test func groupCutKeepsWholeRecords() {
        var bytes: [UInt8] = []
        var none: [UInt8]?
        for i in 0..<10 { payload(i, size: 100).withUnsafeBytes { RecordFormat.encode(into: &bytes, kind: .data, sequence: UInt64(i + 1), timestamp: 0, tag: 0, payload: $0, chain: &none) } }
        let size = RecordFormat.storedSize(payload: 100, chained: false)
        #expect(SegmentWriter.cut(bytes, limit: size * 3 + 5) == size * 3)
        #expect(SegmentWriter.cut(bytes, limit: 1) == size)
        #expect(SegmentWriter.cut(bytes, limit: 1 << 20) == bytes.count)
    }
}
