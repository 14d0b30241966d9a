#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through Glibc. Every descriptor is opened with `O_CLOEXEC` so a child
/// process never inherits the lock or a segment.
final class PosixJournalIO: JournalIO {
    // Stateless: every method only calls into the kernel, so sharing across threads is safe.
    static let shared = PosixJournalIO()

    private func fail(_ operation: String, _ path: String) -> IOFailure {
        IOFailure(operation: operation, path: path, errno: errno)
    }

    func open(_ path: String, _ intent: OpenIntent) throws -> Int32 {
        let flags: Int32
        switch intent {
        case .readOnly: flags = O_RDONLY | O_NONBLOCK
        case .readWrite: flags = O_RDWR
        case .createExclusive: flags = O_RDWR | O_CREAT | O_EXCL
        case .createIfMissing: flags = O_RDWR | O_CREAT
        }
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode_t(0o600))
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw fail("open", path)
        }
    }

    func close(_ fd: Int32) {
        // Never retry close on EINTR: on Linux the descriptor is released either way.
        _ = Glibc.close(fd)
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let n = pwrite(fd, base, bytes.count, off_t(offset))
        if n < 0 { throw fail("write", "fd \(fd)") }
        return n
    }

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let n = pread(fd, base, buffer.count, off_t(offset))
        if n < 0 { throw fail("read", "fd \(fd)") }
        return n
    }

    func size(_ fd: Int32) throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail("fstat", "fd \(fd)") }
        return Int64(st.st_size)
    }

    func isRegularFile(_ fd: Int32) throws -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail("fstat", "fd \(fd)") }
        return (st.st_mode & S_IFMT) == S_IFREG
    }

    func dataSync(_ fd: Int32) throws {
        guard fdatasync(fd) == 0 else { throw fail("fdatasync", "fd \(fd)") }
    }

    func fullSync(_ fd: Int32) throws {
        guard fsync(fd) == 0 else { throw fail("fsync", "fd \(fd)") }
    }

    func truncate(_ fd: Int32, to length: Int64) throws {
        while ftruncate(fd, off_t(length)) != 0 {
            if errno == EINTR { continue }
            throw fail("ftruncate", "fd \(fd)")
        }
    }

    func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw fail("rename", from + " -> " + to) }
    }

    func unlink(_ path: String) throws {
        guard Glibc.unlink(path) == 0 else { throw fail("unlink", path) }
    }

    func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw fail("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            // readdir returns NULL both at the end and on an error; only errno tells them apart.
            // An error must not pass for a shorter listing (a segment missed is a hole in the log).
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw fail("readdir", directory) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    func makeDirectory(_ path: String) throws -> Bool {
        if mkdir(path, mode_t(0o700)) == 0 { return true }
        if errno == EEXIST {
            var st = stat()
            if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return false }
            throw IOFailure(operation: "mkdir", path: path, errno: ENOTDIR)
        }
        throw fail("mkdir", path)
    }

    func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open directory", path) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw fail("fsync directory", path) }
    }

    func lock(_ fd: Int32) throws {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            throw fail("flock", "LOCK")
        }
    }
}
