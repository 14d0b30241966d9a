#!/usr/bin/env python3
"""Generate Docket's schedule oracle fixtures (cron and RRULE).

Run from anywhere with the pinned virtualenv:

    /work/main/.venv/bin/python /work/main/Fixtures/schedules/generate.py

Every file is rewritten from scratch.  The script is deterministic: each
generator draws from its own `random.Random` seeded with a fixed value, no
wall-clock time is used for any decision, and JSON is written with a fixed
layout, so a rerun produces byte-identical output.

Files (all next to this script):

  cron_dst_cases.json       D1-D30 of spec/cron.md §3.4 plus X-cases of §3.7,
                            checked against a brute-force model of the §3.3
                            DST rule; cronsim's raw output recorded per row.
  cron_cases.json           >= 3000 random cron cases, oracle cronsim 2.8.
  cron_divergences.json     the random cases where cronsim differs from the
                            §3.3 model (Docket's rule), classified.
  cron_croniter_cases.json  ~200 cases for nW / ? / 7-field year (croniter).
  rrule_rfc_cases.json      R1-R42 of spec/rrule.md §5, checked by dateutil.
  rrule_cases.json          >= 1000 random RRULE cases, oracle dateutil.

See README.md for the JSON schema and the divergence classification.
"""

from __future__ import annotations

import bisect
import importlib.metadata
import importlib.util
import json
import os
import random
import re
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# Environment: pinned oracle versions and the SYSTEM tz database.
# --------------------------------------------------------------------------

PINNED = {"cronsim": "2.8", "croniter": "7.0.0", "python-dateutil": "4.0.0"}
TZDATA_ZI = Path("/usr/share/zoneinfo/tzdata.zi")
EXPECTED_TZDATA = "2025b"  # the Swift side (ICU) uses 2025b too; both must agree


def check_environment() -> dict:
    """Fail fast unless the oracles and the tz database are the pinned ones.

    The fixtures are only meaningful if the Swift tests see the same tz rules
    as the oracles did, so the tz database must be the system one (tzdata
    2025b), never the `tzdata` wheel (python-dateutil 4.0.0 declares it as a
    dependency, hence `pip install --no-deps`, see README.md).
    """
    for dist, want in PINNED.items():
        got = importlib.metadata.version(dist)
        if got != want:
            sys.exit(f"{dist} {got} installed, {want} pinned (see requirements.txt)")
    if importlib.util.find_spec("tzdata") is not None:
        sys.exit("the `tzdata` wheel is installed; uninstall it: zoneinfo must "
                 "read the system database /usr/share/zoneinfo")
    import zoneinfo
    if not zoneinfo.TZPATH or zoneinfo.TZPATH[0] != "/usr/share/zoneinfo":
        sys.exit(f"zoneinfo.TZPATH is {zoneinfo.TZPATH}, expected /usr/share/zoneinfo first")
    first = TZDATA_ZI.read_text().splitlines()[0].strip()
    m = re.fullmatch(r"# version (\S+)", first)
    if not m:
        sys.exit(f"cannot read the tz version from {TZDATA_ZI}: {first!r}")
    if m.group(1) != EXPECTED_TZDATA:
        sys.exit(f"system tzdata is {m.group(1)}, fixtures are pinned to {EXPECTED_TZDATA}")
    return {
        "script": "generate.py",
        "python": ".".join(map(str, sys.version_info[:3])),
        "cronsim": PINNED["cronsim"],
        "croniter": PINNED["croniter"],
        "dateutil": PINNED["python-dateutil"],
        "tzdata": m.group(1),
    }


# Imported after the definitions above so that a wrong environment is
# reported by check_environment() rather than by an obscure ImportError.
from cronsim import CronSim, CronSimError  # noqa: E402
from croniter import croniter  # noqa: E402
import dateutil.rrule as du_rrule  # noqa: E402
from dateutil.rrule import rrulestr  # noqa: E402

UTC = timezone.utc

# Zones of the random cases (spec/cron.md: every kind of transition: 1 h,
# 30 min (Lord Howe), 24 h (Apia 2011), midnight gaps (Santiago), none).
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe",
         "Pacific/Apia", "America/Santiago", "Asia/Kolkata", "UTC"]

_TZ_CACHE: dict[str, ZoneInfo] = {}


def tzof(name: str) -> ZoneInfo:
    if name not in _TZ_CACHE:
        _TZ_CACHE[name] = ZoneInfo(name)
    return _TZ_CACHE[name]


# --------------------------------------------------------------------------
# Instants.  Every instant is stored as {"unix": int, "iso": local ISO 8601}.
# Internally an instant is an int (unix seconds); the ISO text is always
# derived from the unix value, so an imaginary wall time returned by an
# oracle is printed with the offset actually in force at that instant.
# --------------------------------------------------------------------------

def to_unix(dt: datetime) -> int:
    assert dt.tzinfo is not None, dt
    ts = dt.timestamp()
    assert ts == int(ts), dt  # all fixtures use whole seconds
    return int(ts)


def local(u: int, zone: str) -> datetime:
    """The aware local datetime of instant u (fold set correctly)."""
    return datetime.fromtimestamp(u, UTC).astimezone(tzof(zone))


def inst(u: int, zone: str) -> dict:
    return {"unix": u, "iso": local(u, zone).isoformat()}


def insts(us, zone: str) -> list:
    return [inst(u, zone) for u in us]


def offset_at(u: int, zone: str) -> int:
    return int(local(u, zone).utcoffset().total_seconds())


# --------------------------------------------------------------------------
# Zone transitions, found by scanning utcoffset (12 h steps, then bisection
# to the second).  Used to place random starts just before transitions and
# to bound the model's wall-clock enumeration window.
# --------------------------------------------------------------------------

SCAN_FROM = int(datetime(1960, 1, 1, tzinfo=UTC).timestamp())
SCAN_TO = int(datetime(2230, 1, 1, tzinfo=UTC).timestamp())
_TRANSITIONS: dict[str, tuple[list[int], list[int]]] = {}


