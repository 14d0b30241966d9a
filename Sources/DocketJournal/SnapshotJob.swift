import Foundation

/// Writes one snapshot file and applies retention, on a thread of its own so that neither the
/// cooperative pool nor the append path waits for its fsyncs.
struct SnapshotJob: Sendable {
    let io: any JournalIO
    let directory: String
    let configuration: JournalConfiguration
    let crash: CrashPoints
    let core: JournalCore
    let journalID: [UInt8]

    func run(_ file: SnapshotFile) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try self.write(file)
                    continuation.resume()
                } catch let failure as IOFailure {
                    continuation.resume(throwing: failure.journalError)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "docket-journal-snapshot"
            thread.start()
        }
    }

    private func write(_ file: SnapshotFile) throws {
        try io.writeFileAtomically(directory: directory, name: JournalFiles.snapshotName(file.lastSequence), bytes: file.bytes,
                                   crash: crash, tempPoint: .snapshotAfterTemp, renamePoint: .snapshotAfterRename)
        // The file is durable: it is the newest snapshot even if retention below fails (an
        // older one written after it would break "never older than the newest").
        core.state.withLock { s in
            s.validSnapshots.insert(file.lastSequence)
            s.newestSnapshot = max(s.newestSnapshot, file.lastSequence)
        }
        // Start a fresh segment, so the one holding the snapshot's last record can go at the
        // next snapshot.
        let wake = core.state.withLock { s -> Bool in
            s.rotateRequested = true
            let w = s.ioSleeping
            s.ioSleeping = false
            return w
        }
        if wake { core.wakeIOThread() }
        try applyRetention()
    }

    /// Keeps the newest `snapshotsToKeep` intact snapshots and removes (or archives) every
    /// segment whose records all lie at or before the oldest kept one, oldest first, so the
    /// remaining segments stay contiguous. Only intact snapshots count: a damaged, foreign or
    /// ahead-of-the-log file with a snapshot's name is set aside as `.broken` and is never the
    /// fallback that segments are deleted for.
    func applyRetention() throws {
        let names = try io.list(directory)
        let existing = Set(names)
        let listing = JournalFiles.classify(names)
        let (known, synced) = core.state.withLock { ($0.validSnapshots, min($0.syncedSequence, $0.logEndAtOpen)) }
        var keep: [UInt64] = []
        var changed = false
        for snap in listing.snapshots {
            let intact = try known.contains(snap.sequence) || isIntact(snap, syncedThrough: synced)
            guard intact else {
                try io.rename(directory + "/" + snap.name, directory + "/" + JournalFiles.backupName(snap.name, existing: existing))
                changed = true
                continue
            }
            if keep.count < configuration.snapshotsToKeep {
                keep.append(snap.sequence)
            } else {
                try io.unlink(directory + "/" + snap.name)
                changed = true
            }
        }
        core.state.withLock { $0.validSnapshots = Set(keep) }
        // Segments go only once the full set of snapshots exists: the oldest kept one is the
        // fallback for the newer ones, and before it exists the fallback is the log itself.
        guard keep.count == configuration.snapshotsToKeep, let oldestKept = keep.last else {
            if changed { try io.syncDirectoryRetrying(directory) }
            return
        }
        let current = core.state.withLock { $0.currentSegment }
        let segments = listing.segments.filter { $0.number < current }
        var removable: [String] = []
        for (i, segment) in segments.enumerated() {
            // A segment's last sequence is its successor's first minus one.
            let nextName = i + 1 < segments.count ? segments[i + 1].name : JournalFiles.segmentName(current)
            let head = try io.readAll(try openForRead(nextName), path: nextName, limit: SegmentHeader.size, closing: true)
            guard case .success(let next) = head.withUnsafeBytes({ SegmentHeader.decode($0) }), next.firstSequence > 0,
                  next.firstSequence - 1 <= oldestKept else { break }
            removable.append(segment.name)
        }
        if !removable.isEmpty && configuration.retention == .archive {
            let archive = directory + "/" + JournalFiles.archiveName
            if try io.makeDirectory(archive) { try io.syncDirectoryRetrying(directory) }
            // Never replace an archived file (a segment of the same number from an earlier life
            // of the directory, say): the newcomer gets a numbered name.
            var archived = Set(try io.list(archive))
            for (k, name) in removable.enumerated() {
                let target = JournalFiles.uniqueName(name, extension: "", existing: archived)
                try io.rename(directory + "/" + name, archive + "/" + target)
                archived.insert(target)
                if k == 0 { crash.hit(.retentionMidway) }
            }
            try io.syncDirectoryRetrying(archive)
            changed = true
        } else {
            for (k, name) in removable.enumerated() {
                try io.unlink(directory + "/" + name)
                if k == 0 { crash.hit(.retentionMidway) }
                changed = true
            }
        }
        if changed { try io.syncDirectoryRetrying(directory) }
    }

    /// Whether the snapshot file is intact, of this journal, named for its sequence and not
    /// ahead of the synced log (nor of where the log ended at open: see `logEndAtOpen`).
    /// Throws only for I/O errors.
    private func isIntact(_ snap: (sequence: UInt64, name: String), syncedThrough: UInt64) throws -> Bool {
        let bytes: [UInt8]
        do {
            bytes = try io.readFile(directory + "/" + snap.name, maxSize: SnapshotFile.maxFileSize)
        } catch is UnreadableFile {
            return false
        }
        guard case .success(let s) = bytes.withUnsafeBytes({ SnapshotFile.decode($0) }) else { return false }
        guard s.journalID == journalID && s.lastSequence == snap.sequence && s.lastSequence <= syncedThrough else { return false }
        // Recovery refuses a chained snapshot whose hash disagrees with the log: retention must
        // not keep it as the fallback it deletes segments for. (A log that no longer holds the
        // sequence cannot tell, and recovery cannot either.)
        if s.chained, let logChain = logChain(at: s.lastSequence), logChain != s.chainHash { return false }
        return true
    }

    /// The log's chain hash after `sequence`: known to the journal when recent, else read from
    /// the segments from the one holding it on. The cost: with `snapshotsToKeep` ≥ 2, the first
    /// retention after an open reads the log from the older kept snapshot on (open checked only
    /// the snapshot it started from), once, on the snapshot's thread; a snapshot it accepts is
    /// known from then on.
    private func logChain(at sequence: UInt64) -> [UInt8]? {
        if let known = core.chainHash(at: sequence) { return known }
        var scan = RecoveryScan(io: io, directory: directory, mode: .strict)
        scan.writerMayBeLive = true
        scan.chainsWanted = [sequence]
        let plan = try? scan.run(purpose: .readAll(from: sequence), onSnapshot: { _ in }, onRecord: { _, _ in })
        return plan?.chains[sequence]
    }

    private func openForRead(_ name: String) throws -> Int32 {
        try io.open(directory + "/" + name, .readOnly)
    }
}

extension JournalIO {
    /// `readAll` that closes the descriptor afterwards.
    func readAll(_ fd: Int32, path: String, limit: Int, closing: Bool) throws -> [UInt8] {
        defer { if closing { close(fd) } }
        return try readAll(fd, path: path, from: 0, limit: limit)
    }
}
