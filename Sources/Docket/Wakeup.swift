import Foundation
import Synchronization

/// Wakes the timer loop: either its deadline passes on the engine clock or someone signals
/// (an earlier task arrived, a worker freed up, shutdown). A signal that comes while the loop
/// is busy is kept, so none is lost.
final class Wakeup: Sendable {
    private struct State {
        var signaled = false
        /// The loop, waiting without a deadline.
        var waiter: CheckedContinuation<Void, Never>?
        /// The loop's sleep until a deadline; a signal cancels it.
        var sleeper: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Whether the loop is parked in `wait` with no signal pending (for tests that wait for
    /// the engine to settle).
    var isParked: Bool { state.withLock { ($0.waiter != nil || $0.sleeper != nil) && !$0.signaled } }

    func signal() {
        let (waiter, sleeper) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Task<Void, Never>?) in
            if s.waiter == nil && s.sleeper == nil {
                s.signaled = true
                return (nil, nil)
            }
            defer {
                s.waiter = nil
                s.sleeper = nil
            }
            return (s.waiter, s.sleeper)
        }
        waiter?.resume()
        sleeper?.cancel()
    }

    /// Returns when signalled, when `deadline` passes on `clock` (nil: only a signal), or when
    /// the calling task is cancelled.
    func wait(until deadline: Date?, clock: any DocketClock) async {
        guard let deadline else {
            await waitForSignal()
            return
        }
        if clock is SystemClock, let timer = PreciseTimer.shared {
            // The timer thread signals directly: no sleeping task to create, cancel and hop
            // through. A timer that fires after a real signal ended the wait leaves one spare
            // signal behind, which costs the loop one extra pass, nothing more.
            let token = timer.schedule(at: PreciseTimer.deadline(for: deadline)) { [self] in signal() }
            await waitForSignal()
            timer.cancel(token)
            return
        }
        // One task per wait: it sleeps, and a signal or the caller's cancellation cancels it.
        let sleeper = Task<Void, Never> { _ = try? await clock.sleep(until: deadline) }
        let signaledAlready = state.withLock { s -> Bool in
            if s.signaled {
                s.signaled = false
                return true
            }
            s.sleeper = sleeper
            return false
        }
        if signaledAlready { sleeper.cancel() }
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        state.withLock { s in
            if s.sleeper == sleeper { s.sleeper = nil }
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.signaled || Task.isCancelled {
                        s.signaled = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
