import Foundation

/// Times cronsim, croniter and python-dateutil on the same schedules, in a Python subprocess,
/// so the ratios come from one run on one machine.
enum PythonOracle {
    static let script = #"""
import json, sys, time
from datetime import datetime
from zoneinfo import ZoneInfo
req = json.load(sys.stdin)
out = {}
try:
    from cronsim import CronSim
except ImportError:
    CronSim = None
try:
    from croniter import croniter
except ImportError:
    croniter = None
try:
    from dateutil.rrule import rrulestr
except ImportError:
    rrulestr = None
def best(fn, rounds=5):
    times = []
    for _ in range(rounds):
        times.append(fn())
    times.sort()
    return times[len(times) // 2]
for zone in req["zones"]:
    tz = ZoneInfo(zone)
    start = datetime(2025, 1, 1, 0, 0, tzinfo=tz)
    for expr, calls in req["cron"]:
        key = "cron|%s|%s" % (expr, zone)
        out[key] = {}
        if CronSim:
            def run():
                it = CronSim(expr, start)
                t0 = time.perf_counter()
                for _ in range(calls):
                    try:
                        next(it)
                    except StopIteration:  # cronsim stops after 50 years; start over
                        it = CronSim(expr, start)
                return (time.perf_counter() - t0) / calls * 1e9
            try:
                out[key]["cronsim"] = best(run)
            except Exception:
                pass
        if croniter and len(expr.split()) == 5:
            def run2():
                it = croniter(expr, start)
                t0 = time.perf_counter()
                for _ in range(calls):
                    try:
                        it.get_next(datetime)
                    except Exception:  # croniter gives up after 50 years; start over
                        it = croniter(expr, start)
                return (time.perf_counter() - t0) / calls * 1e9
            try:
                out[key]["croniter"] = best(run2)
            except Exception:
                pass
    for rule in req["rrules"]:
        key = "rrule|%s|%s" % (rule, zone)
        out[key] = {}
        if rrulestr:
            def run3():
                it = iter(rrulestr(rule, dtstart=start))
                t0 = time.perf_counter()
                for _ in range(2000):
                    next(it)
                return (time.perf_counter() - t0) / 2000 * 1e9
            try:
                out[key]["dateutil"] = best(run3)
            except Exception:
                pass
json.dump(out, sys.stdout)
"""#

    /// Per "kind|expression|zone": oracle name → ns per next fire. Nil when Python or the
    /// packages are missing.
    static func measure(cron: [(String, Int)], rrules: [String], zones: [String]) -> [String: [String: Double]]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        struct Body: Encodable { var zones: [String]; var cron: [CronItem]; var rrules: [String] }
        struct CronItem: Encodable {
            var expr: String
            var calls: Int
            func encode(to encoder: any Encoder) throws {
                var c = encoder.unkeyedContainer()
                try c.encode(expr)
                try c.encode(calls)
            }
        }
        let body = Body(zones: zones, cron: cron.map { CronItem(expr: $0.0, calls: $0.1) }, rrules: rrules)
        if let data = try? JSONEncoder().encode(body) {
            input.fileHandleForWriting.write(data)
        }
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let result = try? JSONDecoder().decode([String: [String: Double]].self, from: data),
              result.values.contains(where: { !$0.isEmpty }) else { return nil }
        return result
    }
}