def first_offset_change(lo: int, hi: int, prev: int, offset) -> int:
    """The first second in (lo, hi] whose `offset(u)` is not `prev`, by bisection
    (offset(lo) == prev != offset(hi))."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset(mid) == prev:
            lo = mid
        else:
            hi = mid
    return hi


def transitions(zone: str) -> tuple[list[int], list[int]]:
    """(instants T, offsets in force from T on), plus the offset before.

    Returns two parallel lists: times[0] = SCAN_FROM with the offset in force
    there, then one entry per transition.  No zone used here has two
    transitions within 12 hours, so a 12 h scan cannot miss one.
    """
    if zone in _TRANSITIONS:
        return _TRANSITIONS[zone]
    step = 12 * 3600
    times, offs = [SCAN_FROM], [offset_at(SCAN_FROM, zone)]
    prev = offs[0]
    u = SCAN_FROM
    while u < SCAN_TO:
        v = u + step
        ov = offset_at(v, zone)
        if ov != prev:
            hi = first_offset_change(u, v, prev, lambda x: offset_at(x, zone))
            times.append(hi)
            offs.append(offset_at(hi, zone))
            prev = offs[-1]
        u = v
    _TRANSITIONS[zone] = (times, offs)
    return times, offs


def offset_range(zone: str, u_lo: int, u_hi: int) -> tuple[int, int]:
    """Min and max UTC offset in force at some instant of [u_lo, u_hi]."""
    times, offs = transitions(zone)
    i = max(bisect.bisect_right(times, u_lo) - 1, 0)
    j = max(bisect.bisect_right(times, u_hi) - 1, 0)
    window = offs[i:j + 1]
    return min(window), max(window)


def zone_transitions_between(zone: str, u_lo: int, u_hi: int) -> list[tuple[int, int, int]]:
    """[(T, offset before, offset after)] with u_lo <= T <= u_hi."""
    times, offs = transitions(zone)
    out = []
    for k in range(1, len(times)):
        if u_lo <= times[k] <= u_hi:
            out.append((times[k], offs[k - 1], offs[k]))
    return out


# ==========================================================================
# CRON
# ==========================================================================

# Vixie meanings (spec/cron.md §5); cronsim has no macros.
MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def expand_macro(expr: str) -> str:
    return MACROS.get(expr.strip().lower(), expr)


def is_fixed_time(expr: str) -> bool:
    """spec/cron.md §3.3 rule 1 (the cronie flag test, on the TEXT).

    Fixed-time iff neither the seconds (6/7-field forms), minute nor hour
    field begins with `*`.  Macros: all fixed except @hourly, which is what
    the Vixie expansion gives under the same test.
    """
    fields = expand_macro(expr).split()
    if len(fields) == 5:
        time_fields = fields[0:2]
    else:
        time_fields = fields[0:3]
    return not any(f.startswith("*") for f in time_fields)


# --------------------------------------------------------------------------
# The brute-force model of spec/cron.md §3.3 (= Docket's rule).
#
# 1. Matching LOCAL wall-clock times come from cronsim iterating over a
#    NAIVE datetime: with no tzinfo cronsim applies no zone logic at all, so
#    it is a pure calendar matcher (fields, L/LW/xL/x#k, Vixie day rule).
# 2. Each wall time is mapped with zoneinfo to 0, 1 or 2 instants.
# 3. Rules 3-5: once -> that instant; twice -> fixed: the earlier only,
#    wildcard: both; gap -> fixed: the transition instant (coalescing),
#    wildcard: nothing.
# 4. Fires strictly after the start, sorted, deduplicated.
# --------------------------------------------------------------------------

def wall_instants(w: datetime, zone: str):
    """Classify naive wall time w in zone: ('once'|'fold'|'gap', payload)."""
    tz = tzof(zone)
    a = w.replace(tzinfo=tz, fold=0)
    b = w.replace(tzinfo=tz, fold=1)
    ua, ub = to_unix(a), to_unix(b)
    ra = datetime.fromtimestamp(ua, UTC).astimezone(tz).replace(tzinfo=None) == w
    rb = datetime.fromtimestamp(ub, UTC).astimezone(tz).replace(tzinfo=None) == w
    if ra and rb and ua != ub:
        return "fold", sorted((ua, ub))
    if ra:
        return "once", [ua]
    if rb:
        return "once", [ub]
    # Gap: zoneinfo maps an imaginary time with both offsets around the
    # transition, so the transition instant T lies in (min, max]: bisect for
    # the first second that has the offset after the gap.
    lo, hi = min(ua, ub), max(ua, ub)
    off_after = offset_at(hi, zone)
    assert offset_at(lo, zone) != off_after
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_at(mid, zone) == off_after:
            hi = mid
        else:
            lo = mid
    return "gap", [hi]


class ModelExhausted(Exception):
    """The calendar matcher found no further wall time within 50 years."""


def model_next(expr: str, zone: str, start_u: int, n: int) -> list[int]:
    """First n fire instants > start_u under the §3.3 rule."""
    fixed = is_fixed_time(expr)
    cron = expand_macro(expr)
    # Lowest wall time that can map to an instant > start: w - off(w) > start
    # for every mapping (for a gap, T <= w - offset before), so start +
    # (smallest offset near start) is a safe lower bound; 1 s earlier because
    # CronSim ticks once before matching.
    lo_off, _ = offset_range(zone, start_u - 2 * 86400, start_u + 2 * 86400)
    begin = datetime.fromtimestamp(start_u + lo_off - 1, UTC).replace(tzinfo=None)
    fires: set[int] = set()
    it = CronSim(cron, begin)
    while True:
        try:
            w = next(it)
        except StopIteration:
            raise ModelExhausted
        w_as_utc = int(w.replace(tzinfo=UTC).timestamp())
        if len(fires) >= n:
            # Any instant of w is >= w - (largest offset near w); once that
            # passes the n-th fire found so far, nothing earlier can appear.
            _, hi_off = offset_range(zone, w_as_utc - 2 * 86400, w_as_utc + 2 * 86400)
            nth = sorted(fires)[n - 1]
            if w_as_utc - hi_off > nth:
                break
        kind, us = wall_instants(w, zone)
        if kind == "once":
            cand = us
        elif kind == "fold":
            cand = us[:1] if fixed else us
        else:
            cand = us if fixed else []
        for u in cand:
            if u > start_u:
                fires.add(u)
    return sorted(fires)[:n]


def cronsim_next(expr: str, zone: str, start_u: int, n: int) -> list[int]:
    """cronsim's raw output (macros expanded), as instants.

    cronsim returns imaginary wall times for some gap cases; `timestamp()`
    reads them with zoneinfo's fold=0 offset, i.e. the instant cronsim's own
    arithmetic means.  Fewer than n results: cronsim gave up (50 years).
    """
    it = CronSim(expand_macro(expr), local(start_u, zone))
    out = []
    for _ in range(n):
        try:
            out.append(to_unix(next(it)))
        except StopIteration:
            break
    return out


# --------------------------------------------------------------------------
# cron_dst_cases.json: the D1-D30 table of spec/cron.md §3.4, verbatim.
# The rows are kept in the markdown form of the spec so that a reviewer can
# diff them against the spec; when the spec file is reachable the script
# also checks that this copy is still identical to it.
# --------------------------------------------------------------------------

D_TABLE = """\
| D1 | America/New_York | `30 2 * * *` | 2025-03-08T12:00-05:00 | 2025-03-09T03:00-04:00, 2025-03-10T02:30-04:00, 2025-03-11T02:30-04:00 | fixed time inside spring-forward gap |
| D2 | America/New_York | `0 2 * * *` | 2025-03-09T00:00-05:00 | 2025-03-09T03:00-04:00, 2025-03-10T02:00-04:00 | fixed 02:00 = first skipped minute |
| D3 | America/New_York | `0,30 2 * * *` | 2025-03-09T01:00-05:00 | 2025-03-09T03:00-04:00, 2025-03-10T02:00-04:00 | two skipped matches coalesce |
| D4 | America/New_York | `0 2,3 * * *` | 2025-03-09T01:00-05:00 | 2025-03-09T03:00-04:00, 2025-03-10T02:00-04:00, 2025-03-10T03:00-04:00 | skipped match + real 03:00 coalesce |
| D5 | America/New_York | `0 * * * *` | 2025-03-09T00:30-05:00 | 2025-03-09T01:00-05:00, 2025-03-09T03:00-04:00, 2025-03-09T04:00-04:00 | hourly wildcard across gap |
| D6 | America/New_York | `*/30 * * * *` | 2025-03-09T01:10-05:00 | 2025-03-09T01:30-05:00, 2025-03-09T03:00-04:00, 2025-03-09T03:30-04:00 | sub-hourly wildcard across gap |
| D7 | America/New_York | `30 1 * * *` | 2025-11-01T12:00-04:00 | 2025-11-02T01:30-04:00, 2025-11-03T01:30-05:00, 2025-11-04T01:30-05:00 | fixed time inside repeated hour |
| D8 | America/New_York | `30 1 * * *` | 2025-11-02T01:10-05:00 | 2025-11-03T01:30-05:00 | start in 2nd 01:xx (fold=1) |
| D9 | America/New_York | `0 * * * *` | 2025-11-02T00:30-04:00 | 2025-11-02T01:00-04:00, 2025-11-02T01:00-05:00, 2025-11-02T02:00-05:00, 2025-11-02T03:00-05:00 | hourly wildcard across fall-back |
| D10 | America/New_York | `*/30 1 * * *` | 2025-11-02T00:50-04:00 | 2025-11-02T01:00-04:00, 2025-11-02T01:30-04:00, 2025-11-02T01:00-05:00, 2025-11-02T01:30-05:00, 2025-11-03T01:00-05:00 | minute-wildcard, fixed hour in fold |
| D11 | America/New_York | `0 1-3 * * *` | 2025-11-02T00:30-04:00 | 2025-11-02T01:00-04:00, 2025-11-02T02:00-05:00, 2025-11-02T03:00-05:00, 2025-11-03T01:00-05:00 | fixed list over fold |
| D12 | America/New_York | `30 2 * * *` | 2026-03-07T12:00-05:00 | 2026-03-08T03:00-04:00, 2026-03-09T02:30-04:00 | 2026 spring |
| D13 | America/New_York | `30 1 * * *` | 2026-10-31T12:00-04:00 | 2026-11-01T01:30-04:00, 2026-11-02T01:30-05:00 | 2026 fall |
| D14 | Europe/London | `30 1 * * *` | 2025-03-29T12:00+00:00 | 2025-03-30T02:00+01:00, 2025-03-31T01:30+01:00, 2025-04-01T01:30+01:00 | London gap 01:00-02:00 |
| D15 | Europe/London | `30 1 * * *` | 2025-10-25T12:00+01:00 | 2025-10-26T01:30+01:00, 2025-10-27T01:30+00:00, 2025-10-28T01:30+00:00 | London fold 01:00-02:00 |
| D16 | Europe/London | `*/20 * * * *` | 2025-10-26T00:50+01:00 | 2025-10-26T01:00+01:00, 2025-10-26T01:20+01:00, 2025-10-26T01:40+01:00, 2025-10-26T01:00+00:00, 2025-10-26T01:20+00:00, 2025-10-26T01:40+00:00 | London wildcard over fold |
| D17 | Europe/London | `30 1 * * *` | 2026-03-28T12:00+00:00 | 2026-03-29T02:00+01:00, 2026-03-30T01:30+01:00 | London 2026 gap |
| D18 | Europe/London | `30 1 * * *` | 2026-10-24T12:00+01:00 | 2026-10-25T01:30+01:00, 2026-10-26T01:30+00:00, 2026-10-27T01:30+00:00 | London 2026 fold |
| D19 | Europe/Dublin | `30 1 * * *` | 2025-10-25T12:00+01:00 | 2025-10-26T01:30+01:00, 2025-10-27T01:30+00:00, 2025-10-28T01:30+00:00 | negative-DST zone, same wall clock as London |
| D20 | Australia/Lord_Howe | `15 2 * * *` | 2025-10-04T12:00+10:30 | 2025-10-05T02:30+11:00, 2025-10-06T02:15+11:00 | 30-min gap 02:00-02:30 |
| D21 | Australia/Lord_Howe | `45 2 * * *` | 2025-10-04T12:00+10:30 | 2025-10-05T02:45+11:00, 2025-10-06T02:45+11:00 | after the 30-min gap |
| D22 | Australia/Lord_Howe | `*/15 * * * *` | 2025-10-05T01:40+10:30 | 2025-10-05T01:45+10:30, 2025-10-05T02:30+11:00, 2025-10-05T02:45+11:00 | wildcard across 30-min gap |
| D23 | Australia/Lord_Howe | `45 1 * * *` | 2026-04-04T12:00+11:00 | 2026-04-05T01:45+11:00, 2026-04-06T01:45+10:30, 2026-04-07T01:45+10:30 | 30-min fold 01:30-02:00 |
| D24 | Australia/Lord_Howe | `30 * * * *` | 2026-04-05T00:50+11:00 | 2026-04-05T01:30+11:00, 2026-04-05T01:30+10:30, 2026-04-05T02:30+10:30, 2026-04-05T03:30+10:30 | wildcard across 30-min fold |
| D25 | Pacific/Apia | `0 12 * * *` | 2011-12-29T13:00-10:00 | 2011-12-31T00:00+14:00, 2011-12-31T12:00+14:00, 2012-01-01T12:00+14:00 | whole local day 2011-12-30 skipped |
| D26 | Pacific/Apia | `0 0 30 12 *` | 2011-12-01T00:00-10:00 | 2011-12-31T00:00+14:00, 2012-12-30T00:00+14:00 | DOM names the missing day |
| D27 | Pacific/Apia | `0 * * * *` | 2011-12-29T22:30-10:00 | 2011-12-29T23:00-10:00, 2011-12-31T00:00+14:00, 2011-12-31T01:00+14:00 | hourly across 24h gap |
| D28 | America/Santiago | `@daily` | 2025-09-06T12:00-04:00 | 2025-09-07T01:00-03:00, 2025-09-08T00:00-03:00, 2025-09-09T00:00-03:00 | midnight does not exist (gap 00:00-01:00) |
| D29 | America/Santiago | `30 23 * * *` | 2025-04-05T12:00-03:00 | 2025-04-05T23:30-03:00, 2025-04-06T23:30-04:00, 2025-04-07T23:30-04:00 | fold 23:00-24:00 on 2025-04-05 |
| D30 | America/Santiago | `*/30 * * * *` | 2025-04-05T22:50-03:00 | 2025-04-05T23:00-03:00, 2025-04-05T23:30-03:00, 2025-04-05T23:00-04:00, 2025-04-05T23:30-04:00, 2025-04-06T00:00-04:00 | wildcard over midnight fold |
"""

# Extra cases of spec/cron.md §3.7 (not tabulated there).  Their expected
# fires come from the model only; the notes say what each one checks.
X_CASES = [
    # (id, zone, expr, start (local ISO with offset), n, note)
    ("X1", "Europe/London", "*/20 * * * * *", "2025-10-26T01:59:00+01:00", 6,
     "§3.7: second-precision wildcard over the London fold 2025-10-26: fires "
     "continue every 20 s in real time through both 01:xx hours."),
    ("X2", "America/Santiago", "@weekly", "2025-09-06T12:00:00-04:00", 3,
     "§3.7: @weekly when Sunday 00:00 does not exist (Santiago gap "
     "2025-09-07 00:00-01:00): fires at 01:00."),
    ("X3", "Asia/Kolkata", "30 9 * * 1-5", "2025-03-07T10:00:00+05:30", 3,
     "§3.7 CRON_TZ= case: equivalent to `CRON_TZ=Asia/Kolkata 30 9 * * 1-5` "
     "evaluated in any process zone; the zone field carries the CRON_TZ value."),
    ("X4", "America/New_York", "@hourly", "2025-03-09T00:30:00-05:00", 3,
     "@hourly is wildcard (like D5): the nonexistent 02:00 is skipped."),
    ("X5", "America/New_York", "0 30 2 * * *", "2025-03-08T12:00:00-05:00", 3,
     "6-field fixed-time form of D1: same rule as 5 fields (fire at the gap "
     "end); cronsim 2.8 disables its DST fix-up for 6 fields (class c) and "
     "skips to the next day."),
    ("X6", "America/New_York", "0 30 1 * * *", "2025-11-01T12:00:00-04:00", 3,
     "6-field fixed-time form of D7: first occurrence only; cronsim 2.8 "
     "fires in both folds for 6 fields (class c)."),
    ("X7", "Australia/Lord_Howe", "0 15 2 * * *", "2025-10-04T12:00:00+10:30", 2,
     "6-field fixed-time form of D20 (30-minute gap)."),
    ("X8", "Pacific/Apia", "@midnight", "2011-12-29T13:00:00-10:00", 3,
     "Apia 2011-12-30 missing: @midnight fires once at 2011-12-31 00:00 "
     "(the 12-30 midnight coalesces into the gap end, which is itself "
     "12-31 00:00)."),
]

ISO_LOCAL_RE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?[+-]\d\d:\d\d)")


def parse_local_iso(s: str, zone: str) -> int:
    """'2025-03-08T12:00-05:00' -> unix, checking the offset is the zone's."""
    dt = datetime.fromisoformat(s)
    u = to_unix(dt)
    if local(u, zone).utcoffset() != dt.utcoffset():
        raise ValueError(f"{s}: offset is not {zone}'s offset at that instant")
    return u


def parse_d_table(text: str) -> list[dict]:
    rows = []
    for line in text.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rid, zone, expr, start, expected, what = cells
        expr = expr.strip("`")
        rows.append({
            "id": rid, "zone": zone, "expr": expr,
            "start": parse_local_iso(start, zone),
            "expected": [parse_local_iso(s, zone) for s in ISO_LOCAL_RE.findall(expected)],
            "what": what,
        })
    assert [r["id"] for r in rows] == [f"D{i}" for i in range(1, 31)]
    return rows


def spec_path(name: str) -> Path | None:
    """Locate shared/spec/<name> (beside the main checkout, or $DOCKET_SPEC_DIR)."""
    cands = []
    if os.environ.get("DOCKET_SPEC_DIR"):
        cands.append(Path(os.environ["DOCKET_SPEC_DIR"]) / name)
    cands.append(HERE.parents[2] / "shared" / "spec" / name)
    cands.append(Path("/work/shared/spec") / name)
    for p in cands:
        if p.is_file():
            return p
    return None


def check_against_spec(table: str, spec_name: str, row_re: str) -> None:
    p = spec_path(spec_name)
    if p is None:
        print(f"  note: spec/{spec_name} not found; embedded table not re-checked against it")
        return
    spec_rows = [ln for ln in p.read_text().splitlines() if re.match(row_re, ln)]
    if spec_rows != table.strip().splitlines():
        sys.exit(f"the table embedded in generate.py differs from {p}; re-transcribe it")
    print(f"  embedded table == {p} ({len(spec_rows)} rows)")


