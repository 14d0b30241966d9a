import Foundation
import Testing
@testable import DocketJournal

/// Review finding 7: point-in-time recovery sets later segments aside before it cuts the
/// damaged one, so a crash (kill or power loss) between its repairs never leaves a cut segment
/// followed by the segments that continue from the cut bytes.
@Suite struct PointInTimeRepairOrderTests {
    @Test func crashBetweenRepairsNeverLeavesAHole() async throws {
        let disk = SimulatedDisk(directories: ["/sim"])
        var config = JournalConfiguration(durability: .always)
        config.segmentSize = 4096
        let (journal, _) = try openJournal("/sim/j", config, io: disk)
        for i in 1...200 { try journal.submit(payload(i), timestamp: UInt64(i)) }
        try await journal.close()
        let segments = disk.names(in: "/sim/j").filter { JournalFiles.segmentNumber($0) != nil }
        // Four or five: how the I/O thread groups the 200 submits (a group-end marker each)
        // varies from run to run. The test needs a damaged segment with live ones after it.
        try #require(segments.count >= 4, "\(segments)")
        // Damage the payload of a record in the middle of segment 2.
        let damaged = "/sim/j/" + segments[1]
        let original = disk.contents(damaged) ?? []
        let ends = recordEnds(original).filter { $0.kind == RecordKind.data.rawValue }
        let victim = ends[ends.count / 2]
        let lastKept = victim.sequence - 1
        let fd = try disk.open(damaged, .readWrite)
        try disk.writeAll(fd, [original[victim.end - 20] ^ 0xFF], at: Int64(victim.end - 20), path: damaged)
        try disk.fullSync(fd)
        disk.close(fd)

        var pit = config
        pit.recovery = .pointInTime
        disk.startRecording()
        let (repaired, replayed) = try openJournal("/sim/j", pit, io: disk)
        #expect(replayed.sequences == Array(1...lastKept))
        #expect(repaired.recoveryReport.lostSequences == [victim.sequence...200])
        try await repaired.close()

        let states = disk.recordedStates
        var sawCut = false
        for (k, state) in states.enumerated() {
            for powerLoss in [false, true] {
                let crashed = SimulatedDisk(copying: state)
                if powerLoss { crashed.crashLosingEverythingUnsynced() } else { crashed.killProcesses() }
                let names = crashed.names(in: "/sim/j")
                let cut = (crashed.contents(damaged)?.count ?? 0) < original.count
                let laterLive = segments[2...].contains { names.contains($0) }
                #expect(!(cut && laterLive), "state \(k) power loss \(powerLoss): \(segments[1]) cut while later segments are live: \(names)")
                sawCut = sawCut || cut
                // Recovery from there reaches the same point in time.
                let (again, replayedAgain) = try openJournal("/sim/j", pit, io: crashed.startProcess())
                #expect(replayedAgain.sequences == Array(1...lastKept), "state \(k) power loss \(powerLoss)")
                try await again.close()
            }
        }
        #expect(sawCut)
    }
}
