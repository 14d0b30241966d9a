import Glibc

/// The read phase of recovery: examines a journal directory without changing it, delivers the
/// snapshot and records to replay, and returns a plan (what to repair, where appends continue).
/// `Journal.open` then carries out the plan; `JournalReader` only reports it.
struct RecoveryScan {
    let io: any JournalIO
    let directory: String
    let mode: RecoveryMode
    /// Records are read up to the format's limit, whatever `maxRecordSize` the reader is
    /// configured with: that setting only limits new appends, so a journal written with a
    /// larger one stays readable.
    let maxRecordSize = RecordFormat.maxPayloadSize
    /// Also read the sealed segments that retention moved to `archive/` (read-only purposes
    /// only: recovery never reads or repairs them).
    var includeArchive = false
    /// Sequences whose chain hash the caller wants (`Plan.chains`): `verify` compares each
    /// snapshot's recorded hash with the log's.
    var chainsWanted: Set<UInt64> = []
    /// Set by `JournalReader`, which takes no lock: a live writer may be writing the last
    /// segment while it is read (see `rereadsOfTheLastSegment`).
    var writerMayBeLive = false
    /// How often a reader reads the last segment again when it found damage there that is not
    /// a torn tail and the bytes changed meanwhile. A preallocated segment is written over
    /// zeros: a read that overtakes the writer can take a page before the writer reaches it (zeros,
    /// or half a record) and the next page after (intact records), which looks like damage with
    /// records after it. Reading again shows whether the writer moved; real damage stays put.
    static let rereadsOfTheLastSegment = 5

    init(io: any JournalIO, directory: String, mode: RecoveryMode, includeArchive: Bool = false) {
        self.io = io
        self.directory = directory
        self.mode = mode
        self.includeArchive = includeArchive
    }

    enum Purpose {
        /// Newest usable snapshot, then the records after it (what `Journal.open` replays).
        case recover
        /// Every record from sequence `from` on, from the oldest segment, ignoring snapshots.
        case readAll(from: UInt64)
        /// What `recover` would start from to rebuild the state as of sequence `target`: the
        /// newest usable snapshot at or before it (or none), then the records after it. The
        /// caller stops applying after `target`.
        case recoverAsOf(target: UInt64)

        /// Starts from a snapshot when one is usable.
        var usesSnapshots: Bool {
            if case .readAll = self { return false }
            return true
        }
    }

    /// A change to the directory that recovery needs before appends can continue.
    enum Repair: Equatable {
        /// Back up bytes [offset, end) of `file` to `backup`, then truncate `file` to `offset`.
        /// In a preallocated segment (`preallocated`) the backup stops at the last non-zero
        /// byte: the zeros after it are unwritten space, up to a megabyte of nothing.
        case truncate(file: String, offset: Int, backup: String, preallocated: Bool)
        /// Rename `file` to `backup` (a segment after the point of recovery, or one whose
        /// header never completed).
        case moveAside(file: String, backup: String)
    }

    /// Where appends continue after recovery.
    enum Tail: Equatable {
        /// No segment: start segment `number` with first sequence `firstSequence`.
        case create(number: UInt64, firstSequence: UInt64)
        /// Continue the unsealed segment `number` at `offset`.
        case append(number: UInt64, header: SegmentHeader, offset: Int, recordCount: UInt64)
        /// The last segment `number` is sealed; start the next one.
        /// `zerosFrom`: where zeros a preallocated segment kept after its seal begin (the end of
        /// the seal), when the file is longer: open trims them.
        case afterSeal(number: UInt64, lastSequence: UInt64, zerosFrom: Int? = nil)
    }

    /// A segment that stays in the directory, for retention.
    struct SegmentSpan: Equatable {
        var number: UInt64
        var firstSequence: UInt64
        /// Known for sealed segments.
        var lastSequence: UInt64?
    }

    struct Plan {
        var report: RecoveryReport
        var journalID: [UInt8]?
        var tail: Tail
        var chain: [UInt8]
        var repairs: [Repair] = []
        var segments: [SegmentSpan] = []
        /// The damage recovery may not repair in this mode (`Journal.open` throws it).
        var fatal: JournalCorruption?
        /// The chosen snapshot's sequence (0 for none).
        var snapshotSequence: UInt64 = 0
        var snapshotsPresent: [UInt64] = []
        /// The segments that stay and may hold data the previous process never synced: the
        /// last one and its predecessor (see `Journal.recover`).
        var segmentsToSync: [String] = []
        /// The number a new first segment takes when the only segment was set aside (its
        /// header never completed): its own, so that the numbers go on from the segments
        /// retention archived instead of starting again at 1 below them.
        var numberAfterSetAside: UInt64 = 1
        /// The chain hash after each sequence of `chainsWanted` that a hash-chained segment
        /// holds (or, for the sequence before a chained segment's first, its header's).
        var chains: [UInt64: [UInt8]] = [:]
    }

    private struct SegmentEntry {
        var number: UInt64
        var name: String
        var size: Int
        var header: SegmentHeader?
        var headerProblem: SegmentHeader.HeaderProblem?
        /// Not a regular file, or larger than any segment a writer produces: never read.
        var unreadable = false
    }

