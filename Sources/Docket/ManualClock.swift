import Foundation
import Synchronization

/// A clock that moves only when told to, for tests: `advance(by:)` wakes every sleeper whose
/// deadline has passed, at once; `step(to:)` sets it anywhere, back too, as a clock step does.
///
/// ```swift
/// let clock = ManualClock(now: Date(timeIntervalSince1970: 1_700_000_000))
/// let docket = try Docket.inMemory(configuration: .init(clock: clock))
/// clock.advance(by: .seconds(60))
/// ```
public final class ManualClock: DocketClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a clock that reads `now` until advanced.
    public init(now: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        state = Mutex(State(now: now))
    }

    /// The clock's current time.
    public func now() -> Date { state.withLock { $0.now } }

    /// The number of tasks sleeping on this clock (tests use it to wait until the engine is idle).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until, if any.
    public var nextDeadline: Date? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    /// Moves the clock forward by `duration` and wakes the sleepers that are due.
    public func advance(by duration: Duration) {
        // Past a million years is as good as forever (and `components` traps beyond 2^63 s).
        let cap = Duration.seconds(31_557_600_000_000)
        // The clock never moves back: a negative step (however large) changes nothing.
        let (s, a) = max(.zero, min(duration, cap)).components
        let seconds = Double(s) + Double(a) / 1e18
        // Read and moved under one lock: two concurrent advances by a second move it two.
        move { $0.addingTimeInterval(seconds) }
    }

    /// Moves the clock to `date` (never backwards) and wakes the sleepers that are due.
    public func advance(to date: Date) {
        move { _ in date }
    }

    /// Sets the clock to `date`, earlier or later, as a wall-clock step does (an NTP step, a
    /// corrected clock), and wakes every sleeper, as the system clock's sleepers wake on a
    /// step: each looks at the time and sleeps again if it must.
    ///
    /// ```swift
    /// clock.step(to: clock.now().addingTimeInterval(-3600))  // the clock went back an hour
    /// ```
    public func step(to date: Date) {
        let all = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = date
            let sleepers = s.sleepers.sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            s.sleepers = [:]
            return sleepers.map(\.value.continuation)
        }
        for c in all { c.resume() }
    }

    /// Sets the time to `target(now)` unless that is earlier, then resumes the sleepers now
    /// due in deadline order (the order they were put to sleep for equal deadlines). They
    /// resume in that order; when each then runs is up to the executor.
    private func move(_ target: (Date) -> Date) {
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            let date = target(s.now)
            if date > s.now { s.now = date }
            let ready = s.sleepers.filter { $0.value.deadline <= s.now }.sorted {
                ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key)
            }
            for (id, _) in ready { s.sleepers[id] = nil }
            return ready.map(\.value.continuation)
        }
        for c in due { c.resume() }
    }

    /// Suspends until the clock has been advanced to `deadline`, or the task is cancelled.
    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if deadline <= s.now || Task.isCancelled { return true }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { $0.sleepers.removeValue(forKey: id) }
            c?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
