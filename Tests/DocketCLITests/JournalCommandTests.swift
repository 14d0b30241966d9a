import Foundation
import Testing
@testable import DocketCLI

@Suite struct JournalCommandTests {
    func tempDir() -> String {
        let path = NSTemporaryDirectory() + "docket-cli-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func stressPrintsAcksAndVerifyDumpStatsReadTheJournal() async throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/j"
        let out = CapturedOutput()
        let code = await DocketCLI.run(["journal", "stress", dir, "--records", "40", "--writers", "4", "--batch", "2",
                                        "--durability", "interval:5", "--acks", "--size", "16"], output: out)
        #expect(code == 0, "\(out.stderr)")
        #expect(Set(out.stdout) == Set((1...40).map { "ack \($0)" }))

        let verify = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "verify", dir], output: verify) == 0)
        #expect(verify.stdout.first?.hasPrefix("ok: 1 segment(s), 0 snapshot(s), 40 record(s)") == true)

        let json = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "verify", dir, "--json"], output: json) == 0)
        #expect(json.stdout.first?.contains("\"clean\":true") == true)

        let dump = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir, "--from", "39", "--limit", "5"], output: dump) == 0)
        #expect(dump.stdout.count == 2)
        #expect(dump.stdout.first?.hasPrefix("39\t") == true)
        #expect(dump.stdout.first?.contains("size=16") == true)

        let dumpJSON = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir, "--limit", "1", "--json", "--base64"], output: dumpJSON) == 0)
        #expect(dumpJSON.stdout.first?.contains("\"sequence\":1") == true)
        #expect(dumpJSON.stdout.first?.contains("\"base64\":") == true)

        let stats = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "stats", dir, "--json"], output: stats) == 0)
        #expect(stats.stdout.first?.contains("\"records\":40") == true)
        #expect(stats.stdout.first?.contains("\"lastSequence\":40") == true)
    }

    /// A journal of ten records in `root`/j, its one segment changed by `damage`; the directory.
    static func tenRecords(in root: String, damage: (inout [UInt8]) throws -> Void) async throws -> String {
        let dir = root + "/j"
        #expect(await DocketCLI.run(["journal", "stress", dir, "--records", "10", "--durability", "none"], output: CapturedOutput()) == 0)
        let segment = dir + "/wal-0000000000000001.log"
        var bytes = [UInt8](FileManager.default.contents(atPath: segment) ?? Data())
        try damage(&bytes)
        _ = FileManager.default.createFile(atPath: segment, contents: Data(bytes))
        return dir
    }

    @Test func verifyReportsTheFirstBadSegmentOffsetAndReason() async throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = try await Self.tenRecords(in: root) { $0[96 + 40] ^= 0xFF }  // inside the first record's payload
        let out = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "verify", dir], output: out) == 1)
        #expect(out.stdout.first?.contains("wal-0000000000000001.log offset 96: record checksum mismatch") == true, "\(out.stdout)")
        let dump = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir], output: dump) == 1)
        #expect(dump.stderr.first?.contains("record checksum mismatch") == true)
    }

    /// A torn tail (the last record cut, as by a crash or a write in progress) is not damage
    /// for dump, as for stats and inspect: every record before it printed, a note, exit 0.
    @Test func dumpTakesATornTailAsTheEnd() async throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = try await Self.tenRecords(in: root) { bytes in
            let last = try #require(bytes.lastIndex { $0 != 0 })
            for i in (last - 4)...last { bytes[i] = 0 }  // the last record's end, never written
        }
        let verify = CapturedOutput()
        _ = await DocketCLI.run(["journal", "verify", dir], output: verify)
        #expect(verify.stdout.joined().contains("torn tail"), "the cut reads as a torn tail: \(verify.stdout)")
        let dump = CapturedOutput()
        #expect(await DocketCLI.run(["journal", "dump", dir], output: dump) == 0, "\(dump.stderr)")
        #expect(dump.stdout.count == 9 && dump.stderr.contains { $0.contains("the journal ends in") }, "\(dump.stdout.count) \(dump.stderr)")
    }

    @Test func badUsageExitsWithTwo() async {
        for args in [["journal"], ["journal", "verify"], ["journal", "frobnicate", "/tmp"], ["journal", "stress", "/tmp/x"],
                     ["journal", "stress", "/tmp/x", "--records", "5", "--durability", "sometimes"],
                     ["journal", "dump", "/nonexistent-docket-dir"], ["journal", "dump", "/tmp", "--from", "0"]] {
            let out = CapturedOutput()
            #expect(await DocketCLI.run(args, output: out) == 2, "\(args)")
            #expect(!out.stderr.isEmpty)
        }
    }

    @Test func durabilityParsing() throws {
        #expect(try JournalStressCommand.parseDurability("always").description == "always")
        #expect(try JournalStressCommand.parseDurability("none").description == "none")
        #expect(try JournalStressCommand.parseDurability("interval:250").description == "interval:250")
        #expect(throws: UsageError.self) { try JournalStressCommand.parseDurability("interval:0") }
    }
}
