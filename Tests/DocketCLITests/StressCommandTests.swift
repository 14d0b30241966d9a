import Docket
import Foundation
import Testing
@testable import DocketCLI

@Suite struct StressCommandTests {
    /// `--resume` runs until every stored task is finished; a paused one never finishes by
    /// itself, so it stops once only paused tasks are left and names them (it used to wait
    /// forever).
    @Test func resumeStopsWhenOnlyPausedTasksAreLeft() async throws {
        let tmp = TempDirectory("stress-paused")
        defer { tmp.remove() }
        let dir = tmp.path + "/state"
        let docket = try await Docket.open(directory: dir)
        docket.register("stress", payload: StressCommand.Item.self) { (_: StressCommand.Item, _: JobContext) in }
        for i in 0..<3 {
            try await docket.enqueue("stress", payload: StressCommand.Item(index: i), options: TaskOptions(id: "t-\(i)"))
        }
        _ = try await docket.pause("t-1")
        await docket.close()

        let out = CapturedOutput()
        #expect(await DocketCLI.run(["stress", dir, "--resume"], output: out) == 1)
        #expect(Set(out.stdout) == ["completed t-0", "completed t-2"])
        #expect(out.stderr.contains { $0.contains("1 paused task(s) will not finish until resumed (t-1)") }, "\(out.stderr)")

        let reopened = try await Docket.open(directory: dir)
        #expect(await reopened.task("t-1")?.status == .paused)
        #expect(await reopened.task("t-0")?.status == .succeeded)
        await reopened.close()
    }
}
