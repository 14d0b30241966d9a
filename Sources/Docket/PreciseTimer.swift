import CDocketTimer
import Foundation
import Synchronization

/// One thread for the whole process that calls back at wall-clock deadlines, woken by a Linux
/// `timerfd` (no timer slack: ~25 µs late on the dev VM, against ~75 µs for a timed wait with
/// the default 50 µs slack). The callback runs on this thread, so the timer loop is signalled
/// directly instead of through a sleeping `Task` per wait that is created, cancelled and hopped
/// through (timer lateness p50 56 → 46 µs in alternating runs).
///
/// `nil` where there is no timerfd (other systems, or the descriptor could not be created):
/// callers then fall back to `Task.sleep`.
final class PreciseTimer: Sendable {
    /// The process's timer, started on first use.
    static let shared: PreciseTimer? = PreciseTimer()

    /// A registered callback, for cancelling it.
    struct Token: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Due: Comparable, Sendable {
        var deadline: Int64
        var id: UInt64
        static func < (a: Due, b: Due) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
    }

    private struct State {
        var heap = BinaryHeap<Due>()
        /// The live registrations; a heap entry without one here was cancelled.
        var callbacks: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 1
        /// The deadline the timerfd is set to (nil: disarmed).
        var armed: Int64?
        /// Arming found the clock set since the last wait, which that wait will not report.
        var stepPending = false
    }

    private let state = Mutex(State())
    private let fd: Int32

    private init?() {
        let fd = docket_timer_create()
        guard fd >= 0 else { return nil }
        self.fd = fd
        let thread = Thread { [self] in self.loop() }
        thread.name = "docket-timer"
        thread.start()
    }

    /// Now on the wall clock (`CLOCK_REALTIME`, the clock of `Date`), in nanoseconds.
    static func realtimeNow() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// The deadline for `date` (at most a minute ahead: the caller re-arms). Kept on the wall
    /// clock, not turned into a monotonic wait, so that a clock step or a suspend cannot make
    /// a due task wait out the rest of its original interval. A step wakes the timer at once
    /// (`TFD_TIMER_CANCEL_ON_SET`), but not one that came between the caller reading the
    /// clock and arming: the minute bounds how long such a step goes unseen.
    static func deadline(for date: Date) -> Int64 {
        let now = realtimeNow()
        let seconds = max(0, min(date.timeIntervalSince1970 - Double(now) / 1e9, 60))
        return now + Int64(seconds * 1e9)
    }

    /// Calls `callback` on the timer thread once the wall clock reaches `deadline`
    /// (at once for a past deadline). Keep the callback short: it delays the next one.
    func schedule(at deadline: Int64, _ callback: @escaping @Sendable () -> Void) -> Token {
        state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.callbacks[id] = callback
            s.heap.push(Due(deadline: deadline, id: id))
            compactIfStale(&s)
            arm(&s)
            return Token(id: id)
        }
    }

    /// Forgets a callback that has not run yet; returns whether it was still pending.
    @discardableResult
    func cancel(_ token: Token) -> Bool {
        state.withLock { s in s.callbacks.removeValue(forKey: token.id) != nil }
    }

    /// Sleeps until `deadline` (wall-clock nanoseconds since 1970) or until the calling task is cancelled
    /// (then throws `CancellationError`).
    func sleep(until deadline: Int64) async throws {
        // Resumed exactly once: by the timer, or by cancellation if it wins the race to
        // remove the registration.
        let pending = Mutex<(token: Token?, continuation: CheckedContinuation<Void, any Error>?, cancelled: Bool)>((nil, nil, false))
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let cancelledAlready = pending.withLock { p -> Bool in
                    p.continuation = c
                    return p.cancelled
                }
                if cancelledAlready {
                    c.resume(throwing: CancellationError())
                    return
                }
                let token = schedule(at: deadline) {
                    pending.withLock { p in
                        defer { p.continuation = nil }
                        return p.continuation
                    }?.resume()
                }
                // Cancelled while registering: the continuation is already resumed, so the
                // registration would only linger until its deadline.
                if pending.withLock({ p -> Bool in p.token = token; return p.cancelled }) { cancel(token) }
            }
        } onCancel: {
            let (token, continuation) = pending.withLock { p -> (Token?, CheckedContinuation<Void, any Error>?) in
                p.cancelled = true
                defer { p.continuation = nil }
                return (p.token, p.continuation)
            }
            if let token { cancel(token) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// How many entries the heap holds, cancelled ones included (for tests).
    var heapCount: Int { state.withLock { $0.heap.count } }

    // MARK: The thread

    private func loop() {
        while true {
            // Blocks until the armed deadline passes (or forever while disarmed; arming a new
            // deadline from another thread wakes this read when that deadline passes).
            let result = docket_timer_wait(fd)
            if result < 0 {
                // Never seen; if the descriptor ever fails, poll every millisecond rather than
                // leave sleepers hanging.
                usleep(1000)
            }
            // The clock was stepped: every sleeper wakes now (sleeps may end early; callers
            // look at the time and sleep again), so a step back is seen at once.
            var due: [@Sendable () -> Void] = []
            state.withLock { s in
                let stepped = result == 1 || s.stepPending
                s.stepPending = false
                let now = Self.realtimeNow()
                s.armed = nil
                while let top = s.heap.min, stepped || top.deadline <= now {
                    _ = s.heap.popMin()
                    if let callback = s.callbacks.removeValue(forKey: top.id) { due.append(callback) }
                }
                arm(&s)
            }
            for callback in due { callback() }
        }
    }

    /// Points the timerfd at the earliest registration, dropping cancelled ones off the top.
    private func arm(_ s: inout State) {
        while let top = s.heap.min, s.callbacks[top.id] == nil { _ = s.heap.popMin() }
        // A wake for a step is armed already: keep it (the loop re-arms once woken).
        guard !s.stepPending, let next = s.heap.min?.deadline, next != s.armed else { return }
        switch docket_timer_arm(fd, next) {
        case 0:
            s.armed = next
        case 1:
            // The clock was stepped and the waiting read will not say so: wake it now (a
            // deadline in the past) and let it wake everyone, as for a step it sees.
            s.stepPending = true
            s.armed = docket_timer_arm(fd, 1) >= 0 ? 1 : nil
        default:
            break
        }
    }

    /// Cancelled registrations stay in the heap until they surface; rebuild it when they are
    /// most of it, so frequent cancel-and-rearm (the timer loop does it on every wake-up
    /// signal) cannot grow it without bound.
    private func compactIfStale(_ s: inout State) {
        guard s.heap.count > 64, s.heap.count > 2 * s.callbacks.count else { return }
        var fresh = BinaryHeap<Due>()
        for d in s.heap.elements where s.callbacks[d.id] != nil { fresh.push(d) }
        s.heap = fresh
    }
}
