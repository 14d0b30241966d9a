import Docket
import DocketJournal
import Foundation

/// `docket inspect DIR [--json]`: what a Docket directory holds — task counts per status and
/// queue, schedules with their next fires, dead-letter tasks with their errors — read without
/// the lock and without changing anything.
enum InspectCommand {
    static let usage = "usage: docket inspect DIR [--json]"

    static func run(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], flags: ["--json"])
        guard args.positionals.count == 1, let dir = args.positionals.first else {
            throw UsageError("expected exactly one Docket directory\n\(usage)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("'\(dir)' is not a directory")
        }
        let state: DocketInspection
        do {
            state = try Docket.inspect(directory: dir)
        } catch {
            output.err("docket: \(error)")
            return ExitCode.checkFailed
        }
        if args.has("--json") { output.out(json(state)) } else { text(state, output: output) }
        return state.damage.map { $0.isTornTail ? ExitCode.success : ExitCode.checkFailed } ?? ExitCode.success
    }

    static func counts(_ byStatus: [TaskStatus: Int]) -> String {
        let parts = TaskStatus.allCases.compactMap { s in byStatus[s].map { "\(s.rawValue) \($0)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func text(_ state: DocketInspection, output: CLIOutput) {
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
            output.out(line)
        }
        let failed = state.failed
        output.out("failed (dead-letter): \(failed.count)")
        for t in failed {
            var line = "  \(t.id) (\(t.name)) after \(t.attempt)/\(t.maxAttempts) attempt(s)"
            if let at = t.finishedAt { line += " at \(LocalTime.dateTime(at))" }
            output.out(line + ": \(t.lastError ?? "no error recorded")")
        }
        if let damage = state.damage {
            output.out("damage: \(JournalCommand.problemText(damage)); the state above is what comes before it")
        }
    }

    static func json(_ state: DocketInspection) -> String {
        func statusObject(_ byStatus: [TaskStatus: Int]) -> String {
            var j = JournalJSON()
            for s in TaskStatus.allCases { j.add(s.rawValue, byStatus[s] ?? 0) }
            return j.text
        }
        var j = JournalJSON()
        j.add("directory", state.directory)
        j.add("lastSequence", state.lastSequence)
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
            o.add("handler", s.name)
            o.add("queue", s.queue)
            o.add("status", s.status.rawValue)
            o.add("nextFire", s.nextFire.map(LocalTime.utc))
            o.add("lastFire", s.lastFire.map(LocalTime.utc))
            o.add("lastTask", s.lastTaskID)
            return o.text
        }))
        j.add("failed", raw: JournalJSON.array(state.failed.map { t in
            var o = JournalJSON()
            o.add("id", t.id)
            o.add("name", t.name)
            o.add("queue", t.queue)
            o.add("attempt", t.attempt)
            o.add("maxAttempts", t.maxAttempts)
            o.add("error", t.lastError)
            o.add("finishedAt", t.finishedAt.map(LocalTime.utc))
            return o.text
        }))
        j.add("damage", raw: state.damage.map(JournalCommand.problemJSON) ?? "null")
        return j.text
    }
}
