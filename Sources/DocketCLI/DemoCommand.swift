import Docket
import DocketSchedules
import Foundation
import Synchronization

/// `docket demo [--dir D] [--for SECONDS]`: a small journaled service on the system clock that
/// prints every event as it happens; Ctrl-C (or SIGTERM, or `--for`) stops it gracefully, and
/// running it again resumes from its journal.
enum DemoCommand {
    static let usage = "usage: docket demo [--dir D] [--for SECONDS]"

    static func run(_ arguments: [String], output: CLIOutput) async throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--dir", "--for"], flags: [])
        guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'\n\(usage)") }
        let dir = args.value("--dir") ?? FileManager.default.currentDirectoryPath + "/.docket-demo"
        var limit: Double?
        if let text = args.value("--for") {
            guard let seconds = Double(text), seconds > 0, seconds <= 1e7 else {
                throw UsageError("--for takes a number of seconds greater than 0, not '\(text)'")
            }
            limit = seconds
        }
        let out = SharedOutput(output)
        var configuration = DocketConfiguration()
        configuration.shutdownGrace = .seconds(5)
        try UsageError.checkJournalDirectoryOrAbsent(dir)
        let docket: Docket
        do {
            docket = try await Docket.open(directory: dir, configuration: configuration)
        } catch {
            out.err("docket: cannot open the demo's journal in \(dir): \(error)")
            return ExitCode.of(error)
        }
        let events = docket.events()
        let printer = Task {
            for await event in events { out.out(EventLine.text(event)) }
        }
        DemoService.registerHandlers(docket)
        let report = docket.recoveryReport
        if report.tasks + report.schedules > 0 {
            var line = "resumed from the journal in \(dir): recovered \(report.tasks) task(s) and \(report.schedules) schedule(s)"
            if !report.interrupted.isEmpty { line += "; \(report.interrupted.count) were running when it stopped" }
            out.out(line + " (times are local: \(LocalTime.zoneDescription()))")
        } else {
            out.out("new demo in \(dir) (times are local: \(LocalTime.zoneDescription()))")
        }
        do {
            _ = try await DemoService.createJobs(docket, start: Date())
        } catch {
            out.err("docket: cannot create the demo's jobs: \(error)")
            await docket.close()
            await printer.value
            return ExitCode.checkFailed
        }
        for s in await docket.schedules() {
            let text = s.schedule.description.replacingOccurrences(of: "\n", with: " ")
            let next = s.nextFire.map { "next \(LocalTime.dateTime($0))" } ?? "no more fires"
            out.out("schedule \(s.id): \(text) → \(s.name), \(s.status.rawValue), \(next)")
        }
        // The handlers go in before the line that invites Ctrl-C; a signal that arrives before
        // the service runs stops it as soon as it starts.
        let stop = PendingStop()
        let signals = StopSignals { name in
            out.out("\(name): stopping…")
            stop.request()
        }
        out.out(limit.map { "running for \(format($0)) s (Ctrl-C stops it sooner)" } ?? "running; press Ctrl-C to stop")
        let runner = Task { try await docket.run() }
        stop.attach(runner)
        let timer = limit.map { seconds in
            Task {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                guard !Task.isCancelled else { return }
                out.out("\(format(seconds)) s are up: stopping…")
                stop.request()
            }
        }
        let result = await runner.result
        timer?.cancel()
        signals.cancel()
        await printer.value
        if case .failure(let error) = result {
            out.err("docket: the demo stopped with an error: \(error)")
            return ExitCode.checkFailed
        }
        let stats = await docket.stats()
        let counts = TaskStatus.allCases.compactMap { status in stats.byStatus[status].map { "\($0) \(status.rawValue)" } }
        out.out("stopped: \(counts.joined(separator: ", ")); journal synced and closed. Run the same command again to resume.")
        return ExitCode.success
    }

    /// A stop that may be asked for before the task to cancel exists.
    private final class PendingStop: Sendable {
        private let state = Mutex<(requested: Bool, task: Task<Void, any Error>?)>((false, nil))

        func request() {
            let task = state.withLock { s -> Task<Void, any Error>? in
                s.requested = true
                return s.task
            }
            task?.cancel()
        }

        func attach(_ task: Task<Void, any Error>) {
            let requested = state.withLock { s -> Bool in
                s.task = task
                return s.requested
            }
            if requested { task.cancel() }
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
