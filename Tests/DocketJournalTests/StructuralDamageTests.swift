import Foundation
import Testing
@testable import DocketJournal

/// T6: missing, duplicated, foreign and swapped segments, and a missing seal.
@Suite struct StructuralDamageTests {
    func build(_ tmp: TempDirectory, _ name: String) async throws -> BuiltJournal {
        let built = try await BuiltJournal.make(in: tmp.path + "/" + name, count: 200, payloadSize: 40, segmentSize: 4096)
        #expect(built.segments.count == 4)
        return built
    }

    /// Every mode but point-in-time (and salvage) refuses; the message names the problem.
    func expectRefused(_ dir: String, containing words: String) {
        for mode in [RecoveryMode.strict, .tolerateTornTail] {
            var config = JournalConfiguration()
            config.recovery = mode
            do {
                _ = try openJournal(dir, config)
                Issue.record("\(mode): opened a structurally damaged journal")
            } catch let JournalError.corrupted(c) {
                #expect(c.reason.contains(words), "\(mode): \(c.reason)")
                #expect(!c.isTornTail)
            } catch {
                Issue.record("\(mode): unexpected \(error)")
            }
        }
        let (_, report) = (try? readBack(dir, mode: .strict)) ?? (Replayed(), RecoveryReport(mode: .strict))
        #expect(report.anomaly != nil)
    }

    @Test func missingMiddleSegment() async throws {
        let tmp = TempDirectory("struct")
        defer { tmp.remove() }
        let built = try await build(tmp, "a")
        try FileManager.default.removeItem(atPath: built.path(built.segments[1]))
        expectRefused(built.dir, containing: "missing")
        // Salvage reads around the hole and reports it.
        var salvaged: [UInt64] = []
        let report = try JournalReader.read(directory: built.dir, mode: .salvage, from: 1) { salvaged.append($0.sequence) }
        #expect(report.lostSequences.count == 1)
        #expect(salvaged.last == 200)
        if let lost = report.lostSequences.first { #expect(!salvaged.contains(lost.lowerBound)) }
    }

    @Test func duplicatedSegment() async throws {
        let tmp = TempDirectory("struct")
        defer { tmp.remove() }
        let built = try await build(tmp, "b")
        try FileManager.default.copyItem(atPath: built.path(built.segments[1]), toPath: built.path(JournalFiles.segmentName(5)))
        expectRefused(built.dir, containing: "holds segment 2")
    }

    @Test func foreignSegment() async throws {
        let tmp = TempDirectory("struct")
        defer { tmp.remove() }
        let built = try await build(tmp, "c")
        let other = try await BuiltJournal.make(in: tmp.path + "/other", count: 200, payloadSize: 40, segmentSize: 4096)
        let target = built.segments[2]
        try FileManager.default.removeItem(atPath: built.path(target))
        try FileManager.default.copyItem(atPath: other.path(other.segments[2]), toPath: built.path(target))
        expectRefused(built.dir, containing: "another journal")
    }

    @Test func swappedSegments() async throws {
        let tmp = TempDirectory("struct")
        defer { tmp.remove() }
        let built = try await build(tmp, "d")
        let a = built.path(built.segments[1]), b = built.path(built.segments[2])
        try FileManager.default.moveItem(atPath: a, toPath: a + ".x")
        try FileManager.default.moveItem(atPath: b, toPath: a)
        try FileManager.default.moveItem(atPath: a + ".x", toPath: b)
        expectRefused(built.dir, containing: "holds segment")
    }

    @Test func removedSeal() async throws {
        let tmp = TempDirectory("struct")
        defer { tmp.remove() }
        let built = try await build(tmp, "e")
        let path = built.path(built.segments[1])
        let bytes = fileBytes(path)
        writeBytes(path, Array(bytes.dropLast(SealPayload.storedSize)))
        expectRefused(built.dir, containing: "seal")
        // Point in time keeps everything up to the unsealed segment and sets the rest aside.
        var pit = JournalConfiguration()
        pit.recovery = .pointInTime
        let (journal, replayed) = try openJournal(built.dir, pit)
        let lastKept = recordEnds(bytes).filter { $0.kind == 1 }.last?.sequence ?? 0
        #expect(replayed.sequences == Array(1...lastKept))
        #expect(journal.recoveryReport.lostSequences == [(lastKept + 1)...200])
        #expect(journal.recoveryReport.backupFiles.count == 2)
        #expect(try await journal.append([1]) == lastKept + 1)
        try await journal.close()
        let (after, report) = try readBack(built.dir, mode: .strict)
        #expect(report.anomaly == nil)
        #expect(after.sequences.last == lastKept + 1)
    }
}
