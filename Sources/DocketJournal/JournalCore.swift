import Dispatch
import Synchronization

/// The state shared between appenders (any thread or task) and the journal's I/O thread,
/// guarded by one `Mutex`: appenders only encode into `pending` and register waiters; the I/O
/// thread takes `pending`, writes, syncs and resumes waiters.
final class JournalCore: Sendable {
    struct Waiter {
        var sequence: UInt64
        /// Waits for a sync even when the durability would acknowledge after the write
        /// (`sync()`, snapshots).
        var needsSync: Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var nextSequence: UInt64
        /// Encoded records not yet taken by the I/O thread.
        var pending: [UInt8] = []
        /// A spare buffer handed back by the I/O thread, so steady appends do not allocate.
        var spare: [UInt8] = []
        var chainEnabled: Bool
        /// The chain hash after the last assigned record.
        var chain: [UInt8]
        /// Chain hashes of recent sequences (`seq % count`), so a snapshot of a slightly older
        /// sequence can still record its chain hash.
        var recentChains: [(UInt64, [UInt8])] = []
        var writtenSequence: UInt64
        var syncedSequence: UInt64
        var syncRequestedThrough: UInt64 = 0
        var rotateRequested = false
        var waiters: [Waiter] = []
        var failure: JournalError?
        var closing = false
        var finished = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var ioSleeping = false
        /// The segment being written; retention never touches it.
        var currentSegment: UInt64 = 0
        var snapshotInProgress = false
        /// The I/O thread is closing and waits for the snapshot in progress (tests observe it).
        var waitingForSnapshot = false
        var newestSnapshot: UInt64 = 0
        /// Snapshots known to be intact (the one recovery used, the ones this journal wrote), so
        /// retention reads and checks only the others.
        var validSnapshots: Set<UInt64> = []
        /// Where the log ended when it was opened: a snapshot past it that this journal did not
        /// write belongs to a history recovery discarded (one that could not be read at open
        /// was passed over, not set aside), however far new appends take the log.
        var logEndAtOpen: UInt64 = 0
        /// Assigns the next sequence number to `payload` and encodes it into `pending`.
        @discardableResult
        mutating func encode(_ payload: [UInt8], tag: UInt16, timestamp: UInt64) -> UInt64 {
            payload.withUnsafeBytes { encode($0, tag: tag, timestamp: timestamp) }
        }

        @discardableResult
        mutating func encode(_ payload: UnsafeRawBufferPointer, tag: UInt16, timestamp: UInt64) -> UInt64 {
            let seq = nextSequence
            nextSequence += 1
            if chainEnabled {
                var next: [UInt8]? = chain
                RecordFormat.encode(into: &pending, kind: .data, sequence: seq, timestamp: timestamp, tag: tag, payload: payload, chain: &next)
                chain = next ?? chain
                recentChains[Int(seq % UInt64(JournalCore.recentChainCount))] = (seq, chain)
            } else {
                var none: [UInt8]?
                RecordFormat.encode(into: &pending, kind: .data, sequence: seq, timestamp: timestamp, tag: tag, payload: payload, chain: &none)
            }
            return seq
        }

        // Counters for tests and benchmarks.
        var syncCount = 0
        /// The last `recentSyncs` timed fdatasyncs (ns), a ring written at `syncCursor`.
        var syncDurations: [UInt64] = []
        var syncCursor = 0
        var groupCount = 0
        var rotationCount = 0
    }

    static let recentChainCount = 1024
    static let recentSyncs = 1024

    let state: Mutex<State>
    let durability: Durability
    let maxRecordSize: Int
    private let semaphore = DispatchSemaphore(value: 0)

    init(state: State, durability: Durability, maxRecordSize: Int) {
        self.state = Mutex(state)
        self.durability = durability
        self.maxRecordSize = maxRecordSize
    }

    /// Sequences up to this one are acknowledged under the configured durability.
    static func acknowledged(_ s: State, durability: Durability) -> UInt64 {
        durability == .always ? s.syncedSequence : s.writtenSequence
    }

