import Testing
@testable import Docket

/// The compact task table against a plain dictionary of entries: same tasks, same counts per
/// queue and status, and interned names, queues, policies and schedule ids dropped once no task
/// refers to them.
@Suite struct TaskTableTests {
    static func entry(_ id: String, queue: String, schedule: String?, status: TaskStatus, retry: RetryPolicy = .default, key: String? = nil,
                      sequence: UInt64) -> TaskEntry {
        TaskEntry(id: id, name: "h-\(queue)", payload: [1], queue: queue, priority: 0, key: key, runAt: 0, attempt: 0, maxAttempts: 3,
                  retry: retry, timeout: 0, status: status, createdAt: 0, sequence: sequence, scheduleID: schedule)
    }

    /// The memory figure (≤ 256 bytes a pending task) rests on a 128-byte row.
    @Test func aRowIs128Bytes() {
        #expect(MemoryLayout<TaskTable.TaskRow>.stride == 128)
    }

    @Test func internedValuesGoWhenTheirLastTaskDoes() {
        var table = TaskTable()
        for i in 0..<30 {
            _ = table.insertNew(Self.entry("t\(i)", queue: "q\(i % 3)", schedule: "s\(i % 5)", status: .scheduled, sequence: UInt64(i + 1)))
        }
        #expect(table.internedCounts.scheduleIDs == 5 && table.internedCounts.queues == 3 && table.internedCounts.names == 3)
        // Every task of schedule s0 goes: its id is no longer held.
        for i in stride(from: 0, to: 30, by: 5) { table.remove("t\(i)") }
        #expect(table.internedCounts.scheduleIDs == 4)
        // Moving every task of q1 to q9 drops q1 and adds q9.
        for i in 0..<30 where i % 3 == 1 {
            guard var f = table.find("t\(i)") else { continue }
            f.task.queue = "q9"
            table.store(f)
        }
        #expect(table.internedCounts.queues == 3)
        #expect(table.countsByQueue["q1"] == nil)
        #expect(table.countsByQueue["q9"]?[.scheduled] == table.values.filter { $0.queue == "q9" }.count)
        // A freed number is reused, and reads back as the new value.
        _ = table.insertNew(Self.entry("new", queue: "q0", schedule: "fresh", status: .scheduled, sequence: 100))
        #expect(table["new"]?.scheduleID == "fresh")
        #expect(table.internedCounts.scheduleIDs == 5)
    }

