/// Readable text for the engine's journal records, for tools such as `docket journal dump`.
///
/// ```swift
/// try JournalReader.read(directory: dir) { record in
///     print(EngineRecords.describe(tag: record.tag, payload: record.payload) ?? "not an engine record")
/// }
/// // enqueue t-7 (stress) queue default run at 2026-11-23T09:00:00Z attempts 0/5 retry fixed 0.01 s
/// ```
public enum EngineRecords {
    /// The journal tag of engine records (`0x4431`, "D1").
    public static var tag: UInt16 { EngineCodec.recordTag }

    /// Whether `bytes` are an engine snapshot (they start with its magic).
    package static func isSnapshot(_ bytes: [UInt8]) -> Bool { bytes.starts(with: EngineCodec.snapshotMagic) }

    /// One line describing an engine record: the mutation, the task or schedule ids it acts on
    /// and its times (UTC). Nil when `tag` is not the engine's or the payload does not decode
    /// as one of its mutations.
    public static func describe(tag: UInt16, payload: [UInt8]) -> String? {
        guard tag == EngineCodec.recordTag, let m = try? EngineCodec.decodeMutation(payload) else { return nil }
        return describe(m)
    }

    static func describe(_ m: Mutation) -> String {
        switch m {
        case .enqueue(let t):
            return "enqueue " + task(t)
        case .start(let leases, let at):
            let list = leases.prefix(8).map { "\($0.id) lease \($0.lease)" }.joined(separator: ", ")
            return "start \(leases.count) task(s) at \(stamp(at)): \(list)\(leases.count > 8 ? ", …" : "")"
        case .succeed(let id, let lease, let output, let at):
            return "succeed \(id) lease \(lease) at \(stamp(at))\(output.map { ", output \($0.count) bytes" } ?? "")"
        case .fail(let id, let lease, let error, let retryAt, let at):
            let outcome = retryAt.map { "retry at \(stamp($0))" } ?? "failed for good"
            return "fail \(id) lease \(lease) at \(stamp(at)), \(outcome): \(error)"
        case .snooze(let id, let lease, let until, let at):
            return "snooze \(id) lease \(lease) at \(stamp(at)) until \(stamp(until))"
        case .progress(let id, let lease, let value):
            return "progress \(id) lease \(lease): \(value)"
        case .cancel(let ids, let at):
            return "cancel \(list(ids)) at \(stamp(at))"
        case .pause(let ids, let at):
            return "pause \(list(ids)) at \(stamp(at))"
        case .resume(let ids, let at):
            return "resume \(list(ids)) at \(stamp(at))"
        case .reschedule(let ids, let runAt, let at):
            return "reschedule \(list(ids)) to \(stamp(runAt)) at \(stamp(at))"
        case .retryNow(let ids, let at):
            return "retry-now \(list(ids)) at \(stamp(at))"
        case .shiftRunAt(let ids, let by, let at):
            return "clock-step-back \(list(ids)) earlier by \(Double(by) / 1e6) s at \(stamp(at))"
        case .shiftWorkflowDeadlines(let ids, let by, let at):
            return "clock-step-back workflow deadlines \(list(ids)) earlier by \(Double(by) / 1e6) s at \(stamp(at))"
        case .purge(let ids):
            return "purge \(list(ids))"
        case .removeSchedules(let ids):
            return "remove finished schedule(s) \(list(ids, noun: "schedules"))"
        case .upsertSchedule(let s):
            var text = "schedule \(s.id) \"\(s.schedule.description.replacingOccurrences(of: "\n", with: " "))\" handler \(s.name) \(s.status.rawValue)"
            text += ", next fire \(s.nextFire.map(stamp) ?? "none"), misfire \(s.misfire.rawValue), overlap \(s.overlap.rawValue)"
            if let key = s.key { text += ", key \(key)" }
            return text
        case .setScheduleStatus(let id, let status, let nextFire, let at):
            return "schedule \(id) \(status.rawValue) at \(stamp(at)), next fire \(nextFire.map(stamp) ?? "none")"
        case .fire(let sid, let created, let lastNominal, _, let skippedCount, let nextFire, let at):
            var text = "fire \(sid) at \(stamp(at)): created \(list(created.map(\.id)))"
            if let lastNominal { text += ", nominal \(stamp(lastNominal))" }
            if skippedCount > 0 { text += ", skipped \(skippedCount)" }
            return text + ", next fire \(nextFire.map(stamp) ?? "none")"
        case .startWorkflow(let w, let at):
            let stages = w.stages.map { "\($0.steps.count) × \($0.steps.first?.name ?? "-")" }.joined(separator: " → ")
            return "workflow \(w.id) started at \(stamp(at)): \(stages)"
        case .cancelWorkflow(let id, let at):
            return "workflow \(id) cancelled at \(stamp(at))"
        case .cancelWithCompensation(let ids, let created, let at):
            return "cancel \(list(ids)) at \(stamp(at)), cancellation handlers \(list(created.map(\.id)))"
        case .workflowTimedOut(let id, let stage, let at):
            return "workflow \(id) stage \(stage) timed out at \(stamp(at))"
        case .removeWorkflows(let ids):
            return "remove finished workflow(s) \(list(ids, noun: "workflows"))"
        }
    }

    private static func task(_ t: TaskEntry) -> String {
        var text = "\(t.id) (\(t.name)) queue \(t.queue)"
        if t.priority != 0 { text += " priority \(t.priority)" }
        if let key = t.key { text += " key \(key)" }
        text += " run at \(stamp(t.runAt)) attempts \(t.attempt)/\(t.maxAttempts) retry \(retry(t.retry))"
        if t.timeout > 0 { text += " timeout \(Time.duration(t.timeout))" }
        if t.status != .scheduled { text += " \(t.status.rawValue)" }
        if let sid = t.scheduleID { text += " schedule \(sid)" }
        return text + ", payload \(t.payload.count) bytes"
    }

    private static func retry(_ p: RetryPolicy) -> String {
        switch p {
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            "exponential \(initial) ×\(multiplier) max \(maximum) jitter \(jitter)"
        case .fixed(let d): "fixed \(d)"
        case .never: "never"
        case .custom(let name): "custom \(name)"
        }
    }

    private static func list(_ ids: [String], noun: String = "tasks") -> String {
        if ids.isEmpty { return "nothing" }
        let shown = ids.prefix(8).joined(separator: ", ")
        return ids.count > 8 ? "\(ids.count) \(noun): \(shown), …" : shown
    }

    private static func stamp(_ micros: Micros) -> String { UTCStamp.string(micros) }
}
