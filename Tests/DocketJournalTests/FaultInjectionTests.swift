import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// T10: injected EINTR, short writes, ENOSPC and fsync EIO through the I/O seam.
@Suite struct FaultInjectionTests {
    func config(_ durability: Durability = .always) -> JournalConfiguration {
        var c = JournalConfiguration(durability: durability)
        c.segmentSize = 4096
        return c
    }

    @Test func eintrAndShortWritesAreRetriedTransparently() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(), io: disk)
        disk.state.withLock { $0.shortWrites = true }
        for _ in 0..<20 { disk.injectFailure("write", errno: EINTR) }
        for i in 1...150 { #expect(try await journal.append(payload(i, size: 70)) == UInt64(i)) }
        try await journal.close()
        disk.state.withLock { $0.shortWrites = false }
        let (reopened, replayed) = try openJournal("/sim/j", config(), io: disk)
        #expect(replayed.sequences == Array(1...150))
        #expect(replayed.records.allSatisfy { $0.payload == payload(Int($0.sequence), size: 70) })
        #expect(reopened.recoveryReport.anomaly == nil)
        try await reopened.close()
    }

    /// A sync a signal interrupted (`EINTR`) did not finish and lost nothing: it is retried.
    /// It failed the journal for good, as an `EIO` from a sync does.
    @Test func interruptedSyncsAreRetried() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(), io: disk)
        for i in 1...5 {
            disk.injectFailure("fdatasync", errno: EINTR)
            disk.injectFailure("fdatasync", errno: EINTR)
            #expect(try await journal.append(payload(i, size: 70)) == UInt64(i))
        }
        // Rolling into new segments and snapshotting sync directories and the sealed segment.
        for _ in 0..<3 {
            disk.injectFailure("fsync directory", errno: EINTR)
            disk.injectFailure("fsync", errno: EINTR)
        }
        for i in 6...150 { #expect(try await journal.append(payload(i, size: 70)) == UInt64(i)) }
        try await journal.writeSnapshot(payload(0, size: 40), lastSequence: 150)
        try await journal.close()
        #expect(disk.state.withLock { $0.failNext.values.allSatisfy(\.isEmpty) }, "every injected EINTR was met")
        let (reopened, replayed) = try openJournal("/sim/j", config(), io: disk)
        #expect(replayed.snapshot?.lastSequence == 150 && replayed.records.isEmpty)
        #expect(reopened.recoveryReport.anomaly == nil)
        try await reopened.close()
        // EIO is still fatal.
        let (failing, _) = try openJournal("/sim/j", config(), io: disk)
        disk.injectFailure("fdatasync", errno: EIO)
        await #expect(throws: JournalError.self) { try await failing.append(payload(151)) }
        #expect(throws: JournalError.self) { try failing.submit(payload(152)) }
    }

    /// The directory sync after a snapshot's rename, interrupted: retried too. It made
    /// `writeSnapshot` throw once the snapshot was in place, which a later retention set aside.
    @Test func anInterruptedDirectorySyncOfASnapshotIsRetried() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(), io: disk)
        for i in 1...10 { #expect(try await journal.append(payload(i, size: 70)) == UInt64(i)) }
        disk.injectFailure("fsync directory", errno: EINTR)
        try await journal.writeSnapshot(payload(0, size: 40), lastSequence: 10)
        try await journal.close()
        #expect(disk.state.withLock { $0.failNext.values.allSatisfy(\.isEmpty) }, "the injected EINTR was met")
        let (reopened, replayed) = try openJournal("/sim/j", config(), io: disk)
        #expect(replayed.snapshot?.lastSequence == 10 && replayed.records.isEmpty)
        try await reopened.close()
    }

    @Test func enospcRollsBackAndFailsTheJournal() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(), io: disk)
        for i in 1...10 { try await journal.append(payload(i)) }
        // Room for half a record: the write lands partially, then fails.
        disk.state.withLock { $0.spaceLeft = 30 }
        await #expect(throws: JournalError.self) { try await journal.append(payload(11)) }
        // Failed for good: nothing more is accepted.
        #expect(throws: JournalError.self) { try journal.submit(payload(12)) }
        await #expect(throws: JournalError.self) { try await journal.close() }
        // The partial record was truncated away: the log reads back clean with the acknowledged records.
        disk.state.withLock { $0.spaceLeft = nil }
        var seen: [UInt64] = []
        let plan = try RecoveryScan(io: disk, directory: "/sim/j", mode: .strict)
            .run(purpose: .recover, onSnapshot: { _ in }) { h, _ in seen.append(h.sequence) }
        #expect(plan.report.anomaly == nil)
        #expect(seen == Array(1...10))
        let (reopened, replayed) = try openJournal("/sim/j", config(), io: disk)
        #expect(replayed.sequences == Array(1...10))
        #expect(try await reopened.append([7]) == 11)
        try await reopened.close()
    }

    /// Under `.interval`, appends are acknowledged once written, and synced within the
    /// interval. A write that fails (a full disk) fails the journal, which syncs nothing more:
    /// the acknowledged records before it are synced first, so a power loss keeps them.
    @Test func aFailedWriteSyncsWhatWasAcknowledgedBeforeIt() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var config = JournalConfiguration(durability: .interval(milliseconds: 3_600_000))
        config.segmentSize = 1 << 20
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        try await journal.sync()
        for i in 1...10 { try await journal.append(payload(i)) }
        disk.state.withLock { $0.spaceLeft = 30 }
        await #expect(throws: JournalError.self) { try await journal.append(payload(11)) }
        await #expect(throws: JournalError.self) { try await journal.close() }
        disk.state.withLock { $0.spaceLeft = nil }
        var rng = SeededGenerator(seed: 7)
        disk.crash(rng: &rng)
        let (reopened, replayed) = try openJournal("/sim/j", config, io: disk.startProcess())
        #expect(replayed.sequences == Array(1...10))
        try await reopened.close()
    }

    @Test func fsyncErrorIsFatalAndNeverRetried() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(), io: disk)
        for i in 1...5 { try await journal.append(payload(i)) }
        let syncsBefore = disk.state.withLock { $0.syncs }
        disk.injectFailure("fdatasync", errno: EIO)
        // Several concurrent waiters all get the error.
        await withTaskGroup(of: Bool.self) { group in
            for i in 6...9 {
                group.addTask {
                    do { _ = try await journal.append(payload(i)); return false } catch JournalError.failed { return true } catch { return false }
                }
            }
            for await gotFailure in group { #expect(gotFailure) }
        }
        #expect(throws: JournalError.self) { try journal.submit([1]) }
        await #expect(throws: JournalError.self) { try await journal.sync() }
        // No retry: not one more successful sync after the failed one.
        #expect(disk.state.withLock { $0.syncs } == syncsBefore)
        await #expect(throws: JournalError.self) { try await journal.close() }
        // Reopening recovers from what is on disk.
        let (reopened, replayed) = try openJournal("/sim/j", config(), io: disk)
        #expect(Array(replayed.sequences.prefix(5)) == Array(1...5))
        try await reopened.close()
    }

    @Test func intervalDurabilitySyncsOnItsOwn() async throws {
        // Observes the I/O thread's timer: nothing but the interval asks for a sync here.
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(.interval(milliseconds: 2)), io: disk)
        let seq = try await journal.append([1, 2, 3])
        #expect(journal.durableSequence == seq)
        try await journal.core.waitUntilSynced(seq)
        #expect(journal.core.state.withLock { $0.syncedSequence } >= seq)
        try await journal.close()
    }

    @Test func noneDurabilitySyncsOnlyWhenAsked() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (journal, _) = try openJournal("/sim/j", config(.none), io: disk)
        let seq = try await journal.append([1, 2, 3])
        #expect(journal.core.state.withLock { $0.syncedSequence } < seq)
        try await journal.sync()
        #expect(journal.core.state.withLock { $0.syncedSequence } >= seq)
        try await journal.close()
    }

    @Test func concurrentAlwaysAppendsShareSyncs() async throws {
        let tmp = TempDirectory("group")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal, JournalConfiguration(durability: .always))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<32 {
                group.addTask { for i in 0..<20 { try await journal.append(payload(w * 100 + i)) } }
            }
            try await group.waitForAll()
        }
        let syncs = journal.core.state.withLock { $0.syncCount }
        #expect(journal.lastSequence == 640)
        #expect(syncs < 640, "group commit: \(syncs) syncs for 640 records")
        try await journal.close()
    }

    /// A snapshot whose retention fails (an unlink refused) made it to disk: `writeSnapshot`
    /// throws, but the snapshot is the newest from then on, so an older one is refused, and
    /// a reopen starts from it.
    @Test func aSnapshotWhoseRetentionFailsIsStillTheNewest() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var c = config()
        c.snapshotsToKeep = 1
        let (journal, _) = try openJournal("/sim/j", c, io: disk)
        for i in 1...100 { _ = try await journal.append(payload(i, size: 70)) }
        try await journal.writeSnapshot([50], lastSequence: 50)
        // The first unlink is the temporary file's (`try?`); the second is retention's.
        disk.injectFailure("unlink", errno: EIO)
        disk.injectFailure("unlink", errno: EIO)
        await #expect(throws: JournalError.self) { try await journal.writeSnapshot([90], lastSequence: 90) }
        do {
            try await journal.writeSnapshot([70], lastSequence: 70)
            Issue.record("a snapshot older than the newest one (90) was written")
        } catch JournalError.invalidArgument(let reason) {
            #expect(reason.contains("newer snapshot (through 90)"), "\(reason)")
        }
        try await journal.close()
        let (reopened, replayed) = try openJournal("/sim/j", c, io: disk)
        #expect(replayed.snapshot?.lastSequence == 90)
        #expect(replayed.sequences == Array(91...100))
        try await reopened.close()
    }
}