def build_cron_dst(gen: dict) -> dict:
    check_against_spec(D_TABLE, "cron.md", r"^\| D\d+ \|")
    rows = parse_d_table(D_TABLE)
    cases = []
    failures = []
    for r in rows:
        n = len(r["expected"])
        model = model_next(r["expr"], r["zone"], r["start"], n)
        if self_check_model(r["expr"], r["zone"], r["start"], model) is False:
            sys.exit(f"model self-check (real-time walk) failed on {r['id']}")
        if model != r["expected"]:
            failures.append((r["id"], insts(model, r["zone"]), insts(r["expected"], r["zone"])))
        cs = cronsim_next(r["expr"], r["zone"], r["start"], n)
        case = {"id": r["id"], "expr": r["expr"], "zone": r["zone"],
                "start": inst(r["start"], r["zone"]),
                "next": insts(r["expected"], r["zone"]),
                "oracle": "table",
                "note": f"spec/cron.md §3.4: {r['what']}" + (
                    "" if cs == r["expected"] else
                    "; cronsim 2.8 differs (see `cronsim`, spec/cron.md §3.5)"),
                "cronsim": insts(cs, r["zone"])}
        cases.append(case)
    for xid, zone, expr, start_s, n, note in X_CASES:
        start = parse_local_iso(start_s, zone)
        model = model_next(expr, zone, start, n)
        cs = cronsim_next(expr, zone, start, n)
        cases.append({"id": xid, "expr": expr, "zone": zone,
                      "start": inst(start, zone), "next": insts(model, zone),
                      "oracle": "table",
                      "note": "spec/cron.md §3.7 extra case, expected = §3.3 model: " + note
                              + ("" if cs == model else "; cronsim 2.8 differs"),
                      "cronsim": insts(cs, zone)})
    if failures:
        for rid, got, want in failures:
            print(f"MODEL != TABLE {rid}:\n  model {got}\n  table {want}")
        sys.exit("the §3.3 model disagrees with the D-table: fix the model or the transcription")
    diff = [c["id"] for c in cases if c["cronsim"] != c["next"]]
    print(f"  model == table on D1-D30; cronsim differs on {diff}")
    return {"generator": gen, "cases": cases}


# --------------------------------------------------------------------------
# Random cron expressions over the grammar cronsim shares with the spec.
# --------------------------------------------------------------------------

