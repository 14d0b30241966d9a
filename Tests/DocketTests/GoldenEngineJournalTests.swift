import DocketJournal
import DocketSchedules
import Foundation
import Testing
@testable import Docket

/// Engine format version 1 must stay readable: `Fixtures/engine/golden-v1` holds a journal
/// (a snapshot and records after it) written by the first version of the engine, with the
/// state it must open to in `expected.txt`. Both were made once by `writeGolden` (run with
/// `DOCKET_WRITE_ENGINE_GOLDEN=1 swift test --filter GoldenEngineJournalTests`) and are frozen:
/// never regenerate them to make a test pass.
@Suite(.timeLimit(.minutes(1))) struct GoldenEngineJournalTests {
    static let fixture = fixturePath("golden-v1")

    /// `Fixtures/engine/<name>` in this package.
    static func fixturePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/engine/" + name).path
    }

    /// One line per task and schedule, sorted: what recovery must rebuild.
    static func describe(_ state: EngineState) -> String {
        var lines: [String] = []
        for t in state.tasks.values.sorted(by: { $0.sequence < $1.sequence }) {
            lines.append("task \(t.id) \(t.name) \(t.status.rawValue) attempt=\(t.attempt)/\(t.maxAttempts) runAt=\(UTCStamp.string(t.runAt)) queue=\(t.queue) priority=\(t.priority) error=\(t.lastError ?? "-") output=\(t.output.map { String(decoding: $0, as: UTF8.self) } ?? "-") schedule=\(t.scheduleID ?? "-")")
        }
        for s in state.schedules.values.sorted(by: { $0.id < $1.id }) {
            // The key only when there is one: the fixtures from before schedule keys have none.
            lines.append("schedule \(s.id) \(s.schedule) \(s.status.rawValue) next=\(s.nextFire.map(UTCStamp.string) ?? "-") last=\(s.lastFire.map(UTCStamp.string) ?? "-") misfire=\(s.misfire.rawValue) overlap=\(s.overlap.rawValue)"
                         + (s.key.map { " key=\($0)" } ?? ""))
        }
        for w in state.workflows.values.sorted(by: { $0.id < $1.id }) {
            let outcomes = w.outcomes.map { $0.map { $0 ? "ok" : "failed" } ?? "-" }.joined(separator: ",")
            lines.append("workflow \(w.id) \(w.status.rawValue) stage=\(w.current)/\(w.stages.count) outcomes=\(outcomes) deadline=\(w.stageDeadline.map(UTCStamp.string) ?? "-")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let fixtureWorkflows = fixturePath("golden-v1-workflows")

    /// The records added within format version 1 after the first fixture (workflows, stage
    /// timeouts, cancellations that create compensation tasks) in preallocated segments with
    /// group-end markers, copied while the engine ran (so the live segment ends in zeros): the
    /// state it opens to is frozen in `expected.txt` next to it.
    @Test func workflowsAndPreallocatedSegmentsOpenToTheExpectedState() async throws {
        let expected = try String(contentsOfFile: Self.fixtureWorkflows + "/expected.txt", encoding: .utf8)
        let (state, report) = try StateLoader.load(directory: Self.fixtureWorkflows + "/journal", mode: .strict)
        #expect(report.anomaly == nil)
        #expect(report.snapshotSequence > 0 && report.lastSequence > report.snapshotSequence, "a snapshot and records after it")
        #expect(Self.describe(state) == expected)
        let tmp = TempDirectory("golden-wf")
        defer { tmp.remove() }
        try copyDirectory(Self.fixtureWorkflows + "/journal", tmp.journal)
        let clock = ManualClock(now: Harness.start.addingTimeInterval(3600))
        let docket = try await Docket.open(directory: tmp.journal, configuration: Harness.configuration(clock))
        #expect(docket.recoveryReport.interrupted == ["flow/0/0"])
        #expect(await docket.workflow("flow")?.status == .running)
        await docket.close()
    }

    static let fixtureScheduleKeys = fixturePath("golden-v1-schedule-keys")

    /// Schedule keys (added within format version 1): keyed schedule records, an occurrence
    /// created with its schedule's key, a snapshot with the keys section, and a key changed
    /// after it.
    @Test func scheduleKeysOpenToTheExpectedState() async throws {
        let dir = Self.fixtureScheduleKeys + "/journal"
        let expected = try String(contentsOfFile: Self.fixtureScheduleKeys + "/expected.txt", encoding: .utf8)
        let (state, report) = try StateLoader.load(directory: dir, mode: .strict)
        #expect(report.anomaly == nil)
        #expect(Self.describe(state) == expected)
        #expect(state.schedules["nightly"]?.key == "account-43", "changed after the snapshot")
        #expect(state.schedules["minutely"]?.key == "account-42")
        #expect(state.tasks["minutely@2027-01-15T08:01:00Z"]?.key == "account-42")
        var snapshotSchedules: [String: ScheduleEntry] = [:]
        _ = try JournalReader.read(directory: dir, snapshot: { s in snapshotSchedules = try EngineCodec.decodeSnapshot(s.bytes).schedules },
                                   record: { _ in })
        #expect(snapshotSchedules["nightly"]?.key == "account-42" && snapshotSchedules["minutely"]?.key == "account-42",
                "the snapshot carries the keys")
        #expect(report.lastSequence > report.snapshotSequence && report.snapshotSequence > 0)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DOCKET_WRITE_ENGINE_GOLDEN_SCHEDULE_KEYS"] == "1"))
    func writeGoldenScheduleKeys() async throws {
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let dir = TempDirectory("golden-keys-make")
        defer { dir.remove() }
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: { d in
            d.register("ok", payload: Job.self) { job, _ in job.n }
            d.register("slow", payload: Job.self) { _, ctx in try await gate.run(ctx.id) }
        }, configure: { c in
            c.snapshotEvery = 1_000_000
            // Without the megabyte of zeros a preallocated live segment carries.
            c.journal.preallocate = false
        })
        let d = h.docket
        try await d.enqueue("slow", payload: Job(n: 1), options: TaskOptions(id: "export", key: "account-42"))
        await h.recorder.waitFor(.started, "export")
        try await d.schedule("minutely", parsing: "* * * * *", handler: "ok", payload: Job(n: 2), options: ScheduleOptions(key: "account-42"))
        try await d.schedule("nightly", parsing: "CRON_TZ=Europe/Berlin 0 2 * * *", handler: "ok", payload: Job(n: 3),
                             options: ScheduleOptions(overlap: .skip, key: "account-42"))
        try await d.schedule("plain", parsing: "@every 10m", handler: "ok", payload: Job(n: 4))
        clock.advance(by: .seconds(60))
        // The occurrence waits behind "export", which holds the key.
        await h.recorder.waitFor(.enqueued, "minutely@2027-01-15T08:01:00Z")
        await h.settle()
        // A snapshot as the engine writes one (`startSnapshot`): nothing moves while "export" waits.
        let journal = try #require(await d.journal)
        try await journal.writeSnapshot(EngineCodec.encodeSnapshot(await d.state), lastSequence: journal.lastSequence)
        try await d.updateSchedule("nightly", try Schedule(parsing: "CRON_TZ=Europe/Berlin 0 2 * * *"), handler: "ok", payload: Job(n: 3),
                                   options: ScheduleOptions(overlap: .skip, key: "account-43"))
        try await d.enqueue("ok", payload: Job(n: 5), options: TaskOptions(id: "after", delay: .seconds(3600)))
        try await d.journal?.sync()
        try Self.freeze(dir.journal, to: Self.fixtureScheduleKeys)
        gate.open()
        try await h.stop()
    }

    @Test func formatVersion1OpensToTheExpectedState() async throws {
        let expected = try String(contentsOfFile: Self.fixture + "/expected.txt", encoding: .utf8)
        let (state, report) = try StateLoader.load(directory: Self.fixture + "/journal", mode: .strict)
        #expect(report.snapshotSequence > 0, "the fixture has a snapshot")
        #expect(report.lastSequence > report.snapshotSequence, "and records after it")
        #expect(Self.describe(state) == expected)

        // A full open of a copy recovers the interrupted attempt and keeps everything else.
        let tmp = TempDirectory("golden")
        defer { tmp.remove() }
        try copyDirectory(Self.fixture + "/journal", tmp.journal)
        let clock = ManualClock(now: Harness.start.addingTimeInterval(3600))
        let docket = try await Docket.open(directory: tmp.journal, configuration: Harness.configuration(clock))
        #expect(docket.recoveryReport.interrupted == ["slow"])
        #expect(await docket.task("slow")?.status == .scheduled)
        #expect(await docket.task("slow")?.attempt == 1)
        let reopened = await docket.state
        #expect(reopened.tasks.count == state.tasks.count)
        await docket.close()
    }

    /// Copies the journal at `journal` (as a kill -9 would leave it) to `out/journal` and writes
    /// the state it opens to as `out/expected.txt`.
    static func freeze(_ journal: String, to out: String) throws {
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try copyDirectory(journal, out + "/journal")
        try? FileManager.default.removeItem(atPath: out + "/journal/LOCK")
        let (state, _) = try StateLoader.load(directory: out + "/journal", mode: .strict)
        try describe(state).write(toFile: out + "/expected.txt", atomically: true, encoding: .utf8)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DOCKET_WRITE_ENGINE_GOLDEN_WORKFLOWS"] == "1"))
    func writeGoldenWorkflows() async throws {
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let dir = TempDirectory("golden-wf-make")
        defer { dir.remove() }
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: { d in
            d.register("ok", payload: Job.self) { job, _ in job.n * 10 }
            d.register("bad", payload: Job.self) { _, _ in throw JobControl.fail(permanently: "no") }
            d.register("slow", payload: Job.self) { _, ctx in try await gate.run(ctx.id) }
            d.register("charge", payload: Job.self) { _, _ in }
            do { try d.registerCancellation(for: "charge", payload: Job.self, retry: .fixed(.seconds(5))) { _, _ in } } catch {
                Issue.record("registerCancellation: \(error)")
            }
        }, configure: { c in
            // One snapshot (a second would retire the segments holding the workflow records).
            c.snapshotEvery = 60
            c.journal.segmentSize = 16 << 10
        })
        let d = h.docket
        try await d.startWorkflow("chain", stages: [WorkflowStage([NewTask("ok", payload: Job(n: 1))]),
                                                    WorkflowStage([NewTask("ok", payload: Job(n: 2)), NewTask("ok", payload: Job(n: 3))])])
        try await d.startWorkflow("quorum", stages: [WorkflowStage([NewTask("ok", payload: Job(n: 4)), NewTask("bad", payload: Job(n: 5))],
                                                                   completion: .quorum(1)),
                                                     WorkflowStage([NewTask("ok", payload: Job(n: 6))], condition: .ifPreviousFailed)])
        try await d.enqueue("charge", payload: Job(n: 7), options: TaskOptions(id: "order-1", delay: .seconds(600)))
        try await d.cancel("order-1")
        await h.settle()
        // Enough records for a snapshot and the rotation after it.
        for i in 0..<40 { try await d.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "job-\(i)")) }
        await h.settle()
        try await d.startWorkflow("flow", stages: [WorkflowStage([NewTask("slow", payload: Job(n: 8))], timeout: .seconds(900)),
                                                   WorkflowStage([NewTask("ok", payload: Job(n: 9))])])
        await h.recorder.waitFor(.started, "flow/0/0")
        while gate.waiting("flow/0/0") == 0 { await Task.yield() }
        await h.settle()
        try Self.freeze(dir.journal, to: Self.fixtureWorkflows)
        gate.open()
        try await h.stop()
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DOCKET_WRITE_ENGINE_GOLDEN"] == "1"))
    func writeGolden() async throws {
        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let dir = TempDirectory("golden-make")
        defer { dir.remove() }
        let h = try await Harness.make(.journaled, clock: clock, directory: dir, register: { d in
            d.register("ok", payload: Job.self) { job, _ in "done \(job.n)" }
            d.register("bad", payload: Job.self) { _, _ in throw TestFailure(message: "always fails") }
            d.register("slow", payload: Job.self) { _, ctx in try await gate.run(ctx.id) }
        }, configure: { $0.snapshotEvery = 20 })
        let d = h.docket
        try await d.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "first", queue: "mail", priority: 2))
        try await d.enqueue("bad", payload: Job(n: 2), options: TaskOptions(id: "doomed", maxAttempts: 2, retry: .fixed(.seconds(5))))
        try await d.enqueue("ok", payload: Job(n: 3), options: TaskOptions(id: "later", delay: .seconds(3600)))
        try await d.enqueue("ok", payload: Job(n: 4), options: TaskOptions(id: "paused", delay: .seconds(10)))
        try await d.enqueue("ok", payload: Job(n: 5), options: TaskOptions(id: "cancelled", delay: .seconds(10)))
        try await d.pause("paused")
        try await d.cancel("cancelled")
        try await d.schedule("minutely", parsing: "CRON_TZ=Europe/Berlin * * * * *", handler: "ok", payload: Job(n: 6),
                             options: ScheduleOptions(misfire: .fireAll, overlap: .allow))
        try await d.schedule("rule", parsing: "DTSTART:20270115T080000Z\nRRULE:FREQ=MINUTELY;INTERVAL=2;COUNT=10", handler: "ok", payload: Job(n: 7))
        for _ in 0..<6 {
            clock.advance(by: .seconds(30))
            await h.settle()
        }
        await h.recorder.waitFor(.failed, "doomed")
        try await d.enqueue("slow", payload: Job(n: 8), options: TaskOptions(id: "slow", maxAttempts: 3))
        await h.recorder.waitFor(.started, "slow")
        await h.settle()
        try await d.journal?.sync()
        try Self.freeze(dir.journal, to: Self.fixture)
        gate.open()
        try await h.stop()
    }
}
