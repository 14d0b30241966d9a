import Foundation
import Testing
@testable import DocketJournal

/// T2: the last segment truncated at every byte offset; non-last segments truncated.
@Suite struct TruncationTests {
    @Test func lastSegmentTruncatedAtEveryOffset() async throws {
        let tmp = TempDirectory("trunc")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.path + "/orig", count: 118, payloadSize: 40, segmentSize: 4096)
        let segments = built.segments
        #expect(segments.count >= 3)
        let lastName = segments[segments.count - 1]
        let original = fileBytes(built.path(lastName))
        let ends = recordEnds(original)
        let firstSeqOfLast = (ends.first?.sequence ?? 1)
        let work = tmp.path + "/work"
        for k in 0..<original.count {
            copyDirectory(built.dir, work)
            writeBytes(work + "/" + lastName, Array(original[..<k]))
            let whole = ends.filter { $0.end <= k }
            let expectedLast = firstSeqOfLast - 1 + UInt64(whole.count)
            let boundary = k == SegmentHeader.size || ends.contains { $0.end == k }

            // Strict reading accepts exactly the record boundaries.
            let (_, strict) = try readBack(work, mode: .strict)
            #expect((strict.anomaly == nil) == boundary, "k=\(k): strict anomaly \(String(describing: strict.anomaly))")

            // Tolerant open recovers exactly the records wholly inside [0, k).
            var config = JournalConfiguration(durability: .none)
            config.segmentSize = 4096
            let (journal, replayed) = try openJournal(work, config)
            #expect(replayed.sequences == Array(1...expectedLast), "k=\(k)")
            #expect(replayed.records.last == built.record(expectedLast))
            let goodEnd = k < SegmentHeader.size ? 0 : (whole.last?.end ?? SegmentHeader.size)
            #expect(journal.recoveryReport.bytesTruncated == k - goodEnd, "k=\(k)")
            if k % 53 == 0 || k == original.count - 1 {
                // Still appendable, and the result reads back cleanly.
                try journal.submit(payload(999))
                try await journal.close()
                let (after, report) = try readBack(work, mode: .strict)
                #expect(report.anomaly == nil, "k=\(k): \(String(describing: report.anomaly))")
                #expect(after.sequences == Array(1...(expectedLast + 1)))
            } else {
                try await journal.close()
            }
        }
    }

    @Test func nonLastSegmentTruncationIsAnErrorExceptPointInTime() async throws {
        let tmp = TempDirectory("trunc2")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.path + "/orig", count: 130, payloadSize: 40, segmentSize: 4096)
        let middle = built.segments[1]
        let original = fileBytes(built.path(middle))
        let work = tmp.path + "/work"
        for k in stride(from: 0, to: original.count, by: 97) {
            copyDirectory(built.dir, work)
            writeBytes(work + "/" + middle, Array(original[..<k]))
            #expect(throws: JournalError.self, "k=\(k)") { _ = try openJournal(work) }
            var strict = JournalConfiguration()
            strict.recovery = .strict
            #expect(throws: JournalError.self) { _ = try openJournal(work, strict) }
            // The refused open changed nothing.
            #expect(fileBytes(work + "/" + middle).count == k)
            var pit = JournalConfiguration()
            pit.recovery = .pointInTime
            if k < SegmentHeader.size {
                // The header itself is gone: nothing after segment 1 can be trusted.
                let (journal, replayed) = try openJournal(work, pit)
                #expect(replayed.sequences.last == recordEnds(fileBytes(built.path(built.segments[0]))).filter { $0.kind == 1 }.last?.sequence)
                #expect(!journal.recoveryReport.lostSequences.isEmpty)
                try await journal.close()
            } else {
                let (journal, replayed) = try openJournal(work, pit)
                let firstOfMiddle = recordEnds(original).first?.sequence ?? 1
                let kept = recordEnds(original).filter { $0.end <= k && $0.kind == 1 }.count
                #expect(replayed.sequences == Array(1...(firstOfMiddle - 1 + UInt64(kept))), "k=\(k)")
                #expect(journal.recoveryReport.lostSequences.last?.upperBound == UInt64(built.count), "k=\(k)")
                try await journal.close()
                let (after, report) = try readBack(work, mode: .strict)
                #expect(report.anomaly == nil)
                #expect(after.sequences == replayed.sequences)
            }
        }
    }
}
