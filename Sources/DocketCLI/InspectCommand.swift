import Docket
import DocketJournal
import DocketSchedules
import Foundation

/// `docket inspect DIR [--as-of SEQ | --at TIME] [--archive] [--tasks] [--status S] [--limit N] [--json]`:
/// what a Docket directory holds — task counts per status and queue, schedules with their next
/// fires, dead-letter tasks with their errors, and with `--tasks` the tasks themselves — now or
/// as it was at a past sequence or time, read without the lock and without changing anything.
enum InspectCommand {
    static let usage = """
        usage: docket inspect DIR [--as-of SEQ | --at ISO8601] [--archive] [--tasks] [--status S] [--name H] [--queue Q]
                                  [--key K] [--limit N] [--json]
          --as-of SEQ    the state right after journal record SEQ (an audit replay)
          --at TIME      the state at an ISO 8601 time (local without an offset): after the last
                         record written by then
          --archive      also read the segments kept in archive/ (older states need them)
          --tasks        list the tasks too (enqueue order), filtered by --status, --name (handler),
                         --queue and --key (resource key), at most --limit
        """

    /// `asOfOption` and `usageText`: the names `journal replay` runs this under (`--to`).
    static func run(_ arguments: [String], output: CLIOutput, progress timing: ProgressTiming = .standard, label: String = "inspect",
                    asOfOption: String = "--as-of", usageText: String = usage) throws -> Int32 {
        let args = try Arguments(arguments, valued: [asOfOption, "--at", "--status", "--limit", "--name", "--queue", "--key"],
                                 flags: ["--json", "--archive", "--tasks"])
        guard args.positionals.count == 1, let dir = args.positionals.first else {
            throw UsageError("expected exactly one Docket directory\n\(usageText)")
        }
        try UsageError.checkJournalDirectory(dir)
        if args.value(asOfOption) != nil && args.value("--at") != nil { throw UsageError("give \(asOfOption) or --at, not both") }
        let asOf = try args.value(asOfOption).map { _ in UInt64(try args.int(asOfOption, default: 0, in: 0...Int.max)) }
        let at = try args.value("--at").map { text in
            do { return try ISO8601.date(from: text, timeZone: .current) } catch { throw UsageError("--at: \(error)") }
        }
        let status = try args.value("--status").map { text in
            guard let s = TaskStatus(rawValue: text) else {
                throw UsageError("--status: unknown status '\(text)' (one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return s
        }
        let limit = try args.int("--limit", default: Int.max, in: 1...Int.max)
        let (name, queue, key) = (args.value("--name"), args.value("--queue"), args.value("--key"))
        let listTasks = args.has("--tasks") || status != nil || args.value("--limit") != nil || name != nil || queue != nil || key != nil
        let archive = args.has("--archive")
        if archive && asOf == nil && at == nil {
            throw UsageError("--archive goes with \(asOfOption) or --at (the current state never needs the archive)")
        }
        let state: DocketInspection
        do {
            state = try ProgressLine(label, output: output, timing: timing).run { line throws(DocketError) in
                try Docket.inspect(directory: dir, asOf: asOf, at: at, includeArchive: archive,
                                   phase: { line.phase(label + ", " + $0) }, progress: line.record)
            }
        } catch {
            // The library's advice names its API; here the command line's words say it.
            output.err("docket: \(error)".replacingOccurrences(of: "(keep them with Retention.archive and read with includeArchive)",
                                                             with: "(keep them with journal compact --retention archive, or the archive retention in the configuration, and pass --archive)"))
            return ExitCode.of(error)
        }
        let listed = listTasks ? Array(state.tasks.lazy.filter { t in
            (status == nil || t.status == status) && (name == nil || t.name == name) && (queue == nil || t.queue == queue) && (key == nil || t.key == key)
        }.prefix(limit)) : nil
        if let asOf, asOf > state.lastSequence {
            output.err("docket: the journal ends at record \(state.lastSequence); record \(asOf) does not exist yet, so this is the current state")
        }
        if args.has("--json") { output.out(json(state, tasks: listed)) } else { text(state, tasks: listed, output: output) }
        return state.damage.map { $0.isTornTail ? ExitCode.success : ExitCode.checkFailed } ?? ExitCode.success
    }

    static func counts(_ byStatus: [TaskStatus: Int]) -> String {
        let parts = TaskStatus.allCases.compactMap { s in byStatus[s].map { "\(s.rawValue) \($0)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func text(_ state: DocketInspection, tasks listed: [TaskInfo]? = nil, output: CLIOutput) {
        var source = "journal through sequence \(state.lastSequence)"
        if let s = state.snapshotSequence { source += " (snapshot through \(s) + \(state.recordsReplayed) record(s))" }
        output.out("\(state.directory): \(source); times are local (\(LocalTime.zoneDescription()))")
        output.out("tasks: \(state.tasks.count) (\(counts(state.byStatus)))")
        for (queue, byStatus) in state.byQueue.sorted(by: { $0.key < $1.key }) {
            output.out("  queue \(queue): \(counts(byStatus))")
        }
        output.out("schedules: \(state.schedules.count)")
        for s in state.schedules {
            var line = "  \(s.id): \(s.schedule.description.replacingOccurrences(of: "\n", with: " ")) → \(s.name), \(s.status.rawValue)"
            line += s.nextFire.map { ", next \(LocalTime.dateTime($0))" } ?? ", no next fire"
            if let last = s.lastFire { line += ", last \(LocalTime.dateTime(last))" }
            if let key = s.key { line += ", key \(key)" }
            output.out(line)
        }
        if !state.workflows.isEmpty {
            output.out("workflows: \(state.workflows.count)")
            for w in state.workflows {
                let outcomes = w.stageOutcomes.map { $0.map { $0 ? "ok" : "failed" } ?? "-" }.joined(separator: " ")
                output.out("  \(w.id): \(w.status.rawValue), stage \(min(w.currentStage + 1, w.stageOutcomes.count))/\(w.stageOutcomes.count) [\(outcomes)], \(Int(w.progress * 100)) %")
            }
        }
        let failed = state.failed
        output.out("failed (dead-letter): \(failed.count)")
        for t in failed {
            var line = "  \(t.id) (\(t.name)) after \(t.attempt)/\(t.maxAttempts) attempt(s)"
            if let at = t.finishedAt { line += " at \(LocalTime.dateTime(at))" }
            output.out(line + ": \(oneLine(t.lastError ?? "no error recorded"))")
        }
        if let listed {
            output.out("task list: \(listed.count)")
            for t in listed { output.out("  " + line(t)) }
        }
        if let damage = state.damage {
            output.out("damage: \(JournalCommand.problemText(damage)); the state above is what comes before it")
        }
    }

    /// One task on one line: id, handler, queue, status, attempts, run time and last error.
    static func line(_ t: TaskInfo) -> String {
        var line = "\(t.id) (\(t.name)) queue \(t.queue), \(t.status.rawValue), attempt \(t.attempt)/\(t.maxAttempts), run at \(LocalTime.dateTime(t.runAt))"
        if let key = t.key { line += ", key \(key)" }
        if let error = t.lastError { line += ": \(oneLine(error))" }
        return line
    }

    /// An error text on one line, as `journal dump` writes it: line breaks, tabs and the
    /// backslashes that escape them written as escapes, so one task stays one line.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\t", with: "\\t")
    }

    /// One task as a JSON object (the dead-letter list and `--tasks` share it).
    static func taskObject(_ t: TaskInfo) -> String {
        var o = JournalJSON()
        o.add("id", t.id)
        o.add("name", t.name)
        o.add("queue", t.queue)
        o.add("key", t.key)
        o.add("status", t.status.rawValue)
        o.add("attempt", t.attempt)
        o.add("maxAttempts", t.maxAttempts)
        o.add("runAt", LocalTime.utc(t.runAt))
        o.add("error", t.lastError)
        o.add("finishedAt", t.finishedAt.map(LocalTime.utc))
        return o.text
    }

    static func json(_ state: DocketInspection, tasks listed: [TaskInfo]? = nil) -> String {
        func statusObject(_ byStatus: [TaskStatus: Int]) -> String {
            var j = JournalJSON()
            for s in TaskStatus.allCases { j.add(s.rawValue, byStatus[s] ?? 0) }
            return j.text
        }
        var j = JournalJSON()
        j.add("directory", state.directory)
        // Sequences start at 1: none yet is null, as in `journal stats` and `verify`.
        j.add("lastSequence", state.lastSequence == 0 ? nil : state.lastSequence)
        j.add("snapshotSequence", state.snapshotSequence)
        j.add("recordsReplayed", state.recordsReplayed)
        j.add("tasks", state.tasks.count)
        j.add("byStatus", raw: statusObject(state.byStatus))
        var queues = JournalJSON()
        for (queue, byStatus) in state.byQueue.sorted(by: { $0.key < $1.key }) { queues.add(queue, raw: statusObject(byStatus)) }
        j.add("byQueue", raw: queues.text)
        j.add("schedules", raw: JournalJSON.array(state.schedules.map { s in
            var o = JournalJSON()
            o.add("id", s.id)
            o.add("schedule", s.schedule.description)
            o.add("name", s.name)
            o.add("queue", s.queue)
            o.add("status", s.status.rawValue)
            o.add("nextFire", s.nextFire.map(LocalTime.utc))
            o.add("lastFire", s.lastFire.map(LocalTime.utc))
            o.add("lastTask", s.lastTaskID)
            o.add("key", s.key)
            return o.text
        }))
        j.add("workflows", raw: JournalJSON.array(state.workflows.map { w in
            var o = JournalJSON()
            o.add("id", w.id)
            o.add("status", w.status.rawValue)
            o.add("currentStage", w.currentStage)
            o.add("stages", w.stageOutcomes.count)
            o.add("progress", raw: String(w.progress))
            return o.text
        }))
        j.add("failed", raw: JournalJSON.array(state.failed.map(taskObject)))
        if let listed { j.add("taskList", raw: JournalJSON.array(listed.map(taskObject))) }
        j.add("damage", raw: state.damage.map(JournalCommand.problemJSON) ?? "null")
        return j.text
    }
}
