import Foundation
import Synchronization
import Testing
@testable import DocketJournal

/// Finding 1: what recovery reads back may still sit only in the page cache (the previous
/// process was killed before syncing it, or its fdatasync failed). Recovery must make it durable
/// before it counts as synced, so that nothing acknowledged after the reopen rests on it.
/// Each test kills a process at a chosen operation (the page cache survives), reopens in a new
/// process, then loses power dropping everything never synced.
@Suite struct RecoverySyncTests {
    static let dir = "/sim/j"
    static func path(_ name: String) -> String { dir + "/" + name }

    /// 96-byte header + 12 records of 72 bytes fill 960 of 1024 bytes: the 13th rotates
    /// (without preallocation, whose group-end markers would change that arithmetic).
    static func config(_ durability: Durability = .always) -> JournalConfiguration {
        var c = JournalConfiguration(durability: durability)
        c.segmentSize = 1024
        c.preallocate = false
        return c
    }

    /// Kills every process of `disk` right before the first `operation` on `path` once armed.
    static func killAt(_ disk: SimulatedDisk, operation: String, path: String, armed: PowerLossModelTests.Flag) {
        disk.beforeOperation.withLock {
            $0 = { [weak disk] _, op, target in
                if op == operation && target == path && armed.isSet { disk?.killProcesses() }
            }
        }
    }

    /// Fills segment 1 with 12 records, then kills the process during the rotation to segment 2
    /// at `operation` on `path`.
    static func killDuringRotation(_ disk: SimulatedDisk, operation: String, path: String) async throws {
        let armed = PowerLossModelTests.Flag()
        killAt(disk, operation: operation, path: path, armed: armed)
        defer { disk.beforeOperation.withLock { $0 = nil } }
        let (a, _) = try openJournal(dir, config(), io: disk.startProcess())
        for i in 1...12 { try await a.append(payload(i)) }
        _ = armed.set()
        await #expect(throws: JournalError.self) { try await a.append(payload(13)) }
    }

    /// Opens in a new process, appends 13...20 (acknowledged under `.always`), then loses power.
    static func appendAfterReopenThenLosePower(_ disk: SimulatedDisk) async throws {
        let (b, replayed) = try openJournal(dir, config(), io: disk.startProcess())
        #expect(replayed.sequences == Array(1...12))
        for i in 13...20 { #expect(try await b.append(payload(i)) == UInt64(i)) }
        disk.crashLosingEverythingUnsynced()
    }

    static func expectAllTwenty(_ disk: SimulatedDisk) async throws {
        let (c, replayed) = try openJournal(dir, config(), io: disk.startProcess())
        #expect(c.recoveryReport.anomaly == nil, "\(c.recoveryReport)")
        #expect(replayed.sequences == Array(1...20))
        #expect(replayed.records.allSatisfy { $0.payload == payload(Int($0.sequence)) })
        try await c.close()
    }

    /// (a) Killed after writing segment 1's seal, before its fdatasync: the next process starts
    /// segment 2 and acknowledges records there. Without syncing segment 1 first, a power loss
    /// takes the seal and the journal no longer opens ("ends without a seal").
    @Test func sealLeftUnsyncedByAKilledProcessIsSyncedOnReopen() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        // Segment 1's descriptor keeps the (temporary) path it was created with.
        try await Self.killDuringRotation(disk, operation: "fdatasync", path: Self.path(JournalFiles.segmentName(1) + ".tmp"))
        #expect(disk.names(in: Self.dir).contains(JournalFiles.segmentName(2) + ".tmp"))
        try await Self.appendAfterReopenThenLosePower(disk)
        try await Self.expectAllTwenty(disk)
    }

