import DocketSchedules
import Foundation

/// `docket cron next EXPR [--after ISO8601] [--tz ZONE] [-n N] [--json]`
enum CronCommand {
    static let usage = "usage: docket cron next EXPR [--after ISO8601] [--tz ZONE] [-n N] [--json]"

    static func run(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--after", "--tz", "-n"], flags: ["--json"])
        guard args.positionals.first == "next" else { throw UsageError(usage) }
        guard args.positionals.count == 2 else {
            throw UsageError("expected exactly one expression after 'cron next' (quote it)\n\(usage)")
        }
        let text = args.positionals[1]
        let zone = try PreviewOptions.zone(args.value("--tz"))
        let schedule: Schedule
        do {
            let head = text.trimmingCharacters(in: .whitespaces).lowercased()
            if head.hasPrefix("@every") || head.hasPrefix("@at") {
                schedule = try Schedule(parsing: text, timeZone: zone)
            } else {
                schedule = .cron(try CronExpression(text, timeZone: zone))
            }
        } catch {
            throw UsageError(PreviewOptions.explain(error, in: text)
                .replacingOccurrences(of: "or @every <duration> as a Schedule", with: "and here also @every <duration> and @at <time>"))
        }
        let outputZone: TimeZone
        if let zone {
            outputZone = zone
        } else if case .cron(let cron) = schedule {
            outputZone = cron.timeZone
        } else {
            outputZone = TimeZone(identifier: "UTC") ?? .gmt
        }
        let after = try PreviewOptions.after(args.value("--after"), zone: outputZone)
        let count = try args.int("-n", default: 5, in: 1...100_000)
        PreviewOptions.print(Array(schedule.fires(after: after).prefix(count)), zone: outputZone, json: args.has("--json"), output: output)
        return ExitCode.success
    }
}
