import Foundation

/// A durable, checksummed, append-only log of byte payloads with snapshots.
///
/// Open it (this locks the directory and recovers), replaying the newest valid snapshot and
/// every record after it; then append. Each record gets the next sequence number at once, so
/// the order of `submit` calls is the order on disk; `append` also waits until the record is
/// durable under the configured `Durability`.
///
/// ```swift
/// var state = MyState()
/// let journal = try Journal.open(directory: "/var/lib/app/journal",
///                                configuration: JournalConfiguration(durability: .always),
///                                snapshot: { state = try MyState(decoding: $0.bytes) },
///                                record: { state.apply($0.payload) })
/// let seq = try await journal.append(mutation.encoded())   // durable when it returns
/// try await journal.writeSnapshot(state.encoded(), lastSequence: seq)
/// try await journal.close()
/// ```
///
/// All writing and syncing happens on one dedicated thread; concurrent appends under
/// `.always` share one `fdatasync` (group commit). A failed write or sync puts the journal into
/// a failed state for good: every waiter and later append gets `JournalError.failed`, and
/// reopening recovers from what is on disk.
public final class Journal: Sendable {
    let core: JournalCore
    let io: any JournalIO
    let crash: CrashPoints
    /// The journal directory.
    public let directory: String
    /// The configuration the journal was opened with.
    public let configuration: JournalConfiguration
    /// What recovery found and did when the journal was opened.
    public let recoveryReport: RecoveryReport
    let journalID: [UInt8]

    private init(core: JournalCore, io: any JournalIO, crash: CrashPoints, directory: String, configuration: JournalConfiguration,
                 report: RecoveryReport, journalID: [UInt8]) {
        self.core = core
        self.io = io
        self.crash = crash
        self.directory = directory
        self.configuration = configuration
        self.recoveryReport = report
        self.journalID = journalID
    }

    deinit {
        // Not closed by its owner: let the I/O thread drain, sync and release the lock.
        let wake = core.state.withLock { s -> Bool in
            let wasOpen = !s.closing
            s.closing = true
            return wasOpen
        }
        if wake { core.wakeIOThread() }
    }

    // MARK: Opening

    /// Opens (creating if needed) the journal in `directory`: takes the lock, removes temporary
    /// files, recovers per `configuration.recovery`, and replays: first `snapshot` with the newest
    /// valid snapshot (if any), then `record` for every record after it, in sequence order.
    ///
    /// - Throws: `JournalError.journalLocked` when another open journal holds the directory;
    ///   `JournalError.corrupted` for damage the recovery mode does not repair (the directory is
    ///   left untouched); `JournalError.io` for system errors; anything `snapshot` or `record`
    ///   throws (the journal is then not opened).
    public static func open(directory: String, configuration: JournalConfiguration = JournalConfiguration(),
                            snapshot: (JournalSnapshot) throws -> Void = { _ in },
                            record: (JournalRecord) throws -> Void) throws -> Journal {
        try open(directory: directory, configuration: configuration, io: PosixJournalIO.shared, crash: CrashPoints.fromEnvironment,
                 snapshot: snapshot, record: record)
    }

    /// `open`, with each record's payload borrowed from the segment being read instead of
    /// copied into an array: for owners in this package that decode records without keeping
    /// the bytes.
    package static func openBorrowing(directory: String, configuration: JournalConfiguration = JournalConfiguration(),
                                      snapshot: (JournalSnapshot) throws -> Void = { _ in },
                                      recordView: (JournalRecordView) throws -> Void) throws -> Journal {
        try open(directory: directory, configuration: configuration, io: PosixJournalIO.shared, crash: CrashPoints.fromEnvironment,
                 snapshot: snapshot, recordView: recordView)
    }

    static func open(directory: String, configuration: JournalConfiguration, io: any JournalIO, crash: CrashPoints,
                     snapshot: (JournalSnapshot) throws -> Void, record: (JournalRecord) throws -> Void) throws -> Journal {
        try open(directory: directory, configuration: configuration, io: io, crash: crash, snapshot: snapshot, recordView: { (v: JournalRecordView) in
            try record(JournalRecord(sequence: v.sequence, timestamp: v.timestamp, tag: v.tag, payload: [UInt8](v.payload)))
        })
    }