MONTH_NAMES = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DOW_NAMES = "SUN MON TUE WED THU FRI SAT".split()
# (name, lo, hi) of the six cron fields, seconds first (cronsim/Quartz order)
CRON_FIELDS = [("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23),
               ("dom", 1, 31), ("month", 1, 12), ("dow", 0, 7)]


def mixed_case(rng: random.Random, name: str) -> str:
    style = rng.random()
    if style < 0.4:
        return name
    if style < 0.6:
        return name.lower()
    if style < 0.8:
        return name.title()
    return "".join(c.lower() if rng.random() < 0.5 else c for c in name)


def value_text(rng: random.Random, field: str, v: int, names_ok: bool = True) -> str:
    """A field value, spelled as a (mixed-case) name ~30% of the time."""
    if names_ok and field == "month" and rng.random() < 0.3:
        return mixed_case(rng, MONTH_NAMES[v - 1])
    if names_ok and field == "dow" and v <= 6 and rng.random() < 0.3:
        return mixed_case(rng, DOW_NAMES[v])  # 7 stays numeric: SUN is 0
    return str(v)


def random_step(rng: random.Random, span: int) -> int:
    r = rng.random()
    if r < 0.12:
        return rng.randint(span + 1, 2 * span + 5)  # larger than the span
    if r < 0.6 and span >= 2:
        return rng.randint(2, min(6, span))
    return rng.randint(1, span)


def random_item(rng: random.Random, field: str, lo: int, hi: int) -> str:
    """One list item: a, a-b, a-b/n, a/n or */n (steps never names)."""
    span = hi - lo + 1
    kind = rng.choices(["value", "range", "range_step", "value_step", "star_step"],
                       [40, 22, 14, 12, 12])[0]
    if kind == "value":
        return value_text(rng, field, rng.randint(lo, hi))
    if kind == "star_step":
        return f"*/{random_step(rng, span)}"
    if kind == "value_step":
        return f"{value_text(rng, field, rng.randint(lo, hi))}/{random_step(rng, span)}"
    a = rng.randint(lo, hi)
    b = rng.randint(a, min(hi, a + rng.choice([0, 1, 3, 6, span])))
    if kind == "range_step" and b == a and a < hi and rng.random() < 0.9:
        # Keep one-value ranges with a step rare: cronsim misreads them (class e), and
        # a case that diverges says less about agreement than one that does not.
        b = rng.randint(a + 1, hi)
    text = f"{value_text(rng, field, a)}-{value_text(rng, field, b)}"
    if kind == "range_step":
        text += f"/{random_step(rng, b - a + 1)}"
    return text


def random_list(rng: random.Random, field: str, lo: int, hi: int, specials=()) -> str:
    k = rng.choices([1, 2, 3, 4], [55, 25, 12, 8])[0]
    items = []
    for _ in range(k):
        if specials and rng.random() < 0.35:
            items.append(rng.choice(specials)())
        else:
            items.append(random_item(rng, field, lo, hi))
    return ",".join(items)


def random_field(rng: random.Random, field: str, lo: int, hi: int, density: str) -> str:
    """A whole field; `density` biases towards * (dense) or values (sparse)."""
    p_star, p_star_step = {"dense": (0.55, 0.3), "mixed": (0.3, 0.15),
                           "sparse": (0.08, 0.07)}[density]
    specials = ()
    if field == "dom":
        specials = (lambda: "L", lambda: "LW")
        p_star, p_star_step = {"dense": (0.7, 0.1), "mixed": (0.45, 0.1),
                               "sparse": (0.35, 0.1)}[density]
    elif field == "dow":
        specials = (lambda: f"{rng.randint(0, 7)}L",
                    lambda: f"{value_text(rng, 'dow', rng.randint(0, 7))}#{rng.randint(1, 5)}")
        p_star, p_star_step = {"dense": (0.7, 0.08), "mixed": (0.5, 0.1),
                               "sparse": (0.4, 0.1)}[density]
    elif field == "month":
        p_star, p_star_step = 0.65, 0.08
    r = rng.random()
    if r < p_star:
        return "*"
    if r < p_star + p_star_step:
        return f"*/{random_step(rng, hi - lo + 1)}"
    return random_list(rng, field, lo, hi, specials)


def random_cron_expr(rng: random.Random) -> str:
    six = rng.random() < 0.3
    density = rng.choices(["dense", "mixed", "sparse"], [30, 40, 30])[0]
    # a quarter of the expressions are forced fixed-time (no time field
    # starting with *): that is where the gap/fold rules differ most
    force_fixed = rng.random() < 0.25
    parts = []
    for name, lo, hi in CRON_FIELDS:
        if name == "second":
            if not six:
                continue
            # seconds: mostly a fixed 0 or a few values, else dense
            if rng.random() < 0.35:
                parts.append(str(rng.choice([0, 0, 0, rng.randint(0, 59)])))
                continue
        if force_fixed and name in ("second", "minute", "hour"):
            field = random_list(rng, name, lo, hi)
            while field.startswith("*"):
                field = random_list(rng, name, lo, hi)
            parts.append(field)
            continue
        parts.append(random_field(rng, name, lo, hi, density))
    return " ".join(parts)


def cronsim_accepts(expr: str) -> bool:
    try:
        CronSim(expr, datetime(2000, 1, 1))
        return True
    except CronSimError:
        return False
    except Exception as e:  # cronsim raising something else is itself news
        print(f"  note: cronsim raised {type(e).__name__} on {expr!r}: {e}")
        return False


def random_start(rng: random.Random, zone: str, near_transition: bool) -> tuple[int, bool]:
    """Unix start: uniform over 1970-2060, or a few hours before a transition.

    Near a transition the start is 1 min - 5 h before it; for a fold (offset
    decreasing) a start is sometimes put INSIDE the repeated interval after
    the transition, i.e. at a fold=1 wall time, which is where cronsim's
    naive start loses the fold (class a).  Starts are sometimes aligned to
    a minute or an hour so that "strictly after" gets exercised.
    """
    lo = int(datetime(1970, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2060, 12, 31, tzinfo=UTC).timestamp())
    trans = zone_transitions_between(zone, lo + 86400, hi) if near_transition else []
    if trans:
        t, before, after = rng.choice(trans)
        if after < before and rng.random() < 0.35:
            u = t + rng.randint(0, before - after - 1)
        else:
            u = t - rng.randint(60, 5 * 3600)
    else:
        u = rng.randint(lo, hi)
    r = rng.random()
    if r < 0.15:
        u -= u % 60
    elif r < 0.25:
        u -= (u + offset_at(u, zone)) % 3600  # whole local hour
    return u, bool(trans)


N_CRON_CASES = 3200
CRON_SEED = 20250301


DEGENERATE = re.compile(r"^([A-Za-z0-9]+)-([A-Za-z0-9]+)/(\d+)$")


def field_value(field_index: int, text: str) -> int | None:
    """The number a cron value names (month/weekday names too); None if not a plain value."""
    t = text.upper()
    if t.isdigit():
        return int(t)  # as cronsim reads a range end: 7 stays 7, so 0-7 is no one-value range
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    days = "SUN MON TUE WED THU FRI SAT".split()
    if field_index == 4 and t in months:
        return months.index(t) + 1
    if field_index == 5 and t in days:
        return days.index(t)
    return None


def undegenerate(expr: str) -> str:
    """expr with every one-value range with a step (`19-19/2`, even `19-19/1`) written as its value (`19`).

    By the Vixie grammar `a-a/n` is the range a..a stepped by n, i.e. just a;
    cronsim 2.8 cannot tell `a-a` from `a` and reads `a-a/n` as `a/n`
    (= a..max/n).  The rewritten text has Docket's meaning in cronsim's
    reading, so the model of Docket's rule is computed from it.
    """
    fields = expand_macro(expr).split()
    offset = 0 if len(fields) == 6 else 1  # field indexes in seconds-first order
    out = []
    for i, f in enumerate(fields):
        items = []
        for item in f.split(","):
            m = DEGENERATE.match(item)
            if m and int(m.group(3)) >= 1:
                a, b = field_value(i + offset, m.group(1)), field_value(i + offset, m.group(2))
                if a is not None and a == b:
                    item = m.group(1)
            items.append(item)
        out.append(",".join(items))
    return " ".join(out)


def build_cron_random(gen: dict) -> tuple[dict, dict, dict]:
    rng = random.Random(CRON_SEED)
    cases, divergences = [], []
    stats = {"rejected_by_cronsim": 0, "dropped_sparse": 0, "near_transition": 0,
             "model_self_checked": 0}
    seen = set()
    while len(cases) < N_CRON_CASES:
        expr = random_cron_expr(rng)
        zone = ZONES[len(cases) % len(ZONES)]
        start, placed = random_start(rng, zone, rng.random() < 0.45)
        if expr in seen or not cronsim_accepts(expr):
            stats["rejected_by_cronsim"] += expr not in seen
            continue
        cs = cronsim_next(expr, zone, start, 5)
        docket_expr = undegenerate(expr)
        try:
            model = model_next(docket_expr, zone, start, 5)
        except ModelExhausted:
            model = []
        if len(cs) < 5 or len(model) < 5:
            # cronsim gives up after 50 years without a match; Docket searches
            # 400.  Such sparse cases say nothing useful here: drop them.
            stats["dropped_sparse"] += 1
            continue
        check = self_check_model(docket_expr, zone, start, model)
        if check is False:
            sys.exit(f"model self-check failed: {expr!r} {zone} {inst(start, zone)}")
        stats["model_self_checked"] += check is True
        seen.add(expr)
        cid = f"C{len(cases) + 1:04d}"
        stats["near_transition"] += placed
        cases.append({"id": cid, "expr": expr, "zone": zone,
                      "start": inst(start, zone), "next": insts(cs, zone),
                      "oracle": "cronsim"})
        if cs != model:
            if docket_expr != expr and cronsim_next(docket_expr, zone, start, 5) == model:
                cls, reason = "e", (
                    "cronsim 2.8 reads a one-value range with a step (e.g. 19-19/2) as a "
                    "start-only step (19/2 = 19-max/2) because it cannot tell `a-a` from `a`; "
                    "by the Vixie grammar `a-a/n` is the single value a (cronsim agrees once "
                    "it is written so: " + docket_expr + ")")
            elif docket_expr != expr:
                # Both the one-value-range reading and a DST mechanism: classify what is
                # left once the expression is written the way cronsim reads correctly.
                cls, reason = classify_divergence(docket_expr, zone, start,
                                                  cronsim_next(docket_expr, zone, start, 5), model)
                reason = ("one-value range with a step (class e: written " + docket_expr
                          + ") and " + reason)
            else:
                cls, reason = classify_divergence(docket_expr, zone, start, cs, model)
            divergences.append({"id": cid, "reason": reason, "class": cls,
                                "cronsim": insts(cs, zone), "expected": insts(model, zone)})
    return ({"generator": {**gen, "seed": CRON_SEED}, "cases": cases},
            {"generator": {**gen, "seed": CRON_SEED}, "cases": divergences}, stats)


def wall_matches(expr: str, w: datetime) -> bool:
    """Does naive wall time w match expr (calendar only)?"""
    try:
        return next(CronSim(expand_macro(expr), w - timedelta(seconds=1))) == w
    except StopIteration:
        return False


def wall_kind(u: int, zone: str) -> str:
    """'fold' if the wall time of instant u occurs twice, else 'once'."""
    w = local(u, zone).replace(tzinfo=None)
    return wall_instants(w, zone)[0]


MECHANISMS = {
    "second": "fires the second occurrence of a repeated wall time",
    "gap": "does not fire at the end of a gap for a fixed time the gap skipped",
    "fold": "misses a wildcard fire in the repeated interval",
    "half_hour": ("misses wildcard fires after the 30-minute shift (its hour steps run "
                  "in real time from the wall-clock minute before the shift, so they land "
                  "30 minutes off until its next day change; e.g. after a fall-back the "
                  "fires at :00-:29)"),
}


def divergence_mechanisms(expr, zone, start, cs, model) -> tuple[set, list]:
    """Which known cronsim failure explains each differing fire.

    Only fires up to the earlier of the two 5th fires are compared (after a
    miss, cronsim's list simply continues one fire further).  Returns the
    set of mechanism keys and the list of fires no mechanism explains.
    """
    horizon = min(cs[-1], model[-1])
    missing = [u for u in model if u <= horizon and u not in cs]
    extra = [u for u in cs if u <= horizon and u not in model]
    jumps = {t for t, b, a in zone_transitions_between(zone, start - 86400, horizon) if a > b}
    found, unexplained = set(), []
    for u in extra:
        if local(u, zone).fold == 1:
            found.add("second")
        else:
            unexplained.append(u)
    for u in missing:
        w = local(u, zone)
        if u in jumps and is_fixed_time(expr) and not wall_matches(expr, w.replace(tzinfo=None)):
            found.add("gap")  # a coalesced gap fire (its wall time itself does not match)
        elif wall_kind(u, zone) == "fold":
            found.add("fold")
        elif zone == "Australia/Lord_Howe" and (w.minute < 30 or any(
                0 <= u - t <= 86400 and abs(a - b) == 1800
                for t, b, a in zone_transitions_between(zone, start - 86400, horizon))):
            found.add("half_hour")
        else:
            unexplained.append(u)
    return found, unexplained


def classify_divergence(expr, zone, start, cs, model):
    """Explain why cronsim differs from the §3.3 model; see README.md.

    Each class is checked, not assumed: the precondition that makes cronsim
    go wrong must hold and every differing fire must be explained, else the
    case falls through to (d) "unclassified".
    """
    fields = expand_macro(expr).split()
    fixed = is_fixed_time(expr)
    trans = zone_transitions_between(zone, start - 86400, max(cs[-1], model[-1]))
    mechs, unexplained = divergence_mechanisms(expr, zone, start, cs, model)
    if any(u <= start for u in cs):
        if len(fields) == 5 and fixed and local(start, zone).fold == 1:
            return "a", ("start is in the second occurrence of a repeated interval (fold=1); "
                         "cronsim's fixed-time fix-up iterates on the naive wall time, loses "
                         "the fold and returns the first occurrence, which is before the "
                         "start (spec/cron.md §4, D8)")
        return "d", "unclassified"
    if trans and not unexplained:
        text = "; ".join(MECHANISMS[m] for m in sorted(mechs))
        if len(fields) == 6 and fixed:
            return "c", ("6-field fixed-time expression across a DST transition: cronsim 2.8 "
                         "applies its DST fix-up to 5-field expressions only, so stepping in "
                         "real time it " + text)
        if zone == "Australia/Lord_Howe" and not fixed and mechs <= {"fold", "half_hour"}:
            return "b", ("Lord Howe 30-minute DST shift: cronsim " + text
                         + " (D24 class, spec/cron.md §4)")
    for u in [u for u in cs if u not in model]:
        w = local(u, zone)
        t_here = [t for t, b, a in trans if t == u and a > b]
        if (t_here and not fixed and not wall_matches(expr, w.replace(tzinfo=None))):
            return "d", ("cronsim's day change lands on a nonexistent local day start (a gap "
                         "at midnight: Santiago 00:00-01:00, Apia's missing 2011-12-30) and "
                         "returns it; that instant's wall time (" + w.strftime("%Y-%m-%dT%H:%M")
                         + ") does not match the expression (wildcard: a gap fires nothing)")
    return "d", "unclassified"


# --------------------------------------------------------------------------
# Self-check of the model: a second, independent formulation of §3.3 that
# walks REAL time (every minute, or every second for 6-field expressions)
# the way a cron daemon watches the clock: a wall time that the clock shows
# fires, except the second showing of a repeated wall time for fixed-time
# expressions; at a forward jump, fixed-time expressions fire once if any
# skipped wall time matched.  Only the calendar matching (cronsim, naive) is
# shared with model_next(); the zone mapping is computed differently.  Used
# on the D-table and on every random case whose window is short enough.
# --------------------------------------------------------------------------

def realtime_walk(expr: str, zone: str, start_u: int, n: int, limit_u: int):
    fixed = is_fixed_time(expr)
    cron = expand_macro(expr)
    step = 60 if len(cron.split()) == 5 else 1
    lo_off, hi_off = offset_range(zone, start_u - 2 * 86400, limit_u + 2 * 86400)
    w0 = datetime.fromtimestamp(start_u + lo_off - 1, UTC).replace(tzinfo=None)
    w1 = datetime.fromtimestamp(limit_u + hi_off, UTC).replace(tzinfo=None)
    matches = set()
    for w in CronSim(cron, w0):
        if w > w1:
            break
        matches.add(w)
    jumps = {t: (b, a) for t, b, a in zone_transitions_between(zone, start_u, limit_u) if a > b}
    fires = []
    u = (start_u // step + 1) * step
    while u <= limit_u and len(fires) < n:
        lt = local(u, zone)
        # astimezone() sets fold=1 exactly on the second showing of a wall time
        fire = lt.replace(tzinfo=None) in matches and not (fixed and lt.fold == 1)
        if fixed and u in jumps and not fire:
            before, after = jumps[u]
            gap_lo = datetime.fromtimestamp(u + before, UTC).replace(tzinfo=None)
            gap_hi = datetime.fromtimestamp(u + after, UTC).replace(tzinfo=None)
            fire = any(gap_lo <= w < gap_hi for w in matches)
        if fire:
            fires.append(u)
        u += step
    return fires


def self_check_model(expr, zone, start, model) -> bool | None:
    """True/False if the real-time walk (dis)agrees; None if too long to walk."""
    step = 60 if len(expand_macro(expr).split()) == 5 else 1
    if (model[-1] - start) // step > 20000:
        return None
    return realtime_walk(expr, zone, start, len(model), model[-1]) == model


# --------------------------------------------------------------------------
# cron_croniter_cases.json: features cronsim lacks (nW, ?, 7-field year),
# oracle croniter 7.0.0, UTC only (croniter's DST handling is wrong,
# spec/cron.md §4).  The grammar is restricted to where croniter agrees with
# the spec: no *-step in a day field and no OR day rule at all (one day
# field is always * or ?), no equal ranges (croniter reads `a-a` as the
# whole cycle), no `a/n` in day-of-week (croniter stops at 6, the spec at
# 7 = Sunday), steps within the span, W only on days 1-28 (no clamping
# question).  Every croniter answer is also re-derived independently (cronsim
# as a calendar matcher plus a filter for W / year) and must agree.
# --------------------------------------------------------------------------

CRONITER_SEED = 20250302
N_CRONITER = {"W": 90, "?": 80, "year": 30}


def nearest_weekday(y: int, m: int, n: int) -> int:
    """Quartz nW: weekday nearest day n, never leaving the month."""
    import calendar
    last = calendar.monthrange(y, m)[1]
    wd = date(y, m, n).weekday()  # Mon=0
    if wd < 5:
        return n
    if wd == 5:
        return n - 1 if n > 1 else n + 2
    return n + 1 if n < last else n - 2


def plain_item(rng, field, lo, hi) -> str:
    """A list item croniter and the spec read the same way."""
    span = hi - lo + 1
    kind = rng.choices(["value", "range", "range_step", "value_step"], [50, 25, 15, 10])[0]
    if field == "dow" and kind == "value_step":
        kind = "value"
    if kind == "value" or hi - lo < 1:
        return value_text(rng, field, rng.randint(lo, hi))
    if kind == "value_step":
        return f"{value_text(rng, field, rng.randint(lo, hi))}/{rng.randint(1, span)}"
    a = rng.randint(lo, hi - 1)
    b = rng.randint(a + 1, min(hi, a + rng.choice([1, 3, 6, span])))
    text = f"{value_text(rng, field, a)}-{value_text(rng, field, b)}"
    if kind == "range_step":
        text += f"/{rng.randint(1, b - a + 1)}"
    return text


def plain_field(rng, field, lo, hi, p_star=0.3, p_step=0.15) -> str:
    r = rng.random()
    if r < p_star:
        return "*"
    if r < p_star + p_step:
        return f"*/{rng.randint(1, hi - lo + 1)}"
    k = rng.choices([1, 2, 3], [60, 28, 12])[0]
    return ",".join(plain_item(rng, field, lo, hi) for _ in range(k))


def croniter_time_fields(rng, seconds: bool) -> list[str]:
    out = []
    if seconds:
        out.append(rng.choice(["0", "0", str(rng.randint(0, 59)), plain_field(rng, "second", 0, 59)]))
    out.append(plain_field(rng, "minute", 0, 59, 0.2, 0.2))
    out.append(plain_field(rng, "hour", 0, 23, 0.25, 0.15))
    return out


def croniter_next(expr: str, start_u: int, n: int) -> list[int]:
    six_or_more = len(expr.split()) > 5
    it = croniter(expr, local(start_u, "UTC"), second_at_beginning=six_or_more)
    return [to_unix(it.get_next(datetime)) for _ in range(n)]


def independent_next(expr: str, start_u: int, n: int) -> list[int]:
    """Re-derive a croniter case: cronsim (naive, = UTC) + W / year filters."""
    parts = expr.split()
    years = None
    if len(parts) == 7:
        years = expand_years(parts[6])
        parts = parts[:6]
    w_days = None
    if parts[-3].upper().endswith("W"):
        w_days = int(parts[-3][:-1])
        parts[-3] = "*"
    parts = ["*" if p == "?" else p for p in parts]
    cron = " ".join(parts)
    out = []
    t = datetime.fromtimestamp(start_u, UTC).replace(tzinfo=None)
    while len(out) < n:
        # t is "just before" the next candidate, so look at t + 1 s
        if years is not None and (t + timedelta(seconds=1)).year not in years:
            later = [y for y in years if y > (t + timedelta(seconds=1)).year]
            if not later:
                break
            t = datetime(later[0], 1, 1) - timedelta(seconds=1)
            continue
        try:
            w = next(CronSim(cron, t))
        except StopIteration:
            break
        t = w
        if years is not None and w.year not in years:
            continue
        if w_days is not None:
            target = nearest_weekday(w.year, w.month, w_days)
            if w.day != target:
                # jump straight to the W day of this month, or past this month
                if w.day < target:
                    t = datetime(w.year, w.month, target) - timedelta(seconds=1)
                else:
                    nxt = (date(w.year, w.month, 1) + timedelta(days=32)).replace(day=1)
                    t = datetime(nxt.year, nxt.month, 1) - timedelta(seconds=1)
                continue
        out.append(int(w.replace(tzinfo=UTC).timestamp()))
    return out


def expand_years(field: str) -> list[int]:
    """Year field (1970-2099): *, a, a-b, a-b/n, a/n, lists."""
    years = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            a, b = 1970, 2099
        elif "-" in base:
            a, b = map(int, base.split("-"))
        else:
            a = int(base)
            b = 2099 if step else a
        years.update(range(a, b + 1, int(step) if step else 1))
    return sorted(years)


def random_year_field(rng, start_year: int) -> str:
    kind = rng.choice(["value", "range", "range_step", "value_step", "list", "star"])
    a = rng.randint(start_year, min(2099, start_year + 30))
    if kind == "value":
        return str(a)
    if kind == "star":
        return "*"
    if kind == "value_step":
        return f"{a}/{rng.randint(2, 5)}"
    if kind == "list":
        ys = sorted(rng.sample(range(start_year, min(2099, start_year + 40) + 1), 3))
        return ",".join(map(str, ys))
    b = rng.randint(a + 1, min(2099, a + 20))
    return f"{a}-{b}" + (f"/{rng.randint(2, 4)}" if kind == "range_step" else "")


def random_croniter_expr(rng, kind: str, start_year: int) -> str:
    seconds = kind == "year" or rng.random() < 0.3
    fields = croniter_time_fields(rng, seconds)
    month = plain_field(rng, "month", 1, 12, 0.6, 0.1)
    if kind == "W":
        n = rng.choice([1, 1, 2, 15, 15, 28, 28, rng.randint(1, 28), rng.randint(1, 28)])
        dom, dow = f"{n}W", rng.choice(["*", "?"])
    else:
        restricted_dom = rng.random() < 0.5
        if restricted_dom:
            dom = plain_field(rng, "dom", 1, 31, 0, 0)
            if rng.random() < 0.15:
                dom = "L"
            dow = "?"
        else:
            dom = "?"
            dow = plain_field(rng, "dow", 0, 7, 0, 0)
            if rng.random() < 0.25:
                dow = f"{value_text(rng, 'dow', rng.randint(0, 7))}#{rng.randint(1, 5)}"
        if kind == "year" and rng.random() < 0.3:
            dom, dow = rng.choice([("*", "?"), ("?", "*")])
    fields += [dom, month, dow]
    if kind == "year":
        fields.append(random_year_field(rng, start_year))
    return " ".join(fields)


def build_croniter(gen: dict) -> dict:
    rng = random.Random(CRONITER_SEED)
    cases, seen = [], set()
    lo = int(datetime(1970, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2060, 12, 31, tzinfo=UTC).timestamp())
    dropped = 0
    for kind, count in N_CRONITER.items():
        made = 0
        while made < count:
            start = rng.randint(lo, hi)
            if rng.random() < 0.2:
                start -= start % 3600
            expr = random_croniter_expr(rng, kind, local(start, "UTC").year)
            if expr in seen:
                continue
            try:
                got = croniter_next(expr, start, 5)
            except Exception:  # rejected, or nothing within croniter's 50 years
                dropped += 1
                continue
            want = independent_next(expr, start, 5)
            if got != want:
                print(f"  CRONITER DISAGREES with the independent derivation: {expr!r} "
                      f"from {inst(start, 'UTC')['iso']}\n    croniter {insts(got, 'UTC')}\n"
                      f"    derived  {insts(want, 'UTC')}")
                sys.exit("croniter case disagreement: investigate before using croniter as oracle")
            seen.add(expr)
            made += 1
            note = {"W": "nW nearest weekday (Quartz)",
                    "?": "? in a day field (= * for the Vixie day rule)",
                    "year": "7 fields, Quartz order: sec min hour dom mon dow year "
                            "(croniter second_at_beginning=True)"}[kind]
            cases.append({"id": f"K{len(cases) + 1:04d}", "expr": expr, "zone": "UTC",
                          "start": inst(start, "UTC"), "next": insts(got, "UTC"),
                          "oracle": "croniter", "note": note})
    print(f"  croniter: {len(cases)} cases ({dropped} candidates rejected or too sparse)")
    return {"generator": {**gen, "seed": CRONITER_SEED}, "cases": cases}



# ==========================================================================
# RRULE
# ==========================================================================

# --------------------------------------------------------------------------
# Bounded dateutil.  dateutil iterates one period (year, month, week, day,
# or sub-daily step) per loop turn and can loop for a very long time on
# sparse or empty rules.  Every loop turn calls exactly one _iterinfo
# day-set method, so counting those calls gives a deterministic work budget
# (a wall-clock timeout would make the output machine-dependent).
# --------------------------------------------------------------------------

class BudgetExceeded(Exception):
    pass


class _Budget:
    left = None  # None: unlimited


def _counted(method):
    def wrapper(self, *args):
        if _Budget.left is not None:
            _Budget.left -= 1
            if _Budget.left < 0:
                raise BudgetExceeded
        return method(self, *args)
    return wrapper


for _name in ("ydayset", "mdayset", "wdayset", "ddayset"):
    setattr(du_rrule._iterinfo, _name, _counted(getattr(du_rrule._iterinfo, _name)))

RRULE_BUDGET = 20000  # loop turns per dateutil call (~0.5 s worst case)


def bounded(fn, *args):
    _Budget.left = RRULE_BUDGET
    try:
        return fn(*args)
    finally:
        _Budget.left = None


def take(rule, n: int) -> list[datetime]:
    out = []
    for dt in rule:
        out.append(dt)
        if len(out) >= n:
            break
    return out


def parse_rule(text: str):
    """rrulestr with zoneinfo zones for TZID (never dateutil.tz)."""
    forceset = "EXDATE" in text or "RDATE" in text
    return rrulestr(text, tzids=tzof, forceset=forceset)


# --------------------------------------------------------------------------
# rrule_rfc_cases.json: R1-R42 of spec/rrule.md §5, verbatim, expanded from
# the compact notation; every row is checked with dateutil.
# --------------------------------------------------------------------------

R_TABLE = """\
| R1 | Daily for 10 occurrences | 19970902T090000 | `FREQ=DAILY;COUNT=10` | 1997-09-{2..11} 09:00 | 10 |
| R2 | Daily until December 24, 1997 | 19970902T090000 | `FREQ=DAILY;UNTIL=19971224T000000Z` | 1997-09-{2..30} 09:00; 1997-10-{1..31} 09:00; 1997-11-{1..30} 09:00; 1997-12-{1..23} 09:00 | 113 |
| R3 | Every other day - forever | 19970902T090000 | `FREQ=DAILY;INTERVAL=2` | 1997-09-{2,4,6,8,10,12,14,16,18,20,22,24,26,28,30} 09:00; 1997-10-{2,4,6,8,10,12,14,16,18,20,22,24,26,28,30} 09:00; 1997-11-{1,3,5,7,9,11,13,15,17,19,21,23,25,27,29} 09:00; 1997-12-{1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31} 09:00 | 61 (first) |
| R4 | Every 10 days, 5 occurrences | 19970902T090000 | `FREQ=DAILY;INTERVAL=10;COUNT=5` | 1997-09-{2,12,22} 09:00; 1997-10-{2,12} 09:00 | 5 |
| R5 | Every day in January, for 3 years (YEARLY form) | 19980101T090000 | `FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA` | 1998-01-{1..31} 09:00; 1999-01-{1..31} 09:00; 2000-01-{1..31} 09:00 | 93 |
| R6 | Every day in January, for 3 years (DAILY form) | 19980101T090000 | `FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1` | 1998-01-{1..31} 09:00; 1999-01-{1..31} 09:00; 2000-01-{1..31} 09:00 | 93 |
| R7 | Weekly for 10 occurrences | 19970902T090000 | `FREQ=WEEKLY;COUNT=10` | 1997-09-{2,9,16,23,30} 09:00; 1997-10-{7,14,21,28} 09:00; 1997-11-{4} 09:00 | 10 |
| R8 | Weekly until December 24, 1997 | 19970902T090000 | `FREQ=WEEKLY;UNTIL=19971224T000000Z` | 1997-09-{2,9,16,23,30} 09:00; 1997-10-{7,14,21,28} 09:00; 1997-11-{4,11,18,25} 09:00; 1997-12-{2,9,16,23} 09:00 | 17 |
| R9 | Every other week - forever | 19970902T090000 | `FREQ=WEEKLY;INTERVAL=2;WKST=SU` | 1997-09-{2,16,30} 09:00; 1997-10-{14,28} 09:00; 1997-11-{11,25} 09:00; 1997-12-{9,23} 09:00; 1998-01-{6,20} 09:00; 1998-02-{3,17} 09:00 | 13 (first) |
| R10 | Weekly on Tuesday and Thursday for five weeks (UNTIL) | 19970902T090000 | `FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH` | 1997-09-{2,4,9,11,16,18,23,25,30} 09:00; 1997-10-{2} 09:00 | 10 |
| R11 | Weekly on Tuesday and Thursday for five weeks (COUNT) | 19970902T090000 | `FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH` | 1997-09-{2,4,9,11,16,18,23,25,30} 09:00; 1997-10-{2} 09:00 | 10 |
| R12 | Every other week on MO,WE,FR until Dec 24 1997 | 19970901T090000 | `FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR` | 1997-09-{1,3,5,15,17,19,29} 09:00; 1997-10-{1,3,13,15,17,27,29,31} 09:00; 1997-11-{10,12,14,24,26,28} 09:00; 1997-12-{8,10,12,22} 09:00 | 25 |
| R13 | Every other week on TU,TH, 8 occurrences | 19970902T090000 | `FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH` | 1997-09-{2,4,16,18,30} 09:00; 1997-10-{2,14,16} 09:00 | 8 |
| R14 | Monthly on the first Friday for 10 occurrences | 19970905T090000 | `FREQ=MONTHLY;COUNT=10;BYDAY=1FR` | 1997-09-{5} 09:00; 1997-10-{3} 09:00; 1997-11-{7} 09:00; 1997-12-{5} 09:00; 1998-01-{2} 09:00; 1998-02-{6} 09:00; 1998-03-{6} 09:00; 1998-04-{3} 09:00; 1998-05-{1} 09:00; 1998-06-{5} 09:00 | 10 |
| R15 | Monthly on the first Friday until Dec 24 1997 | 19970905T090000 | `FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR` | 1997-09-{5} 09:00; 1997-10-{3} 09:00; 1997-11-{7} 09:00; 1997-12-{5} 09:00 | 4 |
| R16 | Every other month on first and last Sunday, 10 occurrences | 19970907T090000 | `FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU` | 1997-09-{7,28} 09:00; 1997-11-{2,30} 09:00; 1998-01-{4,25} 09:00; 1998-03-{1,29} 09:00; 1998-05-{3,31} 09:00 | 10 |
| R17 | Monthly on the second-to-last Monday, 6 months | 19970922T090000 | `FREQ=MONTHLY;COUNT=6;BYDAY=-2MO` | 1997-09-{22} 09:00; 1997-10-{20} 09:00; 1997-11-{17} 09:00; 1997-12-{22} 09:00; 1998-01-{19} 09:00; 1998-02-{16} 09:00 | 6 |
| R18 | Monthly on the third-to-the-last day, forever | 19970928T090000 | `FREQ=MONTHLY;BYMONTHDAY=-3` | 1997-09-{28} 09:00; 1997-10-{29} 09:00; 1997-11-{28} 09:00; 1997-12-{29} 09:00; 1998-01-{29} 09:00; 1998-02-{26} 09:00 | 6 (first) |
| R19 | Monthly on the 2nd and 15th, 10 occurrences | 19970902T090000 | `FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15` | 1997-09-{2,15} 09:00; 1997-10-{2,15} 09:00; 1997-11-{2,15} 09:00; 1997-12-{2,15} 09:00; 1998-01-{2,15} 09:00 | 10 |
| R20 | Monthly on the first and last day, 10 occurrences | 19970930T090000 | `FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1` | 1997-09-{30} 09:00; 1997-10-{1,31} 09:00; 1997-11-{1,30} 09:00; 1997-12-{1,31} 09:00; 1998-01-{1,31} 09:00; 1998-02-{1} 09:00 | 10 |
| R21 | Every 18 months on the 10th-15th, 10 occurrences | 19970910T090000 | `FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15` | 1997-09-{10..15} 09:00; 1999-03-{10..13} 09:00 | 10 |
| R22 | Every Tuesday, every other month | 19970902T090000 | `FREQ=MONTHLY;INTERVAL=2;BYDAY=TU` | 1997-09-{2,9,16,23,30} 09:00; 1997-11-{4,11,18,25} 09:00; 1998-01-{6,13,20,27} 09:00; 1998-03-{3,10,17,24,31} 09:00 | 18 (first) |
| R23 | Yearly in June and July, 10 occurrences | 19970610T090000 | `FREQ=YEARLY;COUNT=10;BYMONTH=6,7` | 1997-06-{10} 09:00; 1997-07-{10} 09:00; 1998-06-{10} 09:00; 1998-07-{10} 09:00; 1999-06-{10} 09:00; 1999-07-{10} 09:00; 2000-06-{10} 09:00; 2000-07-{10} 09:00; 2001-06-{10} 09:00; 2001-07-{10} 09:00 | 10 |
| R24 | Every other year on Jan, Feb, Mar, 10 occurrences | 19970310T090000 | `FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3` | 1997-03-{10} 09:00; 1999-01-{10} 09:00; 1999-02-{10} 09:00; 1999-03-{10} 09:00; 2001-01-{10} 09:00; 2001-02-{10} 09:00; 2001-03-{10} 09:00; 2003-01-{10} 09:00; 2003-02-{10} 09:00; 2003-03-{10} 09:00 | 10 |
| R25 | Every third year on day 1, 100, 200, 10 occurrences | 19970101T090000 | `FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200` | 1997-01-{1} 09:00; 1997-04-{10} 09:00; 1997-07-{19} 09:00; 2000-01-{1} 09:00; 2000-04-{9} 09:00; 2000-07-{18} 09:00; 2003-01-{1} 09:00; 2003-04-{10} 09:00; 2003-07-{19} 09:00; 2006-01-{1} 09:00 | 10 |
| R26 | Every 20th Monday of the year | 19970519T090000 | `FREQ=YEARLY;BYDAY=20MO` | 1997-05-{19} 09:00; 1998-05-{18} 09:00; 1999-05-{17} 09:00 | 3 (first) |
| R27 | Monday of ISO week 20 | 19970512T090000 | `FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO` | 1997-05-{12} 09:00; 1998-05-{11} 09:00; 1999-05-{17} 09:00 | 3 (first) |
| R28 | Every Thursday in March | 19970313T090000 | `FREQ=YEARLY;BYMONTH=3;BYDAY=TH` | 1997-03-{13,20,27} 09:00; 1998-03-{5,12,19,26} 09:00; 1999-03-{4,11,18,25} 09:00 | 11 (first) |
| R29 | Every Thursday in June, July, August | 19970605T090000 | `FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8` | 1997-06-{5,12,19,26} 09:00; 1997-07-{3,10,17,24,31} 09:00; 1997-08-{7,14,21,28} 09:00; 1998-06-{4,11,18,25} 09:00; 1998-07-{2,9,16,23,30} 09:00; 1998-08-{6,13,20,27} 09:00; 1999-06-{3,10,17,24} 09:00; 1999-07-{1,8,15,22,29} 09:00; 1999-08-{5,12,19,26} 09:00 | 39 (first) |
| R30 | Every Friday the 13th (DTSTART excluded by EXDATE) | 19970902T090000 | `FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13` | 1998-02-{13} 09:00; 1998-03-{13} 09:00; 1998-11-{13} 09:00; 1999-08-{13} 09:00; 2000-10-{13} 09:00 | 5 (first) |
| R31 | First Saturday that follows the first Sunday | 19970913T090000 | `FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13` | 1997-09-{13} 09:00; 1997-10-{11} 09:00; 1997-11-{8} 09:00; 1997-12-{13} 09:00; 1998-01-{10} 09:00; 1998-02-{7} 09:00; 1998-03-{7} 09:00; 1998-04-{11} 09:00; 1998-05-{9} 09:00; 1998-06-{13} 09:00 | 10 (first) |
| R32 | US Presidential Election day | 19961105T090000 | `FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8` | 1996-11-{5} 09:00; 2000-11-{7} 09:00; 2004-11-{2} 09:00 | 3 (first) |
| R33 | 3rd instance of TU/WE/TH, 3 months | 19970904T090000 | `FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3` | 1997-09-{4} 09:00; 1997-10-{7} 09:00; 1997-11-{6} 09:00 | 3 |
| R34 | Second-to-last weekday of the month | 19970929T090000 | `FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2` | 1997-09-{29} 09:00; 1997-10-{30} 09:00; 1997-11-{27} 09:00; 1997-12-{30} 09:00; 1998-01-{29} 09:00; 1998-02-{26} 09:00; 1998-03-{30} 09:00 | 7 (first) |
| R35 | Every 3 hours 9:00-17:00 (RFC text as printed; see errata) | 19970902T090000 | `FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z` | 1997-09-02 {09:00,12:00,15:00} | 3 |
| R36 | Every 15 minutes, 6 occurrences | 19970902T090000 | `FREQ=MINUTELY;INTERVAL=15;COUNT=6` | 1997-09-02 {09:00,09:15,09:30,09:45,10:00,10:15} | 6 |
| R37 | Every hour and a half, 4 occurrences | 19970902T090000 | `FREQ=MINUTELY;INTERVAL=90;COUNT=4` | 1997-09-02 {09:00,10:30,12:00,13:30} | 4 |
| R38 | Every 20 minutes 9:00-16:40 (DAILY form) | 19970902T090000 | `FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40` | 1997-09-02 {09:00,09:20,09:40,10:00,10:20,10:40,11:00,11:20,11:40,12:00,12:20,12:40,13:00,13:20,13:40,14:00,14:20,14:40,15:00,15:20,15:40,16:00,16:20,16:40}; 1997-09-03 {09:00,09:20,09:40,10:00,10:20,10:40,11:00,11:20,11:40,12:00,12:20,12:40,13:00,13:20,13:40,14:00,14:20,14:40,15:00,15:20,15:40,16:00,16:20,16:40} | 48 (first) |
| R39 | Every 20 minutes 9:00-16:40 (MINUTELY form) | 19970902T090000 | `FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16` | 1997-09-02 {09:00,09:20,09:40,10:00,10:20,10:40,11:00,11:20,11:40,12:00,12:20,12:40,13:00,13:20,13:40,14:00,14:20,14:40,15:00,15:20,15:40,16:00,16:20,16:40}; 1997-09-03 {09:00,09:20,09:40,10:00,10:20,10:40,11:00,11:20,11:40,12:00,12:20,12:40,13:00,13:20,13:40,14:00,14:20,14:40,15:00,15:20,15:40,16:00,16:20,16:40} | 48 (first) |
| R40 | WKST=MO example | 19970805T090000 | `FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO` | 1997-08-{5,10,19,24} 09:00 | 4 |
| R41 | WKST=SU example | 19970805T090000 | `FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU` | 1997-08-{5,17,19,31} 09:00 | 4 |
| R42 | Invalid date (Feb 30) ignored | 20070115T090000 | `FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5` | 2007-01-{15,30} 09:00; 2007-02-{15} 09:00; 2007-03-{15,30} 09:00 | 5 |
"""

RFC_ZONE = "America/New_York"
# Row-specific additions to the transcription (spec/rrule.md §5 notes).
R30_EXDATE = "EXDATE;TZID=America/New_York:19970902T090000"
R35_CORRECTED_UNTIL = "19970902T210000Z"
# Extra, non-RFC rows of spec/rrule.md §5 ("Additional non-RFC cases").
RX_CASES = [
    ("RX1", "DAILY across the spring-forward gap (spec/rrule.md §5 additional case)",
     "20250308T023000", "FREQ=DAILY",
     ["2025-03-08T02:30:00-05:00", "2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"],
     "02:30 does not exist on 2025-03-09: RFC 5545 §3.3.5 shift to 03:30 EDT"),
    ("RX2", "DAILY across the fall-back fold (spec/rrule.md §5 additional case)",
     "20251101T013000", "FREQ=DAILY",
     ["2025-11-01T01:30:00-04:00", "2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"],
     "01:30 occurs twice on 2025-11-02: first occurrence (EDT)"),
]
# Rows where the transcription may legitimately differ from dateutil, with
# the reason (spec/rrule.md §7).  None at present: R35 is transcribed as the
# printed UNTIL gives it (2 instances), see the note on that row.
DATEUTIL_KNOWN_DISAGREEMENTS: dict[str, str] = {}


def expand_compact(spec: str) -> list[datetime]:
    """'1997-09-{2..4,8} 09:00; 1997-09-02 {09:00,12:00}' -> naive datetimes."""
    out = []
    for seg in spec.split(";"):
        seg = seg.strip()
        m = re.fullmatch(r"(\d{4})-(\d\d)-\{([^}]*)\} (\d\d):(\d\d)", seg)
        if m:
            y, mo, days, hh, mm = m.groups()
            for d in expand_list(days):
                out.append(datetime(int(y), int(mo), d, int(hh), int(mm)))
            continue
        m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d) \{([^}]*)\}", seg)
        if m:
            y, mo, d, times = m.groups()
            for t in times.split(","):
                hh, mm = t.split(":")
                out.append(datetime(int(y), int(mo), int(d), int(hh), int(mm)))
            continue
        raise ValueError(f"cannot expand {seg!r}")
    return out