    private struct RejectSnapshot: Error {
        var reason: String
        /// Set when the snapshot is ahead of the log: the last sequence the log reaches.
        var logEnd: UInt64?
    }

    static let zeroHash = [UInt8](repeating: 0, count: 32)

    private func path(_ name: String) -> String { directory + "/" + name }

    private func backupName(_ name: String, existing: Set<String>, suffix: String = "") -> String {
        JournalFiles.backupName(name, suffix: suffix, existing: existing)
    }

    func run(purpose: Purpose,
             onSnapshot: (JournalSnapshot) throws -> Void,
             onRecord: (RecordHeader, UnsafeRawBufferPointer) throws -> Void) throws -> Plan {
        let names = try io.list(directory)
        let existing = Set(names)
        var listing = JournalFiles.classify(names)
        if includeArchive, names.contains(JournalFiles.archiveName) {
            // Only what comes before the live segments (retention archives the oldest); an
            // archive that cannot be listed is an error, not a shorter history.
            let archived = try io.list(path(JournalFiles.archiveName))
            let lowestLive = listing.segments.first?.number ?? .max
            // The unbroken run just below the live segments: an older gap (say, a later
            // compaction that deleted instead of archiving) must not hide the live log.
            var older: [(number: UInt64, name: String)] = []  // newest first
            for segment in JournalFiles.classify(archived).segments.reversed() where segment.number < lowestLive {
                if let next = older.last?.number ?? (lowestLive == .max ? nil : lowestLive), segment.number != next - 1 { break }
                older.append(segment)
            }
            listing.segments = older.reversed().map { ($0.number, JournalFiles.archiveName + "/" + $0.name) } + listing.segments
        }
        var report = RecoveryReport(mode: mode)
        report.removedTemporaryFiles = listing.temporary

        var entries: [SegmentEntry] = []
        for segment in listing.segments {
            let fd = try io.open(path(segment.name), .readOnly)
            defer { io.close(fd) }
            do {
                try io.checkReadable(fd, path: path(segment.name), maxSize: RecordFormat.maxSegmentFileSize)
            } catch let unreadable as UnreadableFile {
                // Structural damage: never read, moved aside only by point-in-time recovery.
                entries.append(SegmentEntry(number: segment.number, name: segment.name, size: 0,
                                            headerProblem: .invalid(unreadable.reason), unreadable: true))
                continue
            }
            let size = Int(try io.size(fd))
            let head = try io.readAll(fd, path: path(segment.name), limit: SegmentHeader.size)
            var entry = SegmentEntry(number: segment.number, name: segment.name, size: size)
            switch head.withUnsafeBytes({ SegmentHeader.decode($0) }) {
            case .success(let h): entry.header = h
            case .failure(let p): entry.headerProblem = p
            }
            entries.append(entry)
        }

        var plan = Plan(report: report, journalID: nil, tail: .create(number: 1, firstSequence: 1), chain: Self.zeroHash)
        plan.snapshotsPresent = listing.snapshots.map(\.sequence)
        // A read of the state as of a sequence stops at a structurally bad segment, as a
        // point-in-time recovery does, instead of refusing the whole read: damage after the
        // target does not touch the state as of it (the reader reports the damage when the
        // records before it do not reach the target).
        var cutsAtBadSegment = mode == .pointInTime
        if case .recoverAsOf = purpose { cutsAtBadSegment = true }

        // A last segment shorter than a header is a rotation that died before its header was
        // synced and renamed... which our protocol never renames; still, treat it as torn.
        if let last = entries.last, case .incomplete(let got)? = last.headerProblem {
            let problem = JournalCorruption(file: last.name, offset: got, reason: "segment header incomplete (\(got) of \(SegmentHeader.size) bytes)", isTornTail: true)
            plan.report.anomaly = problem
            if mode == .strict && !cutsAtBadSegment {
                plan.fatal = problem
                return plan
            }
            let backup = backupName(last.name, existing: existing)
            plan.repairs.append(.moveAside(file: last.name, backup: backup))
            plan.report.backupFiles.append(backup)
            plan.report.bytesTruncated += last.size
            entries.removeLast()
            if entries.isEmpty { plan.numberAfterSetAside = last.number }
        }

        // The journal id: the one most segments carry (a foreign segment is the odd one out).
        let journalID = SegmentHeader.journalID(of: entries.compactMap(\.header))
        plan.journalID = journalID

        // Structure: every header valid, named for its number, of this journal, numbers contiguous.
        var usable = entries.count
        if mode != .salvage {
            for (i, e) in entries.enumerated() {
                var reason: String?
                if case .invalid(let why)? = e.headerProblem {
                    reason = why
                } else if case .incomplete(let got)? = e.headerProblem {
                    reason = "segment header incomplete (\(got) of \(SegmentHeader.size) bytes) in a segment that is not the last"
                } else if let h = e.header {
                    if h.segmentNumber != e.number {
                        reason = "file is named for segment \(e.number) but holds segment \(h.segmentNumber) (renamed, duplicated or swapped)"
                    } else if let journalID, h.journalID != journalID {
                        reason = "segment belongs to another journal (id \(h.journalID.hexString), this journal is \(journalID.hexString))"
                    } else if i > 0, e.number != entries[i - 1].number &+ 1 {
                        reason = "segment(s) \(entries[i - 1].number &+ 1)…\(e.number &- 1) missing between \(entries[i - 1].name) and \(e.name)"
                    } else if i > 0, let ph = entries[i - 1].header, h.firstSequence <= ph.firstSequence {
                        reason = "segment starts at sequence \(h.firstSequence), not after its predecessor's first sequence \(ph.firstSequence)"
                    }
                }
                if let reason {
                    let problem = JournalCorruption(file: e.name, offset: 0, reason: reason, isTornTail: false)
                    plan.report.anomaly = plan.report.anomaly ?? problem
                    if cutsAtBadSegment && i > 0 {
                        usable = i
                    } else {
                        plan.fatal = problem
                        return plan
                    }
                    break
                }
            }
        }
        let structuralCut = usable < entries.count
        if structuralCut {
            for e in entries[usable...] {
                let backup = backupName(e.name, existing: existing)
                plan.repairs.append(.moveAside(file: e.name, backup: backup))
                plan.report.backupFiles.append(backup)
            }
        }
        let kept = Array(entries[..<usable])

        // Snapshots, newest first; nil stands for "no snapshot".
        var candidates: [(sequence: UInt64, name: String)?] = []
        switch purpose {
        case .recover: candidates = listing.snapshots.map { Optional($0) }
        case .recoverAsOf(let target): candidates = listing.snapshots.filter { $0.sequence <= target }.map { Optional($0) }
        case .readAll: break
        }
        candidates.append(nil)
        var rejected: [String] = []
        // Rejected snapshot files: set aside (`.broken`) when recovery goes on, so that a later
        // open never picks one of them (a snapshot ahead of the log would become acceptable
        // again once new appends reach its sequence, with different records before it).
        var rejectedFiles: [String] = []
        var ahead: (problem: JournalCorruption, sequence: UInt64)?
        for candidate in candidates {
            var snapshot: SnapshotFile?
            if let candidate {
                let loaded: Result<SnapshotFile, SnapshotFile.SnapshotProblem>
                do {
                    let bytes = try io.readFile(path(candidate.name), maxSize: SnapshotFile.maxFileSize)
                    loaded = bytes.withUnsafeBytes { SnapshotFile.decode($0) }
                } catch let failure as IOFailure {
                    // Gone since the listing: a live journal's retention removed it; the
                    // reader reads again (`isVanishedFile`) instead of calling it damage.
                    if failure.errno == ENOENT { throw failure.journalError }
                    // Unreadable now (EIO, EMFILE, EACCES) is not a bad snapshot: passed over,
                    // not set aside, so a later open can still use it.
                    rejected.append("\(candidate.name): unreadable (\(failure.journalError))")
                    continue
                } catch let unreadable as UnreadableFile {
                    rejected.append("\(candidate.name): \(unreadable.reason)")
                    rejectedFiles.append(candidate.name)
                    continue
                }
                switch loaded {
                case .failure(let p):
                    rejected.append("\(candidate.name): \(p.reason)")
                    rejectedFiles.append(candidate.name)
                    continue
                case .success(let s):
                    if let journalID, s.journalID != journalID {
                        rejected.append("\(candidate.name): belongs to another journal")
                        rejectedFiles.append(candidate.name)
                        continue
                    }
                    if s.lastSequence != candidate.sequence {
                        rejected.append("\(candidate.name): file name disagrees with its header (sequence \(s.lastSequence))")
                        rejectedFiles.append(candidate.name)
                        continue
                    }
                    snapshot = s
                }
            }
            do {
                var attempt = plan
                attempt.report.rejectedSnapshots = rejected
                try replay(from: snapshot, purpose: purpose, entries: kept, structuralCut: structuralCut,
                           existing: existing, plan: &attempt, onSnapshot: onSnapshot, onRecord: onRecord)
                let movedAside = Set(attempt.repairs.compactMap { repair -> String? in
                    if case .moveAside(let file, _) = repair { return file }
                    return nil
                })
                attempt.segmentsToSync = Array(kept.map(\.name).filter { !movedAside.contains($0) }.suffix(2))
                if attempt.fatal == nil, case .recover = purpose {
                    for file in rejectedFiles {
                        let backup = backupName(file, existing: existing)
                        attempt.repairs.append(.moveAside(file: file, backup: backup))
                        attempt.report.backupFiles.append(backup)
                    }
                }
                if let ahead {
                    // Point in time (or salvage): the records between the log's end and the
                    // snapshot existed once (the snapshot was written after they were synced).
                    noteAnomaly(ahead.problem, in: &attempt.report)
                    let end = attempt.report.lastSequence
                    if ahead.sequence > end && !attempt.report.lostSequences.contains(where: { $0.contains(ahead.sequence) }) {
                        if let i = attempt.report.lostSequences.firstIndex(where: { $0.lowerBound == end + 1 }) {
                            attempt.report.lostSequences[i] = (end + 1)...ahead.sequence
                        } else {
                            attempt.report.lostSequences.append((end + 1)...ahead.sequence)
                        }
                    }
                }
                if structuralCut {
                    var highest: UInt64?
                    for e in entries[usable...] {
                        if let h = try highestSequence(in: e) { highest = max(highest ?? 0, h) }
                    }
                    if let highest, highest > attempt.report.lastSequence {
                        attempt.report.lostSequences.append((attempt.report.lastSequence + 1)...highest)
                    }
                }
                return attempt
            } catch let reject as RejectSnapshot {
                guard let candidate else { continue }
                rejected.append("\(candidate.name): \(reject.reason)")
                rejectedFiles.append(candidate.name)
                if let logEnd = reject.logEnd, ahead == nil {
                    // The log lost records it had synced before this snapshot was written: as
                    // serious as mid-log corruption. Only point-in-time recovery goes on (from
                    // an older snapshot, setting this one aside).
                    let problem = JournalCorruption(file: candidate.name, offset: nil,
                        reason: "snapshot covers sequence \(candidate.sequence) but the log ends at \(logEnd): records it covers are missing from the log", isTornTail: false)
                    if mode == .strict || mode == .tolerateTornTail {
                        plan.report.rejectedSnapshots = rejected
                        plan.report.anomaly = problem
                        plan.report.lastSequence = logEnd
                        plan.fatal = problem
                        return plan
                    }
                    ahead = (problem, candidate.sequence)
                }
                continue
            }
        }
        // Not reached (the nil candidate never rejects), but never open silently if it were.
        plan.report.rejectedSnapshots = rejected
        let problem = JournalCorruption(file: directory, offset: nil, reason: "no usable starting point for recovery", isTornTail: false)
        plan.report.anomaly = problem
        plan.fatal = problem
        return plan
    }

