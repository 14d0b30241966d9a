import Foundation
import Synchronization
@testable import DocketJournal

/// An in-memory file system behind the journal's I/O seam that remembers what was synced, so a
/// test can simulate a power loss (ALICE-style persistence model, spec T9):
/// - file data not covered by an fsync/fdatasync may be lost: a random prefix of the unsynced
///   appends survives, and the last 512-byte sector of what survives may be torn (zeros or
///   garbage) — only unsynced bytes are ever damaged (sector writes are assumed atomic);
/// - directory operations (create, rename, unlink) not followed by an fsync of their directory
///   may be lost: a random prefix of them, in order, survives.
/// After `crash`, every descriptor from before fails with EIO, so a journal still running from
/// before the crash cannot touch the new state.
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
        var syncs = 0
        /// Writes at most half of what is asked (at least one byte).
        var shortWrites = false
        /// Bytes that may still be written before writes fail with ENOSPC (nil: unlimited).
        var spaceLeft: Int?
    }

    let state: Mutex<State>
    /// When on, a copy of the whole state is kept after every mutating operation, so a test can
    /// crash the disk at each of those points afterwards.
    let recording: Mutex<[State]?> = Mutex(nil)

    init(copying other: State) {
        state = Mutex(other)
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
        state.withLock { s in
            s.directories.insert("/")
            for d in directories { s.directories.insert(d) }
        }
    }

    static func parentOf(_ path: String) -> String { Journal.parent(of: path) }

    private func check(_ s: inout State, _ op: String, _ fd: Int32?) throws -> (inode: Int, path: String)? {
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

    func open(_ path: String, _ intent: OpenIntent) throws -> Int32 {
        defer { record() }
        return try state.withLock { s throws in
            _ = try check(&s, "open", nil)
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

    func close(_ fd: Int32) {
        state.withLock { s in
            s.descriptors[fd] = nil
            for (path, holder) in s.locked where holder == fd { s.locked[path] = nil }
        }
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int {
        defer { record() }
        return try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "write", fd) else { return 0 }
            var bytes = bytes
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

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "read", fd) else { return 0 }
            let data = s.inodes[inode]?.data ?? []
            guard Int(offset) < data.count else { return 0 }
            let n = min(buffer.count, data.count - Int(offset))
            data.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[Int(offset)..<(Int(offset) + n)]))
            }
            return n
        }
    }

    func size(_ fd: Int32) throws -> Int64 {
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "size", fd) else { return 0 }
            return Int64(s.inodes[inode]?.data.count ?? 0)
        }
    }

    func dataSync(_ fd: Int32) throws {
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "fdatasync", fd) else { return }
            let current = s.inodes[inode]?.data ?? []
            s.inodes[inode]?.durable = current
            s.syncs += 1
        }
    }

    func fullSync(_ fd: Int32) throws {
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "fsync", fd) else { return }
            let current = s.inodes[inode]?.data ?? []
            s.inodes[inode]?.durable = current
            s.syncs += 1
        }
    }

    func truncate(_ fd: Int32, to length: Int64) throws {
        defer { record() }
        try state.withLock { s throws in
            guard let (inode, _) = try check(&s, "ftruncate", fd) else { return }
            var data = s.inodes[inode]?.data ?? []
            if data.count > Int(length) { data.removeLast(data.count - Int(length)) } else {
                data.append(contentsOf: repeatElement(0, count: Int(length) - data.count))
            }
            s.inodes[inode]?.data = data
        }
    }

    func rename(_ from: String, _ to: String) throws {
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "rename", nil)
            guard let inode = s.entries[from] else { throw IOFailure(operation: "rename", path: from, errno: ENOENT) }
            s.entries[from] = nil
            s.entries[to] = inode
            s.pendingOps.append(([Self.parentOf(from), Self.parentOf(to)], .rename(from, to)))
        }
    }

    func unlink(_ path: String) throws {
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "unlink", nil)
            guard s.entries[path] != nil else { throw IOFailure(operation: "unlink", path: path, errno: ENOENT) }
            s.entries[path] = nil
            s.pendingOps.append(([Self.parentOf(path)], .unlink(path)))
        }
    }

    func list(_ directory: String) throws -> [String] {
        try state.withLock { s throws in
            _ = try check(&s, "list", nil)
            guard s.directories.contains(directory) else { throw IOFailure(operation: "opendir", path: directory, errno: ENOENT) }
            let prefix = directory + "/"
            var names = s.entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }
            names += s.directories.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }
            return names
        }
    }

    func makeDirectory(_ path: String) throws -> Bool {
        state.withLock { s in
            if s.directories.contains(path) { return false }
            // Directories are modelled as durable once created (the journal syncs the parent).
            s.directories.insert(path)
            return true
        }
    }

    func syncDirectory(_ path: String) throws {
        defer { record() }
        try state.withLock { s throws in
            _ = try check(&s, "fsync directory", nil)
            // Ops are applied in order up to the last one touching this directory.
            guard let lastIndex = s.pendingOps.lastIndex(where: { $0.directories.contains(path) }) else { return }
            for item in s.pendingOps[...lastIndex] { Self.apply(item.op, to: &s.durableEntries) }
            s.pendingOps.removeFirst(lastIndex + 1)
        }
    }

    func lock(_ fd: Int32) throws {
        try state.withLock { s throws in
            guard let (_, path) = try check(&s, "flock", fd) else { return }
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

    /// Simulates a power loss: keeps what was synced plus a random part of what was not.
    func crash(rng: inout SplitMix64, tearSectors: Bool = true) {
        state.withLock { s in
            var entries = s.durableEntries
            let keepOps = s.pendingOps.isEmpty ? 0 : Int(rng.next() % UInt64(s.pendingOps.count + 1))
            for item in s.pendingOps.prefix(keepOps) { Self.apply(item.op, to: &entries) }
            var inodes: [Int: Inode] = [:]
            for inode in Set(entries.values) {
                guard let old = s.inodes[inode] else { continue }
                var data: [UInt8]
                if old.data.count >= old.durable.count && Array(old.data.prefix(old.durable.count)) == old.durable {
                    let extra = old.data.count - old.durable.count
                    let keep = extra == 0 ? 0 : Int(rng.next() % UInt64(extra + 1))
                    data = Array(old.data.prefix(old.durable.count + keep))
                    if tearSectors && keep > 0 && rng.next() % 3 == 0 {
                        let sectorStart = max(old.durable.count, (data.count - 1) / 512 * 512)
                        let garbage = rng.next() % 2 == 0
                        for i in sectorStart..<data.count { data[i] = garbage ? UInt8(truncatingIfNeeded: rng.next()) : 0 }
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

    /// The current bytes of `path` (tests use it to damage files).
    func contents(_ path: String) -> [UInt8]? {
        state.withLock { s in s.entries[path].flatMap { s.inodes[$0]?.data } }
    }

    func names(in directory: String) -> [String] {
        ((try? list(directory)) ?? []).sorted()
    }
}
