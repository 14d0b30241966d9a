/// Lateness of recent starts and counts of finished attempts, for `Docket.stats()`.
struct RunStatistics: Sendable {
    private var lateness: [Micros] = []
    private var next = 0
    private(set) var started = 0
    private(set) var finished = 0
    /// When the last `window` attempts finished, oldest first once full (a ring).
    private var finishTimes: [Micros] = []
    private var nextFinish = 0
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
        if finishTimes.count < Self.window {
            finishTimes.append(now)
        } else {
            finishTimes[nextFinish] = now
            nextFinish = (nextFinish + 1) % Self.window
        }
    }

    /// Finished attempts per second over the last `window` finishes (or the last minute,
    /// whichever is shorter), as of `now`; nil before two finishes.
    func throughput(now: Micros) -> Double? {
        guard finishTimes.count >= 2 else { return nil }
        let recent = finishTimes.filter { now - $0 <= 60_000_000 }
        guard let first = recent.min() else { return 0 }
        let span = Double(max(now - first, 1)) / 1e6
        // A full window is a measured span, however short (10,000 finishes a second fill it
        // in 0.41 s); fewer finishes count over at least a second, so that two close together
        // after a quiet spell do not read as thousands a second.
        return Double(recent.count) / (recent.count == Self.window ? span : max(span, 1))
    }

    /// The p-quantile (0…1) of recent lateness, nil before any start.
    func latenessQuantile(_ p: Double) -> Micros? {
        guard !lateness.isEmpty else { return nil }
        let sorted = lateness.sorted()
        let index = Int((Double(sorted.count - 1) * p).rounded())
        return sorted[max(0, min(sorted.count - 1, index))]
    }
}
