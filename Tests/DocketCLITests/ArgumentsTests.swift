import Testing
@testable import DocketCLI

@Suite struct ArgumentsTests {
    @Test func readsValuedOptionsFlagsAndPositionals() throws {
        let a = try Arguments(["next", "*/5 * * * *", "--after=2025-01-01T00:00:00Z", "-n", "3", "--json"],
                              valued: ["--after", "-n"], flags: ["--json"])
        #expect(a.positionals == ["next", "*/5 * * * *"])
        #expect(a.value("--after") == "2025-01-01T00:00:00Z")
        #expect(try a.int("-n", default: 10, in: 1...1000) == 3)
        #expect(a.has("--json"))
    }

    @Test func rejectsUnknownOptionsAndMissingValues() {
        #expect(throws: UsageError.self) { try Arguments(["--bogus"], valued: [], flags: []) }
        #expect(throws: UsageError.self) { try Arguments(["-n"], valued: ["-n"], flags: []) }
        // Given twice: one value would be dropped without a word.
        #expect(throws: UsageError.self) { try Arguments(["-n", "3", "-n", "4"], valued: ["-n"], flags: []) }
        #expect(throws: UsageError.self) { try Arguments(["--limit=1", "--limit", "2"], valued: ["--limit"], flags: []) }
        #expect(throws: UsageError.self) {
            try Arguments(["-n", "x"], valued: ["-n"], flags: []).int("-n", default: 1, in: 1...5)
        }
    }
}
