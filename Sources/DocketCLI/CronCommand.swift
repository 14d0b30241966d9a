/// `docket cron next` (being built).
enum CronCommand {
    static func run(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        throw UsageError("'cron' is not available yet")
    }
}
