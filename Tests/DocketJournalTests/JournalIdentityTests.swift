import Foundation
import Testing
@testable import DocketJournal

/// Review finding 8: the journal id is the one most segments carry, a tie going to the oldest
/// segment (whatever the ids' values), and a segment with another id is reported — also by
/// salvage, which never delivers another journal's records.
@Suite struct JournalIdentityTests {
    /// Rewrites the journal id in every segment header of `dir` (the header checksum is
    /// recomputed; records do not carry the id).
    func setJournalID(_ dir: String, to id: [UInt8]) {
        for name in segmentFiles(dir) {
            var bytes = fileBytes(dir + "/" + name)
            guard case .success(var h) = bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) else {
                Issue.record("unreadable header \(name)")
                continue
            }
            h.journalID = id
            bytes.replaceSubrange(0..<SegmentHeader.size, with: h.bytes)
            writeBytes(dir + "/" + name, bytes)
        }
    }

    @Test func tieGoesToTheOldestSegment() async throws {
        let tmp = TempDirectory("ident")
        defer { tmp.remove() }
        let a = try await BuiltJournal.make(in: tmp.path + "/a", count: 100)
        let b = try await BuiltJournal.make(in: tmp.path + "/b", count: 100)
        #expect(a.segments.count == 2 && b.segments.count == 2)
        // Both orders of the ids' values: the outcome must not depend on them.
        for (idA, idB) in [([UInt8](repeating: 0x01, count: 16), [UInt8](repeating: 0xFE, count: 16)),
                           ([UInt8](repeating: 0xFE, count: 16), [UInt8](repeating: 0x01, count: 16))] {
            setJournalID(a.dir, to: idA)
            setJournalID(b.dir, to: idB)
            let dir = tmp.path + "/mixed"
            copyDirectory(a.dir, dir)
            // Segment 2 from the other journal: one segment each.
            try FileManager.default.removeItem(atPath: dir + "/" + a.segments[1])
            try FileManager.default.copyItem(atPath: b.path(b.segments[1]), toPath: dir + "/" + a.segments[1])
            do {
                _ = try openJournal(dir)
                Issue.record("opened a directory mixing two journals")
            } catch let JournalError.corrupted(c) {
                #expect(c.file == a.segments[1], "\(c)")
                #expect(c.reason.contains("another journal"))
            }
            let check = try JournalReader.verify(directory: dir)
            #expect(check.problems.map(\.file) == [a.segments[1]])
            var pit = JournalConfiguration()
            pit.recovery = .pointInTime
            let (journal, replayed) = try openJournal(dir, pit)
            let kept = recordEnds(fileBytes(a.path(a.segments[0]))).filter { $0.kind == RecordKind.data.rawValue }.map(\.sequence)
            #expect(replayed.sequences == kept)
            #expect(journal.recoveryReport.backupFiles == [a.segments[1] + ".broken"])
            try await journal.close()
        }
    }

    @Test func salvageSkipsAndReportsForeignSegments() async throws {
        let tmp = TempDirectory("ident")
        defer { tmp.remove() }
        let a = try await BuiltJournal.make(in: tmp.path + "/a", count: 200)
        let b = try await BuiltJournal.make(in: tmp.path + "/b", count: 300)
        #expect(a.segments.count == 4 && b.segments.count >= 5)
        let foreign = JournalFiles.segmentName(5)
        try FileManager.default.copyItem(atPath: b.path(foreign), toPath: a.path(foreign))
        let check = try JournalReader.verify(directory: a.dir)
        #expect(check.problems.contains { $0.file == foreign && $0.reason.contains("another journal") })
        var salvaged: [JournalRecord] = []
        let report = try JournalReader.read(directory: a.dir, mode: .salvage, from: 1) { salvaged.append($0) }
        #expect(salvaged.map(\.sequence) == Array(1...200))
        #expect(salvaged.allSatisfy { $0 == a.record($0.sequence) })
        #expect(report.skippedRegions.contains { $0.file == foreign && $0.reason.contains("another journal") })
        #expect(report.anomaly?.file == foreign)
    }
}
