import Docket
import Foundation
import Synchronization

/// `docket stress DIR --tasks N [--producers P] [--durability …] [--snapshot-every N] [--resume]`:
/// engine load for crash tests from outside. P producers enqueue N tasks with the ids `t-0` …
/// `t-<N-1>` and print `enqueued <id>` once each enqueue is acknowledged; the handler does
/// nothing but print `completed <id>`. Every line is one unbuffered write, so a test that kills
/// the process knows what was promised. It runs until every stored task is finished
/// (succeeded, failed or cancelled), then exits 0; if only paused tasks are left, it names them
/// and exits 1. `--resume` enqueues nothing.
enum StressCommand {
    /// The one handler stress registers and enqueues for.
    static let handlerName = "stress"

    static let usage = """
        usage: docket stress DIR --tasks N [--producers P] [--durability always|interval:MS|none]
                             [--snapshot-every N] [--resume]
        """

    /// The payload of a stress task.
    struct Item: Codable, Sendable {
        var index: Int
    }

    /// Set once `run()` has returned, so the wait for unfinished tasks does not outlive it.
    private final class Done: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    static func run(_ arguments: [String], output: CLIOutput) async throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--tasks", "--producers", "--durability", "--snapshot-every"], flags: ["--resume"])
        guard args.positionals.count == 1, let dir = args.positionals.first else {
            throw UsageError("expected exactly one directory\n\(usage)")
        }
        let resume = args.has("--resume")
        if resume, args.value("--tasks") != nil || args.value("--producers") != nil {
            throw UsageError("--resume enqueues nothing: leave out --tasks and --producers")
        }
        if !resume, args.value("--tasks") == nil { throw UsageError("--tasks N is required (or --resume)\n\(usage)") }
        let count = try args.int("--tasks", default: 0, in: 1...100_000_000)
        let producers = try args.int("--producers", default: 1, in: 1...10_000)
        var configuration = DocketConfiguration()
        configuration.durability = try JournalStressCommand.parseDurability(args.value("--durability") ?? "always")
        configuration.snapshotEvery = try args.int("--snapshot-every", default: configuration.snapshotEvery, in: 1...1_000_000_000)
        configuration.shutdownGrace = .seconds(5)
        let out = SharedOutput(output)
        let start = ContinuousClock.now

        // With --resume too: it opens the directory as well (an existing one).
        if resume { try UsageError.checkExistingDirectory(dir) }
        try UsageError.checkJournalDirectoryOrAbsent(dir)
        // Read without opening (which would recover and, at close, snapshot it): a directory
        // that holds tasks already is refused untouched. Its ids would be acknowledged again
        // without running again, an "enqueued" line with no "completed" one, which the kill
        // tests read as a loss.
        if FileManager.default.fileExists(atPath: dir), let held = try? Docket.inspect(directory: dir) {
            if !resume, !held.tasks.isEmpty {
                throw UsageError("'\(dir)' holds \(held.tasks.count) task(s) already: pass --resume to run what is left, or use a new directory")
            }
            // Another service's directory: its tasks would fail for want of a handler, and
            // its schedules would fire into the same, for good.
            let foreign = held.tasks.filter { !$0.status.isTerminal && $0.name != Self.handlerName }
            if let first = foreign.first {
                throw UsageError("'\(dir)' holds \(foreign.count) unfinished task(s) of handlers stress does not run (\"\(first.name)\"): --resume would fail them; give it a directory stress wrote")
            }
            if let schedule = held.schedules.first(where: { $0.status != .finished }) {
                throw UsageError("'\(dir)' holds the schedule \"\(schedule.id)\" (stress makes none): --resume would run it with no handler; give it a directory stress wrote")
            }
        }
        let docket: Docket
        do {
            docket = try await Docket.open(directory: dir, configuration: configuration)
        } catch {
            out.err("docket: \(error)")
            return ExitCode.of(error)
        }
        let report = docket.recoveryReport
        out.err("docket: stress \(dir): recovered \(report.tasks) task(s), \(report.interrupted.count) interrupted")
        docket.register(Self.handlerName, payload: Item.self) { (_: Item, job: JobContext) in
            out.out("completed \(job.id)")
        }
        let done = Done()
        let runner = Task {
            defer { done.set() }
            try await docket.run()
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in 0..<(resume ? 0 : min(producers, count)) {
                    group.addTask {
                        for i in stride(from: p, to: count, by: producers) {
                            let id = "t-\(i)"
                            // Many attempts and a short fixed delay: every kill may cost a running
                            // task one attempt, and the resumed run should not wait long for it.
                            try await docket.enqueue(Self.handlerName, payload: Item(index: i),
                                                     options: TaskOptions(id: id, maxAttempts: 1_000, retry: .fixed(.milliseconds(10))))
                            out.out("enqueued \(id)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            out.err("docket: enqueue failed: \(error)")
            runner.cancel()
            _ = await runner.result
            return ExitCode.checkFailed
        }
        // Until every stored task is finished (or run() ended by itself, with an error). Paused
        // tasks never finish by themselves: once only they are left, waiting is pointless.
        var paused = 0
        while !done.isSet {
            let stats = await docket.stats()
            let unfinished = stats.byStatus.filter { !$0.key.isTerminal }.values.reduce(0, +)
            paused = stats.byStatus[.paused] ?? 0
            if unfinished == paused { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        runner.cancel()
        if case .failure(let error) = await runner.result {
            out.err("docket: run failed: \(error)")
            return ExitCode.checkFailed
        }
        if paused > 0 {
            let ids = try await docket.tasks(matching: TaskFilter(statuses: [.paused]), limit: 5).tasks.map(\.id)
            out.err("docket: stress stopped: \(paused) paused task(s) will not finish until resumed (\(ids.joined(separator: ", "))\(paused > ids.count ? ", …" : ""))")
            return ExitCode.checkFailed
        }
        let stats = await docket.stats()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let counts = TaskStatus.allCases.compactMap { status in stats.byStatus[status].map { "\($0) \(status.rawValue)" } }
        out.err(String(format: "docket: stress finished in %.3f s: %@", seconds, counts.joined(separator: ", ")))
        return ExitCode.success
    }
}
