import Foundation

/// The built `docket` executable, next to the test bundle (as in DocketJournalTests).
enum DocketBinary {
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

/// A `docket` child process whose stdout lines are read as they come. A watchdog kills it
/// after `limit` seconds, so a test can never hang on it. The blocking reads run on a thread
/// of their own, not on Swift's cooperative pool (which in-process tests need).
final class DocketChild: @unchecked Sendable {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffer: [UInt8] = []
    /// Every stdout line read so far.
    private(set) var lines: [String] = []
    private(set) var eof = false

    init(_ arguments: [String], limit: Double = 60) throws {
        process.executableURL = URL(fileURLWithPath: DocketBinary.path ?? "/nonexistent")
        process.arguments = arguments
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [weak self] in
            guard let self, self.process.isRunning else { return }
            self.signal(SIGKILL)
        }
    }

    /// Reads stdout until `done` holds for the lines read so far, or end of file.
    func read(until done: @escaping @Sendable ([String]) -> Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.readBlocking(until: done)
                c.resume()
            }
        }
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

    func signal(_ number: Int32) { _ = Foundation.kill(process.processIdentifier, number) }

    /// Reads to end of file and waits for the child to end.
    func finish() async -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
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

/// A fresh directory under the system temp dir.
struct TempDirectory {
    let path: String

    init(_ label: String) {
        path = NSTemporaryDirectory() + "docket-cli-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A small seeded generator (SplitMix64), so a failing kill round can be replayed.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
