#!/usr/bin/env python3
"""Differential fuzz of `docket cron next` against an independent model of the
README's cron grammar + DST rule (own calendar matcher; wall times mapped to instants by
Fixtures/schedules/generate.py's zoneinfo model).

usage: cronfuzz.py SEED N [--zones z1,z2] [--near FRACTION] [--far] [--policies]
       cronfuzz.py SEED N --far --fixture PATH

--fixture writes N cases (the model's first 5 fires; no year field, default DST policies) to
PATH in the format of Fixtures/schedules/cron_cases.json instead of running Docket: that is
how Fixtures/schedules/cron_far_cases.json was made (seed 2700, 400 cases).

--far starts in 2650-9900 (near the DST changes of 2695-2701, 3000, 4321, 9000): the zones'
far-future rule, which Docket repeats past its 2700 table. Needs `swift build -c release`
(or DOCKET=path) and what generate.py imports (cronsim, croniter, python-dateutil; see
Fixtures/schedules/README).
"""
import calendar
import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone, date
from zoneinfo import ZoneInfo, available_timezones

import os
HERE = os.path.dirname(os.path.abspath(__file__))
# Wall time -> instants (once, fold, gap) is the fixtures' own model: one copy of it.
sys.path.insert(0, os.path.join(HERE, "..", "..", "Fixtures", "schedules"))
from generate import first_offset_change, wall_instants  # noqa: E402
DOCKET = os.environ.get("DOCKET", os.path.join(HERE, "..", "..", ".build", "release", "docket"))
UTC = timezone.utc
NFIRES = 10

DST_ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
             "Asia/Tehran", "Pacific/Chatham", "Europe/Dublin", "Pacific/Apia", "America/Havana",
             "Africa/Casablanca", "Asia/Gaza", "America/Godthab", "America/Nuuk", "Antarctica/Troll",
             "America/Asuncion", "Europe/Moscow", "America/St_Johns", "Australia/Adelaide"]
ALL_ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV")))

_tz = {}


def tzof(n):
    if n not in _tz:
        _tz[n] = ZoneInfo(n)
    return _tz[n]


def off_at(u, zone):
    return int(datetime.fromtimestamp(u, UTC).astimezone(tzof(zone)).utcoffset().total_seconds())


# ---------------------------------------------------------------- field parsing (own model)
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DOWS = "SUN MON TUE WED THU FRI SAT".split()
RANGES = {"sec": (0, 59), "min": (0, 59), "hour": (0, 23), "dom": (1, 31), "mon": (1, 12),
          "dow": (0, 7), "year": (1970, 2199)}
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def val(kind, t):
    t = t.upper()
    if kind == "mon" and t in MONTHS:
        return MONTHS.index(t) + 1
    if kind == "dow" and t in DOWS:
        return DOWS.index(t)
    v = int(t)
    lo, hi = RANGES[kind]
    assert lo <= v <= hi
    return v


class Field:
    def __init__(self, kind, text):
        self.kind, self.text = kind, text
        self.star = text[0] in "*?"
        self.values = set()
        self.specials = []  # ('L', n) ('W', d) ('LW',) ('xL', x) ('#', x, k)
        lo, hi = RANGES[kind]
        for item in text.split(","):
            u = item.upper()
            if u in ("*", "?"):
                self.values |= set(range(lo, hi + 1))
                continue
            if kind == "dom" and u.startswith("L"):
                if u == "L":
                    self.specials.append(("L", 0))
                elif u == "LW":
                    self.specials.append(("LW",))
                else:
                    assert u.startswith("L-")
                    self.specials.append(("L", int(u[2:])))
                continue
            if kind == "dom" and u.endswith("W"):
                self.specials.append(("W", val(kind, u[:-1])))
                continue
            if kind == "dow" and u.endswith("L"):
                self.specials.append(("xL", val(kind, u[:-1]) % 7))
                continue
            if kind == "dow" and "#" in u:
                a, k = u.split("#")
                self.specials.append(("#", val(kind, a) % 7, int(k)))
                continue
            step = 1
            has_step = "/" in u
            if has_step:
                u, s = u.split("/")
                step = int(s)
                assert step >= 1
            if u == "*":
                a, b = lo, hi
            elif "-" in u:
                x, y = u.split("-")
                a, b = val(kind, x), val(kind, y)
            else:
                a = val(kind, u)
                b = hi if has_step else a
            if a > b:
                assert kind == "dow" and b == 0
                b = 7
            self.values |= set(range(a, b + 1, step))
        if kind == "dow":
            self.values = {v % 7 for v in self.values}


