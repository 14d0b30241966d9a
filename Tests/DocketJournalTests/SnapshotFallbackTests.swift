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
