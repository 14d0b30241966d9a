import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// T5: zero and garbage tails (the etcd #11488 / Redis #5177 power-loss shapes).
@Suite struct TailDamageTests {
    func openTolerant(_ dir: String) throws -> (Journal, Replayed) { try openJournal(dir) }

    /// Without preallocation nothing but records is ever written, so zeros after the last one
    /// are damage (a lost write), repaired as a torn tail and refused by `.strict`.
    @Test func zeroTailsAreTornAndRepaired() async throws {
        let tmp = TempDirectory("tail")
        defer { tmp.remove() }
        for size in [512, 4096, 65536] {
            let built = try await BuiltJournal.make(in: tmp.path + "/z\(size)", count: 20)
            let last = built.path(built.segments.last ?? "")
            writeBytes(last, fileBytes(last) + [UInt8](repeating: 0, count: size))
            #expect(try readBack(built.dir, mode: .strict).1.anomaly?.isTornTail == true)
            let (journal, replayed) = try openTolerant(built.dir)
            #expect(replayed.sequences == Array(1...20))
            #expect(journal.recoveryReport.bytesTruncated == size)
            #expect(journal.recoveryReport.anomaly?.isTornTail == true)
            // Outside preallocated segments the backup is a byte copy, zeros and all.
            let backup = try #require(journal.recoveryReport.backupFiles.first)
            #expect(fileBytes(built.dir + "/" + backup) == [UInt8](repeating: 0, count: size))
            try await journal.close()
        }
    }

    /// In a preallocated segment the same zeros are space the writer filled ahead: the end of
    /// the records, no anomaly, even for `.strict`.
    @Test func zeroTailsOfAPreallocatedSegmentAreItsEnd() async throws {
        let tmp = TempDirectory("tailp")
        defer { tmp.remove() }
        for size in [512, 4096, 65536] {
            let built = try await BuiltJournal.make(in: tmp.path + "/z\(size)", count: 20, preallocate: true)
            let last = built.path(built.segments.last ?? "")
            writeBytes(last, fileBytes(last) + [UInt8](repeating: 0, count: size))
            let (strict, report) = try readBack(built.dir, mode: .strict)
            #expect(strict.sequences == Array(1...20))
            #expect(report.anomaly == nil)
            let (journal, replayed) = try openJournal(built.dir, { var c = JournalConfiguration(); c.recovery = .strict; return c }())
            #expect(replayed.sequences == Array(1...20))
            #expect(journal.recoveryReport.bytesTruncated == 0)
            #expect(journal.recoveryReport.anomaly == nil)
            try await journal.close()
        }
    }

    /// A power loss can keep a later part of an unsynced append and not an earlier one (XFS
    /// extends the size as each write completes, in any order): a sector of zeros, then
    /// records. Nothing from that sector on was synced, so it is a torn tail, repaired by
    /// default. Garbage in the same place (no whole sector of zeros) stays mid-log corruption.
    @Test func zeroSectorThenRecordsInAGrowingSegmentIsTorn() async throws {
        let tmp = TempDirectory("tail3")
        defer { tmp.remove() }
        for fill in [UInt8(0), 0xA5] {
            let built = try await BuiltJournal.make(in: tmp.path + "/f\(fill)", count: 300, segmentSize: 1 << 20)
            let last = built.path(built.segments.last ?? "")
            var bytes = fileBytes(last)
            let sector = (bytes.count / 2) / 512 * 512
            for i in sector..<(sector + 512) { bytes[i] = fill }
            writeBytes(last, bytes)
            let intact = recordEnds(bytes).filter { $0.end <= sector && $0.kind == RecordKind.data.rawValue }
            let kept = try #require(intact.last?.sequence)
            #expect(kept > 100 && kept < 250)
            if fill == 0 {
                #expect(try readBack(built.dir, mode: .strict).1.anomaly?.isTornTail == true)
                let (journal, replayed) = try openTolerant(built.dir)
                #expect(replayed.sequences == Array(1...kept))
                #expect(journal.recoveryReport.anomaly?.isTornTail == true)
                #expect(journal.recoveryReport.bytesTruncated == bytes.count - (intact.last?.end ?? 0))
                try await journal.close()
            } else {
                #expect(try readBack(built.dir, mode: .strict).1.anomaly?.isTornTail == false)
                #expect(throws: JournalError.self) { _ = try openTolerant(built.dir) }
            }
        }
    }

