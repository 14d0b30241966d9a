import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named places where a crash test can make the process die (`raise(SIGKILL)`), as etcd's
/// failpoints do. Armed only by the environment variable `DOCKET_JOURNAL_CRASH_AT=<name>:<n>`
/// (die at the n-th time `<name>` is reached); unarmed it costs one predictable branch.
enum CrashPoint: String, CaseIterable, Sendable {
    case beforeWrite = "before-write"
    /// Writes the first half of a group, then dies.
    case midRecord = "mid-record"
    case afterWrite = "after-write"
    case afterSync = "after-sync"
    case rotateAfterTemp = "rotate-after-temp"
    case rotateAfterSeal = "rotate-after-seal"
    case rotateAfterRename = "rotate-after-rename"
    case snapshotAfterTemp = "snapshot-after-temp"
    case snapshotAfterRename = "snapshot-after-rename"
    case retentionMidway = "retention-midway"
}

final class CrashPoints: Sendable {
    let armed: CrashPoint?
    let target: Int
    private let hits = Atomic<Int>(0)

    static let environmentVariable = "DOCKET_JOURNAL_CRASH_AT"
    static let fromEnvironment = CrashPoints(specification: getenv(environmentVariable).map { String(cString: $0) })
    static let none = CrashPoints(specification: nil)

    init(specification: String?) {
        guard let spec = specification, !spec.isEmpty else {
            armed = nil
            target = 0
            return
        }
        // `split` drops empty pieces, so ":" yields none: never index blindly.
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        armed = parts.first.flatMap { CrashPoint(rawValue: $0) }
        target = parts.count > 1 ? max(1, Int(parts[1]) ?? 1) : 1
    }

    /// Dies here when this is the armed point and its count is reached.
    @inline(__always)
    func hit(_ point: CrashPoint) {
        guard let armed, armed == point else { return }
        if hits.add(1, ordering: .relaxed).newValue >= target {
            raise(SIGKILL)
        }
    }

    /// Counts a visit to `point` and says whether the caller should now die there (after
    /// doing its half of the work, as for the mid-record write).
    func reached(_ point: CrashPoint) -> Bool {
        guard let armed, armed == point else { return false }
        return hits.add(1, ordering: .relaxed).newValue >= target
    }

    func die() { raise(SIGKILL) }
}
