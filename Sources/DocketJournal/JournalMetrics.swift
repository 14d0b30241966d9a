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
}
