import DocketJournal
import Foundation
import Synchronization

/// Rebuilds engine state from a journal: the snapshot and record handlers both readers use, and
/// the mapping of what can go wrong to `DocketError`.
enum StateLoader {
    /// Runs `read` (which opens or reads the journal) with handlers that rebuild the state, and
    /// returns the state with `read`'s result.
    ///
    /// Reading, checking and decoding the journal run on the caller's thread while a second
    /// thread applies the decoded mutations (`ReplayPipeline`): each half is about half of a
    /// large recovery, and on two cores they overlap.
    static func replay<R>(reserving estimate: Int = 0,
                          _ read: (_ snapshot: (JournalSnapshot) throws -> Void, _ record: (JournalRecordView) throws -> Void) throws -> R)
        throws(DocketError) -> (EngineState, R) {
        let pipeline = ReplayPipeline(reserving: estimate)
        var batch = Handoff<Mutation>(capacity: ReplayPipeline.batchSize)
        var tasks = Handoff<TaskEntry>(capacity: ReplayPipeline.batchSize)
        let outcome = Result { () throws -> R in
            let r = try read({ snapshot in
                try EngineCodec.decodeSnapshot(snapshot.bytes, header: { nextSequence, nextLease, count in
                    pipeline.send(.snapshot(nextSequence: nextSequence, nextLease: nextLease, tasks: count + estimate))
                }, task: { t in
                    tasks.append(t)
                    if tasks.isFull {
                        pipeline.send(.tasks(tasks))
                        tasks = Handoff(capacity: ReplayPipeline.batchSize)
                    }
                }, schedules: { schedules, workflows in
                    if tasks.count > 0 {
                        pipeline.send(.tasks(tasks))
                        tasks = Handoff(capacity: ReplayPipeline.batchSize)
                    }
                    pipeline.send(.schedules(schedules, workflows))
                })
            }, { record in
                guard record.tag == EngineCodec.recordTag else {
                    throw BinaryReader.Malformed(reason: "record \(record.sequence) has tag \(record.tag), not the engine's (\(EngineCodec.recordTag)): this is a journal of other records (say, of `docket journal stress`), not a Docket directory", offset: 0)
                }
                batch.append(try EngineCodec.decodeMutation(record.payload))
                if batch.isFull {
                    pipeline.send(.mutations(batch))
                    batch = Handoff(capacity: ReplayPipeline.batchSize)
                }
            })
            if batch.count > 0 {
                pipeline.send(.mutations(batch))
                batch = Handoff(capacity: 0)
            }
            return r
        }
        // Batches left half-filled by an error were never sent: free them here.
        batch.discard()
        tasks.discard()
        // Always joined, also after an error, so the applying thread never outlives the call.
        var state = pipeline.finish()
        switch outcome {
        case .success(let result):
            state.maintainsTimers = true
            state.rebuildDerived()
            return (state, result)
        case .failure(let e as JournalError):
            throw .journal(e)
        case .failure(let e as BinaryReader.Malformed):
            throw .unreadableState(e.description)
        case .failure(let e):
            throw .unreadableState("\(e)")
        }
    }

