import Foundation
import Testing
@testable import DocketJournal

/// Damage in records (or seals) that the snapshot recovery starts from already covers costs
/// no state. Outside `.strict`, recovery passes over it and reports it; it used to refuse the
/// default open, and `.pointInTime` cut away every acknowledged record after the snapshot.
@Suite struct CoveredDamageTests {
    /// Records 1…300 (as `BuiltJournal.make` writes them) with a snapshot through 200 taken
    /// when the log had reached `snapshotTakenAt`, as the engine takes them (appends go on while
    /// a snapshot is encoded): the segment holding the snapshot's last record, the one replay
    /// starts in, also holds records before and after it.
    func build(_ dir: String, chain: Bool = false, snapshotAt: Int = 200, snapshotTakenAt: Int = 250,
               segmentSize: Int = 1 << 20) async throws -> BuiltJournal {
        var c = JournalConfiguration(durability: .none)
        c.segmentSize = segmentSize
        c.hashChain = chain
        let (journal, _) = try openJournal(dir, c)
        for i in 1...300 {
            try journal.submit(payload(i), tag: UInt16(i % 7), timestamp: UInt64(i))
            if i == snapshotTakenAt {
                try await journal.writeSnapshot(Array("snapshot@\(snapshotAt)".utf8), lastSequence: UInt64(snapshotAt))
            }
        }
        try await journal.close()
        return BuiltJournal(dir: dir, count: 300, payloadSize: 40)
    }

    /// Where record `sequence` starts in the segment file at `path`.
    func recordStart(_ path: String, _ sequence: UInt64) -> Int? {
        var start = SegmentHeader.size
        for r in recordEnds(fileBytes(path)) {
            if r.sequence == sequence && r.kind == RecordKind.data.rawValue { return start }
            start = r.end
        }
        return nil
    }

    /// Flips a bit in the payload of record `sequence` (in whichever segment holds it).
    func damage(_ built: BuiltJournal, _ sequence: UInt64) throws {
        for name in built.segments {
            if let start = recordStart(built.path(name), sequence) {
                flipBit(built.path(name), byte: start + RecordFormat.headerSize + 3, bit: 2)
                return
            }
        }
        Issue.record("record \(sequence) not found")
    }

    func config(_ mode: RecoveryMode, chain: Bool = false) -> JournalConfiguration {
        var c = JournalConfiguration(durability: .none)
        c.segmentSize = 1 << 20
        c.hashChain = chain
        c.recovery = mode
        return c
    }

    /// Opens, checks the state (snapshot 200 then 201…300), appends one record, reopens.
    func expectOpensWithEverything(_ built: BuiltJournal, _ mode: RecoveryMode, chain: Bool = false,
                                   sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (journal, replayed) = try openJournal(built.dir, config(mode, chain: chain))
        #expect(replayed.snapshot?.lastSequence == 200, sourceLocation: sourceLocation)
        #expect(replayed.sequences == Array(201...300), sourceLocation: sourceLocation)
        #expect(replayed.records.last == built.record(300), sourceLocation: sourceLocation)
        let report = journal.recoveryReport
        #expect(report.lastSequence == 300, sourceLocation: sourceLocation)
        #expect(report.lostSequences.isEmpty && report.bytesTruncated == 0 && report.backupFiles.isEmpty,
                "nothing cut or set aside: \(report)", sourceLocation: sourceLocation)
        #expect(report.skippedRegions.count == 1, "the damage is reported: \(report)", sourceLocation: sourceLocation)
        #expect(report.anomaly?.reason.contains("no state lost") == true, "\(report)", sourceLocation: sourceLocation)
        if chain { #expect(report.chainVerified, sourceLocation: sourceLocation) }
        try journal.submit(payload(301), tag: 0, timestamp: 301)
        try await journal.sync()
        try await journal.close()
        let (again, after) = try openJournal(built.dir, config(mode, chain: chain))
        #expect(after.sequences == Array(201...301), sourceLocation: sourceLocation)
        try await again.close()
    }

