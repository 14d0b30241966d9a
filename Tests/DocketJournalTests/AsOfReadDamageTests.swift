import Foundation
import Testing
@testable import DocketJournal

/// Reads of the state as of a sequence (`read(directory:asOf:)`, what `inspect --as-of/--at`
/// uses) next to damage: damage after the target does not touch the state as of it; records
/// lost before it are reported, also when the read went on past the target.
@Suite struct AsOfReadDamageTests {
    /// An as-of read in salvage mode that skipped damage *before* the target must not report the
    /// state as clean.
    @Test func aSalvageReadReportsRecordsLostBeforeItsTarget() async throws {
        let tmp = TempDirectory("as-of-salvage")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 20)
        let seg = built.path(built.segments[0])
        let ends = recordEnds(fileBytes(seg))
        // A payload byte of record 3.
        flipBit(seg, byte: ends[1].end + 40, bit: 2)
        var delivered: [UInt64] = []
        let report = try JournalReader.read(directory: tmp.journal, asOf: 10, mode: .salvage) { delivered.append($0.sequence) }
        #expect(!delivered.contains(3))
        #expect(report.anomaly != nil, "record 3 (before the target 10) was lost, yet the as-of report has no anomaly; lost=\(report.lostSequences)")
    }

    /// "Damage after the target does not touch the state as of it": a damaged header of the
    /// newest segment, far past the target, must not stop an as-of read of an early state.
    @Test func aStrictReadIgnoresABadSegmentHeaderAfterItsTarget() async throws {
        let tmp = TempDirectory("as-of-structure")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 300)
        let segments = built.segments
        #expect(segments.count >= 3)
        // Damage the header of the newest segment (its created-at field: the header checksum fails).
        flipBit(built.path(try #require(segments.last)), byte: 81, bit: 0)
        var delivered: [UInt64] = []
        let report = try JournalReader.read(directory: tmp.journal, asOf: 10) { delivered.append($0.sequence) }
        #expect(delivered == Array(1...10), "as-of 10 delivered \(delivered.count) records; anomaly: \(String(describing: report.anomaly))")
        #expect(report.anomaly == nil)
    }
}
