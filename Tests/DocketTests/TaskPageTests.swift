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
        // Inserts and removals, so freed slots are reused by later sequences (rows out of order).
        for _ in 0..<3_000 {
            let id = "t\(rng.next() % 800)"
            if rng.next() % 4 == 0 {
                table.remove(id)
                continue
            }
            guard table.find(id) == nil else { continue }
            sequence += 1
            let entry = TaskEntry(id: id, name: "h\(rng.next() % 3)", payload: [1], queue: "q\(rng.next() % 3)", priority: 0,
                                  key: rng.next() % 2 == 0 ? nil : "k\(rng.next() % 4)", runAt: Micros(rng.next() % 100),
                                  attempt: 0, maxAttempts: 3, retry: .default, timeout: 0, status: statuses[Int(rng.next() % 6)],
                                  createdAt: 0, sequence: sequence, scheduleID: rng.next() % 3 == 0 ? "s\(rng.next() % 2)" : nil)
            _ = table.insertNew(entry)
        }
        var all: [TaskEntry] = []
        table.forEachInSequenceOrder { all.append($0); return true }
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
