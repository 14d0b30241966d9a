import Foundation

/// One stage of a workflow: tasks that run in parallel, how many of them must succeed, what a
/// failure does to the rest of the workflow, and when the stage runs at all.
///
/// A chain is stages of one task each; a group is one stage of several; a chord is a group
/// followed by a stage whose task reads the group's results (`JobContext.previousResults`).
/// `Workflow` builds the common shapes.
public struct WorkflowStage: Sendable {
    /// When the stage is done.
    public enum Completion: Sendable, Equatable {
        /// Every task succeeded (fails at the first task that fails for good).
        case all
        /// One task succeeded; the others are cancelled.
        case any
        /// This many tasks succeeded; the others are cancelled. Fails once it can no longer happen.
        case quorum(Int)
    }

    /// What a failed stage does to the stages after it.
    public enum OnFailure: Sendable, Equatable {
        /// The workflow fails at once; later stages never run.
        case stop
        /// Later stages run (their conditions decide which); the workflow ends failed.
        case `continue`
    }

    /// Whether the stage runs, from the outcome of the last stage that ran.
    public enum Condition: Sendable, Equatable {
        case always
        case ifPreviousSucceeded
        /// A compensating stage: runs only after a failure (with `.continue` on that stage).
        case ifPreviousFailed
    }

    /// The tasks. Their options' `id`, `runAt` and `delay` are ignored: a step's id is
    /// `<workflow id>/<stage>/<step>` and it is due when its stage starts.
    public var tasks: [NewTask]
    public var completion: Completion
    public var onFailure: OnFailure
    public var condition: Condition
    /// How long the stage may take from its start: past it, the stage fails and its unfinished
    /// tasks are cancelled. Nil: no limit (each task still has its own timeout).
    public var timeout: Duration?

    /// A stage of `tasks`.
    public init(_ tasks: [NewTask], completion: Completion = .all, onFailure: OnFailure = .stop, condition: Condition = .always,
                timeout: Duration? = nil) {
        self.tasks = tasks
        self.completion = completion
        self.onFailure = onFailure
        self.condition = condition
        self.timeout = timeout
    }
}

/// The common workflow shapes, as stages for `Docket.startWorkflow(_:stages:)`.
///
/// ```swift
/// // Resize three images in parallel, then publish the album with their results.
/// try await docket.startWorkflow("album-7", stages: Workflow.chord(
///     [NewTask("resize", payload: a), NewTask("resize", payload: b), NewTask("resize", payload: c)],
///     then: NewTask("publish", payload: Album(id: 7))))
/// ```
public enum Workflow {
    /// One task after another; by default the first failure stops the chain.
    public static func chain(_ tasks: [NewTask], onFailure: WorkflowStage.OnFailure = .stop) -> [WorkflowStage] {
        tasks.map { WorkflowStage([$0], onFailure: onFailure) }
    }

    /// Tasks in parallel, done per `completion`, within `timeout` if given.
    public static func group(_ tasks: [NewTask], completion: WorkflowStage.Completion = .all, timeout: Duration? = nil) -> [WorkflowStage] {
        [WorkflowStage(tasks, completion: completion, timeout: timeout)]
    }

    /// A group, then `callback`, which reads the group's outputs with `JobContext.previousResults`.
    public static func chord(_ tasks: [NewTask], completion: WorkflowStage.Completion = .all, timeout: Duration? = nil,
                             then callback: NewTask) -> [WorkflowStage] {
        [WorkflowStage(tasks, completion: completion, timeout: timeout), WorkflowStage([callback])]
    }
}

/// Where a workflow is.
public enum WorkflowStatus: String, Sendable, Equatable, CaseIterable {
    case running, succeeded, failed, cancelled

    var code: UInt8 {
        switch self {
        case .running: 0
        case .succeeded: 1
        case .failed: 2
        case .cancelled: 3
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .running
        case 1: self = .succeeded
        case 2: self = .failed
        case 3: self = .cancelled
        default: return nil
        }
    }
}

/// A workflow as seen from outside (`Docket.workflow(_:)`).
public struct WorkflowInfo: Sendable, Equatable {
    /// Its id.
    public var id: String
    public var status: WorkflowStatus
    /// The stage running now (the stage count once finished; the stage it was cancelled at).
    public var currentStage: Int
    /// Per stage: true succeeded, false failed, nil not run (yet, or skipped by its condition).
    public var stageOutcomes: [Bool?]
    /// The task ids of each stage (tasks of stages not started yet do not exist yet).
    public var taskIDs: [[String]]
    /// Finished steps over all steps of the stages that ran or will run (skipped ones count as
    /// finished): 0…1. It is 1 once the workflow has ended, whatever its status (a failed or
    /// cancelled workflow has nothing left to run); `status` and `stageOutcomes` say how it ended.
    public var progress: Double
    public var createdAt: Date
    public var finishedAt: Date?
}
