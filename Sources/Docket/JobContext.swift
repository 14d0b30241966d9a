import Foundation

/// What a handler knows about the attempt it runs, and how it reports progress.
public struct JobContext: Sendable {
    /// The task's id.
    public let id: String
    /// The handler name.
    public let name: String
    /// This attempt's number, from 1.
    public let attempt: Int
    /// The most attempts the task gets.
    public let maxAttempts: Int
    /// The queue.
    public let queue: String
    /// When the task was due.
    public let runAt: Date
    /// The recurring schedule this task is an occurrence of, if any.
    public let scheduleID: String?
    let lease: UInt64
    let docket: Docket

    /// The engine clock's time (use it instead of `Date()` so tests on a manual clock agree).
    public var now: Date { docket.configuration.clock.now() }

    /// Records progress (0…1) of this attempt; visible in `TaskInfo.progress`. Ignored once
    /// the attempt lost its lease.
    public func progress(_ value: Double) async {
        await docket.reportProgress(id: id, lease: lease, value: value)
    }
}
