import Synchronization

/// Fans events out to every `events()` stream. Each stream buffers the newest 65,536 events;
/// a subscriber that falls further behind loses the oldest (the engine never blocks on it).
final class EventHub: Sendable {
    private struct State {
        var subscribers: [UInt64: AsyncStream<DocketEvent>.Continuation] = [:]
        var nextID: UInt64 = 0
        /// After `finish`: a stream asked for later ends at once instead of never.
        var finished = false
    }

    private let state = Mutex(State())

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    func subscribe() -> AsyncStream<DocketEvent> {
        let (stream, continuation) = AsyncStream<DocketEvent>.makeStream(bufferingPolicy: .bufferingNewest(65_536))
        let id = state.withLock { s -> UInt64? in
            guard !s.finished else { return nil }
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: DocketEvent) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for s in subscribers { s.yield(event) }
    }

    func finish() {
        let subscribers = state.withLock { s -> [AsyncStream<DocketEvent>.Continuation] in
            defer { s.subscribers = [:]; s.finished = true }
            return Array(s.subscribers.values)
        }
        for s in subscribers { s.finish() }
    }
}
