import DocketJournal
import Foundation

/// `docket-bench journal [--json] [--runs N] [--quick]`: append throughput for 100-byte records
/// under each durability (one appender awaiting each record, 16 and 64 concurrent appenders,
/// batches of 1,000) against a raw write+fdatasync loop with the same bytes and the same
/// grouping, measured in the same run; and recovery time of 1M records with and without a
/// snapshot. Each figure is the median of `--runs` runs.
enum JournalBench {
    struct Row {
        var name: String
        var records: Int
        var seconds: Double
        var baselineRecordsPerSecond: Double?
        var syncs: Int?
        var note: String = ""
        var recordsPerSecond: Double { Double(records) / seconds }
    }

    static let payloadSize = 100
    /// Bytes one 100-byte record takes on disk: 32-byte header + payload, padded to 8.
    static let storedSize = (32 + payloadSize + 7) & ~7

    static func run(_ args: [String]) async throws -> Int32 {
        let json = args.contains("--json")
        let quick = args.contains("--quick")
        var runs = 3
        if let i = args.firstIndex(of: "--runs"), i + 1 < args.count, let n = Int(args[i + 1]), n >= 1 { runs = n }
        let root = NSTemporaryDirectory() + "docket-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scale = quick ? 0.1 : 1.0
        func n(_ count: Int) -> Int { max(100, Int(Double(count) * scale)) }

        struct Case {
            var name: String; var durability: Durability; var writers: Int; var batch: Int; var records: Int
            var preallocate = true
        }
        let cases: [Case] = [
            Case(name: "always, 1 appender", durability: .always, writers: 1, batch: 1, records: n(2_000)),
            Case(name: "always, 16 appenders", durability: .always, writers: 16, batch: 1, records: n(40_000)),
            Case(name: "always, 64 appenders", durability: .always, writers: 64, batch: 1, records: n(120_000)),
            Case(name: "always, batches of 1000", durability: .always, writers: 1, batch: 1000, records: n(400_000)),
            // The same without preallocated segments (each sync also commits a new file size).
            Case(name: "always, 16 appenders, no prealloc", durability: .always, writers: 16, batch: 1, records: n(40_000), preallocate: false),
            Case(name: "always, 64 appenders, no prealloc", durability: .always, writers: 64, batch: 1, records: n(120_000), preallocate: false),
            Case(name: "interval:100, 1 appender", durability: .interval(milliseconds: 100), writers: 1, batch: 1, records: n(200_000)),
            Case(name: "interval:100, 16 appenders", durability: .interval(milliseconds: 100), writers: 16, batch: 1, records: n(300_000)),
            Case(name: "interval:100, 64 appenders", durability: .interval(milliseconds: 100), writers: 64, batch: 1, records: n(300_000)),
            Case(name: "interval:100, batches of 1000", durability: .interval(milliseconds: 100), writers: 1, batch: 1000, records: n(1_000_000)),
            Case(name: "none, 1 appender", durability: .none, writers: 1, batch: 1, records: n(200_000)),
            Case(name: "none, 16 appenders", durability: .none, writers: 16, batch: 1, records: n(300_000)),
            Case(name: "none, 64 appenders", durability: .none, writers: 64, batch: 1, records: n(300_000)),
            Case(name: "none, batches of 1000", durability: .none, writers: 1, batch: 1000, records: n(1_000_000)),
        ]
        var rows: [Row] = []
        for c in cases {
            var samples: [Row] = []
            for r in 0..<runs {
                let dir = root + "/append-\(rows.count)-\(r)"
                var row = try await appendCase(dir: dir, durability: c.durability, writers: c.writers, batch: c.batch, records: c.records,
                                               preallocate: c.preallocate)
                row.name = c.name
                if c.durability == .always, let syncs = row.syncs, syncs > 0 {
                    // The same bytes in the same groups, written and synced by a bare loop.
                    let perSync = max(1, c.records / syncs)
                    let raw = try rawBaseline(path: root + "/raw-\(rows.count)-\(r)", records: min(c.records, max(perSync * 400, 2_000)), recordsPerSync: perSync)
                    row.baselineRecordsPerSecond = raw
                    row.note = "avg group \(perSync)"
                }
                try? FileManager.default.removeItem(atPath: dir)
                samples.append(row)
            }
            rows.append(median(samples))
            if !json {
                print(format(rows[rows.count - 1]))
                fflush(nil)
            }
        }
        for snapshot in [false, true] {
            var samples: [Row] = []
            let dir = root + "/recovery-\(snapshot)"
            let count = n(1_000_000)
            try await buildRecoveryJournal(dir: dir, records: count, snapshot: snapshot)
            for _ in 0..<runs { samples.append(try await recoveryCase(dir: dir, records: count, snapshot: snapshot)) }
            try? FileManager.default.removeItem(atPath: dir)
            rows.append(median(samples))
            if !json {
                print(format(rows[rows.count - 1]))
                fflush(nil)
            }
        }
        if json {
            let items = rows.map { r -> String in
                var fields = ["\"name\":\"\(r.name)\"", "\"records\":\(r.records)", "\"seconds\":\(r.seconds)",
                              "\"recordsPerSecond\":\(Int(r.recordsPerSecond))"]
                if let b = r.baselineRecordsPerSecond {
                    fields.append("\"rawBaselineRecordsPerSecond\":\(Int(b))")
                    fields.append("\"ratioToRaw\":\(String(format: "%.3f", r.recordsPerSecond / b))")
                }
                if let s = r.syncs { fields.append("\"syncs\":\(s)") }
                return "{" + fields.joined(separator: ",") + "}"
            }
            print("{\"suite\":\"journal\",\"runs\":\(runs),\"results\":[" + items.joined(separator: ",") + "]}")
        }
        return 0
    }