def expand_list(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        if ".." in part:
            a, b = part.split("..")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def wall_to_unix(w: datetime, zone: str) -> int:
    kind, us = wall_instants(w, zone)
    assert kind == "once", (w, zone, kind)  # all RFC rows are plain 09:00-ish times
    return us[0]


def parse_r_table(text: str) -> list[dict]:
    rows = []
    for line in text.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rid, title, dtstart, rule, expected, n = cells
        m = re.fullmatch(r"(\d+)( \(first\))?", n)
        rows.append({"id": rid, "title": title, "dtstart": dtstart,
                     "rule": rule.strip("`"), "expected": expand_compact(expected),
                     "n": int(m.group(1)), "bounded": m.group(2) is None})
    assert [r["id"] for r in rows] == [f"R{i}" for i in range(1, 43)]
    for r in rows:
        assert len(r["expected"]) == r["n"], (r["id"], len(r["expected"]), r["n"])
    return rows


def check_rfc_row(text: str, expected: list[int], bounded_set: bool) -> tuple[bool, list[int]]:
    """dateutil's list for the row: the whole set if bounded, else first n."""
    rule = parse_rule(text)
    n = len(expected)
    got = [to_unix(d) for d in bounded(take, rule, n + 1 if bounded_set else n)]
    return got == expected, got


def build_rrule_rfc(gen: dict) -> dict:
    check_against_spec(R_TABLE, "rrule.md", r"^\| R\d+ \|")
    rows = parse_r_table(R_TABLE)
    cases, failures = [], []

    def add(cid, title, dtstart, rule, expected, bounded_set, note, extra_lines=()):
        text = "\n".join([f"DTSTART;TZID={RFC_ZONE}:{dtstart}", f"RRULE:{rule}", *extra_lines])
        agrees, got = check_rfc_row(text, expected, bounded_set)
        if not agrees and cid not in DATEUTIL_KNOWN_DISAGREEMENTS:
            failures.append((cid, insts(got, RFC_ZONE), insts(expected, RFC_ZONE)))
        case = {"id": cid, "title": title, "zone": RFC_ZONE, "text": text,
                "bounded": bounded_set, "n": len(expected),
                "expected": insts(expected, RFC_ZONE), "dateutil_agrees": agrees}
        if cid in DATEUTIL_KNOWN_DISAGREEMENTS:
            note = (note + "; " if note else "") + DATEUTIL_KNOWN_DISAGREEMENTS[cid]
        if note:
            case["note"] = note
        cases.append(case)

    def walls(ws):
        return [wall_to_unix(w, RFC_ZONE) for w in ws]

    for r in rows:
        if r["id"] == "R30":
            add("R30", r["title"], r["dtstart"], r["rule"], walls(r["expected"]), r["bounded"],
                "the RFC example carries this EXDATE to drop DTSTART (a Tuesday, not a "
                "Friday 13th); without it an RFC-faithful engine includes 1997-09-02 09:00 "
                "first, dateutil does not (it drops a non-matching DTSTART)",
                [R30_EXDATE])
        elif r["id"] == "R35":
            printed = [w for w in r["expected"] if w.hour < 15]
            add("R35", r["title"], r["dtstart"], r["rule"], walls(printed), True,
                "UNTIL as printed in the RFC: 19970902T170000Z = 13:00 EDT, so only 09:00 "
                "and 12:00 (the RFC's own list also shows 15:00: the example is internally "
                "inconsistent, spec/rrule.md §5 notes)")
            add("R35b", r["title"].replace("as printed", "corrected UNTIL"), r["dtstart"],
                r["rule"].replace("UNTIL=19970902T170000Z", f"UNTIL={R35_CORRECTED_UNTIL}"),
                walls(r["expected"]), True,
                "R35 with UNTIL=19970902T210000Z (= 17:00 EDT), which gives the RFC's list "
                "09:00, 12:00, 15:00 (not an RFC row)")
        else:
            add(r["id"], r["title"], r["dtstart"], r["rule"], walls(r["expected"]),
                r["bounded"], None)
    for cid, title, dtstart, rule, exp_iso, note in RX_CASES:
        # transcribed with offsets: parse_local_iso checks each offset is the zone's
        add(cid, title, dtstart, rule, [parse_local_iso(s, RFC_ZONE) for s in exp_iso],
            False, note + " (not an RFC row)")
    if failures:
        for cid, got, want in failures:
            print(f"DATEUTIL != TRANSCRIPTION {cid}:\n  dateutil {got}\n  table    {want}")
        sys.exit("dateutil disagrees with the R-table transcription")
    print(f"  dateutil agrees with all {len(cases)} RFC rows")
    return {"generator": gen, "cases": cases}


# --------------------------------------------------------------------------
# rrule_cases.json: random RRULEs, oracle python-dateutil.
#
# The generator stays inside the part of RFC 5545 where dateutil is a
# trustworthy oracle for Docket (spec/rrule.md §4, §7):
#  * sub-daily FREQ only in UTC and Asia/Kolkata (no transitions after
#    1945): Docket steps those in elapsed time, dateutil in local time;
#  * BYWEEKNO only YEARLY, values +-2..+-50 (year-end weeks are disputed,
#    dateutil PR #1537), always with a plain BYDAY (BYWEEKNO alone leaves
#    the weekday unspecified), never with BYMONTH/BYMONTHDAY/BYYEARDAY;
#  * BYDAY ordinals only MONTHLY/YEARLY, not with BYWEEKNO, BYMONTHDAY or
#    BYYEARDAY ("limit" by an ordinal is underspecified);
#  * BYSETPOS only with another BYxxx, DTSTART then at the START of its
#    period (dateutil #1398 applies BYSETPOS before dropping instances
#    earlier than DTSTART);
#  * DTSTART is a wall time that exists exactly once;
#  * a case is dropped when dateutil's instances are not strictly
#    increasing in UTC (a gap shift can land on, or past, a later instance:
#    dateutil then yields a duplicate or out-of-order instant, Docket
#    deduplicates), when the rule yields nothing, and when dateutil needs
#    more than RRULE_BUDGET loop turns.
# --------------------------------------------------------------------------

RRULE_SEED = 20250303
N_RRULE_CASES = 1100
FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
FREQ_WEIGHTS = [20, 20, 15, 15, 12, 10, 8]
SUBDAILY = {"HOURLY", "MINUTELY", "SECONDLY"}
SUBDAILY_ZONES = ["UTC", "Asia/Kolkata"]
DST_ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Apia",
             "America/Santiago"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MAX_INTERVAL = {"YEARLY": 4, "MONTHLY": 18, "WEEKLY": 4, "DAILY": 10,
                "HOURLY": 30, "MINUTELY": 90, "SECONDLY": 120}
N_FIRST = 12
N_PREFIX = 30


def sample_values(rng, pool, kmax=3) -> list:
    k = rng.choices(range(1, kmax + 1), [60, 28, 12][:kmax])[0]
    return sorted(rng.sample(pool, k), key=lambda v: (abs(v) if isinstance(v, int) else 0, v))


def random_rrule_parts(rng, freq: str) -> dict:
    """BYxxx parts (values as text), honouring the restrictions above."""
    p = {}
    yearly, monthly = freq == "YEARLY", freq == "MONTHLY"
    if rng.random() < (0.35 if yearly else 0.2):
        p["BYMONTH"] = sample_values(rng, list(range(1, 13)))
    if yearly and "BYMONTH" not in p and rng.random() < 0.18:
        p["BYWEEKNO"] = sample_values(rng, [v for v in range(-50, 51) if abs(v) >= 2], 2)
    if (yearly or freq in SUBDAILY) and "BYWEEKNO" not in p and rng.random() < 0.15:
        p["BYYEARDAY"] = sample_values(rng, [v for v in range(-366, 367) if v], 3)
    if freq != "WEEKLY" and "BYWEEKNO" not in p and rng.random() < (0.35 if monthly else 0.2):
        p["BYMONTHDAY"] = sample_values(rng, [v for v in range(-31, 32) if v], 3)
    want_byday = "BYWEEKNO" in p or rng.random() < 0.4
    if want_byday:
        ordinals_ok = ((yearly or monthly) and "BYWEEKNO" not in p
                       and "BYMONTHDAY" not in p and "BYYEARDAY" not in p)
        if ordinals_ok and rng.random() < 0.5:
            span = 5 if (monthly or "BYMONTH" in p) else 53
            days = []
            for _ in range(rng.choices([1, 2, 3], [60, 30, 10])[0]):
                o = rng.choice([1, 2, 3, 4, -1, -2, rng.randint(1, span), -rng.randint(1, span)])
                days.append(f"{o}{rng.choice(WEEKDAYS)}")
            if rng.random() < 0.2:
                days.append(rng.choice(WEEKDAYS))  # mixed plain + ordinal
            p["BYDAY"] = list(dict.fromkeys(days))
        else:
            p["BYDAY"] = sorted(rng.sample(WEEKDAYS, rng.randint(1, 4)), key=WEEKDAYS.index)
    if rng.random() < (0.3 if freq not in SUBDAILY else 0.15):
        p["BYHOUR"] = sample_values(rng, list(range(24)))
    if rng.random() < (0.25 if freq not in ("MINUTELY", "SECONDLY") else 0.12):
        p["BYMINUTE"] = sample_values(rng, list(range(60)))
    if rng.random() < (0.15 if freq != "SECONDLY" else 0.1):
        p["BYSECOND"] = sample_values(rng, list(range(60)))
    if p and rng.random() < 0.2:
        p["BYSETPOS"] = sample_values(rng, [v for v in range(-6, 7) if v], 2)
    if rng.random() < 0.25 or (freq == "WEEKLY" and rng.random() < 0.3):
        p["WKST"] = [rng.choice(WEEKDAYS)]
    return p


def rule_text(freq, interval, parts, count=None, until_u=None) -> str:
    items = [f"FREQ={freq}"]
    if interval != 1:
        items.append(f"INTERVAL={interval}")
    if count is not None:
        items.append(f"COUNT={count}")
    if until_u is not None:
        items.append("UNTIL=" + datetime.fromtimestamp(until_u, UTC).strftime("%Y%m%dT%H%M%SZ"))
    order = ["BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYHOUR",
             "BYMINUTE", "BYSECOND", "BYSETPOS", "WKST"]
    for key in order:
        if key in parts:
            items.append(f"{key}=" + ",".join(map(str, parts[key])))
    return ";".join(items)


def dtstart_line(zone: str, w: datetime) -> str:
    if zone == "UTC":
        return f"DTSTART:{w.strftime('%Y%m%dT%H%M%S')}Z"
    return f"DTSTART;TZID={zone}:{w.strftime('%Y%m%dT%H%M%S')}"


def dst_targeted_wall(rng, zone, freq, interval) -> datetime | None:
    """A DTSTART whose later instances hit a gap or fold of the zone.

    Picks a transition, takes a wall time inside its gap (or repeated
    interval) and moves the date back by a few periods, so that the
    DAILY/WEEKLY/MONTHLY series lands on the transition day: dateutil then
    shows the RFC 5545 §3.3.5 behaviour (gap: shifted forward by the gap
    length; fold: first occurrence) that Docket must reproduce.
    """
    lo = int(datetime(1971, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2060, 12, 1, tzinfo=UTC).timestamp())
    trans = zone_transitions_between(zone, lo, hi)
    if not trans:
        return None
    t, before, after = rng.choice(trans)
    shift = abs(after - before)
    # gap: wall times [t+before, t+after); fold: [t+after, t+before)
    w = datetime.fromtimestamp(t + min(before, after) + rng.randrange(0, shift, 60), UTC)
    w = w.replace(tzinfo=None)
    k = rng.randint(1, 4)
    if freq == "DAILY":
        return w - timedelta(days=k * interval)
    if freq == "WEEKLY":
        return w - timedelta(days=7 * k * interval)
    months = w.year * 12 + w.month - 1 - k * interval
    try:
        return w.replace(year=months // 12, month=months % 12 + 1)
    except ValueError:  # day 31 in a shorter month
        return None


def random_dtstart(rng, zone, freq, parts) -> datetime | None:
    """A naive local wall time 1970-2060 that exists exactly once."""
    d0 = date(1970, 1, 1).toordinal()
    d = date.fromordinal(rng.randint(d0, date(2060, 12, 31).toordinal()))
    w = datetime(d.year, d.month, d.day, rng.randint(0, 23),
                 rng.choice([0, 0, 15, 30, rng.randint(0, 59)]),
                 rng.choice([0, 0, 0, rng.randint(0, 59)]))
    if "BYSETPOS" in parts:
        # start of the BYSETPOS period, 00:00:00 (dateutil #1398)
        if freq == "YEARLY":
            w = datetime(w.year, 1, 1)
        elif freq == "MONTHLY":
            w = datetime(w.year, w.month, 1)
        elif freq == "WEEKLY":
            wkst = WEEKDAYS.index(parts.get("WKST", ["MO"])[0])
            back = (w.weekday() - wkst) % 7
            w = datetime.combine(w.date() - timedelta(days=back), datetime.min.time())
        elif freq == "DAILY":
            w = datetime(w.year, w.month, w.day)
        elif freq == "HOURLY":
            w = w.replace(minute=0, second=0)
        elif freq == "MINUTELY":
            w = w.replace(second=0)
    if wall_instants(w, zone)[0] != "once":
        return None
    return w


class Dropped(Exception):
    pass


def dateutil_list(text: str, n: int) -> list[int]:
    try:
        rule = parse_rule(text)
        out = [to_unix(d) for d in bounded(take, rule, n)]
    except BudgetExceeded:
        raise Dropped("budget")
    except ValueError as e:  # dateutil rejects e.g. empty BYxxx combinations
        raise Dropped(f"ValueError: {e}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise Dropped("not strictly increasing (duplicate or out-of-order instant)")
    return out


def dateutil_after(text: str, after_u: int, k: int) -> list[int]:
    """dateutil's next k instances strictly after after_u: rule.after() repeatedly.

    The query is passed as a UTC datetime: comparing two datetimes with the
    SAME tzinfo compares wall times (fold ignored), across tzinfos it
    compares instants, which is what the fixture means.
    """
    rule = parse_rule(text)
    out, q = [], datetime.fromtimestamp(after_u, UTC)
    try:
        for _ in range(k):
            nxt = bounded(rule.after, q)
            if nxt is None:
                break
            out.append(to_unix(nxt))
            q = nxt.astimezone(UTC)
    except BudgetExceeded:
        raise Dropped("budget")
    return out


def in_dst_zone_of_interest(u: int, zone: str) -> bool:
    """u is in a repeated interval, or within one gap length after a gap
    (where §3.3.5-shifted instances land)."""
    for t, before, after in zone_transitions_between(zone, u - 86400, u):
        if after > before and t <= u < t + (after - before):
            return True
    return wall_kind(u, zone) == "fold"


def mixed_byday(parts: dict) -> bool:
    days = parts.get("BYDAY", [])
    return any(d[0] in "+-0123456789" for d in days) and any(d[0] not in "+-0123456789" for d in days)


def union_list(head: str, freq, interval, parts, count, until_u, n: int) -> list[int]:
    """The first n instances (pattern only) of a rule whose BYDAY mixes plain and ordinal
    entries, read as the RFC's list: the union of the days each entry selects.

    dateutil 4.0.0 intersects the two kinds instead (a day must be one of the plain
    weekdays AND an ordinal one).  Without BYSETPOS the union equals the merge of the
    rule with only the plain entries and the rule with only the ordinal entries,
    deduplicated, then cut by COUNT.
    """
    lists = []
    for keep_ordinal in (False, True):
        sub = dict(parts)
        sub["BYDAY"] = [d for d in parts["BYDAY"] if (d[0] in "+-0123456789") == keep_ordinal]
        lists.append(dateutil_list(head + "\nRRULE:" + rule_text(freq, interval, sub, None, until_u), n))
    merged = sorted(set(lists[0]) | set(lists[1]))
    return merged[:min(n, count)] if count is not None else merged[:n]


def build_rrule_random(gen: dict) -> tuple[dict, dict, dict]:
    rng = random.Random(RRULE_SEED)
    cases, drops, seen, divergences = [], {}, set(), []
    stats = {"kept cases with an instance in a fold or just after a gap": 0}
    while len(cases) < N_RRULE_CASES:
        freq = rng.choices(FREQS, FREQ_WEIGHTS)[0]
        zone = rng.choice(SUBDAILY_ZONES if freq in SUBDAILY else ZONES)
        interval = 1 if rng.random() < 0.5 else rng.randint(2, MAX_INTERVAL[freq])
        targeted = (freq in ("DAILY", "WEEKLY", "MONTHLY") and zone in DST_ZONES
                    and rng.random() < 0.35)
        if targeted:
            # plain series (no BYxxx but WKST) aimed at a transition day
            parts = {"WKST": [rng.choice(WEEKDAYS)]} if rng.random() < 0.2 else {}
            w = dst_targeted_wall(rng, zone, freq, interval)
            if w is not None and wall_instants(w, zone)[0] != "once":
                w = None
        else:
            parts = random_rrule_parts(rng, freq)
            w = random_dtstart(rng, zone, freq, parts)
        end_kind = rng.choices(["none", "count", "until"], [35, 35, 30])[0]
        if w is None:
            drops["dtstart not unique"] = drops.get("dtstart not unique", 0) + 1
            continue
        head = dtstart_line(zone, w)
        try:
            count = until = None
            if end_kind == "count":
                count = rng.randint(1, 30)
            elif end_kind == "until":
                # place UNTIL from the open-ended rule's instances, sometimes
                # exactly on one (UNTIL is inclusive)
                probe = dateutil_list(head + "\nRRULE:" + rule_text(freq, interval, parts), 15)
                if not probe:
                    raise Dropped("no instance")
                k = rng.randrange(len(probe))
                if rng.random() < 0.35 or k + 1 >= len(probe):
                    until = probe[k]
                else:
                    until = rng.randint(probe[k], probe[k + 1] - 1)
            text = head + "\nRRULE:" + rule_text(freq, interval, parts, count, until)
            if text in seen:
                raise Dropped("duplicate text")
            # a deeper prefix than `first`, for the queries and the duplicate check
            if mixed_byday(parts) and "BYSETPOS" in parts:
                # BYSETPOS counts positions in the union; dateutil cannot compute it.
                raise Dropped("mixed BYDAY with BYSETPOS")
            prefix = dateutil_list(text, N_PREFIX)
            if not prefix:
                raise Dropped("no instance")
            first = prefix[:N_FIRST]
            complete = len(prefix) <= N_FIRST
            queries = []
            dt_u = wall_to_unix(w, zone)
            span_end = prefix[-1] + max((prefix[-1] - dt_u) // 3, 3600)
            for _ in range(3):
                r = rng.random()
                if r < 0.3:
                    q = rng.choice(prefix)  # exactly an instance
                elif r < 0.4:
                    q = dt_u - rng.randint(1, 86400 * 3)  # before DTSTART
                else:
                    q = rng.randint(dt_u, span_end)
                nxt = dateutil_after(text, q, 3)
                expect = [u for u in prefix if u > q][:3]
                if len(expect) == 3 or len(prefix) < N_PREFIX:
                    if nxt != expect:
                        sys.exit(f"dateutil after() disagrees with iteration: {text!r} q={q}")
                if any(b <= a for a, b in zip(nxt, nxt[1:])):
                    raise Dropped("not strictly increasing (duplicate or out-of-order instant)")
                queries.append({"after": inst(q, zone), "next": insts(nxt, zone)})
            divergence = None
            if mixed_byday(parts):
                union = union_list(head, freq, interval, parts, count, until, N_PREFIX * 8)
                union_complete = len(union) < N_PREFIX * 8
                for q in queries:
                    if not union_complete and len([u for u in union if u > q["after"]["unix"]]) < 3:
                        raise Dropped("mixed BYDAY union prefix too short")
                u_first = union[:N_FIRST]
                divergence = {
                    "class": "mixed-byday",
                    "reason": ("BYDAY mixes plain and ordinal entries (" + ",".join(parts["BYDAY"])
                               + "): dateutil 4.0.0 keeps only days that are both, Docket takes the "
                               "union of the days the entries select (RFC 5545 BYDAY is a list)"),
                    "dtstart_in_pattern": bool(u_first) and u_first[0] == dt_u,
                    "first": insts(u_first, zone),
                    "complete": len(union) <= N_FIRST,
                    "queries": [{"after": q["after"],
                                 "next": insts([u for u in union if u > q["after"]["unix"]][:3], zone)}
                                for q in queries],
                }
        except Dropped as e:
            key = str(e).split(":")[0]
            drops[key] = drops.get(key, 0) + 1
            continue
        seen.add(text)
        if any(in_dst_zone_of_interest(u, zone) for u in first):
            stats["kept cases with an instance in a fold or just after a gap"] += 1
        cid = f"Q{len(cases) + 1:04d}"
        cases.append({"id": cid, "zone": zone, "text": text,
                      "dtstart": inst(dt_u, zone), "dtstart_in_pattern": first[0] == dt_u,
                      "first": insts(first, zone), "complete": complete,
                      "queries": queries})
        if divergence is not None:
            divergences.append({"id": cid, **divergence})
    return ({"generator": {**gen, "seed": RRULE_SEED}, "cases": cases},
            {"generator": {**gen, "seed": RRULE_SEED}, "cases": divergences},
            {**drops, **stats})


# ==========================================================================
# Output
# ==========================================================================

def write_json(name: str, doc: dict) -> None:
    """Fixed layout: generator object, then one case per line (diff-friendly)."""
    cases = doc["cases"]
    lines = ["{", '  "generator": ' + json.dumps(doc["generator"], ensure_ascii=False) + ",",
             '  "cases": [']
    for i, c in enumerate(cases):
        lines.append("    " + json.dumps(c, ensure_ascii=False)
                     + ("," if i < len(cases) - 1 else ""))
    lines += ["  ]", "}"]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads((HERE / name).read_text(encoding="utf-8"))  # must parse back
    print(f"  wrote {name}: {len(cases)} cases")


def or_rule_dom_never_exists(expr: str) -> bool:
    """OR-rule expression whose DOM list alone names no day of its months.

    Such expressions still fire (on the DOW side); a parser that rejects
    "impossible day-of-month" without looking at the day rule would wrongly
    reject them.  Reported in the summary only.
    """
    fields = expand_macro(expr).split()
    dom, month, dow = fields[-3], fields[-2], fields[-1]
    if dom.startswith("*") or dow.startswith("*") or "L" in dom.upper():
        return False
    days = CronSim(" ".join(["0", "0", dom, "*", "*"]), datetime(2000, 1, 1)).days
    months = CronSim(" ".join(["0", "0", "*", month, "*"]), datetime(2000, 1, 1)).months
    maxlen = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
    return min(days) > max(maxlen[m] for m in months)


def validate_outputs() -> None:
    """Re-read every file and check the invariants the Swift tests rely on."""
    def check_inst(i, zone, where):
        dt = datetime.fromisoformat(i["iso"])
        assert set(i) == {"unix", "iso"} and isinstance(i["unix"], int), where
        assert to_unix(dt) == i["unix"], (where, i)
        assert local(i["unix"], zone).isoformat() == i["iso"], (where, i)

    def increasing(xs, where, after=None):
        us = [x["unix"] for x in xs]
        assert all(b > a for a, b in zip(us, us[1:])), where
        assert after is None or not us or us[0] > after, where

    class_a = {d["id"] for d in json.loads((HERE / "cron_divergences.json").read_text())["cases"]
               if d["class"] == "a"}
    for name in ("cron_dst_cases.json", "cron_cases.json", "cron_croniter_cases.json"):
        doc = json.loads((HERE / name).read_text(encoding="utf-8"))
        ids = [c["id"] for c in doc["cases"]]
        assert len(ids) == len(set(ids)), name
        for c in doc["cases"]:
            for i in [c["start"], *c["next"], *c.get("cronsim", [])]:
                check_inst(i, c["zone"], (name, c["id"]))
            # cron_cases keeps cronsim's raw output, which for class (a) starts
            # before the start instant
            floor = None if (name == "cron_cases.json" and c["id"] in class_a) else c["start"]["unix"]
            increasing(c["next"], (name, c["id"]), floor)
    crons = {c["id"]: c for c in json.loads((HERE / "cron_cases.json").read_text())["cases"]}
    for d in json.loads((HERE / "cron_divergences.json").read_text())["cases"]:
        c = crons[d["id"]]
        assert d["cronsim"] == c["next"] and d["expected"] != d["cronsim"], d["id"]
        increasing(d["expected"], d["id"], c["start"]["unix"])
    for c in json.loads((HERE / "rrule_rfc_cases.json").read_text())["cases"]:
        for i in c["expected"]:
            check_inst(i, c["zone"], c["id"])
        increasing(c["expected"], c["id"])
        assert c["n"] == len(c["expected"]), c["id"]
    for c in json.loads((HERE / "rrule_cases.json").read_text())["cases"]:
        for i in [c["dtstart"], *c["first"]]:
            check_inst(i, c["zone"], c["id"])
        increasing(c["first"], c["id"], c["dtstart"]["unix"] - 1)
        assert c["dtstart_in_pattern"] == (c["first"][0] == c["dtstart"]), c["id"]
        assert 1 <= len(c["first"]) <= N_FIRST and (c["complete"] or len(c["first"]) == N_FIRST)
        for q in c["queries"]:
            for i in [q["after"], *q["next"]]:
                check_inst(i, c["zone"], c["id"])
            increasing(q["next"], c["id"], q["after"]["unix"])
            if c["complete"]:  # the whole set is known: the answer must follow from it
                want = [i for i in c["first"] if i["unix"] > q["after"]["unix"]][:3]
                assert q["next"] == want, c["id"]
    print("  all files re-read and validated")


def main() -> None:
    t_all = time.perf_counter()
    gen = check_environment()
    print(f"environment: {gen}")

    def stage(title, fn, *args):
        t = time.perf_counter()
        print(f"{title} ...")
        out = fn(*args)
        print(f"  ({time.perf_counter() - t:.1f} s)")
        return out

    dst = stage("cron_dst_cases.json", build_cron_dst, {**gen, "seed": None})
    write_json("cron_dst_cases.json", dst)

    cron, div, stats = stage("cron_cases.json + cron_divergences.json", build_cron_random, gen)
    write_json("cron_cases.json", cron)
    write_json("cron_divergences.json", div)
    print(f"  stats: {stats}")
    by_class = {}
    for d in div["cases"]:
        by_class[d["class"]] = by_class.get(d["class"], 0) + 1
    print(f"  divergences by class: {dict(sorted(by_class.items()))}")
    for d in div["cases"]:
        if d["class"] == "d":
            banner = "UNCLASSIFIED" if d["reason"] == "unclassified" else "class d"
            case = next(c for c in cron["cases"] if c["id"] == d["id"])
            print(f"  !!! {banner} {d['id']} {case['expr']!r} {case['zone']} "
                  f"start {case['start']['iso']}\n      reason: {d['reason']}\n"
                  f"      cronsim  {[i['iso'] for i in d['cronsim']]}\n"
                  f"      expected {[i['iso'] for i in d['expected']]}")
    odd = [c["id"] for c in cron["cases"] if or_rule_dom_never_exists(c["expr"])]
    print(f"  OR-rule cases whose day-of-month never exists in their months: {odd}")

    write_json("cron_croniter_cases.json", stage("cron_croniter_cases.json", build_croniter, gen))
    write_json("rrule_rfc_cases.json",
               stage("rrule_rfc_cases.json", build_rrule_rfc, {**gen, "seed": None}))
    rr, rdiv, drops = stage("rrule_cases.json + rrule_divergences.json", build_rrule_random, gen)
    write_json("rrule_cases.json", rr)
    write_json("rrule_divergences.json", rdiv)
    print(f"  rrule divergences: {len(rdiv['cases'])}")
    print(f"  dropped candidates / stats: {drops}")
    validate_outputs()
    print(f"done in {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
