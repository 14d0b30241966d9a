import Foundation
import Testing
@testable import DocketJournal

/// A directory holding snapshots but no segments: continue from a valid snapshot, refuse otherwise.
@Suite struct SnapshotOnlyDirectoryTests {
    @Test func damagedSnapshotsWithoutSegmentsAreRefusedNotReplacedByAnEmptyJournal() async throws {
        let tmp = TempDirectory("snaponly")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 50, snapshotsAt: [50])
        for s in built.segments { try FileManager.default.removeItem(atPath: built.path(s)) }
        // With a valid snapshot, the journal continues from it.
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.snapshot?.lastSequence == 50)
        #expect(try await journal.append([1]) == 51)
        try await journal.close()
        for s in segmentFiles(built.dir) { try FileManager.default.removeItem(atPath: built.path(s)) }
        flipBit(built.path(JournalFiles.snapshotName(50)), byte: 20, bit: 2)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir) }
    }
}