    static func median(_ samples: [Row]) -> Row {
        let sorted = samples.sorted { $0.recordsPerSecond < $1.recordsPerSecond }
        return sorted[sorted.count / 2]
    }

    static func format(_ r: Row) -> String {
        var line = r.name.padding(toLength: 36, withPad: " ", startingAt: 0)
        if r.name.hasPrefix("recovery") {
            line += String(format: "%10.3f s  (%d records, %.0f records/s)", r.seconds, r.records, r.recordsPerSecond)
            return line
        }
        line += String(format: "%12.0f rec/s %8.1f MB/s", r.recordsPerSecond, r.recordsPerSecond * Double(storedSize) / 1e6)
        if let b = r.baselineRecordsPerSecond {
            line += String(format: "   raw %10.0f rec/s   ratio %.2f", b, r.recordsPerSecond / b)
        }
        if !r.note.isEmpty { line += "   (\(r.note))" }
        return line
    }

    static func appendCase(dir: String, durability: Durability, writers: Int, batch: Int, records: Int, preallocate: Bool) async throws -> Row {
        var configuration = JournalConfiguration(durability: durability)
        configuration.preallocate = preallocate
        let journal = try Journal.open(directory: dir, configuration: configuration) { _ in }
        let body = [UInt8](repeating: 0xA5, count: payloadSize)
        let perWriter = records / writers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var done = 0
                    let batchBody = Array(repeating: body, count: batch)
                    while done < perWriter {
                        if batch == 1 { try await journal.append(body) } else { try await journal.append(contentsOf: batchBody) }
                        done += batch
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(ContinuousClock.now - start)
        let metrics = journal.metrics
        try await journal.close()
        return Row(name: "", records: Int(metrics.lastSequence), seconds: elapsed, baselineRecordsPerSecond: nil,
                   syncs: durability == .always ? metrics.syncs : nil)
    }

    /// A bare loop: write `recordsPerSync` records' bytes in one write, then fdatasync.
    static func rawBaseline(path: String, records: Int, recordsPerSync: Int) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd); unlink(path) }
        let chunk = [UInt8](repeating: 0xA5, count: storedSize * recordsPerSync)
        let start = ContinuousClock.now
        var done = 0
        while done < records {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n == chunk.count, fdatasync(fd) == 0 else { throw POSIXError(.EIO) }
            done += recordsPerSync
        }
        return Double(done) / seconds(ContinuousClock.now - start)
    }

    static func buildRecoveryJournal(dir: String, records: Int, snapshot: Bool) async throws {
        let journal = try Journal.open(directory: dir, configuration: JournalConfiguration(durability: .none)) { _ in }
        let body = [UInt8](repeating: 0x5A, count: payloadSize)
        let batch = Array(repeating: body, count: 1000)
        if snapshot {
            // A state of 1M entries (16 bytes each) as of the first million records, then a
            // 1M-record tail after it: the "snapshot + 1M-record tail" recovery.
            for _ in 0..<(records / 1000) { try journal.submit(contentsOf: batch) }
            try await journal.sync()
            try await journal.writeSnapshot([UInt8](repeating: 7, count: 16 * records), lastSequence: journal.lastSequence)
        }
        for _ in 0..<(records / 1000) { try journal.submit(contentsOf: batch) }
        try await journal.close()
    }

    static func recoveryCase(dir: String, records: Int, snapshot: Bool) async throws -> Row {
        var replayed = 0
        var bytes = 0
        let start = ContinuousClock.now
        let journal = try Journal.open(directory: dir, configuration: JournalConfiguration(durability: .none),
                                       snapshot: { bytes += $0.bytes.count }) { r in
            replayed += 1
            bytes &+= r.payload.count
        }
        let elapsed = seconds(ContinuousClock.now - start)
        try await journal.close()
        guard replayed == records else { throw POSIXError(.EIO) }
        return Row(name: snapshot ? "recovery, snapshot + 1M tail" : "recovery, 1M records",
                   records: replayed, seconds: elapsed, baselineRecordsPerSecond: nil, syncs: nil,
                   note: "\(bytes) bytes")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
