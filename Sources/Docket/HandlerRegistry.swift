import Synchronization

/// A registered handler with its payload type erased: bytes in, encoded output out.
struct AnyHandler: Sendable {
    var run: @Sendable (JobContext, [UInt8]) async throws -> [UInt8]?
    /// Set for grouped handlers (`registerGrouped`), which take every task of a group in one
    /// call; `run` is then unused.
    var group: GroupHandler?
}

/// A grouped handler, type-erased: the members' contexts and payloads in, one outcome per
/// member out (a payload that does not decode fails its member alone).
struct GroupHandler: Sendable {
    var maxGroup: Int
    var run: @Sendable ([JobContext], [[UInt8]]) async -> [Result<[UInt8]?, any Error>]
}

/// Thrown inside the engine when a payload does not decode: the task fails permanently.
struct PayloadDecodingFailure: Error, CustomStringConvertible {
    var name: String
    var underlying: String
    var description: String { "the payload does not decode as the type registered for \"\(name)\": \(underlying)" }
}

/// Name → handler, readable from any thread (registration does not need the actor).
final class HandlerRegistry: Sendable {
    private let handlers = Mutex<[String: AnyHandler]>([:])
    private let cancellations = Mutex<[String: CancellationSpec]>([:])

    func set(_ name: String, _ handler: AnyHandler) { handlers.withLock { $0[name] = handler } }
    func get(_ name: String) -> AnyHandler? { handlers.withLock { $0[name] } }
    func contains(_ name: String) -> Bool { handlers.withLock { $0[name] != nil } }
    var names: [String] { handlers.withLock { Array($0.keys) } }

    func setCancellation(for name: String, _ spec: CancellationSpec) { cancellations.withLock { $0[name] = spec } }
    func cancellation(for name: String) -> CancellationSpec? { cancellations.withLock { $0[name] } }
    var hasCancellations: Bool { cancellations.withLock { !$0.isEmpty } }
}

/// What runs when a task of some handler is cancelled: a task for `handler` with the cancelled
/// task's payload, retried per its own settings.
struct CancellationSpec: Sendable {
    var handler: String
    var maxAttempts: Int
    var retry: RetryPolicy
}