    private func highestSequence(in e: SegmentEntry) throws -> UInt64? {
        guard !e.unreadable else { return nil }
        let bytes = try io.readFile(path(e.name), maxSize: RecordFormat.maxSegmentFileSize)
        return bytes.withUnsafeBytes { b -> UInt64? in
            let header = e.header ?? SegmentHeader(journalID: [], segmentNumber: e.number, firstSequence: 0, previousChain: Self.zeroHash, createdAt: 0, chained: false)
            let scanner = SegmentScanner(bytes: b, file: e.name, header: header, isLast: false, maxRecordSize: maxRecordSize, salvage: true)
            return scanner.highestValidSequence(from: min(SegmentHeader.size, b.count))
        }
    }

    private func replay(from snapshot: SnapshotFile?, purpose: Purpose, entries: [SegmentEntry], structuralCut: Bool,
                        existing: Set<String>, plan: inout Plan,
                        onSnapshot: (JournalSnapshot) throws -> Void,
                        onRecord: (RecordHeader, UnsafeRawBufferPointer) throws -> Void) throws {
        let salvage = mode == .salvage
        let snapshotSeq = snapshot?.lastSequence ?? 0
        var deliverFrom: UInt64 = snapshotSeq + 1
        if case .readAll(let from) = purpose { deliverFrom = max(1, from) }

        guard !entries.isEmpty else {
            // No segment at all: a fresh directory, or one whose only segment was never finished.
            if let snapshot {
                guard plan.numberAfterSetAside <= RecordFormat.maxSegmentNumber else {
                    // The log would go on under a number no header can carry (and the next
                    // rotation would overflow): refuse before anything changes.
                    let problem = JournalCorruption(file: JournalFiles.segmentName(plan.numberAfterSetAside), offset: nil,
                        reason: "segment number \(plan.numberAfterSetAside) in the name is out of range (at most \(RecordFormat.maxSegmentNumber)); this file was not written by a journal: move it out of the directory", isTornTail: false)
                    plan.report.anomaly = problem
                    plan.fatal = problem
                    return
                }
                plan.journalID = snapshot.journalID
                plan.tail = .create(number: plan.numberAfterSetAside, firstSequence: snapshot.lastSequence + 1)
                plan.chain = snapshot.chainHash
                noteSnapshot(snapshot, plan: &plan)
                try onSnapshot(JournalSnapshot(lastSequence: snapshot.lastSequence, bytes: snapshot.body, createdAt: snapshot.createdAt))
                plan.report.lastSequence = snapshot.lastSequence
            } else if !plan.snapshotsPresent.isEmpty, purpose.usesSnapshots {
                // Snapshots exist but none is usable and there is no log: opening would start a
                // new, empty journal over the owner's data. Refuse instead.
                let problem = JournalCorruption(file: JournalFiles.snapshotName(plan.snapshotsPresent.max() ?? 0), offset: nil,
                    reason: "no segment files and no usable snapshot (\(plan.snapshotsPresent.count) snapshot file(s) rejected)", isTornTail: false)
                plan.report.anomaly = problem
                plan.fatal = problem
            }
            return
        }

        // Where replay starts: the last segment starting at or before the first needed record.
        var start = 0
        if !salvage {
            if purpose.usesSnapshots {
                guard let first = entries.first?.header, first.firstSequence <= snapshotSeq + 1 else {
                    let firstSeq = entries.first?.header?.firstSequence ?? 0
                    if snapshot != nil {
                        throw RejectSnapshot(reason: "the segments needed to replay after it were removed (the oldest segment starts at sequence \(firstSeq))")
                    }
                    let problem = JournalCorruption(file: entries[0].name, offset: 0,
                        reason: "the oldest segment starts at sequence \(firstSeq) and no usable snapshot covers the sequences before it (segments missing?)", isTornTail: false)
                    plan.report.anomaly = problem
                    plan.fatal = problem
                    return
                }
                for (i, e) in entries.enumerated() where (e.header?.firstSequence ?? .max) <= snapshotSeq + 1 { start = i }
            } else if let first = entries.first?.header, first.firstSequence > 1 {
                // Reading everything: sequences before the oldest segment must be in a snapshot.
                // (`first.firstSequence > 1` here, so the subtraction cannot underflow; snapshot
                // names are not validated yet, so no `+ 1` on them.)
                if plan.snapshotsPresent.max().map({ $0 < first.firstSequence - 1 }) ?? true {
                    let problem = JournalCorruption(file: entries[0].name, offset: 0,
                        reason: "the oldest segment starts at sequence \(first.firstSequence) and no snapshot covers the sequences before it", isTornTail: false)
                    plan.report.anomaly = problem
                    plan.fatal = problem
                    return
                }
                for (i, e) in entries.enumerated() where (e.header?.firstSequence ?? .max) <= deliverFrom { start = i }
            } else {
                for (i, e) in entries.enumerated() where (e.header?.firstSequence ?? .max) <= deliverFrom { start = i }
            }
        }

        // Damage in records the snapshot covers costs no state: outside `.strict`, recovery
        // passes over it (reporting it) instead of refusing to open, or, in `.pointInTime`,
        // cutting the acknowledged records after the snapshot away.
        let passesCoveredDamage = !salvage && mode != .strict && snapshotSeq > 0 && purpose.usesSnapshots
        func passOver(_ damage: JournalCorruption, plan: inout Plan) {
            plan.report.skippedRegions.append(damage)
            plan.report.anomaly = plan.report.anomaly ?? damage
        }

        // Segments before the start: their seals must chain to their successors.
        if !salvage {
            for j in 0..<start {
                if let finding = try checkSeal(entries[j], next: entries[j + 1]) {
                    var problem = finding.problem
                    if passesCoveredDamage && !finding.contradictsNext {
                        problem.reason += " (in a segment the snapshot through sequence \(snapshotSeq) covers: passed over, no state lost)"
                        passOver(problem, plan: &plan)
                        continue
                    }
                    plan.report.anomaly = problem
                    plan.fatal = problem
                    return
                }
            }
        }

        var expected = salvage ? 1 : (entries[start].header?.firstSequence ?? 1)
        var chain = entries[start].header?.previousChain ?? Self.zeroHash
        var snapshotPending = snapshot
        var lastSeq: UInt64 = expected - 1
        var lastTimestamp: UInt64?
        var anyChained = false
        if let s = snapshot, !salvage {
            if s.lastSequence + 1 == expected, s.chained, s.chainHash != chain {
                throw RejectSnapshot(reason: "its chain hash disagrees with the journal at sequence \(s.lastSequence)")
            }
        }

        plan.segments = []
        var tail: Tail = .create(number: entries[start].number, firstSequence: expected)
        /// Refused (or, for a reader, stopped) at damage: the report still says how far the
        /// intact log reaches, and a snapshot that log reaches is still delivered (without it a
        /// reader's state would be empty; with damage before it, it is not, and the report ends
        /// at the damage, so that a state as of a later record shows the damage).
        func endAtFatal(_ plan: inout Plan) throws {
            if let s = snapshotPending {
                if lastSeq >= s.lastSequence {
                    noteSnapshot(s, plan: &plan)
                    try onSnapshot(JournalSnapshot(lastSequence: s.lastSequence, bytes: s.body, createdAt: s.createdAt))
                    snapshotPending = nil
                    plan.report.lastSequence = max(lastSeq, snapshotSeq)
                } else {
                    plan.report.lastSequence = lastSeq
                }
            } else {
                plan.report.lastSequence = max(lastSeq, snapshotSeq)
            }
            plan.report.lastTimestamp = lastTimestamp
        }
        for i in start..<entries.count {
            let e = entries[i]
            let isLast = i == entries.count - 1
            let header = e.header ?? SegmentHeader(journalID: plan.journalID ?? [], segmentNumber: e.number, firstSequence: expected,
                                                   previousChain: chain, createdAt: 0, chained: false)
            if !salvage && i > start {
                var reason: String?
                if header.firstSequence != expected {
                    reason = "segment starts at sequence \(header.firstSequence), but its predecessor ends at \(expected - 1)"
                } else if header.previousChain != chain {
                    reason = "segment's previous-chain hash disagrees with its predecessor (hash chain broken)"
                }
                if let reason {
                    let problem = JournalCorruption(file: e.name, offset: 0, reason: reason, isTornTail: false)
                    try stop(at: problem, segmentIndex: i, entries: entries, existing: existing, plan: &plan)
                    if let prev = plan.segments.last, let last = prev.lastSequence { tail = .afterSeal(number: prev.number, lastSequence: last) }
                    break
                }
            }
            if e.unreadable {
                // Only salvage gets here (the structure check stops the other modes first).
                var reason = "unreadable"
                if case .invalid(let why)? = e.headerProblem { reason = why }
                let problem = JournalCorruption(file: e.name, offset: nil, reason: reason, isTornTail: false)
                plan.report.skippedRegions.append(problem)
                plan.report.anomaly = plan.report.anomaly ?? problem
                continue
            }
            if salvage, let id = plan.journalID, let h = e.header, h.journalID != id {
                // Salvage reads past damage, never another journal's records.
                let problem = JournalCorruption(file: e.name, offset: 0,
                    reason: "segment belongs to another journal (id \(h.journalID.hexString), this journal is \(id.hexString)); skipped", isTornTail: false)
                plan.report.skippedRegions.append(problem)
                plan.report.anomaly = plan.report.anomaly ?? problem
                continue
            }
            if header.chained {
                anyChained = true
                if header.firstSequence > 0, chainsWanted.contains(header.firstSequence - 1) {
                    plan.chains[header.firstSequence - 1] = header.previousChain
                }
            }
            var bytes = try io.readFile(path(e.name), maxSize: RecordFormat.maxSegmentFileSize)
            plan.report.segmentsRead += 1
            func scan(continuing earlier: SegmentScanner.Outcome?) throws -> SegmentScanner.Outcome {
                try bytes.withUnsafeBytes { b -> SegmentScanner.Outcome in
                    let scanner = SegmentScanner(bytes: b, file: e.name, header: header, isLast: isLast && !structuralCut,
                                                 maxRecordSize: maxRecordSize, salvage: salvage,
                                                 coveredThrough: passesCoveredDamage ? snapshotSeq : 0,
                                                 coveredChain: snapshot.flatMap { $0.chained ? $0.chainHash : nil })
                    return try scanner.scan(expectedFirst: expected, chain: chain, continuing: earlier) { h, payload, chainAfter in
                        plan.report.recordsRead += 1
                        // Unchained records too: recovery compares a chained snapshot with the
                        // chain carried through them (just below), so the readers must as well.
                        if chainsWanted.contains(h.sequence) { plan.chains[h.sequence] = chainAfter }
                        if h.sequence == snapshotSeq, let s = snapshotPending, !salvage, s.chained, s.chainHash != chainAfter {
                            throw RejectSnapshot(reason: "its chain hash disagrees with the journal at sequence \(s.lastSequence)")
                        }
                        if h.sequence >= deliverFrom {
                            if let s = snapshotPending {
                                noteSnapshot(s, plan: &plan)
                                try onSnapshot(JournalSnapshot(lastSequence: s.lastSequence, bytes: s.body, createdAt: s.createdAt))
                                snapshotPending = nil
                            }
                            plan.report.recordsReplayed += 1
                            try onRecord(h, payload)
                        }
                    }
                }
            }
            var outcome = try scan(continuing: nil)
            if writerMayBeLive, isLast, !structuralCut, !salvage, outcome.seal == nil, outcome.anomaly?.isTornTail == false {
                for _ in 0..<Self.rereadsOfTheLastSegment {
                    let again = try io.readFile(path(e.name), maxSize: RecordFormat.maxSegmentFileSize)
                    let from = outcome.goodEnd
                    guard again.count >= from, again.count != bytes.count || !again[from...].elementsEqual(bytes[from...]) else { break }
                    bytes = again
                    outcome = try scan(continuing: outcome)
                    if outcome.seal != nil || outcome.anomaly?.isTornTail != false { break }
                }
            }
            for damage in outcome.covered { passOver(damage, plan: &plan) }
            if outcome.recordCount > 0 {
                lastSeq = outcome.lastSequence
                lastTimestamp = outcome.lastTimestamp
            }
            if salvage {
                plan.report.skippedRegions.append(contentsOf: outcome.skipped)
                plan.report.lostSequences.append(contentsOf: outcome.lost)
                if let a = outcome.anomaly { plan.report.skippedRegions.append(a) }
                if plan.report.anomaly == nil { plan.report.anomaly = outcome.skipped.first ?? outcome.anomaly }
                expected = max(expected, outcome.lastSequence + 1)
                continue
            }
            chain = outcome.chain
            let span = SegmentSpan(number: e.number, firstSequence: header.firstSequence, lastSequence: outcome.seal?.lastSequence)
            if var anomaly = outcome.anomaly {
                // Only the end of the whole log can be torn (the scanner classified it).
                if !isLast || structuralCut { anomaly.isTornTail = false }
                plan.segments.append(span)
                try stopAtAnomaly(anomaly, entry: e, outcome: outcome, index: i, entries: entries, existing: existing, plan: &plan)
                if plan.fatal != nil {
                    try endAtFatal(&plan)
                    return
                }
                if outcome.seal != nil {
                    tail = .afterSeal(number: e.number, lastSequence: outcome.lastSequence)
                } else {
                    tail = .append(number: e.number, header: header, offset: outcome.goodEnd, recordCount: outcome.recordCount)
                }
                break
            }
            plan.segments.append(span)
            if !isLast && outcome.seal == nil {
                let problem = JournalCorruption(file: e.name, offset: outcome.goodEnd, reason: "segment ends without a seal although a later segment exists (truncated?)", isTornTail: false)
                try stopAtAnomaly(problem, entry: e, outcome: outcome, index: i, entries: entries, existing: existing, plan: &plan)
                if plan.fatal != nil {
                    try endAtFatal(&plan)
                    return
                }
                tail = .append(number: e.number, header: header, offset: outcome.goodEnd, recordCount: outcome.recordCount)
                break
            }
            if let seal = outcome.seal {
                expected = seal.lastSequence + 1
                tail = .afterSeal(number: e.number, lastSequence: seal.lastSequence, zerosFrom: outcome.goodEnd < e.size ? outcome.goodEnd : nil)
            } else {
                expected = outcome.lastSequence + 1
                tail = .append(number: e.number, header: header, offset: outcome.goodEnd, recordCount: outcome.recordCount)
            }
        }
        if salvage {
            plan.report.lastSequence = expected - 1
            plan.report.lastTimestamp = lastTimestamp
            if let s = snapshotPending, s.lastSequence <= expected - 1 {
                try onSnapshot(JournalSnapshot(lastSequence: s.lastSequence, bytes: s.body, createdAt: s.createdAt))
                noteSnapshot(s, plan: &plan)
            }
            plan.tail = tail
            return
        }
        if let s = snapshotPending {
            if lastSeq < s.lastSequence {
                throw RejectSnapshot(reason: "it covers sequence \(s.lastSequence) but the log ends at \(lastSeq)", logEnd: lastSeq)
            }
            noteSnapshot(s, plan: &plan)
            try onSnapshot(JournalSnapshot(lastSequence: s.lastSequence, bytes: s.body, createdAt: s.createdAt))
        }
        plan.report.lastSequence = max(lastSeq, snapshotSeq)
        plan.report.lastTimestamp = lastTimestamp
        plan.tail = tail
        plan.chain = chain
        if anyChained {
            plan.report.chainVerified = true
            plan.report.chainHead = chain.hexString
        }
    }

