import DocketSchedules
import Foundation

/// `docket rrule next RULE [--dtstart ISO8601] [--after ISO8601] [--tz ZONE] [-n N] [--json]`
enum RRuleCommand {
    static let usage = "usage: docket rrule next RULE [--dtstart ISO8601] [--after ISO8601] [--tz ZONE] [-n N] [--json]"

    static func run(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--dtstart", "--after", "--tz", "-n"], flags: ["--json"])
        guard args.positionals.first == "next" else { throw UsageError(usage) }
        guard args.positionals.count == 2 else {
            throw UsageError("expected exactly one rule after 'rrule next' (quote it; separate iCalendar lines with newlines or spaces)\n\(usage)")
        }
        // Shells make real newlines awkward; a literal \n separates lines too.
        let text = args.positionals[1].replacingOccurrences(of: "\\n", with: "\n")
        let zone = try PreviewOptions.zone(args.value("--tz"))
        var start: Date?
        if let s = args.value("--dtstart") {
            do {
                start = try ISO8601.date(from: s, timeZone: zone ?? TimeZone(identifier: "UTC") ?? .gmt)
            } catch {
                throw UsageError("--dtstart: \(error)")
            }
        }
        let rule: RecurrenceRule
        do {
            rule = try RecurrenceRule(parsing: text, start: start, timeZone: zone)
        } catch {
            // The library's words for its `start:` argument; here it is the flag.
            throw UsageError(PreviewOptions.explain(error, in: text)
                .replacingOccurrences(of: "or pass a start date", with: "or pass --dtstart ISO8601")
                .replacingOccurrences(of: "and a start was also given", with: "and --dtstart was also given"))
        }
        let outputZone = zone ?? rule.timeZone
        let after = try PreviewOptions.after(args.value("--after"), zone: outputZone)
        let count = try args.int("-n", default: 5, in: 1...100_000)
        PreviewOptions.print(Array(Schedule.recurrence(rule).fires(after: after).prefix(count)), zone: outputZone, json: args.has("--json"), output: output)
        return ExitCode.success
    }
}
