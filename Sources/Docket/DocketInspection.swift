import DocketJournal
import Foundation

/// What a journaled Docket directory holds, read without opening it: no lock is taken and
/// nothing is changed, so it works on the directory of a running instance (whose newest,
/// half-written bytes then show as `damage`) and on the directory a crash left behind.
///
/// ```swift
/// let state = try Docket.inspect(directory: "state/docket")
/// print(state.byStatus[.failed, default: 0], "dead-lettered")
/// for task in state.failed { print(task.id, task.lastError ?? "") }
/// ```
///
/// Tasks that were running when the writer stopped show as `running`: `Docket.open` counts
/// that attempt when it recovers them, `inspect` only reports.
public struct DocketInspection: Sendable {
    /// The directory read.
    public var directory: String
    /// Every task, in enqueue order.
    public var tasks: [TaskInfo]
    /// Every recurring schedule, by id.
    public var schedules: [ScheduleInfo]
    /// Every workflow, by id.
    public var workflows: [WorkflowInfo] = []
    /// The last journal sequence whose record is in this state (0 for an empty journal).
    public var lastSequence: UInt64
    /// The sequence the snapshot that was loaded covers, nil when the state comes from records
    /// alone.
    public var snapshotSequence: UInt64?
    /// Records applied after the snapshot (or from the start).
    public var recordsReplayed: Int
    /// Damage that ended the read early (everything before it is in this state): a torn tail
    /// (`isTornTail`) when a writer was interrupted or is still writing, otherwise corruption.
    /// Nil when clean.
    public var damage: JournalCorruption?

    private var index: [String: Int]

