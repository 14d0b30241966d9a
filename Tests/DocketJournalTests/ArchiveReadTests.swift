import Foundation
import Testing
@testable import DocketJournal

/// Reading for audit: archived segments extend a read back to the first record, and a read
/// "as of" a sequence starts from the newest snapshot at or before it and stops at it.
@Suite struct ArchiveReadTests {
    /// `records` (400) records of ~100 bytes in 4 KiB segments, a snapshot every 100 records,
    /// retention `.archive` keeping 2 snapshots: with 400, the segments before the snapshot at
    /// 200 are archived.
    static func archivedJournal(_ dir: String, records: Int = 400, hashChain: Bool = false) async throws {
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 4096
        config.retention = .archive
        config.hashChain = hashChain
        let (journal, _) = try openJournal(dir, config)
        for i in 1...records {
            try journal.submit(payload(i, size: 100))
            if i % 100 == 0 {
                try await journal.sync()
                try await journal.writeSnapshot(Array("state@\(i)".utf8), lastSequence: UInt64(i))
            }
        }
        try await journal.sync()
        try await journal.close()
    }

    @Test func archivedSegmentsReachBackToTheFirstRecord() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        try await Self.archivedJournal(tmp.journal)
        let archived = (try? FileManager.default.contentsOfDirectory(atPath: tmp.journal + "/archive")) ?? []
        #expect(archived.count > 5, "retention moved the old segments to archive/")
        var live: [UInt64] = []
        let liveReport = try JournalReader.read(directory: tmp.journal, from: 1) { live.append($0.sequence) }
        #expect(liveReport.anomaly == nil && (live.first ?? 0) > 1, "without the archive the oldest records are gone")
        var all: [JournalRecord] = []
        let report = try JournalReader.read(directory: tmp.journal, from: 1, includeArchive: true) { all.append($0) }
        #expect(report.anomaly == nil)
        #expect(all.map(\.sequence) == Array(1...400))
        #expect(all.enumerated().allSatisfy { $1.payload == payload($0 + 1, size: 100) })
    }

    /// The only live segment set aside (its header never completed: the rotation after the
    /// last snapshot died) is replaced by one of the same number, so numbers and sequences go
    /// on from the archive: it used to restart at segment 1, below the archived ones, and an
    /// audit read from record 1 saw only the new records.
    @Test func aNewFirstSegmentContinuesTheArchivedNumbers() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 4096
        config.retention = .archive
        config.snapshotsToKeep = 1
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...400 {
            try journal.submit(payload(i, size: 100))
            if i % 100 == 0 {
                try await journal.sync()
                try await journal.writeSnapshot(Array("state@\(i)".utf8), lastSequence: UInt64(i))
            }
        }
        try await journal.close()
        // Retention ran before the rotation the snapshot at 400 asked for: once more, so that
        // the segment ending at 400 goes to the archive too.
        let (again, _) = try openJournal(tmp.journal, config)
        try await again.writeSnapshot(Array("state@400".utf8), lastSequence: 400)
        try await again.close()
        let live = segmentFiles(tmp.journal)
        #expect(live.count == 1, "\(live)")
        let only = try #require(live.first)
        let path = tmp.journal + "/" + only
        writeBytes(path, Array(fileBytes(path).prefix(20)))

        let (reopened, replayed) = try openJournal(tmp.journal, config)
        #expect(replayed.snapshot?.lastSequence == 400 && replayed.records.isEmpty)
        #expect(reopened.recoveryReport.backupFiles.count == 1)
        for i in 401...410 { try reopened.submit(payload(i, size: 100)) }
        try await reopened.close()
        #expect(segmentFiles(tmp.journal) == [only], "the new segment takes the set-aside one's number")
        var all: [JournalRecord] = []
        let report = try JournalReader.read(directory: tmp.journal, from: 1, includeArchive: true) { all.append($0) }
        #expect(report.anomaly == nil)
        #expect(all.map(\.sequence) == Array(1...410))
    }

    @Test(arguments: [UInt64(0), 1, 99, 100, 150, 250, 300, 399, 400, 1_000])
    func aReadAsOfASequenceStopsThere(target: UInt64) async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        try await Self.archivedJournal(tmp.journal)
        var snapshot: JournalSnapshot?
        var sequences: [UInt64] = []
        let report = try JournalReader.read(directory: tmp.journal, asOf: target, includeArchive: true,
                                            snapshot: { snapshot = $0 }, record: { sequences.append($0.sequence) })
        #expect(report.anomaly == nil)
        let end = min(target, 400)
        // The newest snapshot at or before the target: kept ones are at 300 and 400, archived
        // segments cover everything before.
        let expectedSnapshot: UInt64? = end >= 400 ? 400 : end >= 300 ? 300 : nil
        #expect(snapshot?.lastSequence == expectedSnapshot)
        let start = (expectedSnapshot ?? 0) + 1
        #expect(sequences == (start <= end ? Array(start...end) : []))
        #expect(report.lastSequence == end)
        #expect(report.recordsReplayed == sequences.count)
    }

    /// Without the archive, a state older than every kept snapshot cannot be rebuilt: a typed
    /// anomaly, not a wrong state.
    @Test func anOlderStateWithoutTheArchiveIsReportedMissing() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        try await Self.archivedJournal(tmp.journal)
        var sequences: [UInt64] = []
        let report = try JournalReader.read(directory: tmp.journal, asOf: 150) { sequences.append($0.sequence) }
        #expect(report.anomaly != nil)
        #expect(sequences.isEmpty)
    }
    /// `verify` with the archive checks the whole history: a flipped byte in an archived
    /// segment is found there, and only there.
    @Test func verifyWithTheArchiveChecksTheWholeChain() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        try await Self.archivedJournal(tmp.journal, records: 300, hashChain: true)
        let whole = try JournalReader.verify(directory: tmp.journal, includeArchive: true)
        #expect(whole.isClean, "\(whole.problems)")
        #expect(whole.firstSequence == 1 && whole.report.chainVerified)
        let archive = tmp.journal + "/archive"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: archive).sorted().first)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive + "/" + name)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: archive + "/" + name))
        #expect(try JournalReader.verify(directory: tmp.journal).isClean, "the live segments are untouched")
        let damaged = try JournalReader.verify(directory: tmp.journal, includeArchive: true)
        #expect(!damaged.isClean)
        #expect(damaged.problems.first?.file.hasPrefix("archive/") == true, "\(damaged.problems)")
    }
    /// A gap in the archive (an archived segment gone) stops the archived history there: the
    /// unbroken run just below the live segments is read, and the live log stays checked.
    @Test func aGapInTheArchiveDoesNotHideTheLiveLog() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        try await Self.archivedJournal(tmp.journal)
        let archive = tmp.journal + "/archive"
        let names = try FileManager.default.contentsOfDirectory(atPath: archive).sorted()
        #expect(names.count > 3)
        try FileManager.default.removeItem(atPath: archive + "/" + names[1])
        var sequences: [UInt64] = []
        let report = try JournalReader.read(directory: tmp.journal, from: 1, includeArchive: true) { sequences.append($0.sequence) }
        #expect(report.anomaly == nil)
        #expect((sequences.first ?? 0) > 1 && sequences.last == 400)
        #expect(sequences == Array((sequences.first ?? 1)...400))
        #expect(try JournalReader.verify(directory: tmp.journal, includeArchive: true).isClean)
    }
}
