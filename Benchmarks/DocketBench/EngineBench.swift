import Docket
import DocketJournal
import Foundation
import Synchronization

/// `docket-bench engine [--runs N] [--quick] [--json]`: the engine figures of DESIGN.md, each
/// against a baseline measured in the same run — durable enqueue (`.always`, 16 and 64
/// producers, batches of 1,000) against bare journal appends with the same concurrency; end to
/// end (enqueue, no-op handler, complete) under `.interval(100ms)`; recovery of 1M live tasks;
/// timer lateness with 100k pending timers against raw `Task.sleep` lateness; memory per
/// pending task.
enum EngineBench {
    struct Row {
        var name: String
        var value: Double
        var unit: String
        var baseline: Double?
        var baselineName = ""
        var note = ""
    }

    struct Empty: Codable, Sendable {}

    static func run(_ args: [String]) async throws -> Int32 {
        let json = args.contains("--json")
        let quick = args.contains("--quick")
        var runs = 3
        if let i = args.firstIndex(of: "--runs"), i + 1 < args.count, let n = Int(args[i + 1]), n >= 1 { runs = n }
        let only = args.firstIndex(of: "--only").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
        let scale = quick ? 0.1 : 1.0
        func n(_ count: Int) -> Int { max(1000, Int(Double(count) * scale)) }
        let root = NSTemporaryDirectory() + "docket-engine-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var counter = 0
        func dir() -> String {
            counter += 1
            return root + "/d\(counter)"
        }

        var rows: [Row] = []
        func report(_ samples: [Row]) {
            let sorted = samples.sorted { $0.value < $1.value }
            let m = sorted[sorted.count / 2]
            rows.append(m)
            if !json {
                let digits = m.unit == "s" ? 2 : 1
                var line = m.name.padding(toLength: max(44, m.name.count + 1), withPad: " ", startingAt: 0) + String(format: "%12.*f %@", digits, m.value, m.unit)
                if let b = m.baseline { line += String(format: "   %@ %.*f   ratio %.2f", m.baselineName, digits, b, m.value / b) }
                if !m.note.isEmpty { line += "   (\(m.note))" }
                print(line)
                fflush(nil)
            }
        }
        func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

        // First, and once: resident-set growth is only honest in a fresh process (later, the
        // allocator hands back memory the earlier phases freed, which made it read 200 bytes
        // instead of 299). Take the median over several invocations instead.
        if wanted("memory") {
            report([try await memoryPerTask(tasks: n(1_000_000))])
        }
        for producers in [16, 64] where wanted("enqueue") {
            var samples: [Row] = []
            for _ in 0..<runs {
                let count = n(producers == 16 ? 40_000 : 120_000)
                let (rate, sync) = try await durableEnqueue(dir: dir(), producers: producers, tasks: count)
                let raw = try await journalAppend(dir: dir(), producers: producers, records: count)
                samples.append(Row(name: "enqueue .always, \(producers) producers", value: rate, unit: "tasks/s", baseline: raw, baselineName: "journal append",
                                   note: syncBound(producers: producers, syncP50: sync)))
            }
            report(samples)
        }
        // One producer waits for each batch's sync before building the next; four keep both
        // cores busy, which shows what the engine's own work per task allows.
        for producers in [1, 4] where wanted("batch") {
            var samples: [Row] = []
            for _ in 0..<runs {
                let count = n(400_000)
                let rate = try await batchEnqueue(dir: dir(), tasks: count, producers: producers)
                let raw = try await journalBatch(dir: dir(), records: count, producers: producers)
                let name = producers == 1 ? "enqueue .always, batches of 1000" : "enqueue .always, batches of 1000, \(producers) producers"
                samples.append(Row(name: name, value: rate, unit: "tasks/s", baseline: raw, baselineName: "journal batch"))
            }
            report(samples)
        }
        if wanted("end") {
            var samples: [Row] = []
            for _ in 0..<runs {
                let count = n(300_000)
                let journaled = try await endToEnd(dir: dir(), tasks: count)
                let memory = try await endToEnd(dir: nil, tasks: count)
                samples.append(Row(name: "end to end .interval(100ms)", value: journaled, unit: "tasks/s", baseline: memory, baselineName: "in memory"))
            }
            report(samples)
        }
        if wanted("recovery") {
            let count = n(1_000_000)
            let records = dir()
            try await buildLiveTasks(dir: records, tasks: count, snapshotAt: nil)
            let snapshotted = dir()
            try await buildLiveTasks(dir: snapshotted, tasks: count, snapshotAt: count / 2)
            // Recovery of a journal at rest: the writeback of the ~400 MB just written would
            // otherwise compete with the reads being measured.
            sync()
            var a: [Row] = []
            var b: [Row] = []
            for _ in 0..<runs {
                let (t1, raw1) = try await recover(dir: records, expected: count)
                a.append(Row(name: "recovery, \(count) live tasks, records only", value: t1, unit: "s", baseline: raw1, baselineName: "journal replay alone"))
                let (t2, raw2) = try await recover(dir: snapshotted, expected: count)
                b.append(Row(name: "recovery, \(count) live tasks, snapshot + tail", value: t2, unit: "s", baseline: raw2, baselineName: "journal replay alone",
                             note: "snapshot of \(count / 2), \(count - count / 2) records after"))
            }
            report(a)
            report(b)
        }
        if wanted("lateness") {
            var p50: [Row] = []
            var p99: [Row] = []
            for _ in 0..<runs {
                let (l50, l99) = try await timerLateness(pending: n(100_000))
                let (r50, r99) = await sleepLateness(samples: 2000)
                p50.append(Row(name: "timer lateness p50, \(n(100_000)) pending", value: l50, unit: "µs", baseline: r50, baselineName: "Task.sleep p50"))
                p99.append(Row(name: "timer lateness p99, \(n(100_000)) pending", value: l99, unit: "µs", baseline: r99, baselineName: "Task.sleep p99"))
            }
            report(p50)
            report(p99)
        }
        if json {
            let items = rows.map { r -> String in
                var fields = ["\"name\":\"\(r.name)\"", "\"value\":\(String(format: "%.3f", r.value))", "\"unit\":\"\(r.unit)\""]
                if let b = r.baseline {
                    fields.append("\"baseline\":\"\(r.baselineName)\"")
                    fields.append("\"baselineValue\":\(String(format: "%.3f", b))")
                    fields.append("\"ratio\":\(String(format: "%.3f", r.value / b))")
                }
                if !r.note.isEmpty { fields.append("\"note\":\"\(r.note)\"") }
                return "{" + fields.joined(separator: ",") + "}"
            }
            print("{\"suite\":\"engine\",\"runs\":\(runs),\"results\":[" + items.joined(separator: ",") + "]}")
        }
        return 0
    }

