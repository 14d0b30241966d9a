/// `docket rrule next` (being built).
enum RRuleCommand {
    static func run(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        throw UsageError("'rrule' is not available yet")
    }
}
