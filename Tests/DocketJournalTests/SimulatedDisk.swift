import DocketTestSupport
import Foundation
import Synchronization
@testable import DocketJournal

/// An in-memory file system behind the journal's I/O seam that remembers what was synced, so a
/// test can simulate a power loss (ALICE-style persistence model, spec T9):
/// - file data not covered by an fsync/fdatasync may be lost: a random prefix of the unsynced
///   appends survives, and the last 512-byte sector of what survives may be torn (zeros or
///   garbage), or any unsynced sector of it may read back as zeros (a size extended before the
///   data landed) — only unsynced bytes are ever damaged (sector writes are assumed atomic);
/// - directory operations (create, rename, unlink) not followed by an fsync of their directory
///   may be lost: a random prefix of them, in order, survives.
///
/// A power loss ends every process, so journals reach the disk through a `SimulatedProcess`
/// (`startProcess()`), tied to the power cycle it was started in. The disk itself acts as the
/// process that was running when it was created. After `crash`, every operation of a process
/// from before — path operations (open, rename, unlink, list, directory sync) as much as
/// descriptor operations — fails with EIO and changes nothing, so a journal still running from
/// before the crash (its I/O thread finishing a rotation, say) cannot touch the new state; a
/// journal opened after the crash must use a new process. `killProcesses` ends the processes
/// the same way but keeps the page cache (kill -9 rather than a power cut).
final class SimulatedDisk: JournalIO, @unchecked Sendable {
    // @unchecked Sendable: all mutable state lives in `state`, a Mutex.
    enum DirectoryOp {
        case link(String, Int)
        case unlink(String)
        case rename(String, String)
    }

    struct Inode {
        var data: [UInt8] = []
        var durable: [UInt8] = []
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 1
        var entries: [String: Int] = [:]
        var durableEntries: [String: Int] = [:]
        var pendingOps: [(directories: [String], op: DirectoryOp)] = []
        var directories: Set<String> = []
        var descriptors: [Int32: (inode: Int, path: String, generation: Int)] = [:]
        var nextFD: Int32 = 100
        var generation = 0
        var locked: [String: Int32] = [:]
        /// Fault injection: the next operations of this kind fail with this errno.
        var failNext: [String: [Int32]] = [:]
        /// Paths whose next `open` fails with the errno given.
        var failOpenOf: [String: Int32] = [:]
        var syncs = 0
        /// Writes at most half of what is asked (at least one byte).
        var shortWrites = false
        /// Bytes that may still be written before writes fail with ENOSPC (nil: unlimited).
        var spaceLeft: Int?
        /// Writes of at least this many bytes fail with ENOSPC (nil: none).
        var failWritesOfAtLeast: Int?
    }

    let state: Mutex<State>
    /// The power cycle the disk's own `JournalIO` operations belong to (see `SimulatedProcess`).
    let bootGeneration: Int
    /// Test hook, called before every operation but `close` (outside the disk's lock) with the
    /// calling process's power cycle, the operation's name (as in `injectFailure`) and its path
    /// (for a descriptor, the path it was opened with). It may block the calling thread, so a
    /// test can force one interleaving of a journal's threads.
    let beforeOperation: Mutex<(@Sendable (_ generation: Int, _ operation: String, _ path: String) -> Void)?> = Mutex(nil)
    /// When on, a copy of the whole state is kept after every mutating operation, so a test can
    /// crash the disk at each of those points afterwards.
    let recording: Mutex<[State]?> = Mutex(nil)

    init(copying other: State) {
        state = Mutex(other)
        bootGeneration = other.generation
    }

    /// A process started now: it lives until the next `crash`.
    func startProcess() -> SimulatedProcess {
        SimulatedProcess(disk: self, generation: state.withLock { $0.generation })
    }

    func startRecording() { recording.withLock { $0 = [state.withLock { $0 }] } }
    var recordedStates: [State] { recording.withLock { $0 ?? [] } }
    /// How many states were recorded so far (an operation counter for acknowledgements).
    var recordedCount: Int { recording.withLock { $0?.count ?? 0 } }

    private func record() {
        let snapshot = state.withLock { $0 }
        recording.withLock { if $0 != nil { $0?.append(snapshot) } }
    }