    /// Makes `anomaly` the report's anomaly unless it already holds a real one: damage passed
    /// over as covered by the snapshot (`skippedRegions`, outside salvage) gives way to damage
    /// that cost records.
    private func noteAnomaly(_ anomaly: JournalCorruption, in report: inout RecoveryReport) {
        if let current = report.anomaly, mode == .salvage || !report.skippedRegions.contains(current) { return }
        report.anomaly = anomaly
    }

    /// Records in the report which snapshot recovery uses.
    private func noteSnapshot(_ s: SnapshotFile, plan: inout Plan) {
        plan.report.snapshotFile = JournalFiles.snapshotName(s.lastSequence)
        plan.report.snapshotSequence = s.lastSequence
        plan.snapshotSequence = s.lastSequence
    }

    /// Applies the mode to the first anomaly found while reading segment `index`.
    private func stopAtAnomaly(_ anomaly: JournalCorruption, entry e: SegmentEntry, outcome: SegmentScanner.Outcome, index: Int,
                               entries: [SegmentEntry], existing: Set<String>, plan: inout Plan) throws {
        noteAnomaly(anomaly, in: &plan.report)
        let repairable = anomaly.isTornTail ? (mode == .tolerateTornTail || mode == .pointInTime) : mode == .pointInTime
        guard repairable else {
            plan.fatal = anomaly
            return
        }
        if outcome.goodEnd < e.size {
            let backup = backupName(e.name, existing: existing, suffix: ".\(outcome.goodEnd)")
            plan.repairs.append(.truncate(file: e.name, offset: outcome.goodEnd, backup: backup, preallocated: e.header?.preallocated == true))
            plan.report.backupFiles.append(backup)
            plan.report.bytesTruncated += e.size - outcome.goodEnd
        }
        var highest = outcome.highestSequenceAfterAnomaly
        for later in entries[(index + 1)...] {
            let backup = backupName(later.name, existing: existing)
            plan.repairs.append(.moveAside(file: later.name, backup: backup))
            plan.report.backupFiles.append(backup)
            if let h = try highestSequence(in: later) { highest = max(highest ?? 0, h) }
        }
        let lastGood = outcome.recordCount > 0 ? outcome.lastSequence : (outcome.lastSequence)
        if let highest, highest > lastGood {
            plan.report.lostSequences.append((lastGood + 1)...highest)
        }
    }

