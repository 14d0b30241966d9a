import Foundation
import Testing
@testable import DocketJournal

/// Format version 1 must stay readable: a journal written by the first version of the code
/// (two chained segments, a seal, a snapshot; made by `makeGolden` below and frozen in
/// `Fixtures/journal/golden-v1`) is read back record by record.
@Suite struct GoldenJournalTests {
    /// `Fixtures/journal/golden-v1` in this package.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/journal/golden-v1").path
    /// The chain hash after record 30, as the first version computed it.
    static let chainHead = "edf243d2736900776bcfb708fe246a018138d153976c5c4f3bd4499727461fbb"

    static func expectedPayload(_ i: Int) -> [UInt8] { Array("golden record \(i)".utf8) }

    @Test func formatVersion1StaysReadable() throws {
        let tmp = TempDirectory("golden")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.journal, withIntermediateDirectories: true)
        // A copy: reading must never be able to change the frozen files.
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixture).sorted()
        #expect(names == ["snap-0000000000000014.snap", "wal-0000000000000001.log", "wal-0000000000000002.log", "wal-0000000000000003.log"])
        for name in names {
            try FileManager.default.copyItem(atPath: Self.fixture + "/" + name, toPath: tmp.journal + "/" + name)
        }
        let check = try JournalReader.verify(directory: tmp.journal)
        #expect(check.isClean, "\(check.problems)")
        #expect(check.report.chainHead == Self.chainHead)
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

    /// Writes the golden journal (run once by hand; the output is frozen in `Fixtures/journal`).
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
