import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal
#if canImport(Glibc)
import Glibc
#endif

/// Review finding 4: files with a journal file's name that are huge, or not regular files, give
/// a typed error instead of an unbounded allocation or a hang; searches past garbage (even
/// forged headers claiming long payloads) cost near-linear time.
@Suite struct FileBoundsTests {
    /// A sparse file of `size` bytes (no disk space used).
    func sparse(_ path: String, size: Int) throws {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { Glibc.close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
    }

    func expectCorrupted(_ dir: String, containing words: String, modes: [RecoveryMode] = [.strict, .tolerateTornTail]) {
        for mode in modes {
            var config = JournalConfiguration()
            config.recovery = mode
            do {
                _ = try openJournal(dir, config)
                Issue.record("\(mode): opened")
            } catch let JournalError.corrupted(c) {
                #expect(c.reason.contains(words), "\(mode): \(c.reason)")
            } catch {
                Issue.record("\(mode): unexpected \(error)")
            }
        }
    }

    /// Point-in-time recovery sets the odd file aside and keeps the log before it.
    func expectPointInTimeSetsAside(_ built: BuiltJournal, _ name: String) async throws {
        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        #expect(replayed.sequences == Array(1...UInt64(built.count)))
        #expect(journal.recoveryReport.backupFiles == [name + ".broken"])
        #expect(try await journal.append([1]) == UInt64(built.count) + 1)
        try await journal.close()
    }

    @Test func oversizedSegmentIsRefusedWithoutReadingIt() async throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        let name = JournalFiles.segmentName(UInt64(built.segments.count + 1))
        try sparse(built.path(name), size: RecordFormat.maxSegmentFileSize + 1)
        expectCorrupted(built.dir, containing: "more than the format allows")
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.first?.file == name)
        try await expectPointInTimeSetsAside(built, name)
    }

    @Test func oversizedSnapshotIsRejected() async throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        let name = JournalFiles.snapshotName(50)
        try sparse(built.path(name), size: SnapshotFile.maxFileSize + 1)
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.contains { $0.file == name })
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot == nil)
        #expect(replayed.sequences == Array(1...100))
        #expect(journal.recoveryReport.rejectedSnapshots.contains { $0.hasPrefix(name) && $0.contains("more than the format allows") })
        #expect(journal.recoveryReport.backupFiles == [name + ".broken"])
        try await journal.close()
        #expect(!FileManager.default.fileExists(atPath: built.path(name)))
    }

    @Test func directoryNamedLikeASegment() async throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        let name = JournalFiles.segmentName(UInt64(built.segments.count + 1))
        try FileManager.default.createDirectory(atPath: built.path(name), withIntermediateDirectories: false)
        expectCorrupted(built.dir, containing: "not a regular file")
        try await expectPointInTimeSetsAside(built, name)
    }

    @Test func fifoNamedLikeASegmentOrSnapshotDoesNotHang() async throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        let segment = JournalFiles.segmentName(UInt64(built.segments.count + 1))
        let snapshot = JournalFiles.snapshotName(60)
        #expect(mkfifo(built.path(segment), 0o600) == 0)
        #expect(mkfifo(built.path(snapshot), 0o600) == 0)
        expectCorrupted(built.dir, containing: "not a regular file")
        var salvaged: [UInt64] = []
        let report = try JournalReader.read(directory: built.dir, mode: .salvage, from: 1) { salvaged.append($0.sequence) }
        #expect(salvaged == Array(1...100))
        #expect(report.skippedRegions.contains { $0.file == segment })
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.contains { $0.file == snapshot && $0.reason.contains("not a regular file") })
        try FileManager.default.removeItem(atPath: built.path(segment))
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.sequences == Array(1...100))
        #expect(journal.recoveryReport.rejectedSnapshots.contains { $0.hasPrefix(snapshot) && $0.contains("not a regular file") })
        try await journal.close()
    }

    /// A file replaced after recovery first looked at it surfaces as a typed corruption too.
    @Test func unreadableFileIsATypedCorruption() throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let path = tmp.path + "/" + JournalFiles.segmentName(3)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        do {
            _ = try PosixJournalIO.shared.readFile(path, maxSize: 1 << 20)
            Issue.record("read a directory as a file")
        } catch let unreadable as UnreadableFile {
            guard case .corrupted(let c) = unreadable.journalError else {
                Issue.record("not a corruption: \(unreadable.journalError)")
                return
            }
            #expect(c.file == JournalFiles.segmentName(3))
            #expect(c.reason.contains("not a regular file"))
        }
    }

    @Test func rangeChecksumsMatchDirectOnes() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("FileBoundsTests.rangeChecksumsMatchDirectOnes seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let bytes = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes.withUnsafeBytes { b in
            let ranges = RangeCRC(b)
            for _ in 0..<500 {
                let offset = Int(rng.next() % UInt64(b.count))
                let count = Int(rng.next() % UInt64(b.count - offset + 1))
                #expect(ranges.crc(offset, count) == b.crc(offset, count), "offset \(offset) count \(count) seed \(seed)")
            }
            #expect(ranges.crc(0, b.count) == b.crc(0, b.count))
            #expect(ranges.crc(b.count - 2000, 2000) == b.crc(b.count - 2000, 2000))
            // crc(A ‖ B) = shift(crc(A), |B|) ^ crc(B)
            let a = b.crc(0, 777), whole = b.crc(0, 5000), tail = b.crc(777, 5000 - 777)
            #expect(CRC32C.shift(a, by: 5000 - 777) ^ tail == whole)
        }
    }

    /// 1 MiB of forged record headers (valid header checksums, long payloads, wrong payload
    /// checksums) then a valid record: every reader still finds the record after the garbage
    /// (each forged header used to cost a checksum over its whole claimed payload: quadratic).
    @Test func forgedHeadersAcrossAMebibyte() async throws {
        let tmp = TempDirectory("bounds")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 10)
        guard let last = built.segments.last else { return }
        let path = built.path(last)
        let region = 1 << 20
        var garbage: [UInt8] = []
        garbage.reserveCapacity(region)
        while garbage.count < region {
            var h = [UInt8](repeating: 0, count: 32)
            let claimed = UInt32(region - garbage.count - 32)
            h.withUnsafeMutableBytes { r in
                r.put32(claimed, 4)
                r.put64(11, 8)
                r[24] = RecordKind.data.rawValue
                r.put32(CRC32C.mask(UnsafeRawBufferPointer(r).crc(4, 24)), 28)
            }
            garbage += h
        }
        var next: [UInt8] = []
        var none: [UInt8]?
        payload(11).withUnsafeBytes {
            RecordFormat.encode(into: &next, kind: .data, sequence: 11, timestamp: 11, tag: 4, payload: $0, chain: &none)
        }
        writeBytes(path, fileBytes(path) + garbage + next)

        let (_, strict) = try readBack(built.dir)
        #expect(strict.lastSequence == 10)
        #expect(strict.anomaly?.isTornTail == false)  // a valid later record exists
        #expect(strict.anomaly?.reason == "record checksum mismatch")
        var salvaged: [UInt64] = []
        let report = try JournalReader.read(directory: built.dir, mode: .salvage, from: 1) { salvaged.append($0.sequence) }
        #expect(salvaged == Array(1...11))
        #expect(report.lastSequence == 11)
        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        #expect(replayed.sequences == Array(1...10))
        #expect(journal.recoveryReport.lostSequences == [11...11])
        try await journal.close()
    }
}
