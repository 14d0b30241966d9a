import Foundation
@testable import DocketJournal

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "journal") {
        path = NSTemporaryDirectory() + "docket-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The journal directory inside (created by the journal itself).
    var journal: String { path + "/j" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// What a journal replayed when it was opened.
struct Replayed {
    var snapshot: JournalSnapshot?
    var records: [JournalRecord] = []
    var sequences: [UInt64] { records.map(\.sequence) }
}

func openJournal(_ dir: String, _ configuration: JournalConfiguration = JournalConfiguration(),
                 io: (any JournalIO)? = nil) throws -> (Journal, Replayed) {
    var replayed = Replayed()
    let journal = try Journal.open(directory: dir, configuration: configuration, io: io ?? PosixJournalIO.shared, crash: .none,
                                   snapshot: { replayed.snapshot = $0 }, record: { replayed.records.append($0) })
    return (journal, replayed)
}

/// Reads what `Journal.open` would replay, without opening (no lock, no repair).
func readBack(_ dir: String, mode: RecoveryMode = .strict) throws -> (Replayed, RecoveryReport) {
    var replayed = Replayed()
    let report = try JournalReader.read(directory: dir, mode: mode, snapshot: { replayed.snapshot = $0 }, record: { replayed.records.append($0) })
    return (replayed, report)
}

/// Deterministic payload for sequence `i`, so tests can check contents without storing them.
func payload(_ i: Int, size: Int = 40) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0 &* 7) }
}

func segmentFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { JournalFiles.segmentNumber($0) != nil }.sorted()
}

func fileBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

func writeBytes(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// Copies a directory tree (for trying many damages on one original).
func copyDirectory(_ from: String, _ to: String) {
    try? FileManager.default.removeItem(atPath: to)
    try? FileManager.default.copyItem(atPath: from, toPath: to)
}

/// The real file system, for test wrappers that change one or two operations: they implement
/// those (calling `posix` for the real thing), and every other one goes to `PosixJournalIO`.
protocol ForwardingJournalIO: JournalIO {}

extension ForwardingJournalIO {
    var posix: PosixJournalIO { .shared }
    func open(_ path: String, _ intent: OpenIntent) throws -> Int32 { try posix.open(path, intent) }
    func close(_ fd: Int32) { posix.close(fd) }
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int { try posix.write(fd, bytes, at: offset) }
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try posix.read(fd, into: buffer, at: offset)
    }
    func size(_ fd: Int32) throws -> Int64 { try posix.size(fd) }
    func isRegularFile(_ fd: Int32) throws -> Bool { try posix.isRegularFile(fd) }
    func dataSync(_ fd: Int32) throws { try posix.dataSync(fd) }
    func fullSync(_ fd: Int32) throws { try posix.fullSync(fd) }
    func truncate(_ fd: Int32, to length: Int64) throws { try posix.truncate(fd, to: length) }
    func rename(_ from: String, _ to: String) throws { try posix.rename(from, to) }
    func unlink(_ path: String) throws { try posix.unlink(path) }
    func list(_ directory: String) throws -> [String] { try posix.list(directory) }
    func makeDirectory(_ path: String) throws -> Bool { try posix.makeDirectory(path) }
    func syncDirectory(_ path: String) throws { try posix.syncDirectory(path) }
    func lock(_ fd: Int32) throws { try posix.lock(fd) }
}
