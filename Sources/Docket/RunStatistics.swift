/// Lateness of recent starts and counts of finished attempts, for `Docket.stats()`.
struct RunStatistics: Sendable {
    private var lateness: [Micros] = []
    private var next = 0
    private(set) var started = 0
    private(set) var finished = 0
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

    mutating func noteFinish() { finished += 1 }

    /// The p-quantile (0…1) of recent lateness, nil before any start.
    func latenessQuantile(_ p: Double) -> Micros? {
        guard !lateness.isEmpty else { return nil }
        let sorted = lateness.sorted()
        let index = Int((Double(sorted.count - 1) * p).rounded())
        return sorted[max(0, min(sorted.count - 1, index))]
    }
}
