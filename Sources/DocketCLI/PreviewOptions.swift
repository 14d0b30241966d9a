import DocketSchedules
import Foundation

/// Options and output shared by the preview commands.
enum PreviewOptions {
    static func zone(_ name: String?) throws -> TimeZone? {
        guard let name else { return nil }
        guard let tz = TimeZone(identifier: name) else {
            throw UsageError("--tz: unknown time zone '\(name)'; use an IANA name such as America/New_York, Europe/London or UTC")
        }
        return tz
    }

    static func after(_ text: String?, zone: TimeZone) throws -> Date {
        guard let text else { return Date() }
        do {
            return try ISO8601.date(from: text, timeZone: zone)
        } catch {
            throw UsageError("--after: \(error)")
        }
    }

    /// The error, and for a one-line input the input with a caret under the offending column.
    static func explain(_ error: any Error, in text: String) -> String {
        guard let e = error as? ScheduleError else { return "\(error)" }
        var message = "\(e)"
        if let column = e.column, !text.contains("\n"), column >= 1, column <= text.count + 1 {
            message += "\n  \(text)\n  " + String(repeating: " ", count: column - 1) + "^"
        }
        return message
    }

    static func print(_ dates: [Date], zone: TimeZone, json: Bool, output: CLIOutput) {
        let lines = dates.map { ISO8601.string(from: $0, in: zone) }
        // Nothing at all is an answer too, but say so: an empty output reads like a failure.
        if dates.isEmpty { output.err("docket: no fire after that time (the schedule has ended, or its next fire is more than 400 years away)") }
        if json {
            output.out("[" + lines.map { "\"\($0)\"" }.joined(separator: ",") + "]")
        } else {
            for line in lines { output.out(line) }
        }
    }
}
