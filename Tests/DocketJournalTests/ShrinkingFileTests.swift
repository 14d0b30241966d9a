import Foundation
import Synchronization
import Testing
@testable import DocketJournal

/// Review finding 9: a segment that shrinks between being measured and being read (another
/// process truncating it under a read-only reader, say) gives a typed corruption, never an
/// out-of-bounds read in the seal check.
@Suite struct ShrinkingFileTests {
    /// The real file system, except that `size` overstates one file by `extra` bytes, as if it
    /// had been measured before someone cut it.
    final class StaleSizeIO: ForwardingJournalIO, Sendable {
        let target: String
        let extra: Int64
        private let targetFDs = Mutex<Set<Int32>>([])

        init(target: String, extra: Int64) {
            self.target = target
            self.extra = extra
        }

        func open(_ path: String, _ intent: OpenIntent) throws -> Int32 {
            let fd = try posix.open(path, intent)
            if path == target { targetFDs.withLock { _ = $0.insert(fd) } }
            return fd
        }
        func close(_ fd: Int32) {
            targetFDs.withLock { _ = $0.remove(fd) }
            posix.close(fd)
        }
        func size(_ fd: Int32) throws -> Int64 {
            try posix.size(fd) + (targetFDs.withLock { $0.contains(fd) } ? extra : 0)
        }
    }

    @Test func sealCheckOfASegmentThatShrank() async throws {
        let tmp = TempDirectory("shrink")
        defer { tmp.remove() }
        // The snapshot covers segment 1, so recovery checks only its seal (the last 88 bytes).
        let built = try await BuiltJournal.make(in: tmp.journal, count: 200, snapshotsAt: [150])
        let path = built.path(built.segments[0])
        let bytes = fileBytes(path)
        // Cut into the seal's payload, keeping its (valid) header: 40 bytes are gone.
        writeBytes(path, Array(bytes.dropLast(40)))
        let io = StaleSizeIO(target: path, extra: 40)
        var config = JournalConfiguration()
        config.recovery = .strict
        do {
            _ = try openJournal(built.dir, config, io: io)
            Issue.record("strict: opened")
        } catch let JournalError.corrupted(c) {
            #expect(c.file == built.segments[0])
            #expect(c.reason.contains("shrank"), "\(c.reason)")
        }
        // The snapshot covers every record of segment 1: the other modes pass the damage over
        // and report it.
        for mode in [RecoveryMode.tolerateTornTail, .pointInTime] {
            config.recovery = mode
            let (journal, replayed) = try openJournal(built.dir, config, io: io)
            #expect(replayed.snapshot?.lastSequence == 150 && replayed.sequences == Array(151...200), "\(mode)")
            let skipped = journal.recoveryReport.skippedRegions
            #expect(skipped.count == 1 && skipped.first?.file == built.segments[0], "\(mode)")
            #expect(skipped.first?.reason.contains("shrank") == true, "\(mode): \(skipped)")
            try await journal.close()
        }
    }
}
