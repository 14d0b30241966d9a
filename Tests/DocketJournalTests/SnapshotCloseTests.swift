import Foundation
import Synchronization
import Testing
@testable import DocketJournal

/// Review finding 5: `close()` (and the failure path) wait for a snapshot job in progress before
/// releasing the lock, and `writeSnapshot` after close has begun throws `.closed`.
///
/// The hook of the simulated disk holds the journal's own threads (never the cooperative pool,
/// which the test waits on by yielding); the hook's time limit only turns a broken handshake
/// into a failure instead of a hang.
@Suite struct SnapshotCloseTests {
    typealias Flag = PowerLossModelTests.Flag

    /// Waits (yielding, never sleeping) until `condition` holds.
    func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func writeSnapshotAfterCloseBeganThrowsClosed() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", JournalConfiguration(durability: .none), io: disk)
        try await journal.append([1])
        // Hold the I/O thread in its closing sync.
        let reached = Flag()
        let release = DispatchSemaphore(value: 0)
        let armed = Flag()
        defer { disk.beforeOperation.withLock { $0 = nil }; release.signal() }
        disk.beforeOperation.withLock {
            $0 = { _, operation, _ in
                guard operation == "fdatasync", armed.set() else { return }
                _ = reached.set()
                _ = release.wait(timeout: .now() + .seconds(60))
            }
        }
        let closing = Task { try await journal.close() }
        await until { reached.isSet }
        let snapshotEnded = Flag()
        let snapshot = Task {
            defer { _ = snapshotEnded.set() }
            try await journal.writeSnapshot([9], lastSequence: 1)
        }
        // Refused at once, or (before the fix) registered and waiting for the held sync.
        await until { snapshotEnded.isSet || journal.core.state.withLock { $0.snapshotInProgress } }
        release.signal()
        let result = await snapshot.result
        try await closing.value
        #expect(throws: JournalError.closed) { try result.get() }
        #expect(!disk.names(in: "/sim/j").contains(JournalFiles.snapshotName(1)))
    }

    @Test func closeWaitsForTheSnapshotJob() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 4096
        config.snapshotsToKeep = 1
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        for i in 1...150 { try journal.submit(payload(i)) }
        try await journal.sync()
        // Hold the snapshot thread just before it renames its temporary file into place.
        let temp = "/sim/j/" + JournalFiles.snapshotName(150) + ".tmp"
        let reached = Flag()
        let release = DispatchSemaphore(value: 0)
        defer { disk.beforeOperation.withLock { $0 = nil }; release.signal() }
        disk.beforeOperation.withLock {
            $0 = { _, operation, path in
                guard operation == "rename", path == temp else { return }
                _ = reached.set()
                _ = release.wait(timeout: .now() + .seconds(60))
            }
        }
        let snapshot = Task { try await journal.writeSnapshot(Array("through 150".utf8), lastSequence: 150) }
        await until { reached.isSet }
        let closing = Task { try await journal.close() }
        // The I/O thread reaches the end of close: it waits for the job (or, before the fix,
        // finishes and releases the lock with the job still running).
        await until { journal.core.state.withLock { $0.waitingForSnapshot || $0.finished } }
        #expect(!journal.core.state.withLock { $0.finished }, "close finished while the snapshot job was still running")
        // The directory is still locked: no other journal can open it meanwhile.
        #expect(throws: JournalError.journalLocked(directory: "/sim/j")) { _ = try openJournal("/sim/j", config, io: disk) }
        release.signal()
        try await snapshot.value
        try await closing.value
        // The job completed, retention included, before the lock was released.
        let names = disk.names(in: "/sim/j")
        #expect(names.contains(JournalFiles.snapshotName(150)))
        #expect(!names.contains(JournalFiles.segmentName(1)), "retention did not run: \(names)")
        let (reopened, replayed) = try openJournal("/sim/j", config, io: disk)
        #expect(replayed.snapshot?.lastSequence == 150)
        #expect(replayed.records.isEmpty)
        try await reopened.close()
    }
}
