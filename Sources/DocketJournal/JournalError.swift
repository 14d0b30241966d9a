/// Errors of the journal. Each message says what happened and what the user can do about it.
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another `Journal` (in this process or another one) holds the directory's lock.
    case journalLocked(directory: String)
    /// Stored data is damaged in a way the recovery mode does not repair.
    case corrupted(JournalCorruption)
    /// A write or sync failed earlier; this journal accepts nothing more. Reopen it to recover
    /// from what is on disk (an fsync error is never retried: the kernel may have dropped the data).
    case failed(reason: String)
    /// A payload is larger than `JournalConfiguration.maxRecordSize`.
    case recordTooLarge(size: Int, limit: Int)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The journal was closed.
    case closed
    /// An argument or configuration value is not acceptable; the message says which and why.
    case invalidArgument(String)

    /// A file the read had listed was gone when it was opened (ENOENT): a live journal's
    /// retention removed it meanwhile, and reading again finds the files that replaced it.
    package var isVanishedFile: Bool {
        if case .io(_, _, let errno) = self { return errno == ENOENT }
        return false
    }

    /// The message for the user: what happened and what to do.
    public var description: String {
        switch self {
        case .journalLocked(let dir):
            return "journal \(dir) is locked by another open journal (in this or another process); close it or wait for that process to exit"
        case .corrupted(let c):
            return c.description
        case .failed(let reason):
            return "the journal is in a failed state after an I/O error (\(reason)); no further appends are accepted: reopen it to recover from disk"
        case .recordTooLarge(let size, let limit):
            return "record of \(size) bytes exceeds the limit of \(limit) bytes (JournalConfiguration.maxRecordSize)"
        case .io(let op, let path, let code):
            return "\(op) \(path) failed: \(errnoDescription(code)) (errno \(code))"
        case .closed:
            return "the journal is closed"
        case .invalidArgument(let message):
            return message
        }
    }
}

/// Where and why a journal's stored data is damaged.
public struct JournalCorruption: Sendable, Equatable, CustomStringConvertible {
    /// The file name inside the journal directory.
    public var file: String
    /// The byte offset of the damage inside `file`, when there is one.
    public var offset: Int?
    /// What is wrong.
    public var reason: String
    /// True when the damage looks like an interrupted write at the end of the last segment
    /// (repairable by `.tolerateTornTail`); false for damage in the middle of the log.
    public var isTornTail: Bool

    /// Creates a description of damage.
    public init(file: String, offset: Int?, reason: String, isTornTail: Bool) {
        self.file = file
        self.offset = offset
        self.reason = reason
        self.isTornTail = isTornTail
    }

    /// Where, what, and which recovery mode would handle it.
    public var description: String {
        let at = offset.map { " at offset \($0)" } ?? ""
        let kind = isTornTail
            ? "torn tail (an interrupted write; open with .tolerateTornTail to back it up and truncate it)"
            : "corruption (open with .pointInTime to keep the records before it, or inspect with `docket journal verify`)"
        return "\(file)\(at): \(reason) — \(kind)"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
