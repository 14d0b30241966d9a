import DocketSchedules

/// The engine's versioned binary format for journal records (one mutation each) and snapshots
/// (the whole state). Version 1. A record carries `recordTag`; a snapshot starts with
/// `snapshotMagic` and the version. Readers reject other tags and versions with a typed error
/// rather than guessing; a future version adds a tag and keeps reading this one.
enum EngineCodec {
    static let recordTag: UInt16 = 0x4431  // "D1"
    static let snapshotMagic: [UInt8] = Array("DKTS".utf8)
    static let version: UInt8 = 1

    typealias Malformed = BinaryReader.Malformed

    // MARK: Mutations

    static func encode(_ m: Mutation) -> [UInt8] {
        var w = BinaryWriter(capacity: 96)
        encode(m, into: &w)
        return w.bytes
    }

    /// Appends the encoding of `.enqueue(t)` to `w` without building the mutation.
    static func encodeEnqueue(_ t: TaskEntry, into w: inout BinaryWriter) {
        w.byte(1); write(t, &w)
    }

    /// Appends the encoding of `m` to `w` (several mutations share one buffer for one packed
    /// journal submit).
    static func encode(_ m: Mutation, into w: inout BinaryWriter) {
        switch m {
        case .enqueue(let t):
            encodeEnqueue(t, into: &w)
        case .start(let leases, let at):
            w.byte(2); w.int(at); w.varint(UInt64(leases.count))
            for l in leases { w.string(l.id); w.varint(l.lease) }
        case .succeed(let id, let lease, let output, let at):
            w.byte(3); w.string(id); w.varint(lease); w.optional(output) { $0.data($1) }; w.int(at)
        case .fail(let id, let lease, let error, let retryAt, let at):
            w.byte(4); w.string(id); w.varint(lease); w.string(error); w.optional(retryAt) { $0.int($1) }; w.int(at)
        case .snooze(let id, let lease, let until, let at):
            w.byte(5); w.string(id); w.varint(lease); w.int(until); w.int(at)
        case .progress(let id, let lease, let value):
            w.byte(6); w.string(id); w.varint(lease); w.double(value)
        case .cancel(let ids, let at):
            w.byte(7); strings(ids, &w); w.int(at)
        case .pause(let ids, let at):
            w.byte(8); strings(ids, &w); w.int(at)
        case .resume(let ids, let at):
            w.byte(9); strings(ids, &w); w.int(at)
        case .reschedule(let ids, let runAt, let at):
            w.byte(10); strings(ids, &w); w.int(runAt); w.int(at)
        case .retryNow(let ids, let at):
            w.byte(11); strings(ids, &w); w.int(at)
        case .shiftRunAt(let ids, let by, let at):
            w.byte(22); strings(ids, &w); w.int(by); w.int(at)
        case .shiftWorkflowDeadlines(let ids, let by, let at):
            w.byte(23); strings(ids, &w); w.int(by); w.int(at)
        case .purge(let ids):
            w.byte(12); strings(ids, &w)
        case .upsertSchedule(let s):
            // The key last and only when there is one: without it the record is exactly what
            // builds from before schedule keys wrote and read.
            w.byte(13); write(s, &w)
            if let key = s.key { w.string(key) }
        case .setScheduleStatus(let id, let status, let nextFire, let at):
            w.byte(14); w.string(id); w.byte(status.code); w.optional(nextFire) { $0.int($1) }; w.int(at)
        case .fire(let sid, let created, let lastNominal, let skipped, let skippedCount, let nextFire, let at):
            w.byte(15); w.string(sid); w.varint(UInt64(created.count))
            for t in created { write(t, &w) }
            w.optional(lastNominal) { $0.int($1) }
            w.varint(UInt64(skipped.count))
            for s in skipped { w.int(s) }
            w.int(skippedCount); w.optional(nextFire) { $0.int($1) }; w.int(at)
        case .removeSchedules(let ids):
            w.byte(16); strings(ids, &w)
        case .startWorkflow(let wf, let at):
            w.byte(17); write(wf, &w); w.int(at)
        case .cancelWorkflow(let id, let at):
            w.byte(18); w.string(id); w.int(at)
        case .removeWorkflows(let ids):
            w.byte(19); strings(ids, &w)
        case .workflowTimedOut(let id, let stage, let at):
            w.byte(20); w.string(id); w.int(stage); w.int(at)
        case .cancelWithCompensation(let ids, let created, let at):
            w.byte(21); strings(ids, &w); w.varint(UInt64(created.count))
            for t in created { write(t, &w) }
            w.int(at)
        }
    }

