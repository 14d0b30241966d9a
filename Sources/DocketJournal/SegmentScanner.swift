/// Reads the records of one segment file held in memory, verifying header checksum, record
/// checksum, zero padding, sequence continuity, the hash chain and the seal, and stops at the
/// first anomaly (or, in salvage, skips it and resynchronises on the next valid aligned record).
/// In a preallocated segment, zeros from a record boundary to the end are unwritten space.
struct SegmentScanner {
    let bytes: UnsafeRawBufferPointer
    let file: String
    let header: SegmentHeader
    let isLast: Bool
    let maxRecordSize: Int
    let salvage: Bool
    /// The last sequence the snapshot recovery starts from covers (0 for none). Damage in
    /// records it covers costs no state: outside salvage, the scan passes over it by rejoining
    /// the log at that sequence (see `rejoin`) instead of stopping there.
    let coveredThrough: UInt64
    /// The snapshot's chain hash when it carries one: the only way to verify a chained
    /// segment's records after such a rejoin.
    let coveredChain: [UInt8]?
    /// Range checksums for the searches past damage (`nextValidRecord`, `nextValidSeal`).
    private let ranges: RangeCRC

    init(bytes: UnsafeRawBufferPointer, file: String, header: SegmentHeader, isLast: Bool, maxRecordSize: Int, salvage: Bool,
         coveredThrough: UInt64 = 0, coveredChain: [UInt8]? = nil) {
        self.coveredThrough = coveredThrough
        self.coveredChain = coveredChain
        self.bytes = bytes
        self.file = file
        self.header = header
        self.isLast = isLast
        self.maxRecordSize = maxRecordSize
        self.salvage = salvage
        self.ranges = RangeCRC(bytes)
    }

    /// Where a scan ended.
    struct Outcome {
        /// Data records read and verified.
        var recordCount: UInt64 = 0
        /// The last verified data sequence (header's first minus one when none).
        var lastSequence: UInt64
        var lastTimestamp: UInt64?
        /// Offset just after the last verified record (or the seal).
        var goodEnd: Int = SegmentHeader.size
        /// The chain hash after the last verified record.
        var chain: [UInt8]
        /// The segment's seal, when it ends with a valid one.
        var seal: SealPayload?
        /// The first anomaly (non-salvage scans stop there).
        var anomaly: JournalCorruption?
        /// Salvage: every damaged region skipped.
        var skipped: [JournalCorruption] = []
        /// Salvage: sequence ranges missing between intact records.
        var lost: [ClosedRange<UInt64>] = []
        /// Damage passed over because the snapshot covers every record it can have hit.
        var covered: [JournalCorruption] = []
        /// The highest sequence of any intact-looking record after the anomaly (for loss reports).
        var highestSequenceAfterAnomaly: UInt64?
        /// The first sequence of the group read at `goodEnd` (preallocated segments), so that a
        /// scan can go on from there (`scan(continuing:)`).
        var groupFirst: UInt64 = 0
    }

