import Docket
import DocketJournal
import Foundation

/// `docket journal verify|dump|stats|stress DIR ...`
enum JournalCommand {
    static let usage = """
        usage: docket journal verify DIR [--archive] [--json]
               docket journal dump DIR [--from SEQ] [--limit N] [--base64] [--raw] [--salvage] [--archive] [--json]
               docket journal stats DIR [--json]
               docket journal replay DIR (--to SEQ | --at ISO8601) [--archive] [--tasks] [--status S] [--name H] [--queue Q] [--key K] [--limit N] [--json]
               docket journal compact DIR [--retention delete|archive] [--keep N (default 1)] [--json]
               docket journal stress DIR --records N [--size BYTES] [--batch K] [--writers W]
                                     [--durability always|interval:MS|none] [--acks]
                                     [--segment-size BYTES] [--snapshot-every N]
        """

    static func run(_ arguments: [String], output: CLIOutput, progress: ProgressTiming = .standard) async throws -> Int32 {
        guard let sub = arguments.first else { throw UsageError(usage) }
        let rest = Array(arguments.dropFirst())
        switch sub {
        case "verify": return try verify(rest, output: output, progress: progress)
        case "dump": return try dump(rest, output: output)
        case "stats": return try stats(rest, output: output, progress: progress)
        case "compact": return try await compact(rest, output: output, progress: progress)
        case "replay":
            // The engine state as of a record or a time: `docket inspect --as-of/--at`.
            guard rest.contains(where: { $0 == "--to" || $0.hasPrefix("--to=") || $0 == "--at" || $0.hasPrefix("--at=") }) else {
                throw UsageError("journal replay needs --to SEQ or --at TIME\n\(usage)")
            }
            // In this command's own words: its option is --to, its usage this one.
            return try InspectCommand.run(rest, output: output, progress: progress, label: "replay", asOfOption: "--to", usageText: usage)
        case "stress": return try await JournalStressCommand.run(rest, output: output)
        default: throw UsageError("unknown journal command '\(sub)'\n\(usage)")
        }
    }

    static func directory(_ args: Arguments) throws -> String {
        guard args.positionals.count == 1, let dir = args.positionals.first else {
            throw UsageError("expected exactly one journal directory\n\(usage)")
        }
        try UsageError.checkJournalDirectory(dir)
        return dir
    }

    static func problemJSON(_ p: JournalCorruption) -> String {
        var j = JournalJSON()
        j.add("file", p.file)
        if let o = p.offset { j.add("offset", o) } else { j.add("offset", raw: "null") }
        j.add("reason", p.reason)
        j.add("tornTail", p.isTornTail)
        return j.text
    }

    static func problemText(_ p: JournalCorruption) -> String {
        "\(p.file)\(p.offset.map { " offset \($0)" } ?? ""): \(p.reason)\(p.isTornTail ? " (torn tail: an interrupted write, repaired on open)" : "")"
    }

