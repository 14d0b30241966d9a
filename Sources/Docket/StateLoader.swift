import DocketJournal

/// Reads the engine state stored in a journal directory without opening it for writing: no
/// lock, no repair, no recovery of interrupted tasks. For inspection and tests.
enum StateLoader {
    static func load(directory: String, mode: RecoveryMode = .tolerateTornTail) throws(DocketError) -> (EngineState, RecoveryReport) {
        var state = EngineState()
        do {
            let report = try JournalReader.read(directory: directory, mode: mode, snapshot: { snapshot in
                state = try EngineCodec.decodeSnapshot(snapshot.bytes)
            }, record: { record in
                guard record.tag == EngineCodec.recordTag else {
                    throw BinaryReader.Malformed(reason: "record \(record.sequence) has tag \(record.tag), not an engine record", offset: 0)
                }
                state.apply(try EngineCodec.decodeMutation(record.payload))
            })
            state.rebuildDerived()
            return (state, report)
        } catch let e as JournalError {
            throw .journal(e)
        } catch let e as BinaryReader.Malformed {
            throw .unreadableState(e.description)
        } catch {
            throw .unreadableState("\(error)")
        }
    }
}
