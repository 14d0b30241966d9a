import Foundation
import Synchronization

/// The journal's dedicated I/O thread: drains the pending buffer with one write and (per the
/// durability) one `fdatasync` per group, rotates segments, and resumes waiters. Blocking
/// system calls never run on Swift's cooperative pool.
///
/// `@unchecked Sendable`: the mutable properties (descriptor, offsets, counters) are touched only
/// by the I/O thread, which is started once in `start()` after `init` finished; everything shared
/// with other threads goes through `core` (a `Mutex`) or is immutable.
final class SegmentWriter: @unchecked Sendable {
    let core: JournalCore
    let io: any JournalIO
    let directory: String
    let journalID: [UInt8]
    let configuration: JournalConfiguration
    let crash: CrashPoints
    let lockDescriptor: Int32

    private var fd: Int32
    private var segmentNumber: UInt64
    private var segmentChained: Bool
    /// Whether the current segment's header says it is preallocated: zeros after the records
    /// are unwritten space, and every group ends with a group-end marker.
    private var segmentMarksGroups: Bool
    /// Whether the writer fills the current segment ahead: a preallocated segment, written
    /// under a configuration that preallocates, and no fill has failed in it.
    private var segmentPreallocated: Bool
    private var offset: Int64
    /// The end of what the file holds (records, then zeros when preallocated); writes below it
    /// overwrite allocated blocks, so their fdatasync need not commit a new file size.
    private var fileEnd: Int64
    /// Bytes per write, averaged over the last few (exponentially): zeros are worth writing
    /// only while writes are small (see `fillAhead`).
    private var averageChunk: Int = 0
    /// Reused for a group and its end marker.
    private var scratch: [UInt8] = []
    private var recordCount: UInt64
    /// The chain hash after the last record written (zeros until a chained record is written).
    private var writtenChain: [UInt8]
    private var writtenSequence: UInt64
    private var lastSync: UInt64 = Journal.monotonicNanoseconds()
    /// How long the last fdatasync took: what gathering stragglers may spend is a fraction of it.
    private var lastSyncDuration: UInt64 = 0
    /// Waiters resumed by the last sync and the bytes that sync covered: under `.always`, that
    /// many appenders are about to append again.
    private var lastResumed = 0
    private var lastGroupBytes = 0

