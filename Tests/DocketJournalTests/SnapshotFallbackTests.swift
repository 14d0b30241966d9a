import Foundation
import Testing
@testable import DocketJournal

/// T14: a damaged, missing or inconsistent newest snapshot falls back to the older one with a
/// longer replay, or fails clearly when the segments that needs were purged.
@Suite struct SnapshotFallbackTests {
    func build(_ dir: String, chain: Bool = false) async throws -> BuiltJournal {
        try await BuiltJournal.make(in: dir, count: 300, payloadSize: 40, segmentSize: 4096, hashChain: chain, snapshotsAt: [100, 200])
    }

    func expectFallback(_ dir: String, rejected: Bool) async throws {
        let (journal, replayed) = try openJournal(dir)
        #expect(replayed.snapshot?.lastSequence == 100)
        #expect(replayed.snapshot?.bytes == Array("snapshot@100".utf8))
        #expect(replayed.sequences == Array(101...300))
        #expect(journal.recoveryReport.rejectedSnapshots.isEmpty == !rejected)
        try await journal.close()
    }

    /// A snapshot that cannot be read right now (EIO) is passed over but not set aside, so the
    /// next open uses it again; one gone since the listing (ENOENT: a live journal's retention
    /// removed it under a reader) is reported as vanished, for the reader to read again, not
    /// as damage.
    @Test func anUnreadableSnapshotIsPassedOverNotSetAside() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 4096
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        for i in 1...150 { try journal.submit(payload(i)) }
        try await journal.sync()
        try await journal.writeSnapshot(Array("s100".utf8), lastSequence: 100)
        try await journal.close()
        let snapshot = "/sim/j/" + JournalFiles.snapshotName(100)

        disk.injectOpenFailure(of: snapshot, errno: EIO)
        let (passed, replayed) = try openJournal("/sim/j", config, io: disk)
        #expect(replayed.snapshot == nil && replayed.sequences == Array(1...150), "fell back to the records")
        #expect(!passed.recoveryReport.rejectedSnapshots.isEmpty)
        try await passed.close()
        #expect(try disk.list("/sim/j").contains(JournalFiles.snapshotName(100)), "not renamed to .broken")
        let (again, fromSnapshot) = try openJournal("/sim/j", config, io: disk)
        #expect(fromSnapshot.snapshot?.lastSequence == 100 && fromSnapshot.sequences == Array(101...150))
        try await again.close()

        disk.injectOpenFailure(of: snapshot, errno: ENOENT)
        do {
            _ = try openJournal("/sim/j", config, io: disk)
            Issue.record("a snapshot gone since the listing was taken for damage")
        } catch let error as JournalError {
            #expect(error.isVanishedFile, "\(error)")
        }
    }

    @Test func newestIntactIsUsed() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot?.lastSequence == 200)
        #expect(replayed.sequences == Array(201...300))
        #expect(journal.recoveryReport.snapshotFile == JournalFiles.snapshotName(200))
        try await journal.close()
    }

    @Test func bitFlipInNewestFallsBack() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        flipBit(built.path(JournalFiles.snapshotName(200)), byte: 100, bit: 1)
        try await expectFallback(built.dir, rejected: true)
    }

    @Test func truncatedNewestFallsBack() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        let path = built.path(JournalFiles.snapshotName(200))
        writeBytes(path, Array(fileBytes(path).dropLast(3)))
        try await expectFallback(built.dir, rejected: true)
    }

    @Test func deletedNewestFallsBack() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        try FileManager.default.removeItem(atPath: built.path(JournalFiles.snapshotName(200)))
        try await expectFallback(built.dir, rejected: false)
    }

    @Test func chainHashDisagreeingWithTheJournalFallsBack() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, chain: true)
        let path = built.path(JournalFiles.snapshotName(200))
        guard case .success(var snap) = fileBytes(path).withUnsafeBytes({ SnapshotFile.decode($0) }) else {
            Issue.record("snapshot unreadable")
            return
        }
        snap.chainHash[0] ^= 1
        writeBytes(path, snap.bytes)
        try await expectFallback(built.dir, rejected: true)
    }

    @Test func bothDamagedAfterRetentionIsAClearError() async throws {
        let tmp = TempDirectory("snap")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 400, payloadSize: 40, segmentSize: 4096, snapshotsAt: [100, 200, 300])
        // Retention removed the segments before sequence 200.
        #expect(JournalFiles.segmentNumber(built.segments[0]) ?? 0 > 1)
        for s in [200, 300] { flipBit(built.path(JournalFiles.snapshotName(UInt64(s))), byte: 40, bit: 0) }
        do {
            _ = try openJournal(built.dir)
            Issue.record("opened without the records before the oldest segment")
        } catch let JournalError.corrupted(c) {
            #expect(c.reason.contains("no usable snapshot"), "\(c.reason)")
        }
    }
}
