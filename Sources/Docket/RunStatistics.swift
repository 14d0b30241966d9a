/// Lateness of recent starts and counts of finished attempts, for `Docket.stats()`.
struct RunStatistics: Sendable {
    private var lateness: [Micros] = []
    private var next = 0
    private(set) var started = 0
    private(set) var finished = 0
    /// Finishes per second of the last minute: a ring of 60 per-second counts, each with the
    /// second it holds (a slot still holding an older second is stale).
    private var finishCounts = [Int](repeating: 0, count: 60)
    private var finishSeconds = [Int64](repeating: Int64.min, count: 60)
    private var firstFinish: Micros?
    /// Finishes since `firstFinish` (the throughput needs two; a step back starts over).
    private var finishedInWindow = 0
    static let window = 4096

    mutating func noteStart(lateness l: Micros) {
        started += 1
        if lateness.count < Self.window {
            lateness.append(max(0, l))
        } else {
            lateness[next] = max(0, l)
            next = (next + 1) % Self.window
        }
    }

    mutating func noteFinish(at now: Micros) {
        finished += 1
        finishedInWindow += 1
        if firstFinish == nil { firstFinish = now }
        let second = Self.second(now)
        let slot = Int(second % 60 + 60) % 60
        if finishSeconds[slot] != second {
            finishSeconds[slot] = second
            finishCounts[slot] = 0
        }
        finishCounts[slot] += 1
    }

    /// The clock stepped back: the per-second finish counts are of seconds that now lie
    /// ahead, and would be counted again when the clock passes them; start the minute over.
    mutating func clockSteppedBack() {
        for i in finishCounts.indices {
            finishCounts[i] = 0
            finishSeconds[i] = Int64.min
        }
        firstFinish = nil
        finishedInWindow = 0
    }

    static func second(_ t: Micros) -> Int64 { t >= 0 ? t / 1_000_000 : -((-t + 999_999) / 1_000_000) }

    /// Finished attempts per second over the last minute (or since the first finish, if that is
    /// more recent, counted over at least a second so two close finishes after a quiet spell do
    /// not read as thousands a second), as of `now`; nil before two finishes.
    func throughput(now: Micros) -> Double? {
        guard finishedInWindow >= 2, let firstFinish, firstFinish <= now else { return nil }
        let current = Self.second(now)
        var count = 0
        for i in 0..<60 where finishSeconds[i] > current - 60 && finishSeconds[i] <= current { count += finishCounts[i] }
        // The minute: the 59 whole seconds before this one and this one so far.
        let windowStart = (current - 59) * 1_000_000
        let span = Double(now - max(windowStart, firstFinish)) / 1e6
        return Double(count) / max(span, 1)
    }

    /// The p-quantile (0…1) of recent lateness, nil before any start.
    func latenessQuantile(_ p: Double) -> Micros? {
        guard !lateness.isEmpty else { return nil }
        let sorted = lateness.sorted()
        let index = Int((Double(sorted.count - 1) * p).rounded())
        return sorted[max(0, min(sorted.count - 1, index))]
    }
}
