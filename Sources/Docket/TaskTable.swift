/// Every task, stored compactly: an id → slot index and contiguous rows in which handler names,
/// queues, retry policies, schedule ids and keys are small numbers into shared tables, and the
/// fields only finished or reporting tasks have (output, error, fractional progress) sit out of
/// line. A row is 128 bytes, ~157 with its index entry (`IdIndex`) and its place in the sequence
/// order (12 bytes), instead of ~400 as a
/// `[String: TaskEntry]` value, and replay appends rows instead of rehashing large values.
///
/// Reads and writes go through `TaskEntry`, the full view, so the rest of the engine never sees
/// the layout.
struct TaskTable: Sendable {
    private var index = IdIndex()
    private var rows: [TaskRow] = []
    private var freeSlots: [Int32] = []
    private var names = Interner<String>()
    private var queues = Interner<String>()
    private var policies = Interner<RetryPolicy>()
    private var scheduleIDs = Interner<String>()
    /// Serialization keys: few tasks have one, and a number costs 4 bytes of the row against
    /// 16 for an optional string.
    private var keys = Interner<String>()
    /// Every task's sequence and slot, in sequence order, so that a page after a cursor starts
    /// with a binary search instead of a pass over every row (a page of 100 among 1M tasks
    /// took 5 ms of actor time, and paging through them all was quadratic). A removed task
    /// leaves its entry behind, stale (its slot is empty or holds a later task, so the
    /// sequences disagree), until stale entries make up half and one pass drops them.
    private var orderSequences: [UInt64] = []
    private var orderSlots: [Int32] = []
    private var orderStale = 0
    /// Tasks per queue and status, kept as rows change so stats never scan the table: a flat
    /// array indexed by queue number and status code (no hashing on the hot path).
    private var statusCounts: [Int] = []

    /// The out-of-line fields, which only finished or reporting tasks have: output, last
    /// error, and progress other than 0 or 1. Immutable: a change stores a new box, so rows
    /// keep value semantics. Start and finish times and "progress is 1" stay in the row, so
    /// that starting and succeeding, the common path, allocate nothing.
    final class Cold: Sendable {
        let progress: Double
        let output: [UInt8]?
        let lastError: String?

        init(progress: Double, output: [UInt8]?, lastError: String?) {
            self.progress = progress
            self.output = output
            self.lastError = lastError
        }
    }

    struct TaskRow: Sendable {
        var id: String
        var payload: [UInt8]
        var runAt: Micros
        var timeout: Micros
        var createdAt: Micros
        var sequence: UInt64
        var lease: UInt64
        /// `TaskTable.none` when not started / not finished.
        var startedAt: Micros
        var finishedAt: Micros
        var cold: Cold?
        var name: UInt32
        var queue: UInt32
        var retry: UInt32
        var schedule: UInt32
        var key: UInt32
        var priority: Int32
        var attempt: Int32
        var maxAttempts: Int32
        var version: UInt32
        var status: TaskStatus
        /// Progress when there is no `cold` box: 0 or 1.
        var progressIsOne: Bool
        /// This version of the scheduled task has its turn in the run loop's ready queue (or
        /// is parked behind its key or queue): due and waiting for a worker. Cleared with any
        /// change of version, so `queuedCount` is `stats().ready` without a scan. (In the
        /// row's padding: the stride stays 128 bytes.)
        var queued = false
        /// `TaskEntry.runAtFromClock` (in the padding too).
        var runAtFromClock = false
    }

    /// The stored "no time" of `startedAt` and `finishedAt` (an optional would add 8 bytes each).
    private static let none = Micros.min

    var count: Int { index.count }

    /// Tasks whose current version is due and waiting for a worker (see `TaskRow.queued`).
    private(set) var queuedCount = 0
    /// Tasks in `.scheduled`, over all queues (the most timer entries that can be current).
    private(set) var scheduledCount = 0

