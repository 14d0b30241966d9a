/// The file-system operations the journal uses, behind one seam so that tests can inject
/// faults (EIO, ENOSPC, EINTR, short writes) and simulate power loss by dropping whatever was
/// not synced. Production uses `PosixJournalIO`.
///
/// Implementations report raw results: `write` may write less than asked and `EINTR` surfaces
/// as an error, so the retry logic lives once, in the journal, and is tested.
protocol JournalIO: AnyObject, Sendable {
    /// Opens `path`; created files get mode 0600. Returns a descriptor.
    func open(_ path: String, _ intent: OpenIntent) throws -> Int32
    func close(_ fd: Int32)
    /// Writes up to `bytes.count` bytes at `offset`; returns how many were written.
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at end of file).
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    func size(_ fd: Int32) throws -> Int64
    /// Whether `fd` is a regular file (not a directory, FIFO, socket or device).
    func isRegularFile(_ fd: Int32) throws -> Bool
    func dataSync(_ fd: Int32) throws
    func fullSync(_ fd: Int32) throws
    func truncate(_ fd: Int32, to length: Int64) throws
    func rename(_ from: String, _ to: String) throws
    func unlink(_ path: String) throws
    /// Names in `directory` (without "." and "..").
    func list(_ directory: String) throws -> [String]
    /// Creates a directory with mode 0700; returns false when it already existed.
    func makeDirectory(_ path: String) throws -> Bool
    /// fsync of a directory, so that creations, renames and unlinks in it are durable.
    func syncDirectory(_ path: String) throws
    /// An exclusive, non-blocking `flock`; fails with `EWOULDBLOCK` when held elsewhere.
    func lock(_ fd: Int32) throws
}

enum OpenIntent {
    /// Never blocks: a FIFO opens at once (and is then refused as not a regular file).
    case readOnly
    /// An existing file, for reading and writing.
    case readWrite
    /// A new file; fails if it exists.
    case createExclusive
    /// Created if missing, kept otherwise (the lock file).
    case createIfMissing
}

/// A file with a journal file's name that recovery refuses to read whole (`readFile`).
struct UnreadableFile: Error, Equatable {
    var path: String
    var reason: String

    /// As a corruption of the file (by name inside the journal directory).
    var journalError: JournalError {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return .corrupted(JournalCorruption(file: name, offset: nil, reason: reason, isTornTail: false))
    }
}

/// A failed system call, with its errno.
struct IOFailure: Error, Equatable {
    var operation: String
    var path: String
    var errno: Int32

    var journalError: JournalError { .io(operation: operation, path: path, errno: errno) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JournalIO {
    /// `fdatasync`, retrying `EINTR`: a sync a signal interrupted did not finish and reported
    /// nothing lost (lost data comes back as `EIO`, which is never retried).
    func dataSyncRetrying(_ fd: Int32) throws { try retryingInterrupts { try dataSync(fd) } }

    /// `fsync`, retrying `EINTR` (as `dataSyncRetrying`).
    func fullSyncRetrying(_ fd: Int32) throws { try retryingInterrupts { try fullSync(fd) } }

    /// A directory's `fsync`, retrying `EINTR` (as `dataSyncRetrying`).
    func syncDirectoryRetrying(_ path: String) throws { try retryingInterrupts { try syncDirectory(path) } }

    private func retryingInterrupts(_ call: () throws -> Void) throws {
        while true {
            do { return try call() } catch let failure as IOFailure where failure.errno == EINTR { continue }
        }
    }

    /// Writes all of `bytes` at `offset`, retrying `EINTR` and short writes.
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws {
        var done = 0
        var stalls = 0
        while done < bytes.count {
            let n: Int
            do {
                n = try write(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), at: offset + Int64(done))
            } catch let failure as IOFailure where failure.errno == EINTR {
                continue
            }
            if n <= 0 {
                // A write that makes no progress and reports no error would loop forever.
                stalls += 1
                if stalls > 100 { throw IOFailure(operation: "write", path: path, errno: EIO) }
                continue
            }
            stalls = 0
            done += n
        }
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, at: offset, path: path) }
    }

    /// Reads the whole file at `path`, which must be a regular file of at most `maxSize` bytes
    /// (so that a stray directory, FIFO or huge sparse file with a journal file's name can
    /// neither hang recovery nor make it allocate without bound).
    ///
    /// - Throws: `UnreadableFile` for those, `IOFailure` for system errors.
    func readFile(_ path: String, maxSize: Int) throws -> [UInt8] {
        let fd = try open(path, .readOnly)
        defer { close(fd) }
        try checkReadable(fd, path: path, maxSize: maxSize)
        return try readAll(fd, path: path)
    }

    /// Throws `UnreadableFile` unless `fd` is a regular file of at most `maxSize` bytes.
    func checkReadable(_ fd: Int32, path: String, maxSize: Int) throws {
        guard try isRegularFile(fd) else {
            throw UnreadableFile(path: path, reason: "not a regular file (a directory, FIFO or device?); move it out of the journal directory")
        }
        let size = try self.size(fd)
        guard size <= Int64(maxSize) else {
            throw UnreadableFile(path: path, reason: "file is \(size) bytes, more than the format allows (\(maxSize) bytes); it is not one this journal wrote")
        }
    }

    /// Reads everything from `fd`, retrying `EINTR` and short reads.
    func readAll(_ fd: Int32, path: String, from start: Int64 = 0, limit: Int? = nil) throws -> [UInt8] {
        let total = try size(fd)
        var want = Int(max(0, total - start))
        if let limit { want = min(want, limit) }
        // Not zero-filled first: a segment is up to 64 MiB, and read() writes every byte kept.
        return try [UInt8](unsafeUninitializedCapacity: want) { buffer, count in
            var done = 0
            defer { count = done }
            while done < want {
                let n: Int
                do {
                    n = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[done..<want]), at: start + Int64(done))
                } catch let failure as IOFailure where failure.errno == EINTR {
                    continue
                }
                if n == 0 { break }
                done += n
            }
        }
    }

    /// Writes `bytes` to `path` atomically: temporary file, fsync, rename, directory fsync.
    func writeFileAtomically(directory: String, name: String, bytes: [UInt8], crash: CrashPoints, tempPoint: CrashPoint, renamePoint: CrashPoint) throws {
        let temp = directory + "/" + name + ".tmp"
        let final = directory + "/" + name
        try? unlink(temp)
        let fd = try open(temp, .createExclusive)
        do {
            try writeAll(fd, bytes, at: 0, path: temp)
            try fullSyncRetrying(fd)
        } catch {
            close(fd)
            try? unlink(temp)
            throw error
        }
        close(fd)
        crash.hit(tempPoint)
        try rename(temp, final)
        crash.hit(renamePoint)
        try syncDirectoryRetrying(directory)
    }
}
