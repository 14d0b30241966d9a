#!/usr/bin/env python3
"""Differential fuzz of `docket rrule next` against python-dateutil (2.9.0).

Compares in Docket's pattern-only mode (X-DOCKET-DTSTART:IF-MATCHING) and in the
default RFC mode (DTSTART always first, counts toward COUNT).
usage: rrulefuzz.py SEED N [--mode if|rfc|both] [--freqs F1,F2]

15 % of the starts fall in 2650-4000. Each expected instance must come within 400 years of the
one before (Docket's search horizon, per instance). Known divergences that show up as
mismatches (see the README's RRULE section and the design spec): dateutil applies BYSETPOS
after dropping the days of the first period before DTSTART (dateutil #1398), and steps
HOURLY/MINUTELY rules by wall clock across DST (Docket by elapsed time; masked only before
2060). Needs `swift build -c release` (or DOCKET=path); python-dateutil.
"""
import json
import os
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cronfuzz import transitions, off_at, run  # noqa: E402

DOCKET = os.environ.get("DOCKET", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "release", "docket"))
UTC = timezone.utc
WD = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Tehran", "Pacific/Chatham", "Europe/Dublin", "UTC", "Asia/Kolkata", "Pacific/Apia",
         "America/Havana", "Asia/Kathmandu"]
FIXED = {"UTC", "Asia/Kolkata", "Asia/Kathmandu"}
YEAR2700 = int(datetime(2699, 1, 1, tzinfo=UTC).timestamp())
SUBDAILY = {"HOURLY", "MINUTELY", "SECONDLY"}


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


def sample(rng, pool, kmax=3):
    return sorted(set(rng.choice(pool) for _ in range(rng.randint(1, kmax))), key=lambda v: (str(type(v)), v))


def gen_parts(rng, freq):
    p = {}
    if rng.random() < 0.3:
        p["BYMONTH"] = sample(rng, list(range(1, 13)))
    if freq == "YEARLY" and rng.random() < 0.2:
        p["BYWEEKNO"] = sample(rng, [v for v in range(-53, 54) if v != 0])
    if freq in ("YEARLY",) + tuple(SUBDAILY) and "BYWEEKNO" not in p and rng.random() < 0.2:
        p["BYYEARDAY"] = sample(rng, [v for v in range(-366, 367) if v != 0] + [1, -1, 59, 60, 365, 366, -366])
    if freq != "WEEKLY" and rng.random() < 0.3:
        p["BYMONTHDAY"] = sample(rng, [v for v in range(-31, 32) if v != 0])
    if rng.random() < 0.45:
        ordinal_ok = freq in ("MONTHLY", "YEARLY") and "BYWEEKNO" not in p
        if ordinal_ok and rng.random() < 0.5:
            lim = 5 if (freq == "MONTHLY" or "BYMONTH" in p) else 53
            # all entries ordinal (no mixing: dateutil intersects plain+ordinal)
            p["BYDAY"] = sample(rng, [f"{rng.choice([1, -1]) * rng.randint(1, lim)}{d}" for d in WD])
        else:
            p["BYDAY"] = sample(rng, WD)
    if rng.random() < 0.3:
        p["BYHOUR"] = sample(rng, list(range(24)))
    if rng.random() < 0.3:
        p["BYMINUTE"] = sample(rng, list(range(60)))
    if rng.random() < 0.2:
        p["BYSECOND"] = sample(rng, list(range(60)))
    if p and rng.random() < 0.25:
        p["BYSETPOS"] = sample(rng, [v for v in range(-10, 11) if v != 0], 2)
    if rng.random() < 0.3:
        p["WKST"] = [rng.choice(WD)]
    return p


ORDER = ["BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYHOUR", "BYMINUTE",
         "BYSECOND", "BYSETPOS", "WKST"]