def nearest_weekday(y, m, d):
    dim = calendar.monthrange(y, m)[1]
    wd = date(y, m, d).isoweekday() % 7  # 0=Sun
    if wd == 6:
        return 3 if d == 1 else d - 1
    if wd == 0:
        return d - 2 if d == dim else d + 1
    return d


class Model:
    def __init__(self, expr):
        e = expr.strip()
        if e.lower() in MACROS:
            e = MACROS[e.lower()]
        f = e.split()
        if len(f) == 5:
            f = ["0"] + f
            self.secstar = False
        else:
            self.secstar = f[0][0] == "*"
        self.minstar, self.hourstar = f[1][0] == "*", f[2][0] == "*"
        self.fixed = not (self.secstar or self.minstar or self.hourstar)
        self.sec = sorted(Field("sec", f[0]).values)
        self.min = sorted(Field("min", f[1]).values)
        self.hour = sorted(Field("hour", f[2]).values)
        self.dom = Field("dom", f[3])
        self.mon = Field("mon", f[4]).values
        self.dow = Field("dow", f[5])
        self.years = Field("year", f[6]).values if len(f) == 7 else None
        self._daycache = {}

    def day_ok(self, dd):
        y, m, d = dd.year, dd.month, dd.day
        if self.years is not None and y not in self.years:
            return False
        if m not in self.mon:
            return False
        dim = calendar.monthrange(y, m)[1]
        wd = dd.isoweekday() % 7
        dom_ok = d in self.dom.values
        for sp in self.dom.specials:
            if sp[0] == "L" and dim - sp[1] == d:
                dom_ok = True
            if sp[0] == "W" and sp[1] <= dim and nearest_weekday(y, m, sp[1]) == d:
                dom_ok = True
            if sp[0] == "LW":
                lw = dim
                while date(y, m, lw).isoweekday() > 5:
                    lw -= 1
                if lw == d:
                    dom_ok = True
        dow_ok = wd in self.dow.values
        for sp in self.dow.specials:
            if sp[0] == "xL" and wd == sp[1] and d + 7 > dim:
                dow_ok = True
            if sp[0] == "#" and wd == sp[1] and (d - 1) // 7 + 1 == sp[2]:
                dow_ok = True
        if self.dom.star or self.dow.star:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def walls_from(self, day):
        """Matching naive wall times from the start of `day`, in order."""
        d = day
        limit = day + timedelta(days=366 * 60)
        while d < limit:
            if self.day_ok(d):
                for h in self.hour:
                    for mi in self.min:
                        for s in self.sec:
                            yield datetime(d.year, d.month, d.day, h, mi, s)
            d += timedelta(days=1)