    static func decodeMutation(_ bytes: [UInt8]) throws(Malformed) -> Mutation {
        try BinaryReader.reading(bytes) { (r: inout BinaryReader) throws(Malformed) in try readMutation(&r) }
    }

    /// Decodes a mutation from borrowed bytes (a record being replayed).
    static func decodeMutation(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> Mutation {
        var r = BinaryReader(bytes)
        return try readMutation(&r)
    }

    private static func readMutation(_ r: inout BinaryReader) throws(Malformed) -> Mutation {
        let kind = try r.byte()
        let m: Mutation
        switch kind {
        case 1: m = .enqueue(try readTask(&r))
        case 2:
            let at = try r.int()
            let n = try r.count(elementSize: 2)
            var leases: [Mutation.Lease] = []
            leases.reserveCapacity(n)
            for _ in 0..<n { leases.append(Mutation.Lease(id: try r.string(), lease: try r.counter())) }
            m = .start(leases, at: at)
        case 3: m = .succeed(id: try r.string(), lease: try r.counter(), output: try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.data() }, at: try r.int())
        case 4: m = .fail(id: try r.string(), lease: try r.counter(), error: try r.string(), retryAt: try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }, at: try r.int())
        case 5: m = .snooze(id: try r.string(), lease: try r.counter(), until: try r.int(), at: try r.int())
        case 6: m = .progress(id: try r.string(), lease: try r.counter(), value: try r.double())
        case 7: m = .cancel(try readStrings(&r), at: try r.int())
        case 8: m = .pause(try readStrings(&r), at: try r.int())
        case 9: m = .resume(try readStrings(&r), at: try r.int())
        case 10: m = .reschedule(try readStrings(&r), runAt: try r.int(), at: try r.int())
        case 11: m = .retryNow(try readStrings(&r), at: try r.int())
        case 22:
            let (ids, by, at) = try readClockStep(&r)
            m = .shiftRunAt(ids, by: by, at: at)
        case 23:
            let (ids, by, at) = try readClockStep(&r)
            m = .shiftWorkflowDeadlines(ids, by: by, at: at)
        case 12: m = .purge(try readStrings(&r))
        case 13:
            var s = try readSchedule(&r)
            if !r.isAtEnd {
                let key = try r.string()
                guard !key.isEmpty else { throw r.malformed("schedule \(s.id): an empty key") }
                s.key = key
            }
            m = .upsertSchedule(s)
        case 14:
            let id = try r.string()
            guard let status = ScheduleStatus(code: try r.byte()) else { throw r.malformed("unknown schedule status") }
            m = .setScheduleStatus(id: id, status: status, nextFire: try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }, at: try r.int())
        case 15:
            let sid = try r.string()
            let n = try r.count(elementSize: 16)
            var created: [TaskEntry] = []
            for _ in 0..<n { created.append(try readTask(&r)) }
            let lastNominal = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
            let k = try r.count()
            var skipped: [Micros] = []
            for _ in 0..<k { skipped.append(try r.int()) }
            m = .fire(scheduleID: sid, created: created, lastNominal: lastNominal, skipped: skipped, skippedCount: try r.intValue(),
                      nextFire: try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }, at: try r.int())
        case 16: m = .removeSchedules(try readStrings(&r))
        case 17:
            let w = try readWorkflow(&r)
            // As `startWorkflow` writes it: at its first stage, nothing decided, no step id
            // held by another task (it refuses those).
            guard w.status == .running, w.current == 0, w.outcomes.allSatisfy({ $0 == nil }), w.collided.isEmpty, w.finishedAt == nil else {
                throw r.malformed("workflow \(w.id) is not started as startWorkflow starts one (stage \(w.current), \(w.status.rawValue))")
            }
            m = .startWorkflow(w, at: try r.int())
        case 18: m = .cancelWorkflow(id: try r.string(), at: try r.int())
        case 19: m = .removeWorkflows(try readStrings(&r))
        case 20: m = .workflowTimedOut(id: try r.string(), stage: try r.intValue(), at: try r.int())
        case 21:
            let ids = try readStrings(&r)
            let n = try r.count(elementSize: 16)
            var created: [TaskEntry] = []
            for _ in 0..<n { created.append(try readTask(&r)) }
            m = .cancelWithCompensation(ids, created: created, at: try r.int())
        default:
            throw r.malformed("unknown mutation kind \(kind)")
        }
        guard r.isAtEnd else { throw r.malformed("trailing bytes after the mutation") }
        return m
    }

    // MARK: Snapshots

    static func encodeSnapshot(_ s: EngineState) -> [UInt8] {
        var w = BinaryWriter(capacity: 64 + s.tasks.count * 96)
        w.bytes.append(contentsOf: snapshotMagic)
        w.byte(version)
        w.varint(s.nextSequence)
        w.varint(s.nextLease)
        w.varint(UInt64(s.tasks.count))
        // Sorted, so equal states give equal bytes.
        s.tasks.forEachInSequenceOrder { t in
            write(t, &w)
            return true
        }
        w.varint(UInt64(s.schedules.count))
        for sc in s.schedules.values.sorted(by: { $0.id < $1.id }) { write(sc, &w) }
        // Workflows last, and only when there are any: a snapshot without them is exactly the
        // format of the first builds, which stays readable.
        let keyed = s.schedules.values.filter { $0.key != nil }.sorted { $0.id < $1.id }
        if !s.workflows.isEmpty || !keyed.isEmpty {
            w.varint(UInt64(s.workflows.count))
            for wf in s.workflows.values.sorted(by: { $0.id < $1.id }) { write(wf, &w) }
        }
        // Then the keys of the schedules that have one, likewise only when there are any.
        if !keyed.isEmpty {
            w.varint(UInt64(keyed.count))
            for sc in keyed { w.string(sc.id); w.string(sc.key ?? "") }
        }
        return w.bytes
    }

    static func decodeSnapshot(_ bytes: [UInt8]) throws(Malformed) -> EngineState {
        var state = EngineState()
        try decodeSnapshot(bytes, header: { nextSequence, nextLease, count in
            state.nextSequence = nextSequence
            state.nextLease = nextLease
            state.tasks.reserveCapacity(count)
        }, task: { t in
            _ = state.tasks.insertNew(t)
        }, schedules: { schedules, workflows in
            for s in schedules { state.schedules[s.id] = s }
            for w in workflows { state.workflows[w.id] = w }
        })
        state.rebuildWorkflowIndex()
        // The timer heap and running counts are rebuilt by the caller once replay is done.
        return state
    }

    /// Decodes a snapshot in parts: the counters, then each task, then the schedules — so that
    /// a reader can build the state on another thread while it decodes.
    static func decodeSnapshot(_ bytes: [UInt8],
                               header: (_ nextSequence: UInt64, _ nextLease: UInt64, _ taskCount: Int) -> Void,
                               task: (consuming TaskEntry) -> Void, schedules: ([ScheduleEntry], [WorkflowEntry]) -> Void) throws(Malformed) {
        try BinaryReader.reading(bytes) { (r: inout BinaryReader) throws(Malformed) in
            try readSnapshot(&r, header: header, task: task, schedules: schedules)
        }
    }

    private static func readSnapshot(_ r: inout BinaryReader, header: (_ nextSequence: UInt64, _ nextLease: UInt64, _ taskCount: Int) -> Void,
                                     task: (consuming TaskEntry) -> Void, schedules: ([ScheduleEntry], [WorkflowEntry]) -> Void) throws(Malformed) {
        for m in snapshotMagic where try r.byte() != m { throw r.malformed("not a Docket engine snapshot") }
        let v = try r.byte()
        guard v == version else { throw r.malformed("engine snapshot version \(v) is not supported (this build reads version \(version))") }
        let nextSequence = try r.counter()
        let nextLease = try r.counter()
        // A task takes at least 28 bytes (four length bytes, a progress double, 16 one-byte fields).
        let n = try r.count(elementSize: 28)
        header(nextSequence, nextLease, n)
        // Written in sequence order, each sequence once: out of order or repeated (a damaged or
        // hand-made snapshot), the task table would take quadratic time or list a task twice.
        var previous: UInt64?
        for _ in 0..<n {
            let t = try readTask(&r)
            if let p = previous, t.sequence <= p {
                throw r.malformed("task \"\(t.id)\" has sequence \(t.sequence) after one of \(p): snapshot tasks are written in increasing sequence order")
            }
            previous = t.sequence
            task(consume t)
        }
        let k = try r.count(elementSize: 16)
        var all: [ScheduleEntry] = []
        for _ in 0..<k { all.append(try readSchedule(&r)) }
        var workflows: [WorkflowEntry] = []
        if !r.isAtEnd {
            let n = try r.count(elementSize: 8)
            for _ in 0..<n { workflows.append(try readWorkflow(&r)) }
        }
        if !r.isAtEnd {
            let n = try r.count(elementSize: 2)
            // The loader keeps the last schedule of an id; so does this.
            let position = Dictionary(all.indices.map { (all[$0].id, $0) }, uniquingKeysWith: { _, last in last })
            var previous: String?
            for _ in 0..<n {
                let id = try r.string(), key = try r.string()
                guard previous.map({ $0 < id }) ?? true else { throw r.malformed("schedule keys out of order at \"\(id)\"") }
                previous = id
                guard !key.isEmpty else { throw r.malformed("schedule \(id): an empty key") }
                guard let i = position[id] else { throw r.malformed("a key for schedule \"\(id)\", which the snapshot does not have") }
                all[i].key = key
            }
        }
        guard r.isAtEnd else { throw r.malformed("trailing bytes after the snapshot") }
        schedules(all, workflows)
    }

    // MARK: Parts

    private static func strings(_ v: [String], _ w: inout BinaryWriter) {
        w.varint(UInt64(v.count))
        for s in v { w.string(s) }
    }

    private static func readStrings(_ r: inout BinaryReader) throws(Malformed) -> [String] {
        let n = try r.count()
        var v: [String] = []
        v.reserveCapacity(min(n, 1024))
        for _ in 0..<n { v.append(try r.string()) }
        return v
    }

    static func write(_ t: TaskEntry, _ w: inout BinaryWriter) {
        w.string(t.id); w.string(t.name); w.data(t.payload); w.string(t.queue); w.int(t.priority)
        w.optional(t.key) { $0.string($1) }
        w.int(t.runAt); w.int(t.attempt); w.int(t.maxAttempts); write(t.retry, &w); w.int(t.timeout)
        // The high bit of the status byte: the run time came from the clock. Journals from
        // before it never set it (their tasks read as given times, as those builds treated them).
        w.byte(t.status.code | (t.runAtFromClock ? Self.runAtFromClockBit : 0)); w.double(t.progress)
        w.optional(t.output) { $0.data($1) }
        w.optional(t.lastError) { $0.string($1) }
        w.int(t.createdAt)
        w.optional(t.startedAt) { $0.int($1) }
        w.optional(t.finishedAt) { $0.int($1) }
        w.varint(t.sequence); w.varint(t.lease)
        w.optional(t.scheduleID) { $0.string($1) }
    }

    static func readTask(_ r: inout BinaryReader) throws(Malformed) -> TaskEntry {
        let id = try r.string(), name = try r.string(), payload = try r.data(), queue = try r.string(), priority = try r.intValue()
        // The task table marks free slots with an empty id: such a task would be counted, never seen.
        guard !id.isEmpty else { throw r.malformed("a task with an empty id") }
        let key = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.string() }
        let runAt = try r.int(), attempt = try r.intValue(), maxAttempts = try r.intValue(), retry = try readRetry(&r), timeout = try r.int()
        let statusByte = try r.byte()
        guard let status = TaskStatus(code: statusByte & ~Self.runAtFromClockBit) else { throw r.malformed("unknown task status") }
        let progress = try r.double()
        let output = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.data() }
        let lastError = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.string() }
        let createdAt = try r.int()
        let startedAt = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let finishedAt = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let sequence = try r.counter(), lease = try r.counter()
        let scheduleID = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.string() }
        return TaskEntry(id: id, name: name, payload: payload, queue: queue, priority: priority, key: key, runAt: runAt,
                         attempt: attempt, maxAttempts: maxAttempts, retry: retry, timeout: timeout, status: status,
                         progress: progress, output: output, lastError: lastError, createdAt: createdAt, startedAt: startedAt,
                         finishedAt: finishedAt, sequence: sequence, lease: lease, scheduleID: scheduleID,
                         runAtFromClock: statusByte & Self.runAtFromClockBit != 0)
    }

    /// The ids, size and time of a clock-step record (kinds 22 and 23).
    private static func readClockStep(_ r: inout BinaryReader) throws(Malformed) -> ([String], Micros, Micros) {
        let ids = try readStrings(&r), by = try r.int()
        // A step back has a size: a negative or zero one was never written (and -Int64.min traps).
        guard by > 0 else { throw r.malformed("a clock step back of \(by) µs (it must be positive)") }
        return (ids, by, try r.int())
    }

    /// In a task's status byte: `TaskEntry.runAtFromClock`.
    static let runAtFromClockBit: UInt8 = 0x80

    static func write(_ p: RetryPolicy, _ w: inout BinaryWriter) {
        switch p {
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            w.byte(0); w.int(Time.micros(initial)); w.double(multiplier); w.int(Time.micros(maximum)); w.double(jitter)
        case .fixed(let d):
            w.byte(1); w.int(Time.micros(d))
        case .never:
            w.byte(2)
        case .custom(let name):
            w.byte(3); w.string(name)
        }
    }

    static func readRetry(_ r: inout BinaryReader) throws(Malformed) -> RetryPolicy {
        switch try r.byte() {
        case 0:
            let initial = Time.duration(try r.int()), multiplier = try r.double(), maximum = Time.duration(try r.int()), jitter = try r.double()
            // A NaN never equals itself: interned policies would pile up, one per change.
            guard multiplier.isFinite, jitter.isFinite else { throw r.malformed("a retry policy with a multiplier or jitter that is not a finite number") }
            return .exponential(initial: initial, multiplier: multiplier, maximum: maximum, jitter: jitter)
        case 1: return .fixed(Time.duration(try r.int()))
        case 2: return .never
        case 3: return .custom(name: try r.string())
        case let k: throw r.malformed("unknown retry policy \(k)")
        }
    }

    static func write(_ wf: WorkflowEntry, _ w: inout BinaryWriter) {
        w.string(wf.id); w.int(wf.current); w.byte(wf.status.code)
        w.int(wf.createdAt); w.optional(wf.finishedAt) { $0.int($1) }
        strings(wf.collided, &w)
        w.optional(wf.stageDeadline) { $0.int($1) }
        w.varint(UInt64(wf.stages.count))
        for (stage, outcome) in zip(wf.stages, wf.outcomes) {
            switch stage.completion {
            case .all: w.byte(0)
            case .any: w.byte(1)
            case .quorum(let q): w.byte(2); w.int(q)
            }
            w.byte(stage.stopOnFailure ? 1 : 0)
            switch stage.condition {
            case .always: w.byte(0)
            case .ifPreviousSucceeded: w.byte(1)
            case .ifPreviousFailed: w.byte(2)
            }
            w.byte(outcome.map { $0 ? 1 : 2 } ?? 0)
            w.int(stage.timeout)
            w.varint(UInt64(stage.steps.count))
            for t in stage.steps { write(t, &w) }
        }
    }

    static func readWorkflow(_ r: inout BinaryReader) throws(Malformed) -> WorkflowEntry {
        let id = try r.string()
        let current = try r.intValue()
        guard let status = WorkflowStatus(code: try r.byte()) else { throw r.malformed("unknown workflow status") }
        let createdAt = try r.int()
        let finishedAt = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let collided = try readStrings(&r)
        let stageDeadline = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let n = try r.count(elementSize: 6)
        var stages: [WorkflowEntry.Stage] = []
        var outcomes: [Bool?] = []
        for _ in 0..<n {
            let completion: WorkflowStage.Completion
            switch try r.byte() {
            case 0: completion = .all
            case 1: completion = .any
            case 2: completion = .quorum(try r.intValue())  // checked against the steps below
            case let k: throw r.malformed("unknown workflow completion \(k)")
            }
            let stop = try r.byte() != 0
            let condition: WorkflowStage.Condition
            switch try r.byte() {
            case 0: condition = .always
            case 1: condition = .ifPreviousSucceeded
            case 2: condition = .ifPreviousFailed
            case let k: throw r.malformed("unknown workflow condition \(k)")
            }
            switch try r.byte() {
            case 0: outcomes.append(nil)
            case 1: outcomes.append(true)
            case 2: outcomes.append(false)
            case let k: throw r.malformed("unknown stage outcome \(k)")
            }
            let timeout = try r.int()
            let k = try r.count(elementSize: 16)
            var steps: [TaskEntry] = []
            for _ in 0..<k { steps.append(try readTask(&r)) }
            stages.append(WorkflowEntry.Stage(steps: steps, completion: completion, stopOnFailure: stop, condition: condition, timeout: max(0, timeout)))
        }
        guard !stages.isEmpty, stages.allSatisfy({ !$0.steps.isEmpty }), current >= 0,
              current < stages.count || (current == stages.count && status != .running) else {
            throw r.malformed("workflow \(id): stage \(current) of \(stages.count) stages (\(status.rawValue)), or an empty stage")
        }
        for (i, stage) in stages.enumerated() {
            if case .quorum(let q) = stage.completion, !(1...stage.steps.count).contains(q) {
                throw r.malformed("workflow \(id): stage \(i) needs a quorum of \(q) of its \(stage.steps.count) steps")
            }
        }
        // Each is a step id of a stage that started, at most once.
        guard collided.count <= stages.reduce(0, { $0 + $1.steps.count }), Set(collided).count == collided.count else {
            throw r.malformed("workflow \(id): \(collided.count) collided step ids, more than its steps or repeated")
        }
        return WorkflowEntry(id: id, stages: stages, current: current, status: status, outcomes: outcomes, createdAt: createdAt,
                             finishedAt: finishedAt, collided: collided, stageDeadline: stageDeadline)
    }

    static func write(_ s: ScheduleEntry, _ w: inout BinaryWriter) {
        w.string(s.id); w.string(s.schedule.description); w.string(s.name); w.data(s.payload); w.string(s.queue)
        w.int(s.priority); w.int(s.maxAttempts); write(s.retry, &w); w.int(s.timeout)
        w.byte(s.misfire.code); w.int(s.grace); w.byte(s.overlap.code); w.byte(s.status.code)
        w.optional(s.nextFire) { $0.int($1) }
        w.optional(s.lastFire) { $0.int($1) }
        w.optional(s.lastTaskID) { $0.string($1) }
        w.int(s.createdAt)
    }

    static func readSchedule(_ r: inout BinaryReader) throws(Malformed) -> ScheduleEntry {
        let id = try r.string()
        let text = try r.string()
        let schedule: Schedule
        do { schedule = try Schedule(parsing: text) } catch { throw r.malformed("schedule \(id): \(error)") }
        let name = try r.string(), payload = try r.data(), queue = try r.string()
        let priority = try r.intValue(), maxAttempts = try r.intValue(), retry = try readRetry(&r), timeout = try r.int()
        guard let misfire = MisfirePolicy(code: try r.byte()) else { throw r.malformed("unknown misfire policy") }
        let grace = try r.int()
        guard let overlap = OverlapPolicy(code: try r.byte()) else { throw r.malformed("unknown overlap policy") }
        guard let status = ScheduleStatus(code: try r.byte()) else { throw r.malformed("unknown schedule status") }
        let nextFire = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let lastFire = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.int() }
        let lastTaskID = try r.optional { (r: inout BinaryReader) throws(Malformed) in try r.string() }
        return ScheduleEntry(id: id, schedule: schedule, name: name, payload: payload, queue: queue, priority: priority,
                             maxAttempts: maxAttempts, retry: retry, timeout: timeout, misfire: misfire, grace: grace,
                             overlap: overlap, status: status, nextFire: nextFire, lastFire: lastFire, lastTaskID: lastTaskID,
                             createdAt: try r.int())
    }
}
