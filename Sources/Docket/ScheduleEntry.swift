import DocketSchedules

/// A recurring schedule as the engine stores it.
struct ScheduleEntry: Sendable, Equatable {
    var id: String
    var schedule: Schedule
    /// What each occurrence runs: the template's id and run time are replaced per occurrence.
    var name: String
    var payload: [UInt8]
    var queue: String
    var priority: Int
    var maxAttempts: Int
    var retry: RetryPolicy
    var timeout: Micros
    var misfire: MisfirePolicy
    /// An occurrence later than this is a misfire.
    var grace: Micros
    var overlap: OverlapPolicy
    /// The serialization key each occurrence gets (`ScheduleOptions.key`).
    var key: String?
    var status: ScheduleStatus
    /// The nominal time of the next occurrence; nil while a fixed-delay schedule waits for its
    /// current occurrence to finish, or when there are no more.
    var nextFire: Micros?
    var lastFire: Micros?
    /// The most recent occurrence created.
    var lastTaskID: String?
    var createdAt: Micros

    /// The key of an occurrence: the schedule's own, else the one through which occurrences of
    /// an overlap `.queue` schedule wait for each other.
    var occurrenceKey: String? {
        key ?? (overlap == .queue ? Docket.scheduleKeyPrefix + id : nil)
    }

    var isFixedDelay: Bool {
        if case .interval(let i) = schedule, case .fixedDelay = i.mode { return true }
        return false
    }
}
