import Foundation
import Testing
@testable import DocketJournal

/// Turning `hashChain` on and off between opens keeps every segment consistent with its header.
@Suite struct HashChainSettingChangeTests {
    @Test func turningTheChainOnAndOffAcrossReopensKeepsTheLogValid() async throws {
        let tmp = TempDirectory("chain3")
        defer { tmp.remove() }
        var next = 1
        for (round, chained) in [false, true, true, false, true].enumerated() {
            var config = JournalConfiguration(durability: .always)
            config.hashChain = chained
            let (journal, replayed) = try openJournal(tmp.journal, config)
            #expect(replayed.sequences == Array(stride(from: 1, through: UInt64(next - 1), by: 1)), "round \(round)")
            // Submitted right after open, before the I/O thread could rotate.
            for _ in 0..<5 { try journal.submit(payload(next)); next += 1 }
            try await journal.close()
            let check = try JournalReader.verify(directory: tmp.journal)
            #expect(check.isClean, "round \(round): \(check.problems)")
        }
        // Reopen with an empty last segment of the other setting.
        var config = JournalConfiguration()
        config.hashChain = false
        let (j1, _) = try openJournal(tmp.journal, config)
        try await j1.writeSnapshot([], lastSequence: UInt64(next - 1))
        try await j1.close()
        config.hashChain = true
        let (j2, _) = try openJournal(tmp.journal, config)
        try await j2.append([9])
        try await j2.close()
        #expect(try JournalReader.verify(directory: tmp.journal).isClean)
    }
}
