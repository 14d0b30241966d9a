import Testing
@testable import DocketCLI

/// `docket cron next` and `docket rrule next`, driven in-process.
@Suite struct PreviewCommandTests {
    static func run(_ args: [String]) async -> (Int32, [String], [String]) {
        let output = CapturedOutput()
        let code = await DocketCLI.run(args, output: output)
        return (code, output.stdout, output.stderr)
    }

    /// Messages name the command's flags, not the library's arguments, and `cron next` takes
    /// `@at` as it takes `@every`.
    @Test func messagesNameTheFlagsAndCronTakesAt() async {
        let (code, _, err) = await Self.run(["rrule", "next", "FREQ=DAILY"])
        #expect(code == 2 && err.joined().contains("or pass --dtstart ISO8601"), "\(err)")
        let (both, _, bothErr) = await Self.run(["rrule", "next", "DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY", "--dtstart", "2025-01-01T00:00:00Z"])
        #expect(both == 2 && bothErr.joined().contains("--dtstart was also given"), "\(bothErr)")
        let (at, out, atErr) = await Self.run(["cron", "next", "@at 2030-01-01T00:00:00Z", "--after", "2029-01-01T00:00:00Z"])
        #expect(at == 0 && out == ["2030-01-01T00:00:00+00:00"], "\(out) \(atErr)")
        // An ended rule: nothing on stdout (an empty array with --json), a note on stderr, exit 0.
        let (ended, endedOut, endedErr) = await Self.run(["rrule", "next", "DTSTART:20200101T000000Z\nRRULE:FREQ=DAILY;COUNT=2", "--json"])
        #expect(ended == 0 && endedOut == ["[]"] && endedErr.joined().contains("no fire after that time"), "\(endedOut) \(endedErr)")
        let (bad, _, badErr) = await Self.run(["cron", "next", "@often"])
        #expect(bad == 2 && badErr.joined().contains("and here also @every <duration> and @at <time>"), "\(badErr)")
    }

    @Test func cronPreviewAcrossSpringForward() async {
        let (code, out, err) = await Self.run(["cron", "next", "30 2 * * *", "--tz", "America/New_York",
                                               "--after", "2025-03-08T12:00:00-05:00", "-n", "3"])
        #expect(code == 0 && err.isEmpty)
        #expect(out == ["2025-03-09T03:00:00-04:00", "2025-03-10T02:30:00-04:00", "2025-03-11T02:30:00-04:00"])
    }

    @Test func cronZonePrefixSetsTheOutputZoneAndJSONPrintsAnArray() async {
        let (code, out, _) = await Self.run(["cron", "next", "CRON_TZ=Europe/London 30 1 * * *",
                                             "--after", "2025-10-25T12:00:00Z", "-n", "2", "--json"])
        #expect(code == 0)
        #expect(out == ["[\"2025-10-26T01:30:00+01:00\",\"2025-10-27T01:30:00+00:00\"]"])
    }

    @Test func wallTimeWithoutOffsetIsReadInTheZone() async {
        let (code, out, _) = await Self.run(["cron", "next", "0 * * * *", "--tz", "Asia/Kolkata", "--after", "2025-01-01T10:10", "-n", "1"])
        #expect(code == 0 && out == ["2025-01-01T11:00:00+05:30"])
    }

    @Test func everyIsAnIntervalSchedule() async {
        let (code, out, _) = await Self.run(["cron", "next", "@every 90m", "--after", "2025-01-01T00:00:00Z", "-n", "2"])
        #expect(code == 0 && out == ["2025-01-01T01:30:00+00:00", "2025-01-01T03:00:00+00:00"])
    }

    @Test func badExpressionExitsTwoNamingFieldColumnAndAllowedRange() async {
        let (code, out, err) = await Self.run(["cron", "next", "0 0 32 * *"])
        #expect(code == 2 && out.isEmpty)
        let text = err.joined(separator: "\n")
        #expect(text.contains("field 3 (day-of-month) at column 5: 32 is out of range 1…31"))
        #expect(text.contains("  0 0 32 * *\n      ^"))
    }

    @Test func usageErrorsExitTwo() async {
        #expect(await Self.run(["cron", "next", "* * * * *", "--bogus"]).0 == 2)
        #expect(await Self.run(["cron", "next", "* * * * *", "-n", "0"]).0 == 2)
        #expect(await Self.run(["cron", "next", "* * * * *", "--tz", "Nowhere/City"]).0 == 2)
        #expect(await Self.run(["cron", "next", "* * * * *", "--after", "yesterday"]).0 == 2)
        #expect(await Self.run(["cron", "list"]).0 == 2)
        #expect(await Self.run(["frobnicate"]).0 == 2)
        #expect(await Self.run([]).0 == 2)
    }

    @Test func rrulePreviewWithContentLinesAndEscapedNewline() async {
        let rule = #"DTSTART;TZID=America/New_York:19970929T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"#
        let (code, out, _) = await Self.run(["rrule", "next", rule, "--after", "1997-09-01T00:00:00Z", "-n", "3"])
        #expect(code == 0)
        #expect(out == ["1997-09-29T09:00:00-04:00", "1997-10-30T09:00:00-05:00", "1997-11-27T09:00:00-05:00"])
    }

    @Test func rruleBareRuleTakesDtstartAndZone() async {
        let (code, out, _) = await Self.run(["rrule", "next", "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=3", "--dtstart", "2025-01-06T09:00",
                                             "--tz", "Europe/London", "--after", "2025-01-01T00:00:00Z", "--json"])
        #expect(code == 0)
        #expect(out == ["[\"2025-01-06T09:00:00+00:00\",\"2025-01-10T09:00:00+00:00\",\"2025-01-13T09:00:00+00:00\"]"])
    }

    @Test func rruleErrorsExitTwo() async {
        let (code, _, err) = await Self.run(["rrule", "next", "FREQ=DAILY"])
        #expect(code == 2 && err.joined().contains("the rule needs a start"))
        let (code2, _, err2) = await Self.run(["rrule", "next", "FREQ=WEEKLY;BYMONTHDAY=1", "--dtstart", "2025-01-01T00:00:00Z"])
        #expect(code2 == 2 && err2.joined().contains("BYMONTHDAY is not allowed with FREQ=WEEKLY"))
        #expect(await Self.run(["rrule", "next", "FREQ=DAILY", "--dtstart", "soon"]).0 == 2)
    }
}