    static func verify(_ arguments: [String], output: CLIOutput, progress timing: ProgressTiming = .standard) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], flags: ["--json", "--archive"])
        let dir = try directory(args)
        let result = try ProgressLine("verify", output: output, timing: timing).run { line in
            try JournalReader.verify(directory: dir, includeArchive: args.has("--archive"), progress: line.record)
        }
        if args.has("--json") {
            var j = JournalJSON()
            j.add("clean", result.isClean)
            j.add("segments", result.segments)
            j.add("snapshots", result.snapshots)
            j.add("records", result.report.recordsRead)
            j.add("firstSequence", result.firstSequence)
            j.add("lastSequence", result.report.lastSequence == 0 ? nil : result.report.lastSequence)
            j.add("chainHead", result.report.chainHead)
            j.add("problems", raw: JournalJSON.array(result.problems.map(problemJSON)))
            output.out(j.text)
        } else if result.isClean {
            let sequences = result.firstSequence.map { "sequences \($0)…\(result.report.lastSequence)" }
                ?? (result.report.lastSequence > 0 ? "no records after the snapshot through \(result.report.lastSequence)" : "no records")
            output.out("ok: \(result.segments) segment(s), \(result.snapshots) snapshot(s), \(result.report.recordsRead) record(s), \(sequences)\(result.report.chainHead.map { ", chain head \($0)" } ?? "")")
        } else {
            for p in result.problems { output.out("bad: " + problemText(p)) }
        }
        return result.isClean ? ExitCode.success : ExitCode.checkFailed
    }

    static func dump(_ arguments: [String], output: CLIOutput) throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--from", "--limit"], flags: ["--json", "--base64", "--raw", "--salvage", "--archive"])
        let dir = try directory(args)
        let from = UInt64(try args.int("--from", default: 1, in: 1...Int.max))
        let limit = try args.int("--limit", default: Int.max, in: 1...Int.max)
        let json = args.has("--json")
        let base64 = args.has("--base64")
        let raw = args.has("--raw")
        var printed = 0
        struct Enough: Error {}
        let report: RecoveryReport
        var lastPrinted: UInt64?
        var retried = false
        let salvage = args.has("--salvage")
        do {
            // A file removed meanwhile by a live instance's retention: read again, on from the
            // record after the last one printed (nothing is printed twice).
            report = try JournalReader.againIfAFileVanished { attempt in
                retried = attempt > 1
                return try JournalReader.read(directory: dir, mode: salvage ? .salvage : .strict,
                                       from: lastPrinted.map { $0 + 1 } ?? from, includeArchive: args.has("--archive")) { r in
                    guard printed < limit else { throw Enough() }
                    if let last = lastPrinted, r.sequence > last + 1 {
                        if retried {
                            output.err("docket: records \(last + 1)…\(r.sequence - 1) were removed by retention while dump read them")
                        } else if salvage {
                            output.err("docket: records \(last + 1)…\(r.sequence - 1) skipped: damaged")
                        }
                    }
                    printed += 1
                    lastPrinted = r.sequence
                    let data = base64 ? Data(r.payload).base64EncodedString() : r.payload.map { String(format: "%02x", $0) }.joined()
                    // Engine records (tag 0x4431) as text, unless the raw bytes were asked for.
                    let decoded = raw ? nil : EngineRecords.describe(tag: r.tag, payload: r.payload)
                    if json {
                        var j = JournalJSON()
                        j.add("sequence", r.sequence)
                        j.add("timestamp", r.timestamp)
                        j.add("time", iso8601(r.timestamp))
                        j.add("type", Int(r.tag))
                        j.add("size", r.payload.count)
                        j.add(base64 ? "base64" : "hex", data)
                        if !raw { j.add("decoded", decoded) }
                        output.out(j.text)
                    } else {
                        // One line per record: an error text's line breaks and tabs are escaped,
                        // and so its backslashes, or a text holding `\n` would read as a line break.
                        let text = InspectCommand.oneLine(decoded ?? data)
                        output.out("\(r.sequence)\t\(iso8601(r.timestamp))\ttype=\(r.tag)\tsize=\(r.payload.count)\t\(text)")
                    }
                }
            }
        } catch is Enough {
            return ExitCode.success
        }
        if retried, let last = lastPrinted, report.lastSequence > last {
            // Every record after the last one printed was removed before the second read.
            output.err("docket: records \(last + 1)…\(report.lastSequence) were removed by retention while dump read them")
        }
        if let anomaly = report.anomaly {
            // A torn tail is a write in progress (or one a crash cut): every record before it
            // was printed, as stats and inspect take it, not a problem found.
            if anomaly.isTornTail && !salvage {
                output.err("docket: the journal ends in \(problemText(anomaly))")
                return ExitCode.success
            }
            output.err("docket: \(salvage ? "skipped damage, the first at" : "stopped at damage:") \(problemText(anomaly))")
            return ExitCode.checkFailed
        }
        return ExitCode.success
    }

    /// Opens the Docket directory (recovering it as any open does), writes a snapshot and
    /// applies retention, then reports the sizes before and after. Retention defaults to what
    /// the directory shows: `archive` when it has an `archive/` (so an audit trail is never
    /// deleted by this command), else `delete`; the hash chain setting is kept as found.
    static func compact(_ arguments: [String], output: CLIOutput, progress timing: ProgressTiming = .standard) async throws -> Int32 {
        let args = try Arguments(arguments, valued: ["--retention", "--keep"], flags: ["--json"])
        let dir = try directory(args)
        return try await ProgressLine("compact: sizes", output: output, timing: timing).run { line in
            try await compact(dir, args, output: output, line: line)
        }
    }

    /// `compact` with its progress line: the sizes before (a read of every record), the
    /// recovery, and the sizes after, each a phase of the line.
    private static func compact(_ dir: String, _ args: Arguments, output: CLIOutput, line: ProgressLine) async throws -> Int32 {
        let before = try JournalReader.statistics(directory: dir, progress: line.record)
        guard before.segments > 0 || before.snapshots > 0 else {
            line.clear()
            output.err("docket: \(dir) holds no journal (no segment, no snapshot); nothing to compact")
            return ExitCode.checkFailed
        }
        var config = DocketConfiguration()
        config.allowUnregisteredHandlers = true
        config.snapshotOnClose = true
        config.journal.hashChain = before.hashChained
        // One kept snapshot by default: with two, each compact could only trim up to the one before.
        config.journal.snapshotsToKeep = try args.int("--keep", default: 1, in: 1...1_000)
        switch args.value("--retention") {
        case nil: config.journal.retention = before.archivedSegments > 0 || FileManager.default.fileExists(atPath: dir + "/archive") ? .archive : .delete
        case "delete": config.journal.retention = .delete
        case "archive": config.journal.retention = .archive
        case let other?: throw UsageError("--retention takes delete or archive, not '\(other)'")
        }
        let docket: Docket
        do {
            line.phase("compact: recovering")
            docket = try await Docket.open(directory: dir, configuration: config, progress: line.record)
        } catch {
            line.clear()
            output.err("docket: \(error)")
            return ExitCode.of(error)
        }
        await docket.close()
        line.phase("compact: sizes after")
        let after = try JournalReader.statistics(directory: dir, progress: line.record)
        line.clear()
        // `close` writes the snapshot without reporting a failure: check it is there.
        guard let newest = after.newestSnapshotSequence, newest >= (after.lastSequence ?? 0) else {
            output.err("docket: no snapshot through sequence \(after.lastSequence ?? 0) was written (disk full or not writable?); nothing was compacted")
            return ExitCode.checkFailed
        }
        if args.has("--json") {
            func sizes(_ s: JournalStatistics) -> String {
                var j = JournalJSON()
                j.add("segments", s.segments)
                j.add("segmentBytes", s.segmentBytes)
                j.add("snapshots", s.snapshots)
                j.add("snapshotBytes", s.snapshotBytes)
                j.add("archivedSegments", s.archivedSegments)
                return j.text
            }
            var j = JournalJSON()
            j.add("before", raw: sizes(before))
            j.add("after", raw: sizes(after))
            j.add("newestSnapshotSequence", after.newestSnapshotSequence)
            j.add("retention", config.journal.retention == .archive ? "archive" : "delete")
            output.out(j.text)
            return ExitCode.success
        }
        output.out("before: \(before.segments) segment(s), \(before.segmentBytes) bytes; \(before.snapshots) snapshot(s), \(before.snapshotBytes) bytes")
        output.out("after:  \(after.segments) segment(s), \(after.segmentBytes) bytes; \(after.snapshots) snapshot(s), \(after.snapshotBytes) bytes"
                   + "\(after.newestSnapshotSequence.map { "; newest snapshot through \($0)" } ?? "")"
                   + " (retention \(config.journal.retention == .archive ? "archive: \(after.archivedSegments) archived segment(s)" : "delete"))")
        return ExitCode.success
    }

    static func stats(_ arguments: [String], output: CLIOutput, progress timing: ProgressTiming = .standard) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], flags: ["--json"])
        let dir = try directory(args)
        let s = try ProgressLine("stats", output: output, timing: timing).run { line in
            try JournalReader.statistics(directory: dir, progress: line.record)
        }
        if args.has("--json") {
            var j = JournalJSON()
            j.add("segments", s.segments)
            j.add("archivedSegments", s.archivedSegments)
            j.add("snapshots", s.snapshots)
            j.add("newestSnapshotSequence", s.newestSnapshotSequence)
            j.add("records", s.records)
            j.add("payloadBytes", s.payloadBytes)
            j.add("segmentBytes", s.segmentBytes)
            j.add("snapshotBytes", s.snapshotBytes)
            j.add("firstSequence", s.firstSequence)
            // The journal's last sequence, as verify and inspect give it: the last record's, or
            // the snapshot's when a compaction left no record after it.
            j.add("lastSequence", s.lastSequence.map { max($0, s.newestSnapshotSequence ?? 0) } ?? s.newestSnapshotSequence)
            j.add("firstTime", s.firstTimestamp.map(iso8601))
            j.add("lastTime", s.lastTimestamp.map(iso8601))
            j.add("chainHead", s.chainHead)
            j.add("damage", raw: s.anomaly.map(problemJSON) ?? "null")
            output.out(j.text)
        } else {
            output.out("segments:   \(s.segments) (\(s.segmentBytes) bytes)\(s.archivedSegments > 0 ? ", \(s.archivedSegments) archived" : "")")
            output.out("snapshots:  \(s.snapshots) (\(s.snapshotBytes) bytes)\(s.newestSnapshotSequence.map { ", newest through \($0)" } ?? "")")
            output.out("records:    \(s.records) (\(s.payloadBytes) payload bytes)")
            if let first = s.firstSequence, let last = s.lastSequence {
                output.out("sequences:  \(first) … \(last)")
            } else {
                output.out("sequences:  no records\(s.newestSnapshotSequence.map { " (the snapshot holds everything through \($0))" } ?? "")")
            }
            output.out("time:       \(s.firstTimestamp.map(iso8601) ?? "-") … \(s.lastTimestamp.map(iso8601) ?? "-")")
            if let head = s.chainHead { output.out("chain head: \(head)") }
            if let a = s.anomaly { output.out("damage:     \(problemText(a))") }
        }
        return s.anomaly == nil || s.anomaly?.isTornTail == true ? ExitCode.success : ExitCode.checkFailed
    }

    /// Unix nanoseconds as an ISO 8601 UTC instant with microseconds.
    static func iso8601(_ ns: UInt64) -> String {
        var seconds = time_t(ns / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int((ns % 1_000_000_000) / 1000))
    }
}
