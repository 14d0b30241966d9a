#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only access to a journal directory, for tools: it takes no lock and changes nothing,
/// so it can inspect a journal that another process has open (whose newest bytes may then look
/// like a torn tail).
///
/// ```swift
/// let check = try JournalReader.verify(directory: "/var/lib/app/journal")
/// if let problem = check.problems.first { print(problem) }
/// ```
public enum JournalReader {
    /// Reads records in sequence order.
    ///
    /// - Parameters:
    ///   - mode: `.salvage` skips damaged regions and reports each gap; any other mode stops at
    ///     the first anomaly and reports it in `RecoveryReport.anomaly` (nothing is repaired).
    ///   - from: with a sequence number, every record from it on (snapshots ignored); with nil,
    ///     what `Journal.open` would replay: the newest usable snapshot, then the records after it.
    ///   - maxRecordSize: ignored, kept for source compatibility: records are read up to the
    ///     format's limit, so a journal written with a larger `maxRecordSize` stays readable.
    ///   - includeArchive: also read the sealed segments that `Retention.archive` moved to
    ///     `archive/`, so that `from: 1` reaches back to the first record.
    /// - Returns: the report; its `anomaly` is set when damage stopped (or, in salvage, was
    ///   skipped by) the read.
    public static func read(directory: String, mode: RecoveryMode = .strict, from: UInt64? = nil,
                            maxRecordSize: Int = JournalConfiguration().maxRecordSize, includeArchive: Bool = false,
                            snapshot: (JournalSnapshot) throws -> Void = { _ in },
                            record: (JournalRecord) throws -> Void) throws -> RecoveryReport {
        try readBorrowing(directory: directory, mode: mode, from: from, includeArchive: includeArchive, snapshot: snapshot,
                          recordView: { (v: JournalRecordView) in
            try record(JournalRecord(sequence: v.sequence, timestamp: v.timestamp, tag: v.tag, payload: [UInt8](v.payload)))
        })
    }

    /// What rebuilds the state as it was at sequence `asOf`, for audits: the newest usable
    /// snapshot covering at most that sequence (none if there is none), then the records after
    /// it up to and including `asOf` — never a record past it.
    ///
    /// ```swift
    /// // The state as of record 1,000, from the live and the archived segments:
    /// try JournalReader.read(directory: dir, asOf: 1_000, includeArchive: true, snapshot: load, record: apply)
    /// ```
    ///
    /// The report's `lastSequence` is the last record delivered. Reading the older states
    /// needs the segments since a snapshot before them: keep them with `Retention.archive`.
    public static func read(directory: String, asOf sequence: UInt64, mode: RecoveryMode = .strict, includeArchive: Bool = false,
                            snapshot: (JournalSnapshot) throws -> Void = { _ in },
                            record: (JournalRecord) throws -> Void) throws -> RecoveryReport {
        try readBorrowing(directory: directory, mode: mode, asOf: sequence, includeArchive: includeArchive, snapshot: snapshot,
                          recordView: { (v: JournalRecordView) in
            try record(JournalRecord(sequence: v.sequence, timestamp: v.timestamp, tag: v.tag, payload: [UInt8](v.payload)))
        })
    }

    /// `read`, with each record's payload borrowed from the segment being read (valid during
    /// the call only) instead of copied into an array.
    package static func readBorrowing(directory: String, mode: RecoveryMode = .strict, from: UInt64? = nil, asOf: UInt64? = nil,
                                      includeArchive: Bool = false,
                                      snapshot: (JournalSnapshot) throws -> Void = { _ in },
                                      recordView: (JournalRecordView) throws -> Void) throws -> RecoveryReport {
        try readWithChains(directory: directory, mode: mode, from: from, asOf: asOf, includeArchive: includeArchive,
                           snapshot: snapshot, recordView: recordView).report
    }

