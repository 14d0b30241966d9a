/// One record read back from the journal.
public struct JournalRecord: Sendable, Equatable {
    /// The record's sequence number: 1, 2, 3, … without gaps across the whole journal.
    public var sequence: UInt64
    /// When the record was appended, in Unix nanoseconds (or the timestamp the owner supplied).
    public var timestamp: UInt64
    /// The owner's small type or format tag, stored with the record.
    public var tag: UInt16
    /// The owner's bytes.
    public var payload: [UInt8]

    /// Creates a record value.
    public init(sequence: UInt64, timestamp: UInt64, tag: UInt16, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.tag = tag
        self.payload = payload
    }
}

/// A record as recovery reads it, its payload borrowed from the segment being read: valid only
/// during the call that receives it (copy whatever must outlive the call).
package struct JournalRecordView {
    package let sequence: UInt64
    package let timestamp: UInt64
    package let tag: UInt16
    package let payload: UnsafeRawBufferPointer
}

/// A snapshot read back from the journal: the owner's bytes describing its state after
/// `lastSequence`.
public struct JournalSnapshot: Sendable, Equatable {
    /// The last sequence number the snapshot includes; replay continues after it.
    public var lastSequence: UInt64
    /// The owner's bytes, exactly as handed to `Journal.writeSnapshot`.
    public var bytes: [UInt8]
    /// When the snapshot was written, Unix nanoseconds.
    public var createdAt: UInt64
}