    /// The id index (open addressing, backward-shift deletion) through growth and heavy
    /// removal: every present id is found at its row, no removed one is.
    @Test(arguments: [UInt64(1), 42]) func theIdIndexSurvivesGrowthAndRemoval(seed: UInt64) {
        print("TaskTableTests id index seed \(seed)")
        var rng = SplitMix64(seed: seed)
        var table = TaskTable()
        var present = Set<String>()
        for round in 0..<4 {
            for i in 0..<5_000 {
                let id = "r\(round)-\(i)-\(rng.next() % 1_000)"
                let added = table.insertNew(Self.entry(id, queue: "q", schedule: nil, status: .scheduled, sequence: UInt64(round * 5_000 + i + 1)))
                #expect(added == !present.contains(id))
                present.insert(id)
            }
            for id in present.sorted() where rng.next() % 2 == 0 {
                table.remove(id)
                present.remove(id)
            }
            #expect(table.count == present.count)
        }
        for id in present { #expect(table[id]?.id == id) }
        for round in 0..<4 { #expect(!table.contains("r\(round)-missing")) }
        // Removed ids can come back.
        for id in present.prefix(100) { table.remove(id) }
        for id in present.prefix(100) {
            let added = table.insertNew(Self.entry(id, queue: "q", schedule: nil, status: .scheduled, sequence: 1))
            #expect(added)
        }
        #expect(table.count == present.count)
    }

    @Test(arguments: [UInt64(7), 2026, 99]) func randomChangesMatchADictionary(seed: UInt64) {
        print("TaskTableTests seed \(seed)")
        var rng = SplitMix64(seed: seed)
        var table = TaskTable()
        var model: [String: TaskEntry] = [:]
        let statuses: [TaskStatus] = [.scheduled, .running, .succeeded, .failed, .paused, .cancelled]
        let policies: [RetryPolicy] = [.default, .never, .fixed(.seconds(3))]
        for step in 0..<4_000 {
            let id = "t\(rng.next() % 300)"
            let queue = "q\(rng.next() % 4)"
            let schedule = rng.next() % 3 == 0 ? nil : "s\(rng.next() % 6)"
            let status = statuses[Int(rng.next() % 6)]
            let retry = policies[Int(rng.next() % 3)]
            let key = rng.next() % 2 == 0 ? nil : "k\(rng.next() % 5)"
            // Times, output, error and progress: inline or boxed depending on the values.
            let progress = [0, 1, 0.25][Int(rng.next() % 3)]
            let started: Micros? = rng.next() % 2 == 0 ? nil : Micros(rng.next() % 1_000_000)
            let finished: Micros? = rng.next() % 2 == 0 ? nil : Micros(rng.next() % 1_000_000)
            let output: [UInt8]? = rng.next() % 3 == 0 ? [UInt8(rng.next() % 256)] : nil
            let error: String? = rng.next() % 3 == 0 ? "e\(rng.next() % 4)" : nil
            switch rng.next() % 5 {
            case 3:
                // The in-place start must equal find / change / store.
                let lease = rng.next() % 1_000 + 1
                let at = Micros(rng.next() % 1_000_000)
                let result = table.markStarted(id, lease: lease, at: at)
                guard var t = model[id], t.status == .scheduled else {
                    #expect(result == nil)
                    continue
                }
                #expect(result?.queue == t.queue && result?.key == t.key)
                t.attempt += 1
                t.lease = lease
                t.startedAt = at
                t.progress = 0
                t.status = .running
                t.version &+= 1
                model[id] = t
            case 4:
                let at = Micros(rng.next() % 1_000_000)
                let output: [UInt8]? = rng.next() % 2 == 0 ? nil : [7]
                let lease = model[id]?.lease ?? 0
                let result = table.markSucceeded(id, lease: lease, output: output, at: at)
                guard var t = model[id], t.status == .running else {
                    #expect(result == nil)
                    continue
                }
                #expect(result?.queue == t.queue && result?.scheduleID == t.scheduleID)
                t.output = output
                t.progress = 1
                t.finishedAt = at
                t.lease = 0
                t.status = .succeeded
                t.version &+= 1
                model[id] = t
            case 0:
                var t = Self.entry(id, queue: queue, schedule: schedule, status: status, retry: retry, key: key, sequence: UInt64(step + 1))
                t.progress = progress
                t.startedAt = started
                t.finishedAt = finished
                t.output = output
                t.lastError = error
                if table.insertNew(t) { model[id] = t }
            case 1:
                guard var f = table.find(id) else { continue }
                f.task.queue = queue
                f.task.status = status
                f.task.scheduleID = schedule
                f.task.retry = retry
                f.task.key = key
                f.task.progress = progress
                f.task.startedAt = started
                f.task.finishedAt = finished
                f.task.output = output
                f.task.lastError = error
                table.store(f)
                model[id] = f.task
            default:
                table.remove(id)
                model[id] = nil
            }
        }
        #expect(table.count == model.count)
        for (id, t) in model { #expect(table[id] == t) }
        var expected: [String: [TaskStatus: Int]] = [:]
        for t in model.values { expected[t.queue, default: [:]][t.status, default: 0] += 1 }
        #expect(table.countsByQueue == expected)
        #expect(table.internedCounts.queues == Set(model.values.map(\.queue)).count)
        #expect(table.internedCounts.scheduleIDs == Set(model.values.compactMap(\.scheduleID)).count)
        #expect(table.internedCounts.policies == Set(model.values.map(\.retry)).count)
        #expect(table.internedCounts.keys == Set(model.values.compactMap(\.key)).count)
    }

    /// After most tasks are removed (a purge after a burst), the table gives its rows back: the
    /// survivors keep their contents, counts and enqueue order, and the table goes on working.
    @Test func aMostlyEmptiedTableGivesItsRowsBack() {
        var table = TaskTable()
        for i in 0..<20_000 {
            let status: TaskStatus = i % 100 == 7 ? .scheduled : .succeeded
            _ = table.insertNew(Self.entry("t\(i)", queue: "q\(i % 3)", schedule: nil, status: status, key: i % 200 == 7 ? "k" : nil,
                                           sequence: UInt64(i + 1)))
        }
        _ = table.markQueued("t7", version: 0, sequence: 8)
        for i in 0..<20_000 where i % 100 != 7 { table.remove("t\(i)") }
        #expect(table.count == 200)
        #expect(table.slotCount < 1_000, "\(table.slotCount) rows kept for 200 tasks")
        #expect(table.queuedCount == 1)
        for i in stride(from: 7, to: 20_000, by: 100) {
            #expect(table["t\(i)"]?.queue == "q\(i % 3)" && table["t\(i)"]?.key == (i % 200 == 7 ? "k" : nil))
        }
        #expect(table.countsByQueue.values.reduce(0) { $0 + ($1[.scheduled] ?? 0) } == 200)
        let page = table.page(matching: TaskFilter(), after: 0, limit: 1_000).entries.map(\.id)
        #expect(page == stride(from: 7, to: 20_000, by: 100).map { "t\($0)" })
        let after = table.page(matching: TaskFilter(), after: 108, limit: 2).entries.map(\.id)
        #expect(after == ["t207", "t307"])
        // Still a working table: new tasks, changes and removals.
        let addedNew = table.insertNew(Self.entry("new", queue: "q0", schedule: nil, status: .scheduled, sequence: 30_000))
        let addedAgain = table.insertNew(Self.entry("t7", queue: "q0", schedule: nil, status: .scheduled, sequence: 30_001))
        #expect(addedNew && !addedAgain)
        if var f = table.find("t107") {
            f.task.status = .running
            table.store(f)
        }
        #expect(table["t107"]?.status == .running)
        table.remove("t207")
        #expect(table["t207"] == nil && table.count == 200)
    }

    /// Cancelled and rescheduled delayed tasks leave stale timer entries behind, which used to
    /// stay until their old run times came. Once they are most of the heap it is rebuilt: it
    /// stays within twice the scheduled tasks (plus a slack), and every scheduled task keeps the
    /// entry of its current version.
    @Test func staleTimerEntriesGoOnceTheyAreMostOfTheHeap() {
        var state = EngineState()
        for i in 0..<3_000 { state.apply(.enqueue(Self.entry("t\(i)", queue: "q", schedule: nil, status: .scheduled, sequence: UInt64(i + 1)))) }
        state.apply(.cancel((0..<2_500).map { "t\($0)" }, at: 10))
        for round in 0..<20 { state.apply(.reschedule((2_500..<3_000).map { "t\($0)" }, runAt: 2_000_000 + Micros(round), at: 10)) }
        #expect(state.timers.count <= 2 * 500 + EngineState.staleTimerSlack, "\(state.timers.count) entries for 500 scheduled tasks")
        var current = Set<String>()
        for item in state.timers.elements where state.tasks.peek(item.id)?.version == item.version { current.insert(item.id) }
        #expect(current == Set((2_500..<3_000).map { "t\($0)" }))
        #expect(state.timers.min?.runAt == 2_000_019)
    }

    /// The ids a control by query takes are the ids of the page of everything matching, in the
    /// same order, read without materializing the tasks.
    @Test func idsMatchingAFilterAreThoseOfTheWholePage() {
        var table = TaskTable()
        for i in 0..<600 {
            let status: TaskStatus = [.scheduled, .running, .succeeded, .paused][i % 4]
            _ = table.insertNew(Self.entry("t\(i)", queue: "q\(i % 3)", schedule: i % 5 == 0 ? "s" : nil, status: status,
                                           key: i % 7 == 0 ? "k" : nil, sequence: UInt64(1_000 - i)))
        }
        for i in stride(from: 0, to: 600, by: 9) { table.remove("t\(i)") }
        let filters = [TaskFilter(), TaskFilter(statuses: [.scheduled, .paused]), TaskFilter(queue: "q1"), TaskFilter(scheduleID: "s"),
                       TaskFilter(key: "k"), TaskFilter(queue: "nowhere"), TaskFilter(statuses: [.running], queue: "q2", key: "k")]
        for f in filters {
            let page = table.page(matching: f, after: 0, limit: Int.max).entries.map(\.id)
            #expect(table.ids(matching: f) == page, "\(f)")
        }
        #expect(table.ids(matching: TaskFilter()).count == table.count)
    }
}