    /// (b) Killed after renaming segment 2 into place, before the directory fsync: the next
    /// process appends to segment 2 with fdatasync, but nothing makes its directory entry
    /// durable, so a power loss drops the whole file with its acknowledged records.
    @Test func renameLeftUnsyncedByAKilledProcessIsMadeDurableOnReopen() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        try await Self.killDuringRotation(disk, operation: "fsync directory", path: Self.dir)
        #expect(disk.names(in: Self.dir).contains(JournalFiles.segmentName(2)))
        try await Self.appendAfterReopenThenLosePower(disk)
        try await Self.expectAllTwenty(disk)
    }

    /// (c) A snapshot of recovered-but-unsynced records: `writeSnapshot` waits only until its
    /// sequence counts as synced. The power loss here comes right after the snapshot is durable,
    /// before the rotation it asks for seals (and so syncs) the segment.
    @Test func snapshotAfterReopenNeverBecomesDurableBeforeItsRecords() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (a, _) = try openJournal(Self.dir, Self.config(.none), io: disk.startProcess())
        for i in 1...10 { try await a.append(payload(i)) }
        disk.killProcesses()

        let (b, _) = try openJournal(Self.dir, Self.config(.none), io: disk.startProcess())
        #expect(b.recoveryReport.lastSequence == 10)
        let rotationStarted = PowerLossModelTests.Flag()
        disk.beforeOperation.withLock {
            $0 = { [weak disk] _, op, target in
                if op == "open" && target == Self.path(JournalFiles.segmentName(2) + ".tmp") && rotationStarted.set() {
                    disk?.crashLosingEverythingUnsynced()
                }
            }
        }
        defer { disk.beforeOperation.withLock { $0 = nil } }
        try? await b.writeSnapshot(Array("through 10".utf8), lastSequence: 10)
        await #expect(throws: JournalError.self) { try await b.close() }
        #expect(rotationStarted.isSet)
        disk.beforeOperation.withLock { $0 = nil }

        let (c, replayed) = try openJournal(Self.dir, Self.config(.none), io: disk.startProcess())
        #expect(c.recoveryReport.lastSequence == 10, "\(c.recoveryReport)")
        #expect(replayed.snapshot?.lastSequence == 10)
        #expect(c.recoveryReport.rejectedSnapshots.isEmpty)
        try await c.close()
    }

    /// (d) Right after a reopen, `durableSequence` and `waitUntilDurable` must not call records
    /// durable that only the page cache holds.
    @Test func durableSequenceAfterReopenIsReallyDurable() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (a, _) = try openJournal(Self.dir, Self.config(.none), io: disk.startProcess())
        for i in 1...10 { try await a.append(payload(i)) }
        disk.killProcesses()

        let (b, _) = try openJournal(Self.dir, Self.config(.always), io: disk.startProcess())
        try await b.waitUntilDurable(10)
        #expect(b.durableSequence == 10)
        disk.crashLosingEverythingUnsynced()

        let (c, replayed) = try openJournal(Self.dir, Self.config(), io: disk.startProcess())
        #expect(replayed.sequences == Array(1...10), "\(c.recoveryReport)")
        try await c.close()
    }

    /// The same after an fdatasync error: the failed journal's data may be in the page cache
    /// only; the reopened journal syncs it before calling it durable. (The simulated disk's
    /// model: a later sync writes what an earlier one failed to. Linux may instead have marked
    /// those pages clean; Docs/journal-format.md, "A failed sync", names that gap.)
    @Test func recordsLeftByAFailedSyncAreSyncedOnReopen() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        let (a, _) = try openJournal(Self.dir, Self.config(.interval(milliseconds: 60_000)), io: disk.startProcess())
        for i in 1...10 { try await a.append(payload(i)) }
        disk.injectFailure("fdatasync", errno: EIO)
        await #expect(throws: JournalError.self) { try await a.sync() }
        await #expect(throws: JournalError.self) { try await a.close() }

        let (b, replayed) = try openJournal(Self.dir, Self.config(), io: disk.startProcess())
        #expect(replayed.sequences == Array(1...10))
        #expect(b.durableSequence == 10)
        disk.crashLosingEverythingUnsynced()
        let (c, again) = try openJournal(Self.dir, Self.config(), io: disk.startProcess())
        #expect(again.sequences == Array(1...10))
        try await c.close()
    }
}
