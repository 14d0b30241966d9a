extension Array where Element == UInt8 {
    /// These bytes in a buffer of their own size, for keeping: a codec's output often has room
    /// to spare (the JSON encoder starts with 64 bytes), and a million pending tasks would each
    /// keep that room — 64 bytes a task for a payload of `{}`, a fifth of the task's memory.
    /// Copies only when more than 16 bytes are spare.
    var trimmedForStorage: [UInt8] {
        guard capacity - count > 16 else { return self }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = self.withUnsafeBufferPointer { buffer.initialize(fromContentsOf: $0) }
        }
    }
}
