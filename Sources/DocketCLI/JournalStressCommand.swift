import DocketJournal
import Foundation
import Synchronization

/// `docket journal stress`: append load for crash tests and quick measurements. With `--acks`
/// it prints `ack <seq>` on stdout as soon as each record is durable under the durability, one
/// unbuffered write per line, so a test that kills the process knows what was promised.
enum JournalStressCommand {
    static func parseDurability(_ text: String) throws -> Durability {
        switch text {
        case "always": return .always
        case "none": return .none
        default:
            if text.hasPrefix("interval:"), let ms = Int(text.dropFirst("interval:".count)), ms >= 1, ms <= 3_600_000 {
                return .interval(milliseconds: ms)
            }
            throw UsageError("--durability takes always, none or interval:MS (MS from 1 to 3600000), not '\(text)'")
        }
    }

    static func run(_ arguments: [String], output: CLIOutput) async throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--records", "--size", "--batch", "--writers", "--durability", "--segment-size", "--snapshot-every"], flags: ["--acks"])
        guard args.positionals.count == 1, let dir = args.positionals.first else {
            throw UsageError("expected exactly one journal directory\n\(JournalCommand.usage)")
        }
        guard args.value("--records") != nil else { throw UsageError("--records N is required") }
        let records = try args.int("--records", default: 1, in: 1...1_000_000_000)
        let size = try args.int("--size", default: 100, in: 0...(16 << 20))
        let batch = try args.int("--batch", default: 1, in: 1...1_000_000)
        let writers = try args.int("--writers", default: 1, in: 1...10_000)
        let durability = try parseDurability(args.value("--durability") ?? "always")
        var configuration = JournalConfiguration(durability: durability)
        configuration.segmentSize = try args.int("--segment-size", default: configuration.segmentSize, in: 1024...(1 << 32))  // the journal's own bounds (JournalConfiguration.segmentSize)
        let acks = args.has("--acks")
        // Writer 0 snapshots every this many of its records (0: never), to exercise snapshots
        // and retention under load and crash tests.
        let snapshotEvery = try args.int("--snapshot-every", default: 0, in: 0...1_000_000_000)

        try UsageError.checkJournalDirectoryOrAbsent(dir)
        try UsageError.checkNotADocketJournal(dir)
        let journal: Journal
        do {
            journal = try Journal.open(directory: dir, configuration: configuration) { _ in }
        } catch let error as JournalError {
            output.err("docket: \(error)")
            return ExitCode.of(error)
        }
        output.err("docket: journal \(dir): \(journal.recoveryReport)")
        let printer = AckPrinter(output: output)
        let start = ContinuousClock.now
        let perWriter = (records + writers - 1) / writers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                let count = min(perWriter, records - w * perWriter)
                guard count > 0 else { continue }
                group.addTask {
                    var done = 0
                    var body = [UInt8](repeating: UInt8(truncatingIfNeeded: w), count: size)
                    while done < count {
                        let k = min(batch, count - done)
                        if size >= 8 { withUnsafeBytes(of: UInt64(done).littleEndian) { body.replaceSubrange(0..<8, with: $0) } }
                        if k == 1 {
                            let seq = try await journal.append(body)
                            if acks { printer.ack(seq...seq) }
                        } else {
                            let range = try await journal.append(contentsOf: Array(repeating: body, count: k))
                            if acks { printer.ack(range) }
                        }
                        let before = done
                        done += k
                        if w == 0 && snapshotEvery > 0 && before / snapshotEvery != done / snapshotEvery {
                            let through = journal.lastSequence
                            try await journal.writeSnapshot(Array("stress snapshot through \(through)".utf8), lastSequence: through)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await journal.close()
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        output.err(String(format: "docket: %d records (%d bytes each, batch %d, %d writer(s), %@) in %.3f s: %.0f records/s",
                          records, size, batch, writers, durability.description, seconds, Double(records) / max(seconds, 1e-9)))
        return ExitCode.success
    }
}

/// Serialises ack lines from many writer tasks onto one output.
///
/// `@unchecked Sendable`: `output` is only touched inside `lock.withLock`, so at most one thread
/// uses it at a time.
final class AckPrinter: @unchecked Sendable {
    private let output: CLIOutput
    private let lock = Mutex(())

    init(output: CLIOutput) { self.output = output }

    func ack(_ range: ClosedRange<UInt64>) {
        lock.withLock { _ in
            for seq in range { output.out("ack \(seq)") }
        }
    }
}
