import DocketTestSupport
import Foundation
import Synchronization
import Testing
@testable import DocketJournal

/// T9, systematically: a short `.always` workload (appends, batches, rotations, a snapshot with
/// retention) runs on the simulated disk, which keeps its state after every file-system
/// operation. Then, for every one of those points, several power-loss variants of that state are
/// recovered: recovery must succeed, return a gap-free prefix of what was appended with the
/// right payloads, and contain every record whose append had returned before that point.
@Suite struct CrashEveryOperationTests {
    /// Small segments (filled whole at their first write), and larger ones filled 4 KiB at a
    /// time, so that groups also run past the zeros and get split at segment ends.
    @Test(arguments: [(1024, 1 << 20), (8192, 512)]) func powerLossAfterEveryFileSystemOperation(segmentSize: Int, step: Int) async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = segmentSize
        config.preallocationStep = step
        config.hashChain = true
        disk.startRecording()
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        // ackedAt[seq] = number of recorded states when the append of seq had returned.
        var ackedAt: [UInt64: Int] = [:]
        // Larger segments get larger records and batches, to cross many fill steps.
        let size = segmentSize > 1024 ? 150 : 30
        let batch = segmentSize > 1024 ? 6 : 2
        for i in 1...40 {
            if i % 10 == 0 {
                let range = try await journal.append(contentsOf: (0..<batch).map { payload(i + 1000 * $0, size: size) })
                for s in range { ackedAt[s] = disk.recordedCount }
            } else {
                let seq = try await journal.append(payload(i, size: size))
                ackedAt[seq] = disk.recordedCount
            }
            if i == 15 || i == 30 {
                try await journal.writeSnapshot(Array("through \(journal.lastSequence)".utf8), lastSequence: journal.lastSequence)
            }
        }
        try await journal.close()
        // What each sequence's payload is.
        var expected: [UInt64: [UInt8]] = [:]
        var seq: UInt64 = 1
        for i in 1...40 {
            for k in 0..<(i % 10 == 0 ? batch : 1) {
                expected[seq] = payload(i + 1000 * k, size: size)
                seq += 1
            }
        }
        let states = disk.recordedStates
        #expect(states.count > 100)
        let seed: UInt64 = 0xA11CE
        print("CrashEveryOperationTests seed \(seed), \(states.count) states")
        var rng = SeededGenerator(seed: seed)
        var prefixesCut = 0
        for (k, state) in states.enumerated() {
            // Three random power losses, then one per prefix of the directory operations
            // (create, rename, unlink) not yet made durable, each kept exactly.
            let pending = SimulatedDisk(copying: state).unsyncedDirectoryOperations
            let variants: [(tear: Bool, keep: Int?)] = [(false, nil), (true, nil), (true, nil)] + (pending > 0 ? (0...pending).map { (true, $0) } : [])
            prefixesCut += pending > 0 ? pending + 1 : 0
            for (variant, how) in variants.enumerated() {
                let crashed = SimulatedDisk(copying: state)
                crashed.crash(rng: &rng, tearSectors: how.tear, keepDirectoryOperations: how.keep)
                var snapshot: UInt64 = 0
                var records: [JournalRecord] = []
                let reopened: Journal
                do {
                    reopened = try Journal.open(directory: "/sim/j", configuration: config, io: crashed.startProcess(), crash: .none,
                                                snapshot: { snapshot = $0.lastSequence }, record: { records.append($0) })
                } catch {
                    Issue.record("state \(k) variant \(variant): recovery failed: \(error)")
                    continue
                }
                let last = reopened.recoveryReport.lastSequence
                #expect(records.map(\.sequence) == Array(stride(from: snapshot + 1, through: last, by: 1)), "state \(k)/\(variant)")
                for r in records where r.payload != expected[r.sequence] { Issue.record("state \(k)/\(variant): wrong payload at \(r.sequence)") }
                // Acknowledged with n states recorded: the n-th (index n − 1, the state right
                // after the acknowledging sync) must already hold it.
                let mustHave = ackedAt.filter { $0.value - 1 <= k }.keys.max() ?? 0
                #expect(last >= mustHave, "state \(k)/\(variant): acknowledged \(mustHave), recovered \(last)")
                try await reopened.close()
            }
        }
        #expect(prefixesCut > 0, "no state had an unsynced directory operation to cut")
        print("CrashEveryOperationTests: \(prefixesCut) directory-operation prefixes cut")
    }
}