def model_next(expr, zone, start_u, n, gap="auto", fold="auto"):
    import bisect
    m = Model(expr)
    if gap == "auto":
        gap = "fireAtGapEnd" if m.fixed else "skip"
    if fold == "auto":
        fold = "first" if m.fixed else "both"
    y = datetime.fromtimestamp(start_u, UTC).year
    tr = transitions(zone, max(1900, y - 2), min(y + 70, 9999))
    daycache = {}
    begin = (datetime.fromtimestamp(start_u, UTC) - timedelta(days=2)).date()
    fires = set()
    for w in m.walls_from(begin):
        wu = int(w.replace(tzinfo=UTC).timestamp())
        if len(fires) >= n and wu - 16 * 3600 > sorted(fires)[n - 1]:
            break
        if wu + 16 * 3600 <= start_u:
            continue
        dkey = w.date()
        if dkey not in daycache:
            d0 = int(datetime(w.year, w.month, w.day, tzinfo=UTC).timestamp())
            j = bisect.bisect_left(tr, d0 - 2 * 86400)
            quiet = not (j < len(tr) and tr[j] <= d0 + 3 * 86400)
            daycache[dkey] = off_at(d0, zone) if quiet else None
        o = daycache[dkey]
        if o is not None:
            kind, us = "once", [wu - o]
        else:
            kind, us = wall_instants(w, zone)
        if kind == "fold":
            us = {"first": us[:1], "last": us[1:], "both": us}[fold]
        elif kind == "gap":
            if gap == "skip":
                us = []
            elif gap == "shiftByGap":
                us = [wu - off_at(us[0] - 1, zone)]
        for u in us:
            if u > start_u:
                fires.add(u)
    return sorted(fires)[:n]