    init(core: JournalCore, io: any JournalIO, directory: String, journalID: [UInt8], configuration: JournalConfiguration,
         crash: CrashPoints, lockDescriptor: Int32, fd: Int32, segmentNumber: UInt64, chained: Bool, preallocated: Bool, offset: Int64,
         recordCount: UInt64, chain: [UInt8], writtenSequence: UInt64) {
        self.core = core
        self.io = io
        self.directory = directory
        self.journalID = journalID
        self.configuration = configuration
        self.crash = crash
        self.lockDescriptor = lockDescriptor
        self.fd = fd
        self.segmentNumber = segmentNumber
        self.segmentChained = chained
        self.segmentMarksGroups = preallocated
        self.segmentPreallocated = preallocated && configuration.preallocates
        self.offset = offset
        self.fileEnd = offset
        self.recordCount = recordCount
        self.writtenChain = chain
        self.writtenSequence = writtenSequence
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "docket-journal-io"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private var segmentPath: String { directory + "/" + JournalFiles.segmentName(segmentNumber) }

    /// Creates segment `number` atomically (temporary file, header, sync, rename, directory sync)
    /// and returns its descriptor, positioned after the header.
    static func createSegment(io: any JournalIO, directory: String, header: SegmentHeader, crash: CrashPoints,
                              beforeRename: () throws -> Void = {}) throws -> Int32 {
        guard header.segmentNumber <= RecordFormat.maxSegmentNumber else {
            throw JournalError.failed(reason: "segment numbers are exhausted: the next segment would be number \(header.segmentNumber), past the format's limit \(RecordFormat.maxSegmentNumber)")
        }
        let name = JournalFiles.segmentName(header.segmentNumber)
        let temp = directory + "/" + name + ".tmp"
        try? io.unlink(temp)
        let fd = try io.open(temp, .createExclusive)
        do {
            try io.writeAll(fd, header.bytes, at: 0, path: temp)
            try io.dataSyncRetrying(fd)
            crash.hit(.rotateAfterTemp)
            try beforeRename()
            try io.rename(temp, directory + "/" + name)
            crash.hit(.rotateAfterRename)
            try io.syncDirectoryRetrying(directory)
        } catch {
            io.close(fd)
            throw error
        }
        return fd
    }

    private func run() {
        while true {
            gatherStragglers()
            var group: [UInt8] = []
            var shouldExit = false
            var rotate = false
            var forceSync = false
            var sleepFor: UInt64?? = nil
            core.state.withLock { s in
                if s.failure != nil {
                    shouldExit = true
                    return
                }
                rotate = s.rotateRequested
                s.rotateRequested = false
                if !s.pending.isEmpty {
                    if s.pending.count <= configuration.maxGroupBytes {
                        group = s.pending
                        s.pending = s.spare
                        s.pending.removeAll(keepingCapacity: true)
                        s.spare = []
                    } else {
                        let cut = Self.cut(s.pending, limit: configuration.maxGroupBytes)
                        group = Array(s.pending[..<cut])
                        s.pending.removeSubrange(..<cut)
                    }
                }
                forceSync = s.syncRequestedThrough > s.syncedSequence || s.closing
                if group.isEmpty && !rotate {
                    if s.closing {
                        shouldExit = true
                        return
                    }
                    let unsynced = s.writtenSequence > s.syncedSequence
                    if forceSync && unsynced { return }
                    if case .interval(let ms) = configuration.durability, unsynced {
                        let due = lastSync &+ UInt64(ms) * 1_000_000
                        let now = Journal.monotonicNanoseconds()
                        if now >= due { forceSync = true; return }
                        sleepFor = .some(due - now)
                    } else {
                        sleepFor = .some(nil)
                    }
                    s.ioSleeping = true
                }
            }
            if shouldExit { break }
            if let timeout = sleepFor {
                core.sleepIOThread(timeoutNanoseconds: timeout)
                continue
            }
            do {
                // Rotate first: records submitted after a snapshot (or after reopening with
                // another chain setting) belong in the new segment.
                if rotate { try rotateSegment() }
                if !group.isEmpty {
                    try writeGroup(group)
                    group.removeAll(keepingCapacity: true)
                    core.state.withLock { s in if s.spare.capacity < group.capacity { s.spare = group } }
                }
                let wantSync: Bool
                switch configuration.durability {
                case .always: wantSync = true
                case .interval(let ms): wantSync = forceSync || Journal.monotonicNanoseconds() &- lastSync >= UInt64(ms) * 1_000_000
                case .none: wantSync = forceSync
                }
                if wantSync { try syncSegment() }
            } catch let error as JournalError {
                core.fail(error)
                break
            } catch let failure as IOFailure {
                core.fail(.failed(reason: "\(failure.journalError)"))
                break
            } catch {
                core.fail(.failed(reason: "\(error)"))
                break
            }
        }
        finish()
    }

    /// Group commit under `.always`: right after a sync resumed several appenders, only the
    /// fastest of them have appended again. Waiting while they keep arriving (until the last
    /// group's size plus what was already waiting is reached, nothing new came for a quarter of
    /// the last sync's time, or one sync's time passed) makes the next
    /// group, and so the records per fdatasync, much larger, at a latency cost below one sync.
    /// A lone appender never waits.
    private func gatherStragglers() {
        guard configuration.durability == .always, lastResumed >= 4 else { return }
        // The appenders just resumed, plus those that arrived during the sync: without the
        // latter, two halves of the appenders alternate in groups of half the size forever
        // (each sync waits only for its own half), doubling the syncs per record.
        let waiting = core.state.withLock { $0.pending.count }
        let expected = lastGroupBytes + waiting
        lastResumed = 0
        // On a loaded machine resumed appenders come back more slowly; a slow disk makes
        // waiting for them cheap in comparison. So the quiet time that ends the wait is a
        // quarter of the last sync (30…150 µs), and the whole wait at most one sync (≤ 300 µs).
        let quiet = min(max(30_000, lastSyncDuration / 4), 150_000)
        let limit = min(max(quiet, lastSyncDuration), 300_000)
        let start = Journal.monotonicNanoseconds()
        var lastCount = -1
        var lastChange = start
        while true {
            let (count, stop) = core.state.withLock { ($0.pending.count, $0.failure != nil || $0.closing) }
            let now = Journal.monotonicNanoseconds()
            if stop || count >= expected || now &- start > limit { return }
            if count != lastCount {
                lastCount = count
                lastChange = now
            } else if now &- lastChange > quiet {
                return
            }
            // Give the CPU to the appenders (two cores: they may need this one).
            sched_yield()
        }
    }

    /// The largest prefix of whole records not exceeding `limit` bytes (at least one record).
    static func cut(_ buffer: [UInt8], limit: Int) -> Int {
        buffer.withUnsafeBytes { b in
            var o = 0
            while o < b.count {
                let size = RecordFormat.storedSize(payload: Int(b.le32(o + 4)), chained: b[o + 25] & RecordFormat.flagChained != 0)
                if o > 0 && o + size > limit { break }
                o += size
            }
            return o
        }
    }

    /// Writes a group of encoded records, splitting it at record boundaries where a segment
    /// fills up (a segment always takes at least one record, however large).
    private func writeGroup(_ group: [UInt8]) throws {
        var start = 0
        while start < group.count {
            let room = configuration.segmentSize - Int(offset) - (segmentMarksGroups ? RecordFormat.groupEndSize : 0)
            var end = start
            var count: UInt64 = 0
            var lastSeq = writtenSequence
            var lastChain: [UInt8]?
            group.withUnsafeBytes { b in
                while end < b.count {
                    let length = Int(b.le32(end + 4))
                    let chained = b[end + 25] & RecordFormat.flagChained != 0
                    let size = RecordFormat.storedSize(payload: length, chained: chained)
                    if end + size - start > room && !(recordCount == 0 && count == 0) { break }
                    lastSeq = b.le64(end + 8)
                    if chained {
                        let at = end + RecordFormat.headerSize + length
                        lastChain = Array(b[at..<(at + 32)])
                    }
                    count += 1
                    end += size
                }
            }
            if count == 0 {
                try rotateSegment()
                continue
            }
            lastGroupBytes = end - start
            try group.withUnsafeBytes { b in
                try writeChunk(UnsafeRawBufferPointer(rebasing: b[start..<end]), count: count, lastSeq: lastSeq, lastChain: lastChain)
            }
            start = end
        }
    }

    private func writeChunk(_ chunk: UnsafeRawBufferPointer, count: UInt64, lastSeq: UInt64, lastChain: [UInt8]?) throws {
        crash.hit(.beforeWrite)
        do {
            if crash.reached(.midRecord) {
                try io.writeAll(fd, UnsafeRawBufferPointer(rebasing: chunk[..<max(1, chunk.count / 2)]), at: offset, path: segmentPath)
                crash.die()
            }
            if segmentMarksGroups {
                // The group and its end marker; small groups in one write (one copy is cheaper
                // than a second system call), large ones in two.
                var noChain: [UInt8]?
                scratch.removeAll(keepingCapacity: true)
                if chunk.count <= Self.largestCopiedGroup { scratch.append(contentsOf: chunk) }
                let markerAt = scratch.count
                // The marker's timestamp field holds the group's first sequence.
                RecordFormat.encode(into: &scratch, kind: .groupEnd, sequence: lastSeq, timestamp: writtenSequence &+ 1,
                                    tag: 0, payload: UnsafeRawBufferPointer(start: nil, count: 0), chain: &noChain)
                if markerAt == 0 {
                    try io.writeAll(fd, chunk, at: offset, path: segmentPath)
                    try io.writeAll(fd, scratch, at: offset + Int64(chunk.count), path: segmentPath)
                } else {
                    try io.writeAll(fd, scratch, at: offset, path: segmentPath)
                }
            } else {
                try io.writeAll(fd, chunk, at: offset, path: segmentPath)
            }
        } catch {
            // Roll back to the last good offset so no partial record stays behind.
            try? io.truncate(fd, to: offset)
            fileEnd = offset
            // The groups written before were acknowledged on being written (`.interval`,
            // `.none`): make them durable before the journal fails, as the interval promised
            // (a failed journal syncs nothing more). This is the first sync after the failed
            // write, not a retried one; if it fails too, it fails as any sync does.
            try? syncSegment()
            let reason = (error as? IOFailure)?.journalError.description ?? "\(error)"
            throw JournalError.failed(reason: "write failed, rolled back to offset \(offset) of \(JournalFiles.segmentName(segmentNumber)): \(reason)")
        }
        crash.hit(.afterWrite)
        offset += Int64(chunk.count + (segmentMarksGroups ? RecordFormat.groupEndSize : 0))
        averageChunk += (chunk.count - averageChunk) / 8
        let crossed = offset > fileEnd
        if crossed { fileEnd = offset }
        recordCount += count
        writtenSequence = lastSeq
        if let lastChain { writtenChain = lastChain }
        let ready = core.state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.writtenSequence = lastSeq
            s.groupCount += 1
            return configuration.durability == .always ? [] : JournalCore.takeReady(&s, durability: configuration.durability)
        }
        for c in ready { c.resume() }
        if crossed && segmentPreallocated && averageChunk <= Self.largestFilledChunk { try fillAhead() }
    }

