import Docket
import Foundation

/// The jobs of `docket demo`: one of each kind of schedule, a task that succeeds on its third
/// attempt, one that never does, and a small workflow (two packing steps in parallel, then
/// shipping with their results). Creating them is idempotent, so a restart resumes the same
/// service from its journal instead of creating it again.
enum DemoService {
    /// The payload of every demo job.
    struct Note: Codable, Sendable {
        var text: String
    }

    /// What the failing handlers throw.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let cronID = "cron-10s"
    static let intervalID = "every-7s"
    static let oneShotID = "once"
    static let rruleID = "rrule-15s"
    static let flakyID = "flaky"
    static let doomedID = "doomed"
    static let workflowID = "order-1"

    static func registerHandlers(_ docket: Docket) {
        docket.register("tick", payload: Note.self) { note, _ in note.text }
        docket.register("heartbeat", payload: Note.self) { note, _ in note.text }
        docket.register("reminder", payload: Note.self) { note, _ in note.text }
        docket.register("report", payload: Note.self) { note, _ in note.text }
        docket.register("flaky", payload: Note.self) { (_: Note, job: JobContext) in
            if job.attempt <= 2 {
                throw Failure(description: "the upstream service is still warming up (attempt \(job.attempt); it answers on the third)")
            }
        }
        docket.register("pack", payload: Note.self) { note, _ in "packed " + note.text }
        docket.register("ship", payload: Note.self) { (_: Note, job: JobContext) -> String in
            let parcels = try await job.previousResults(as: String.self)
            return "shipped \(parcels.count) parcel(s): " + parcels.joined(separator: ", ")
        }
        docket.register("doomed", payload: Note.self) { (_: Note, job: JobContext) in
            throw Failure(description: "the mail server refused the message (attempt \(job.attempt) of \(job.maxAttempts))")
        }
    }

    /// Creates whatever does not exist yet; returns how many jobs it created.
    static func createJobs(_ docket: Docket, start: Date) async throws(DocketError) -> Int {
        var created = 0
        func schedule(_ id: String, _ text: String, handler: String, note: String) async throws(DocketError) {
            guard await docket.scheduleInfo(id) == nil else { return }
            try await docket.schedule(id, parsing: text, handler: handler, payload: Note(text: note))
            created += 1
        }
        try await schedule(cronID, "*/10 * * * * *", handler: "tick", note: "cron: every 10 seconds")
        try await schedule(intervalID, "@every 7s", handler: "heartbeat", note: "interval: every 7 seconds")
        // Taken now, not from `start`: the creations before may have waited for slow syncs.
        let inFive = (Date().timeIntervalSince1970 + 5).rounded(.up)
        try await schedule(oneShotID, "@at " + LocalTime.utc(Date(timeIntervalSince1970: inFive)), handler: "reminder",
                           note: "one-shot: 5 seconds after the first start")
        let whole = start.timeIntervalSince1970.rounded(.down)
        let dtstart = LocalTime.utc(Date(timeIntervalSince1970: whole)).replacingOccurrences(of: "-", with: "")
            .replacingOccurrences(of: ":", with: "")
        try await schedule(rruleID, "DTSTART:\(dtstart)\nRRULE:FREQ=SECONDLY;INTERVAL=15", handler: "report",
                           note: "RRULE: every 15 seconds from the first start")
        if await docket.task(flakyID) == nil {
            try await docket.enqueue("flaky", payload: Note(text: "fails twice, then succeeds"),
                                     options: TaskOptions(id: flakyID, maxAttempts: 5, retry: .fixed(.seconds(2))))
            created += 1
        }
        if await docket.task(doomedID) == nil {
            try await docket.enqueue("doomed", payload: Note(text: "always fails"),
                                     options: TaskOptions(id: doomedID, maxAttempts: 3, retry: .fixed(.seconds(1))))
            created += 1
        }
        if await docket.workflow(workflowID) == nil {
            try await docket.startWorkflow(workflowID, stages: Workflow.chord(
                [NewTask("pack", payload: Note(text: "books")), NewTask("pack", payload: Note(text: "lamp"))],
                then: NewTask("ship", payload: Note(text: "to the customer"))))
            created += 1
        }
        return created
    }
}