def rule_text(freq, interval, parts, count, until):
    s = f"FREQ={freq}"
    if interval != 1:
        s += f";INTERVAL={interval}"
    if count:
        s += f";COUNT={count}"
    if until:
        s += ";UNTIL=" + until.strftime("%Y%m%dT%H%M%SZ")
    for k in ORDER:
        if k in parts:
            s += f";{k}=" + ",".join(str(v) for v in parts[k])
    return s


def dt_start(rng, zone, freq, parts):
    tz = ZoneInfo(zone)
    y = rng.randint(1975, 2045) if rng.random() < 0.85 else rng.randint(2650, 4000)
    tr = transitions(zone, 1975, 2046) if zone not in FIXED else []
    if tr and rng.random() < 0.35:
        t = rng.choice(tr)
        w = datetime.fromtimestamp(t, UTC).astimezone(tz).replace(tzinfo=None)
        # aim at the transition day's wall clock (inside gap/fold or close)
        w = w + timedelta(minutes=rng.choice([-90, -60, -30, -15, 0, 15, 30, 45]))
        if freq not in SUBDAILY and rng.random() < 0.5:
            w = w - timedelta(days=rng.choice([1, 7, 14, 28, 30, 365]))
    else:
        w = datetime(y, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.choice([0, 0, 15, 30, rng.randint(0, 59)]), rng.choice([0, 0, 0, rng.randint(0, 59)]))
        if rng.random() < 0.2:
            w = w.replace(day=rng.choice([29, 30, 31]) if w.month != 2 else 29) if _valid(w.year, w.month, 31 if w.month != 2 else 29) else w
    if "BYSETPOS" in parts and rng.random() < 0.7:
        w = w.replace(hour=0, minute=0, second=0)
        if freq == "YEARLY":
            w = w.replace(month=1, day=1)
        elif freq == "MONTHLY":
            w = w.replace(day=1)
        elif freq == "WEEKLY":
            wk = WD.index(parts.get("WKST", ["MO"])[0])
            w = w - timedelta(days=(w.weekday() - wk) % 7)
    if "BYSETPOS" in parts and freq in SUBDAILY:
        w = w.replace(minute=0 if freq == "HOURLY" else w.minute, second=0)
    return w


def _valid(y, m, d):
    try:
        datetime(y, m, d)
        return True
    except ValueError:
        return False


def dateutil_list(rule, wall, zone, limit_n):
    """Pattern-only instances (sorted, deduplicated instants) without COUNT; (list, complete)."""
    tz = ZoneInfo(zone)
    dts = wall.replace(tzinfo=tz)
    r = rrulestr(rule, dtstart=dts)
    out = []
    complete = True
    signal.alarm(3)
    try:
        for i, x in enumerate(r):
            out.append(int(x.timestamp()))
            if i >= limit_n:
                complete = False
                break
    finally:
        signal.alarm(0)
    return out, complete