    /// Writes zeros from the end of the records on, one preallocation step past it but not past
    /// the segment size, so the next appends overwrite allocated blocks. Their cost — these
    /// bytes, and the new size, in the next sync — is paid once per step.
    ///
    /// A full disk (or quota, or file size limit) costs only the speed-up: the records are
    /// written, zeros are harmless wherever they stop, and the rest of this segment grows as
    /// without preallocation. Any other error fails the journal, as a failed write does.
    private func fillAhead() throws {
        let end = offset
        let limit = Int64(configuration.segmentSize)
        guard end < limit else { return }
        let step = Int64(configuration.preallocationStep)
        // Whole 4 KiB pages, so no later append shares a page with the file's end.
        let target = min(limit, (end + step + 4095) & ~4095)
        var at = end
        do {
            while at < target {
                let n = Int(min(target - at, Int64(Self.zeros.count)))
                try Self.zeros.withUnsafeBytes { try io.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[..<n]), at: at, path: segmentPath) }
                at += Int64(n)
            }
            fileEnd = target
        } catch let failure as IOFailure where [ENOSPC, EDQUOT, EFBIG].contains(failure.errno) {
            segmentPreallocated = false
            try? io.truncate(fd, to: end)
            fileEnd = end
        } catch {
            let reason = (error as? IOFailure)?.journalError.description ?? "\(error)"
            throw JournalError.failed(reason: "writing zeros ahead of the records of \(JournalFiles.segmentName(segmentNumber)) failed: \(reason)")
        }
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    /// Preallocation saves each sync the commit of a new size (~65 µs on the dev VM's ext4) and
    /// costs writing every byte twice (~3.3 µs per KiB at ~300 MB/s): a win for groups of a few
    /// KiB, a loss for large ones (batches of 1,000 records: -9 %). Above this average write
    /// the segment just grows.
    static let largestFilledChunk = 16 << 10
    /// Groups up to this size are copied to be written with their end marker in one call.
    static let largestCopiedGroup = 64 << 10

    private func syncSegment() throws {
        let target = writtenSequence
        let alreadySynced = core.state.withLock { $0.syncedSequence >= target }
        if alreadySynced { return }
        let syncStart = Journal.monotonicNanoseconds()
        do {
            try io.dataSyncRetrying(fd)
        } catch {
            // fsyncgate: after a failed fsync the kernel may have dropped the dirty pages, so a
            // retry could "succeed" without the data. Fail for good; reopening re-reads the disk.
            io.close(fd)
            fd = -1
            let reason = (error as? IOFailure)?.journalError.description ?? "\(error)"
            throw JournalError.failed(reason: "fdatasync failed: \(reason)")
        }
        crash.hit(.afterSync)
        lastSync = Journal.monotonicNanoseconds()
        lastSyncDuration = lastSync &- syncStart
        markSynced(target, duration: lastSyncDuration)
    }

    /// `duration`: how long the fdatasync took, when it was one of the timed ones.
    private func markSynced(_ target: UInt64, duration: UInt64? = nil) {
        let ready = core.state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.syncedSequence = max(s.syncedSequence, target)
            if let duration {
                if s.syncDurations.count < JournalCore.recentSyncs {
                    s.syncDurations.append(duration)
                } else {
                    s.syncDurations[s.syncCursor] = duration
                }
                s.syncCursor = (s.syncCursor + 1) % JournalCore.recentSyncs
            }
            s.syncCount += 1
            return JournalCore.takeReady(&s, durability: configuration.durability)
        }
        lastResumed = ready.count
        for c in ready { c.resume() }
    }

    /// Seals the current segment and switches to the next (spec §2.4: create and sync the
    /// successor as a temporary file, append and sync the seal, rename, sync the directory).
    private func rotateSegment() throws {
        guard recordCount > 0 else { return }
        if core.state.withLock({ $0.syncedSequence < writtenSequence }) {
            // What is unsynced (the first part of a group split at the segment's end, or every
            // group since the last sync under `.interval` and `.none`) is made durable before
            // the seal goes after it: were both in one sync, a power loss could keep the seal
            // and lose part of the records before it, which recovery could not tell from synced
            // records lost (a valid seal after damage rules out a torn tail).
            try syncSegment()
        }
        let next = SegmentHeader(journalID: journalID, segmentNumber: segmentNumber + 1, firstSequence: writtenSequence + 1,
                                 previousChain: writtenChain, createdAt: Journal.wallClockNanoseconds(),
                                 chained: configuration.hashChain, preallocated: configuration.preallocates)
        let seal = SealPayload(lastSequence: writtenSequence, nextSegmentNumber: segmentNumber + 1, recordCount: recordCount,
                               chainHash: segmentChained ? writtenChain : RecoveryScan.zeroHash)
        var sealBytes: [UInt8] = []
        var noChain: [UInt8]?
        seal.bytes.withUnsafeBytes {
            RecordFormat.encode(into: &sealBytes, kind: .seal, sequence: writtenSequence, timestamp: Journal.wallClockNanoseconds(),
                                tag: 0, payload: $0, chain: &noChain)
        }
        let oldFD = fd
        let oldPath = segmentPath
        let sealOffset = offset
        let sealedEnd = offset + Int64(sealBytes.count)
        let preallocatedTail = fileEnd > sealedEnd
        let newFD: Int32
        do {
            newFD = try Self.createSegment(io: io, directory: directory, header: next, crash: crash) {
                do {
                    try self.io.writeAll(oldFD, sealBytes, at: sealOffset, path: oldPath)
                    // A sealed segment ends with its seal (the zeros ahead go in the same sync;
                    // should a crash keep them, recovery reads zeros after a seal as nothing).
                    if preallocatedTail { try self.io.truncate(oldFD, to: sealedEnd) }
                } catch {
                    try? self.io.truncate(oldFD, to: sealOffset)
                    throw error
                }
                do {
                    try self.io.dataSyncRetrying(oldFD)
                } catch {
                    throw JournalError.failed(reason: "fdatasync of \(oldPath) failed while sealing it: \((error as? IOFailure)?.journalError.description ?? "\(error)")")
                }
                self.crash.hit(.rotateAfterSeal)
            }
        } catch let error as JournalError {
            throw error
        } catch {
            let reason = (error as? IOFailure)?.journalError.description ?? "\(error)"
            throw JournalError.failed(reason: "segment rotation failed: \(reason)")
        }
        // The seal's sync made everything in the old segment durable.
        markSynced(writtenSequence)
        io.close(oldFD)
        fd = newFD
        segmentNumber += 1
        segmentChained = configuration.hashChain
        segmentMarksGroups = configuration.preallocates
        segmentPreallocated = configuration.preallocates
        offset = Int64(SegmentHeader.size)
        fileEnd = offset
        recordCount = 0
        let current = segmentNumber
        core.state.withLock { s in
            s.currentSegment = current
            s.rotationCount += 1
        }
    }

    /// Last sync, close the segment and the lock, and wake `close()`.
    private func finish() {
        let failed = core.state.withLock { $0.failure != nil }
        if !failed && fd >= 0 {
            do {
                try syncSegment()
                if fileEnd > offset {
                    // A closed journal's files end with their last record. Errors are ignored:
                    // the records are synced already, and zeros after them read as unwritten
                    // space, so a trim that did not happen (or not durably) harms nothing.
                    try? io.truncate(fd, to: offset)
                    try? io.dataSyncRetrying(fd)
                    fileEnd = offset
                }
            } catch let error as JournalError {
                core.fail(error)
            } catch {
                core.fail(.failed(reason: "\(error)"))
            }
        }
        if fd >= 0 { io.close(fd) }
        fd = -1
        // Anything still pending never reached the disk: fail its waiters (a snapshot waiting
        // for its sequence to be synced among them, so it ends too).
        let waiters = core.state.withLock { s -> [JournalCore.Waiter] in
            if s.failure == nil { s.failure = .closed }
            let w = s.waiters
            s.waiters = []
            return w
        }
        let failure = core.state.withLock { $0.failure } ?? .closed
        for w in waiters { w.continuation.resume(throwing: failure) }
        // A snapshot job writes files and applies retention in the directory: the lock is held
        // until it ends, so no other journal opens the directory meanwhile. (New snapshots are
        // refused once closing; the job's end wakes this thread.)
        while core.state.withLock({ s -> Bool in
            s.waitingForSnapshot = s.snapshotInProgress
            return s.snapshotInProgress
        }) {
            core.sleepIOThread(timeoutNanoseconds: nil)
        }
        io.close(lockDescriptor)
        let closers = core.state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            let c = s.closeWaiters
            s.closeWaiters = []
            return c
        }
        for c in closers { c.resume() }
    }
}
