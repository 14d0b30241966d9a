/// One change of engine state: the unit of the journal. Every input that is not deterministic
/// (the time, generated ids, lease ids, the jitter of a retry delay) is inside the mutation,
/// so replaying the same mutations always rebuilds the same state.
enum Mutation: Sendable, Equatable {
    /// A new task (status scheduled or paused).
    case enqueue(TaskEntry)
    /// Tasks leased to workers: each starts its next attempt under the given lease.
    case start([Lease], at: Micros)
    /// A run ended well.
    case succeed(id: String, lease: UInt64, output: [UInt8]?, at: Micros)
    /// A run failed (also: timed out, lease lost, process stopped while running). With
    /// `retryAt`, the task is scheduled again; without, it is failed for good.
    case fail(id: String, lease: UInt64, error: String, retryAt: Micros?, at: Micros)
    /// The handler asked to run again later without counting the attempt.
    case snooze(id: String, lease: UInt64, until: Micros, at: Micros)
    /// Progress of a running attempt.
    case progress(id: String, lease: UInt64, value: Double)
    /// Control: each of these names the task(s) it acts on.
    case cancel([String], at: Micros)
    /// A cancel that also creates the tasks of cancellation handlers, in the same record, so
    /// that no crash can keep the one without the other.
    case cancelWithCompensation([String], created: [TaskEntry], at: Micros)
    case pause([String], at: Micros)
    case resume([String], at: Micros)
    case reschedule([String], runAt: Micros, at: Micros)
    /// The wall clock stepped back by `by`: these scheduled or paused tasks, whose run times
    /// came from the clock, move back by as much (see `Docket+ClockSteps`).
    case shiftRunAt([String], by: Micros, at: Micros)
    /// The wall clock stepped back by `by`: these running workflows' stage deadlines (a stage's
    /// start plus its timeout) move back by as much.
    case shiftWorkflowDeadlines([String], by: Micros, at: Micros)
    case retryNow([String], at: Micros)
    case purge([String])
    /// Finished schedules removed (with `purge`, once none of their occurrences is left).
    case removeSchedules([String])
    /// A recurring schedule created or replaced.
    case upsertSchedule(ScheduleEntry)
    /// A schedule paused, resumed (with its next fire) or finished.
    case setScheduleStatus(id: String, status: ScheduleStatus, nextFire: Micros?, at: Micros)
    /// Occurrences of a schedule: the tasks created, the latest nominal time handled, the
    /// nominal times skipped (the first few, with the total count), and the schedule's next fire.
    case fire(scheduleID: String, created: [TaskEntry], lastNominal: Micros?, skipped: [Micros], skippedCount: Int, nextFire: Micros?, at: Micros)
    /// A workflow started: its first stage's tasks are created by `apply`, and so are later
    /// stages' as the tasks before them end.
    case startWorkflow(WorkflowEntry, at: Micros)
    /// A running workflow cancelled with its unfinished tasks.
    case cancelWorkflow(id: String, at: Micros)
    /// Finished workflows removed (by `purge`).
    case removeWorkflows([String])
    /// A workflow's running stage passed its timeout.
    case workflowTimedOut(id: String, stage: Int, at: Micros)

    struct Lease: Sendable, Equatable {
        var id: String
        var lease: UInt64
    }
}
