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
    /// The workflow this task is a step of, if any, and its stage.
    public let workflowID: String?
    public let workflowStage: Int?
    let lease: UInt64
    let docket: Docket

    init(id: String, name: String, attempt: Int, maxAttempts: Int, queue: String, runAt: Date, scheduleID: String?,
         workflow: (workflow: String, stage: Int)? = nil, lease: UInt64, docket: Docket) {
        self.id = id
        self.name = name
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.queue = queue
        self.runAt = runAt
        self.scheduleID = scheduleID
        workflowID = workflow?.workflow
        workflowStage = workflow?.stage
        self.lease = lease
        self.docket = docket
    }

    /// For a step of a workflow (a chord's callback, say): the outputs of the tasks of the last
    /// stage that ran before this one and succeeded, in step order, decoded as `T` (tasks that
    /// returned nothing are left out). Empty outside a workflow or in its first stage.
    ///
    /// ```swift
    /// docket.register("publish", payload: Album.self) { album, context in
    ///     let sizes = try await context.previousResults(as: ImageSize.self)
    /// }
    /// ```
    public func previousResults<T: Decodable>(as type: T.Type = T.self) async throws -> [T] {
        guard let workflowID, let workflowStage else { return [] }
        let outputs = await docket.previousStageOutputs(workflowID, before: workflowStage)
        let codec = docket.configuration.codec
        return try outputs.map { try codec.decode(T.self, from: $0) }
    }

    /// The engine clock's time (use it instead of `Date()` so tests on a manual clock agree).
    public var now: Date { docket.configuration.clock.now() }

    /// Records progress (0…1) of this attempt; visible in `TaskInfo.progress`. Ignored once
    /// the attempt lost its lease.
    public func progress(_ value: Double) async {
        await docket.reportProgress(id: id, lease: lease, value: value)
    }
}
