// libFuzzer target for the journal's readers. Not a SwiftPM target: Scripts/journal-fuzz builds
// it with `swiftc -sanitize=fuzzer -parse-as-library` together with the DocketJournal sources.
//
// The first input byte picks the target:
//   0: segment scanner on the bytes as a whole segment file (strict, then salvage)
//   1: segment scanner on a valid header followed by the bytes (reaches record parsing)
//   2: snapshot decoder
//   3: directory recovery with the bytes as the only segment (read-only scan)
//   4: encode→decode round trip of payloads cut from the bytes
//   5: segment scanner on a valid preallocated header followed by the bytes (zero tails,
//      group-end markers, the torn-group rule)
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0] % 6
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch selector {
    case 0: scanSegment(Array(body))
    case 1: scanSegment(FuzzSupport.header.bytes + Array(body))
    case 2: decodeSnapshot(Array(body))
    case 3: recoverDirectory(Array(body))
    case 5: scanSegment(FuzzSupport.preallocatedHeader.bytes + Array(body))
    default: roundTrip(Array(body))
    }
    return 0
}

enum FuzzSupport {
    static let header = SegmentHeader(journalID: [UInt8](repeating: 7, count: 16), segmentNumber: 1, firstSequence: 1,
                                      previousChain: [UInt8](repeating: 0, count: 32), createdAt: 0, chained: false)
    static let preallocatedHeader = SegmentHeader(journalID: [UInt8](repeating: 7, count: 16), segmentNumber: 1, firstSequence: 1,
                                                  previousChain: [UInt8](repeating: 0, count: 32), createdAt: 0, chained: false,
                                                  preallocated: true)
    static let directory: String = {
        let path = NSTemporaryDirectory() + "docket-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
}

func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError("fuzz invariant violated: \(message)") }
}

func scanSegment(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { b in
        let header: SegmentHeader
        switch SegmentHeader.decode(b) {
        case .success(let h): header = h
        case .failure: return
        }
        for salvage in [false, true] {
            for isLast in [true, false] {
                let scanner = SegmentScanner(bytes: b, file: "wal", header: header, isLast: isLast, maxRecordSize: 1 << 16, salvage: salvage)
                var expected = header.firstSequence
                var last: UInt64 = 0
                let out = scanner.scan(expectedFirst: header.firstSequence, chain: header.previousChain) { h, payload, _ in
                    check(payload.count == h.length, "payload length")
                    if salvage {
                        check(h.sequence > last || last == 0, "salvage order")
                    } else {
                        check(h.sequence == expected, "sequence continuity")
                    }
                    last = h.sequence
                    expected = h.sequence &+ 1
                }
                check(out.goodEnd <= b.count, "good end inside the file")
                // ...or, in a preallocated segment, where only zeros follow (unwritten space).
                if !salvage {
                    check(out.anomaly != nil || out.goodEnd == b.count || (header.preallocated && b.allZero(out.goodEnd..<b.count)),
                          "clean scans end at EOF")
                }
            }
        }
    }
}

func decodeSnapshot(_ bytes: [UInt8]) {
    if case .success(let s) = bytes.withUnsafeBytes({ SnapshotFile.decode($0) }) {
        check(s.bytes == bytes, "snapshot re-encodes to the same bytes")
    }
}

func recoverDirectory(_ bytes: [UInt8]) {
    let dir = FuzzSupport.directory
    let path = dir + "/" + JournalFiles.segmentName(1)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    for mode in [RecoveryMode.strict, .tolerateTornTail, .pointInTime, .salvage] {
        let scan = RecoveryScan(io: PosixJournalIO.shared, directory: dir, mode: mode)
        var previous: UInt64 = 0
        _ = try? scan.run(purpose: .recover, onSnapshot: { _ in }) { h, _ in
            check(h.sequence > previous, "recovery delivers increasing sequences")
            previous = h.sequence
        }
    }
}

func roundTrip(_ bytes: [UInt8]) {
    var payloads: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
        let n = min(Int(bytes[i]), bytes.count - i - 1)
        payloads.append(Array(bytes[(i + 1)..<(i + 1 + n)]))
        i += 1 + n
    }
    let chained = bytes.first.map { $0 & 1 == 1 } ?? false
    var header = FuzzSupport.header
    header.chained = chained
    var file = header.bytes
    var chain: [UInt8]? = chained ? header.previousChain : nil
    for (k, p) in payloads.enumerated() {
        p.withUnsafeBytes { RecordFormat.encode(into: &file, kind: .data, sequence: UInt64(k + 1), timestamp: UInt64(k), tag: UInt16(k & 0xFFFF), payload: $0, chain: &chain) }
    }
    var seen: [[UInt8]] = []
    file.withUnsafeBytes { b in
        let scanner = SegmentScanner(bytes: b, file: "wal", header: header, isLast: true, maxRecordSize: 1 << 16, salvage: false)
        let out = scanner.scan(expectedFirst: 1, chain: header.previousChain) { _, payload, _ in seen.append(Array(payload)) }
        check(out.anomaly == nil, "round trip has no anomaly: \(String(describing: out.anomaly))")
    }
    check(seen == payloads, "round trip returns the payloads")
}