    @Test(arguments: [RecoveryMode.tolerateTornTail, .pointInTime])
    func damageBeforeTheSnapshotsLastRecordIsPassedOver(mode: RecoveryMode) async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        #expect(recordStart(built.path(built.segments[0]), 201) != nil, "one segment holds the damage and records after the snapshot")
        try damage(built, 50)
        try await expectOpensWithEverything(built, mode)
    }

    @Test(arguments: [false, true])
    func damageInTheSnapshotsLastRecordIsPassedOver(chain: Bool) async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, chain: chain)
        try damage(built, 200)
        try await expectOpensWithEverything(built, .tolerateTornTail, chain: chain)
    }

    @Test func chainedDamageRejoinsThroughTheSnapshotsHash() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, chain: true)
        try damage(built, 120)
        try await expectOpensWithEverything(built, .tolerateTornTail, chain: true)
    }

    /// A tampered record after the snapshot is still found: the chain from the snapshot's hash on
    /// is verified record by record.
    @Test func damageAfterTheSnapshotStillRefuses() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        try damage(built, 50)
        try damage(built, 250)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, config(.tolerateTornTail)) }
        let (journal, replayed) = try openJournal(built.dir, config(.pointInTime))
        #expect(replayed.sequences == Array(201...249))
        #expect(journal.recoveryReport.lostSequences == [250...300])
        try await journal.close()
    }

    @Test func strictStillRefusesAndVerifyStillReports() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        try damage(built, 50)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, config(.strict)) }
        let check = try JournalReader.verify(directory: built.dir)
        #expect(!check.problems.isEmpty && !check.problems.contains { $0.reason.contains("no state lost") },
                "verify reads every record and reports the damage: \(check.problems)")
    }

    /// Without a snapshot covering it, the same damage is mid-log corruption as before.
    @Test func damageNotCoveredRefusesAsBefore() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, snapshotAt: 40, snapshotTakenAt: 60)
        try damage(built, 50)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, config(.tolerateTornTail)) }
    }

    /// Covered damage gives way in the report to damage that cost records: a torn tail after it
    /// is the report's anomaly (its repair is what `bytesTruncated` counts).
    @Test func aTornTailAfterCoveredDamageIsTheReportedAnomaly() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        try damage(built, 50)
        let last = built.path(built.segments[built.segments.count - 1])
        let bytes = fileBytes(last)
        writeBytes(last, Array(bytes.dropLast(10)))
        let (journal, replayed) = try openJournal(built.dir, config(.tolerateTornTail))
        #expect(replayed.sequences == Array(201...299))
        let report = journal.recoveryReport
        #expect(report.anomaly?.isTornTail == true, "\(report)")
        #expect(report.skippedRegions.count == 1 && report.bytesTruncated > 0)
        try await journal.close()
    }

    /// Covered records missing altogether (not damaged): the record after the snapshot stands
    /// where the first missing one was expected, and the log is rejoined right there.
    @Test func missingCoveredRecordsAreRejoinedAtTheNextRecord() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal)
        let path = built.path(built.segments[0])
        let bytes = fileBytes(path)
        let from = try #require(recordStart(path, 50)), to = try #require(recordStart(path, 201))
        writeBytes(path, Array(bytes[..<from]) + Array(bytes[to...]))
        let (journal, replayed) = try openJournal(built.dir, config(.tolerateTornTail))
        #expect(replayed.snapshot?.lastSequence == 200 && replayed.sequences == Array(201...300))
        #expect(journal.recoveryReport.skippedRegions.first?.reason.contains("where 50 was expected") == true)
        try await journal.close()
    }

    /// An intact seal that contradicts the next segment (sequences overlapping it) is two
    /// histories meeting, not damage: still refused.
    @Test func aSealContradictingTheNextSegmentStillRefuses() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, segmentSize: 4096)
        let first = built.path(built.segments[0])
        var bytes = fileBytes(first)
        let ends = recordEnds(bytes)
        let sealStart = ends[ends.count - 2].end
        let old = bytes.withUnsafeBytes { SealPayload($0, at: sealStart + RecordFormat.headerSize) }
        let body = SealPayload(lastSequence: old.lastSequence + 5, nextSegmentNumber: old.nextSegmentNumber,
                               recordCount: old.recordCount, chainHash: old.chainHash).bytes
        var forged: [UInt8] = []
        var none: [UInt8]?
        body.withUnsafeBytes {
            RecordFormat.encode(into: &forged, kind: .seal, sequence: old.lastSequence + 5, timestamp: 1, tag: 0, payload: $0, chain: &none)
        }
        bytes.replaceSubrange(sealStart..<bytes.count, with: forged)
        writeBytes(first, bytes)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, config(.tolerateTornTail)) }
    }

    /// A damaged seal of a segment before the one replay starts in.
    @Test func damagedSealOfACoveredSegmentIsPassedOver() async throws {
        let tmp = TempDirectory("covered")
        defer { tmp.remove() }
        let built = try await build(tmp.journal, segmentSize: 4096)
        let first = built.path(built.segments[0])
        let ends = recordEnds(fileBytes(first))
        #expect(ends.last?.kind == RecordKind.seal.rawValue)
        let sealStart = ends.count > 1 ? ends[ends.count - 2].end : SegmentHeader.size
        flipBit(first, byte: sealStart + RecordFormat.headerSize + 1, bit: 0)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, config(.strict)) }
        var c = config(.tolerateTornTail)
        c.segmentSize = 4096
        let (journal, replayed) = try openJournal(built.dir, c)
        #expect(replayed.snapshot?.lastSequence == 200 && replayed.sequences == Array(201...300))
        #expect(journal.recoveryReport.skippedRegions.count == 1 && journal.recoveryReport.backupFiles.isEmpty)
        try await journal.close()
    }
}
