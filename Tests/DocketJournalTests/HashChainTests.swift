import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// T1 (SHA-256 NIST vectors) and T4 (an adversarial edit that recomputes both CRCs is caught by
/// the hash chain).
@Suite struct HashChainTests {
    @Test func sha256MatchesTheNISTVectors() {
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([]).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)).hexString
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        var h = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256IsIndependentOfHowInputIsSplit() {
        let seed: UInt64 = 0x5A5A
        print("sha256 split seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let cut = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            var h = SHA256()
            h.update(Array(bytes[..<cut]))
            h.update(Array(bytes[cut...]))
            #expect(h.finalize() == SHA256.hash(bytes))
        }
    }

    @Test func editWithRecomputedChecksumsIsDetected() async throws {
        let tmp = TempDirectory("chain")
        defer { tmp.remove() }
        let built = try await BuiltJournal.make(in: tmp.journal, count: 30, payloadSize: 40, hashChain: true)
        let path = built.path(built.segments[0])
        var bytes = fileBytes(path)
        let ends = recordEnds(bytes)
        let start = ends[9].end  // record 11
        bytes[start + RecordFormat.headerSize + 3] ^= 0xFF
        // Recompute both CRCs as an attacker would.
        bytes.withUnsafeMutableBytes { raw in
            let ro = UnsafeRawBufferPointer(raw)
            let length = Int(ro.le32(start + 4))
            raw.put32(CRC32C.mask(ro.crc(start + 4, 24)), start + 28)
            raw.put32(CRC32C.mask(ro.crc(start + 4, RecordFormat.headerSize + length + 32 - 4)), start)
        }
        writeBytes(path, bytes)
        let check = try JournalReader.verify(directory: built.dir)
        #expect(!check.isClean)
        #expect(check.problems.first?.reason.contains("hash chain") == true)
        #expect(throws: JournalError.self) { _ = try openJournal(built.dir) }
    }

    /// `verify` compares each snapshot's recorded chain hash with the log's at its sequence,
    /// as recovery does before starting from it: a snapshot of another history (here, its
    /// hash changed and its checksum recomputed) is reported, one at a segment boundary too.
    @Test func verifyComparesSnapshotsWithTheChain() async throws {
        let tmp = TempDirectory("chain3")
        defer { tmp.remove() }
        // Snapshots at 100 (the log then reaches 100: the next segment starts at 101) and at
        // 150, taken when the log had reached 180 (mid-segment).
        var config = JournalConfiguration(durability: .none)
        config.segmentSize = 1 << 20
        config.hashChain = true
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...200 {
            try journal.submit(payload(i))
            if i == 100 { try await journal.writeSnapshot(Array("s100".utf8), lastSequence: 100) }
            if i == 180 { try await journal.writeSnapshot(Array("s150".utf8), lastSequence: 150) }
        }
        try await journal.close()
        #expect(try JournalReader.verify(directory: tmp.journal).isClean)
        for sequence: UInt64 in [100, 150] {
            let dir = tmp.path + "/v\(sequence)"
            copyDirectory(tmp.journal, dir)
            let path = dir + "/" + JournalFiles.snapshotName(sequence)
            var file = try fileBytes(path).withUnsafeBytes { try SnapshotFile.decode($0).get() }
            file.chainHash[0] ^= 1
            writeBytes(path, file.bytes)
            let check = try JournalReader.verify(directory: dir)
            #expect(check.problems.map(\.file) == [JournalFiles.snapshotName(sequence)], "\(check.problems)")
            #expect(check.problems.first?.reason.contains("another history") == true)
        }
    }

    @Test func chainHeadIsReportedAndSurvivesReopen() async throws {
        let tmp = TempDirectory("chain2")
        defer { tmp.remove() }
        var config = JournalConfiguration(durability: .always)
        config.hashChain = true
        config.segmentSize = 4096
        let (journal, _) = try openJournal(tmp.journal, config)
        for i in 1...100 { try journal.submit(payload(i, size: 50)) }
        try await journal.sync()
        let head = journal.chainHead
        try await journal.close()
        let (reopened, _) = try openJournal(tmp.journal, config)
        #expect(reopened.recoveryReport.chainVerified)
        #expect(reopened.recoveryReport.chainHead == head)
        #expect(try JournalReader.verify(directory: tmp.journal).report.chainHead == head)
        try await reopened.close()
    }
}
