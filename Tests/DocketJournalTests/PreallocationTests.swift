import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// Segments filled with zeros ahead of their records (`JournalConfiguration.preallocate`):
/// the zeros read as unwritten space, never as damage, while damage stays damage.
@Suite struct PreallocationTests {
    static func config(step: Int = 1024, segmentSize: Int = 16384, preallocate: Bool = true) -> JournalConfiguration {
        var c = JournalConfiguration(durability: .always)
        c.recovery = .strict
        c.segmentSize = segmentSize
        c.preallocate = preallocate
        c.preallocationStep = step
        return c
    }

    /// What a kill -9 leaves after `work` (the page cache's image of the directory, copied while
    /// the journal is open), at `tmp.path/image<name>`; the journal is closed afterwards.
    static func liveImage(_ tmp: TempDirectory, _ name: String, _ config: JournalConfiguration,
                          _ work: (Journal) async throws -> Void) async throws -> String {
        let (journal, _) = try openJournal(tmp.journal + name, config)
        try await work(journal)
        let image = tmp.path + "/image" + name
        copyDirectory(tmp.journal + name, image)
        try await journal.close()
        return image
    }

    /// The end of the last record (or seal) in a segment's bytes.
    static func recordsEnd(_ bytes: [UInt8]) -> Int { recordEnds(bytes).last?.end ?? SegmentHeader.size }

    static func flags(_ path: String) -> UInt32 {
        let b = fileBytes(path)
        guard b.count >= 16 else { return 0 }
        return UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24
    }