    init(directories: [String] = []) {
        state = Mutex(State())
        bootGeneration = 0
        state.withLock { s in
            s.directories.insert("/")
            for d in directories { s.directories.insert(d) }
        }
    }

    static func parentOf(_ path: String) -> String { Journal.parent(of: path) }

    /// Calls `beforeOperation`, if set.
    private func announce(_ process: Int, _ op: String, path: String? = nil, fd: Int32? = nil) {
        guard let hook = beforeOperation.withLock({ $0 }) else { return }
        let target = path ?? fd.map { fd in state.withLock { $0.descriptors[fd]?.path } ?? "fd \(fd)" } ?? ""
        hook(process, op, target)
    }

    /// Fails the operation of a process that did not survive the last crash, then an injected
    /// failure; returns the descriptor's inode and path.
    private func check(_ s: inout State, _ op: String, _ fd: Int32?, process: Int) throws -> (inode: Int, path: String)? {
        guard process == s.generation else {
            throw IOFailure(operation: op, path: "process from before power cycle \(s.generation)", errno: EIO)
        }
        if var queue = s.failNext[op], !queue.isEmpty {
            let code = queue.removeFirst()
            s.failNext[op] = queue
            throw IOFailure(operation: op, path: "sim", errno: code)
        }
        guard let fd else { return nil }
        guard let d = s.descriptors[fd], d.generation == s.generation else { throw IOFailure(operation: op, path: "fd \(fd)", errno: EIO) }
        return (d.inode, d.path)
    }

    func injectFailure(_ operation: String, errno: Int32) {
        state.withLock { $0.failNext[operation, default: []].append(errno) }
    }

    /// The next `open` of `path` fails with `errno`.
    func injectOpenFailure(of path: String, errno: Int32) {
        state.withLock { $0.failOpenOf[path] = errno }
    }

    func open(_ path: String, _ intent: OpenIntent, process: Int) throws -> Int32 {
        announce(process, "open", path: path)
        defer { record() }
        return try state.withLock { s throws in
            if let code = s.failOpenOf.removeValue(forKey: path) { throw IOFailure(operation: "open", path: path, errno: code) }
            _ = try check(&s, "open", nil, process: process)
            guard s.directories.contains(Self.parentOf(path)) else { throw IOFailure(operation: "open", path: path, errno: ENOENT) }
            var inode = s.entries[path]
            switch intent {
            case .readOnly, .readWrite:
                guard inode != nil else { throw IOFailure(operation: "open", path: path, errno: ENOENT) }
            case .createExclusive:
                guard inode == nil else { throw IOFailure(operation: "open", path: path, errno: EEXIST) }
            case .createIfMissing:
                break
            }
            if inode == nil {
                let n = s.nextInode
                s.nextInode += 1
                s.inodes[n] = Inode()
                s.entries[path] = n
                s.pendingOps.append(([Self.parentOf(path)], .link(path, n)))
                inode = n
            }
            let fd = s.nextFD
            s.nextFD += 1
            s.descriptors[fd] = (inode ?? 0, path, s.generation)
            return fd
        }
    }

