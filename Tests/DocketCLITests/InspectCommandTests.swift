import Docket
import DocketJournal
import DocketTestSupport
import Foundation
import Testing
@testable import DocketCLI

/// `docket inspect` and the decoded engine records of `docket journal dump`, on a journal made
/// by a small in-process Docket.
@Suite(.timeLimit(.minutes(2)))
struct InspectCommandTests {
    struct Job: Codable, Sendable { var n: Int }

    static func open(_ dir: String) async throws -> Docket {
        let docket = try await Docket.open(directory: dir)
        docket.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        docket.register("bad", payload: Job.self) { (job: Job, _: JobContext) in
            throw JobControl.fail(permanently: "job \(job.n) is broken on purpose")
        }
        return docket
    }

    /// A journal with a succeeded task, a dead-lettered one, a delayed one on queue "later" and a
    /// nightly schedule; the Docket that wrote it is closed (one snapshot, the whole log kept).
    static func makeJournal(_ dir: String) async throws {
        let docket = try await open(dir)
        try await docket.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "ok-1"))
        try await docket.enqueue("bad", payload: Job(n: 2), options: TaskOptions(id: "bad-2", maxAttempts: 3))
        try await docket.enqueue("ok", payload: Job(n: 3), options: TaskOptions(id: "later-3", delay: .seconds(3600), queue: "later"))
        // On the system clock: a schedule that cannot fire while the test runs (February 29th).
        try await docket.schedule("nightly", parsing: "CRON_TZ=UTC 0 2 29 2 *", handler: "ok", payload: Job(n: 4))
        // Both are due now: wait for their outcomes as events (the suite's time limit bounds it).
        let events = docket.events()
        let runner = Task { try await docket.run() }
        var outcomes: Set<String> = []
        for await event in events {
            if event.kind == .succeeded && event.taskID == "ok-1" { outcomes.insert("ok-1") }
            if event.kind == .failed && event.taskID == "bad-2" { outcomes.insert("bad-2") }
            if outcomes.count == 2 { break }
        }
        runner.cancel()
        try await runner.value
    }

    @Test func inspectReportsCountsSchedulesAndFailuresWithoutTheLock() async throws {
        let tmp = TempDirectory("inspect")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        let docket = try await Self.open(dir)  // holds the lock while inspect reads

        let text = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir], output: text) == 0, "\(text.stderr)")
        #expect(text.stdout.contains("tasks: 3 (scheduled 1, succeeded 1, failed 1)"), "\(text.stdout)")
        #expect(text.stdout.contains("  queue default: succeeded 1, failed 1"), "\(text.stdout)")
        #expect(text.stdout.contains("  queue later: scheduled 1"), "\(text.stdout)")
        #expect(text.stdout.contains("schedules: 1"))
        #expect(text.stdout.contains { $0.hasPrefix("  nightly: CRON_TZ=UTC 0 2 29 2 * → ok, active, next ") }, "\(text.stdout)")
        #expect(text.stdout.contains("failed (dead-letter): 1"))
        #expect(text.stdout.contains { $0.hasPrefix("  bad-2 (bad) after 1/3 attempt(s) at ") && $0.hasSuffix(": job 2 is broken on purpose") },
                "\(text.stdout)")

        let json = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--json"], output: json) == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data((json.stdout.first ?? "").utf8)) as? [String: Any])
        #expect(object["tasks"] as? Int == 3)
        let byStatus = try #require(object["byStatus"] as? [String: Int])
        #expect(byStatus == ["scheduled": 1, "running": 0, "succeeded": 1, "failed": 1, "paused": 0, "cancelled": 0])
        let byQueue = try #require(object["byQueue"] as? [String: [String: Int]])
        #expect(byQueue["later"]?["scheduled"] == 1)
        let schedules = try #require(object["schedules"] as? [[String: Any]])
        #expect(schedules.first?["id"] as? String == "nightly")
        #expect((schedules.first?["nextFire"] as? String)?.hasSuffix("T02:00:00Z") == true)
        // The handler is "name" in schedule objects, as in task objects and `ScheduleInfo`.
        #expect(schedules.first?["name"] as? String == "ok" && schedules.first?["handler"] == nil)
        let failed = try #require(object["failed"] as? [[String: Any]])
        #expect(failed.first?["id"] as? String == "bad-2")
        #expect(failed.first?["error"] as? String == "job 2 is broken on purpose")
        #expect(object["damage"] is NSNull)

        // Read-only: the open instance still works and nothing changed on disk.
        try await docket.enqueue("ok", payload: Job(n: 5), options: TaskOptions(id: "after-5", delay: .seconds(3600)))
        await docket.close()
        #expect(try Docket.inspect(directory: dir).tasks.count == 4)
    }

    @Test func journalDumpDecodesEngineRecords() async throws {
        let tmp = TempDirectory("dump")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)

        let text = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir], output: text) == 0, "\(text.stderr)")
        let bodies = text.stdout.map { $0.split(separator: "\t", maxSplits: 4).last.map(String.init) ?? "" }
        #expect(bodies.contains { $0.hasPrefix("enqueue ok-1 (ok) queue default run at ") }, "\(bodies)")
        #expect(bodies.contains { $0.hasPrefix("enqueue later-3 (ok) queue later run at ") })
        #expect(bodies.contains { $0.hasPrefix("schedule nightly \"CRON_TZ=UTC 0 2 29 2 *\" handler ok active, next fire ") })
        #expect(bodies.contains { $0.hasPrefix("start ") && $0.contains("ok-1 lease ") })
        #expect(bodies.contains { $0.hasPrefix("succeed ok-1 lease ") })
        #expect(bodies.contains { $0.hasPrefix("fail bad-2 lease ") && $0.hasSuffix("failed for good: job 2 is broken on purpose") })
        #expect(text.stdout.allSatisfy { $0.contains("\ttype=17457\t") })

        let json = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir, "--json", "--limit", "1"], output: json) == 0)
        let first = try #require(try JSONSerialization.jsonObject(with: Data((json.stdout.first ?? "").utf8)) as? [String: Any])
        #expect((first["decoded"] as? String)?.hasPrefix("enqueue ok-1 (ok)") == true, "\(first)")
        #expect(first["hex"] is String)

        let raw = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir, "--raw", "--limit", "1"], output: raw) == 0)
        #expect(raw.stdout.first?.range(of: #"\tsize=\d+\t[0-9a-f]+$"#, options: .regularExpression) != nil, "\(raw.stdout)")
    }

    /// `--tasks` lists tasks (filtered by status, limited), and `--as-of` / `journal replay
    /// --to` show the state right after an earlier record: after record 1, only ok-1, waiting.
    @Test func inspectListsTasksAndReplaysToAnEarlierRecord() async throws {
        let tmp = TempDirectory("replay")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)

        let failed = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--tasks", "--status", "failed"], output: failed) == 0, "\(failed.stderr)")
        #expect(failed.stdout.contains("task list: 1"), "\(failed.stdout)")
        #expect(failed.stdout.contains { $0.hasPrefix("  bad-2 (bad) queue default, failed, attempt 1/3, run at ") && $0.hasSuffix(": job 2 is broken on purpose") },
                "\(failed.stdout)")
        let inQueue = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--queue", "later"], output: inQueue) == 0)
        #expect(inQueue.stdout.contains("task list: 1") && inQueue.stdout.contains { $0.hasPrefix("  later-3 (ok) queue later, scheduled") }, "\(inQueue.stdout)")
        let byName = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--name", "ok", "--key", "nobody"], output: byName) == 0)
        #expect(byName.stdout.contains("task list: 0"), "\(byName.stdout)")
        let limited = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--limit", "2", "--json"], output: limited) == 0)
        let all = try #require(try JSONSerialization.jsonObject(with: Data((limited.stdout.first ?? "").utf8)) as? [String: Any])
        #expect((all["taskList"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["ok-1", "bad-2"])

        let replay = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", dir, "--to", "1", "--tasks"], output: replay) == 0, "\(replay.stderr)")
        #expect(replay.stdout.first?.contains("journal through sequence 1") == true, "\(replay.stdout)")
        #expect(replay.stdout.contains("tasks: 1 (scheduled 1)"), "\(replay.stdout)")
        #expect(replay.stdout.contains { $0.hasPrefix("  ok-1 (ok) queue default, scheduled, attempt 0/") }, "\(replay.stdout)")
        let asOf = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--as-of=1", "--json"], output: asOf) == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data((asOf.stdout.first ?? "").utf8)) as? [String: Any])
        #expect(object["lastSequence"] as? Int == 1 && object["tasks"] as? Int == 1)
        // Far in the future: the current state.
        let later = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", dir, "--at", "2999-01-01T00:00:00Z"], output: later) == 0)
        #expect(later.stdout.contains("tasks: 3 (scheduled 1, succeeded 1, failed 1)"), "\(later.stdout)")
        let dump = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir, "--archive", "--limit", "1"], output: dump) == 0)
        #expect(dump.stdout.count == 1)

        for args in [["inspect", dir, "--as-of", "1", "--at", "2027-01-01T00:00:00Z"], ["inspect", dir, "--archive"],
                     ["inspect", dir, "--tasks", "--status", "sleeping"], ["inspect", dir, "--at", "yesterday"],
                     ["journal", "replay", dir, "--to", "-3"], ["inspect", dir, "--limit", "0"], ["journal", "dump", dir, "--limit", "0"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 2, "\(args): \(out.stderr)")
        }
    }

    /// `journal compact` snapshots and applies retention: fewer segment bytes, the same state,
    /// and it can run again; `archive` keeps the old segments readable for audits.
    @Test func journalCompactShrinksTheLogAndKeepsTheState() async throws {
        let tmp = TempDirectory("compact")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        var config = DocketConfiguration()
        config.journal.segmentSize = 4096
        config.snapshotOnClose = false
        let docket = try await Docket.open(directory: dir, configuration: config)
        docket.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        for i in 0..<300 { try await docket.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(3600))) }
        try await docket.cancel((0..<100).map { "t\($0)" })
        await docket.close()
        let before = try Docket.inspect(directory: dir)
        let segmentsBefore = try JournalReader.statistics(directory: dir).segments

        let out = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", dir, "--keep", "1"], output: out) == 0, "\(out.stderr)")
        #expect(out.stdout.count == 2 && out.stdout.last?.contains("retention delete") == true, "\(out.stdout)")
        let segmentsAfter = try JournalReader.statistics(directory: dir).segments
        #expect(segmentsAfter < segmentsBefore, "\(segmentsBefore) -> \(segmentsAfter)")
        #expect(try Docket.inspect(directory: dir).tasks == before.tasks)
        let again = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", dir, "--json"], output: again) == 0, "\(again.stderr)")
        #expect(try Docket.inspect(directory: dir).tasks == before.tasks)
        let report = try #require(again.stdout.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(report["retention"] as? String == "delete")
        #expect((report["after"] as? [String: Any])?["segments"] as? Int == (try JournalReader.statistics(directory: dir).segments))
        #expect((report["before"] as? [String: Any])?["segments"] as? Int == segmentsAfter)
        #expect(report["newestSnapshotSequence"] as? Int != nil)
        let bad = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", dir, "--retention", "shred"], output: bad) == 2)

        // Archiving: once a directory has an archive, compact keeps archiving by default, and
        // the oldest state stays readable.
        let archived = tmp.path + "/archived"
        let writer = try await Docket.open(directory: archived, configuration: config)
        writer.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        for i in 0..<300 { try await writer.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(3600))) }
        await writer.close()
        let first = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", archived, "--retention", "archive", "--keep", "1"], output: first) == 0, "\(first.stderr)")
        let archivedCount = try JournalReader.statistics(directory: archived).archivedSegments
        #expect(archivedCount > 0)
        let second = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", archived, "--keep", "1"], output: second) == 0)
        #expect(second.stdout.last?.contains("retention archive") == true, "\(second.stdout)")
        #expect(try JournalReader.statistics(directory: archived).archivedSegments >= archivedCount)
        #expect(try Docket.inspect(directory: archived, asOf: 1, includeArchive: true).tasks.map(\.id) == ["t0"])

        // A hash-chained journal with a torn tail stays chained; an empty directory is refused.
        let chained = tmp.path + "/chained"
        var chainConfig = config
        chainConfig.journal.hashChain = true
        let chainWriter = try await Docket.open(directory: chained, configuration: chainConfig)
        chainWriter.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        for i in 0..<20 { try await chainWriter.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "c\(i)", delay: .seconds(3600))) }
        await chainWriter.close()
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: chained).filter { $0.hasSuffix(".log") }.sorted().last)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: chained + "/" + segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x44, 0x4B, 0x01, 0x02, 0x03]))
        try handle.close()
        #expect(try JournalReader.statistics(directory: chained).chainHead == nil, "the torn tail stops the strict read")
        let fixed = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", chained], output: fixed) == 0, "\(fixed.stderr)")
        let afterChain = try JournalReader.statistics(directory: chained)
        #expect(afterChain.hashChained && afterChain.chainHead != nil && afterChain.anomaly == nil)
        #expect(try Docket.inspect(directory: chained).tasks.count == 20)
        let empty = tmp.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", empty], output: none) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "nothing created")
    }

    /// Long reads show a progress line on stderr (here forced for every record); results stay
    /// on stdout, and a fast run with the standard timing shows none.
    @Test func longReadsShowAProgressLine() async throws {
        let tmp = TempDirectory("progress")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        let stats = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "stats", dir, "--json"], output: stats) == 0)
        let records = try #require(try JSONSerialization.jsonObject(with: Data((stats.stdout.first ?? "").utf8)) as? [String: Any])["records"] as? Int
        let count = try #require(records)
        #expect(count > 3 && stats.stderr.isEmpty)
        // (A plain `inspect` here reads only the snapshot that close wrote: no records, no line.)
        for command in [["journal", "verify", dir], ["journal", "stats", dir], ["inspect", dir, "--as-of", "3"], ["journal", "replay", dir, "--to", "3"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(command, output: out, progress: .eachRecord) == 0, "\(command): \(out.stderr)")
            let label = command[0] == "inspect" ? "inspect" : command[1]
            #expect(out.stderr.first == "docket: \(label): 1 records read, at sequence 1 (0 s)", "\(command): \(out.stderr)")
            // Every record read shows (the replay reads on to check the rest, as its state needs).
            #expect(out.stderr.count >= (command.contains("3") ? 3 : count), "\(command): \(out.stderr.count) lines")
            #expect(!out.stdout.isEmpty && !out.stdout.contains { $0.contains("records read") })
        }
        // `--at` reads twice and names its passes (the replay here starts from the snapshot that
        // covers every record, so only the first pass reads records).
        let at = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--at", "2100-01-01T00:00:00Z"], output: at, progress: .eachRecord) == 0, "\(at.stderr)")
        #expect(at.stderr.first == "docket: inspect, finding the time: 1 records read, at sequence 1 (0 s)", "\(at.stderr)")
        #expect(at.stderr.count == count, "\(at.stderr)")

        // `journal compact` names its passes: the sizes before (every record), the recovery
        // (every record after the last snapshot: here all of them), the sizes after.
        let loose = tmp.path + "/loose"
        var config = DocketConfiguration()
        config.snapshotOnClose = false
        let writer = try await Docket.open(directory: loose, configuration: config)
        writer.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        for i in 0..<30 { try await writer.enqueue("ok", payload: Job(n: i), options: TaskOptions(id: "t\(i)", delay: .seconds(3600))) }
        await writer.close()
        let compact = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "compact", loose], output: compact, progress: .eachRecord) == 0, "\(compact.stderr)")
        func lines(_ phase: String) -> [String] { compact.stderr.filter { $0.hasPrefix("docket: compact: \(phase): ") } }
        #expect(lines("sizes").count == 30 && lines("sizes").first == "docket: compact: sizes: 1 records read, at sequence 1 (0 s)", "\(compact.stderr)")
        #expect(lines("recovering").count == 30 && lines("recovering").last == "docket: compact: recovering: 30 records read, at sequence 30 (0 s)",
                "\(compact.stderr)")
        #expect(compact.stderr.count == 60 + lines("sizes after").count, "\(compact.stderr)")
        #expect(compact.stdout.count == 2 && !compact.stdout.contains { $0.contains("records read") }, "\(compact.stdout)")
    }

    /// The JSON of `inspect`, `journal verify` and `journal stats` says the same thing the same
    /// way: no record yet is a null `lastSequence` (sequences start at 1; verify and inspect
    /// said 0), and damage found is `damage` (stats said `anomaly`).
    @Test func jsonOutputsAgreeOnEmptyJournalsAndDamage() async throws {
        let tmp = TempDirectory("json-names")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        let docket = try await Self.open(dir)
        await docket.close()
        func object(_ args: [String]) async throws -> [String: Any] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 0, "\(args) \(out.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data((out.stdout.first ?? "").utf8)) as? [String: Any])
        }
        for args in [["inspect", dir, "--json"], ["journal", "verify", dir, "--json"], ["journal", "stats", dir, "--json"]] {
            let o = try await object(args)
            #expect(o["lastSequence"] is NSNull, "\(args): \(o)")
        }
        let stats = try await object(["journal", "stats", dir, "--json"])
        #expect(stats["damage"] is NSNull && stats["anomaly"] == nil, "\(stats)")
    }

    /// After a compaction left only a snapshot, `journal stats` and `verify` agree with
    /// `inspect` on the last sequence (stats said null, verify printed "sequences 0…59").
    @Test func statsAndVerifyAgreeAfterACompaction() async throws {
        let tmp = TempDirectory("compacted-sequences")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        #expect(await DocketCLI.run(["journal", "compact", dir, "--retention", "delete"], output: CapturedOutput()) == 0)
        func object(_ args: [String]) async throws -> [String: Any] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 0, "\(args) \(out.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data((out.stdout.first ?? "").utf8)) as? [String: Any])
        }
        let inspected = try #require(try await object(["inspect", dir, "--json"])["lastSequence"] as? Int)
        #expect(inspected > 0)
        #expect(try await object(["journal", "stats", dir, "--json"])["lastSequence"] as? Int == inspected)
        #expect(try await object(["journal", "verify", dir, "--json"])["lastSequence"] as? Int == inspected)
        let text = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "verify", dir], output: text) == 0)
        #expect(text.stdout.first?.hasSuffix("no records after the snapshot through \(inspected)") == true, "\(text.stdout)")
        let stats = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "stats", dir], output: stats) == 0)
        #expect(stats.stdout.contains("sequences:  no records (the snapshot holds everything through \(inspected))"), "\(stats.stdout)")
    }

    /// `journal dump` prints one line per record, also for an error text with line breaks
    /// and tabs (escaped, with its backslashes), so that tools reading it line by line see every record.
    @Test func dumpPrintsOneLinePerRecord() async throws {
        let tmp = TempDirectory("dump-lines")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        let docket = try await Docket.open(directory: dir)
        docket.register("bad", payload: Job.self) { (_: Job, _: JobContext) in
            throw JobControl.fail(permanently: "line one\nline\ttwo\r\nthree \\n is C")
        }
        try await docket.enqueue("bad", payload: Job(n: 1), options: TaskOptions(id: "b"))
        let events = docket.events()
        let runner = Task { try await docket.run() }
        for await event in events where event.kind == .failed && event.taskID == "b" { break }
        runner.cancel()
        try await runner.value
        let out = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir], output: out) == 0, "\(out.stderr)")
        let fail = out.stdout.filter { $0.contains("\tfail b lease ") }
        #expect(fail.count == 1 && fail.first?.hasSuffix("failed for good: line one\\nline\\ttwo\\r\\nthree \\\\n is C") == true, "\(out.stdout)")
        #expect(out.stdout.allSatisfy { $0.split(separator: "\t").count == 5 }, "\(out.stdout)")
        // inspect's text too: the failed task on one line, escaped as dump escapes it.
        let text = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--tasks"], output: text) == 0)
        let failedLines = text.stdout.filter { $0.hasPrefix("  b (bad)") }
        #expect(failedLines.count == 2 && failedLines.allSatisfy { $0.hasSuffix("line one\\nline\\ttwo\\r\\nthree \\\\n is C") }, "\(text.stdout)")
        // A record past the end: the current state, and a note that says so.
        let past = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--as-of", "999999"], output: past) == 0)
        #expect(past.stderr.contains { $0.contains("record 999999 does not exist yet") }, "\(past.stderr)")
    }

    /// `journal replay` is inspect under its own option name (`--to`): its messages name it,
    /// and text the user typed (a path holding "--as-of") is not rewritten.
    @Test func replaySpeaksOfItsOwnOption() async throws {
        let tmp = TempDirectory("replay-words")
        defer { tmp.remove() }
        let odd = tmp.path + "/--as-of-x"
        let missing = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", odd, "--to", "1"], output: missing) == ExitCode.usage)
        #expect(missing.stderr.contains { $0.contains("'\(odd)' does not exist") }, "\(missing.stderr)")
        let dir = tmp.path + "/state"
        try await Self.makeJournal(dir)
        let both = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", dir, "--to", "1", "--at", "2027-01-01T00:00:00Z"], output: both) == ExitCode.usage)
        #expect(both.stderr.contains { $0.contains("give --to or --at, not both") }, "\(both.stderr)")
        let wrong = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", dir, "--to", "1", "--as-of", "1"], output: wrong) == ExitCode.usage, "inspect's name is not replay's")
        let ok = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "replay", dir, "--to", "1", "--tasks", "--limit", "1"], output: ok) == 0, "\(ok.stderr)")
    }

    /// A time before what retention kept is refused with the command line's advice (the
    /// library's names its API).
    @Test func aTimeBeforeWhatRetentionKeptGetsTheCommandLinesAdvice() async throws {
        let tmp = TempDirectory("inspect-retention")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        var config = DocketConfiguration()
        config.journal.retention = .delete
        config.journal.snapshotsToKeep = 1
        let docket = try await Docket.open(directory: dir, configuration: config)
        docket.register("ok", payload: Job.self) { (_: Job, _: JobContext) in }
        try await docket.enqueue("ok", payload: Job(n: 1), options: TaskOptions(id: "t", delay: .seconds(3600)))
        await docket.close()
        await (try await Docket.open(directory: dir, configuration: config)).close()
        let out = CapturedOutput()
        #expect(await DocketCLI.run(["inspect", dir, "--at", "2000-01-01T00:00:00Z"], output: out) == ExitCode.usage)
        let message = out.stderr.joined(separator: "\n")
        #expect(message.contains("journal compact --retention archive") && message.contains("pass --archive") && !message.contains("includeArchive"), "\(message)")
        #expect(message.contains("only a snapshot taken at 20"), "ISO times: \(message)")
    }

    @Test func describeIgnoresOtherTagsAndGarbage() {
        #expect(EngineRecords.tag == 0x4431)
        #expect(EngineRecords.describe(tag: 1, payload: [1, 2, 3]) == nil)
        #expect(EngineRecords.describe(tag: EngineRecords.tag, payload: []) == nil)
        #expect(EngineRecords.describe(tag: EngineRecords.tag, payload: [99, 0, 0]) == nil)
        #expect(EngineRecords.describe(tag: EngineRecords.tag, payload: Array("DKTS".utf8)) == nil)
    }

    @Test func inspectBadUsageAndMissingDirectory() async {
        for args in [["inspect"], ["inspect", "/nonexistent-docket-dir"], ["inspect", "/tmp", "/tmp"], ["inspect", "/tmp", "--yaml"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 2, "\(args)")
        }
    }

    /// A time on the other side of a DST change than now carries its offset: the header gives
    /// the zone's offset now, and a July fire read in December (or the reverse) would otherwise
    /// be an hour off for the reader. Run as a child with `TZ` set, so no other test's zone moves.
    @Test(.enabled(if: DocketBinary.available, "the docket executable is not built next to the test bundle"))
    func timesAcrossADSTChangeShowTheirOffset() async throws {
        let tmp = TempDirectory("inspect-dst")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        let docket = try await Self.open(dir)
        try await docket.schedule("july", parsing: "CRON_TZ=UTC 0 10 1 7 *", handler: "ok", payload: Job(n: 1))
        try await docket.schedule("january", parsing: "CRON_TZ=UTC 0 10 1 1 *", handler: "ok", payload: Job(n: 2))
        await docket.close()
        let child = try DocketChild(["inspect", dir], environment: ["TZ": "Europe/Paris"], limit: 30)
        let end = await child.finish()
        #expect(end.reason == .exit && end.status == 0, "\(end.stderr)")
        let winterNow = TimeZone(identifier: "Europe/Paris")?.secondsFromGMT(for: Date()) == 3600
        let july = child.lines.first { $0.hasPrefix("  july: ") } ?? ""
        let january = child.lines.first { $0.hasPrefix("  january: ") } ?? ""
        #expect(child.lines.first?.contains(winterNow ? "UTC+01:00" : "UTC+02:00") == true, "\(child.lines)")
        if winterNow {
            #expect(july.contains("12:00:00 UTC+02:00") && january.contains("11:00:00") && !january.contains("UTC+"), "\(child.lines)")
        } else {
            #expect(january.contains("11:00:00 UTC+01:00") && july.contains("12:00:00") && !july.contains("UTC+"), "\(child.lines)")
        }
    }
}