    static func open(directory: String, configuration: JournalConfiguration, io: any JournalIO, crash: CrashPoints,
                     snapshot: (JournalSnapshot) throws -> Void, recordView: (JournalRecordView) throws -> Void) throws -> Journal {
        try configuration.validate()
        guard configuration.recovery != .salvage else {
            throw JournalError.invalidArgument("recovery mode .salvage is read-only: use JournalReader.read(directory:mode:) (or `docket journal dump --salvage`) to extract records")
        }
        do {
            return try openLocked(directory: directory, configuration: configuration, io: io, crash: crash, snapshot: snapshot, record: recordView)
        } catch let failure as IOFailure {
            throw failure.journalError
        } catch let unreadable as UnreadableFile {
            // A file replaced (by a directory, say) after recovery first looked at it.
            throw unreadable.journalError
        }
    }

    private static func openLocked(directory: String, configuration: JournalConfiguration, io: any JournalIO, crash: CrashPoints,
                                   snapshot: (JournalSnapshot) throws -> Void, record: (JournalRecordView) throws -> Void) throws -> Journal {
        if try io.makeDirectory(directory) {
            try io.syncDirectoryRetrying(parent(of: directory))
        }
        let lockPath = directory + "/" + JournalFiles.lockName
        let lockFD = try io.open(lockPath, .createIfMissing)
        // Held by another open journal: refused. But a child process that the host process
        // forks (for any reason) shares every descriptor, this lock included, until it execs
        // and `O_CLOEXEC` closes it; a journal closed and reopened meanwhile would be refused.
        // So a busy lock is tried again for up to ~0.25 s before the refusal.
        var wait: UInt32 = 1_000
        while true {
            do {
                try io.lock(lockFD)
                break
            } catch let failure as IOFailure {
                let busy = failure.errno == EWOULDBLOCK || failure.errno == EAGAIN
                if busy && wait <= 128_000 {
                    usleep(wait)
                    wait *= 2
                    continue
                }
                io.close(lockFD)
                if busy { throw JournalError.journalLocked(directory: directory) }
                throw failure
            }
        }
        do {
            // For people looking at the directory; never used for correctness.
            try? io.truncate(lockFD, to: 0)
            try? io.writeAll(lockFD, Array("pid \(getpid())\n".utf8), at: 0, path: lockPath)
            return try recover(directory: directory, configuration: configuration, io: io, crash: crash, lockFD: lockFD,
                               snapshot: snapshot, record: record)
        } catch {
            io.close(lockFD)
            throw error
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func recover(directory: String, configuration: JournalConfiguration, io: any JournalIO, crash: CrashPoints, lockFD: Int32,
                                snapshot: (JournalSnapshot) throws -> Void, record: (JournalRecordView) throws -> Void) throws -> Journal {
        let scan = RecoveryScan(io: io, directory: directory, mode: configuration.recovery)
        var plan = try scan.run(purpose: .recover, onSnapshot: snapshot) { h, payload in
            try record(JournalRecordView(sequence: h.sequence, timestamp: h.timestamp, tag: h.tag, payload: payload))
        }
        if let fatal = plan.fatal { throw JournalError.corrupted(fatal) }

        // Leftovers of interrupted rotations and snapshots.
        for name in plan.report.removedTemporaryFiles { try io.unlink(directory + "/" + name) }
        // Set aside first, truncate after: a crash in between must never leave a cut segment
        // followed by the later segments that continue from what was cut (a log with a hole).
        // Moved aside but not yet cut, the damaged segment is simply the last one again, and
        // the next recovery finds the same anomaly. The directory fsync of the first truncation
        // (after its backup, before the cut) makes the renames durable before any byte goes.
        let movesFirst = plan.repairs.filter { if case .moveAside = $0 { return true } else { return false } }
            + plan.repairs.filter { if case .moveAside = $0 { return false } else { return true } }
        for repair in movesFirst {
            switch repair {
            case .truncate(let file, let offset, let backup, let preallocated):
                let path = directory + "/" + file
                let fd = try io.open(path, .readWrite)
                defer { io.close(fd) }
                var tail = try io.readAll(fd, path: path, from: Int64(offset))
                // A preallocated segment's zeros after the damage are unwritten space (up to a
                // megabyte): the backup keeps the bytes up to the last non-zero one. Elsewhere
                // it is a byte copy. `bytesTruncated` counts everything cut either way.
                if preallocated { tail.removeLast(tail.count - ((tail.lastIndex { $0 != 0 }).map { $0 + 1 } ?? 0)) }
                let backupFD = try io.open(directory + "/" + backup, .createExclusive)
                do {
                    try io.writeAll(backupFD, tail, at: 0, path: backup)
                    try io.fullSyncRetrying(backupFD)
                } catch {
                    io.close(backupFD)
                    throw error
                }
                io.close(backupFD)
                try io.syncDirectoryRetrying(directory)
                try io.truncate(fd, to: Int64(offset))
                try io.dataSyncRetrying(fd)
            case .moveAside(let file, let backup):
                try io.rename(directory + "/" + file, directory + "/" + backup)
            }
        }
        // What recovery read came through the page cache: the previous process may have been
        // killed before that data reached the disk. Make it durable before it counts as synced, before anything new rests on it (a successor
        // segment, acknowledged appends, a snapshot). Only the last two segments can hold
        // unsynced data: a rotation syncs the old segment's seal before its successor is renamed
        // into place, and every earlier open synced these two in turn. The directory fsync makes
        // the entries of a rotation or snapshot the previous process renamed, and the repairs
        // above, durable.
        //
        // Not covered: after a failed fdatasync, Linux may keep the unwritten pages in the cache
        // marked clean. A reopen then reads them as if written, and this sync does not write
        // them again. Dropping the cache before recovery reads would catch that, at the price of
        // reading the tail from disk on every open; the journal documents the gap instead
        // (Docs/journal-format.md, "A failed sync").
        for name in plan.segmentsToSync {
            let fd = try io.open(directory + "/" + name, .readOnly)
            defer { io.close(fd) }
            try io.dataSyncRetrying(fd)
        }
        // Segments a killed retention moved into the archive: where a file system commits
        // directories one by one, the archive's entries need their own sync.
        let archive = directory + "/" + JournalFiles.archiveName
        if try io.list(directory).contains(JournalFiles.archiveName), (try? io.list(archive)) != nil { try io.syncDirectoryRetrying(archive) }
        try io.syncDirectoryRetrying(directory)

        let journalID = plan.journalID ?? newJournalID()
        let lastSequence = plan.report.lastSequence
        // Where appends continue.
        var fd: Int32
        var number: UInt64
        var chained: Bool
        var preallocated: Bool
        var offset: Int64
        var count: UInt64
        func create(_ n: UInt64, first: UInt64) throws {
            let header = SegmentHeader(journalID: journalID, segmentNumber: n, firstSequence: first, previousChain: plan.chain,
                                       createdAt: wallClockNanoseconds(), chained: configuration.hashChain,
                                       preallocated: configuration.preallocates)
            fd = try SegmentWriter.createSegment(io: io, directory: directory, header: header, crash: crash)
            number = n
            chained = configuration.hashChain
            preallocated = configuration.preallocates
            offset = Int64(SegmentHeader.size)
            count = 0
        }
        fd = -1; number = 0; chained = false; preallocated = false; offset = 0; count = 0
        switch plan.tail {
        case .create(let n, let first):
            try create(n, first: first)
        case .afterSeal(let n, let last, let zerosFrom):
            if let zerosFrom {
                // A sealed segment ends with its seal: the zeros a power loss kept go first.
                let sealed = try io.open(directory + "/" + JournalFiles.segmentName(n), .readWrite)
                defer { io.close(sealed) }
                try io.truncate(sealed, to: Int64(zerosFrom))
                try io.dataSyncRetrying(sealed)
            }
            try create(n + 1, first: last + 1)
        case .append(let n, let header, let at, let records):
            let path = directory + "/" + JournalFiles.segmentName(n)
            fd = try io.open(path, .readWrite)
            number = n
            chained = header.chained
            preallocated = header.preallocated
            offset = Int64(at)
            count = records
            // Cut what follows the last record (a torn tail was already backed up; in a
            // preallocated segment, zeros): the writer fills ahead again as it goes.
            do {
                if try io.size(fd) != offset {
                    try io.truncate(fd, to: offset)
                    try io.dataSyncRetrying(fd)
                }
            } catch {
                io.close(fd)
                throw error
            }
            if records == 0 && (header.chained != configuration.hashChain || header.preallocated != configuration.preallocates) {
                // An empty segment with other settings: made again as configured, the new one
                // renamed over it (never unlinked first: with the earlier segments retired, a
                // crash in between would start the numbering over).
                io.close(fd)
                try create(n, first: header.firstSequence)
            }
        }
        if plan.report.chainHead == nil && configuration.hashChain { plan.report.chainHead = plan.chain.hexString }

        var state = JournalCore.State(nextSequence: lastSequence + 1, chainEnabled: configuration.hashChain, chain: plan.chain,
                                      writtenSequence: lastSequence, syncedSequence: lastSequence)
        state.currentSegment = number
        // The snapshot recovery accepted (newer ones were rejected and set aside): a file name
        // alone, such as an empty `snap-ffffffffffffffff.snap`, must not block new snapshots.
        state.newestSnapshot = plan.snapshotSequence
        if plan.report.snapshotFile != nil { state.validSnapshots.insert(plan.snapshotSequence) }
        state.logEndAtOpen = lastSequence
        if configuration.hashChain {
            state.recentChains = Array(repeating: (0, []), count: JournalCore.recentChainCount)
        }
        // A segment continued from before with the other chain or preallocation setting is
        // sealed right away, so every record this instance writes carries (or lacks) the chain
        // hash as configured, and a preallocated segment (whose torn-group rule assumes one
        // unsynced group at a time, as `.always` writes) is never appended to under `.interval`
        // or `.none`.
        state.rotateRequested = count > 0 && (chained != configuration.hashChain || preallocated != configuration.preallocates)
        let core = JournalCore(state: state, durability: configuration.durability, maxRecordSize: configuration.maxRecordSize)
        let writer = SegmentWriter(core: core, io: io, directory: directory, journalID: journalID, configuration: configuration,
                                   crash: crash, lockDescriptor: lockFD, fd: fd, segmentNumber: number, chained: chained,
                                   preallocated: preallocated, offset: offset, recordCount: count, chain: plan.chain, writtenSequence: lastSequence)
        writer.start()
        return Journal(core: core, io: io, crash: crash, directory: directory, configuration: configuration,
                       report: plan.report, journalID: journalID)
    }

    static func newJournalID() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    // MARK: Appending

    /// Assigns the next sequence number to `payload` and queues it for the I/O thread, without
    /// waiting. Call `waitUntilDurable(_:)` with the result to know when it is durable.
    ///
    /// - Parameters:
    ///   - tag: a small type or format tag of the owner's, stored with the record.
    ///   - timestamp: Unix nanoseconds to store (for deterministic replay); default: now.
    /// - Returns: the record's sequence number.
    /// - Throws: `JournalError.recordTooLarge`, `.failed`, `.closed`.
    @discardableResult
    public func submit(_ payload: [UInt8], tag: UInt16 = 0, timestamp: UInt64? = nil) throws -> UInt64 {
        try core.submit(payload, tag: tag, timestamp: timestamp ?? Self.wallClockNanoseconds())
    }

    /// Queues several records with consecutive sequence numbers in one step (nothing else can
    /// interleave) and returns their range. All of them share `tag` and `timestamp`.
    @discardableResult
    public func submit(contentsOf payloads: [[UInt8]], tag: UInt16 = 0, timestamp: UInt64? = nil) throws -> ClosedRange<UInt64> {
        guard !payloads.isEmpty else { throw JournalError.invalidArgument("an empty batch has no sequence numbers") }
        let (first, last) = try core.submit(payloads, tag: tag, timestamp: timestamp ?? Self.wallClockNanoseconds())
        return first...last
    }

    /// Queues several records packed in one buffer: record *i* is `bytes[ends[i-1]..<ends[i]]`
    /// (the first starts at 0, the last `end` is `bytes.count`). Otherwise the same as
    /// `submit(contentsOf:)`, without an array per record.
    ///
    /// ```swift
    /// // Two records, "ab" and "c":
    /// try journal.submit(packed: Array("abc".utf8), ends: [2, 3])
    /// ```
    ///
    /// - Throws: `.invalidArgument` when `ends` is empty, decreasing or does not end at
    ///   `bytes.count`; `.recordTooLarge` for a record over the limit.
    @discardableResult
    public func submit(packed bytes: [UInt8], ends: [Int], tag: UInt16 = 0, timestamp: UInt64? = nil) throws -> ClosedRange<UInt64> {
        let (first, last) = try core.submit(packed: bytes, ends: ends, tag: tag, timestamp: timestamp ?? Self.wallClockNanoseconds())
        return first...last
    }

    /// Waits until `sequence` (and everything before it) is durable under the configured
    /// durability: synced for `.always`, written to the kernel for `.interval` and `.none`.
    ///
    /// - Throws: `JournalError.failed` if a write or sync failed first (the record may or may not
    ///   be on disk; reopen to find out), `.invalidArgument` for a sequence never appended.
    public func waitUntilDurable(_ sequence: UInt64) async throws {
        try await core.wait(for: sequence, needsSync: false)
    }

    /// Appends one record and returns its sequence number once it is durable.
    ///
    /// ```swift
    /// let seq = try await journal.append(Array("hello".utf8), tag: 1)
    /// ```
    @discardableResult
    public func append(_ payload: [UInt8], tag: UInt16 = 0, timestamp: UInt64? = nil) async throws -> UInt64 {
        let seq = try submit(payload, tag: tag, timestamp: timestamp)
        try await core.wait(for: seq, needsSync: false)
        return seq
    }

    /// Appends a batch with consecutive sequence numbers and returns their range once all are
    /// durable (one write and, under `.always`, one shared sync).
    @discardableResult
    public func append(contentsOf payloads: [[UInt8]], tag: UInt16 = 0, timestamp: UInt64? = nil) async throws -> ClosedRange<UInt64> {
        let range = try submit(contentsOf: payloads, tag: tag, timestamp: timestamp)
        try await core.wait(for: range.upperBound, needsSync: false)
        return range
    }

    /// Writes and `fdatasync`s everything submitted so far, whatever the durability.
    public func sync() async throws {
        let last = core.state.withLock { $0.nextSequence - 1 }
        guard last > 0 else { return }
        try await core.wait(for: last, needsSync: true)
    }

    /// The sequence number of the last record submitted (0 when the journal is empty).
    public var lastSequence: UInt64 { core.state.withLock { $0.nextSequence - 1 } }

    /// Whether the journal failed for good (an I/O error, a full disk): every later append
    /// throws, and nothing more becomes durable. Not after a plain `close()`.
    public var hasFailed: Bool { core.state.withLock { $0.failure.map { $0 != .closed } ?? false } }

    /// The highest sequence number known to be durable under the configured durability.
    public var durableSequence: UInt64 { core.state.withLock { JournalCore.acknowledged($0, durability: configuration.durability) } }

    /// With `hashChain` on: the SHA-256 chain hash after the last submitted record, in hex.
    /// Keep it somewhere outside the journal directory; `JournalReader.verify` reports the head
    /// it finds, so any rewrite of the history shows as a different head.
    public var chainHead: String? {
        core.state.withLock { $0.chainEnabled ? $0.chain.hexString : nil }
    }

    /// Counters of the I/O thread, for monitoring and benchmarks.
    public var metrics: JournalMetrics {
        let (metrics, durations) = core.state.withLock { s in
            (JournalMetrics(writes: s.groupCount, syncs: s.syncCount, rotations: s.rotationCount,
                            durableSequence: JournalCore.acknowledged(s, durability: configuration.durability),
                            lastSequence: s.nextSequence - 1), s.syncDurations)
        }
        var result = metrics
        // Sorted outside the lock: appends go on meanwhile.
        (result.syncLatencyP50, result.syncLatencyP99) = JournalMetrics.quantiles(durations)
        return result
    }

    // MARK: Snapshots

    /// Stores `bytes` as a snapshot of the owner's state after `lastSequence`, atomically
    /// (temporary file, fsync, rename, directory fsync) on a thread of its own, so appends go on
    /// meanwhile. It first waits until `lastSequence` is synced, so a snapshot is never ahead of
    /// the log. Afterwards the segment is rotated, only the newest `snapshotsToKeep` snapshots
    /// are kept, and segments that no kept snapshot needs are deleted or archived.
    ///
    /// - Throws: `.closed` once `close()` has begun; `.invalidArgument` if `lastSequence` was not
    ///   appended, is older than the newest snapshot, another snapshot is being written, or
    ///   `bytes` is over 4 GiB; I/O errors (the log is unaffected).
    public func writeSnapshot(_ bytes: [UInt8], lastSequence: UInt64) async throws {
        guard bytes.count <= SnapshotFile.maxBodySize else {
            throw JournalError.invalidArgument("a snapshot of \(bytes.count) bytes exceeds the limit of \(SnapshotFile.maxBodySize) bytes")
        }
        try core.state.withLock { s throws(JournalError) in
            if let failure = s.failure { throw failure }
            // Once close has begun, no new snapshot: close waits only for one already running.
            if s.closing { throw JournalError.closed }
            guard !s.snapshotInProgress else { throw JournalError.invalidArgument("a snapshot is already being written; wait for it to finish") }
            guard lastSequence < s.nextSequence else {
                throw JournalError.invalidArgument("cannot snapshot through sequence \(lastSequence): the last appended is \(s.nextSequence - 1)")
            }
            guard lastSequence >= s.newestSnapshot else {
                throw JournalError.invalidArgument("cannot snapshot through sequence \(lastSequence): a newer snapshot (through \(s.newestSnapshot)) exists")
            }
            s.snapshotInProgress = true
        }
        defer {
            core.state.withLock { $0.snapshotInProgress = false }
            // The I/O thread may be closing and waiting for this snapshot to end.
            core.wakeIOThread()
        }
        var chain = RecoveryScan.zeroHash
        if configuration.hashChain {
            guard let known = core.chainHash(at: lastSequence) else {
                throw JournalError.invalidArgument("sequence \(lastSequence) is too far behind the log (more than \(JournalCore.recentChainCount) records) to know its chain hash; snapshot a recent sequence")
            }
            chain = known
        }
        if lastSequence > 0 { try await core.wait(for: lastSequence, needsSync: true) }
        let file = SnapshotFile(journalID: journalID, lastSequence: lastSequence, chainHash: chain, createdAt: Self.wallClockNanoseconds(),
                                chained: configuration.hashChain, body: bytes)
        let job = SnapshotJob(io: io, directory: directory, configuration: configuration, crash: crash, core: core, journalID: journalID)
        try await job.run(file)
    }

    // MARK: Closing

    /// Writes and syncs everything submitted, waits for a snapshot being written (with its
    /// retention) to end, closes the files and releases the lock. Appends and snapshots after
    /// this has begun throw `JournalError.closed`.
    ///
    /// - Throws: the `JournalError.failed` that stopped the journal, if it failed.
    public func close() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = core.state.withLock { s -> Bool in
                if s.finished { return true }
                s.closing = true
                s.closeWaiters.append(continuation)
                s.ioSleeping = false
                return false
            }
            if done { continuation.resume() } else { core.wakeIOThread() }
        }
        if let failure = core.state.withLock({ $0.failure }), failure != .closed { throw failure }
    }

    // MARK: Clocks

    static func wallClockNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        // A clock set before 1970 reads as 1970 (converting a negative count would trap).
        guard ts.tv_sec >= 0 else { return 0 }
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(clamping: ts.tv_nsec)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