    init(directory: String, tasks: [TaskInfo], schedules: [ScheduleInfo], lastSequence: UInt64, snapshotSequence: UInt64?,
         recordsReplayed: Int, damage: JournalCorruption?) {
        self.directory = directory
        self.tasks = tasks
        self.schedules = schedules
        self.lastSequence = lastSequence
        self.snapshotSequence = snapshotSequence
        self.recordsReplayed = recordsReplayed
        self.damage = damage
        index = Dictionary(tasks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The task with this id.
    public func task(_ id: String) -> TaskInfo? { index[id].map { tasks[$0] } }

    /// Tasks per status (statuses without tasks are absent).
    public var byStatus: [TaskStatus: Int] {
        var counts: [TaskStatus: Int] = [:]
        for t in tasks { counts[t.status, default: 0] += 1 }
        return counts
    }

    /// Tasks per queue and status.
    public var byQueue: [String: [TaskStatus: Int]] {
        var counts: [String: [TaskStatus: Int]] = [:]
        for t in tasks { counts[t.queue, default: [:]][t.status, default: 0] += 1 }
        return counts
    }

    /// The dead-letter tasks (status `failed`), in enqueue order.
    public var failed: [TaskInfo] { tasks.filter { $0.status == .failed } }

    /// Tasks that are not finished (scheduled, running or paused).
    public var unfinished: Int { tasks.count(where: { !$0.status.isTerminal }) }
}

extension Docket {
    /// Reads the state stored in `directory` — the newest snapshot, then the records after
    /// it — without taking the lock or changing anything. Reading stops at the first damage
    /// (reported in `damage`), except damage in records the snapshot covers, which is passed
    /// over (and reported) as `open` passes over it; nothing is repaired.
    ///
    /// - Throws: `DocketError.journal` when the directory cannot be read or holds no journal
    ///   structure it understands; `.unreadableState` when it holds records that are not this
    ///   version's engine records.
    public static func inspect(directory: String) throws(DocketError) -> DocketInspection {
        try inspect(directory: directory, asOf: nil, includeArchive: false)
    }

    /// The state as it was right after journal sequence `sequence`, for audits: rebuilt from
    /// the newest snapshot at or before it and the records up to it, never one past it.
    /// `includeArchive` also reads the segments `Retention.archive` kept in `archive/`, which
    /// states older than every kept snapshot need.
    ///
    /// ```swift
    /// let then = try Docket.inspect(directory: "state/docket", asOf: 12_000, includeArchive: true)
    /// ```
    ///
    /// - Throws: as `inspect(directory:)`; a state that cannot be rebuilt (its records were
    ///   deleted) comes back with `damage` set.
    public static func inspect(directory: String, asOf sequence: UInt64, includeArchive: Bool = false) throws(DocketError) -> DocketInspection {
        try inspect(directory: directory, asOf: Optional(sequence), includeArchive: includeArchive)
    }

    /// Any of the `inspect` calls (`at` wins over `asOf`), calling `progress` with the sequence
    /// of each record read: the command line's progress line. `at` reads the journal twice,
    /// and `phase` names each pass ("finding the time", then "replaying").
    package static func inspect(directory: String, asOf: UInt64?, at date: Date?, includeArchive: Bool,
                                phase: (String) -> Void, progress: (UInt64) -> Void) throws(DocketError) -> DocketInspection {
        if let date { return try inspect(directory: directory, at: date, includeArchive: includeArchive, phase: phase, progress: progress) }
        return try inspect(directory: directory, asOf: asOf, includeArchive: includeArchive, progress: progress)
    }

    /// The state as it was at `date`: after the last record written at or before it (by the
    /// engine's clock). See `inspect(directory:asOf:includeArchive:)`.
    ///
    /// - Throws: `invalidArgument` when the oldest record left is newer than `date` (the
    ///   older ones were deleted by retention) — keep them with `Retention.archive`.
    public static func inspect(directory: String, at date: Date, includeArchive: Bool = false) throws(DocketError) -> DocketInspection {
        try inspect(directory: directory, at: date, includeArchive: includeArchive, phase: { _ in }, progress: { _ in })
    }

    private static func inspect(directory: String, at date: Date, includeArchive: Bool, phase: (String) -> Void,
                                progress: (UInt64) -> Void) throws(DocketError) -> DocketInspection {
        guard date.timeIntervalSince1970.isFinite else { throw .invalidArgument("the time to inspect at is not a finite date") }
        // Record times are Unix nanoseconds: saturate rather than wrap for dates past 2554.
        let (product, overflow) = UInt64(max(0, Time.micros(date))).multipliedReportingOverflow(by: 1000)
        let limit = overflow ? UInt64.max : product
        var target: UInt64 = 0
        var first: (sequence: UInt64, timestamp: UInt64)?
        var passed = false
        let scan: RecoveryReport
        phase("finding the time")
        do {
            scan = try JournalReader.againIfAFileVanished { _ in
                (target, first, passed) = (0, nil, false)
                return try JournalReader.readBorrowing(directory: directory, mode: .strict, from: 1, includeArchive: includeArchive) { r in
                    progress(r.sequence)
                    if first == nil { first = (r.sequence, r.timestamp) }
                    // The first record after `date` ends the state, also if a later clock step
                    // writes earlier times again.
                    if !passed, r.timestamp <= limit { target = r.sequence } else { passed = true }
                }
            }
        } catch let e as JournalError {
            throw .journal(e)
        } catch {
            throw .unreadableState("\(error)")
        }
        if first == nil {
            // No record at all: an empty journal, or one whose records a compaction folded into
            // its snapshot. That snapshot is the state at `date` only if it was taken by then
            // (nothing happened after it); before, the state then is gone.
            var snapshotTime: UInt64?
            do {
                _ = try JournalReader.againIfAFileVanished { _ in
                    try JournalReader.read(directory: directory, mode: .strict, includeArchive: includeArchive,
                                           snapshot: { snapshotTime = $0.createdAt }, record: { _ in })
                }
            } catch let e as JournalError {
                throw .journal(e)
            } catch {
                throw .unreadableState("\(error)")
            }
            if let snapshotTime, snapshotTime > limit {
                throw .invalidArgument("only a snapshot taken at \(UTCStamp.string(Micros(snapshotTime / 1000))) is left in \(directory); the records before it were removed by retention (keep them with Retention.archive and read with includeArchive)")
            }
            phase("replaying")
            return try inspect(directory: directory, asOf: nil, includeArchive: includeArchive, progress: progress)
        }
        if let first, first.sequence > 1, first.timestamp > limit {
            throw .invalidArgument("the oldest record left in \(directory) (sequence \(first.sequence)) was written after \(UTCStamp.string(Time.micros(date))); the older ones were removed by retention (keep them with Retention.archive and read with includeArchive)")
        }
        phase("replaying")
        var state = try inspect(directory: directory, asOf: Optional(target), includeArchive: includeArchive, progress: progress)
        // Damage before any record past `date`: records written by then may lie beyond it, so
        // the state shown may be older than asked — say so.
        if !passed, let anomaly = scan.anomaly, state.damage == nil { state.damage = anomaly }
        return state
    }

    private static func inspect(directory: String, asOf: UInt64?, includeArchive: Bool,
                                progress: (UInt64) -> Void = { _ in }) throws(DocketError) -> DocketInspection {
        // What `open` would recover, without repairing: damage in records the snapshot covers
        // is passed over (and shown) as `open` does; under `.strict` the state stopped there,
        // shown empty while the engine opens the directory whole.
        let (state, report) = try StateLoader.load(directory: directory, mode: .tolerateTornTail, asOf: asOf, includeArchive: includeArchive,
                                                   progress: progress)
        var tasks: [TaskInfo] = []
        tasks.reserveCapacity(state.tasks.count)
        state.tasks.forEachInSequenceOrder { t in
            tasks.append(TaskInfo(t))
            return true
        }
        let schedules = state.schedules.values.sorted { $0.id < $1.id }.map(ScheduleInfo.init)
        var inspection = DocketInspection(directory: directory, tasks: tasks, schedules: schedules, lastSequence: report.lastSequence,
                                snapshotSequence: report.snapshotFile == nil ? nil : report.snapshotSequence,
                                recordsReplayed: report.recordsReplayed, damage: report.anomaly)
        inspection.workflows = state.workflows.values.sorted { $0.id < $1.id }.map(state.workflowInfo)
        return inspection
    }
}
