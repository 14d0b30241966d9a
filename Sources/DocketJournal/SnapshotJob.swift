import Foundation

/// Writes one snapshot file and applies retention, on a thread of its own so that neither the
/// cooperative pool nor the append path waits for its fsyncs.
struct SnapshotJob: Sendable {
    let io: any JournalIO
    let directory: String
    let configuration: JournalConfiguration
    let crash: CrashPoints
    let core: JournalCore

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

    /// Keeps the newest `snapshotsToKeep` snapshots and removes (or archives) every segment
    /// whose records all lie at or before the oldest kept snapshot, oldest first, so the
    /// remaining segments stay contiguous.
    func applyRetention() throws {
        let listing = JournalFiles.classify(try io.list(directory))
        let keep = listing.snapshots.prefix(configuration.snapshotsToKeep)
        var changed = false
        for old in listing.snapshots.dropFirst(configuration.snapshotsToKeep) {
            try io.unlink(directory + "/" + old.name)
            changed = true
        }
        // Segments go only once the full set of snapshots exists: the oldest kept one is the
        // fallback for the newer ones, and before it exists the fallback is the log itself.
        guard keep.count == configuration.snapshotsToKeep, let oldestKept = keep.last?.sequence else {
            if changed { try io.syncDirectory(directory) }
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
            if try io.makeDirectory(archive) { try io.syncDirectory(directory) }
            for (k, name) in removable.enumerated() {
                try io.rename(directory + "/" + name, archive + "/" + name)
                if k == 0 { crash.hit(.retentionMidway) }
            }
            try io.syncDirectory(archive)
            changed = true
        } else {
            for (k, name) in removable.enumerated() {
                try io.unlink(directory + "/" + name)
                if k == 0 { crash.hit(.retentionMidway) }
                changed = true
            }
        }
        if changed { try io.syncDirectory(directory) }
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