    /// Scans from the header on. `expectedFirst` is the sequence the first data record must
    /// carry (salvage accepts any higher one and reports the gap); `chain` is the chain hash
    /// before it. `deliver` receives each verified data record in order.
    ///
    /// With `continuing`, the outcome of an earlier scan of the same file (stopped at an
    /// anomaly, with no seal), the scan goes on from that outcome's `goodEnd` instead, in bytes
    /// read again: what a reader does when a live writer was writing where it read.
    func scan(expectedFirst: UInt64, chain startChain: [UInt8], continuing: Outcome? = nil,
              deliver: (RecordHeader, UnsafeRawBufferPointer, [UInt8]) throws -> Void) rethrows -> Outcome {
        var out = Outcome(lastSequence: expectedFirst &- 1, chain: startChain)
        var expected = expectedFirst
        // The first sequence of the group being read (preallocated segments mark group ends).
        var groupFirst = expectedFirst
        var chain = startChain
        var offset = SegmentHeader.size
        if let earlier = continuing {
            out = earlier
            out.anomaly = nil
            out.highestSequenceAfterAnomaly = nil
            expected = earlier.lastSequence &+ 1
            groupFirst = earlier.groupFirst
            chain = earlier.chain
            offset = earlier.goodEnd
        }
        let n = bytes.count
        let zeros = [UInt8](repeating: 0, count: 32)

        func problem(_ at: Int, _ reason: String, tornCandidate: Bool) -> JournalCorruption {
            JournalCorruption(file: file, offset: at, reason: reason,
                              isTornTail: tornCandidate && isLast && looksTorn(from: at, lastGood: expected &- 1, groupFirst: groupFirst))
        }

        /// Damage at `at` while record `expected` ≤ `coveredThrough` was due: every record it can
        /// have hit is in the snapshot. Finds the snapshot's last record (or, when that one is
        /// the damaged one, the record after it) intact past the damage and goes on from there;
        /// returns where, or nil when the log cannot be rejoined (the scan then stops as usual).
        func rejoin(_ p: JournalCorruption, at: Int) -> Int? {
            // From `at` itself: a valid record there with the wrong sequence (the records before
            // it missing) may be the one to rejoin at.
            guard !salvage, coveredThrough > 0, expected <= coveredThrough,
                  let found = nextValidRecord(from: at, minimumSequence: coveredThrough),
                  found.header.sequence <= coveredThrough &+ 1, found.header.chained == header.chained else { return nil }
            let h = found.header
            // The search looks inside payloads too: what it found may be the image of a record
            // in a covered record's payload. Then the real covered records come after it.
            var later = found.offset + h.storedSize
            while let next = nextValidRecord(from: later, minimumSequence: expected) {
                if next.header.sequence < h.sequence { return nil }
                later = next.offset + next.header.storedSize
            }
            var resume = found.offset
            var after = chain
            if header.chained {
                // Unverifiable without the snapshot's hash: the chain after the damage must
                // continue from the hash the snapshot recorded.
                guard let known = coveredChain else { return nil }
                if h.sequence == coveredThrough {
                    let stored = found.offset + RecordFormat.headerSize + h.length
                    guard Array(bytes[stored..<(stored + 32)]) == known else { return nil }
                }
                after = known
            }
            if h.sequence == coveredThrough {
                resume += h.storedSize
                out.lastTimestamp = h.timestamp
            } else {
                // Record L itself was the damaged one: its time is unknown.
                out.lastTimestamp = nil
            }
            var skipped = p
            skipped.isTornTail = false
            skipped.reason += " (in records the snapshot through sequence \(coveredThrough) covers: passed over, no state lost)"
            out.covered.append(skipped)
            chain = after
            expected = coveredThrough &+ 1
            out.lastSequence = coveredThrough
            out.recordCount = coveredThrough &- header.firstSequence &+ 1
            // The group being written when the damage hit is unknown: the lowest bound keeps
            // every later group-end marker acceptable.
            groupFirst = header.firstSequence
            out.goodEnd = resume
            return resume
        }

        while offset < n {
            guard let h = RecordHeader.decode(bytes, at: offset) else {
                // Space the writer filled ahead and never reached: the end of the records.
                if header.preallocated && bytes.allZero(offset..<n) { break }
                let reason = n - offset < RecordFormat.headerSize
                    ? "incomplete record header (\(n - offset) bytes before end of file)" : "record header checksum mismatch"
                let p = problem(offset, reason, tornCandidate: true)
                if salvage, let next = resync(after: offset, out: &out, problem: p, expected: &expected) { offset = next; continue }
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            if h.length > maxRecordSize {
                let p = problem(offset, "record length \(h.length) exceeds the limit of \(maxRecordSize) bytes", tornCandidate: false)
                if salvage, let next = resync(after: offset, out: &out, problem: p, expected: &expected) { offset = next; continue }
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            let size = h.storedSize
            if size > n - offset {
                let p = problem(offset, "record of \(size) bytes runs past the end of the file (\(n - offset) bytes left)", tornCandidate: true)
                if salvage, let next = resync(after: offset, out: &out, problem: p, expected: &expected) { offset = next; continue }
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            if let reason = h.bodyProblem(bytes, at: offset) {
                let p = problem(offset, reason, tornCandidate: true)
                if salvage, let next = resync(after: offset, out: &out, problem: p, expected: &expected) { offset = next; continue }
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            if !h.sequenceInRange {
                // Checksums hold, so this is no torn write: a record no writer can produce.
                let p = problem(offset, "record sequence \(h.sequence) is out of range (1…\(RecordFormat.maxSequence))", tornCandidate: false)
                if salvage, let next = resync(after: offset, out: &out, problem: p, expected: &expected) { offset = next; continue }
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            if h.kindByte == RecordKind.groupEnd.rawValue {
                // Only a preallocated segment has them, each right after a group's last record.
                // Its group starts at or after the one being read: a writer killed between a
                // group and its marker leaves records without one, which the next group joins.
                if !salvage && (!header.preallocated || out.recordCount == 0 || h.sequence != expected &- 1
                                || h.timestamp < groupFirst || h.timestamp > h.sequence) {
                    let p = problem(offset, "group-end marker for sequences \(h.timestamp)…\(h.sequence) out of place (the group read is \(groupFirst)…\(expected &- 1))", tornCandidate: false)
                    if let next = rejoin(p, at: offset) { offset = next; continue }
                    out.anomaly = out.anomaly ?? p
                    break
                }
                groupFirst = h.sequence &+ 1
                offset += size
                out.goodEnd = offset
                continue
            }
            if h.kindByte == RecordKind.seal.rawValue {
                let seal = SealPayload(bytes, at: offset + RecordFormat.headerSize)
                var reason: String?
                if salvage {
                    reason = nil
                } else if seal.lastSequence != expected &- 1 || h.sequence != expected &- 1 {
                    reason = "seal says the last sequence is \(seal.lastSequence), but the segment's last record is \(expected &- 1)"
                } else if seal.nextSegmentNumber != header.segmentNumber &+ 1 {
                    reason = "seal names segment \(seal.nextSegmentNumber) as the next one, expected \(header.segmentNumber &+ 1)"
                } else if seal.recordCount != out.recordCount {
                    reason = "seal counts \(seal.recordCount) records, the segment holds \(out.recordCount)"
                } else if seal.chainHash != (header.chained ? chain : zeros) {
                    reason = "seal's chain hash disagrees with the records (hash chain broken)"
                }
                if let reason {
                    let p = problem(offset, reason, tornCandidate: false)
                    if let next = rejoin(p, at: offset) { offset = next; continue }
                    out.anomaly = out.anomaly ?? p
                    break
                }
                offset += size
                out.seal = seal
                out.goodEnd = offset
                if offset < n && !(header.preallocated && bytes.allZero(offset..<n)) {
                    let p = problem(offset, "\(n - offset) bytes after the segment's seal", tornCandidate: true)
                    if salvage { out.skipped.append(p) } else { out.anomaly = out.anomaly ?? p }
                }
                break
            }
            // A data record.
            if !salvage && h.chained != header.chained {
                let p = problem(offset, "record's chain flag disagrees with its segment header", tornCandidate: false)
                if let next = rejoin(p, at: offset) { offset = next; continue }
                out.anomaly = out.anomaly ?? p
                break
            }
            if h.sequence != expected {
                if salvage && h.sequence > expected {
                    out.lost.append(expected...(h.sequence - 1))
                    expected = h.sequence
                } else if salvage {
                    // An older duplicate: not delivered, keeps order strictly increasing.
                    out.skipped.append(JournalCorruption(file: file, offset: offset, reason: "out-of-order sequence \(h.sequence) skipped", isTornTail: false))
                    offset += size
                    continue
                } else {
                    let p = problem(offset, "sequence \(h.sequence) where \(expected) was expected", tornCandidate: false)
                    if let next = rejoin(p, at: offset) { offset = next; continue }
                    out.anomaly = out.anomaly ?? p
                    break
                }
            }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + RecordFormat.headerSize)..<(offset + RecordFormat.headerSize + h.length)])
            if h.chained && !salvage {
                var hasher = SHA256()
                hasher.update(chain)
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 28)]))
                hasher.update(payload)
                let next = hasher.finalize()
                let at = offset + RecordFormat.headerSize + h.length
                guard Array(bytes[at..<(at + 32)]) == next else {
                    let p = problem(offset, "hash chain mismatch at sequence \(h.sequence) (the record or an earlier one was altered)", tornCandidate: false)
                    if let next = rejoin(p, at: offset) { offset = next; continue }
                    out.anomaly = out.anomaly ?? p
                    break
                }
                chain = next
            }
            try deliver(h, payload, chain)
            out.recordCount += 1
            out.lastSequence = h.sequence
            out.lastTimestamp = h.timestamp
            expected = h.sequence &+ 1
            offset += size
            out.goodEnd = offset
        }
        out.chain = chain
        out.groupFirst = groupFirst
        if out.anomaly != nil {
            out.highestSequenceAfterAnomaly = highestValidSequence(from: out.goodEnd)
        }
        return out
    }

    /// Salvage: records the damage, then finds the next valid aligned record.
    private func resync(after offset: Int, out: inout Outcome, problem: JournalCorruption, expected: inout UInt64) -> Int? {
        out.skipped.append(problem)
        return nextValidRecord(from: offset + RecordFormat.alignment, minimumSequence: 0)?.offset
    }

    /// The torn-tail test of the spec: from `offset` to the end there are only zeros, or no valid
    /// record with a later sequence can be found at any aligned offset — or the damage is a
    /// write that a power loss cut short (`looksLikeAnUnfinishedOverwrite`).
    func looksTorn(from offset: Int, lastGood: UInt64, groupFirst: UInt64) -> Bool {
        if bytes.allZero(offset..<bytes.count) { return true }
        if nextValidRecord(from: offset + RecordFormat.alignment, minimumSequence: lastGood &+ 1) == nil
            && nextValidSeal(from: offset + RecordFormat.alignment, minimumSequence: lastGood) == nil {
            return true
        }
        return looksLikeAnUnfinishedOverwrite(from: offset, lastGood: lastGood, groupFirst: groupFirst)
    }

    /// In a preallocated segment each group is written over zeros and synced before the next
    /// one is written, and a power loss during that sync may keep any subset of the group's
    /// 512-byte sectors: intact records after a hole. That group was never acknowledged, so the
    /// damage is a torn tail when (a) a sector of the damaged region still holds only zeros from
    /// `offset` on (unwritten, not flipped bits), (b) the intact records and group-end markers
    /// after it include at most one marker, only as the last of them, and for a group the damage
    /// is in (starting at or after `groupFirst`, the first sequence after the last marker before
    /// the damage, and at or before the damaged record `lastGood + 1`): so they all belong to
    /// that group, where an earlier group's marker would prove that group complete (the next
    /// one is written after its sync). What follows the last intact item holds no
    /// valid record by construction: zeros, more of the torn group (other unwritten sectors), or
    /// a record cut off by the end of the file (a group that ran past the zeros, whose new size
    /// a power loss did not keep). Anything else with intact records after it stays mid-log
    /// corruption.
    ///
    /// A segment that is not preallocated grows by appends, and a power loss can keep a later
    /// part of an unsynced append and not an earlier one (XFS, say, extends the size as each
    /// write completes, in any order): zeros where the earlier part was, records after. That is
    /// a torn tail there too (with no marker: it has none, so one found is not its own) when a
    /// sector is lost from a record header on (`lostSectorAtAHeader`): it was never synced, and
    /// neither was anything after it, as every sync covers all that was written before it.
    func looksLikeAnUnfinishedOverwrite(from offset: Int, lastGood: UInt64, groupFirst: UInt64) -> Bool {
        var firstIntact: Int?
        var end = offset
        var markers = 0
        var lastMarker: RecordHeader?
        var o = offset + RecordFormat.alignment
        while let found = nextValidRecord(from: o, minimumSequence: lastGood &+ 1, markers: true) {
            firstIntact = firstIntact ?? found.offset
            end = found.offset + found.header.storedSize
            let isMarker = found.header.kindByte == RecordKind.groupEnd.rawValue
            if isMarker { markers += 1 }
            lastMarker = isMarker ? found.header : nil
            o = end
        }
        guard let first = firstIntact,
              markers == 0 || (header.preallocated && markers == 1
                               && lastMarker.map { $0.timestamp >= groupFirst && $0.timestamp <= lastGood &+ 1 } == true),
              nextValidSeal(from: offset + RecordFormat.alignment, minimumSequence: lastGood) == nil else { return false }
        if !header.preallocated { return lostSectorAtAHeader(from: offset, before: first) }
        var sector = offset & ~511
        while sector + 512 <= first {
            if bytes.allZero(max(sector, offset)..<(sector + 512)) { return true }
            sector += 512
        }
        return false
    }

    /// In a growing segment no marker bounds the part that may be unsynced, and zeros inside a
    /// payload are as often data as a lost sector: a flipped bit in a synced record whose
    /// payload holds 512 zero bytes must not pass for a torn write. What only a lost sector
    /// leaves is a record header of zeros (no writer writes one: its sequence is at least 1).
    /// So: walk the records from the damage by their headers' lengths (a header may be intact
    /// while its payload is not) until a header position holds zeros through the end of its
    /// sector (a header crossing a sector boundary: through the boundary), or a header that
    /// does not decode holds zeros from the boundary it crosses through the end of that
    /// sector — a sector lost from there on — or the walk
    /// reaches `first`, the first intact record after the damage. (A sector lost inside one
    /// long payload, with the next header intact, stays refused: nothing tells it from data.)
    func lostSectorAtAHeader(from offset: Int, before first: Int) -> Bool {
        var at = offset
        while at < first {
            let headerEnd = at + RecordFormat.headerSize
            let boundary = (at & ~511) + 512
            // Zeros from the header on through the end of its sector (at least its first 8
            // bytes, the record checksum and length, never all zero in a written header).
            if min(bytes.count, boundary) - at >= 8 && bytes.allZero(at..<min(bytes.count, boundary)) { return true }
            guard let h = RecordHeader.decode(bytes, at: at), h.length <= maxRecordSize else {
                // A header across a sector boundary whose second part was lost: zeros from the
                // boundary through that sector's end (a header's last bytes, its checksum
                // among them, are never all zero either).
                return boundary < headerEnd && boundary < bytes.count && bytes.allZero(boundary..<min(bytes.count, boundary + 512))
            }
            at += h.storedSize
        }
        return false
    }

    /// The first fully valid record at an aligned offset ≥ `from` whose sequence is at least
    /// `minimumSequence` (data records, group-end markers too with `markers`; with 0, a seal
    /// too).
    ///
    /// Every aligned offset is a candidate, so the cheap tests (header checksum, length bounds,
    /// kind, sequence) run before the payload checksum, and that one goes through `ranges`:
    /// a region of garbage, even of forged headers with valid checksums claiming long
    /// payloads, scans in near-linear time.
    func nextValidRecord(from start: Int, minimumSequence: UInt64, markers: Bool = false) -> (offset: Int, header: RecordHeader)? {
        nextValid(from: start) { h in
            h.kindByte == RecordKind.data.rawValue ? h.sequence >= minimumSequence
                : h.kindByte == RecordKind.groupEnd.rawValue ? markers && h.sequence >= minimumSequence
                : h.kindByte == RecordKind.seal.rawValue && minimumSequence == 0
        }
    }

    /// The first fully valid seal at an aligned offset ≥ `from` sealing at least `minimumSequence`.
    private func nextValidSeal(from start: Int, minimumSequence: UInt64) -> Int? {
        nextValid(from: start) { h in h.kindByte == RecordKind.seal.rawValue && h.sequence >= minimumSequence }?.offset
    }

    /// The search both of those make: `wanted` sees each header that decodes and fits, before
    /// the payload checksum is computed.
    private func nextValid(from start: Int, _ wanted: (RecordHeader) -> Bool) -> (offset: Int, header: RecordHeader)? {
        var o = (start + 7) & ~7
        while o + RecordFormat.headerSize <= bytes.count {
            if let h = RecordHeader.decode(bytes, at: o), h.length <= maxRecordSize, h.storedSize <= bytes.count - o,
               h.sequenceInRange, wanted(h), h.bodyProblem(bytes, at: o, ranges: ranges) == nil {
                return (o, h)
            }
            o += RecordFormat.alignment
        }
        return nil
    }

    /// The highest sequence of any valid data record at or after `from`.
    func highestValidSequence(from start: Int) -> UInt64? {
        var best: UInt64?
        var o = start
        while let found = nextValidRecord(from: o, minimumSequence: 1) {
            best = max(best ?? 0, found.header.sequence)
            o = found.offset + found.header.storedSize
        }
        return best
    }
}
