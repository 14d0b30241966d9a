import Synchronization

/// Results of finished handlers, handed from their tasks to the timer loop without a hop onto
/// the actor each: the loop takes them all in one turn and journals them in one write.
final class Completions: Sendable {
    struct Item: Sendable {
        var id: String
        var lease: UInt64
        var result: Result<[UInt8]?, any Error>
        /// A grouped call that was cancelled before it ended (for another member): only then
        /// is a member's failure the cancellation's doing, not its own.
        var callCancelled = false
    }

    private let items = Mutex<[Item]>([])

    func add(_ item: Item) { items.withLock { $0.append(item) } }

    /// How many results wait (for tests).
    var count: Int { items.withLock { $0.count } }

    func takeAll() -> [Item] {
        items.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
