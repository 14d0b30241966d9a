import DocketJournal

/// Rebuilds engine state from a journal: the snapshot and record handlers both readers use, and
/// the mapping of what can go wrong to `DocketError`.
enum StateLoader {
    /// Runs `read` (which opens or reads the journal) with handlers that rebuild the state, and
    /// returns the state with `read`'s result.
    static func replay<R>(reserving estimate: Int = 0,
                          _ read: (_ snapshot: (JournalSnapshot) throws -> Void, _ record: (JournalRecord) throws -> Void) throws -> R)
        throws(DocketError) -> (EngineState, R) {
        var state = EngineState()
        state.maintainsTimers = false
        state.tasks.reserveCapacity(estimate)
        do {
            let result = try read({ snapshot in
                state = try EngineCodec.decodeSnapshot(snapshot.bytes, reserving: estimate)
                state.maintainsTimers = false
            }, { record in
                guard record.tag == EngineCodec.recordTag else {
                    throw BinaryReader.Malformed(reason: "record \(record.sequence) has tag \(record.tag), not an engine record (\(EngineCodec.recordTag))", offset: 0)
                }
                state.apply(try EngineCodec.decodeMutation(record.payload))
            })
            state.maintainsTimers = true
            state.rebuildDerived()
            return (state, result)
        } catch let e as JournalError {
            throw .journal(e)
        } catch let e as BinaryReader.Malformed {
            throw .unreadableState(e.description)
        } catch {
            throw .unreadableState("\(error)")
        }
    }

    /// Reads the engine state stored in a journal directory without opening it for writing: no
    /// lock, no repair, no recovery of interrupted tasks. For inspection and tests.
    static func load(directory: String, mode: RecoveryMode = .tolerateTornTail) throws(DocketError) -> (EngineState, RecoveryReport) {
        try replay { snapshot, record in
            try JournalReader.read(directory: directory, mode: mode, snapshot: snapshot, record: record)
        }
    }
}
