import Foundation

/// Runs the built `docket` executable as a child process, for crash and locking tests.
enum DocketBinary {
    /// `.build/<config>/docket`, next to the test bundle.
    static let path: String? = {
        var candidates: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("docket"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("docket"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("docket"))
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return nil
    }()

    static var available: Bool { path != nil }
}

/// A running `docket journal stress` child whose ack lines are read as they come.
final class StressChild {
    let process = Process()
    let stdout = Pipe()
    let stderr = Pipe()
    private var buffer: [UInt8] = []
    private(set) var acks: [UInt64] = []
    private(set) var eof = false

    init(arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: DocketBinary.path ?? "/nonexistent")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    /// Reads stdout until at least `count` acks were seen or the child closed it.
    func readAcks(atLeast count: Int) {
        let fd = stdout.fileHandleForReading.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        while acks.count < count && !eof {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { eof = true; break }
            buffer.append(contentsOf: chunk[..<n])
            while let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                if line.hasPrefix("ack "), let seq = UInt64(line.dropFirst(4)) { acks.append(seq) }
            }
        }
    }

    func kill() { _ = Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Reads to EOF and waits for the child to end.
    func finish() -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        readAcks(atLeast: Int.max)
        process.waitUntilExit()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, process.terminationReason, err)
    }
}