    func close(_ fd: Int32, process: Int) {
        state.withLock { s in
            // A process that lost power has no descriptors left to close.
            guard process == s.generation else { return }
            s.descriptors[fd] = nil
            for (path, holder) in s.locked where holder == fd { s.locked[path] = nil }
        }
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, process: Int) throws -> Int {
        announce(process, "write", fd: fd)
        defer { record() }
        return try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "write", fd, process: process) else { return 0 }
            var bytes = bytes
            if let limit = s.failWritesOfAtLeast, bytes.count >= limit {
                throw IOFailure(operation: "write", path: "sim", errno: ENOSPC)
            }
            if s.shortWrites && bytes.count > 1 { bytes = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count / 2)]) }
            if let space = s.spaceLeft {
                if space == 0 { throw IOFailure(operation: "write", path: "sim", errno: ENOSPC) }
                if bytes.count > space { bytes = UnsafeRawBufferPointer(rebasing: bytes[..<space]) }
                s.spaceLeft = space - bytes.count
            }
            var data = s.inodes[inode]?.data ?? []
            let end = Int(offset) + bytes.count
            if data.count < end { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
            data.replaceSubrange(Int(offset)..<end, with: bytes)
            s.inodes[inode]?.data = data
            return bytes.count
        }
    }

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, process: Int) throws -> Int {
        announce(process, "read", fd: fd)
        return try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "read", fd, process: process) else { return 0 }
            let data = s.inodes[inode]?.data ?? []
            guard Int(offset) < data.count else { return 0 }
            let n = min(buffer.count, data.count - Int(offset))
            data.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[Int(offset)..<(Int(offset) + n)]))
            }
            return n
        }
    }

    func size(_ fd: Int32, process: Int) throws -> Int64 {
        announce(process, "size", fd: fd)
        return try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "size", fd, process: process) else { return 0 }
            return Int64(s.inodes[inode]?.data.count ?? 0)
        }
    }

    func dataSync(_ fd: Int32, process: Int) throws {
        announce(process, "fdatasync", fd: fd)
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "fdatasync", fd, process: process) else { return }
            let current = s.inodes[inode]?.data ?? []
            s.inodes[inode]?.durable = current
            s.syncs += 1
        }
    }

    func fullSync(_ fd: Int32, process: Int) throws {
        announce(process, "fsync", fd: fd)
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "fsync", fd, process: process) else { return }
            let current = s.inodes[inode]?.data ?? []
            s.inodes[inode]?.durable = current
            s.syncs += 1
        }
    }

    func truncate(_ fd: Int32, to length: Int64, process: Int) throws {
        announce(process, "ftruncate", fd: fd)
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "ftruncate", fd, process: process) else { return }
            var data = s.inodes[inode]?.data ?? []
            if data.count > Int(length) { data.removeLast(data.count - Int(length)) } else {
                data.append(contentsOf: repeatElement(0, count: Int(length) - data.count))
            }
            s.inodes[inode]?.data = data
        }
    }

    func rename(_ from: String, _ to: String, process: Int) throws {
        announce(process, "rename", path: from)
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "rename", nil, process: process)
            guard let inode = s.entries[from] else { throw IOFailure(operation: "rename", path: from, errno: ENOENT) }
            s.entries[from] = nil
            s.entries[to] = inode
            s.pendingOps.append(([Self.parentOf(from), Self.parentOf(to)], .rename(from, to)))
        }
    }

    func unlink(_ path: String, process: Int) throws {
        announce(process, "unlink", path: path)
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "unlink", nil, process: process)
            guard s.entries[path] != nil else { throw IOFailure(operation: "unlink", path: path, errno: ENOENT) }
            s.entries[path] = nil
            s.pendingOps.append(([Self.parentOf(path)], .unlink(path)))
        }
    }

    func list(_ directory: String, process: Int) throws -> [String] {
        announce(process, "list", path: directory)
        return try state.withLock { s throws in
            _ = try check(&s, "list", nil, process: process)
            return try Self.names(in: directory, s)
        }
    }

    private static func names(in directory: String, _ s: State) throws -> [String] {
        guard s.directories.contains(directory) else { throw IOFailure(operation: "opendir", path: directory, errno: ENOENT) }
        let prefix = directory + "/"
        var names = s.entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }
        names += s.directories.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }
        return names
    }

    func makeDirectory(_ path: String, process: Int) throws -> Bool {
        announce(process, "mkdir", path: path)
        return try state.withLock { s throws in
            _ = try check(&s, "mkdir", nil, process: process)
            if s.directories.contains(path) { return false }
            // Directories are modelled as durable once created (the journal syncs the parent).
            s.directories.insert(path)
            return true
        }
    }

    func syncDirectory(_ path: String, process: Int) throws {
        announce(process, "fsync directory", path: path)
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "fsync directory", nil, process: process)
            // Ops are applied in order up to the last one touching this directory.
            guard let lastIndex = s.pendingOps.lastIndex(where: { $0.directories.contains(path) }) else { return }
            for item in s.pendingOps[...lastIndex] { Self.apply(item.op, to: &s.durableEntries) }
            s.pendingOps.removeFirst(lastIndex + 1)
        }
    }

    func lock(_ fd: Int32, process: Int) throws {
        announce(process, "flock", fd: fd)
        try state.withLock { s throws in
            guard let (_, path) = try check(&s, "flock", fd, process: process) else { return }
            if let holder = s.locked[path], holder != fd, s.descriptors[holder] != nil { throw IOFailure(operation: "flock", path: path, errno: EWOULDBLOCK) }
            s.locked[path] = fd
        }
    }

    private static func apply(_ op: DirectoryOp, to entries: inout [String: Int]) {
        switch op {
        case .link(let path, let inode): entries[path] = inode
        case .unlink(let path): entries[path] = nil
        case .rename(let from, let to):
            if let inode = entries[from] {
                entries[from] = nil
                entries[to] = inode
            }
        }
    }

    /// Directory operations not yet made durable by a directory sync.
    var unsyncedDirectoryOperations: Int { state.withLock { $0.pendingOps.count } }

    /// Simulates a power loss: keeps what was synced plus a random part of what was not
    /// (`keepDirectoryOperations`: exactly that many of the unsynced directory operations, in
    /// order, instead of a random number of them).
    func crash(rng: inout SeededGenerator, tearSectors: Bool = true, keepDirectoryOperations: Int? = nil) {
        state.withLock { s in
            var entries = s.durableEntries
            let keepOps = keepDirectoryOperations.map { min($0, s.pendingOps.count) }
                ?? (s.pendingOps.isEmpty ? 0 : Int(rng.next() % UInt64(s.pendingOps.count + 1)))
            for item in s.pendingOps.prefix(keepOps) { Self.apply(item.op, to: &entries) }
            var inodes: [Int: Inode] = [:]
            for inode in Set(entries.values) {
                guard let old = s.inodes[inode] else { continue }
                var data: [UInt8]
                if old.data.count >= old.durable.count && Array(old.data.prefix(old.durable.count)) == old.durable {
                    let extra = old.data.count - old.durable.count
                    let keep = extra == 0 ? 0 : Int(rng.next() % UInt64(extra + 1))
                    data = Array(old.data.prefix(old.durable.count + keep))
                    if tearSectors && keep > 0 && rng.next() % 4 == 0 {
                        // The kept size covers unsynced sectors that never reached the disk: a
                        // file system that extends the size as each write completes, in any
                        // order (XFS), reads them back as zeros.
                        for start in stride(from: old.durable.count / 512 * 512, to: data.count, by: 512) where rng.next() % 2 == 0 {
                            for i in max(start, old.durable.count)..<min(data.count, start + 512) { data[i] = 0 }
                        }
                    } else if tearSectors && keep > 0 && rng.next() % 3 == 0 {
                        let sectorStart = max(old.durable.count, (data.count - 1) / 512 * 512)
                        let garbage = rng.next() % 2 == 0
                        for i in sectorStart..<data.count { data[i] = garbage ? UInt8(truncatingIfNeeded: rng.next()) : 0 }
                    }
                } else if tearSectors {
                    // An overwrite (of preallocated zeros, say) or a truncation: the file keeps
                    // its old or its new size, and each 512-byte sector is old or new on its
                    // own (a drive may persist any subset of what it was given before a flush).
                    let size = rng.next() % 2 == 0 ? old.durable.count : old.data.count
                    data = [UInt8](repeating: 0, count: size)
                    for start in stride(from: 0, to: size, by: 512) {
                        let fresh = rng.next() % 2 == 0
                        for i in start..<min(size, start + 512) {
                            data[i] = fresh ? (i < old.data.count ? old.data[i] : 0) : (i < old.durable.count ? old.durable[i] : 0)
                        }
                    }
                } else {
                    data = rng.next() % 2 == 0 ? old.durable : old.data
                }
                inodes[inode] = Inode(data: data, durable: data)
            }
            s.inodes = inodes
            s.entries = entries
            s.durableEntries = entries
            s.pendingOps = []
            s.descriptors = [:]
            s.locked = [:]
            s.generation += 1
        }
    }

    /// Simulates kill -9 of every running process (not a power loss): the processes end — every
    /// later operation of theirs fails with EIO, their descriptors and locks are gone — but the
    /// kernel keeps what they wrote. Unsynced file data and unsynced directory operations stay in
    /// the page cache, where a new process reads them back as if they were on disk; only a later
    /// `crash` (power loss) drops whatever was never synced by then.
    func killProcesses() {
        state.withLock { s in
            s.descriptors = [:]
            s.locked = [:]
            s.generation += 1
        }
    }

    /// A power loss that keeps exactly what was synced: no unsynced byte and no unsynced
    /// directory operation survives (the deterministic worst case of `crash`).
    func crashLosingEverythingUnsynced() {
        state.withLock { s in
            let entries = s.durableEntries
            var inodes: [Int: Inode] = [:]
            for inode in Set(entries.values) {
                guard let old = s.inodes[inode] else { continue }
                inodes[inode] = Inode(data: old.durable, durable: old.durable)
            }
            s.inodes = inodes
            s.entries = entries
            s.pendingOps = []
            s.descriptors = [:]
            s.locked = [:]
            s.generation += 1
        }
    }

    /// The current bytes of `path` (tests use it to damage files).
    func contents(_ path: String) -> [UInt8]? {
        state.withLock { s in s.entries[path].flatMap { s.inodes[$0]?.data } }
    }

    /// The names in `directory` now, whichever process asks (tests use it to look).
    func names(in directory: String) -> [String] {
        state.withLock { s in ((try? Self.names(in: directory, s)) ?? []).sorted() }
    }

    // MARK: JournalIO, as the process running when the disk was created

    func open(_ path: String, _ intent: OpenIntent) throws -> Int32 { try open(path, intent, process: bootGeneration) }
    func close(_ fd: Int32) { close(fd, process: bootGeneration) }
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int {
        try write(fd, bytes, at: offset, process: bootGeneration)
    }
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try read(fd, into: buffer, at: offset, process: bootGeneration)
    }
    func size(_ fd: Int32) throws -> Int64 { try size(fd, process: bootGeneration) }
    /// The simulated disk holds only regular files.
    func isRegularFile(_ fd: Int32) throws -> Bool { true }
    func dataSync(_ fd: Int32) throws { try dataSync(fd, process: bootGeneration) }
    func fullSync(_ fd: Int32) throws { try fullSync(fd, process: bootGeneration) }
    func truncate(_ fd: Int32, to length: Int64) throws { try truncate(fd, to: length, process: bootGeneration) }
    func rename(_ from: String, _ to: String) throws { try rename(from, to, process: bootGeneration) }
    func unlink(_ path: String) throws { try unlink(path, process: bootGeneration) }
    func list(_ directory: String) throws -> [String] { try list(directory, process: bootGeneration) }
    func makeDirectory(_ path: String) throws -> Bool { try makeDirectory(path, process: bootGeneration) }
    func syncDirectory(_ path: String) throws { try syncDirectory(path, process: bootGeneration) }
    func lock(_ fd: Int32) throws { try lock(fd, process: bootGeneration) }
}

