import Foundation
import Testing
import Synchronization
@testable import DocketJournal

/// Review finding 2: a snapshot ahead of the log is an anomaly, rejected snapshots are set
/// aside as `.broken` (never chosen later), the newest snapshot is the accepted one, and
/// retention counts only intact snapshots.
@Suite struct SnapshotRejectionTests {
    func journalID(_ built: BuiltJournal) -> [UInt8] {
        guard case .success(let h) = fileBytes(built.path(built.segments[0])).withUnsafeBytes({ SegmentHeader.decode($0) }) else {
            Issue.record("unreadable header")
            return []
        }
        return h.journalID
    }

    func names(_ dir: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0 != JournalFiles.lockName })
    }

    @Test func snapshotAheadOfTheLog() async throws {
        let tmp = TempDirectory("snaprej")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 300, snapshotsAt: [100, 200])
        // A valid snapshot of this journal through 400: the log lost 301…400 after it was written.
        let ahead = JournalFiles.snapshotName(400)
        writeBytes(built.path(ahead), SnapshotFile(journalID: journalID(built), lastSequence: 400, chainHash: RecoveryScan.zeroHash,
                                                   createdAt: 0, chained: false, body: Array("ahead".utf8)).bytes)
        let before = names(built.dir)
        for mode in [RecoveryMode.strict, .tolerateTornTail] {
            var config = JournalConfiguration()
            config.recovery = mode
            do {
                _ = try openJournal(built.dir, config)
                Issue.record("\(mode): opened with a snapshot ahead of the log")
            } catch let JournalError.corrupted(c) {
                #expect(c.file == ahead)
                #expect(c.reason.contains("log ends at 300"), "\(c.reason)")
            }
            #expect(names(built.dir) == before)
        }
        let (_, readOnly) = try readBack(built.dir)
        #expect(readOnly.anomaly?.file == ahead)

        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        #expect(replayed.snapshot?.lastSequence == 200)
        #expect(replayed.sequences == Array(201...300))
        let report = journal.recoveryReport
        #expect(report.anomaly?.file == ahead)
        #expect(report.lostSequences == [301...400])
        #expect(report.backupFiles == [ahead + ".broken"])
        #expect(FileManager.default.fileExists(atPath: built.path(ahead + ".broken")))
        #expect(!FileManager.default.fileExists(atPath: built.path(ahead)))
        // New records take 301…400; the old snapshot of the lost ones must never come back.
        for i in 301...400 { try journal.submit(Array("new \(i)".utf8)) }
        try await journal.sync()
        // The newest snapshot is the accepted one (200), not the rejected 400.
        try await journal.writeSnapshot(Array("snapshot@350".utf8), lastSequence: 350)
        try await journal.close()

        let (again, replayedAgain) = try openJournal(built.dir)
        #expect(replayedAgain.snapshot?.bytes == Array("snapshot@350".utf8))
        #expect(replayedAgain.sequences == Array(351...400))
        #expect(replayedAgain.records.first?.payload == Array("new 351".utf8))
        #expect(again.recoveryReport.anomaly == nil)
        try await again.close()
    }

    @Test func damagedSnapshotIsSetAsideOnce() async throws {
        let tmp = TempDirectory("snaprej")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 300, snapshotsAt: [100, 200])
        let newest = JournalFiles.snapshotName(200)
        flipBit(built.path(newest), byte: 100, bit: 1)
        writeBytes(built.path("snap-ffffffffffffffff.snap"), [])
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot?.lastSequence == 100)
        #expect(Set(journal.recoveryReport.backupFiles) == [newest + ".broken", "snap-ffffffffffffffff.snap.broken"])
        #expect(journal.recoveryReport.rejectedSnapshots.count == 2)
        // Not blocked by the name of a rejected file.
        try await journal.writeSnapshot(Array("snapshot@250".utf8), lastSequence: 250)
        try await journal.close()
        let (again, replayedAgain) = try openJournal(built.dir)
        #expect(replayedAgain.snapshot?.lastSequence == 250)
        #expect(again.recoveryReport.rejectedSnapshots.isEmpty)
        try await again.close()
    }

    /// A broken file with a snapshot's name appears while the journal is open: retention must
    /// not count it as one of the kept snapshots and delete the segments the real fallback needs.
    @Test func retentionCountsOnlyIntactSnapshots() async throws {
        let tmp = TempDirectory("snaprej")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 4096
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...100 { try journal.submit(payload(i), timestamp: UInt64(i)) }
        try await journal.writeSnapshot(Array("snapshot@100".utf8), lastSequence: 100)
        for i in 101...200 { try journal.submit(payload(i), timestamp: UInt64(i)) }
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(150), Array(repeating: 0x5A, count: 300))
        try await journal.writeSnapshot(Array("snapshot@200".utf8), lastSequence: 200)
        for i in 201...250 { try journal.submit(payload(i), timestamp: UInt64(i)) }
        try await journal.close()

        let present = names(tmp.journal)
        #expect(present.contains(JournalFiles.snapshotName(100)))
        #expect(present.contains(JournalFiles.snapshotName(150) + ".broken"))
        #expect(!present.contains(JournalFiles.snapshotName(150)))
        // The newest snapshot damaged: the fallback to 100 still has every segment it needs.
        flipBit(tmp.journal + "/" + JournalFiles.snapshotName(200), byte: 100, bit: 0)
        let (again, replayed) = try openJournal(tmp.journal)
        #expect(replayed.snapshot?.lastSequence == 100)
        #expect(replayed.sequences == Array(101...250))
        #expect(replayed.records.first?.payload == payload(101))
        try await again.close()
    }

    @Test func archiveNeverReplacesAnArchivedSegment() async throws {
        let tmp = TempDirectory("snaprej")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 4096
        config.retention = .archive
        config.snapshotsToKeep = 1
        let archive = tmp.journal + "/" + JournalFiles.archiveName
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let old = Array("an older life of this directory".utf8)
        writeBytes(archive + "/" + JournalFiles.segmentName(1), old)
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...200 { try journal.submit(payload(i)) }
        try await journal.writeSnapshot([1], lastSequence: 200)
        try await journal.close()
        #expect(fileBytes(archive + "/" + JournalFiles.segmentName(1)) == old)
        let renamed = fileBytes(archive + "/" + JournalFiles.segmentName(1) + ".1")
        #expect(renamed.starts(with: SegmentHeader.magic))
    }
}

