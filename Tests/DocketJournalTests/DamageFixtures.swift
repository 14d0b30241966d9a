import Foundation
@testable import DocketJournal

/// A closed journal on disk with known records, for damage tests.
struct BuiltJournal {
    let dir: String
    let count: Int
    let payloadSize: Int

    /// Writes `count` records (payload `payload(i, size:)`, tag `i % 7`, timestamp `i`).
    static func make(in dir: String, count: Int, payloadSize: Int = 40, segmentSize: Int = 4096, hashChain: Bool = false,
                     snapshotsAt: [Int] = [], preallocate: Bool = false) async throws -> BuiltJournal {
        // Preallocation needs `.always` (the records are submitted without waiting either way).
        var config = JournalConfiguration(durability: preallocate ? .always : .none)
        config.segmentSize = segmentSize
        config.hashChain = hashChain
        config.preallocate = preallocate
        let (journal, _) = try openJournal(dir, config)
        for i in 1...count {
            try journal.submit(payload(i, size: payloadSize), tag: UInt16(i % 7), timestamp: UInt64(i))
            if snapshotsAt.contains(i) {
                try await journal.writeSnapshot(Array("snapshot@\(i)".utf8), lastSequence: UInt64(i))
            }
        }
        try await journal.close()
        return BuiltJournal(dir: dir, count: count, payloadSize: payloadSize)
    }

    func record(_ seq: UInt64) -> JournalRecord {
        JournalRecord(sequence: seq, timestamp: seq, tag: UInt16(seq % 7), payload: payload(Int(seq), size: payloadSize))
    }

    var segments: [String] { segmentFiles(dir) }
    func path(_ name: String) -> String { dir + "/" + name }
}

/// Offsets where each record of a segment file ends (after the header), and each record's sequence.
func recordEnds(_ bytes: [UInt8]) -> [(end: Int, sequence: UInt64, kind: UInt8)] {
    bytes.withUnsafeBytes { b in
        var out: [(Int, UInt64, UInt8)] = []
        var o = SegmentHeader.size
        while let h = RecordHeader.decode(b, at: o), o + h.storedSize <= b.count {
            o += h.storedSize
            out.append((o, h.sequence, h.kindByte))
        }
        return out
    }
}

func flipBit(_ path: String, byte: Int, bit: Int) {
    var bytes = fileBytes(path)
    bytes[byte] ^= UInt8(1 << bit)
    writeBytes(path, bytes)
}