    /// A structural problem at the start of segment `segmentIndex`: keep everything before it.
    private func stop(at problem: JournalCorruption, segmentIndex: Int, entries: [SegmentEntry],
                      existing: Set<String>, plan: inout Plan) throws {
        noteAnomaly(problem, in: &plan.report)
        guard mode == .pointInTime else {
            plan.fatal = problem
            return
        }
        var highest: UInt64?
        for later in entries[segmentIndex...] {
            let backup = backupName(later.name, existing: existing)
            plan.repairs.append(.moveAside(file: later.name, backup: backup))
            plan.report.backupFiles.append(backup)
            if let h = try highestSequence(in: later) { highest = max(highest ?? 0, h) }
        }
        let lastGood = plan.segments.last?.lastSequence ?? 0
        if let highest, highest > lastGood { plan.report.lostSequences.append((lastGood + 1)...highest) }
    }

    /// Reads only the seal at the end of a segment that the snapshot already covers (in a
    /// preallocated segment, where zeros may follow the seal, the last one before them).
    private func checkSeal(_ e: SegmentEntry, next: SegmentEntry) throws -> SealFinding? {
        guard let header = e.header, let nextHeader = next.header else { return nil }
        let sealSize = SealPayload.storedSize
        guard e.size >= SegmentHeader.size + sealSize else {
            return SealFinding(JournalCorruption(file: e.name, offset: e.size, reason: "segment too short to end with a seal although a later segment exists", isTornTail: false))
        }
        let fd = try io.open(path(e.name), .readOnly)
        defer { io.close(fd) }
        let tailBytes = try io.readAll(fd, path: path(e.name), from: Int64(e.size - sealSize), limit: sealSize)
        let atEnd = tailBytes.withUnsafeBytes { b -> SealFinding? in
            // The file may have shrunk since it was measured: never parse past what was read.
            guard b.count == sealSize else {
                return SealFinding(JournalCorruption(file: e.name, offset: e.size - sealSize, reason: "segment shrank while recovery read it (\(b.count) of the last \(sealSize) bytes left)", isTornTail: false))
            }
            return sealProblem(b, at: e.size - sealSize, e, header: header, next: next, nextHeader: nextHeader)
        }
        guard let atEnd, header.preallocated, tailBytes.last == 0 else { return atEnd }
        // Zeros a preallocated segment kept after its seal (a trim that did not reach the disk).
        do {
            try io.checkReadable(fd, path: path(e.name), maxSize: RecordFormat.maxSegmentFileSize)
        } catch let unreadable as UnreadableFile {
            return SealFinding(JournalCorruption(file: e.name, offset: nil, reason: unreadable.reason, isTornTail: false))
        }
        let whole = try io.readAll(fd, path: path(e.name))
        return whole.withUnsafeBytes { b -> SealFinding? in
            guard let last = b.lastIndex(where: { $0 != 0 }), last >= SegmentHeader.size else { return atEnd }
            var s = max(SegmentHeader.size, (last + 1 - sealSize + 7) & ~7)
            while s <= last && s + sealSize <= b.count {
                let candidate = UnsafeRawBufferPointer(rebasing: b[s..<(s + sealSize)])
                if let h = RecordHeader.decode(candidate, at: 0), h.kindByte == RecordKind.seal.rawValue, h.storedSize == sealSize,
                   h.bodyProblem(candidate, at: 0) == nil {
                    return sealProblem(candidate, at: s, e, header: header, next: next, nextHeader: nextHeader)
                }
                s += RecordFormat.alignment
            }
            return atEnd
        }
    }

