import Foundation
import Testing
@testable import DocketJournal

/// Review finding 3: CRC-valid files carrying extreme sequence and segment numbers (0,
/// `UInt64.max`) must give a typed corruption, never an arithmetic trap, and a refused open
/// must leave the directory as it was.
@Suite struct ExtremeValueTests {
    static let journalID = [UInt8](repeating: 9, count: 16)
    static let modes: [RecoveryMode] = [.strict, .tolerateTornTail, .pointInTime]

    func header(number: UInt64 = 1, first: UInt64) -> [UInt8] {
        SegmentHeader(journalID: Self.journalID, segmentNumber: number, firstSequence: first, previousChain: RecoveryScan.zeroHash,
                      createdAt: 0, chained: false).bytes
    }

    func record(_ sequence: UInt64, kind: RecordKind = .data, payload: [UInt8] = [1, 2, 3]) -> [UInt8] {
        var out: [UInt8] = []
        var none: [UInt8]?
        payload.withUnsafeBytes {
            RecordFormat.encode(into: &out, kind: kind, sequence: sequence, timestamp: 1, tag: 0, payload: $0, chain: &none)
        }
        return out
    }

    func seal(sequence: UInt64, last: UInt64, next: UInt64, count: UInt64) -> [UInt8] {
        record(sequence, kind: .seal, payload: SealPayload(lastSequence: last, nextSegmentNumber: next, recordCount: count,
                                                           chainHash: RecoveryScan.zeroHash).bytes)
    }

    /// Every file of the directory but the lock, with its bytes.
    func contents(_ dir: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name != JournalFiles.lockName {
            out[name] = fileBytes(dir + "/" + name)
        }
        return out
    }

    /// Every writing mode refuses with a corruption whose reason contains `words`, changes
    /// nothing, and the read-only reader (strict and salvage) reports instead of trapping.
    func expectRefused(_ dir: String, containing words: String, modes: [RecoveryMode] = modes) throws {
        let before = contents(dir)
        for mode in modes {
            var config = JournalConfiguration()
            config.recovery = mode
            do {
                let (journal, _) = try openJournal(dir, config)
                Issue.record("\(mode): opened a journal with out-of-range values")
                _ = journal
            } catch let JournalError.corrupted(c) {
                #expect(c.reason.contains(words), "\(mode): \(c.reason)")
                #expect(!c.isTornTail, "\(mode): \(c.reason)")
            } catch {
                Issue.record("\(mode): unexpected \(error)")
            }
            let unchanged = contents(dir) == before
            #expect(unchanged, "\(mode) changed the directory")
        }
        let strict = try JournalReader.read(directory: dir, mode: .strict, from: 1) { _ in }
        #expect(strict.anomaly != nil)
        _ = try JournalReader.read(directory: dir, mode: .salvage, from: 1) { _ in }
        _ = try JournalReader.verify(directory: dir)
    }