    func wakeIOThread() { semaphore.signal() }

    /// Blocks the I/O thread until woken or until `timeoutNanoseconds` pass (nil: forever).
    func sleepIOThread(timeoutNanoseconds: UInt64?) {
        if let t = timeoutNanoseconds {
            _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(min(t, UInt64(Int.max)))))
        } else {
            semaphore.wait()
        }
    }

    /// Appends encoded records for each payload, assigning consecutive sequence numbers.
    /// Returns the first and last sequence.
    func submit(_ payloads: [[UInt8]], tag: UInt16, timestamp: UInt64) throws -> (UInt64, UInt64) {
        for p in payloads where p.count > maxRecordSize {
            throw JournalError.recordTooLarge(size: p.count, limit: maxRecordSize)
        }
        return try appending(count: payloads.count) { s in
            for p in payloads { s.encode(p, tag: tag, timestamp: timestamp) }
        }
    }

    /// `submit` for records packed in one buffer, each ending at its `ends` offset.
    func submit(packed bytes: [UInt8], ends: [Int], tag: UInt16, timestamp: UInt64) throws -> (UInt64, UInt64) {
        guard !ends.isEmpty else { throw JournalError.invalidArgument("an empty batch has no sequence numbers") }
        guard ends.last == bytes.count else {
            throw JournalError.invalidArgument("the last end of a packed batch must be the buffer's length \(bytes.count) (got \(ends.last ?? 0))")
        }
        var start = 0
        for (i, end) in ends.enumerated() {
            guard end >= start else {
                throw JournalError.invalidArgument("the ends of a packed batch must not decrease (end \(i) is \(end), after \(start))")
            }
            if end - start > maxRecordSize { throw JournalError.recordTooLarge(size: end - start, limit: maxRecordSize) }
            start = end
        }
        return try bytes.withUnsafeBytes { raw in
            try appending(count: ends.count) { s in
                var start = 0
                for end in ends {
                    s.encode(UnsafeRawBufferPointer(rebasing: raw[start..<end]), tag: tag, timestamp: timestamp)
                    start = end
                }
            }
        }
    }

    /// What every submit does under the lock: refuse when failed, closing or out of sequence
    /// numbers, let `encode` append `count` records, and wake the I/O thread if it sleeps.
    private func appending(count: Int, _ encode: (inout State) -> Void) throws(JournalError) -> (UInt64, UInt64) {
        let (first, last, wake) = try state.withLock { s throws(JournalError) -> (UInt64, UInt64, Bool) in
            if let failure = s.failure { throw failure }
            if s.closing { throw JournalError.closed }
            try Self.checkRoom(s, count: count)
            let first = s.nextSequence
            encode(&s)
            let wake = s.ioSleeping
            s.ioSleeping = false
            return (first, s.nextSequence - 1, wake)
        }
        if wake { wakeIOThread() }
        return (first, last)
    }

    /// Refuses `count` more records when they would pass the largest sequence number (recovery
    /// keeps `nextSequence` at most `maxSequence + 1`, so nothing here overflows).
    static func checkRoom(_ s: State, count: Int) throws(JournalError) {
        let room = RecordFormat.maxSequence + 1 - min(s.nextSequence, RecordFormat.maxSequence + 1)
        guard UInt64(count) <= room else {
            throw JournalError.invalidArgument("sequence numbers are exhausted: the journal is at sequence \(s.nextSequence - 1) and the limit is \(RecordFormat.maxSequence)")
        }
    }

    /// One-record form of `submit`, without building an array of payloads.
    func submit(_ payload: [UInt8], tag: UInt16, timestamp: UInt64) throws -> UInt64 {
        guard payload.count <= maxRecordSize else { throw JournalError.recordTooLarge(size: payload.count, limit: maxRecordSize) }
        return try appending(count: 1) { s in s.encode(payload, tag: tag, timestamp: timestamp) }.0
    }

    private enum WaitOutcome {
        case ready
        case failed(JournalError)
        case waiting(wake: Bool)
    }

    /// Suspends until `sequence` is acknowledged (or synced, with `needsSync`).
    func wait(for sequence: UInt64, needsSync: Bool) async throws {
        let fast = try state.withLock { s throws(JournalError) -> Bool in
            guard sequence < s.nextSequence else {
                throw JournalError.invalidArgument("sequence \(sequence) has not been appended (the last one is \(s.nextSequence - 1))")
            }
            let done = needsSync ? s.syncedSequence : Self.acknowledged(s, durability: durability)
            if done >= sequence { return true }
            if let failure = s.failure { throw failure }
            return false
        }
        if fast { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { s -> WaitOutcome in
                let done = needsSync ? s.syncedSequence : Self.acknowledged(s, durability: durability)
                if done >= sequence { return .ready }
                if let failure = s.failure { return .failed(failure) }
                s.waiters.append(Waiter(sequence: sequence, needsSync: needsSync, continuation: continuation))
                if needsSync { s.syncRequestedThrough = max(s.syncRequestedThrough, sequence) }
                let wake = s.ioSleeping && (needsSync || !s.pending.isEmpty)
                if wake { s.ioSleeping = false }
                return .waiting(wake: wake)
            }
            switch outcome {
            case .ready: continuation.resume()
            case .failed(let error): continuation.resume(throwing: error)
            case .waiting(let wake): if wake { wakeIOThread() }
            }
        }
    }

    /// Waits until `sequence` has been synced without asking for a sync (tests observe the
    /// interval timer with it).
    func waitUntilSynced(_ sequence: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { s -> WaitOutcome in
                if s.syncedSequence >= sequence { return .ready }
                // After a failure or close nothing would resume it.
                if let failure = s.failure { return .failed(failure) }
                s.waiters.append(Waiter(sequence: sequence, needsSync: true, continuation: continuation))
                return .waiting(wake: false)
            }
            switch outcome {
            case .ready: continuation.resume()
            case .failed(let error): continuation.resume(throwing: error)
            case .waiting: break
            }
        }
    }

    /// Removes and returns the waiters that are now satisfied (called with the lock held).
    static func takeReady(_ s: inout State, durability: Durability) -> [CheckedContinuation<Void, any Error>] {
        guard !s.waiters.isEmpty else { return [] }
        let acked = acknowledged(s, durability: durability)
        let synced = s.syncedSequence
        var ready: [CheckedContinuation<Void, any Error>] = []
        var keep: [Waiter] = []
        keep.reserveCapacity(s.waiters.count)
        for w in s.waiters {
            if w.sequence <= (w.needsSync ? synced : acked) { ready.append(w.continuation) } else { keep.append(w) }
        }
        s.waiters = keep
        return ready
    }

    /// Puts the journal into the failed state and fails every waiter. Never undone.
    func fail(_ error: JournalError) {
        let (waiters, closers) = state.withLock { s -> ([Waiter], [CheckedContinuation<Void, Never>]) in
            if s.failure == nil { s.failure = error }
            let w = s.waiters
            s.waiters = []
            return (w, [])
        }
        let failure = state.withLock { $0.failure } ?? error
        for w in waiters { w.continuation.resume(throwing: failure) }
        _ = closers
    }

    /// The chain hash after `sequence`, when it is still known.
    func chainHash(at sequence: UInt64) -> [UInt8]? {
        state.withLock { s -> [UInt8]? in
            guard s.chainEnabled else { return nil }
            if sequence == s.nextSequence - 1 { return s.chain }
            guard s.recentChains.count == Self.recentChainCount else { return nil }
            let slot = Int(sequence % UInt64(Self.recentChainCount))
            // The ring starts filled with (0, []): no chain is known for sequence 0.
            guard s.recentChains[slot].0 == sequence, !s.recentChains[slot].1.isEmpty else { return nil }
            return s.recentChains[slot].1
        }
    }
}