    /// Marks this version of a scheduled task as entering the ready queue, in one lookup, and
    /// returns its priority and run time; nil when the row is absent, another version, not
    /// scheduled, or in the queue already (a second entry would only be a duplicate).
    mutating func markQueued(_ id: String, version: UInt32, sequence: UInt64) -> (priority: Int, runAt: Micros)? {
        guard let slot = index.find(id, in: rows) else { return nil }
        let i = Int(slot)
        guard rows[i].status == .scheduled, rows[i].version == version, rows[i].sequence == sequence, !rows[i].queued else { return nil }
        rows[i].queued = true
        queuedCount += 1
        return (Int(rows[i].priority), rows[i].runAt)
    }

    /// Clears row `i`'s queued mark as its version changes.
    private mutating func unqueue(_ i: Int) {
        guard rows[i].queued else { return }
        rows[i].queued = false
        queuedCount -= 1
    }

    /// Tasks per queue and status (only the non-zero counts).
    var countsByQueue: [String: [TaskStatus: Int]] {
        var result: [String: [TaskStatus: Int]] = [:]
        for (i, n) in statusCounts.enumerated() where n != 0 {
            guard let queue = queues[UInt32(i / Self.statusKinds)], let status = TaskStatus(code: UInt8(i % Self.statusKinds)) else { continue }
            result[queue, default: [:]][status] = n
        }
        return result
    }

    private static let statusKinds = TaskStatus.allCases.count

    /// A task found by id, with where it lives: change `task` and `store` it back, and the id is
    /// hashed once for the whole read-modify-write. Store it before any other change to the
    /// table (an insert or removal in between could move the slot).
    struct Found {
        fileprivate let slot: Int32
        var task: TaskEntry
    }

    func find(_ id: String) -> Found? {
        index.find(id, in: rows).map { Found(slot: $0, task: entry(rows[Int($0)])) }
    }

    /// Writes back a task read with `find` (its id must not change).
    mutating func store(_ f: Found) {
        let old = rows[Int(f.slot)]
        var new = row(f.task, replacing: old)
        if old.queued {
            // Still this version's turn only if nothing that makes a new version changed.
            new.queued = new.version == old.version && new.status == .scheduled && new.sequence == old.sequence
            if !new.queued { queuedCount -= 1 }
        }
        if old.status != new.status || old.queue != new.queue {
            count(old.queue, old.status, -1)
            count(new.queue, new.status, 1)
        }
        release(old, keeping: new)
        rows[Int(f.slot)] = new
        if new.sequence != old.sequence {
            orderStale += 1
            addToOrder(new.sequence, slot: f.slot)
            pruneOrderIfStale()
        }
    }

    /// Adds a task unless one with its id exists; returns whether it was added. `version`, when
    /// given, replaces the task's own (saves a copy of the whole entry to change one field).
    mutating func insertNew(_ t: TaskEntry, version: UInt32? = nil) -> Bool {
        let slot = freeSlots.last ?? Int32(rows.count)
        guard index.findOrInsert(t.id, slot: slot, in: rows) == nil else { return false }
        var new = row(t, replacing: nil)
        if let version { new.version = version }
        count(new.queue, new.status, 1)
        if slot == Int32(rows.count) {
            rows.append(new)
        } else {
            freeSlots.removeLast()
            rows[Int(slot)] = new
        }
        addToOrder(new.sequence, slot: slot)
        return true
    }

    /// Enters a task in the sequence order: appended, as every new task has the highest
    /// sequence yet; inserted in place otherwise (not a path the engine takes).
    private mutating func addToOrder(_ sequence: UInt64, slot: Int32) {
        if let last = orderSequences.last, sequence < last {
            let at = firstInOrder(after: sequence)
            orderSequences.insert(sequence, at: at)
            orderSlots.insert(slot, at: at)
        } else {
            orderSequences.append(sequence)
            orderSlots.append(slot)
        }
    }

