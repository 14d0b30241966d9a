/// When an appended record counts as durable, i.e. when `append` returns and
/// `waitUntilDurable` resumes.
public enum Durability: Sendable, Equatable, CustomStringConvertible {
    /// After the record's group was written and `fdatasync` returned. Concurrent appends share
    /// one sync (group commit). Survives process crashes and power loss (if the device honours
    /// flushes).
    case always
    /// After the record was written to the kernel; a sync follows at least every `milliseconds`.
    /// Survives process crashes; a power loss can lose up to the interval plus one sync.
    case interval(milliseconds: Int)
    /// After the record was written to the kernel; syncs only on rotation, snapshot, `sync()` and
    /// `close()`. Survives process crashes; a power loss can lose everything since the last sync.
    case none

    /// The form the CLI takes: `always`, `interval:MS` or `none`.
    public var description: String {
        switch self {
        case .always: return "always"
        case .interval(let ms): return "interval:\(ms)"
        case .none: return "none"
        }
    }
}

/// What `Journal.open` does with damage it finds (see `Docs/journal-format.md`).
public enum RecoveryMode: String, Sendable, Equatable {
    /// Any anomaly, even a torn tail, is an error.
    case strict
    /// A torn tail of the last segment (an interrupted write) is backed up to a `.broken` file
    /// and truncated; any other damage is an error. The default.
    case tolerateTornTail
    /// Keeps every record before the first anomaly and discards the rest (truncated bytes are
    /// backed up, later segments renamed to `.broken`); the report lists the lost sequences.
    case pointInTime
    /// Read-only (`JournalReader` only): skips damaged regions, resynchronises on the next valid
    /// record and reports every gap. `Journal.open` refuses it.
    case salvage
}

/// What happens to segments that no kept snapshot needs any more.
public enum Retention: Sendable, Equatable {
    /// Delete them.
    case delete
    /// Move them to `archive/` inside the journal directory, for audit.
    case archive
}

/// Options of a journal. The defaults suit most uses:
///
/// ```swift
/// var configuration = JournalConfiguration()
/// configuration.durability = .always
/// configuration.hashChain = true
/// ```
public struct JournalConfiguration: Sendable, Equatable {
    /// When appends are acknowledged. Default `.interval(milliseconds: 100)`.
    public var durability: Durability = .interval(milliseconds: 100)
    /// What recovery does with damage. Default `.tolerateTornTail`.
    public var recovery: RecoveryMode = .tolerateTornTail
    /// A segment is sealed and a new one started once it reaches this size (1 KiB … 4 GiB).
    /// Default 64 MiB.
    public var segmentSize: Int = 64 << 20
    /// The largest payload `append`/`submit` accept. Default 16 MiB. Reading is not limited by
    /// it: records up to the format's limit (4 GiB − 4097 bytes) written with a larger setting
    /// are still recovered.
    public var maxRecordSize: Int = 16 << 20
    /// The most bytes one group commit writes before it syncs (the first record always goes,
    /// whatever its size), so one huge batch adds little latency to small appends. Default 1 MiB.
    public var maxGroupBytes: Int = 1 << 20
    /// Chain every record to the previous one with SHA-256, so that any edit, deletion or
    /// reordering is detectable by `JournalReader.verify`. Takes effect from the next segment
    /// when changed on an existing journal. Default off.
    public var hashChain: Bool = false
    /// What to do with segments no kept snapshot needs. Default `.delete`.
    public var retention: Retention = .delete
    /// How many snapshots to keep (at least 1). Default 2, so recovery can fall back to the
    /// older one when the newest is damaged.
    public var snapshotsToKeep: Int = 2
    /// Under `.always`, fill each new segment with zeros ahead of its records (1 MiB at a time),
    /// so that appends overwrite allocated space and `fdatasync` need not commit a new file
    /// size: on ext4 a small synced write takes about 105 µs instead of 170 µs, and group commit
    /// gets correspondingly faster. Default on. (With `.interval` and `.none` syncs are rare
    /// and off the appenders' path, so the zeros would only double the bytes written: segments
    /// are not preallocated then. Large groups, such as batches, gain nothing either: the writer
    /// fills only while its writes average at most 16 KiB.)
    ///
    /// The cost: zeros after the last record then mean "not written yet", so a tail of records
    /// that a faulty device replaced with zeros is indistinguishable from space never written,
    /// where without preallocation recovery reports it as a torn tail (and `.strict` refuses
    /// it). Turn it off on copy-on-write file systems (btrfs, ZFS), where overwriting does not
    /// save the metadata commit. Takes effect from the next segment when changed on an
    /// existing journal. A zero fill stopped by a full disk only ends the filling; any other
    /// error fails the journal, after the group's records were written: as after a failed
    /// sync, those appends throw although a reopen may recover them. Segments made this way
    /// also end each group with a 32-byte marker (see `Docs/journal-format.md`).
    public var preallocate: Bool = true
    /// How far ahead `preallocate` fills (bytes); tests make it small to cross many steps.
    var preallocationStep: Int = 1 << 20

    /// Whether new segments are preallocated with these settings.
    var preallocates: Bool { preallocate && durability == .always }

    /// The default configuration.
    public init() {}

    /// A configuration with the given durability and defaults otherwise.
    public init(durability: Durability) {
        self.durability = durability
    }

    func validate() throws {
        if case .interval(let ms) = durability, !(1...86_400_000).contains(ms) {
            throw JournalError.invalidArgument("durability .interval takes 1 to 86,400,000 milliseconds (a day), not \(ms)")
        }
        guard segmentSize >= 1024 && segmentSize <= RecordFormat.maxSegmentSizeSetting else {
            throw JournalError.invalidArgument("segmentSize must be between 1024 and \(RecordFormat.maxSegmentSizeSetting) bytes, not \(segmentSize)")
        }
        guard maxRecordSize >= 1 && maxRecordSize <= RecordFormat.maxPayloadSize else {
            throw JournalError.invalidArgument("maxRecordSize must be between 1 and \(RecordFormat.maxPayloadSize), not \(maxRecordSize)")
        }
        guard maxGroupBytes >= 1 else { throw JournalError.invalidArgument("maxGroupBytes must be positive") }
        guard preallocationStep >= RecordFormat.alignment else { throw JournalError.invalidArgument("preallocationStep must be at least \(RecordFormat.alignment) bytes") }
        guard snapshotsToKeep >= 1 else { throw JournalError.invalidArgument("snapshotsToKeep must be at least 1") }
    }
}
