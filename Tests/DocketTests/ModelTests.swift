import Foundation
import Synchronization
import Testing
@testable import Docket

/// Model-based randomized test: random enqueues, completions, failures, cancels, pauses,
/// resumes, retries, purges (and enqueues again under purged ids), clock advances and crashes, checked after every step against a simple reference
/// model of each task's status and attempt, and after every crash against the model with the
/// crash applied (a running attempt counts and retries per its policy or fails).
@Suite(.timeLimit(.minutes(3))) struct ModelTests {
    struct ModelTask: Equatable {
        var status: TaskStatus
        var attempt: Int
        var maxAttempts: Int
        var runAt: Date
        /// Which enqueue made it (its payload): an id purged and enqueued again is a new task.
        var n: Int
        var finishedAt: Date?
    }

    static let retryDelay: TimeInterval = 5
    static let concurrency = 4

    @Test(arguments: [11, 12, 13, 14, 15, 16, 17, 18]) func randomOperationsWithCrashesMatchTheModel(seed: UInt64) async throws {
        print("ModelTests seed \(seed)")
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int(rng.next() % UInt64(items.count))] }

        let clock = ManualClock(now: Harness.start)
        let gate = Gate()
        let register: (Docket) -> Void = { d in
            d.register("job", payload: Job.self) { job, ctx in try await gate.run("\(ctx.id)#\(ctx.attempt)#\(job.n)") }
        }
        let configure: (inout DocketConfiguration) -> Void = { $0.concurrency = Self.concurrency; $0.snapshotEvery = 25 }
        var directories = [TempDirectory("model")]
        defer { for d in directories { d.remove() } }
        var h = try await Harness.make(.journaled, clock: clock, directory: directories[0], register: register, configure: configure)
        var model: [String: ModelTask] = [:]
        var next = 0
        var crashes = 0
        var purged: [String] = []
        var reused = 0
        func key(_ id: String, _ m: ModelTask) -> String { "\(id)#\(m.attempt)#\(m.n)" }

        /// Takes in the starts the engine made on its own and checks everything else matches.
        func reconcile(_ step: Int, _ op: String) async {
            let state = await h.docket.state
            var running = 0
            for (id, m) in model {
                guard let t = state.tasks[id] else {
                    Issue.record("seed \(seed) step \(step) \(op): \(id) missing")
                    continue
                }
                var expected = m
                if t.status == .running && m.status == .scheduled {
                    // A start the engine chose: legal only for a due task.
                    #expect(m.runAt <= clock.now(), "seed \(seed) step \(step): \(id) started before its time")
                    expected.status = .running
                    expected.attempt = m.attempt + 1
                    model[id] = expected
                }
                if t.status == .running { running += 1 }
                #expect(t.status == expected.status && t.attempt == expected.attempt,
                        "seed \(seed) step \(step) \(op): \(id) is \(t.status)/\(t.attempt), model \(expected.status)/\(expected.attempt)")
            }
            #expect(state.tasks.count == model.count)
            // The counts the table keeps as rows change agree with a full recount.
            var recount: [String: [TaskStatus: Int]] = [:]
            for t in state.tasks.values { recount[t.queue, default: [:]][t.status, default: 0] += 1 }
            #expect(state.tasks.countsByQueue == recount, "seed \(seed) step \(step) \(op)")
            #expect(running <= Self.concurrency)
            // The ready count kept in the rows equals a scan of the run loop's queues.
            let scanned = await h.docket.liveReadyCount()
            #expect(state.tasks.queuedCount == scanned, "seed \(seed) step \(step) \(op): ready \(state.tasks.queuedCount), scan \(scanned)")
        }

        for step in 0..<120 {
            let now = clock.now()
            let roll = rng.next() % 100
            var op = ""
            switch roll {
            case 0..<25:
                // Now and then under an id that was purged: a new task, whatever the old one left.
                let reuse = rng.next() % 3 == 0 ? pick(purged) : nil
                let id = reuse ?? "t\(next)"
                purged.removeAll { $0 == id }
                if reuse != nil { reused += 1 }
                next += 1
                let delay = Double(rng.next() % 4 == 0 ? 0 : rng.next() % 20)
                let attempts = Int(1 + rng.next() % 3)
                op = "enqueue \(id) +\(delay)s ×\(attempts)"
                try await h.docket.enqueue("job", payload: Job(n: next), options: TaskOptions(
                    id: id, delay: .seconds(delay), maxAttempts: attempts, retry: .fixed(.seconds(Self.retryDelay))))
                model[id] = ModelTask(status: .scheduled, attempt: 0, maxAttempts: attempts, runAt: now.addingTimeInterval(delay), n: next)
            case 25..<45:
                let waiting = model.filter { $0.value.status == .running && gate.waiting(key($0.key, $0.value)) > 0 }.keys.sorted()
                guard let id = pick(waiting), var m = model[id] else { continue }
                let succeed = rng.next() % 10 < 6
                op = "\(succeed ? "complete" : "fail") \(id)"
                gate.release(key(id, m), succeed ? .succeed : .fail("failure \(m.attempt)"))
                if succeed {
                    m.status = .succeeded
                    m.finishedAt = now
                } else if m.attempt < m.maxAttempts {
                    m.status = .scheduled
                    m.runAt = now.addingTimeInterval(Self.retryDelay)
                } else {
                    m.status = .failed
                    m.finishedAt = now
                }
                model[id] = m
                let attempt = m.attempt
                await h.recorder.wait { e in
                    e.taskID == id && [.succeeded, .retried, .failed].contains(e.kind) && e.attempt == attempt && e.at >= now
                }
            case 45..<55:
                guard let id = pick(model.filter { !$0.value.status.isTerminal }.keys.sorted()) else { continue }
                op = "cancel \(id)"
                try await h.docket.cancel(id)
                model[id]?.status = .cancelled
                model[id]?.finishedAt = now
            case 55..<62:
                // Refresh first: the engine may have started it meanwhile.
                await reconcile(step, "before pause")
                guard let id = pick(model.filter { $0.value.status == .scheduled || $0.value.status == .running }.keys.sorted()) else { continue }
                op = "pause \(id)"
                try await h.docket.pause(id)
                model[id]?.status = .paused
            case 62..<70:
                guard let id = pick(model.filter { $0.value.status == .paused }.keys.sorted()) else { continue }
                op = "resume \(id)"
                try await h.docket.resume(id)
                model[id]?.status = .scheduled
                if let m = model[id], m.attempt >= m.maxAttempts { model[id]?.maxAttempts = m.attempt + 1 }
            case 70..<75:
                guard let id = pick(model.filter { [.scheduled, .failed, .cancelled, .paused].contains($0.value.status) }.keys.sorted()),
                      var m = model[id] else { continue }
                op = "retry now \(id)"
                try await h.docket.retryNow(id)
                if m.status != .scheduled, m.attempt >= m.maxAttempts { m.maxAttempts = m.attempt + 1 }
                m.status = .scheduled
                m.runAt = now
                m.finishedAt = nil
                model[id] = m
            case 75..<79:
                let age = Double(rng.next() % 20)
                op = "purge older than \(age)s"
                let gone = model.filter { $0.value.status.isTerminal && ($0.value.finishedAt ?? now) < now.addingTimeInterval(-age) }.keys.sorted()
                #expect(try await h.docket.purge(olderThan: .seconds(age)) == gone.count, "seed \(seed) step \(step) \(op)")
                for id in gone { model[id] = nil }
                purged += gone
            case 79..<92:
                let seconds = Double(1 + rng.next() % 10)
                op = "advance \(seconds)s"
                clock.advance(by: .seconds(seconds))
            default:
                op = "crash"
                await h.settle()
                await reconcile(step, "before crash")
                try await h.docket.journal?.sync()
                let copy = TempDirectory("model")
                directories.append(copy)
                try copyDirectory(h.directory?.journal ?? "", copy.journal)
                try await h.stop()
                h = try await Harness.make(.journaled, clock: clock, directory: copy, register: register, configure: configure)
                crashes += 1
                let interrupted = Set(h.docket.recoveryReport.interrupted)
                #expect(interrupted == Set(model.filter { $0.value.status == .running }.keys), "seed \(seed) step \(step)")
                for id in interrupted {
                    guard var m = model[id] else { continue }
                    if m.attempt < m.maxAttempts {
                        m.status = .scheduled
                        m.runAt = clock.now().addingTimeInterval(Self.retryDelay)
                    } else {
                        m.status = .failed
                        m.finishedAt = clock.now()
                    }
                    model[id] = m
                }
            }
            await h.settle()
            await reconcile(step, op)
        }
        gate.open()
        try await h.stop()
        print("ModelTests seed \(seed): \(model.count) tasks, \(crashes) crashes, \(reused) ids enqueued again after a purge")
        // The cases the model is for did come up with this seed (every seed here has them).
        #expect(crashes > 0 && reused > 0, "seed \(seed): \(crashes) crashes, \(reused) ids reused")
    }
}
