import Foundation
import Synchronization
import Testing
@testable import Docket

/// `DocketHooks.around` wraps every attempt in the attempt's own task, and cannot change a
/// handler's failure into a success.
@Suite(.timeLimit(.minutes(2))) struct HooksTests {
    enum Trace {
        @TaskLocal static var id: String?
    }

    /// Sets a task-local trace id, records what it saw, and misbehaves on purpose for some ids.
    final class Recording: DocketHooks {
        let seen = Mutex<[String]>([])

        func around(_ job: JobContext, attempt: () async throws -> Void) async throws {
            switch job.id {
            case "skip":
                seen.withLock { $0.append("skip skipped") }
                return
            case "swallow":
                do { try await attempt() } catch { seen.withLock { $0.append("swallow threw \(error)") } }
            case "twice":
                // An inline retry: the second call must not run the handler again.
                do { try await attempt() } catch {
                    do { try await attempt() } catch { seen.withLock { $0.append("twice refused: \(error)") } }
                    throw error
                }
            case "veto":
                try await attempt()
                seen.withLock { $0.append("veto vetoed") }
                throw TestFailure(message: "vetoed by the hook")
            default:
                try await Trace.$id.withValue("trace-\(job.id)-\(job.attempt)") { try await attempt() }
                seen.withLock { $0.append("\(job.id) ok") }
            }
        }
    }

    @Test(arguments: EngineKind.allCases) func hooksWrapEveryAttempt(kind: EngineKind) async throws {
        let hooks = Recording()
        let h = try await Harness.make(kind, register: { d in
            d.register("see", payload: Job.self) { _, _ in Trace.id ?? "none" }
            d.register("boom", payload: Job.self) { _, _ in throw TestFailure(message: "boom") }
        }, configure: { c in
            c.hooks = hooks
            c.defaultMaxAttempts = 1
        })
        let d = h.docket
        try await d.enqueue("see", payload: Job(n: 1), options: TaskOptions(id: "a"))
        try await d.enqueue("boom", payload: Job(n: 2), options: TaskOptions(id: "swallow"))
        try await d.enqueue("see", payload: Job(n: 3), options: TaskOptions(id: "veto"))
        try await d.enqueue("see", payload: Job(n: 4), options: TaskOptions(id: "skip"))
        await h.recorder.waitFor(.succeeded, "a")
        await h.recorder.waitFor(.failed, count: 3)
        // The handler saw the task-local value the hook set, in its own task.
        #expect(try await d.task("a")?.decodeOutput(String.self) == "trace-a-1")
        // A swallowed handler error still fails the attempt; a hook error after a success fails
        // it too; a hook that never runs the attempt fails it with a clear message.
        #expect(await d.task("swallow")?.lastError == "boom")
        #expect(await d.task("veto")?.lastError == "vetoed by the hook")
        #expect(await d.task("skip")?.lastError == "the configured DocketHooks.around returned without running the attempt")
        #expect(Set(hooks.seen.withLock { $0 }) == ["a ok", "swallow threw boom", "veto vetoed", "skip skipped"])
        try await h.stop()
        h.directory?.remove()
    }

    /// A hook that calls `attempt` again after a failure (an inline retry) gets an error from
    /// the second call; the handler ran once and its failure stands.
    @Test(arguments: EngineKind.allCases) func aSecondCallOfAttemptDoesNotRunTheHandler(kind: EngineKind) async throws {
        let hooks = Recording()
        let runs = Mutex(0)
        let h = try await Harness.make(kind, register: { d in
            d.register("flaky", payload: Job.self) { _, _ in
                let n = runs.withLock { r -> Int in
                    r += 1
                    return r
                }
                if n == 1 { throw TestFailure(message: "first run fails") }
            }
        }, configure: { c in
            c.hooks = hooks
            c.defaultMaxAttempts = 1
        })
        try await h.docket.enqueue("flaky", payload: Job(n: 1), options: TaskOptions(id: "twice"))
        await h.recorder.waitFor(.failed, "twice")
        #expect(runs.withLock { $0 } == 1)
        #expect(await h.docket.task("twice")?.lastError == "first run fails")
        #expect(hooks.seen.withLock { $0 }.contains { $0.hasPrefix("twice refused: the configured DocketHooks.around called attempt() more than once") })
        try await h.stop()
        h.directory?.remove()
    }

    /// A hook that retries inline, swallowing the first error.
    final class SwallowingRetry: DocketHooks {
        func around(_ job: JobContext, attempt: () async throws -> Void) async throws {
            do { try await attempt() } catch { try await attempt() }
        }
    }

    /// Around a grouped handler too, a second `attempt()` throws without calling the handler
    /// again, and the call's first outcome stands: it ran the call twice and recorded success.
    @Test func anInlineRetryAroundAGroupedHandlerDoesNotRunItTwice() async throws {
        let calls = Mutex(0)
        let h = try await Harness.make(.inMemory, register: { d in
            d.registerGrouped("digest", payload: Job.self) { _ in
                let n = calls.withLock { c -> Int in
                    c += 1
                    return c
                }
                if n == 1 { throw TestFailure(message: "first call fails") }
            }
        }, configure: { c in
            c.hooks = SwallowingRetry()
            c.defaultMaxAttempts = 1
        })
        try await h.docket.enqueue("digest", payload: Job(n: 1), options: TaskOptions(id: "g1"))
        _ = await h.recorder.wait(count: 1, where: { ($0.kind == .failed || $0.kind == .succeeded) && $0.taskID == "g1" })
        #expect(calls.withLock { $0 } == 1)
        let task = await h.docket.task("g1")
        #expect(task?.status == .failed)
        #expect(task?.lastError?.contains("first call fails") == true, "\(String(describing: task?.lastError))")
        try await h.stop()
    }
}
