import Foundation
import Synchronization

/// Wakes the timer loop: either its deadline passes on the engine clock or someone signals
/// (an earlier task arrived, a worker freed up, shutdown). A signal that comes while the loop
/// is busy is kept, so none is lost.
final class Wakeup: Sendable {
    private struct State {
        var signaled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.signaled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled or when `deadline` passes on `clock` (nil: only a signal).
    func wait(until deadline: Date?, clock: any DocketClock) async {
        if state.withLock({ s in defer { s.signaled = false }; return s.signaled }) { return }
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask {
                    try? await clock.sleep(until: deadline)
                    if !Task.isCancelled { self.signal() }
                }
            }
            group.addTask { await self.waitForSignal() }
            // Whichever ends first (a deadline or a signal) ends the wait; cancellation of the
            // loop ends both children.
            _ = await group.next()
            group.cancelAll()
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
