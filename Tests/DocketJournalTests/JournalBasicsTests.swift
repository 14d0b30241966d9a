import Foundation
import Testing
@testable import DocketJournal

@Suite struct JournalBasicsTests {
    @Test func appendsReplayInOrderAfterReopen() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        for durability in [Durability.always, .interval(milliseconds: 5), .none] {
            let dir = tmp.path + "/\(durability)"
            let (journal, first) = try openJournal(dir, JournalConfiguration(durability: durability))
            #expect(first.records.isEmpty)
            for i in 1...50 {
                let seq = try await journal.append(payload(i), tag: UInt16(i % 3), timestamp: UInt64(i) * 1000)
                #expect(seq == UInt64(i))
            }
            let range = try await journal.append(contentsOf: (51...60).map { payload($0) }, tag: 9)
            #expect(range == 51...60)
            try await journal.close()
            let (again, replayed) = try openJournal(dir, JournalConfiguration(durability: durability))
            #expect(replayed.sequences == Array(1...60))
            #expect(replayed.records[4].payload == payload(5))
            #expect(replayed.records[4].tag == 2)
            #expect(replayed.records[4].timestamp == 5000)
            #expect(replayed.records[59].tag == 9)
            #expect(again.recoveryReport.lastSequence == 60)
            #expect(try await again.append(payload(61)) == 61)
            try await again.close()
        }
    }

    /// Records packed in one buffer replay as the separate records they are (an empty one
    /// included); bad `ends` or an oversized record are refused before anything is queued.
    @Test func packedSubmitReplaysEachRecord() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .always)
        config.maxRecordSize = 8
        let (journal, _) = try openJournal(tmp.journal, config)
        let range = try journal.submit(packed: Array("abcdefghij".utf8), ends: [2, 2, 7, 10], tag: 4)
        #expect(range == 1...4)
        for bad in [[Int](), [3, 2, 10], [2, 9], [1, 10, 10, 11]] {
            #expect(throws: JournalError.self) { try journal.submit(packed: Array("abcdefghij".utf8), ends: bad) }
        }
        // Nine bytes in one record: over the limit of 8.
        #expect(throws: JournalError.self) { try journal.submit(packed: Array("abcdefghij".utf8), ends: [1, 10]) }
        #expect(try journal.submit([9]) == 5)
        try await journal.close()
        let (replayed, report) = try readBack(tmp.journal)
        #expect(report.anomaly == nil)
        #expect(replayed.sequences == [1, 2, 3, 4, 5])
        #expect(replayed.records.map { String(decoding: $0.payload, as: UTF8.self) } == ["ab", "", "cdefg", "hij", "\u{9}"])
        #expect(replayed.records.prefix(4).allSatisfy { $0.tag == 4 })
    }

    /// Sync times: the quantiles of the recent ones, and what a real journal reports.
    @Test func metricsReportRecentSyncTimes() async throws {
        let q = JournalMetrics.quantiles((1...100).reversed().map { UInt64($0) })
        #expect(q.p50 == .nanoseconds(51) && q.p99 == .nanoseconds(99))
        #expect(JournalMetrics.quantiles([]).p50 == nil)
        let tmp = TempDirectory()
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, JournalConfiguration(durability: .always))
        #expect(journal.metrics.syncLatencyP50 == nil)
        for i in 1...20 { try await journal.append(payload(i)) }
        let m = journal.metrics
        #expect(m.syncs >= 1 && m.syncs <= 20)
        #expect((m.syncLatencyP50 ?? .zero) > .zero && m.syncLatencyP50 ?? .zero <= m.syncLatencyP99 ?? .zero)
        try await journal.close()
    }

    @Test func rotatesSegmentsAndReplaysAcrossThem() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 4096
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...500 { try journal.submit(payload(i, size: 100)) }
        try await journal.sync()
        try await journal.close()
        #expect(segmentFiles(tmp.journal).count > 10)
        let (replayed, report) = try readBack(tmp.journal)
        #expect(report.anomaly == nil)
        #expect(replayed.sequences == Array(1...500))
        let check = try JournalReader.verify(directory: tmp.journal)
        #expect(check.isClean, "\(check.problems)")
    }

    @Test func snapshotsReplaceReplayAndRetentionDropsOldSegments() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 4096
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...100 { try journal.submit(payload(i, size: 100)) }
        try await journal.writeSnapshot(Array("state@100".utf8), lastSequence: 100)
        for i in 101...200 { try journal.submit(payload(i, size: 100)) }
        try await journal.writeSnapshot(Array("state@200".utf8), lastSequence: 200)
        for i in 201...250 { try journal.submit(payload(i, size: 100)) }
        try await journal.writeSnapshot(Array("state@250".utf8), lastSequence: 250)
        try await journal.append(payload(251, size: 100))
        try await journal.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: tmp.journal)
        #expect(names.filter { $0.hasSuffix(".snap") }.count == 2)
        let (reopened, replayed) = try openJournal(tmp.journal, config)
        #expect(replayed.snapshot?.lastSequence == 250)
        #expect(replayed.snapshot?.bytes == Array("state@250".utf8))
        #expect(replayed.sequences == [251])
        // Segments wholly before the older kept snapshot (200) are gone.
        let first = segmentFiles(tmp.journal).first.flatMap { JournalFiles.segmentNumber($0) } ?? 0
        #expect(first > 1)
        try await reopened.close()
        let check = try JournalReader.verify(directory: tmp.journal)
        #expect(check.isClean, "\(check.problems)")
    }

    @Test func filesAre0600InA0700Directory() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .always)
        config.retention = .archive
        config.segmentSize = 1024
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...60 { try journal.submit(payload(i)) }
        try await journal.writeSnapshot([1], lastSequence: 30)
        try await journal.writeSnapshot([2], lastSequence: 60)
        try await journal.append([3])
        try await journal.writeSnapshot([3], lastSequence: 61)
        try await journal.close()
        func mode(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1 }
        #expect(mode(tmp.journal) == 0o700)
        #expect(mode(tmp.journal + "/archive") == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp.journal).filter { $0 != "archive" }
        #expect(files.count > 3)
        for f in files { #expect(mode(tmp.journal + "/" + f) == 0o600, "\(f)") }
        let archived = try FileManager.default.contentsOfDirectory(atPath: tmp.journal + "/archive")
        #expect(!archived.isEmpty)
        for f in archived { #expect(mode(tmp.journal + "/archive/" + f) == 0o600) }
    }

    @Test func snapshotArgumentsAreChecked() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal)
        try await journal.append([1])
        await #expect(throws: JournalError.self) { try await journal.writeSnapshot([], lastSequence: 5) }
        try await journal.writeSnapshot([], lastSequence: 1)
        try await journal.append([2])
        await #expect(throws: JournalError.self) { try await journal.waitUntilDurable(99) }
        try await journal.close()
        #expect(throws: JournalError.self) {
            var c = JournalConfiguration()
            c.recovery = .salvage
            _ = try openJournal(tmp.journal, c)
        }
    }

    @Test func rejectsOversizedRecordsAndClosedJournal() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        var config = JournalConfiguration()
        config.maxRecordSize = 100
        let (journal, _) = try openJournal(tmp.journal, config)
        #expect(throws: JournalError.recordTooLarge(size: 101, limit: 100)) { try journal.submit([UInt8](repeating: 1, count: 101)) }
        try await journal.append([1, 2, 3])
        try await journal.close()
        #expect(throws: JournalError.self) { try journal.submit([1]) }
    }

    /// An interval beyond a day is refused when the journal opens: multiplied into
    /// nanoseconds on the I/O thread, a huge one trapped at the first append.
    @Test func anIntervalBeyondADayIsRefused() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        for ms in [0, 86_400_001, Int.max] {
            #expect(throws: JournalError.self) { try openJournal(tmp.path + "/j\(ms)", JournalConfiguration(durability: .interval(milliseconds: ms))) }
        }
        let (journal, _) = try openJournal(tmp.path + "/day", JournalConfiguration(durability: .interval(milliseconds: 86_400_000)))
        try journal.submit([1])
        try await journal.close()
    }

    /// Waiting for a sync after close ends with the close, instead of never.
    @Test func waitingForASyncAfterCloseThrows() async throws {
        let tmp = TempDirectory()
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.path + "/j")
        try await journal.close()
        await #expect(throws: JournalError.self) { try await journal.core.waitUntilSynced(10) }
    }

    /// A reader beside a live journal reads again when retention removed a file it had
    /// listed (ENOENT), at most three times in all; other errors are not retried.
    @Test func readersReadAgainWhenAListedFileVanished() throws {
        var calls = 0
        let value = try JournalReader.againIfAFileVanished { (_: Int) throws -> Int in
            calls += 1
            if calls < 3 { throw JournalError.io(operation: "open", path: "wal-1.log", errno: ENOENT) }
            return 7
        }
        #expect(value == 7 && calls == 3)
        // Always failing: ENOENT three times in all, another errno once.
        for (errno, tries) in [(ENOENT, 3), (EACCES, 1)] {
            calls = 0
            #expect(throws: JournalError.self) {
                try JournalReader.againIfAFileVanished { (_: Int) throws -> Int in
                    calls += 1
                    throw JournalError.io(operation: "open", path: "wal-1.log", errno: errno)
                }
            }
            #expect(calls == tries)
        }
    }
}
