import Docket
import DocketJournal
import Foundation

extension UsageError {
    /// A directory to read: it must exist (a typo must not read as an empty journal).
    static func checkExistingDirectory(_ path: String) throws(UsageError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("'\(path)' does not exist")
        }
        guard isDirectory.boolValue else { throw UsageError("'\(path)' is not a directory") }
    }

    /// A directory for a writing command: absent (it is created), empty, or holding a journal.
    /// Opening a journal removes `*.tmp` files and writes `LOCK`: a directory holding anything
    /// else (`demo --dir ~/Downloads`) is refused rather than taken over.
    static func checkJournalDirectoryOrAbsent(_ path: String) throws(UsageError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            // Created with its last component only: a typo higher up is not a tree to make.
            let parent = (path as NSString).deletingLastPathComponent
            var parentIsDirectory: ObjCBool = false
            guard parent.isEmpty || (FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsDirectory) && parentIsDirectory.boolValue) else {
                throw UsageError("the parent of '\(path)' is not an existing directory; create it first")
            }
            return
        }
        guard isDirectory.boolValue else { throw UsageError("'\(path)' is not a directory") }
        guard holdsJournalOrNothing(path) else {
            throw UsageError("'\(path)' is not empty and holds no journal (opening one there would remove its *.tmp files); use a new or empty directory")
        }
    }

    /// A directory for a reading command: existing, and empty or holding a journal. One that
    /// holds only other files (`inspect /etc`, a typo) is refused rather than shown as an
    /// empty, undamaged journal.
    static func checkJournalDirectory(_ path: String) throws(UsageError) {
        try checkExistingDirectory(path)
        guard holdsJournalOrNothing(path) else {
            throw UsageError("'\(path)' holds no journal (no wal-*.log, snap-*.snap or LOCK file); give the directory a Docket or journal writes to")
        }
    }

    /// Whether `path` (a directory) is empty or holds a journal's files. Hidden files
    /// (`.DS_Store`, `.gitkeep`) do not make a directory someone else's.
    private static func holdsJournalOrNothing(_ path: String) -> Bool {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }
        return names.isEmpty || names.contains { name in
            name == "LOCK" || (name.hasPrefix("wal-") && name.hasSuffix(".log")) || (name.hasPrefix("snap-") && name.hasSuffix(".snap"))
        }
    }

    /// Refuses a directory holding a Docket's journal (its first snapshot or record is the
    /// engine's): `journal stress` would add records the engine cannot read, for good.
    static func checkNotADocketJournal(_ path: String) throws(UsageError) {
        struct Seen: Error {}
        var engine = false
        do {
            _ = try JournalReader.read(directory: path, mode: .tolerateTornTail, snapshot: { s in
                engine = EngineRecords.isSnapshot(s.bytes)
                throw Seen()
            }, record: { r in
                engine = r.tag == EngineRecords.tag
                throw Seen()
            })
        } catch {}
        if engine { throw UsageError("'\(path)' holds a Docket's journal; journal stress would add records the engine cannot read (use a scratch directory)") }
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