# ---------------------------------------------------------------- docket
def run(cmd, timeout=60):
    """Runs the CLI: ("OK", fires), ("ERR", code, message), ("CRASH", code, stderr) or TIMEOUT."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "TIMEOUT", None, None, cmd
    if p.returncode >= 128 or p.returncode < 0 or "Fatal error" in p.stderr:
        return "CRASH", p.returncode, p.stderr[-500:], cmd
    if p.returncode != 0:
        return "ERR", p.returncode, p.stderr.strip(), cmd
    out = [int(datetime.fromisoformat(s).timestamp()) for s in json.loads(p.stdout or "[]")]
    return "OK", out, None, cmd


def docket(expr, zone, start_u, n):
    after = datetime.fromtimestamp(start_u, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return run([DOCKET, "cron", "next", expr, "--tz", zone, "--after", after, "-n", str(n), "--json"])


# ---------------------------------------------------------------- generator
def vtext(rng, kind, v):
    if kind == "mon" and rng.random() < 0.3:
        s = MONTHS[v - 1]
    elif kind == "dow" and rng.random() < 0.3 and v <= 7:
        s = DOWS[v % 7]
    else:
        return str(v)
    return rng.choice([s, s.lower(), s.capitalize()])


def rng_range(rng, kind, lo, hi):
    """A random range `a-b` within lo..hi (the same draws as written out before)."""
    a = rng.randint(lo, hi)
    b = rng.randint(a, hi)
    return f"{vtext(rng, kind, a)}-{vtext(rng, kind, b)}"


def item(rng, kind):
    lo, hi = RANGES[kind]
    if kind == "year":
        lo, hi = 1990, 2070
    r = rng.random()
    if kind == "dom" and r < 0.12:
        return rng.choice(["L", "LW", f"L-{rng.randint(0, 5)}", f"{rng.randint(1, 31)}W", "l", "lw"])
    if kind == "dow" and r < 0.12:
        x = rng.randint(0, 7)
        return rng.choice([f"{vtext(rng, kind, x)}L", f"{vtext(rng, kind, x)}#{rng.randint(1, 5)}"])
    r = rng.random()
    span = hi - lo + 1
    if r < 0.35:
        return vtext(rng, kind, rng.randint(lo, hi))
    if r < 0.55:
        return rng_range(rng, kind, lo, hi)
    if r < 0.7:
        return f"*/{rng.choice([rng.randint(1, max(1, span // 2)), rng.randint(1, span + 10)])}"
    if r < 0.85:
        return f"{rng_range(rng, kind, lo, hi)}/{rng.randint(1, span)}"
    if r < 0.95:
        return f"{vtext(rng, kind, rng.randint(lo, hi))}/{rng.randint(1, span)}"
    if kind == "dow":
        return rng.choice(["FRI-SUN", "5-0", "sat-0", "1-7"])
    return str(rng.randint(lo, hi))


def field(rng, kind, pstar):
    r = rng.random()
    if r < pstar:
        if kind in ("dom", "dow") and rng.random() < 0.15:
            return "?"
        return "*"
    if r < pstar + 0.1 and kind not in ("year",):
        return "*/" + str(rng.randint(1, 15))
    k = 1 if rng.random() < 0.6 else rng.randint(2, 4)
    return ",".join(item(rng, kind) for _ in range(k))


def random_expr(rng):
    r = rng.random()
    if r < 0.04:
        return rng.choice(list(MACROS))
    nf = rng.choices([5, 6, 7], [70, 25, 5])[0]
    sec = field(rng, "sec", 0.3) if nf >= 6 else None
    if sec is not None and rng.random() < 0.5:
        sec = str(rng.randint(0, 59))
    mi = field(rng, "min", 0.25)
    hr = field(rng, "hour", 0.4)
    dom = field(rng, "dom", 0.6)
    mon = field(rng, "mon", 0.7)
    dow = field(rng, "dow", 0.6)
    parts = ([sec] if sec else []) + [mi, hr, dom, mon, dow]
    if nf == 7:
        parts.append(field(rng, "year", 0.3))
    return " ".join(parts)


_trans = {}


def _scan(zone, u, end, step):
    out = []
    prev = off_at(u, zone)
    while u < end:
        v = u + step
        o = off_at(v, zone)
        if o != prev:
            out.append(first_offset_change(u, v, prev, lambda x: off_at(x, zone)))
            prev = o
        u = v
    return out


def transitions(zone, y0=1970, y1=2070):
    """Offset-changing transition instants (explicit TZif ones + POSIX-rule ones by scan)."""
    key = (zone, y0, y1)
    if key in _trans:
        return _trans[key]
    from zoneinfo._zoneinfo import ZoneInfo as PyZI
    z = PyZI.no_cache(zone)
    lo = int(datetime(y0, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(y1, 1, 1, tzinfo=UTC).timestamp())
    explicit = [t for t in z._trans_utc if t < 2 ** 31 - 1]
    out = []
    for t in explicit:
        if lo <= t <= end and off_at(t - 1, zone) != off_at(t, zone):
            out.append(t)
    last = max([lo] + [t for t in explicit if t <= end])
    out += [t for t in _scan(zone, last + 1, end, 86400) if t > last]
    out = sorted(set(out))
    _trans[key] = out
    return out


FAR = "--far" in sys.argv


def random_start(rng, zone, near):
    if FAR:
        y0 = rng.choice([2695, 2698, 3000, 4321, 9000])
        tr = transitions(zone, y0, y0 + 6)
        if tr and rng.random() < near:
            t = rng.choice(tr)
            return t + rng.choice([-1, 0, 1, -60, 60]) if rng.random() < 0.3 else t - rng.randint(0, 6 * 3600) + rng.randint(0, 3600)
        u = rng.randint(int(datetime(2650, 1, 1, tzinfo=UTC).timestamp()), int(datetime(9900, 1, 1, tzinfo=UTC).timestamp()))
        return u - u % 60 if rng.random() < 0.3 else u
    tr = transitions(zone)
    if tr and rng.random() < near:
        t = rng.choice(tr)
        return t + rng.choice([-1, 0, 1, -60, 60]) if rng.random() < 0.3 else t - rng.randint(0, 6 * 3600) + rng.randint(0, 3600)
    u = rng.randint(int(datetime(1971, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2060, 1, 1, tzinfo=UTC).timestamp()))
    if rng.random() < 0.3:
        u -= u % 60
    return u


FIXTURE_FIRES = 5


def write_fixture(seed, n, path):
    """N far-future cases the model answers with FIXTURE_FIRES fires within its 60 years."""
    rng = random.Random(seed)
    iso = lambda u, zone: datetime.fromtimestamp(u, UTC).astimezone(tzof(zone)).isoformat()
    inst = lambda u, zone: {"unix": u, "iso": iso(u, zone)}
    cases = []
    while len(cases) < n:
        expr = random_expr(rng)
        zone = rng.choice(DST_ZONES) if rng.random() < 0.7 else rng.choice(ALL_ZONES)
        start = random_start(rng, zone, 0.5)
        if len(expr.split()) == 7:
            continue  # the generator's years are 1990-2070: never in the far future
        try:
            fires = model_next(expr, zone, start, FIXTURE_FIRES)
        except Exception:
            continue  # an expression the model refuses (Docket refuses it too, or never fires)
        if len(fires) < FIXTURE_FIRES:
            continue
        cases.append({"id": f"F{len(cases) + 1}", "expr": expr, "zone": zone, "start": inst(start, zone),
                      "next": [inst(u, zone) for u in fires], "oracle": "model"})
    tzdata = open("/usr/share/zoneinfo/tzdata.zi").readline().split()[-1]
    with open(path, "w") as f:
        f.write('{\n  "generator": ' + json.dumps({"script": "Scripts/fuzz-schedules/cronfuzz.py --far --fixture",
                                                  "python": sys.version.split()[0], "tzdata": tzdata, "seed": seed}) + ',\n')
        f.write('  "cases": [\n' + ",\n".join("    " + json.dumps(c) for c in cases) + "\n  ]\n}\n")
    print(f"wrote {len(cases)} cases to {path}")


def main():
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    if "--fixture" in sys.argv:
        if not FAR:
            sys.exit("--fixture makes far-future cases: add --far")
        write_fixture(seed, n, sys.argv[sys.argv.index("--fixture") + 1])
        return
    near = 0.5
    zones = None
    args = sys.argv[3:]
    while args:
        a = args.pop(0)
        if a == "--zones":
            zones = args.pop(0).split(",")
        elif a == "--near":
            near = float(args.pop(0))
    rng = random.Random(seed)
    policies = "--policies" in sys.argv
    stats = {"ok": 0, "rejected": 0, "mismatch": 0, "crash": 0, "model_err": 0}
    for i in range(n):
        expr = random_expr(rng)
        if zones:
            zone = rng.choice(zones)
        else:
            zone = rng.choice(DST_ZONES) if rng.random() < 0.7 else rng.choice(ALL_ZONES)
        start = random_start(rng, zone, near)
        gp, fp = "auto", "auto"
        dexpr = expr
        if policies:
            gp = rng.choice(["auto", "fireAtGapEnd", "shiftByGap", "skip"])
            fp = rng.choice(["auto", "first", "both", "last"])
            dexpr = f"CRON_DST_GAP={gp} CRON_DST_FOLD={fp} " + expr
        st, out, err, cmd = docket(dexpr, zone, start, NFIRES)
        if st == "CRASH":
            stats["crash"] += 1
            print("CRASH", json.dumps(cmd), out, err, flush=True)
            continue
        try:
            m = Model(expr)
            model_ok = True
        except Exception as e:
            model_ok = False
        if st == "ERR":
            if model_ok:
                # does it ever fire? Docket rejects never-firing expressions
                if "never" in err or "can never" in err or "no day" in err:
                    stats["rejected"] += 1
                else:
                    print("REJECT", json.dumps(cmd), err.splitlines()[0], flush=True)
                    stats["rejected"] += 1
            else:
                stats["rejected"] += 1
            continue
        if not model_ok:
            print("ACCEPTED-BUT-MODEL-REJECTS", json.dumps(cmd), out[:3], flush=True)
            continue
        try:
            exp = model_next(expr, zone, start, NFIRES, gp, fp)
        except Exception as e:
            stats["model_err"] += 1
            print("MODELERR", json.dumps(cmd), repr(e), flush=True)
            continue
        if len(exp) < NFIRES:
            # model only searched 60 years; compare prefix
            ok = out[:len(exp)] == exp
        else:
            ok = out == exp
        if ok:
            stats["ok"] += 1
        else:
            stats["mismatch"] += 1
            fmt = lambda us: [datetime.fromtimestamp(u, UTC).astimezone(tzof(zone)).isoformat() for u in us]
            print("MISMATCH", json.dumps(cmd), "\n  docket:", fmt(out), "\n  model: ", fmt(exp), flush=True)
    print("STATS", stats, flush=True)


if __name__ == "__main__":
    main()
