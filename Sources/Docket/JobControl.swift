import Foundation

/// Thrown by a handler to end its attempt with an explicit outcome instead of success or an
/// ordinary failure.
///
/// ```swift
/// docket.register("sync", payload: Account.self) { account, job in
///     guard await api.isUp() else { throw JobControl.snooze(until: job.now.addingTimeInterval(60)) }
///     guard account.isValid else { throw JobControl.fail(permanently: "account \(account.id) is closed") }
///     try await api.sync(account)
/// }
/// ```
public enum JobControl: Error, Sendable, Equatable {
    /// Counts as a failed attempt; the next attempt runs after `after` (if attempts remain).
    case retry(after: Duration)
    /// Runs again at `until` without counting this attempt.
    case snooze(until: Date)
    /// Fails the task now (dead-letter) whatever attempts remain, with this reason.
    case fail(permanently: String)
}
