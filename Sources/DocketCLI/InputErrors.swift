import Docket
import DocketJournal
import Foundation

extension UsageError {
    /// Refuses a path that exists and is not a directory (the writing commands create a
    /// missing one).
    /// A directory to read: it must exist (a typo must not read as an empty journal).
    static func checkExistingDirectory(_ path: String) throws(UsageError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("'\(path)' does not exist")
        }
        guard isDirectory.boolValue else { throw UsageError("'\(path)' is not a directory") }
    }

    static func checkDirectoryOrAbsent(_ path: String) throws(UsageError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError("'\(path)' is not a directory")
        }
    }
}

extension ExitCode {
    /// The exit code for an error from opening or reading a directory: bad input (2) when the
    /// engine or the journal refused an argument, else a problem found (1).
    static func of(_ error: any Error) -> Int32 {
        switch error {
        case DocketError.invalidArgument, DocketError.journal(.invalidArgument), JournalError.invalidArgument: return usage
        default: return checkFailed
        }
    }
}