def docket(text, after_u, n, tzarg=None):
    after = datetime.fromtimestamp(after_u, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cmd = [DOCKET, "rrule", "next", text, "--after", after, "-n", str(n), "--json"]
    if tzarg:
        cmd += ["--tz", tzarg]
    return run(cmd, timeout=30)


def fmt(us, zone):
    return [datetime.fromtimestamp(u, UTC).astimezone(ZoneInfo(zone)).isoformat() for u in us]


def main():
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    mode = "both"
    freqs = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
    args = sys.argv[3:]
    while args:
        a = args.pop(0)
        if a == "--mode":
            mode = args.pop(0)
        elif a == "--freqs":
            freqs = args.pop(0).split(",")
    rng = random.Random(seed)
    st = {"ok": 0, "mismatch": 0, "crash": 0, "skip": 0, "err": 0}
    NQ = 20
    for _ in range(n):
        freq = rng.choices(freqs, [20, 20, 15, 15, 10, 8, 6][:len(freqs)])[0]
        zone = rng.choice(ZONES)
        if freq in SUBDAILY and rng.random() < 0.5:
            zone = rng.choice(sorted(FIXED))
        interval = rng.choice([1, 1, 1, 2, 3, rng.randint(1, 12)])
        parts = gen_parts(rng, freq)
        wall = dt_start(rng, zone, freq, parts)
        count = until = None
        r = rng.random()
        if r < 0.4:
            count = rng.randint(1, 30)
        elif r < 0.6:
            until = datetime.fromtimestamp(int(wall.replace(tzinfo=ZoneInfo(zone)).timestamp()) + rng.randint(0, 3 * 365 * 86400 if freq not in SUBDAILY else 3 * 86400), UTC)
        rule = rule_text(freq, interval, parts, count, until)
        try:
            base, complete = dateutil_list(rule_text(freq, interval, parts, None, until), wall, zone, 400)
        except Timeout:
            st["skip"] += 1
            continue
        except Exception as e:
            st["skip"] += 1
            continue
        start_u = int(wall.replace(tzinfo=ZoneInfo(zone)).timestamp())
        # dateutil yields in wall order; Docket in instant order, deduplicated
        pat = sorted(set(base))
        if not complete:
            pat = pat[:300]
        limit_u = None
        if freq in SUBDAILY and zone not in FIXED:
            nxt = [t for t in transitions(zone, 1970, 2060) if t > start_u - 3600 * 26]
            if nxt:
                limit_u = nxt[0] - 3600 * 2  # before the first transition; elapsed vs wall stepping
        line0 = (f"DTSTART:{wall.strftime('%Y%m%dT%H%M%S')}Z" if zone == "UTC"
                 else f"DTSTART;TZID={zone}:{wall.strftime('%Y%m%dT%H%M%S')}")
        for m in (["if", "rfc"] if mode == "both" else [mode]):
            if m == "if":
                exp = pat[:count] if count else pat
                text = line0 + "\\nRRULE:" + rule + "\\nX-DOCKET-DTSTART:IF-MATCHING"
            else:
                allx = sorted(set([start_u] + pat))
                exp = allx[:count] if count else allx
                text = line0 + "\\nRRULE:" + rule
            if until and m == "rfc" and start_u > int(until.timestamp()):
                exp = [u for u in exp if u != start_u]  # DTSTART after UNTIL is not an instance (RFC)
            queries = [start_u - rng.randint(1, 86400 * 40)]
            if exp:
                queries.append(rng.choice(exp))
                queries.append(rng.randint(exp[0], exp[-1] + 1))
            for q in queries:
                want = []
                prev = max(q, start_u)
                for u in exp:
                    if u <= q: continue
                    if u - prev >= 399 * 365 * 86400: break
                    want.append(u); prev = u
                    if len(want) == NQ: break
                horizon = (want[-1] + 1) if len(want) < NQ and want else 253402300800
                got_st, got, err, cmd = docket(text, q, NQ)
                if got_st == "CRASH" or got_st == "TIMEOUT":
                    st["crash"] += 1
                    print(got_st, json.dumps(cmd), got, err, flush=True)
                    break
                if got_st == "ERR":
                    st["err"] += 1
                    print("ERR", json.dumps(cmd), err.splitlines()[0], flush=True)
                    break
                if limit_u is not None:
                    want = [u for u in want if u < limit_u]
                    got = [u for u in got if u < limit_u]
                    if q >= limit_u:
                        continue
                if not complete and len(exp) and want and want[-1] >= exp[-1]:
                    pass
                if not complete:
                    k = len(want)
                    got = got[:k]
                got = [u for u in got if u < horizon] if len(want) < NQ else got
                ok = got == want
                if ok:
                    st["ok"] += 1
                else:
                    st["mismatch"] += 1
                    print("MISMATCH", m, json.dumps(cmd), "\n  docket:  ", fmt(got, zone), "\n  dateutil:", fmt(want, zone), flush=True)
                    break
    print("STATS", st, flush=True)


if __name__ == "__main__":
    main()