    @Test func segmentHeaderFirstSequenceZero() throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        writeBytes(tmp.journal + "/" + JournalFiles.segmentName(1), header(first: 0) + record(1))
        try expectRefused(tmp.journal, containing: "first sequence 0")
    }

    @Test func segmentHeaderFirstSequenceMax() throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        writeBytes(tmp.journal + "/" + JournalFiles.segmentName(1), header(first: .max) + record(.max))
        try expectRefused(tmp.journal, containing: "out of range")
    }

    @Test func segmentNumberMaxInNameAndHeader() throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        // A sealed segment numbered UInt64.max: its successor's number would overflow.
        let name = JournalFiles.segmentName(.max)
        #expect(name == "wal-ffffffffffffffff.log")
        writeBytes(tmp.journal + "/" + name, header(number: .max, first: 1) + record(1) + seal(sequence: 1, last: 1, next: 0, count: 1))
        try expectRefused(tmp.journal, containing: "segment number")
    }

    @Test func emptySegmentNamedMaxBesideAJournal() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        writeBytes(built.path("wal-ffffffffffffffff.log"), [])
        // An empty last segment is an unfinished creation: strict refuses, tolerant recovery
        // sets it aside and continues after the real log.
        var strict = JournalConfiguration()
        strict.recovery = .strict
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, strict) }
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.sequences == Array(1...100))
        #expect(journal.recoveryReport.anomaly?.file == "wal-ffffffffffffffff.log")
        #expect(journal.recoveryReport.backupFiles == ["wal-ffffffffffffffff.log.broken"])
        #expect(try await journal.append([7]) == 101)
        try await journal.close()
        #expect(try readBack(built.dir).1.anomaly == nil)
    }

    /// The seal of a segment a snapshot covers is checked on its own (`checkSeal`).
    @Test func sealLastSequenceMax() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 200, snapshotsAt: [150])
        #expect(built.segments.count >= 4)
        for variant in 0..<2 {
            let dir = tmp.path + "/v\(variant)"
            copyDirectory(built.dir, dir)
            let path = dir + "/" + built.segments[0]
            var bytes = fileBytes(path)
            let ends = recordEnds(bytes)
            guard let lastData = ends.last(where: { $0.kind == RecordKind.data.rawValue }) else {
                Issue.record("no data records")
                return
            }
            bytes.removeLast(SealPayload.storedSize)
            let count = UInt64(ends.filter { $0.kind == RecordKind.data.rawValue }.count)
            bytes += variant == 0
                ? seal(sequence: lastData.sequence, last: .max, next: 2, count: count)
                : seal(sequence: .max, last: .max, next: 2, count: count)
            writeBytes(path, bytes)
            try expectRefused(dir, containing: "out of range", modes: [.strict])
            let (_, report) = try readBack(dir)
            #expect(report.anomaly?.reason.contains("out of range") == true)
            // The snapshot covers every record of that segment: the other modes pass the seal
            // over and report it.
            for mode in [RecoveryMode.tolerateTornTail, .pointInTime] {
                var config = JournalConfiguration()
                config.recovery = mode
                let (journal, replayed) = try openJournal(dir, config)
                #expect(replayed.snapshot?.lastSequence == 150 && replayed.sequences == Array(151...200), "\(mode)")
                #expect(journal.recoveryReport.skippedRegions.first?.reason.contains("out of range") == true, "\(mode)")
                try await journal.close()
            }
        }
    }

    @Test func salvageOverARecordWithSequenceMax() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        guard let last = built.segments.last else { return }
        let path = built.path(last)
        writeBytes(path, fileBytes(path) + record(.max))
        // Valid checksums: corruption, not a torn tail (point-in-time would cut it).
        try expectRefused(built.dir, containing: "out of range", modes: [.strict, .tolerateTornTail])
        var salvaged: [UInt64] = []
        let report = try JournalReader.read(directory: built.dir, mode: .salvage, from: 1) { salvaged.append($0.sequence) }
        #expect(salvaged == Array(1...100))
        #expect(report.lastSequence == 100)
        #expect(report.skippedRegions.contains { $0.reason.contains("out of range") })
        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        #expect(replayed.sequences == Array(1...100))
        #expect(journal.recoveryReport.bytesTruncated == record(.max).count)
        #expect(try await journal.append([1]) == 101)
        try await journal.close()
    }

    @Test func snapshotWithLastSequenceMax() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 100)
        guard case .success(let h) = fileBytes(built.path(built.segments[0])).withUnsafeBytes({ SegmentHeader.decode($0) }) else {
            Issue.record("unreadable header")
            return
        }
        let snap = SnapshotFile(journalID: h.journalID, lastSequence: .max, chainHash: RecoveryScan.zeroHash, createdAt: 0,
                                chained: false, body: [1, 2, 3])
        writeBytes(built.path(JournalFiles.snapshotName(.max)), snap.bytes)
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.contains { $0.file == JournalFiles.snapshotName(.max) })
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot == nil)
        #expect(replayed.sequences == Array(1...100))
        #expect(journal.recoveryReport.rejectedSnapshots.contains { $0.contains("out of range") })
        #expect(try await journal.append([1]) == 101)
        try await journal.close()
        #expect(FileManager.default.fileExists(atPath: built.path(JournalFiles.snapshotName(.max) + ".broken")))
    }

    /// After retention the oldest segment starts past 1; reading from 1 then looks for a
    /// snapshot covering the gap, by file name.
    @Test func emptySnapshotFileNamedMax() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 400, snapshotsAt: [100, 200, 300])
        #expect(JournalFiles.segmentNumber(built.segments[0]) ?? 0 > 1)
        writeBytes(built.path("snap-ffffffffffffffff.snap"), [])
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.contains { $0.file == "snap-ffffffffffffffff.snap" })
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot?.lastSequence == 300)
        #expect(replayed.sequences == Array(301...400))
        #expect(journal.recoveryReport.rejectedSnapshots.contains { $0.hasPrefix("snap-ffffffffffffffff.snap") })
        try await journal.close()
    }

    @Test func crashPointSpecificationsNeverTrap() {
        for spec in [":", "::", ":5", "x:", "", "before-write:", "before-write:abc", "before-write:-3", "no-such-point:2"] {
            let points = CrashPoints(specification: spec)
            if spec.hasPrefix("before-write") {
                #expect(points.armed == .beforeWrite, "\(spec)")
                #expect(points.target == 1, "\(spec)")
            } else {
                #expect(points.armed == nil, "\(spec)")
            }
        }
        #expect(CrashPoints(specification: "after-sync:7").target == 7)
    }

    /// The largest sequence is usable; the next append is refused with a typed error.
    @Test func sequenceNumbersRunOutCleanly() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        writeBytes(tmp.journal + "/" + JournalFiles.segmentName(1), header(first: RecordFormat.maxSequence))
        let snap = SnapshotFile(journalID: Self.journalID, lastSequence: RecordFormat.maxSequence - 1, chainHash: RecoveryScan.zeroHash,
                                createdAt: 0, chained: false, body: [5])
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(RecordFormat.maxSequence - 1), snap.bytes)
        let (journal, opened) = try openJournal(tmp.journal)
        #expect(opened.snapshot?.lastSequence == RecordFormat.maxSequence - 1)
        #expect(try await journal.append([1]) == RecordFormat.maxSequence)
        #expect {
            try journal.submit([2])
        } throws: { error in
            guard case JournalError.invalidArgument(let message) = error else { return false }
            return message.contains("exhausted")
        }
        #expect(throws: JournalError.self) { try journal.submit(contentsOf: [[3], [4]]) }
        try await journal.close()
        let (replayed, report) = try readBack(tmp.journal)
        #expect(report.anomaly == nil)
        #expect(replayed.sequences == [RecordFormat.maxSequence])
    }

    /// A journal whose last record is the largest sequence, then rotated (here by a snapshot;
    /// equally by reopening with another chain setting), must reopen.
    @Test func aRotationAtTheLastSequenceLeavesAJournalThatOpens() async throws {
        let tmp = TempDirectory("rotation-at-max")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        let header = SegmentHeader(journalID: [UInt8](repeating: 9, count: 16), segmentNumber: 1, firstSequence: RecordFormat.maxSequence,
                                   previousChain: RecoveryScan.zeroHash, createdAt: 0, chained: false).bytes
        writeBytes(tmp.journal + "/" + JournalFiles.segmentName(1), header)
        let snap = SnapshotFile(journalID: [UInt8](repeating: 9, count: 16), lastSequence: RecordFormat.maxSequence - 1, chainHash: RecoveryScan.zeroHash,
                                createdAt: 0, chained: false, body: [5])
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(RecordFormat.maxSequence - 1), snap.bytes)
        var config = JournalConfiguration(durability: .always)
        config.snapshotsToKeep = 2
        let (journal, _) = try openJournal(tmp.journal, config)
        #expect(try await journal.append([1]) == RecordFormat.maxSequence)
        try await journal.writeSnapshot([7], lastSequence: RecordFormat.maxSequence)
        try await journal.close()
        // The acknowledged journal must open again.
        let reopened = try? openJournal(tmp.journal, config)
        #expect(reopened != nil, "journal refused to reopen after a rotation at the last sequence: \(segmentFiles(tmp.journal))")
        if let (j, replayed) = reopened {
            #expect(replayed.snapshot?.lastSequence == RecordFormat.maxSequence)
            try await j.close()
        } else {
            do { _ = try openJournal(tmp.journal, config) } catch { Issue.record("open error: \(error)") }
        }
    }

    /// A snapshot and, as the only segment, an empty file named past the largest segment
    /// number: the log would go on under that number (and the next rotation would overflow).
    /// Every mode refuses, naming the file, and changes nothing.
    @Test func onlySegmentNamedPastTheLimitBesideASnapshot() throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        let snap = SnapshotFile(journalID: Self.journalID, lastSequence: 10, chainHash: RecoveryScan.zeroHash, createdAt: 0, chained: false, body: [5])
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(10), snap.bytes)
        writeBytes(tmp.journal + "/wal-ffffffffffffffff.log", [])
        try expectRefused(tmp.journal, containing: "out of range", modes: [.tolerateTornTail, .pointInTime])
    }

    /// The same with the largest number itself: the journal opens and appends, the rotation
    /// that would need the next number fails the journal with a message (no trap, no segment
    /// whose header the next open refuses), and the journal opens again with every record.
    @Test func aRotationPastTheLastSegmentNumberFailsCleanly() async throws {
        let tmp = TempDirectory("extreme")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        let snap = SnapshotFile(journalID: Self.journalID, lastSequence: 10, chainHash: RecoveryScan.zeroHash, createdAt: 0, chained: false, body: [5])
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(10), snap.bytes)
        writeBytes(tmp.journal + "/" + JournalFiles.segmentName(RecordFormat.maxSegmentNumber), [])
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 1024
        let (journal, _) = try openJournal(tmp.journal, config)
        var acknowledged: [UInt64] = []
        var failure: (any Error)?
        for _ in 0..<100 where failure == nil {
            do { acknowledged.append(try await journal.append([UInt8](repeating: 1, count: 100))) } catch { failure = error }
        }
        guard case JournalError.failed(let reason)? = failure as? JournalError else {
            Issue.record("expected the rotation to fail the journal, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("segment numbers are exhausted"), "\(reason)")
        try? await journal.close()
        #expect(!segmentFiles(tmp.journal).contains { $0.hasSuffix(".tmp") })
        let (reopened, replayed) = try openJournal(tmp.journal, config)
        #expect(replayed.snapshot?.lastSequence == 10)
        #expect(Array(replayed.sequences.prefix(acknowledged.count)) == acknowledged)
        try await reopened.close()
    }
}
