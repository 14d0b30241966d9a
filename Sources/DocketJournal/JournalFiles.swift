/// The names of the files in a journal directory:
///
/// ```
/// LOCK                       flock'ed while a Journal is open
/// wal-<segNo:016x>.log       segments
/// snap-<lastSeq:016x>.snap   snapshots
/// *.tmp                      unfinished files, removed on open
/// *.broken                   backups of damaged data, never read
/// archive/                   sealed segments kept by `Retention.archive`
/// ```
enum JournalFiles {
    static let lockName = "LOCK"
    static let archiveName = "archive"

    static func segmentName(_ number: UInt64) -> String { "wal-" + hex16(number) + ".log" }
    static func snapshotName(_ lastSequence: UInt64) -> String { "snap-" + hex16(lastSequence) + ".snap" }

    static func segmentNumber(_ name: String) -> UInt64? { parse(name, prefix: "wal-", suffix: ".log") }
    static func snapshotSequence(_ name: String) -> UInt64? { parse(name, prefix: "snap-", suffix: ".snap") }

    static func hex16(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    private static func parse(_ name: String, prefix: String, suffix: String) -> UInt64? {
        guard name.count == prefix.count + 16 + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return UInt64(digits, radix: 16)
    }

    /// A name for a backup of `name` (`name` + `suffix` + `.broken`) that is not in `existing`:
    /// numbered (`.1.broken`, `.2.broken`, …) when taken, so no backup ever replaces another.
    static func backupName(_ name: String, suffix: String = "", existing: Set<String>) -> String {
        uniqueName(name + suffix, extension: ".broken", existing: existing)
    }

    /// `base` + `ext`, or `base` + `.k` + `ext` for the first k ≥ 1 not in `existing`.
    static func uniqueName(_ base: String, extension ext: String, existing: Set<String>) -> String {
        var candidate = base + ext
        var k = 1
        while existing.contains(candidate) {
            candidate = base + ".\(k)" + ext
            k += 1
        }
        return candidate
    }

    /// What a directory holds, by kind.
    struct Listing {
        var segments: [(number: UInt64, name: String)] = []
        var snapshots: [(sequence: UInt64, name: String)] = []
        var temporary: [String] = []
    }

    static func classify(_ names: [String]) -> Listing {
        var listing = Listing()
        for name in names {
            if name.hasSuffix(".tmp") {
                listing.temporary.append(name)
            } else if let n = segmentNumber(name) {
                listing.segments.append((n, name))
            } else if let s = snapshotSequence(name) {
                listing.snapshots.append((s, name))
            }
        }
        listing.segments.sort { $0.number < $1.number }
        listing.snapshots.sort { $0.sequence > $1.sequence }
        listing.temporary.sort()
        return listing
    }
}
