/// Code run around every handler attempt, in the attempt's own task: where to bridge Docket to
/// a logging, metrics or tracing library without Docket depending on one. Task-local values set
/// here (a tracing span, logging metadata) are seen by the handler.
///
/// ```swift
/// struct Timing: DocketHooks {
///     func around(_ job: JobContext, attempt: () async throws -> Void) async throws {
///         let start = ContinuousClock.now
///         defer { print(job.name, job.id, "attempt", job.attempt, "took", ContinuousClock.now - start) }
///         try await attempt()
///     }
/// }
/// var config = DocketConfiguration()
/// config.hooks = Timing()
/// ```
public protocol DocketHooks: Sendable {
    /// Runs one attempt of `job`: call `attempt` exactly once, then return or rethrow (a second
    /// call throws without running the handler again).
    ///
    /// The handler's outcome stands whatever the hook does with it: an error the hook swallows
    /// still fails the attempt. A hook that throws after a successful attempt fails it with its
    /// own error (retried per the task's policy), and so does one that never calls `attempt`.
    func around(_ job: JobContext, attempt: () async throws -> Void) async throws
}

/// Thrown to a hook that calls `attempt` a second time: an attempt runs its handler once, and
/// its first outcome stands (an inline retry in a hook must not turn a failure into a success).
struct HookRanAttemptTwice: Error, CustomStringConvertible {
    var description: String { "the configured DocketHooks.around called attempt() more than once; an attempt runs its handler once" }
}

/// Thrown for an attempt whose hook returned without running it.
struct HookSkippedAttempt: Error, CustomStringConvertible {
    var description: String { "the configured DocketHooks.around returned without running the attempt" }
}

extension Docket {
    /// One attempt of `handler`, through `hooks` when there are any; the outcome the engine
    /// records.
    static func runAttempt(_ handler: AnyHandler, _ context: JobContext, _ payload: [UInt8],
                           hooks: (any DocketHooks)?) async -> Result<[UInt8]?, any Error> {
        guard let hooks else {
            do { return .success(try await handler.run(context, payload)) } catch { return .failure(error) }
        }
        var outcome: Result<[UInt8]?, any Error>?
        do {
            try await hooks.around(context) {
                guard outcome == nil else { throw HookRanAttemptTwice() }
                do {
                    outcome = .success(try await handler.run(context, payload))
                } catch {
                    outcome = .failure(error)
                    throw error
                }
            }
        } catch {
            // The handler's own error stands; the hook's counts only when the handler succeeded
            // or never ran.
            if case .failure? = outcome {} else { outcome = .failure(error) }
        }
        return outcome ?? .failure(HookSkippedAttempt())
    }
}