    @Test func liveSegmentIsFilledAheadAndEveryCrashImageReadsClean() async throws {
        let tmp = TempDirectory("prealloc")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, Self.config(segmentSize: 8192))
        var sawZeros = false
        for i in 1...100 {
            _ = try await journal.append(payload(i, size: 100 + i % 50))
            // What a kill -9 right now leaves: the page cache's image of the directory.
            let image = tmp.path + "/image"
            copyDirectory(tmp.journal, image)
            let live = segmentFiles(image).last ?? ""
            let bytes = fileBytes(image + "/" + live)
            let end = Self.recordsEnd(bytes)
            #expect(bytes.count >= end)
            #expect(bytes.count <= 8192 || bytes.count == end)
            #expect(bytes[end...].allSatisfy { $0 == 0 })
            if bytes.count > end { sawZeros = true }
            let (replayed, report) = try readBack(image, mode: .strict)
            #expect(replayed.sequences == (1...UInt64(i)).map { $0 })
            #expect(report.anomaly == nil)
        }
        #expect(sawZeros)
        #expect(segmentFiles(tmp.journal).count > 1)
        try await journal.close()
    }

    @Test func sealedSegmentsAndClosedJournalsEndWithTheirLastRecord() async throws {
        let tmp = TempDirectory("prealloc-seal")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, Self.config(segmentSize: 4096))
        for i in 1...200 { _ = try journal.submit(payload(i, size: 120)) }
        try await journal.sync()
        let names = segmentFiles(tmp.journal)
        #expect(names.count > 3)
        for name in names.dropLast() {
            let bytes = fileBytes(tmp.journal + "/" + name)
            #expect(bytes.count == Self.recordsEnd(bytes), "sealed \(name) keeps \(bytes.count - Self.recordsEnd(bytes)) bytes after its seal")
            #expect(recordEnds(bytes).last?.kind == RecordKind.seal.rawValue)
            #expect(Self.flags(tmp.journal + "/" + name) & SegmentHeader.flagPreallocated != 0)
        }
        try await journal.close()
        let last = fileBytes(tmp.journal + "/" + (names.last ?? ""))
        #expect(last.count == Self.recordsEnd(last))
        let (replayed, report) = try readBack(tmp.journal)
        #expect(replayed.sequences == Array(1...200))
        #expect(report.anomaly == nil)
    }

    @Test func reopeningAfterACrashContinuesBehindTheRecords() async throws {
        let tmp = TempDirectory("prealloc-reopen")
        defer { tmp.remove() }
        let image = try await Self.liveImage(tmp, "", Self.config(step: 4096, segmentSize: 1 << 20)) { j in
            for i in 1...30 { _ = try await j.append(payload(i)) }
        }
        let live = image + "/" + (segmentFiles(image).last ?? "")
        #expect(fileBytes(live).count > Self.recordsEnd(fileBytes(live)))

        let (again, replayed) = try openJournal(image, Self.config(step: 4096, segmentSize: 1 << 20))
        #expect(replayed.sequences == Array(1...30))
        #expect(again.recoveryReport.anomaly == nil)
        #expect(again.recoveryReport.bytesTruncated == 0)
        #expect(again.recoveryReport.backupFiles.isEmpty)
        for i in 31...40 { _ = try await again.append(payload(i)) }
        try await again.close()
        let (all, report) = try readBack(image)
        #expect(all.records.map(\.payload) == (1...40).map { payload($0) })
        #expect(report.anomaly == nil)
    }

    /// A partly written record in the zeros (a write cut short by a crash) is still a torn tail.
    @Test func garbageInTheZerosIsATornTail() async throws {
        let seed: UInt64 = 4242
        print("PreallocationTests garbage seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let tmp = TempDirectory("prealloc-torn")
        defer { tmp.remove() }
        let original = try await Self.liveImage(tmp, "", Self.config(step: 8192, segmentSize: 1 << 20)) { j in
            for i in 1...12 { _ = try await j.append(payload(i, size: 200)) }
        }
        for round in 0..<4 {
            let image = tmp.path + "/image\(round)"
            copyDirectory(original, image)
            let live = image + "/" + (segmentFiles(image).last ?? "")
            var bytes = fileBytes(live)
            let end = Self.recordsEnd(bytes)
            #expect(bytes.count > end + 300)
            // The first part of a record the crash cut: its header and some payload, or noise.
            let cut = 10 + Int(rng.next() % 200)
            if round % 2 == 0 {
                var record: [UInt8] = []
                var noChain: [UInt8]?
                payload(13, size: 200).withUnsafeBytes {
                    RecordFormat.encode(into: &record, kind: .data, sequence: 13, timestamp: 13, tag: 0, payload: $0, chain: &noChain)
                }
                for k in 0..<cut { bytes[end + k] = record[k] }
            } else {
                for k in 0..<cut { bytes[end + k] = UInt8(truncatingIfNeeded: rng.next()) | 1 }
            }
            writeBytes(live, bytes)
            #expect(try readBack(image, mode: .strict).1.anomaly?.isTornTail == true)
            var tolerant = Self.config(step: 8192, segmentSize: 1 << 20)
            tolerant.recovery = .tolerateTornTail
            let (reopened, replayed) = try openJournal(image, tolerant)
            #expect(replayed.sequences == Array(1...12))
            #expect(reopened.recoveryReport.anomaly?.isTornTail == true)
            #expect(reopened.recoveryReport.bytesTruncated == bytes.count - end)
            // The backup holds the cut bytes up to the last non-zero one, not the zeros after.
            let backup = try #require(reopened.recoveryReport.backupFiles.first)
            let kept = fileBytes(image + "/" + backup)
            #expect(kept.count <= cut && kept == Array(bytes[end..<(end + kept.count)]) && kept.last != 0, "\(kept.count) of \(cut)")
            #expect(kept.count >= cut - 8, "only zeros of the cut part may be left out")
            try await reopened.close()
        }
    }

    /// Zeros with valid records after them are lost data, not unwritten space.
    @Test func zeroedRecordsBeforeIntactOnesAreCorruption() async throws {
        let tmp = TempDirectory("prealloc-hole")
        defer { tmp.remove() }
        let image = try await Self.liveImage(tmp, "", Self.config(step: 8192, segmentSize: 1 << 20)) { j in
            for i in 1...20 { _ = try await j.append(payload(i, size: 100)) }
        }
        let live = image + "/" + (segmentFiles(image).last ?? "")
        var bytes = fileBytes(live)
        let ends = recordEnds(bytes).filter { $0.kind == RecordKind.data.rawValue }
        #expect(bytes.count > Self.recordsEnd(bytes))
        // Records 10…12 replaced by zeros, 13…20 (each its own group, with its end marker)
        // intact behind them.
        for k in ends[8].end..<ends[11].end { bytes[k] = 0 }
        writeBytes(live, bytes)
        var tolerant = Self.config(step: 8192, segmentSize: 1 << 20)
        tolerant.recovery = .tolerateTornTail
        do {
            _ = try openJournal(image, tolerant)
            Issue.record("a hole of zeros before intact records opened")
        } catch JournalError.corrupted(let c) {
            #expect(!c.isTornTail)
        }
        let (salvaged, report) = try readBack(image, mode: .salvage)
        #expect(salvaged.sequences == Array(1...9) + Array(13...20))
        #expect(report.lostSequences == [10...12])
    }

    /// A group-end marker must follow its group's last record and name a first sequence within
    /// the group being read; one that does not is corruption (not a torn tail), and markers
    /// never reach the reader.
    @Test func misplacedMarkersAreCorruption() async throws {
        let tmp = TempDirectory("prealloc-marker")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 30, payloadSize: 60, segmentSize: 1 << 20, preallocate: true)
        let (clean, report) = try readBack(built.dir)
        #expect(clean.sequences == Array(1...30) && report.anomaly == nil)
        let live = built.path(built.segments.last ?? "")
        let original = fileBytes(live)
        let items = recordEnds(original)
        let markerIndex = try #require(items.indices.first { items[$0].kind == RecordKind.groupEnd.rawValue && $0 > 2 })
        let at = items[markerIndex - 1].end
        let (lastSeq, firstSeq) = original.withUnsafeBytes { b -> (UInt64, UInt64) in
            let h = RecordHeader.decode(b, at: at)
            return (h?.sequence ?? 0, h?.timestamp ?? 0)
        }
        for (sequence, first) in [(lastSeq + 1, firstSeq), (lastSeq, lastSeq + 1), (lastSeq, 0)] {
            var marker: [UInt8] = []
            var noChain: [UInt8]?
            RecordFormat.encode(into: &marker, kind: .groupEnd, sequence: sequence, timestamp: first, tag: 0,
                                payload: UnsafeRawBufferPointer(start: nil, count: 0), chain: &noChain)
            var bytes = original
            bytes.replaceSubrange(at..<(at + marker.count), with: marker)
            writeBytes(live, bytes)
            let (_, damaged) = try readBack(built.dir)
            #expect(damaged.anomaly?.reason.contains("group-end marker") == true, "\(damaged)")
            #expect(damaged.anomaly?.isTornTail == false)
        }
    }

    /// A live image whose last group (one batch) a power loss cut short: `sectors` (512-byte,
    /// counted from the group's start) still zero, the rest of the group written.
    static func cutShortImage(_ tmp: TempDirectory, name: String, groups: Int, zeroIn group: Int, sectors: [Int],
                              flipInstead: Bool = false) async throws -> (dir: String, keptThrough: UInt64) {
        var starts: [Int] = []
        var lastBefore: [UInt64] = []
        let image = try await Self.liveImage(tmp, name, Self.config(step: 1 << 16, segmentSize: 1 << 20)) { j in
            for g in 0..<groups {
                let live = tmp.journal + name + "/" + (segmentFiles(tmp.journal + name).last ?? "")
                starts.append(Self.recordsEnd(fileBytes(live)))
                lastBefore.append(j.lastSequence)
                _ = try await j.append(contentsOf: (0..<12).map { payload(g * 100 + $0, size: 150) })
            }
        }
        let live = image + "/" + (segmentFiles(image).last ?? "")
        var bytes = fileBytes(live)
        let groupStart = starts[group]
        for k in sectors {
            let from = max(groupStart, (groupStart & ~511) + k * 512)
            let to = (groupStart & ~511) + (k + 1) * 512
            for i in from..<to { bytes[i] = flipInstead ? bytes[i] ^ 0x40 : 0 }
        }
        writeBytes(live, bytes)
        return (image, lastBefore[group])
    }

    /// The last group, cut short by a power loss during its sync (a hole, intact records and
    /// its end marker after it): never acknowledged, so a torn tail.
    @Test func aHoleInTheLastGroupIsATornTail() async throws {
        let tmp = TempDirectory("prealloc-cut")
        defer { tmp.remove() }
        let (image, kept) = try await Self.cutShortImage(tmp, name: "a", groups: 3, zeroIn: 2, sectors: [1])
        let (_, strict) = try readBack(image, mode: .strict)
        #expect(strict.anomaly?.isTornTail == true)
        var tolerant = Self.config()
        tolerant.recovery = .tolerateTornTail
        let (journal, replayed) = try openJournal(image, tolerant)
        #expect(replayed.sequences.first == 1)
        #expect((replayed.sequences.last ?? 0) >= kept && (replayed.sequences.last ?? 0) < kept + 12)
        #expect(journal.recoveryReport.anomaly?.isTornTail == true)
        try await journal.close()
    }

    /// The same hole in an earlier group, followed by a complete one: that group was synced
    /// (the next was written after its sync), so this is lost data.
    @Test func aHoleBeforeACompleteGroupIsCorruption() async throws {
        let tmp = TempDirectory("prealloc-cut2")
        defer { tmp.remove() }
        let (image, _) = try await Self.cutShortImage(tmp, name: "b", groups: 3, zeroIn: 1, sectors: [1])
        let (_, strict) = try readBack(image, mode: .strict)
        #expect(strict.anomaly != nil && strict.anomaly?.isTornTail == false)
        var tolerant = Self.config()
        tolerant.recovery = .tolerateTornTail
        #expect(throws: JournalError.self) { try openJournal(image, tolerant) }
    }

    /// Flipped bits in the last group, no sector of zeros: not an unfinished write.
    @Test func flippedBitsInTheLastGroupAreCorruption() async throws {
        let tmp = TempDirectory("prealloc-cut3")
        defer { tmp.remove() }
        let (image, _) = try await Self.cutShortImage(tmp, name: "c", groups: 3, zeroIn: 2, sectors: [1], flipInstead: true)
        let (_, strict) = try readBack(image, mode: .strict)
        #expect(strict.anomaly != nil && strict.anomaly?.isTornTail == false)
    }

    /// A crash after a seal was written but before the trim behind it was durable.
    @Test func zerosAfterASealAreNothingOnlyWhenPreallocated() async throws {
        let tmp = TempDirectory("prealloc-sealzeros")
        defer { tmp.remove() }
        for preallocate in [true, false] {
            let dir = tmp.path + "/\(preallocate)"
            let built = try await BuiltJournal.make(in: dir, count: 100, payloadSize: 120, preallocate: preallocate)
            #expect(built.segments.count > 2)
            let sealed = built.path(built.segments[0])
            writeBytes(sealed, fileBytes(sealed) + [UInt8](repeating: 0, count: 3000))
            if preallocate {
                let (replayed, report) = try readBack(dir, mode: .strict)
                #expect(replayed.sequences == Array(1...100))
                #expect(report.anomaly == nil)
            } else {
                #expect(try readBack(dir, mode: .strict).1.anomaly != nil)
            }
        }
    }

    /// A sealed last segment (its successor never renamed into place) with zeros after the
    /// seal: open trims them before it starts the next segment.
    @Test func openTrimsZerosAfterTheSealOfTheLastSegment() async throws {
        let tmp = TempDirectory("prealloc-aftersealtrim")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 60, payloadSize: 120, preallocate: true)
        let names = built.segments
        #expect(names.count > 2)
        // The crash came before the successor's rename: it is not there.
        try FileManager.default.removeItem(atPath: built.path(names[names.count - 1]))
        let sealed = built.path(names[names.count - 2])
        let original = fileBytes(sealed)
        writeBytes(sealed, original + [UInt8](repeating: 0, count: 5000))
        let (journal, replayed) = try openJournal(built.dir, Self.config())
        #expect(journal.recoveryReport.anomaly == nil)
        #expect(fileBytes(sealed) == original)
        let last = replayed.sequences.last ?? 0
        #expect(try await journal.append([1, 2, 3]) == last + 1)
        try await journal.close()
        let (all, report) = try readBack(built.dir)
        #expect(all.sequences == Array(1...(last + 1)))
        #expect(report.anomaly == nil)
    }

    /// The same, in a segment that a snapshot covers (recovery looks only at its seal), with
    /// fewer zeros than a seal's size and with many.
    @Test(arguments: [16, 3000]) func zerosAfterASealCoveredByASnapshot(zeros: Int) async throws {
        let tmp = TempDirectory("prealloc-sealsnap")
        defer { tmp.remove() }
        for preallocate in [true, false] {
            let dir = tmp.path + "/\(preallocate)"
            let built = try await BuiltJournal.make(in: dir, count: 100, payloadSize: 120, snapshotsAt: [90], preallocate: preallocate)
            #expect(built.segments.count > 2)
            let sealed = built.path(built.segments[0])
            writeBytes(sealed, fileBytes(sealed) + [UInt8](repeating: 0, count: zeros))
            if preallocate {
                let (replayed, report) = try readBack(dir, mode: .strict)
                #expect(replayed.snapshot?.lastSequence == 90)
                #expect(replayed.sequences == Array(91...100))
                #expect(report.anomaly == nil)
                let (journal, again) = try openJournal(dir)
                #expect(again.sequences == Array(91...100))
                try await journal.close()
            } else {
                // The quick look at the seal finds zeros: damage.
                #expect(try readBack(dir, mode: .strict).1.anomaly != nil)
            }
        }
    }

    /// Large groups (batches) gain nothing from zeros written ahead: once writes average more
    /// than 16 KiB the segment just grows; small appends bring the zeros back.
    @Test func largeWritesAreNotFilledAhead() async throws {
        let tmp = TempDirectory("prealloc-large")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, Self.config(step: 4096, segmentSize: 8 << 20))
        func live() -> [UInt8] { fileBytes(tmp.journal + "/" + (segmentFiles(tmp.journal).last ?? "")) }
        for b in 0..<12 {
            _ = try await journal.append(contentsOf: (0..<100).map { payload(b * 100 + $0, size: 200) })
        }
        let afterBatches = live()
        #expect(afterBatches.count == Self.recordsEnd(afterBatches))
        for i in 1...400 { _ = try await journal.append(payload(i, size: 50)) }
        let afterSmall = live()
        #expect(afterSmall.count > Self.recordsEnd(afterSmall))
        try await journal.close()
        let (all, report) = try readBack(tmp.journal)
        #expect(all.records.count == 1600)
        #expect(report.anomaly == nil)
    }

    /// Zeros that cannot be written (a full disk) cost the speed-up, never the journal.
    @Test func aFailedFillLeavesTheJournalWorking() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let config = Self.config(step: 4096, segmentSize: 16384)
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        disk.state.withLock { $0.failWritesOfAtLeast = 4000 }
        func liveBytes() -> [UInt8] {
            disk.state.withLock { s in
                let name = s.entries.keys.filter { $0.hasPrefix("/sim/j/wal-") && !$0.hasSuffix(".tmp") }.sorted().last ?? ""
                return s.entries[name].flatMap { s.inodes[$0]?.data } ?? []
            }
        }
        for i in 1...40 {
            #expect(try await journal.append(payload(i, size: 100)) == UInt64(i))
            let bytes = liveBytes()
            #expect(bytes.count == Self.recordsEnd(bytes))
        }
        disk.state.withLock { $0.failWritesOfAtLeast = nil }
        for i in 41...200 { #expect(try await journal.append(payload(i, size: 100)) == UInt64(i)) }
        // A later segment is preallocated again.
        let bytes = liveBytes()
        #expect(bytes.count > Self.recordsEnd(bytes))
        try await journal.close()
        let (reopened, replayed) = try openJournal("/sim/j", config, io: disk)
        #expect(replayed.sequences == Array(1...200))
        #expect(reopened.recoveryReport.anomaly == nil)
        try await reopened.close()
    }

    @Test func theSettingTakesEffectFromTheNextSegment() async throws {
        let tmp = TempDirectory("prealloc-switch")
        defer { tmp.remove() }
        let (first, _) = try openJournal(tmp.journal, Self.config(preallocate: false))
        for i in 1...5 { _ = try await first.append(payload(i, size: 100)) }
        try await first.close()
        let (second, replayed) = try openJournal(tmp.journal, Self.config(preallocate: true))
        #expect(replayed.sequences == Array(1...5))
        for i in 6...10 { _ = try await second.append(payload(i, size: 100)) }
        // The continued segment was made without preallocation: it stays without zeros.
        let continued = tmp.journal + "/" + (segmentFiles(tmp.journal).first ?? "")
        #expect(Self.flags(continued) & SegmentHeader.flagPreallocated == 0)
        #expect(fileBytes(continued).count == Self.recordsEnd(fileBytes(continued)))
        for i in 11...300 { _ = try second.submit(payload(i, size: 100)) }
        try await second.sync()
        let names = segmentFiles(tmp.journal)
        #expect(names.count > 2)
        let newest = tmp.journal + "/" + (names.last ?? "")
        #expect(Self.flags(newest) & SegmentHeader.flagPreallocated != 0)
        #expect(fileBytes(newest).count > Self.recordsEnd(fileBytes(newest)))
        try await second.close()
        let (all, report) = try readBack(tmp.journal)
        #expect(all.sequences == Array(1...300))
        #expect(report.anomaly == nil)
    }

    /// A preallocated segment left by a crash and reopened under `.interval` (or without
    /// preallocation) is sealed at once: the new records go to a segment of the configured
    /// layout, and the other way round.
    @Test(arguments: [true, false]) func aContinuedSegmentOfTheOtherLayoutIsSealedAtOnce(fromPreallocated: Bool) async throws {
        let tmp = TempDirectory("prealloc-reopen-other")
        defer { tmp.remove() }
        let image = try await Self.liveImage(tmp, "", Self.config(preallocate: fromPreallocated)) { j in
            for i in 1...5 { _ = try await j.append(payload(i, size: 100)) }
        }
        #expect(segmentFiles(image).count == 1)
        var other = Self.config(preallocate: !fromPreallocated)
        if fromPreallocated { other.durability = .interval(milliseconds: 1) }
        let (again, replayed) = try openJournal(image, other)
        #expect(replayed.sequences == Array(1...5))
        for i in 6...10 { _ = try await again.append(payload(i, size: 100)) }
        try await again.sync()
        let names = segmentFiles(image)
        #expect(names.count == 2)
        let old = image + "/" + (names.first ?? ""), new = image + "/" + (names.last ?? "")
        #expect((Self.flags(old) & SegmentHeader.flagPreallocated != 0) == fromPreallocated)
        #expect((Self.flags(new) & SegmentHeader.flagPreallocated != 0) == !fromPreallocated)
        #expect(fileBytes(old).count == Self.recordsEnd(fileBytes(old)), "sealed, without zeros")
        try await again.close()
        let (all, report) = try readBack(image)
        #expect(all.sequences == Array(1...10))
        #expect(report.anomaly == nil)
    }
}
