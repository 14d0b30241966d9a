import Foundation
import Testing
@testable import DocketJournal

/// Format version 1 must stay readable: a journal written by the first version of the code
/// (two chained segments, a seal, a snapshot; made by `makeGolden` below and frozen here as
/// base64) is read back record by record.
@Suite struct GoldenJournalTests {
    static let files: [String: String] = GoldenJournalData.files

    static func expectedPayload(_ i: Int) -> [UInt8] { Array("golden record \(i)".utf8) }

    @Test func formatVersion1StaysReadable() throws {
        let tmp = TempDirectory("golden")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        #expect(Self.files.count >= 3)
        for (name, base64) in Self.files {
            guard let data = Data(base64Encoded: base64) else { Issue.record("bad fixture \(name)"); return }
            _ = FileManager.default.createFile(atPath: tmp.journal + "/" + name, contents: data)
        }
        let check = try JournalReader.verify(directory: tmp.journal)
        #expect(check.isClean, "\(check.problems)")
        #expect(check.report.chainHead == GoldenJournalData.chainHead)
        var records: [JournalRecord] = []
        let report = try JournalReader.read(directory: tmp.journal, from: 1) { records.append($0) }
        #expect(report.anomaly == nil)
        #expect(records.map(\.sequence) == Array(1...30))
        for r in records {
            #expect(r.payload == Self.expectedPayload(Int(r.sequence)))
            #expect(r.tag == UInt16(r.sequence % 5))
            #expect(r.timestamp == 1_700_000_000_000_000_000 + r.sequence)
        }
        var snapshot: JournalSnapshot?
        var replayed: [UInt64] = []
        _ = try JournalReader.read(directory: tmp.journal, snapshot: { snapshot = $0 }) { replayed.append($0.sequence) }
        #expect(snapshot?.lastSequence == 20)
        #expect(snapshot?.bytes == Array("golden state".utf8))
        #expect(replayed == Array(21...30))
    }

    /// Writes the golden journal (run once by hand to regenerate; the output is frozen above).
    static func makeGolden(_ dir: String) async throws {
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 1024
        config.hashChain = true
        let (journal, _) = try openJournal(dir, config)
        for i in 1...30 {
            try journal.submit(expectedPayload(i), tag: UInt16(i % 5), timestamp: 1_700_000_000_000_000_000 + UInt64(i))
            if i == 20 { try await journal.writeSnapshot(Array("golden state".utf8), lastSequence: 20) }
        }
        try await journal.close()
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DOCKET_MAKE_GOLDEN"] != nil))
    func regenerateGoldenJournal() async throws {
        let dir = ProcessInfo.processInfo.environment["DOCKET_MAKE_GOLDEN"] ?? ""
        try await Self.makeGolden(dir)
        #expect(try JournalReader.verify(directory: dir).isClean)
    }
}
