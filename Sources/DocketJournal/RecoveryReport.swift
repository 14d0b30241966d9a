/// What recovery found and did. Every `Journal.open` and `JournalReader` read returns one, so
/// no data is ever lost silently.
public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// The mode recovery ran in.
    public var mode: RecoveryMode
    /// The snapshot file used, if any.
    public var snapshotFile: String?
    /// The last sequence number covered by the snapshot used (0 without a snapshot).
    public var snapshotSequence: UInt64 = 0
    /// Snapshots that were skipped, each with the reason (damaged, foreign, inconsistent with the log).
    public var rejectedSnapshots: [String] = []
    /// Segment files whose records were read.
    public var segmentsRead: Int = 0
    /// Records read from the segments (including ones the snapshot already covered).
    public var recordsRead: Int = 0
    /// Records delivered after the snapshot.
    public var recordsReplayed: Int = 0
    /// The last sequence number recovered (0 for an empty journal).
    public var lastSequence: UInt64 = 0
    /// When the last recovered record was written (Unix ns), if there is one.
    public var lastTimestamp: UInt64?
    /// Bytes cut off the end of the log (a torn tail, or everything after the first anomaly in
    /// `.pointInTime`). They were backed up first; see `backupFiles`.
    public var bytesTruncated: Int = 0
    /// Files written or renamed to keep damaged data (`*.broken`).
    public var backupFiles: [String] = []
    /// Leftover temporary files removed (interrupted rotations or snapshots).
    public var removedTemporaryFiles: [String] = []
    /// Sequence ranges known to be lost (`.pointInTime`, `.salvage`). The upper bound is the
    /// highest sequence number found intact after the damage.
    public var lostSequences: [ClosedRange<UInt64>] = []
    /// The first anomaly found, if any, and whether it was a torn tail.
    public var anomaly: JournalCorruption?
    /// Every anomaly skipped over (`.salvage` reports all of them).
    public var skippedRegions: [JournalCorruption] = []
    /// True when at least one segment carries the SHA-256 chain and it verified.
    public var chainVerified: Bool = false
    /// The chain hash after the last record (hex), to keep somewhere outside the directory.
    public var chainHead: String?

    /// An empty report for `mode`.
    public init(mode: RecoveryMode) { self.mode = mode }

    /// A one-line summary for logs.
    public var description: String {
        var parts = ["mode \(mode.rawValue)"]
        if let snapshotFile { parts.append("snapshot \(snapshotFile) (through seq \(snapshotSequence))") } else { parts.append("no snapshot") }
        parts.append("\(segmentsRead) segment(s), \(recordsRead) record(s) read, \(recordsReplayed) replayed, last seq \(lastSequence)")
        if bytesTruncated > 0 { parts.append("\(bytesTruncated) byte(s) truncated") }
        if !backupFiles.isEmpty { parts.append("backups: \(backupFiles.joined(separator: ", "))") }
        if !lostSequences.isEmpty { parts.append("lost: " + lostSequences.map { "\($0.lowerBound)…\($0.upperBound)" }.joined(separator: ", ")) }
        if !rejectedSnapshots.isEmpty { parts.append("rejected snapshots: \(rejectedSnapshots.joined(separator: "; "))") }
        if let anomaly { parts.append("anomaly: \(anomaly.file)\(anomaly.offset.map { "@\($0)" } ?? ""): \(anomaly.reason)") }
        if let chainHead { parts.append("chain head \(chainHead)\(chainVerified ? " (verified)" : "")") }
        return parts.joined(separator: "; ")
    }
}
