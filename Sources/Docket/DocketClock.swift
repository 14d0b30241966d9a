import Foundation

/// The source of time for a `Docket`: what time it is, and a way to sleep until a time.
///
/// The engine never reads the system clock directly, so tests run on `ManualClock` and
/// advance time instantly. Implement it to drive Docket from a clock of your own.
public protocol DocketClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Suspends until `deadline` has passed (by this clock) or the calling task is cancelled,
    /// in which case it throws `CancellationError`.
    func sleep(until deadline: Date) async throws
}

/// The system's wall clock. On Linux it sleeps on a timer thread woken by a `timerfd` (no
/// timer slack, ~25 µs late on the dev VM) and resumes the sleeper from there; elsewhere it
/// uses `Task.sleep`.
public struct SystemClock: DocketClock {
    /// Creates the system clock.
    public init() {}

    /// The current system time.
    public func now() -> Date { Date() }

    /// Sleeps until `deadline` (returns at once for a past deadline). It may return earlier
    /// (after a minute at most on Linux, or at once when the clock is stepped; after a second
    /// elsewhere): callers check the time and sleep again.
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return }
        if let timer = PreciseTimer.shared {
            try await timer.sleep(until: PreciseTimer.deadline(for: deadline))
            return
        }
        // `Task.sleep` measures an interval, not the wall clock: a wall-clock step or a machine
        // asleep meanwhile would leave the caller late by up to the whole interval. Sleeping
        // at most a second and letting the caller look at the time again bounds that.
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1) * 1e9))
    }
}