    /// The position of the first entry in the order with a sequence above `sequence`.
    private func firstInOrder(after sequence: UInt64) -> Int {
        var low = 0, high = orderSequences.count
        while low < high {
            let mid = (low + high) / 2
            if orderSequences[mid] <= sequence { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The live row entry `i` of the order stands for, or nil for a stale entry.
    private func orderedSlot(_ i: Int) -> Int? {
        let slot = Int(orderSlots[i])
        return !rows[slot].id.isEmpty && rows[slot].sequence == orderSequences[i] ? slot : nil
    }

    /// Every retry policy some task has (interned: a handful, not one per task).
    var retryPolicies: [RetryPolicy] { policies.liveValues }

    /// The distinct retry policies of the tasks whose status is in `statuses` (a pass over the
    /// rows, reading two fields each).
    func retryPolicies(ofTasksIn statuses: Set<TaskStatus>) -> [RetryPolicy] {
        var numbers = Set<UInt32>()
        for i in rows.indices where !rows[i].id.isEmpty && statuses.contains(rows[i].status) { numbers.insert(rows[i].retry) }
        return numbers.compactMap { policies[$0] }
    }

    /// Entries in the sequence order, stale ones included (tests: pruning bounds them).
    var orderEntryCount: Int { orderSequences.count }

    /// Drops the stale entries once they are half the order (amortized O(1) per removal).
    private mutating func pruneOrderIfStale() {
        guard orderStale > 64 && orderStale * 2 > orderSequences.count else { return }
        var keptSequences: [UInt64] = [], keptSlots: [Int32] = []
        keptSequences.reserveCapacity(orderSequences.count - orderStale)
        keptSlots.reserveCapacity(orderSequences.count - orderStale)
        for i in orderSequences.indices where orderedSlot(i) != nil {
            keptSequences.append(orderSequences[i])
            keptSlots.append(orderSlots[i])
        }
        orderSequences = keptSequences
        orderSlots = keptSlots
        orderStale = 0
    }

    /// Starts attempt `lease` of a scheduled task in place — what `find`, changing the entry and
    /// `store` do for `.start`, without building the entry and its row again (the hot path of
    /// every run). Returns the task's queue and key, for the running counters; nil when the
    /// task is absent or not scheduled.
    mutating func markStarted(_ id: String, lease: UInt64, at: Micros) -> (queue: String, key: String?)? {
        guard let slot = index.find(id, in: rows) else { return nil }
        let i = Int(slot)
        guard rows[i].status == .scheduled else { return nil }
        count(rows[i].queue, .scheduled, -1)
        count(rows[i].queue, .running, 1)
        rows[i].attempt = rows[i].attempt == Int32.max ? Int32.max : rows[i].attempt + 1
        rows[i].lease = lease
        rows[i].startedAt = at
        // Progress goes back to 0: a box holding only a fraction goes.
        if let c = rows[i].cold, c.progress != 0 {
            rows[i].cold = c.output == nil && c.lastError == nil ? nil : Cold(progress: 0, output: c.output, lastError: c.lastError)
        }
        rows[i].progressIsOne = false
        rows[i].status = .running
        rows[i].version &+= 1
        unqueue(i)
        return (queues[rows[i].queue] ?? "", keys[rows[i].key])
    }

    /// Ends running attempt `lease` with success in place (see `markStarted`): output kept,
    /// progress 1, finished at `at`, lease cleared. Returns the task's queue, key and schedule
    /// id; nil when the task is absent, not running or on another lease.
    mutating func markSucceeded(_ id: String, lease: UInt64, output: [UInt8]?, at: Micros) -> (queue: String, key: String?, scheduleID: String?)? {
        guard let slot = index.find(id, in: rows) else { return nil }
        let i = Int(slot)
        guard rows[i].status == .running, rows[i].lease == lease else { return nil }
        count(rows[i].queue, .running, -1)
        count(rows[i].queue, .succeeded, 1)
        let lastError = rows[i].cold?.lastError
        rows[i].cold = output == nil && lastError == nil ? nil : Cold(progress: 1, output: output, lastError: lastError)
        rows[i].progressIsOne = true
        rows[i].finishedAt = at
        rows[i].lease = 0
        rows[i].status = .succeeded
        rows[i].version &+= 1
        unqueue(i)
        return (queues[rows[i].queue] ?? "", keys[rows[i].key], scheduleIDs[rows[i].schedule])
    }

    /// The schedules that still have at least one occurrence in the table.
    func scheduleIDsInUse() -> Set<String> {
        var numbers = Set<UInt32>()
        for i in rows.indices where rows[i].schedule != 0 && !rows[i].id.isEmpty { numbers.insert(rows[i].schedule) }
        return Set(numbers.compactMap { scheduleIDs[$0] })
    }

    /// What the run loop checks of a task, read without materializing it (no strings copied
    /// out of the shared tables).
    struct Peek {
        var status: TaskStatus
        var version: UInt32
        var lease: UInt64
        var priority: Int
        var runAt: Micros
        var sequence: UInt64
    }

    func peek(_ id: String) -> Peek? {
        // Field by field: `let r = rows[i]` would copy the row, retaining its strings.
        index.find(id, in: rows).map { i in
            let i = Int(i)
            return Peek(status: rows[i].status, version: rows[i].version, lease: rows[i].lease, priority: Int(rows[i].priority),
                        runAt: rows[i].runAt, sequence: rows[i].sequence)
        }
    }

    func contains(_ id: String) -> Bool { index.find(id, in: rows) != nil }

    /// The scheduled or paused tasks whose run time came from the clock and lies after `now`,
    /// in enqueue order (the ones a step of the clock back moves back).
    func idsWaitingOnTheClock(after now: Micros) -> [String] {
        idsInOrder { r in r.runAtFromClock && r.runAt > now && (r.status == .scheduled || r.status == .paused) }
    }

    /// The ids of the live rows `test` accepts, walking the sequence order (no sort, nothing
    /// materialized).
    private func idsInOrder(where test: (TaskRow) -> Bool) -> [String] {
        var found: [String] = []
        for i in orderSequences.indices {
            guard let slot = orderedSlot(i), test(rows[slot]) else { continue }
            found.append(rows[slot].id)
        }
        return found
    }

    /// The ids of the finished tasks (succeeded, failed, cancelled) that finished (or, without a
    /// finish time, were created) before `cutoff`, read field by field (purge).
    func idsFinished(before cutoff: Micros) -> [String] {
        var ids: [String] = []
        for i in rows.indices where rows[i].status.isTerminal && !rows[i].id.isEmpty {
            let at = rows[i].finishedAt == Self.none ? rows[i].createdAt : rows[i].finishedAt
            if at < cutoff { ids.append(rows[i].id) }
        }
        return ids
    }

    /// The ids of the tasks in `status`, without materializing the others.
    func ids(withStatus status: TaskStatus) -> [String] {
        // By index, reading two fields: iterating rows by value would copy each (retaining and
        // releasing its strings and arrays), which costs tens of milliseconds at a million.
        var ids: [String] = []
        for i in rows.indices where rows[i].status == status && !rows[i].id.isEmpty { ids.append(rows[i].id) }
        return ids
    }

    /// The ids of schedule `scheduleID`'s occurrences whose status `keep` accepts, sorted,
    /// read by index like `ids(withStatus:)` (no task materialized).
    func ids(ofSchedule scheduleID: String, where keep: (TaskStatus) -> Bool) -> [String] {
        guard let number = scheduleIDs.number(of: scheduleID) else { return [] }
        var ids: [String] = []
        for i in rows.indices where rows[i].schedule == number && keep(rows[i].status) && !rows[i].id.isEmpty { ids.append(rows[i].id) }
        return ids.sorted()
    }

    /// What the derived structures need of each live task, without materializing it (the
    /// queue and key only of running tasks; empty and nil for the others).
    func forEachLive(_ body: (_ id: String, _ status: TaskStatus, _ runAt: Micros, _ sequence: UInt64, _ version: UInt32,
                              _ queue: String, _ key: String?) -> Void) {
        // By index, not by value: see `ids(withStatus:)`.
        for i in rows.indices where !rows[i].id.isEmpty {
            let status = rows[i].status
            body(rows[i].id, status, rows[i].runAt, rows[i].sequence, rows[i].version,
                 status == .running ? queues[rows[i].queue] ?? "" : "", status == .running ? keys[rows[i].key] : nil)
        }
    }

    mutating func reserveCapacity(_ n: Int) {
        index.reserveCapacity(n)
        rows.reserveCapacity(n)
        orderSequences.reserveCapacity(n)
        orderSlots.reserveCapacity(n)
    }

    subscript(id: String) -> TaskEntry? {
        index.find(id, in: rows).map { entry(rows[Int($0)]) }
    }

    /// Removes a task (nothing if there is none with this id).
    mutating func remove(_ id: String) {
        guard let slot = index.remove(id, in: rows) else { return }
        let old = rows[Int(slot)]
        count(old.queue, old.status, -1)
        if old.queued { queuedCount -= 1 }
        releaseAll(old)
        // A free slot keeps a row with an empty id (never a valid task id).
        rows[Int(slot)] = TaskRow(id: "", payload: [], runAt: 0, timeout: 0, createdAt: 0, sequence: 0, lease: 0,
                                  startedAt: Self.none, finishedAt: Self.none, cold: nil, name: 0, queue: 0, retry: 0, schedule: 0, key: 0,
                                  priority: 0, attempt: 0, maxAttempts: 0, version: 0, status: .cancelled, progressIsOne: false)
        freeSlots.append(slot)
        orderStale += 1
        pruneOrderIfStale()
        compactIfSparse()
    }

    /// Rows kept, live or free (tests: compaction bounds them).
    var slotCount: Int { rows.count }

    /// Below this many rows a table is not worth compacting.
    static let compactionFloor = 1_024

    /// Gives memory back after mass removals (a purge of most tasks after a burst): once fewer
    /// than a quarter of the rows are live, the live ones move to new arrays in sequence order
    /// and the index is rebuilt at their size. Amortized O(1) per removal (the three quarters
    /// removed since the table last had its size pay for it). Slots move: a `Found` taken before
    /// a removal is stale, as its documentation says.
    private mutating func compactIfSparse() {
        let live = index.count
        guard rows.count >= Self.compactionFloor, live * 4 < rows.count else { return }
        var order = rows.indices.filter { !rows[$0].id.isEmpty }
        order.sort { rows[$0].sequence < rows[$1].sequence }
        var newRows: [TaskRow] = []
        newRows.reserveCapacity(order.count)
        var newIndex = IdIndex()
        newIndex.reserveCapacity(order.count)
        for slot in order {
            newRows.append(rows[slot])
            _ = newIndex.findOrInsert(rows[slot].id, slot: Int32(newRows.count - 1), in: newRows)
        }
        orderSequences = newRows.map(\.sequence)
        orderSlots = Array(0..<Int32(newRows.count))
        orderStale = 0
        freeSlots = []
        rows = newRows
        index = newIndex
    }

    /// Drops `old`'s references to interned values that `new` does not carry over (all of
    /// them when the row goes).
    private mutating func release(_ old: TaskRow, keeping new: TaskRow) {
        if old.name != new.name { names.release(old.name) }
        if old.queue != new.queue { queues.release(old.queue) }
        if old.retry != new.retry { policies.release(old.retry) }
        if old.schedule != new.schedule { scheduleIDs.release(old.schedule) }
        if old.key != new.key { keys.release(old.key) }
    }

    private mutating func releaseAll(_ old: TaskRow) {
        names.release(old.name)
        queues.release(old.queue)
        policies.release(old.retry)
        scheduleIDs.release(old.schedule)
        keys.release(old.key)
    }

    /// How many distinct handler names, queues, retry policies, schedule ids and keys are interned.
    var internedCounts: (names: Int, queues: Int, policies: Int, scheduleIDs: Int, keys: Int) {
        (names.count, queues.count, policies.count, scheduleIDs.count, keys.count)
    }

    private mutating func count(_ queue: UInt32, _ status: TaskStatus, _ delta: Int) {
        if status == .scheduled { scheduledCount += delta }
        let i = Int(queue) * Self.statusKinds + Int(status.code)
        if i >= statusCounts.count { statusCounts.append(contentsOf: repeatElement(0, count: i + 1 - statusCounts.count)) }
        statusCounts[i] += delta
    }

    /// Every task in enqueue (sequence) order, materialized one at a time (snapshots,
    /// inspection; pages of matching tasks go through `page(matching:after:limit:)`). `body`
    /// returns false to stop early.
    func forEachInSequenceOrder(_ body: (TaskEntry) throws -> Bool) rethrows {
        for i in orderSequences.indices {
            guard let slot = orderedSlot(i) else { continue }
            if try !body(entry(rows[slot])) { return }
        }
    }

    /// A test of rows against `filter` on their own fields (interned numbers, micros), so that
    /// nothing is materialized to reject a task; nil when no task can match (a name, queue,
    /// schedule or key no task has).
    func rowTest(_ filter: TaskFilter) -> ((TaskRow) -> Bool)? {
        var name: UInt32?, queue: UInt32?, schedule: UInt32?, key: UInt32?
        if let n = filter.name { guard let i = names.number(of: n) else { return nil }; name = i }
        if let q = filter.queue { guard let i = queues.number(of: q) else { return nil }; queue = i }
        if let sid = filter.scheduleID { guard let i = scheduleIDs.number(of: sid) else { return nil }; schedule = i }
        if let k = filter.key { guard let i = keys.number(of: k) else { return nil }; key = i }
        let statuses = filter.statuses
        let runAt = filter.runAt.map { Time.micros($0.lowerBound)...Time.micros($0.upperBound) }
        return { r in
            if !statuses.isEmpty, !statuses.contains(r.status) { return false }
            if let name, r.name != name { return false }
            if let queue, r.queue != queue { return false }
            if let schedule, r.schedule != schedule { return false }
            if let key, r.key != key { return false }
            if let runAt, !runAt.contains(r.runAt) { return false }
            return true
        }
    }

    /// The first `limit` tasks matching `filter` after sequence `after`, in sequence order, and
    /// whether more match: a binary search for the cursor in the sequence order, then the rows
    /// from there on, tested on their own fields until `limit + 1` match (only the matches are
    /// materialized).
    func page(matching filter: TaskFilter, after: UInt64, limit: Int) -> (entries: [TaskEntry], more: Bool) {
        guard limit > 0, let test = rowTest(filter) else { return ([], false) }
        var found: [TaskEntry] = []
        for i in firstInOrder(after: after)..<orderSequences.count {
            guard let slot = orderedSlot(i), test(rows[slot]) else { continue }
            if found.count == limit { return (found, true) }
            found.append(entry(rows[slot]))
        }
        return (found, false)
    }

    /// The ids of every task matching `filter`, in sequence order, without materializing any
    /// (the control calls by query).
    func ids(matching filter: TaskFilter) -> [String] {
        guard let test = rowTest(filter) else { return [] }
        return idsInOrder(where: test)
    }

    /// How many tasks match `filter`, testing rows without materializing them.
    func count(matching filter: TaskFilter) -> Int {
        guard let test = rowTest(filter) else { return 0 }
        var total = 0
        for r in rows where !r.id.isEmpty && test(r) { total += 1 }
        return total
    }

    /// Every task, in slot order (roughly enqueue order), materialized one at a time.
    var values: LazyMapSequence<LazyFilterSequence<[TaskRow]>, TaskEntry> {
        let names = self.names, queues = self.queues, policies = self.policies, scheduleIDs = self.scheduleIDs, keys = self.keys
        return rows.lazy.filter { !$0.id.isEmpty }.map { r in
            Self.entry(r, names: names, queues: queues, policies: policies, scheduleIDs: scheduleIDs, keys: keys)
        }
    }

    private func entry(_ r: TaskRow) -> TaskEntry {
        Self.entry(r, names: names, queues: queues, policies: policies, scheduleIDs: scheduleIDs, keys: keys)
    }

    private static func entry(_ r: TaskRow, names: Interner<String>, queues: Interner<String>, policies: Interner<RetryPolicy>,
                              scheduleIDs: Interner<String>, keys: Interner<String>) -> TaskEntry {
        TaskEntry(id: r.id, name: names[r.name] ?? "", payload: r.payload, queue: queues[r.queue] ?? "", priority: Int(r.priority), key: keys[r.key],
                  runAt: r.runAt, attempt: Int(r.attempt), maxAttempts: Int(r.maxAttempts), retry: policies[r.retry] ?? .default,
                  timeout: r.timeout, status: r.status, progress: r.cold?.progress ?? (r.progressIsOne ? 1 : 0), output: r.cold?.output,
                  lastError: r.cold?.lastError, createdAt: r.createdAt, startedAt: r.startedAt == none ? nil : r.startedAt,
                  finishedAt: r.finishedAt == none ? nil : r.finishedAt,
                  sequence: r.sequence, lease: r.lease, scheduleID: scheduleIDs[r.schedule], version: r.version,
                  runAtFromClock: r.runAtFromClock)
    }

    /// The row for `t`. A number it shares with `old` carries over that row's reference; a new
    /// one is counted (the caller then releases `old`'s with `release(_:keeping:)`).
    private mutating func row(_ t: TaskEntry, replacing old: TaskRow?) -> TaskRow {
        // Most updates change the status, not the names: compare before hashing.
        let name = old.flatMap { names[$0.name] == t.name ? $0.name : nil } ?? names.intern(t.name)
        let queue = old.flatMap { queues[$0.queue] == t.queue ? $0.queue : nil } ?? queues.intern(t.queue)
        let retry = old.flatMap { policies[$0.retry] == t.retry ? $0.retry : nil } ?? policies.intern(t.retry)
        let schedule = t.scheduleID.map { id in old.flatMap { scheduleIDs[$0.schedule] == id ? $0.schedule : nil } ?? scheduleIDs.intern(id) } ?? 0
        let key = t.key.map { k in old.flatMap { keys[$0.key] == k ? $0.key : nil } ?? keys.intern(k) } ?? 0
        var cold: Cold?
        if (t.progress != 0 && t.progress != 1) || t.output != nil || t.lastError != nil {
            if let c = old?.cold, c.progress == t.progress, c.output == t.output, c.lastError == t.lastError {
                cold = c
            } else {
                cold = Cold(progress: t.progress, output: t.output, lastError: t.lastError)
            }
        }
        return TaskRow(id: t.id, payload: t.payload, runAt: t.runAt, timeout: t.timeout, createdAt: t.createdAt,
                       sequence: t.sequence, lease: t.lease, startedAt: t.startedAt ?? Self.none, finishedAt: t.finishedAt ?? Self.none,
                       cold: cold, name: name, queue: queue, retry: retry, schedule: schedule, key: key, priority: Int32(clamping: t.priority),
                       attempt: Int32(clamping: t.attempt), maxAttempts: Int32(clamping: t.maxAttempts), version: t.version,
                       status: t.status, progressIsOne: t.progress == 1, runAtFromClock: t.runAtFromClock)
    }
}

/// Values stored once and referred to by number (0 is reserved for "none"), counted: each row
/// holding a number holds one reference, and a value nobody refers to any more is dropped and
/// its number reused — so schedule ids or queue names that come and go do not pile up.
struct Interner<Value: Hashable & Sendable>: Sendable {
    private var values: [Value?] = []
    private var references: [Int] = []
    private var numbers: [Value: UInt32] = [:]
    private var free: [UInt32] = []
    /// The last value interned: runs of tasks mostly share a handler, queue and policy, and an
    /// equality check is cheaper than hashing.
    private var last: (value: Value, number: UInt32)?

    subscript(number: UInt32) -> Value? {
        number == 0 || Int(number) > values.count ? nil : values[Int(number) - 1]
    }

    /// The values interned now.
    var liveValues: [Value] { values.compactMap { $0 } }

    /// How many distinct values are held.
    var count: Int { numbers.count }

    /// The number of `v`, with one more reference to it.
    mutating func intern(_ v: Value) -> UInt32 {
        let n: UInt32
        if let last, last.value == v {
            n = last.number
        } else if let known = numbers[v] {
            n = known
        } else if let reused = free.popLast() {
            n = reused
            values[Int(n) - 1] = v
            numbers[v] = n
        } else {
            values.append(v)
            references.append(0)
            n = UInt32(values.count)
            numbers[v] = n
        }
        references[Int(n) - 1] += 1
        last = (v, n)
        return n
    }

    /// The number of `v` when it is held, without taking a reference.
    func number(of v: Value) -> UInt32? { numbers[v] }

    /// Drops one reference to `number` (0: none); the value goes when its last one does.
    mutating func release(_ number: UInt32) {
        guard number != 0, Int(number) <= values.count else { return }
        let i = Int(number) - 1
        references[i] -= 1
        guard references[i] <= 0, let v = values[i] else { return }
        references[i] = 0
        values[i] = nil
        numbers[v] = nil
        free.append(number)
        if last?.number == number { last = nil }
    }
}
