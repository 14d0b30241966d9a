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
        let now = PreciseTimer.monotonicNow()
        func note(_ name: String) -> @Sendable () -> Void {
            { fired.withLock { $0.append(name) }; continuation.yield() }
        }
        let late = timer.schedule(at: now + 3_000_000, note("late"))
        let early = timer.schedule(at: now + 1_000_000, note("early"))
        let cancelled = timer.schedule(at: now + 2_000_000, note("cancelled"))
        _ = timer.schedule(at: now - 1_000_000_000, note("past"))
        #expect(timer.cancel(cancelled))
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

    @Test func aCancelledSleepThrowsAndAPastDeadlineReturns() async throws {
        let timer = try #require(PreciseTimer.shared)
        try await timer.sleep(until: PreciseTimer.monotonicNow() - 1)
        let sleeper = Task { try await timer.sleep(until: PreciseTimer.monotonicNow() + 3_600_000_000_000) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        // Cancelled before it even started waiting: still throws.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await timer.sleep(until: PreciseTimer.monotonicNow() + 3_600_000_000_000)
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }

    @Test func manyCancelledRegistrationsDoNotPileUp() throws {
        let timer = try #require(PreciseTimer.shared)
        let far = PreciseTimer.monotonicNow() + 3_600_000_000_000
        let before = timer.heapCount
        for _ in 0..<10_000 { timer.cancel(timer.schedule(at: far) {}) }
        // Rebuilt whenever stale entries are most of the heap: bounded, not 10,000 more.
        #expect(timer.heapCount < before + 200)
    }
}
