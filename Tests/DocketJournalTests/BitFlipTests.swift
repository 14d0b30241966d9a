import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// T3: every bit of a small journal flipped (and a sample on a larger one). Never a crash, never
/// a wrong record, always detected; only damage to the last record is a torn tail.
@Suite struct BitFlipTests {
    /// Flips each chosen bit, reads the journal back (read-only, tolerant) and checks the outcome.
    func check(_ built: BuiltJournal, flips: [(file: String, byte: Int, bit: Int)]) throws -> Int {
        let segments = built.segments
        let lastName = segments[segments.count - 1]
        let lastStart = recordEnds(fileBytes(built.path(lastName))).dropLast().last?.end ?? SegmentHeader.size
        var torn = 0
        for flip in flips {
            let path = built.path(flip.file)
            flipBit(path, byte: flip.byte, bit: flip.bit)
            defer { flipBit(path, byte: flip.byte, bit: flip.bit) }
            let (replayed, report) = try readBack(built.dir, mode: .tolerateTornTail)
            let label = "\(flip.file) byte \(flip.byte) bit \(flip.bit)"
            // Never a wrong record: whatever comes back is the original prefix.
            #expect(replayed.sequences == Array(stride(from: 1, through: UInt64(replayed.records.count), by: 1)), "\(label)")
            for r in replayed.records where r != built.record(r.sequence) {
                Issue.record("\(label): record \(r.sequence) differs from the original")
            }
            // Always detected.
            guard let anomaly = report.anomaly else {
                Issue.record("\(label): flip not detected")
                continue
            }
            let inLastRecord = flip.file == lastName && flip.byte >= lastStart
            #expect(anomaly.isTornTail == inLastRecord, "\(label): torn=\(anomaly.isTornTail) \(anomaly.reason)")
            if inLastRecord {
                torn += 1
                #expect(replayed.records.count == built.count - 1, "\(label)")
            }
        }
        return torn
    }

    @Test func everyBitOfASmallJournal() async throws {
        let tmp = TempDirectory("flip")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 24, payloadSize: 20, segmentSize: 1024)
        #expect(built.segments.count == 2)
        var flips: [(String, Int, Int)] = []
        for name in built.segments {
            for byte in 0..<fileBytes(built.path(name)).count {
                for bit in 0..<8 { flips.append((name, byte, bit)) }
            }
        }
        let torn = try check(built, flips: flips)
        #expect(torn > 0)
    }

    @Test func sampledBitsOfALargerChainedJournal() async throws {
        let seed: UInt64 = 0xB17F_11B5
        print("BitFlipTests sampled seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let tmp = TempDirectory("flip2")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 400, payloadSize: 100, segmentSize: 16384, hashChain: true)
        let sizes = built.segments.map { ($0, fileBytes(built.path($0)).count) }
        var flips: [(String, Int, Int)] = []
        for _ in 0..<600 {
            let (name, size) = sizes[Int(rng.next() % UInt64(sizes.count))]
            flips.append((name, Int(rng.next() % UInt64(size)), Int(rng.next() % 8)))
        }
        _ = try check(built, flips: flips)
    }

    @Test func strictOpenRefusesAndTolerantOpenRepairsAFlipInTheLastRecord() async throws {
        let tmp = TempDirectory("flip3")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 10, payloadSize: 20)
        let last = built.path(built.segments[0])
        let size = fileBytes(last).count
        flipBit(last, byte: size - 10, bit: 3)
        var strict = JournalConfiguration()
        strict.recovery = .strict
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir, strict) }
        let (journal, replayed) = try openJournal(built.dir)
        #expect(replayed.sequences == Array(1...9))
        #expect(journal.recoveryReport.bytesTruncated > 0)
        #expect(journal.recoveryReport.backupFiles.count == 1)
        #expect(try await journal.append([42]) == 10)
        try await journal.close()
        // The cut bytes were kept.
        let names = try FileManager.default.contentsOfDirectory(atPath: built.dir)
        #expect(names.contains { $0.hasSuffix(".broken") })
    }
}
