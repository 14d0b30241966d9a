import DocketJournal
import Foundation

/// Which tasks `Docket.tasks(matching:limit:after:)` returns, or which tasks a control call
/// such as `Docket.cancel(matching:)` acts on. Empty fields match everything.
///
/// ```swift
/// // Everything still waiting for customer 42 (tasks enqueued with `key: "customer-42"`):
/// let filter = TaskFilter(statuses: [.scheduled, .paused], key: "customer-42")
/// ```
public struct TaskFilter: Sendable {
    /// Only these statuses.
    public var statuses: Set<TaskStatus> = []
    /// Only this handler name.
    public var name: String?
    /// Only this queue.
    public var queue: String?
    /// Only tasks of this recurring schedule.
    public var scheduleID: String?
    /// Only tasks with this resource (serialization) key.
    public var key: String?
    /// Only tasks whose run time falls in this range.
    public var runAt: ClosedRange<Date>?

    /// A filter with the given fields.
    public init(statuses: Set<TaskStatus> = [], name: String? = nil, queue: String? = nil, scheduleID: String? = nil,
                key: String? = nil, runAt: ClosedRange<Date>? = nil) {
        self.statuses = statuses
        self.name = name
        self.queue = queue
        self.scheduleID = scheduleID
        self.key = key
        self.runAt = runAt
    }

    func matches(_ t: TaskEntry) -> Bool {
        if !statuses.isEmpty, !statuses.contains(t.status) { return false }
        if let name, t.name != name { return false }
        if let queue, t.queue != queue { return false }
        if let scheduleID, t.scheduleID != scheduleID { return false }
        if let key, t.key != key { return false }
        if let runAt, !(Time.micros(runAt.lowerBound)...Time.micros(runAt.upperBound)).contains(t.runAt) { return false }
        return true
    }
}

/// One page of `Docket.tasks(matching:limit:after:)`.
public struct TaskPage: Sendable {
    /// The tasks, in enqueue order.
    public var tasks: [TaskInfo]
    /// Pass as `after` for the next page; nil on the last page.
    public var nextCursor: String?
}

/// Counters and lateness, from `Docket.stats()`.
public struct DocketStats: Sendable, Equatable {
    /// Tasks per status.
    public var byStatus: [TaskStatus: Int]
    /// Tasks per queue and status.
    public var byQueue: [String: [TaskStatus: Int]]
    /// Due tasks waiting for a worker, their key or their queue's limit.
    public var ready: Int
    /// Handler runs started since opening. A run that snoozes counts here and in `finished`
    /// (it ran), though not as one of the task's attempts.
    public var started: Int
    /// Handler runs finished since opening, any outcome (timeouts and snoozes included).
    public var finished: Int
    /// Median lateness (start time − run time) of the last 4,096 starts.
    public var latenessP50: Duration?
    /// 99th percentile of the same.
    public var latenessP99: Duration?
    /// Handler runs finished per second over the last minute (or since the first, if more
    /// recent; over at least one second).
    public var throughput: Double?
    /// The journal's I/O counters and recent fdatasync times; nil in memory.
    public var journal: JournalMetrics?
    /// Wall-clock steps back (over a second) seen since opening; each moved the schedules' next
    /// fires and the running attempts' timeouts back with the clock.
    public var clockStepsBack = 0
}

extension Docket {
    /// The task with this id.
    public func task(_ id: String) -> TaskInfo? { state.tasks[id].map(TaskInfo.init) }

    /// Tasks matching `filter`, in enqueue order, at most `limit` (at least 1), after the
    /// cursor of a previous page (its `nextCursor`; nil for the first page).
    ///
    /// ```swift
    /// var cursor: String?
    /// repeat {
    ///     let page = try await docket.tasks(matching: TaskFilter(statuses: [.failed]), after: cursor)
    ///     for task in page.tasks { print(task.id, task.lastError ?? "") }
    ///     cursor = page.nextCursor
    /// } while cursor != nil
    /// ```
    ///
    /// - Throws: `invalidArgument` for a limit below 1 or a cursor that is not a decimal
    ///   number, as every `nextCursor` is (a client looping over pages would otherwise restart
    ///   at the first page forever). A number is a position in enqueue order, whatever its origin.
    public func tasks(matching filter: TaskFilter = TaskFilter(), limit: Int = 100, after cursor: String? = nil) throws(DocketError) -> TaskPage {
        guard limit >= 1 else { throw .invalidArgument("the page limit must be at least 1 (got \(limit))") }
        var from: UInt64 = 0
        if let cursor {
            guard let sequence = UInt64(cursor) else {
                throw .invalidArgument("the cursor \"\(cursor)\" is not a page's nextCursor (a decimal number); pass nil for the first page")
            }
            from = sequence
        }
        let (page, more) = state.tasks.page(matching: filter, after: from, limit: limit)
        return TaskPage(tasks: page.map(TaskInfo.init), nextCursor: more ? page.last.map { String($0.sequence) } : nil)
    }

    /// How many tasks match `filter` (all of them, not a page). Counts by status and queue
    /// alone come from counters; other fields look at each task of the statuses asked for.
    ///
    /// ```swift
    /// let waiting = await docket.count(matching: TaskFilter(statuses: [.scheduled], key: "customer-42"))
    /// ```
    public func count(matching filter: TaskFilter = TaskFilter()) -> Int {
        if filter.name == nil && filter.scheduleID == nil && filter.key == nil && filter.runAt == nil {
            let counts = state.tasks.countsByQueue
            var total = 0
            for (queue, perStatus) in counts where filter.queue == nil || filter.queue == queue {
                for (status, n) in perStatus where filter.statuses.isEmpty || filter.statuses.contains(status) { total += n }
            }
            return total
        }
        return state.tasks.count(matching: filter)
    }

    /// The ready and parked entries that are still their task's current turn: cancelled,
    /// paused, rescheduled or purged tasks leave entries behind until they are popped (a queue
    /// held at limit 0 never pops its own), and those must not count. A scan of every entry:
    /// `stats()` reads the table's `queuedCount` instead; tests compare the two.
    func liveReadyCount() -> Int {
        var n = 0
        readTasks { table in
            func live(_ item: ReadyItem) -> Bool {
                guard let p = table.peek(item.id) else { return false }
                return p.status == .scheduled && p.version == item.version && p.sequence == item.sequence
            }
            for item in ready.elements where live(item) { n += 1 }
            for heap in parked.values { for item in heap.elements where live(item) { n += 1 } }
        }
        return n
    }

    /// Counts per status and queue, ready tasks, starts, finishes and recent lateness.
    public func stats() -> DocketStats {
        let byQueue = state.tasks.countsByQueue
        var byStatus: [TaskStatus: Int] = [:]
        for perStatus in byQueue.values {
            for (status, n) in perStatus { byStatus[status, default: 0] += n }
        }
        return DocketStats(byStatus: byStatus, byQueue: byQueue, ready: state.tasks.queuedCount, started: runStats.started, finished: runStats.finished,
                           latenessP50: runStats.latenessQuantile(0.5).map(Time.duration),
                           latenessP99: runStats.latenessQuantile(0.99).map(Time.duration),
                           throughput: runStats.throughput(now: nowMicros()), journal: journal?.metrics, clockStepsBack: clockStepsBack)
    }
}
