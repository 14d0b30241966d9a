import Foundation
import Testing
@testable import Docket

/// `tasks(matching:limit:after:)` and `count(matching:)` test rows on their own fields and keep
/// only a page's worth of sequences; the reference materializes every task and sorts.
@Suite struct TaskPageTests {
    @Test(arguments: [UInt64(11), 4242]) func pagesAndCountsMatchAFullSort(seed: UInt64) throws {
        print("TaskPageTests seed \(seed)")
        var rng = SplitMix64(seed: seed)
        var table = TaskTable()
        let statuses: [TaskStatus] = [.scheduled, .running, .succeeded, .failed, .paused, .cancelled]
        var sequence: UInt64 = 0
        var usedOdd: Set<UInt64> = []
        // Inserts and removals, so freed slots are reused by later sequences (rows out of order).
        for _ in 0..<3_000 {
            let id = "t\(rng.next() % 800)"
            if rng.next() % 4 == 0 {
                table.remove(id)
                continue
            }
            guard table.find(id) == nil else { continue }
            // Mostly the next sequence, as the engine assigns them; now and then an unused one
            // below the highest (inserted in place in the order).
            var entrySequence = sequence + 2
            if rng.next() % 10 == 0 && sequence > 10 {
                entrySequence = (rng.next() % (sequence / 2)) * 2 + 1
                guard !usedOdd.contains(entrySequence) else { continue }
                usedOdd.insert(entrySequence)
            } else {
                sequence += 2
            }
            let entry = TaskEntry(id: id, name: "h\(rng.next() % 3)", payload: [1], queue: "q\(rng.next() % 3)", priority: 0,
                                  key: rng.next() % 2 == 0 ? nil : "k\(rng.next() % 4)", runAt: Micros(rng.next() % 100),
                                  attempt: 0, maxAttempts: 3, retry: .default, timeout: 0, status: statuses[Int(rng.next() % 6)],
                                  createdAt: 0, sequence: entrySequence, scheduleID: rng.next() % 3 == 0 ? "s\(rng.next() % 2)" : nil)
            _ = table.insertNew(entry)
        }
        #expect(table.orderEntryCount <= 2 * table.count + 65, "stale entries are pruned")
        // The reference: every row, sorted (not the table's own sequence order).
        let all = table.values.sorted { $0.sequence < $1.sequence }
        var walked: [String] = []
        table.forEachInSequenceOrder { walked.append($0.id); return true }
        #expect(walked == all.map(\.id))
        for _ in 0..<200 {
            var filter = TaskFilter()
            if rng.next() % 2 == 0 { filter.statuses = Set((0..<(1 + rng.next() % 3)).map { _ in statuses[Int(rng.next() % 6)] }) }
            if rng.next() % 3 == 0 { filter.name = "h\(rng.next() % 4)" }  // h3: no task has it
            if rng.next() % 3 == 0 { filter.queue = "q\(rng.next() % 3)" }
            if rng.next() % 3 == 0 { filter.key = "k\(rng.next() % 5)" }
            if rng.next() % 4 == 0 { filter.scheduleID = "s\(rng.next() % 2)" }
            if rng.next() % 4 == 0 {
                let lo = Double(rng.next() % 60) / 1e6
                filter.runAt = Date(timeIntervalSince1970: lo)...Date(timeIntervalSince1970: lo + 30e-6)
            }
            let expected = all.filter(filter.matches).map(\.id)
            #expect(table.count(matching: filter) == expected.count)
            let limit = Int(1 + rng.next() % 40)
            var got: [String] = []
            var after: UInt64 = 0
            while true {
                let (entries, more) = table.page(matching: filter, after: after, limit: limit)
                #expect(entries.count <= limit)
                got += entries.map(\.id)
                guard more, let last = entries.last else { break }
                after = last.sequence
            }
            #expect(got == expected, "\(filter) limit \(limit)")
        }
        #expect(table.page(matching: TaskFilter(), after: 0, limit: 0).entries.isEmpty)
        #expect(table.page(matching: TaskFilter(), after: 0, limit: Int.max).entries.count == all.count)
    }
}

/// Removed tasks leave stale entries in the sequence order (their slots are reused by later
/// tasks); a pass drops them once they are half, and pages skip them meanwhile.
@Suite struct TaskOrderPruningTests {
    @Test func staleEntriesArePrunedAndSkipped() {
        var table = TaskTable()
        func task(_ i: Int) -> TaskEntry {
            TaskEntry(id: "t\(i)", name: "h", payload: [], queue: "q", priority: 0, key: nil, runAt: 0, attempt: 0, maxAttempts: 1,
                      retry: .default, timeout: 0, status: .scheduled, createdAt: 0, sequence: UInt64(i), scheduleID: nil)
        }
        for i in 1...1000 { _ = table.insertNew(task(i)) }
        for i in 1...1000 where i % 10 != 0 { table.remove("t\(i)") }
        #expect(table.count == 100)
        #expect(table.orderEntryCount <= 2 * 100 + 65)
        // Later tasks take the freed slots.
        for i in 1001...1050 { _ = table.insertNew(task(i)) }
        let page = table.page(matching: TaskFilter(), after: 500, limit: 60)
        #expect(page.entries.map(\.id) == (510...1000).filter { $0 % 10 == 0 }.map { "t\($0)" } + (1001...1010).map { "t\($0)" })
        #expect(page.more)
    }
}

/// A cursor no page returned, or a limit below 1, is refused: a paging loop would otherwise
/// start over at the first page forever, or stop at an empty page that is not the end.
@Suite struct TaskPageArgumentTests {
    @Test func aForeignCursorOrALimitBelowOneIsRefused() async throws {
        let docket = try Docket.inMemory(configuration: DocketConfiguration(clock: ManualClock(now: Harness.start)))
        docket.register("noop", payload: Job.self) { _, _ in }
        for i in 0..<3 { try await docket.enqueue("noop", payload: Job(n: i), options: TaskOptions(id: "t\(i)")) }
        let first = try await docket.tasks(limit: 2)
        #expect(first.tasks.map(\.id) == ["t0", "t1"])
        let cursor = try #require(first.nextCursor)
        #expect(try await docket.tasks(limit: 2, after: cursor).tasks.map(\.id) == ["t2"])
        for bad in ["", "page-2", "-1", "1e3", "18446744073709551616"] {
            await #expect(throws: DocketError.self, "cursor \"\(bad)\"") { try await docket.tasks(after: bad) }
        }
        for limit in [0, -5] {
            await #expect(throws: DocketError.self, "limit \(limit)") { try await docket.tasks(limit: limit) }
        }
        await docket.close()
    }
}
