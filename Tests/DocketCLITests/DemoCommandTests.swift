import Docket
import DocketTestSupport
import Foundation
import Synchronization
import Testing
@testable import DocketCLI

/// `docket demo`: a first run prints events live, a second run resumes from the journal, and
/// SIGINT / SIGTERM stop it gracefully. The runs are the real executable: the demo's timing is
/// the system clock's, and a child process keeps it apart from the load of tests running in
/// parallel in this process.
@Suite(.timeLimit(.minutes(2)))
struct DemoCommandTests {
    /// Runs the executable to its end; its stdout lines, exit code and stderr.
    static func demo(_ arguments: [String]) async throws -> (stdout: [String], status: Int32, stderr: String) {
        let child = try DocketChild(["demo"] + arguments, limit: 60)
        let end = await child.finish()
        return (child.lines, end.reason == .exit ? end.status : -1, end.stderr)
    }

    @Test(.enabled(if: DocketBinary.available, "the docket executable is not built next to the test bundle"))
    func firstRunPrintsEventsAndSecondRunResumes() async throws {
        let tmp = TempDirectory("demo")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"

        let first = try await Self.demo(["--dir", dir, "--for", "4"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.first?.hasPrefix("new demo in \(dir)") == true, "\(first.stdout)")
        for id in ["cron-10s", "every-7s", "once", "rrule-15s"] {
            #expect(first.stdout.contains { $0.hasPrefix("schedule \(id): ") }, "no line for schedule \(id)")
        }
        // Both one-off tasks start at once and fail their first attempt.
        #expect(first.stdout.contains { $0.contains("started    flaky attempt 1") }, "\(first.stdout)")
        #expect(first.stdout.contains { $0.contains("retried    doomed attempt 1 failed, next try at") }, "\(first.stdout)")
        #expect(first.stdout.contains { $0.hasPrefix("4 s are up: stopping") })
        #expect(first.stdout.last?.hasPrefix("stopped: ") == true, "\(first.stdout)")
        // Event lines start with a local time.
        let eventLine = try #require(first.stdout.first { $0.contains("started ") })
        #expect(eventLine.range(of: #"^\d\d:\d\d:\d\d\.\d\d\d  "#, options: .regularExpression) != nil, "\(eventLine)")

        let second = try await Self.demo(["--dir", dir, "--for", "4"])
        #expect(second.status == 0, "\(second.stderr)")
        let resumed = try #require(second.stdout.first)
        #expect(resumed.hasPrefix("resumed from the journal in \(dir): recovered "), "\(resumed)")
        #expect(resumed.contains("task(s) and 4 schedule(s)"), "\(resumed)")
        #expect(!second.stdout.contains { $0.contains("enqueued   flaky") }, "the second run enqueued the flaky task again")
        #expect(second.stdout.last?.hasPrefix("stopped: ") == true)

        // Over the two runs (8 s): the flaky task succeeded on its third attempt, the doomed one
        // is dead-lettered after three, and the one-shot schedule was created once.
        let all = first.stdout + second.stdout
        #expect(all.contains { $0.contains("succeeded  flaky attempt 3") }, "\(all)")
        #expect(all.contains { $0.contains("failed     doomed after 3 attempt(s): dead-letter") }, "\(all)")
        #expect(all.contains { $0.contains("workflowEnded order-1 succeeded") }, "\(all)")
        let state = try Docket.inspect(directory: dir)
        #expect(state.schedules.map(\.id) == ["cron-10s", "every-7s", "once", "rrule-15s"])
        #expect(state.task("flaky")?.status == .succeeded)
        #expect(state.task("doomed")?.status == .failed)
        #expect(state.task("doomed")?.attempt == 3)
        #expect(state.workflows.map(\.id) == ["order-1"] && state.workflows.first?.status == .succeeded)
        #expect(try state.task("order-1/1/0")?.decodeOutput(String.self) == "shipped 2 parcel(s): packed books, packed lamp")
    }

    @Test func badArgumentsExitWithTwo() async {
        for args in [["demo", "--for", "0"], ["demo", "--for", "soon"], ["demo", "extra"], ["demo", "--fast"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 2, "\(args)")
            #expect(!out.stderr.isEmpty)
        }
    }

    @Test(.enabled(if: DocketBinary.available, "the docket executable is not built next to the test bundle"),
          arguments: [(SIGINT, "interrupt (SIGINT): stopping"), (SIGTERM, "terminate (SIGTERM): stopping")])
    func signalStopsTheExecutableGracefully(_ number: Int32, _ line: String) async throws {
        let tmp = TempDirectory("demo-signal")
        defer { tmp.remove() }
        let child = try DocketChild(["demo", "--dir", tmp.path + "/state"], limit: 30)
        await child.read { lines in lines.contains { $0.hasPrefix("running; press Ctrl-C") } }
        child.signal(number)
        // Should the signal have no effect, the failure says what the child did with it (its
        // signal masks 5 s on, while it still runs) and when the test's own steps ran. (In
        // three loaded full runs a Dispatch timer, then a thread, recorded nothing at 5 s.)
        let diagnosis = Mutex<[String]>([]), stopping = Mutex(false)
        let sent = Date()
        let note: @Sendable (String) -> Void = { what in
            diagnosis.withLock { $0.append(String(format: "%.2f s after the signal: ", Date().timeIntervalSince(sent)) + what) }
        }
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 5)
            guard !stopping.withLock({ $0 }) else { return note("the 5 s check found the read over") }
            note(child.signalState())
        }
        await child.read { lines in lines.contains { $0.hasPrefix(line) } }
        stopping.withLock { $0 = true }
        note("the read for the stopping line returned (\(child.lines.count) lines, end of file: \(child.eof))")
        let end = await child.finish()
        note("the child ended")
        let steps = diagnosis.withLock { $0 }.joined(separator: "\n")
        #expect(end.reason == .exit && end.status == 0, "\(end.stderr)\n\(steps)")
        #expect(child.lines.contains { $0.hasPrefix(line) }, "\(child.lines)")
        #expect(child.lines.last?.hasPrefix("stopped: ") == true, "\(child.lines)")
        // The graceful stop closed the journal: the state is readable and clean.
        let state = try Docket.inspect(directory: tmp.path + "/state")
        #expect(state.damage == nil)
        #expect(state.schedules.count == 4)
    }
}
