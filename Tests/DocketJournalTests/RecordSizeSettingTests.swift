import Foundation
import Testing
@testable import DocketJournal

/// Review finding 6: `maxRecordSize` limits new appends only; records written under a larger
/// setting are read back by an opener or reader configured with a smaller one.
@Suite struct RecordSizeSettingTests {
    @Test func smallerSettingStillReadsLargerRecords() async throws {
        let tmp = TempDirectory("recsize")
        defer { tmp.remove() }
        var large = JournalConfiguration(durability: .none)
        large.maxRecordSize = 64 << 10
        let (writer, _) = try openJournal(tmp.journal, large)
        let big = payload(7, size: 40 << 10)
        try writer.submit([1, 2, 3])
        try writer.submit(big)
        try writer.submit([4])
        try await writer.close()

        var small = JournalConfiguration(durability: .none)
        small.maxRecordSize = 1024
        var readBackRecords: [JournalRecord] = []
        let report = try JournalReader.read(directory: tmp.journal, from: 1, maxRecordSize: 1024) { readBackRecords.append($0) }
        #expect(report.anomaly == nil)
        #expect(readBackRecords.map(\.payload) == [[1, 2, 3], big, [4]])
        #expect(try JournalReader.verify(directory: tmp.journal, maxRecordSize: 1024).isClean)

        for mode in [RecoveryMode.strict, .tolerateTornTail] {
            small.recovery = mode
            let (reader, replayed) = try openJournal(tmp.journal, small)
            #expect(replayed.records.map(\.payload) == [[1, 2, 3], big, [4]], "\(mode)")
            #expect(reader.recoveryReport.anomaly == nil)
            // The smaller setting still limits what is appended.
            #expect(throws: JournalError.recordTooLarge(size: 2048, limit: 1024)) { try reader.submit(payload(1, size: 2048)) }
            try await reader.close()
        }
    }
}