    /// What is wrong with the seal of a segment before the one replay starts in.
    struct SealFinding {
        var problem: JournalCorruption
        /// An intact seal that says the next segment is not the one there (another segment
        /// number, sequences overlapping it, another chain hash): two histories meet, which the
        /// snapshot does not make harmless. Otherwise the seal is damaged, missing, or leaves a
        /// gap before the next segment, all in records the snapshot covers.
        var contradictsNext = false

        init(_ problem: JournalCorruption, contradictsNext: Bool = false) {
            self.problem = problem
            self.contradictsNext = contradictsNext
        }
    }

    /// What is wrong with `b` (a seal's bytes, found at `at` in `e`) as the seal leading to `next`.
    private func sealProblem(_ b: UnsafeRawBufferPointer, at: Int, _ e: SegmentEntry, header: SegmentHeader,
                             next: SegmentEntry, nextHeader: SegmentHeader) -> SealFinding? {
        guard let h = RecordHeader.decode(b, at: 0), h.kindByte == RecordKind.seal.rawValue, h.storedSize == SealPayload.storedSize,
              h.bodyProblem(b, at: 0) == nil else {
            return SealFinding(JournalCorruption(file: e.name, offset: at, reason: "segment does not end with a valid seal although a later segment exists", isTornTail: false))
        }
        let seal = SealPayload(b, at: RecordFormat.headerSize)
        guard seal.lastSequence <= RecordFormat.maxSequence, h.sequenceInRange else {
            return SealFinding(JournalCorruption(file: e.name, offset: at, reason: "seal's last sequence \(seal.lastSequence) is out of range (at most \(RecordFormat.maxSequence))", isTornTail: false))
        }
        if seal.nextSegmentNumber != header.segmentNumber &+ 1 || seal.lastSequence + 1 != nextHeader.firstSequence
            || seal.lastSequence + 1 < header.firstSequence {
            let gapOnly = seal.nextSegmentNumber == header.segmentNumber &+ 1 && seal.lastSequence + 1 < nextHeader.firstSequence
                && seal.lastSequence + 1 >= header.firstSequence
            return SealFinding(JournalCorruption(file: e.name, offset: at, reason: "seal (last sequence \(seal.lastSequence)) does not lead to \(next.name) (first sequence \(nextHeader.firstSequence))", isTornTail: false),
                               contradictsNext: !gapOnly)
        }
        if header.chained && seal.chainHash != nextHeader.previousChain {
            return SealFinding(JournalCorruption(file: e.name, offset: at, reason: "seal's chain hash disagrees with \(next.name)'s previous-chain hash", isTornTail: false),
                               contradictsNext: true)
        }
        return nil
    }
}
