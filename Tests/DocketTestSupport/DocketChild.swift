import Foundation
import Synchronization

/// The built `docket` executable, next to the test bundle.
public enum DocketBinary {
    /// `.build/<config>/docket`, or nil when it was not built.
    public static let path: String? = {
        var candidates: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("docket"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("docket"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("docket"))
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return nil
    }()

    /// Whether the executable exists (the crash tests need it).
    public static var available: Bool { path != nil }
}

/// A `docket` child process whose stdout lines are read as they come, for crash, kill and
/// locking tests. A watchdog kills it after `limit` seconds, so a test can never hang on it.
/// The blocking reads run on a thread of their own, not on Swift's cooperative pool (which
/// in-process tests need).
public final class DocketChild: @unchecked Sendable {
    // Unchecked: `lines`, `buffer` and `eof` are only touched by one read at a time (each
    // `read` awaits its reading thread before returning, and callers do not overlap reads);
    // the rest is immutable or thread-safe (Process, Pipe).
    public let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffer: [UInt8] = []
    /// Every stdout line read so far.
    public private(set) var lines: [String] = []
    /// Whether stdout reached its end.
    public private(set) var eof = false

    /// Starts `docket` with `arguments` (and `environment` added to this process's).
    public init(_ arguments: [String], environment: [String: String] = [:], limit: Double = 60) throws {
        process.executableURL = URL(fileURLWithPath: DocketBinary.path ?? "/nonexistent")
        process.arguments = arguments
        if !environment.isEmpty {
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            process.environment = env
        }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [weak self] in
            guard let self, self.process.isRunning else { return }
            self.watchdogFired.withLock { $0 = true }
            self.signal(SIGKILL)
        }
    }

    private let watchdogFired = Mutex(false)
    /// Whether the watchdog killed the child (its SIGKILL looks like any other).
    public var killedByWatchdog: Bool { watchdogFired.withLock { $0 } }

    /// The sequence numbers of the `ack N` lines read so far (`docket journal stress`).
    public var acks: [UInt64] {
        lines.compactMap { $0.hasPrefix("ack ") ? UInt64($0.dropFirst(4)) : nil }
    }

    /// Reads stdout until `done` holds for the lines read so far, or end of file.
    public func read(until done: @escaping @Sendable ([String]) -> Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.readBlocking(until: done)
                c.resume()
            }
        }
    }

    /// Reads until at least `count` acks were seen, or end of file.
    public func readAcks(atLeast count: Int) async {
        await read { lines in lines.lazy.filter { $0.hasPrefix("ack ") }.count >= count }
    }

    private func readBlocking(until done: ([String]) -> Bool) {
        let fd = stdout.fileHandleForReading.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !done(lines) && !eof {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                eof = true
                break
            }
            buffer.append(contentsOf: chunk[..<n])
            while let newline = buffer.firstIndex(of: 10) {
                lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
        }
    }

    /// Sends `number` (SIGKILL, SIGINT, …) to the child.
    public func signal(_ number: Int32) { _ = Foundation.kill(process.processIdentifier, number) }

    /// The child's signal state from `/proc` (pending, blocked, ignored and caught masks, per
    /// thread too), for a failure message about a signal that had no effect.
    public func signalState() -> String {
        let pid = process.processIdentifier
        func masks(_ path: String) -> String {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "unreadable" }
            return text.split(separator: "\n").filter { ["SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"].contains(where: $0.hasPrefix) }
                .joined(separator: " ")
        }
        var out = "process: " + masks("/proc/\(pid)/status")
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for t in threads.sorted() {
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            out += "\nthread \(t) (\(name)): " + masks("/proc/\(pid)/task/\(t)/status")
        }
        return out
    }

    /// Kills the child at once (kill -9).
    public func kill() { signal(SIGKILL) }

    /// Reads to end of file and waits for the child to end.
    public func finish() async -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        await read { _ in false }
        let process = self.process
        let stderr = self.stderr
        return await withCheckedContinuation { c in
            Thread.detachNewThread {
                process.waitUntilExit()
                let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                c.resume(returning: (process.terminationStatus, process.terminationReason, err))
            }
        }
    }
}
