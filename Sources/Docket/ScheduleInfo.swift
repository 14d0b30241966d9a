import DocketSchedules
import Foundation

/// A recurring schedule as `Docket` reports it.
public struct ScheduleInfo: Sendable, Equatable {
    /// The schedule's id.
    public var id: String
    /// When it fires.
    public var schedule: Schedule
    /// The handler each occurrence runs.
    public var name: String
    /// The encoded payload each occurrence gets.
    public var payload: [UInt8]
    /// The queue occurrences run on.
    public var queue: String
    /// Whether it creates occurrences.
    public var status: ScheduleStatus
    /// The nominal time of the next occurrence.
    public var nextFire: Date?
    /// The nominal time of the last occurrence created.
    public var lastFire: Date?
    /// The id of the last occurrence created.
    public var lastTaskID: String?
    /// What happens to missed occurrences.
    public var misfire: MisfirePolicy
    /// How late an occurrence may start before it counts as missed.
    public var grace: Duration
    /// What happens when an occurrence is due while the previous one runs.
    public var overlap: OverlapPolicy
    /// The serialization key of its occurrences, if it has one (`ScheduleOptions.key`).
    public var key: String?

    init(_ s: ScheduleEntry) {
        id = s.id
        schedule = s.schedule
        name = s.name
        payload = s.payload
        queue = s.queue
        status = s.status
        nextFire = s.nextFire.map(Time.date)
        lastFire = s.lastFire.map(Time.date)
        lastTaskID = s.lastTaskID
        misfire = s.misfire
        grace = Time.duration(s.grace)
        overlap = s.overlap
        key = s.key
    }
}
