import DocketTestSupport
import Foundation
import Testing
@testable import DocketJournal

/// T7 (kill -9 of a child process at random moments), T8 (named crash points) and T13 (locking
/// across processes). The child is the real `docket journal stress … --acks`; every sequence it
/// printed as acknowledged must be there after reopening.
@Suite(.enabled(if: DocketBinary.available, "the docket executable is not built next to the test bundle (run `swift build` first)"))
struct CrashProcessTests {
    /// Reopens `dir` in-process and checks every acknowledged sequence, gap-free order and that
    /// appending still works.
    func checkSurvivors(_ dir: String, acks: [UInt64], label: String) async throws {
        let (journal, replayed) = try openJournal(dir)
        let report = journal.recoveryReport
        let start = (replayed.snapshot?.lastSequence ?? 0) + 1
        #expect(replayed.sequences == Array(stride(from: start, through: report.lastSequence, by: 1)), "\(label): replay not gap-free")
        if let highest = acks.max() {
            #expect(report.lastSequence >= highest, "\(label): acknowledged \(highest) but recovered only \(report.lastSequence)")
        }
        let next = try await journal.append([1, 2, 3])
        #expect(next == report.lastSequence + 1)
        try await journal.close()
    }

    @Test func killNineAtRandomMoments() async throws {
        let seed: UInt64 = 0xC0FF_EE00 ^ UInt64(ProcessInfo.processInfo.processIdentifier & 0)
        print("CrashProcessTests kill seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let tmp = TempDirectory("kill")
        defer { tmp.remove() }
        let dir = tmp.journal
        for round in 0..<8 {
            let durability = ["always", "interval:5", "none"][round % 3]
            let child = try DocketChild(["journal", "stress", dir, "--records", "10000000", "--writers", "8",
                                         "--durability", durability, "--acks", "--segment-size", "65536",
                                         "--snapshot-every", "3000"])
            // Kill after a random number of acknowledgements: a random moment without sleeping.
            await child.readAcks(atLeast: 1 + Int(rng.next() % 4000))
            child.kill()
            let end = await child.finish()
            #expect(end.reason == .uncaughtSignal, "round \(round): child ended by itself: \(end.stderr)")
            try await checkSurvivors(dir, acks: child.acks, label: "round \(round) (\(durability))")
        }
    }

    @Test(arguments: CrashPoint.allCases)
    func namedCrashPoint(_ point: CrashPoint) async throws {
        let tmp = TempDirectory("crashpoint")
        defer { tmp.remove() }
        let dir = tmp.journal
        for hit in [1, 3] {
            let child = try DocketChild(["journal", "stress", dir, "--records", "20000", "--writers", "4", "--batch", "3",
                                         "--durability", "always", "--acks", "--segment-size", "4096",
                                         "--snapshot-every", "300"],
                                        environment: [CrashPoints.environmentVariable: "\(point.rawValue):\(hit)"])
            let end = await child.finish()
            #expect(end.reason == .uncaughtSignal && end.status == SIGKILL, "\(point.rawValue):\(hit) did not crash: \(end.stderr)")
            #expect(!child.killedByWatchdog, "\(point.rawValue):\(hit): killed by the watchdog, not at the crash point")
            // No orphan (temporary file, half-made segment) blocks the next open.
            try await checkSurvivors(dir, acks: child.acks, label: "\(point.rawValue):\(hit)")
        }
    }

    @Test func secondOpenerIsRefusedInThisAndAnotherProcess() async throws {
        let tmp = TempDirectory("lock")
        defer { tmp.remove() }
        let (journal, _) = try openJournal(tmp.journal)
        // Same process.
        #expect(throws: JournalError.journalLocked(directory: tmp.journal)) { _ = try openJournal(tmp.journal) }
        // Another process.
        let child = try DocketChild(["journal", "stress", tmp.journal, "--records", "1"])
        let end = await child.finish()
        #expect(end.reason == .exit && end.status == 1)
        #expect(end.stderr.contains("locked"), "\(end.stderr)")
        try await journal.close()
        // Released on close: both can open again.
        let again = try DocketChild(["journal", "stress", tmp.journal, "--records", "5"])
        #expect(await again.finish().status == 0)
    }

    @Test func lockOfAKilledHolderIsReleased() async throws {
        let tmp = TempDirectory("lock2")
        defer { tmp.remove() }
        let child = try DocketChild(["journal", "stress", tmp.journal, "--records", "10000000", "--durability", "none", "--acks"])
        await child.readAcks(atLeast: 10)
        #expect(throws: JournalError.journalLocked(directory: tmp.journal)) { _ = try openJournal(tmp.journal) }
        child.kill()
        _ = await child.finish()
        try await checkSurvivors(tmp.journal, acks: child.acks, label: "killed holder")
    }
}
