/// `docket journal ...` (being built).
enum JournalCommand {
    static func run(_ arguments: [String], output: CLIOutput) async throws -> Int32 {
        throw UsageError("'journal' is not available yet")
    }
}
