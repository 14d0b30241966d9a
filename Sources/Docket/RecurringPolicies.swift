/// What happens to occurrences of a recurring schedule that were missed, because the process
/// was down or every worker was busy for longer than the grace period.
public enum MisfirePolicy: String, Sendable, Hashable, Codable {
    /// Run once for all the missed occurrences (the latest one), skip the rest. The default.
    case fireOnce
    /// Run every missed occurrence (at most `DocketConfiguration.maxCatchUp`; beyond that they
    /// are skipped and reported).
    case fireAll
    /// Skip them all; wait for the next occurrence.
    case skip

    var code: UInt8 { self == .fireOnce ? 0 : self == .fireAll ? 1 : 2 }
    init?(code: UInt8) {
        switch code {
        case 0: self = .fireOnce
        case 1: self = .fireAll
        case 2: self = .skip
        default: return nil
        }
    }
}

/// What happens when an occurrence is due while the previous one has not finished.
public enum OverlapPolicy: String, Sendable, Hashable, Codable {
    /// Skip the new occurrence (reported as a misfire).
    case skip
    /// Create it, but run it only after the previous one finishes. The default. (The
    /// occurrences share the resource key `schedule:<schedule id>`, visible in `TaskInfo.key`
    /// and usable in a `TaskFilter`; task keys starting with `schedule:` are reserved for it.)
    case queue
    /// Run them side by side.
    case allow

    var code: UInt8 { self == .skip ? 0 : self == .queue ? 1 : 2 }
    init?(code: UInt8) {
        switch code {
        case 0: self = .skip
        case 1: self = .queue
        case 2: self = .allow
        default: return nil
        }
    }
}

/// Whether a recurring schedule creates occurrences.
public enum ScheduleStatus: String, Sendable, Hashable, Codable {
    /// Creating occurrences.
    case active
    /// Held; resuming continues from the next fire after the resume (missed ones are skipped).
    case paused
    /// Ended by `cancelSchedule`, or a schedule with no more fire times.
    case finished

    var code: UInt8 { self == .active ? 0 : self == .paused ? 1 : 2 }
    init?(code: UInt8) {
        switch code {
        case 0: self = .active
        case 1: self = .paused
        case 2: self = .finished
        default: return nil
        }
    }
}
