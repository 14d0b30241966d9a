import Foundation
import Synchronization
import Testing
@testable import Docket

/// The timer thread behind `SystemClock`: callbacks in deadline order, cancelled ones never,
/// and sleeps that end on cancellation. Only order and outcome are checked, never how late a
/// callback came (that is the benchmark's job).
@Suite struct PreciseTimerTests {
    @Test func callbacksRunInDeadlineOrderAndCancelledOnesNever() async throws {
        let timer = try #require(PreciseTimer.shared)
        let fired = Mutex<[String]>([])
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let now = PreciseTimer.realtimeNow()
        func note(_ name: String) -> @Sendable () -> Void {
            { fired.withLock { $0.append(name) }; continuation.yield() }
        }
        // Far enough apart that a loaded machine registers all of them first: the one to
        // cancel an hour out (cancelling cannot lose a race), the others 100 ms apart.
        let cancelled = timer.schedule(at: now + 3_600_000_000_000, note("cancelled"))
        #expect(timer.cancel(cancelled))
        let late = timer.schedule(at: now + 200_000_000, note("late"))
        let early = timer.schedule(at: now + 100_000_000, note("early"))
        _ = timer.schedule(at: now - 1_000_000_000, note("past"))
        var count = 0
        for await _ in stream {
            count += 1
            if count == 3 { break }
        }
        #expect(fired.withLock { $0 } == ["past", "early", "late"])
        // Both ran: nothing left to cancel.
        #expect(!timer.cancel(late))
        #expect(!timer.cancel(early))
    }

    /// Deadlines stay wall-clock times (the timerfd runs on CLOCK_REALTIME), so a clock step
    /// or a suspend cannot make a due task wait out the rest of a monotonic interval; capped a
    /// minute ahead (a step the timer did not see is seen within it), and never in the past.
    @Test func deadlinesAreWallClockTimes() {
        let inHalfAMinute = Date().addingTimeInterval(30)
        let deadline = PreciseTimer.deadline(for: inHalfAMinute)
        #expect(abs(Double(deadline) / 1e9 - inHalfAMinute.timeIntervalSince1970) < 1, "\(deadline)")
        let farAhead = PreciseTimer.deadline(for: Date().addingTimeInterval(10 * 86_400))
        #expect(abs(Double(farAhead) / 1e9 - Date().addingTimeInterval(60).timeIntervalSince1970) < 1)
        #expect(PreciseTimer.deadline(for: .distantPast) >= PreciseTimer.realtimeNow() - 1_000_000_000)
    }

    @Test func aCancelledSleepThrowsAndAPastDeadlineReturns() async throws {
        let timer = try #require(PreciseTimer.shared)
        try await timer.sleep(until: PreciseTimer.realtimeNow() - 1)
        let sleeper = Task { try await timer.sleep(until: PreciseTimer.realtimeNow() + 3_600_000_000_000) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        // Cancelled before it even started waiting: still throws.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await timer.sleep(until: PreciseTimer.realtimeNow() + 3_600_000_000_000)
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }

    @Test func manyCancelledRegistrationsDoNotPileUp() throws {
        let timer = try #require(PreciseTimer.shared)
        let far = PreciseTimer.realtimeNow() + 3_600_000_000_000
        let before = timer.heapCount
        for _ in 0..<10_000 { timer.cancel(timer.schedule(at: far) {}) }
        // Rebuilt whenever stale entries are most of the heap: bounded, not 10,000 more.
        #expect(timer.heapCount < before + 200)
    }
}