/// A snapshot past where recovery ended the log, that could not be read at that open (passed
/// over, not set aside), belongs to the discarded history. Retention used to take it for an
/// intact snapshot once new appends passed its sequence, keep it and delete the good older one
/// and its segments; the next open then started from it.
@Suite struct DiscardedHistorySnapshotTests {
    /// The real file system, except that the first open of `target` fails with EIO.
    final class FirstOpenFailsIO: ForwardingJournalIO, Sendable {
        let target: String
        private let failed = Mutex(false)

        init(target: String) { self.target = target }

        func open(_ path: String, _ intent: OpenIntent) throws -> Int32 {
            if path == target, failed.withLock({ f -> Bool in defer { f = true }; return !f }) {
                throw IOFailure(operation: "open", path: path, errno: EIO)
            }
            return try posix.open(path, intent)
        }
    }

    @Test func aSnapshotOfTheDiscardedHistoryIsNeverKept() async throws {
        let tmp = TempDirectory("discarded")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 1 << 20
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...200 {
            try journal.submit(payload(i))
            if i == 100 || i == 180 { try await journal.writeSnapshot(Array("old@\(i)".utf8), lastSequence: UInt64(i)) }
        }
        try await journal.close()
        // Mid-log damage at 150, in the segment holding 101…180: point-in-time recovery ends the
        // log at 149; the snapshot at 180 cannot be read just then.
        let segment = tmp.journal + "/" + (segmentFiles(tmp.journal).first { name in
            recordEnds(fileBytes(tmp.journal + "/" + name)).contains { $0.sequence == 150 }
        } ?? "")
        var start = SegmentHeader.size
        for r in recordEnds(fileBytes(segment)) {
            if r.sequence == 150 { break }
            start = r.end
        }
        flipBit(segment, byte: start + RecordFormat.headerSize + 2, bit: 1)
        config.recovery = .pointInTime
        let snap180 = tmp.journal + "/" + JournalFiles.snapshotName(180)
        let (cut, replayed) = try openJournal(tmp.journal, config, io: FirstOpenFailsIO(target: snap180))
        #expect(replayed.snapshot?.lastSequence == 100 && replayed.sequences.last == 149)
        // A new history past 180, then a snapshot: retention must not keep the old one at 180.
        for i in 150...250 { try cut.submit(payload(1_000 + i)) }
        try await cut.writeSnapshot(Array("new@250".utf8), lastSequence: 250)
        try await cut.close()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tmp.journal)) ?? []
        #expect(!names.contains(JournalFiles.snapshotName(180)), "\(names.sorted())")
        #expect(names.contains(JournalFiles.snapshotName(100)), "the good fallback stays: \(names.sorted())")
        config.recovery = .tolerateTornTail
        let (reopened, after) = try openJournal(tmp.journal, config)
        #expect(after.snapshot.map { String(decoding: $0.bytes, as: UTF8.self) } == "new@250")
        try await reopened.close()
    }

    /// A chained snapshot the journal neither wrote nor used at open (here: unreadable then, an
    /// EIO) whose chain hash disagrees with the log is no fallback: recovery would refuse it.
    /// Retention sets it aside as `.broken` and keeps the segments it would have let go. With
    /// the log's own hash at its sequence (read from the segments: the journal remembers only
    /// the last 1,024), it is kept, and the segments it covers go.
    @Test(arguments: [false, true]) func retentionChecksTheChainHashOfASnapshotItDidNotWrite(genuine: Bool) async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let dir = "/sim/j"
        var config = JournalConfiguration(durability: .always)
        config.hashChain = true
        config.segmentSize = 4096
        config.snapshotsToKeep = 2
        let (first, _) = try openJournal(dir, config, io: disk)
        for i in 1...100 { _ = try await first.append(payload(i, size: 70)) }
        let logChain = try #require(first.core.chainHash(at: 100))
        for i in 101...1500 { _ = try await first.append(payload(i, size: 70)) }
        try await first.close()
        let copied = SnapshotFile(journalID: first.journalID, lastSequence: 100, chainHash: genuine ? logChain : [UInt8](repeating: 7, count: 32),
                                  createdAt: 0, chained: true, body: [1])
        let path = dir + "/" + JournalFiles.snapshotName(100)
        let fd = try disk.open(path, .createExclusive)
        try disk.writeAll(fd, copied.bytes, at: 0, path: path)
        try disk.dataSync(fd)
        disk.close(fd)
        disk.injectOpenFailure(of: path, errno: EIO)
        let (journal, replayed) = try openJournal(dir, config, io: disk)
        #expect(replayed.snapshot == nil && replayed.sequences.count == 1500, "the snapshot could not be read at open")
        let before = Set(try disk.list(dir).filter { $0.hasPrefix("wal-") })
        try await journal.writeSnapshot([2], lastSequence: 1500)
        let names = try disk.list(dir)
        let after = Set(names.filter { $0.hasPrefix("wal-") })
        if genuine {
            #expect(names.contains(JournalFiles.snapshotName(100)))
            #expect(!before.isSubset(of: after), "the segments the snapshot through 100 covers were kept")
        } else {
            #expect(!names.contains(JournalFiles.snapshotName(100)))
            #expect(names.contains { $0.hasPrefix(JournalFiles.snapshotName(100)) && $0.hasSuffix(".broken") }, "\(names.sorted())")
            #expect(before.isSubset(of: after), "segments were deleted for a snapshot recovery would refuse")
        }
        try await journal.close()
        let (reopened, again) = try openJournal(dir, config, io: disk)
        #expect(again.snapshot?.lastSequence == 1500)
        try await reopened.close()
    }

    /// A chained snapshot at a sequence of an unchained segment (chaining turned on later) is
    /// checked against the chain carried through those records, as recovery checks it: `verify`
    /// reports the one recovery refuses instead of passing it over.
    @Test func verifyChecksAChainedSnapshotInAnUnchainedSegmentAsRecoveryDoes() async throws {
        let tmp = TempDirectory("chain-unchained")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, JournalConfiguration(durability: .always))
        for i in 1...100 { _ = try await journal.append(payload(i, size: 70)) }
        let id = journal.journalID
        try await journal.close()
        let forged = SnapshotFile(journalID: id, lastSequence: 50, chainHash: [UInt8](repeating: 7, count: 32), createdAt: 0, chained: true, body: [1])
        writeBytes(tmp.journal + "/" + JournalFiles.snapshotName(50), forged.bytes)
        let check = try JournalReader.verify(directory: tmp.journal)
        #expect(check.problems.contains { $0.file == JournalFiles.snapshotName(50) && $0.reason.contains("chain hash disagrees") }, "\(check.problems)")
        let (reopened, replayed) = try openJournal(tmp.journal, JournalConfiguration(durability: .always))
        #expect(replayed.snapshot == nil && replayed.sequences == Array(1...100))
        #expect(reopened.recoveryReport.rejectedSnapshots.contains { $0.hasPrefix(JournalFiles.snapshotName(50)) })
        try await reopened.close()
    }

    /// No chain is known for sequence 0 (the ring of recent chains starts filled with it).
    @Test func noChainIsKnownForSequenceZero() async throws {
        let tmp = TempDirectory("chain-zero")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .always)
        config.hashChain = true
        let (journal, _) = try openJournal(tmp.journal, config)
        _ = try await journal.append([1])
        #expect(journal.core.chainHash(at: 0) == nil)
        #expect(journal.core.chainHash(at: 1)?.count == 32)
        try await journal.close()
    }
}