/// One process's access to a `SimulatedDisk`, from `startProcess()` until the next crash (the
/// power cut ends the process): afterwards each of its operations fails with EIO and changes
/// nothing, as if the threads still running it had died with the machine.
final class SimulatedProcess: JournalIO, Sendable {
    let disk: SimulatedDisk
    /// The disk's power cycle when the process started.
    let generation: Int

    init(disk: SimulatedDisk, generation: Int) {
        self.disk = disk
        self.generation = generation
    }

    func open(_ path: String, _ intent: OpenIntent) throws -> Int32 { try disk.open(path, intent, process: generation) }
    func close(_ fd: Int32) { disk.close(fd, process: generation) }
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int {
        try disk.write(fd, bytes, at: offset, process: generation)
    }
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try disk.read(fd, into: buffer, at: offset, process: generation)
    }
    func size(_ fd: Int32) throws -> Int64 { try disk.size(fd, process: generation) }
    func isRegularFile(_ fd: Int32) throws -> Bool { true }
    func dataSync(_ fd: Int32) throws { try disk.dataSync(fd, process: generation) }
    func fullSync(_ fd: Int32) throws { try disk.fullSync(fd, process: generation) }
    func truncate(_ fd: Int32, to length: Int64) throws { try disk.truncate(fd, to: length, process: generation) }
    func rename(_ from: String, _ to: String) throws { try disk.rename(from, to, process: generation) }
    func unlink(_ path: String) throws { try disk.unlink(path, process: generation) }
    func list(_ directory: String) throws -> [String] { try disk.list(directory, process: generation) }
    func makeDirectory(_ path: String) throws -> Bool { try disk.makeDirectory(path, process: generation) }
    func syncDirectory(_ path: String) throws { try disk.syncDirectory(path, process: generation) }
    func lock(_ fd: Int32) throws { try disk.lock(fd, process: generation) }
}