    /// `readBorrowing`, also returning the chain hash after each sequence of `chainsWanted`
    /// that the read met in a hash-chained segment.
    static func readWithChains(directory: String, mode: RecoveryMode = .strict, from: UInt64? = nil, asOf: UInt64? = nil,
                               includeArchive: Bool = false, chainsWanted: Set<UInt64> = [],
                               snapshot: (JournalSnapshot) throws -> Void = { _ in },
                               recordView: (JournalRecordView) throws -> Void) throws -> (report: RecoveryReport, chains: [UInt64: [UInt8]]) {
        var scan = RecoveryScan(io: PosixJournalIO.shared, directory: directory, mode: mode, includeArchive: includeArchive)
        scan.writerMayBeLive = true
        scan.chainsWanted = chainsWanted
        let purpose: RecoveryScan.Purpose = asOf.map { .recoverAsOf(target: $0) } ?? from.map { .readAll(from: $0) } ?? .recover
        var delivered = 0
        var deliveredTimestamp: UInt64?
        do {
            let plan = try scan.run(purpose: purpose, onSnapshot: snapshot) { h, payload in
                // Past the target the scan goes on (checking, not delivering) to the end.
                if let asOf, h.sequence > asOf { return }
                delivered += 1
                deliveredTimestamp = h.timestamp
                try recordView(JournalRecordView(sequence: h.sequence, timestamp: h.timestamp, tag: h.tag, payload: payload))
            }
            var report = plan.report
            report.removedTemporaryFiles = []
            report.backupFiles = []
            if let fatal = plan.fatal { report.anomaly = fatal }
            if let asOf {
                // Damage after the target does not touch the state as of it. Records lost before
                // it (skipped by `.salvage`) do, though the read went on past the target.
                if report.lastSequence >= asOf, !report.lostSequences.contains(where: { $0.lowerBound <= asOf }) { report.anomaly = nil }
                report.lastSequence = min(report.lastSequence, asOf)
                report.recordsReplayed = delivered
                report.lastTimestamp = deliveredTimestamp
            }
            return (report, plan.chains)
        } catch let failure as IOFailure {
            throw failure.journalError
        } catch let unreadable as UnreadableFile {
            throw unreadable.journalError
        }
    }

    /// Checks every segment (headers, checksums, sequence continuity, seals, the hash chain) and
    /// every snapshot, without changing anything. With `includeArchive`, the segments kept in
    /// `archive/` are checked too, so the hash chain is verified from the first record on.
    public static func verify(directory: String, maxRecordSize: Int = JournalConfiguration().maxRecordSize,
                              includeArchive: Bool = false) throws -> JournalVerification {
        try verify(directory: directory, maxRecordSize: maxRecordSize, includeArchive: includeArchive, progress: { _ in })
    }

    /// `verify` calling `progress` with the sequence of each record read (the command line's
    /// progress line).
    package static func verify(directory: String, maxRecordSize: Int = JournalConfiguration().maxRecordSize, includeArchive: Bool = false,
                               progress: (UInt64) -> Void) throws -> JournalVerification {
        try againIfAFileVanished { _ in
            try verifyOnce(directory: directory, maxRecordSize: maxRecordSize, includeArchive: includeArchive, progress: progress)
        }
    }