    static func open(_ dir: String, durability: Durability, concurrency: Int = 16) async throws -> Docket {
        var c = DocketConfiguration()
        c.durability = durability
        c.concurrency = concurrency
        c.snapshotEvery = 10_000_000
        let d = try await Docket.open(directory: dir, configuration: c)
        d.register("noop", payload: Empty.self) { _, _ in }
        return d
    }

    /// The ceiling the disk puts on `producers` callers that each wait for their enqueue to be
    /// durable: every acknowledgment needs a whole sync that began after its record was written,
    /// so each caller completes at most one enqueue per sync, however little CPU the rest takes.
    static func syncBound(producers: Int, syncP50: Double?) -> String {
        guard let syncP50, syncP50 > 0 else { return "" }
        return String(format: "sync p50 %.0f µs: %d callers waiting one sync each allow ≤ %.0f/s", syncP50, producers, Double(producers) / syncP50 * 1e6)
    }

    /// The rate, and the median time of the journal's syncs in that run (µs).
    static func durableEnqueue(dir: String, producers: Int, tasks: Int, durability: Durability = .always) async throws -> (Double, Double?) {
        let d = try await open(dir, durability: durability)
        let per = tasks / producers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    for i in 0..<per {
                        try await d.enqueue("noop", payload: Empty(), options: TaskOptions(id: "p\(p)-\(i)", delay: .seconds(86_400)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let rate = Double(per * producers) / seconds(ContinuousClock.now - start)
        let metrics = await d.stats().journal
        if let metrics, ProcessInfo.processInfo.environment["DOCKET_BENCH_SYNCS"] != nil { printSyncs(metrics) }
        await d.close()
        return (rate, metrics?.syncLatencyP50.map { seconds($0) * 1e6 })
    }

    /// Records per sync and sync latency, to tell a slower disk from smaller groups.
    static func printSyncs(_ m: JournalMetrics) {
        let p50 = m.syncLatencyP50.map { Double($0.components.attoseconds) / 1e12 } ?? 0
        print(String(format: "  %.1f records per sync, %d syncs, sync p50 %.0f µs", Double(m.lastSequence) / Double(max(1, m.syncs)), m.syncs, p50))
    }

    static func journalAppend(dir: String, producers: Int, records: Int) async throws -> Double {
        let j = try Journal.open(directory: dir, configuration: JournalConfiguration(durability: .always)) { _ in }
        let per = records / producers
        let body = [UInt8](repeating: 0xA5, count: 90)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask { for _ in 0..<per { try await j.append(body) } }
            }
            try await group.waitForAll()
        }
        let rate = Double(per * producers) / seconds(ContinuousClock.now - start)
        if ProcessInfo.processInfo.environment["DOCKET_BENCH_SYNCS"] != nil { printSyncs(j.metrics) }
        try await j.close()
        return rate
    }

    static func batchEnqueue(dir: String, tasks: Int, producers: Int = 1) async throws -> Double {
        let d = try await open(dir, durability: .always)
        let per = tasks / producers / 1000 * 1000
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    var done = 0
                    while done < per {
                        let batch = (0..<1000).map { i in NewTask("noop", payload: Empty(), options: TaskOptions(id: "b\(p)-\(done + i)", delay: .seconds(86_400))) }
                        try await d.enqueue(batch: batch)
                        done += 1000
                    }
                }
            }
            try await group.waitForAll()
        }
        let rate = Double(per * producers) / seconds(ContinuousClock.now - start)
        await d.close()
        return rate
    }

    static func journalBatch(dir: String, records: Int, producers: Int = 1) async throws -> Double {
        let j = try Journal.open(directory: dir, configuration: JournalConfiguration(durability: .always)) { _ in }
        let batch = Array(repeating: [UInt8](repeating: 0xA5, count: 90), count: 1000)
        let per = records / producers / 1000 * 1000
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    var done = 0
                    while done < per {
                        try await j.append(contentsOf: batch)
                        done += 1000
                    }
                }
            }
            try await group.waitForAll()
        }
        let rate = Double(per * producers) / seconds(ContinuousClock.now - start)
        try await j.close()
        return rate
    }

    /// Enqueues `tasks` due now in batches of 1,000 while `run()` works them off; the rate is
    /// tasks completed per second from the first enqueue to the last completion.
    static func endToEnd(dir: String?, tasks: Int) async throws -> Double {
        var c = DocketConfiguration()
        c.durability = .interval(milliseconds: 100)
        c.concurrency = 256
        c.snapshotEvery = 10_000_000
        let d: Docket
        if let dir { d = try await Docket.open(directory: dir, configuration: c) } else { d = try Docket.inMemory(configuration: c) }
        let done = Mutex(0)
        let (finished, signal) = AsyncStream<Void>.makeStream()
        d.register("noop", payload: Empty.self) { _, _ in
            let n = done.withLock { v -> Int in v += 1; return v }
            if n == tasks { signal.yield() }
        }
        let runner = Task { try await d.run() }
        let start = ContinuousClock.now
        var enqueued = 0
        while enqueued < tasks {
            let batch = (0..<1000).map { i in NewTask("noop", payload: Empty(), options: TaskOptions(id: "e\(enqueued + i)")) }
            try await d.enqueue(batch: batch)
            enqueued += 1000
        }
        for await _ in finished { break }
        let rate = Double(tasks) / seconds(ContinuousClock.now - start)
        runner.cancel()
        try? await runner.value
        return rate
    }

    static func buildLiveTasks(dir: String, tasks: Int, snapshotAt: Int?) async throws {
        var c = DocketConfiguration()
        c.durability = .none
        c.snapshotEvery = snapshotAt.map { $0 + 1 } ?? 100_000_000
        c.snapshotOnClose = false
        let d = try await Docket.open(directory: dir, configuration: c)
        d.register("noop", payload: Empty.self) { _, _ in }
        var done = 0
        while done < tasks {
            let batch = (0..<1000).map { i in NewTask("noop", payload: Empty(), options: TaskOptions(id: "r\(done + i)", delay: .seconds(86_400))) }
            try await d.enqueue(batch: batch)
            done += 1000
        }
        // No snapshot at close: the tail of records after the chosen snapshot stays.
        try await d.sync()
        await d.close()
    }

    /// Opening the Docket (replay + rebuild), against replaying the same journal with no engine.
    static func recover(dir: String, expected: Int) async throws -> (Double, Double) {
        var c = DocketConfiguration()
        c.durability = .none
        c.snapshotOnClose = false
        let start = ContinuousClock.now
        let d = try await Docket.open(directory: dir, configuration: c)
        let elapsed = seconds(ContinuousClock.now - start)
        guard d.recoveryReport.tasks == expected else { throw POSIXError(.EIO) }
        await d.close()
        var bytes = 0
        let rawStart = ContinuousClock.now
        _ = try JournalReader.read(directory: dir, mode: .tolerateTornTail, snapshot: { bytes &+= $0.bytes.count }) { bytes &+= $0.payload.count }
        let raw = seconds(ContinuousClock.now - rawStart)
        return (elapsed, raw)
    }

    /// 100k pending timers (due in a day) plus 2,000 probe tasks due at random moments over the
    /// next 2 s (in memory, so disk noise stays out); each probe's handler records how late it
    /// started. This measures the timer with a large heap, not throughput.
    static func timerLateness(pending: Int) async throws -> (Double, Double) {
        var c = DocketConfiguration()
        c.concurrency = 64
        let d = try Docket.inMemory(configuration: c)
        let probes = 2000
        let lateness = Mutex<[Double]>([])
        let (finished, signal) = AsyncStream<Void>.makeStream()
        d.register("probe", payload: Empty.self) { _, job in
            let late = Date().timeIntervalSince(job.runAt) * 1e6
            let n = lateness.withLock { l -> Int in l.append(late); return l.count }
            if n == probes { signal.yield() }
        }
        d.register("noop", payload: Empty.self) { _, _ in }
        var done = 0
        while done < pending {
            let batch = (0..<1000).map { _ in NewTask("noop", payload: Empty(), options: TaskOptions(delay: .seconds(86_400))) }
            try await d.enqueue(batch: batch)
            done += 1000
        }
        let runner = Task { try await d.run() }
        let base = Date().addingTimeInterval(0.5)
        var rng = SystemRandomNumberGenerator()
        let batch = (0..<probes).map { _ in
            NewTask("probe", payload: Empty(), options: TaskOptions(runAt: base.addingTimeInterval(Double.random(in: 0..<2, using: &rng))))
        }
        try await d.enqueue(batch: batch)
        for await _ in finished { break }
        runner.cancel()
        try? await runner.value
        let sorted = lateness.withLock { $0 }.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }

    static func sleepLateness(samples: Int) async -> (Double, Double) {
        var late: [Double] = []
        for _ in 0..<samples {
            let wait = Double.random(in: 0.0001..<0.002)
            let target = Date().addingTimeInterval(wait)
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            late.append(Date().timeIntervalSince(target) * 1e6)
        }
        late.sort()
        return (late[late.count / 2], late[late.count * 99 / 100])
    }

    static func memoryPerTask(tasks: Int) async throws -> Row {
        let d = try Docket.inMemory(configuration: DocketConfiguration())
        d.register("noop", payload: Empty.self) { _, _ in }
        let before = residentBytes()
        var done = 0
        while done < tasks {
            let batch = (0..<1000).map { i in NewTask("noop", payload: Empty(), options: TaskOptions(id: "m\(done + i)", delay: .seconds(86_400))) }
            try await d.enqueue(batch: batch)
            done += 1000
        }
        let after = residentBytes()
        let count = await d.stats().byStatus[.scheduled] ?? 0
        guard count == tasks else { throw POSIXError(.EIO) }
        await d.close()
        return Row(name: "memory per pending task", value: Double(after - before) / Double(tasks), unit: "bytes",
                   note: "\(tasks) tasks, ids of 7-8 bytes, payload \"{}\"; resident set growth")
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

extension EngineBench {
    /// Seconds from moving a manual clock 12 days on to the schedule's next occurrence being
    /// enqueued: one catch-up (misfire `.fireOnce`) of about a million missed fires.
    static func catchUp(_ text: String) async throws -> Double {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 1_800_000_000))
        var c = DocketConfiguration()
        c.clock = clock
        let d = try Docket.inMemory(configuration: c)
        d.register("noop", payload: Empty.self) { _, _ in }
        try await d.schedule("s", parsing: text, handler: "noop", payload: Empty())
        let events = d.events()
        let runner = Task { try await d.run() }
        while clock.sleeperCount == 0 { await Task.yield() }
        let start = ContinuousClock.now
        clock.advance(by: .seconds(12 * 86_400))
        for await e in events where e.kind == .enqueued { break }
        let t = seconds(ContinuousClock.now - start)
        runner.cancel()
        _ = try? await runner.value
        return t
    }

    /// `engine-profile recovery|recovery-snapshot|batch|batch4|e2e|enqueue16|enqueue64|enqueue16-none|catchup|paging|purge [--dir D] [--repeat N]`: one phase alone, so that
    /// `perf record` sees only it. `recovery` builds 1M live tasks in D once (kept between
    /// calls) and then only opens it.
    static func profile(_ args: [String]) async throws {
        let phase = args.first ?? "recovery"
        var repeats = 3
        if let i = args.firstIndex(of: "--repeat"), i + 1 < args.count, let n = Int(args[i + 1]), n >= 1 { repeats = n }
        let dir = args.firstIndex(of: "--dir").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
            ?? NSTemporaryDirectory() + "docket-engine-profile-\(phase)"
        switch phase {
        case "recovery", "recovery-snapshot":
            // recovery-snapshot: a snapshot of 500k tasks and 500k records after it.
            if !FileManager.default.fileExists(atPath: dir) {
                try await buildLiveTasks(dir: dir, tasks: 1_000_000, snapshotAt: phase == "recovery" ? nil : 500_000)
            }
            for _ in 0..<repeats {
                let (t, raw) = try await recover(dir: dir, expected: 1_000_000)
                print(String(format: "recovery %.2f s (journal replay alone %.2f s)", t, raw))
            }
        case "batch", "batch4":
            let producers = Int(phase.dropFirst(5)) ?? 1
            for r in 0..<repeats {
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
                print(String(format: "batch, %d producers %.0f tasks/s", producers, try await batchEnqueue(dir: dir + "-\(r)", tasks: 400_000, producers: producers)))
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
            }
        case "e2e":
            for r in 0..<repeats {
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
                print(String(format: "end to end %.0f tasks/s", try await endToEnd(dir: dir + "-\(r)", tasks: 300_000)))
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
            }
        case "purge":
            // Memory given back: 1M delayed tasks in memory, all cancelled (their timer entries
            // go stale), then purged (the table empties).
            for _ in 0..<repeats {
                let d = try Docket.inMemory(configuration: DocketConfiguration())
                d.register("noop", payload: Empty.self) { _, _ in }
                let start = residentBytes()
                var done = 0
                while done < 1_000_000 {
                    let batch = (0..<1000).map { i in NewTask("noop", payload: Empty(), options: TaskOptions(id: "p\(done + i)", delay: .seconds(86_400))) }
                    _ = try await d.enqueue(batch: batch)
                    done += 1000
                }
                let full = residentBytes()
                let t0 = ContinuousClock.now
                _ = try await d.cancel(matching: TaskFilter())
                let cancelled = residentBytes()
                let t1 = ContinuousClock.now
                _ = try await d.purge(olderThan: .zero)
                let t2 = ContinuousClock.now
                let purged = residentBytes()
                print(String(format: "1M pending: +%.0f MB; all cancelled (%.2f s): +%.0f MB; purged (%.2f s): +%.0f MB over the start",
                             Double(full - start) / 1e6, seconds(t1 - t0), Double(cancelled - start) / 1e6, seconds(t2 - t1), Double(purged - start) / 1e6))
                await d.close()
            }
        case "catchup":
            // How long the actor is busy with one catch-up of a schedule that missed ~1M fires.
            let rules = [("@every 1s", "interval, every second"), ("* * * * * *", "cron, every second"),
                         ("DTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY;BYMINUTE=0,10,20,30,40,50", "RRULE, secondly in 6 minutes an hour"),
                         // With COUNT, an instance's place depends on every one before it (walked from DTSTART).
                         ("DTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY;BYHOUR=0,6,12,18;COUNT=1000000", "RRULE with COUNT, minutely 4 hours a day, DTSTART a year back")]
            for (text, label) in rules {
                let t = try await catchUp(text)
                print(String(format: "catch-up after 12 days, %@: %.3f s", label, t))
            }
        case "enqueue16", "enqueue64", "enqueue16-none":
            // enqueue16-none: the same without waiting for syncs, i.e. the engine's own ceiling.
            let producers = phase.hasPrefix("enqueue16") ? 16 : 64
            let durability: Durability = phase.hasSuffix("-none") ? .none : .always
            for r in 0..<repeats {
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
                let (rate, sync) = try await durableEnqueue(dir: dir + "-\(r)", producers: producers, tasks: producers == 16 ? 40_000 : 120_000,
                                                            durability: durability)
                let bound = syncBound(producers: producers, syncP50: sync)
                print(String(format: "enqueue, %d producers, %@ %.0f tasks/s%@", producers, durability.description, rate, bound.isEmpty ? "" : " (\(bound))"))
                try? FileManager.default.removeItem(atPath: dir + "-\(r)")
            }
        case "paging":
            // Actor time of one page of 100 among 1M pending tasks: all of them, then a key
            // only 1 task in 1,000 has.
            let d = try Docket.inMemory(configuration: DocketConfiguration())
            d.register("noop", payload: Empty.self) { _, _ in }
            var done = 0
            while done < 1_000_000 {
                let batch = (0..<1000).map { i in
                    NewTask("noop", payload: Empty(), options: TaskOptions(id: "p\(done + i)", delay: .seconds(86_400),
                                                                           key: (done + i) % 1000 == 0 ? "rare" : nil))
                }
                try await d.enqueue(batch: batch)
                done += 1000
            }
            for _ in 0..<repeats {
                for (label, filter) in [("every task", TaskFilter()), ("key of 1 in 1,000", TaskFilter(key: "rare"))] {
                    var cursor: String?
                    let start = ContinuousClock.now
                    for _ in 0..<10 { cursor = try await d.tasks(matching: filter, limit: 100, after: cursor).nextCursor }
                    print(String(format: "page of 100, %@: %.3f ms", label, seconds(ContinuousClock.now - start) * 100))
                }
            }
            await d.close()
        default:
            print("engine-profile: unknown phase \(phase); use recovery, recovery-snapshot, batch, batch4, e2e, enqueue16, enqueue64, enqueue16-none, catchup, paging or purge")
        }
    }
}
