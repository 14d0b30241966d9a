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
                          _ read: (_ snapshot: (JournalSnapshot) throws -> Void, _ record: (JournalRecord) throws -> Void) throws -> R)
        throws(DocketError) -> (EngineState, R) {
        let pipeline = ReplayPipeline(reserving: estimate)
        var batch: [Mutation] = []
        batch.reserveCapacity(ReplayPipeline.batchSize)
        let outcome = Result { () throws -> R in
            let r = try read({ snapshot in
                try EngineCodec.decodeSnapshot(snapshot.bytes, batchSize: ReplayPipeline.batchSize, header: { nextSequence, nextLease, count in
                    pipeline.send(.snapshot(nextSequence: nextSequence, nextLease: nextLease, tasks: count + estimate))
                }, tasks: { pipeline.send(.tasks($0)) }, schedules: { pipeline.send(.schedules($0)) })
            }, { record in
                guard record.tag == EngineCodec.recordTag else {
                    throw BinaryReader.Malformed(reason: "record \(record.sequence) has tag \(record.tag), not an engine record (\(EngineCodec.recordTag))", offset: 0)
                }
                batch.append(try EngineCodec.decodeMutation(record.payload))
                if batch.count == ReplayPipeline.batchSize {
                    pipeline.send(.mutations(batch))
                    batch.removeAll(keepingCapacity: true)
                }
            })
            if !batch.isEmpty { pipeline.send(.mutations(batch)) }
            return r
        }
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
    static func load(directory: String, mode: RecoveryMode = .tolerateTornTail) throws(DocketError) -> (EngineState, RecoveryReport) {
        try replay { snapshot, record in
            try JournalReader.read(directory: directory, mode: mode, snapshot: snapshot, record: record)
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
        case tasks([TaskEntry])
        case schedules([ScheduleEntry])
        case mutations([Mutation])
        case end
    }

    static let batchSize = 1024
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
                    state.tasks.reserveCapacity(tasks)
                    sized = true
                case .tasks(let tasks):
                    for t in tasks { _ = state.tasks.insertNew(t) }
                case .schedules(let schedules):
                    for s in schedules { state.schedules[s.id] = s }
                case .mutations(let ms):
                    if !sized {
                        state.tasks.reserveCapacity(estimate)
                        sized = true
                    }
                    // Moved out of the array one by one (reversed, then popped), not copied:
                    // a copy would retain and release every string and array in it.
                    var ms = ms
                    ms.reverse()
                    while let m = ms.popLast() { state.apply(m) }
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