    /// Runs a whole read again (up to three times in all) when a file it listed was gone when
    /// it opened it: a live journal's retention deleted or archived a segment or snapshot in
    /// between. Only for reads whose callers can start over (or go on from what they got);
    /// `attempt` is 1, 2, 3.
    package static func againIfAFileVanished<T>(_ body: (_ attempt: Int) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body(attempt)
            } catch let error as JournalError where error.isVanishedFile && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func verifyOnce(directory: String, maxRecordSize: Int, includeArchive: Bool,
                                   progress: (UInt64) -> Void) throws -> JournalVerification {
        var firstSequence: UInt64?
        var firstTimestamp: UInt64?
        // The snapshots listed now; one written after the listing is not compared.
        let snapshotSequences = Set(JournalFiles.classify(try listing(directory)).snapshots.map(\.sequence))
        let (report, chains) = try readWithChains(directory: directory, mode: .strict, from: 1, includeArchive: includeArchive,
                                                  chainsWanted: snapshotSequences) { r in
            progress(r.sequence)
            if firstSequence == nil {
                firstSequence = r.sequence
                firstTimestamp = r.timestamp
            }
        }
        var problems: [JournalCorruption] = []
        if let anomaly = report.anomaly { problems.append(anomaly) }
        let names = try listing(directory)
        let files = JournalFiles.classify(names)
        var snapshotsChecked = 0
        var headers: [(name: String, header: SegmentHeader)] = []
        for segment in files.segments {
            let bytes = try readHeader(directory + "/" + segment.name)
            if case .success(let h) = bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) { headers.append((segment.name, h)) }
        }
        let journalID = SegmentHeader.journalID(of: headers.map(\.header))
        // Every foreign segment, not only the first structural problem the read stopped at.
        if let journalID {
            for (name, h) in headers where h.journalID != journalID && !problems.contains(where: { $0.file == name }) {
                problems.append(JournalCorruption(file: name, offset: 0,
                    reason: "segment belongs to another journal (id \(h.journalID.hexString), this journal is \(journalID.hexString))", isTornTail: false))
            }
        }
        for snap in files.snapshots {
            snapshotsChecked += 1
            let bytes: [UInt8]
            do {
                bytes = try PosixJournalIO.shared.readFile(directory + "/" + snap.name, maxSize: SnapshotFile.maxFileSize)
            } catch let unreadable as UnreadableFile {
                problems.append(JournalCorruption(file: snap.name, offset: nil, reason: unreadable.reason, isTornTail: false))
                continue
            } catch let failure as IOFailure {
                throw failure.journalError
            }
            switch bytes.withUnsafeBytes({ SnapshotFile.decode($0) }) {
            case .failure(let p):
                problems.append(JournalCorruption(file: snap.name, offset: nil, reason: p.reason, isTornTail: false))
            case .success(let s):
                if let journalID, s.journalID != journalID {
                    problems.append(JournalCorruption(file: snap.name, offset: nil, reason: "snapshot belongs to another journal", isTornTail: false))
                } else if s.lastSequence != snap.sequence {
                    problems.append(JournalCorruption(file: snap.name, offset: nil, reason: "file name disagrees with the snapshot's sequence \(s.lastSequence)", isTornTail: false))
                } else if s.lastSequence > report.lastSequence {
                    problems.append(JournalCorruption(file: snap.name, offset: nil, reason: "snapshot covers sequence \(s.lastSequence) but the log ends at \(report.lastSequence)", isTornTail: false))
                } else if s.chained, let logChain = chains[s.lastSequence], logChain != s.chainHash {
                    // What recovery checks before it starts from a snapshot: one of another
                    // history (a copy from elsewhere, or edited) would be set aside there.
                    problems.append(JournalCorruption(file: snap.name, offset: nil,
                        reason: "snapshot's chain hash disagrees with the log at sequence \(s.lastSequence) (it belongs to another history)", isTornTail: false))
                }
            }
        }
        return JournalVerification(problems: problems, report: report, segments: files.segments.count, snapshots: snapshotsChecked,
                                   firstSequence: firstSequence, firstTimestamp: firstTimestamp)
    }

    /// Counts and sizes of a journal directory, reading every record once.
    public static func statistics(directory: String, maxRecordSize: Int = JournalConfiguration().maxRecordSize) throws -> JournalStatistics {
        try statistics(directory: directory, maxRecordSize: maxRecordSize, progress: { _ in })
    }

    /// `statistics` calling `progress` with the sequence of each record read.
    package static func statistics(directory: String, maxRecordSize: Int = JournalConfiguration().maxRecordSize,
                                   progress: (UInt64) -> Void) throws -> JournalStatistics {
        try againIfAFileVanished { _ in try statisticsOnce(directory: directory, maxRecordSize: maxRecordSize, progress: progress) }
    }

    private static func statisticsOnce(directory: String, maxRecordSize: Int, progress: (UInt64) -> Void) throws -> JournalStatistics {
        var stats = JournalStatistics()
        let report = try read(directory: directory, mode: .strict, from: 1, maxRecordSize: maxRecordSize) { r in
            progress(r.sequence)
            if stats.records == 0 {
                stats.firstSequence = r.sequence
                stats.firstTimestamp = r.timestamp
            }
            stats.records += 1
            stats.payloadBytes += r.payload.count
            stats.lastSequence = r.sequence
            stats.lastTimestamp = r.timestamp
        }
        stats.anomaly = report.anomaly
        stats.chainHead = report.chainHead
        let files = JournalFiles.classify(try listing(directory))
        let io = PosixJournalIO.shared
        do {
            func size(_ name: String) throws -> Int {
                let fd = try io.open(directory + "/" + name, .readOnly)
                defer { io.close(fd) }
                return Int(try io.size(fd))
            }
            for s in files.segments { stats.segmentBytes += try size(s.name) }
            for s in files.snapshots { stats.snapshotBytes += try size(s.name) }
            if let archived = try? io.list(directory + "/" + JournalFiles.archiveName) {
                stats.archivedSegments = archived.filter { JournalFiles.segmentNumber($0) != nil }.count
            }
        } catch let failure as IOFailure {
            throw failure.journalError
        }
        stats.segments = files.segments.count
        stats.snapshots = files.snapshots.count
        stats.newestSnapshotSequence = files.snapshots.first?.sequence
        // From the newest segment's header: known even when damage ended the read early.
        if let newest = files.segments.last,
           case .success(let h) = try readHeader(directory + "/" + newest.name).withUnsafeBytes({ SegmentHeader.decode($0) }) {
            stats.hashChained = h.chained
        }
        return stats
    }

    private static func listing(_ directory: String) throws -> [String] {
        do { return try PosixJournalIO.shared.list(directory) } catch let failure as IOFailure { throw failure.journalError }
    }

    /// The first bytes of a segment (its header), however large or odd the file.
    private static func readHeader(_ path: String) throws -> [UInt8] {
        let io = PosixJournalIO.shared
        do {
            let fd = try io.open(path, .readOnly)
            defer { io.close(fd) }
            guard try io.isRegularFile(fd) else { return [] }
            return try io.readAll(fd, path: path, limit: SegmentHeader.size)
        } catch let failure as IOFailure {
            throw failure.journalError
        }
    }
}

