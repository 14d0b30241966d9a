/// Counters of a journal's I/O thread since it was opened (`Journal.metrics`).
///
/// `appended records / syncs` is the average group-commit size under `.always`.
public struct JournalMetrics: Sendable, Equatable {
    /// `write` calls that put groups of records into segments.
    public var writes: Int
    /// `fdatasync` calls on segments.
    public var syncs: Int
    /// Segment rotations.
    public var rotations: Int
    /// The highest sequence durable under the configured durability.
    public var durableSequence: UInt64
    /// The highest sequence submitted.
    public var lastSequence: UInt64
    /// Median time of the last 1,024 `fdatasync` calls (nil before the first): what an
    /// `.always` append waits for at least, and the first thing to look at when enqueues slow
    /// down.
    public var syncLatencyP50: Duration?
    /// 99th percentile of the same.
    public var syncLatencyP99: Duration?

    /// The quantiles of recent sync times in nanoseconds.
    static func quantiles(_ samples: [UInt64]) -> (p50: Duration?, p99: Duration?) {
        guard !samples.isEmpty else { return (nil, nil) }
        let sorted = samples.sorted()
        func at(_ q: Double) -> Duration { .nanoseconds(Int64(clamping: sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q + 0.5))])) }
        return (at(0.5), at(0.99))
    }
}
