import Foundation
import Testing
@testable import DocketJournal

/// The read-only reader reports how far the intact log reaches even when it stops at damage.
@Suite struct ReadOnlyReportTests {
    @Test func verifyOfATornJournalReportsHowFarTheIntactLogReaches() async throws {
        let tmp = TempDirectory("ro")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 300, payloadSize: 40, segmentSize: 4096, snapshotsAt: [100, 200])
        let last = built.path(built.segments.last ?? "")
        writeBytes(last, Array(fileBytes(last).dropLast(5)))
        let check = try JournalReader.verify(directory: built.dir)
        #expect(check.problems.count == 1, "\(check.problems)")
        #expect(check.problems.first?.isTornTail == true)
        #expect(check.report.lastSequence == 299)
    }
}
