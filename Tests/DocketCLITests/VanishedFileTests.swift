import Docket
import DocketJournal
import Foundation
import Synchronization
import Testing
@testable import DocketCLI

/// The read-only commands read a journal a live instance may be compacting: a segment they
/// listed can be deleted by retention before they open it. They read again instead of failing
/// with "No such file or directory".
@Suite struct VanishedFileTests {
    /// Output lines, with a hook run (once) at the first line printed.
    final class HookOutput: CLIOutput, Sendable {
        let lines = Mutex<(out: [String], err: [String])>(([], []))
        let hook: Mutex<(@Sendable () -> Void)?>
        init(hook: @escaping @Sendable () -> Void) { self.hook = Mutex(hook) }
        func out(_ text: String) {
            lines.withLock { $0.out.append(text) }
            if let h = hook.withLock({ h -> (@Sendable () -> Void)? in defer { h = nil }; return h }) { h() }
        }
        func err(_ text: String) { lines.withLock { $0.err.append(text) } }
    }

    /// 300 tasks over several 4 KiB segments, and no snapshot: a read starts at segment 1.
    static func makeJournal(_ dir: String) async throws {
        var c = DocketConfiguration()
        c.journal.segmentSize = 4096
        c.snapshotOnClose = false
        c.durability = .none
        let docket = try await Docket.open(directory: dir, configuration: c)
        docket.register("job", payload: Int.self) { (_: Int, _: JobContext) in }
        for i in 0..<300 {
            try await docket.enqueue("job", payload: i, options: TaskOptions(id: "job-\(i)", delay: .seconds(3600)))
        }
        await docket.close()
    }

    static func segments(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("wal-") && $0.hasSuffix(".log") }.sorted()
    }

    /// Runs `docket journal compact DIR --retention delete` (a snapshot, then every segment
    /// before it deleted) from a synchronous callback, as a live instance would meanwhile.
    static func compactNow(_ dir: String) {
        let done = DispatchSemaphore(value: 0)
        Task {
            let out = CapturedOutput()
            _ = await DocketCLI.run(["journal", "compact", dir, "--retention", "delete"], output: out)
            done.signal()
        }
        done.wait()
    }

    /// Runs `body` on a thread of its own (it blocks in `compactNow`, which needs the
    /// cooperative pool free).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    @Test func inspectReadsAgainWhenRetentionDeletesASegmentItListed() async throws {
        let tmp = TempDirectory("vanished-inspect")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        let before = Self.segments(dir)
        #expect(before.count >= 4, "\(before)")
        let compacted = Mutex(false)
        let result = await Self.onThread { () -> Result<Int, DocketError> in
            Result { () throws(DocketError) -> Int in
                try Docket.inspect(directory: dir, asOf: nil, at: nil, includeArchive: false, phase: { _ in }, progress: { _ in
                    if !compacted.withLock({ c in defer { c = true }; return c }) { Self.compactNow(dir) }
                }).tasks.count
            }
        }
        #expect(compacted.withLock { $0 })
        #expect(Self.segments(dir).count < before.count, "retention deleted nothing: \(Self.segments(dir))")
        #expect(try result.get() == 300)
    }

    @Test func dumpGoesOnAfterTheLastRecordItPrinted() async throws {
        let tmp = TempDirectory("vanished-dump")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        let output = HookOutput { Self.compactNow(dir) }
        let code = await Self.onThread { (try? JournalCommand.dump([dir], output: output)) ?? -1 }
        let (out, err) = output.lines.withLock { $0 }
        #expect(code == 0, "\(err)")
        let sequences = out.compactMap { $0.split(separator: "\t").first.flatMap { UInt64($0) } }
        #expect(sequences.first == 1 && sequences.count >= 1)
        // Nothing twice, in order; what retention removed meanwhile is said, not hidden.
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "\(sequences)")
        // The records of the deleted segments are gone; the gap is said, whether later records
        // follow it or (here, the compaction having snapshotted everything) none do.
        let last = try #require(sequences.last)
        let stats = try JournalReader.statistics(directory: dir)
        let end = try #require(stats.lastSequence ?? stats.newestSnapshotSequence)
        if let gap = zip(sequences, sequences.dropFirst()).first(where: { $1 > $0 + 1 }) {
            #expect(err.contains("docket: records \(gap.0 + 1)…\(gap.1 - 1) were removed by retention while dump read them"), "\(err)")
        }
        if last < end {
            #expect(err.contains { $0.hasPrefix("docket: records \(last + 1)…") && $0.hasSuffix(" were removed by retention while dump read them") }, "\(err)")
        }
        #expect(sequences.count < 300, "nothing was removed: the test did not test")
    }
}

extension VanishedFileTests {
    /// `dump --salvage` skips damage and reads on: that gap is damage, not retention (the
    /// retention note is for a read that had to start again).
    @Test func aSalvagedGapIsNotBlamedOnRetention() async throws {
        let tmp = TempDirectory("salvage-gap")
        defer { tmp.remove() }
        let dir = tmp.path + "/j"
        let stress = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "stress", dir, "--records", "300", "--size", "40", "--segment-size", "4096",
                                     "--durability", "none"], output: stress) == 0, "\(stress.stderr)")
        let segments = Self.segments(dir)
        #expect(segments.count >= 3, "\(segments)")
        // A flipped byte in the middle of the second segment's records.
        let path = dir + "/" + segments[1]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[1500] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let output = HookOutput {}
        _ = try JournalCommand.dump([dir, "--salvage"], output: output)
        let (out, err) = output.lines.withLock { $0 }
        let sequences = out.compactMap { $0.split(separator: "\t").first.flatMap { UInt64($0) } }
        #expect(zip(sequences, sequences.dropFirst()).contains { $1 > $0 + 1 }, "no gap: the test did not test")
        #expect(sequences.last == 300)
        #expect(!err.contains { $0.contains("retention") }, "\(err)")
        // Each gap is named, and the damage is said to be skipped, not stopped at.
        for (a, b) in zip(sequences, sequences.dropFirst()) where b > a + 1 {
            #expect(err.contains("docket: records \(a + 1)…\(b - 1) skipped: damaged"), "\(err)")
        }
        #expect(err.contains { $0.hasPrefix("docket: skipped damage, the first at ") }, "\(err)")
    }
}