    /// The lost sector may start inside a record header: its first part intact, the rest and
    /// the sector after the boundary zeros. Also a torn tail.
    @Test func aSectorLostFromInsideAHeaderIsTorn() async throws {
        let tmp = TempDirectory("tail5")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 300, segmentSize: 1 << 20)
        let bytes = fileBytes(built.path(built.segments.last ?? ""))
        var starts: [(offset: Int, sequence: UInt64)] = []
        var start = SegmentHeader.size
        for r in recordEnds(bytes) {
            starts.append((start, r.sequence))
            start = r.end
        }
        // A header past the middle that crosses a sector boundary 8 to 24 bytes in.
        let straddling = try #require(starts.first { r in
            r.offset > bytes.count / 2 && (8...24).contains((r.offset & ~511) + 512 - r.offset)
        })
        let boundary = (straddling.offset & ~511) + 512
        // The sector after the boundary lost, or the one before it (from the header on).
        for lost in [boundary..<(boundary + 512), straddling.offset..<boundary] {
            let dir = tmp.path + "/l\(lost.lowerBound)"
            copyDirectory(built.dir, dir)
            var damaged = bytes
            for i in lost { damaged[i] = 0 }
            writeBytes(dir + "/" + (built.segments.last ?? ""), damaged)
            #expect(try readBack(dir, mode: .strict).1.anomaly?.isTornTail == true, "\(lost)")
            let (journal, replayed) = try openTolerant(dir)
            #expect(replayed.sequences == Array(1..<straddling.sequence))
            try await journal.close()
        }
    }

    /// Zeros inside a payload are data: a flipped bit in a synced record whose payload holds a
    /// whole sector of zeros, with records after it, is mid-log corruption (refused by default,
    /// nothing cut), not a lost sector of a torn write.
    @Test func aDamagedRecordWithZerosInItsPayloadIsNotATornTail() async throws {
        let tmp = TempDirectory("tail4")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 1 << 20
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...40 { try journal.submit([UInt8](repeating: 0, count: 1500), tag: 0, timestamp: UInt64(i)) }
        try await journal.close()
        let path = tmp.journal + "/" + (segmentFiles(tmp.journal).last ?? "")
        let ends = recordEnds(fileBytes(path))
        let start = ends[19].end  // record 21
        for byte in [start + 2, start + RecordFormat.headerSize + 700] {
            let dir = tmp.path + "/b\(byte)"
            copyDirectory(tmp.journal, dir)
            flipBit(dir + "/" + (segmentFiles(dir).last ?? ""), byte: byte, bit: 3)
            let (_, report) = try readBack(dir, mode: .strict)
            #expect(report.anomaly?.isTornTail == false, "\(report)")
            #expect(throws: JournalError.self) { _ = try openJournal(dir) }
        }
    }

    @Test func zeroedTrailingSectorOfTheLastRecordIsTorn() async throws {
        let tmp = TempDirectory("tail2")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 20, payloadSize: 600)
        let last = built.path(built.segments.last ?? "")
        var bytes = fileBytes(last)
        let sectorStart = (bytes.count - 1) / 512 * 512
        for i in sectorStart..<bytes.count { bytes[i] = 0 }
        writeBytes(last, bytes)
        let (journal, replayed) = try openTolerant(built.dir)
        #expect(replayed.sequences == Array(1...19))
        #expect(journal.recoveryReport.anomaly?.isTornTail == true)
        try await journal.close()
    }

    @Test func randomGarbageTailIsTorn() async throws {
        let seed: UInt64 = 77
        print("TailDamageTests garbage seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let tmp = TempDirectory("tail3")
        defer { tmp.remove() }
        for round in 0..<5 {
            let built = try await BuiltJournal.make(in: tmp.path + "/g\(round)", count: 15)
            let last = built.path(built.segments.last ?? "")
            let garbage = (0..<(100 + Int(rng.next() % 3000))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            writeBytes(last, fileBytes(last) + garbage)
            let (journal, replayed) = try openTolerant(built.dir)
            #expect(replayed.sequences == Array(1...15))
            #expect(journal.recoveryReport.bytesTruncated == garbage.count)
            try await journal.close()
        }
    }

    @Test func garbageFollowedByAValidRecordIsMidLogCorruption() async throws {
        let tmp = TempDirectory("tail4")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 15)
        let last = built.path(built.segments.last ?? "")
        var bytes = fileBytes(last)
        bytes += [UInt8](repeating: 0xAB, count: 64)
        var none: [UInt8]?
        payload(17).withUnsafeBytes { RecordFormat.encode(into: &bytes, kind: .data, sequence: 17, timestamp: 17, tag: 0, payload: $0, chain: &none) }
        writeBytes(last, bytes)
        do {
            _ = try openTolerant(built.dir)
            Issue.record("opened despite mid-log corruption")
        } catch let error as JournalError {
            guard case .corrupted(let c) = error else { Issue.record("unexpected \(error)"); return }
            #expect(!c.isTornTail)
            #expect(c.offset != nil)
        }
        // Point-in-time keeps the prefix and reports the loss.
        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        #expect(replayed.sequences == Array(1...15))
        #expect(journal.recoveryReport.lostSequences == [16...17])
        try await journal.close()
    }
}