    /// Reads the engine state stored in a journal directory without opening it for writing: no
    /// lock, no repair, no recovery of interrupted tasks. For inspection and tests.
    /// With `asOf`, the state as it was right after that sequence (see
    /// `JournalReader.read(directory:asOf:)`); `includeArchive` also reads archived segments.
    /// `progress` gets the sequence of each record read.
    static func load(directory: String, mode: RecoveryMode = .tolerateTornTail, asOf: UInt64? = nil,
                     includeArchive: Bool = false, progress: (UInt64) -> Void = { _ in }) throws(DocketError) -> (EngineState, RecoveryReport) {
        // The whole replay starts over when the live instance's retention removed a file this
        // read had listed (the state is rebuilt from scratch each time).
        var attempt = 1
        while true {
            do {
                return try replay { snapshot, record in
                    try JournalReader.readBorrowing(directory: directory, mode: mode, asOf: asOf, includeArchive: includeArchive,
                                                    snapshot: snapshot, recordView: { r in
                                                        progress(r.sequence)
                                                        try record(r)
                                                    })
                }
            } catch {
                guard case .journal(let e) = error, e.isVanishedFile, attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }
}

/// A bounded queue from the thread that decodes the journal to a thread that applies what it
/// decoded, in order, to one `EngineState`.
final class ReplayPipeline: Sendable {
    enum Item: Sendable {
        /// A snapshot begins (before any record): the state starts over from its counters,
        /// with room for `tasks`, then takes its tasks and schedules.
        case snapshot(nextSequence: UInt64, nextLease: UInt64, tasks: Int)
        case tasks(Handoff<TaskEntry>)
        case schedules([ScheduleEntry], [WorkflowEntry])
        case mutations(Handoff<Mutation>)
        case end
    }

    static let batchSize = 1024
    /// The most task rows reserved up front: counts come from the journal's bytes, and a damaged
    /// or crafted snapshot must not make recovery allocate tens of gigabytes before reading it
    /// (beyond this the table grows as tasks arrive).
    static let maxReservation = 8_000_000
    /// Batches in flight at most: enough to ride out scheduling hiccups, small enough that a
    /// fast reader does not hold the whole journal decoded in memory.
    static let depth = 8

    private let items = Mutex<[Item]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let space = DispatchSemaphore(value: ReplayPipeline.depth)
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<EngineState?>(nil)

    init(reserving estimate: Int) {
        let thread = Thread { [self] in
            var state = EngineState()
            state.maintainsTimers = false
            // Sized on first use: a snapshot brings its own count.
            var sized = false
            while true {
                filled.wait()
                let item = items.withLock { $0.removeFirst() }
                space.signal()
                switch item {
                case .snapshot(let nextSequence, let nextLease, let tasks):
                    state = EngineState()
                    state.maintainsTimers = false
                    state.nextSequence = nextSequence
                    state.nextLease = nextLease
                    state.tasks.reserveCapacity(min(tasks, ReplayPipeline.maxReservation))
                    sized = true
                case .tasks(let batch):
                    batch.consume { _ = state.tasks.insertNew($0) }
                case .schedules(let schedules, let workflows):
                    for s in schedules { state.schedules[s.id] = s }
                    for w in workflows { state.workflows[w.id] = w }
                    // Mutations after the snapshot move these workflows on.
                    state.rebuildWorkflowIndex()
                case .mutations(let batch):
                    if !sized {
                        state.tasks.reserveCapacity(min(estimate, ReplayPipeline.maxReservation))
                        sized = true
                    }
                    batch.consume { state.apply($0) }
                case .end:
                    let final = state
                    result.withLock { $0 = final }
                    done.signal()
                    return
                }
            }
        }
        thread.name = "docket-replay"
        thread.start()
    }

    func send(_ item: Item) {
        space.wait()
        items.withLock { $0.append(item) }
        filled.signal()
    }

    /// Ends the stream and waits for every item sent to be applied.
    func finish() -> EngineState {
        send(.end)
        done.wait()
        return result.withLock { $0.take() } ?? EngineState()
    }
}

/// Values handed from one thread to another without copying them: the sender initializes the
/// buffer and, once it is sent, never touches it again; the receiver moves every value out
/// exactly once (`consume`) and frees it. A `[Mutation]` would instead be copied element by
/// element on the way out (it is never uniquely referenced there), retaining and releasing
/// every string and array in it.
struct Handoff<Element>: @unchecked Sendable {
    // Sendable by transfer: one owner at a time. The sender gives the value up when it sends
    // it through `ReplayPipeline`, whose lock orders the sender's writes before the receiver's
    // reads; nothing else holds a copy.
    private let base: UnsafeMutablePointer<Element>
    private let capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = UnsafeMutablePointer<Element>.allocate(capacity: max(1, capacity))
    }

    var isFull: Bool { count == capacity }

    mutating func append(_ value: consuming Element) {
        precondition(count < capacity, "Handoff is full")
        (base + count).initialize(to: value)
        count += 1
    }

    /// Moves every value out, in order, then frees the buffer. Call once.
    func consume(_ body: (consuming Element) -> Void) {
        for i in 0..<count { body((base + i).move()) }
        base.deallocate()
    }

    /// Destroys whatever was appended and frees the buffer (a batch that was never sent).
    mutating func discard() {
        base.deinitialize(count: count)
        base.deallocate()
        count = 0
    }
}
