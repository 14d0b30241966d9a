import DocketJournal
import Foundation
import Testing
@testable import Docket

/// The state as of a past sequence or time, rebuilt from snapshots, live and archived
/// segments, equals what the live instance showed at that point.
@Suite(.timeLimit(.minutes(2))) struct AuditReplayTests {
    struct Step {
        var sequence: UInt64
        var time: Date
        var tasks: [TaskInfo]
    }

    @Test func inspectAsOfASequenceOrATimeShowsThePastState() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let config = Harness.configuration(clock) { c in
            c.snapshotEvery = 15
            c.journal.segmentSize = 4096
            c.journal.retention = .archive
        }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("noop", payload: Job.self) { _, _ in }
        var steps: [Step] = []
        for step in 0..<12 {
            try await d.enqueue(batch: (0..<20).map { i in
                NewTask("noop", payload: Job(n: i), options: TaskOptions(id: "s\(step)-\(i)", delay: .seconds(3600)))
            })
            if step > 0 {
                try await d.cancel((0..<5).map { "s\(step - 1)-\($0)" })
                try await d.pause((5..<8).map { "s\(step - 1)-\($0)" })
            }
            try await d.sync()
            steps.append(Step(sequence: await d.journal?.lastSequence ?? 0, time: clock.now(), tasks: try await d.tasks(limit: 10_000).tasks))
            clock.advance(by: .seconds(1))
        }
        await d.close()
        let archived = (try? FileManager.default.contentsOfDirectory(atPath: dir.journal + "/archive")) ?? []
        #expect(!archived.isEmpty, "retention archived old segments")

        for (k, step) in steps.enumerated() {
            let bySequence = try Docket.inspect(directory: dir.journal, asOf: step.sequence, includeArchive: true)
            #expect(bySequence.damage == nil)
            #expect(bySequence.lastSequence == step.sequence)
            #expect(bySequence.tasks == step.tasks, "state as of sequence \(step.sequence) (step \(k))")
            let byTime = try Docket.inspect(directory: dir.journal, at: step.time.addingTimeInterval(0.5), includeArchive: true)
            #expect(byTime.tasks == step.tasks, "state at step \(k)'s time")
        }
        // Before the first record: nothing yet.
        #expect(try Docket.inspect(directory: dir.journal, at: Harness.start.addingTimeInterval(-1), includeArchive: true).tasks.isEmpty)
        // Without the archive the oldest states are gone: reported, never shown wrong.
        let first = try Docket.inspect(directory: dir.journal, asOf: steps[0].sequence)
        #expect(first.damage != nil)
        #expect(throws: DocketError.self) { try Docket.inspect(directory: dir.journal, at: steps[0].time) }
        // The newest state needs no archive.
        let last = try Docket.inspect(directory: dir.journal, asOf: steps[11].sequence)
        #expect(last.damage == nil && last.tasks == steps[11].tasks)
    }
    /// A snapshot followed at once by damage (a torn first record after it, as a kill mid-append
    /// or a live writer leaves): the state is the snapshot's, with the damage reported; it
    /// came back empty. Damage before a snapshot's sequence stays reported for states after it.
    @Test func aSnapshotFollowedByDamageStillGivesItsState() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Harness.configuration(ManualClock(now: Harness.start))
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("noop", payload: Job.self) { _, _ in }
        for i in 0..<3 { try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(3600))) }
        let through = await d.journal?.lastSequence ?? 0
        await d.close()  // a snapshot through the last record
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.journal).filter { $0.hasSuffix(".log") }.sorted()
        let last = try #require(segments.last)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.journal + "/" + last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x44, 0x4B, 0x01, 0x02, 0x03, 0x04, 0x05]))
        try handle.close()
        let now = try Docket.inspect(directory: dir.journal)
        #expect(now.tasks.map(\.id) == ["t0", "t1", "t2"] && now.damage != nil, "\(now.tasks.map(\.id)) \(String(describing: now.damage))")
        let asOf = try Docket.inspect(directory: dir.journal, asOf: through)
        #expect(asOf.tasks.map(\.id) == ["t0", "t1", "t2"] && asOf.damage == nil)
    }

    /// Damage before the time asked is reported: the records written by then may lie past it,
    /// so the state shown can be older than asked.
    /// After a compaction folded every record into the snapshot, `inspect(at:)` found no
    /// record to end at and showed an empty state. It now shows the snapshot's state for a time
    /// after the snapshot was taken, and refuses a time before it (that state is gone).
    @Test func inspectAtATimeOfAJournalWithOnlyASnapshot() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = DocketConfiguration()
        config.journal.retention = .delete
        config.journal.snapshotsToKeep = 1
        let docket = try await Docket.open(directory: dir.journal, configuration: config)
        docket.register("job", payload: Int.self) { (_: Int, _: JobContext) in }
        for i in 0..<3 { try await docket.enqueue("job", payload: i, options: TaskOptions(id: "t\(i)", delay: .seconds(3600))) }
        await docket.close()
        let before = Date().addingTimeInterval(-3600)
        // Opened and closed again: the new snapshot covers everything, every segment goes.
        await (try await Docket.open(directory: dir.journal, configuration: config)).close()
        #expect(try JournalReader.statistics(directory: dir.journal).records == 0)
        let now = try Docket.inspect(directory: dir.journal, at: Date().addingTimeInterval(1))
        #expect(now.tasks.map(\.id).sorted() == ["t0", "t1", "t2"])
        #expect(throws: DocketError.self) { try Docket.inspect(directory: dir.journal, at: before) }
    }

    @Test func inspectAtATimeReportsDamageBeforeIt() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let clock = ManualClock(now: Harness.start)
        let config = Harness.configuration(clock) { $0.snapshotOnClose = false }
        let d = try await Docket.open(directory: dir.journal, configuration: config)
        d.register("noop", payload: Job.self) { _, _ in }
        for i in 0..<50 {
            try await d.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(3600)))
            clock.advance(by: .seconds(1))
        }
        await d.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.journal).filter { $0.hasSuffix(".log") }.sorted()
        let path = dir.journal + "/" + (segments.last ?? "")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let state = try Docket.inspect(directory: dir.journal, at: Harness.start.addingTimeInterval(100))
        #expect(state.damage != nil)
        #expect(state.tasks.count < 50)
    }
}
