import Docket
import Foundation

/// One readable line per engine event, for `docket demo`:
/// `12:00:05.013  retried    flaky (flaky) attempt 1 failed, next try at 12:00:07.013: …`.
enum EventLine {
    static func text(_ e: DocketEvent) -> String {
        let kind = e.kind.rawValue.count >= 10 ? e.kind.rawValue : e.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
        var subject = e.taskID
        if let name = e.name, name != e.taskID { subject += " (\(name))" }
        var line = "\(LocalTime.clock(e.at))  \(kind) \(subject)"
        switch e.kind {
        case .enqueued:
            // The due time only when it is not now: a delayed, future or late occurrence.
            if let runAt = e.runAt, abs(runAt.timeIntervalSince(e.at)) >= 0.05 { line += ", due \(LocalTime.clock(runAt))" }
        case .started, .succeeded:
            line += " attempt \(e.attempt)"
        case .retried:
            line += " attempt \(e.attempt) failed"
            if let runAt = e.runAt { line += ", next try at \(LocalTime.clock(runAt))" }
        case .failed:
            line += " after \(e.attempt) attempt(s): dead-letter"
        case .snoozed, .rescheduled:
            if let runAt = e.runAt { line += " until \(LocalTime.clock(runAt))" }
        case .misfired:
            if let runAt = e.runAt { line += ", nominal \(LocalTime.clock(runAt))" }
        case .recovered:
            line += " was running when the process stopped (attempt \(e.attempt) counted)"
        case .workflowEnded:
            line += e.error == nil ? " succeeded" : ""
        case .cancelled, .paused, .resumed:
            break
        }
        if let error = e.error { line += ": \(error)" }
        return line
    }
}