/// The result of `JournalReader.verify`.
public struct JournalVerification: Sendable {
    /// Every problem found; empty when the journal is clean. The first one is the first damage in
    /// the log (segment file, offset, reason); snapshot problems follow.
    public var problems: [JournalCorruption]
    /// What reading the whole log found (records, last sequence, chain head).
    public var report: RecoveryReport
    /// Segment files present.
    public var segments: Int
    /// Snapshot files checked.
    public var snapshots: Int
    /// The first sequence number in the log, when it holds records.
    public var firstSequence: UInt64?
    /// When that record was written (Unix ns).
    public var firstTimestamp: UInt64?

    /// True when nothing is wrong.
    public var isClean: Bool { problems.isEmpty }
}

/// Counts and sizes of a journal directory (`JournalReader.statistics`).
public struct JournalStatistics: Sendable {
    /// Segment files in the directory.
    public var segments = 0
    /// Segment files in `archive/`.
    public var archivedSegments = 0
    /// Snapshot files.
    public var snapshots = 0
    /// The newest snapshot's last sequence.
    public var newestSnapshotSequence: UInt64?
    /// Readable records in the segments.
    public var records = 0
    /// Payload bytes of those records.
    public var payloadBytes = 0
    /// Bytes of all segment files.
    public var segmentBytes = 0
    /// Bytes of all snapshot files.
    public var snapshotBytes = 0
    /// First and last sequence numbers in the segments.
    public var firstSequence: UInt64?
    /// The last sequence number in the segments.
    public var lastSequence: UInt64?
    /// Unix nanoseconds of the first record.
    public var firstTimestamp: UInt64?
    /// Unix nanoseconds of the last record.
    public var lastTimestamp: UInt64?
    /// Damage that stopped the count early, if any.
    public var anomaly: JournalCorruption?
    /// The chain head (hex) when the log carries a hash chain.
    public var chainHead: String?
    /// Whether the newest segment is written with the hash chain (read from its header, so
    /// known even when damage stops the read).
    public var hashChained = false
}
