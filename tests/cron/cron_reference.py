#!/usr/bin/python3
"""Independent reference for core/util/cron.c: next fire times computed by brute force with Python's
datetime/zoneinfo (stdlib only), written out as tests/cron/cron_cases.h (committed; the
cron_reference test regenerates it and diffs). Run: /usr/bin/python3 tests/cron/cron_reference.py > tests/cron/cron_cases.h

Semantics reproduced (cron.h): Vixie day rule (a day field starting with '*' makes both day fields
ANDed, else ORed); wildcard jobs (minute or hour field starts with '*') fire at every instant whose
local time matches; fixed-time jobs fire at the first occurrence of a repeated wall-clock time and,
for a time skipped by a spring-forward jump, at the instant of the jump.
The algorithms are deliberately different from cron.c: UTC cases walk datetime.date days, local
cases step real time minute by minute and look at zoneinfo's offsets and `fold`."""
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_field(text, lo, hi, names, dow=False):
    out = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/")
            step = int(s)
        if part == "*":
            a, b = lo, (6 if dow else hi)
        elif "-" in part:
            x, y = part.split("-")
            a, b = val(x, lo, names), val(y, lo, names)
            if dow and b == 0 and a > 0:
                b = 7
        else:
            a = b = val(part, lo, names)
        out.update(range(a, b + 1, step))
    if dow and 7 in out:
        out.discard(7)
        out.add(0)
    return out


def val(x, lo, names):
    if names and x.upper() in names:
        return names.index(x.upper()) + lo
    return int(x)


class Expr:
    def __init__(self, text):
        f = text.split()
        assert len(f) == 5
        self.text = text
        self.minutes = parse_field(f[0], 0, 59, None)
        self.hours = parse_field(f[1], 0, 23, None)
        self.doms = parse_field(f[2], 1, 31, None)
        self.months = parse_field(f[3], 1, 12, MONTHS)
        self.dows = parse_field(f[4], 0, 7, DAYS, dow=True)
        self.and_rule = f[2].startswith("*") or f[4].startswith("*")
        self.wild = f[0].startswith("*") or f[1].startswith("*")

    def day_ok(self, d):
        if d.month not in self.months:
            return False
        a = d.day in self.doms
        b = (d.isoweekday() % 7) in self.dows
        return (a and b) if self.and_rule else (a or b)

    def matches(self, dt):
        return self.day_ok(dt.date()) and dt.hour in self.hours and dt.minute in self.minutes

    def possible(self):
        if not self.and_rule:
            return True
        maxd = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return any(d <= maxd[m] for m in self.months for d in self.doms)


def next_utc(e, after):
    """Walks calendar days with datetime.date; within the first matching day, minutes."""
    t = EPOCH + timedelta(seconds=after)
    start = t.replace(second=0) + timedelta(minutes=1)
    day = start.date()
    first = start.hour * 60 + start.minute
    for _ in range(146100):
        if e.day_ok(day):
            for mod in range(first, 1440):
                h, m = divmod(mod, 60)
                if h in e.hours and m in e.minutes:
                    dt = datetime(day.year, day.month, day.day, h, m, tzinfo=timezone.utc)
                    return int((dt - EPOCH).total_seconds())
        day += timedelta(days=1)
        first = 0
    raise RuntimeError("no fire time for " + e.text)


def next_local(e, after, tzname, max_minutes=6 * 1440):
    """Steps real time minute by minute (all zones used have whole-minute offsets and change
    them at whole minutes)."""
    tz = ZoneInfo(tzname)
    s = (after // 60 + 1) * 60
    prev = datetime.fromtimestamp(s - 60, tz)
    for _ in range(max_minutes):
        cur = datetime.fromtimestamp(s, tz)
        assert cur.utcoffset().total_seconds() % 60 == 0
        if e.matches(cur) and (e.wild or cur.fold == 0):
            return s
        if not e.wild and cur.utcoffset() > prev.utcoffset():
            # spring forward between prev and cur: the wall-clock minutes in between were skipped
            w = prev.replace(tzinfo=None) + timedelta(minutes=1)
            end = cur.replace(tzinfo=None)
            while w < end:
                if e.matches(w):
                    return s
                w += timedelta(minutes=1)
        prev = cur
        s += 60
    return None


def ts(y, mo, d, h=0, mi=0, s=0, tz=None):
    if tz is None:
        return int((datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc) - EPOCH).total_seconds())
    return int(datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(tz)).timestamp())


def show(t, tz):
    if tz is None:
        return (EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%d %H:%M:%S UTC")
    return datetime.fromtimestamp(t, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


# (why, expression, after, time zone or None for UTC)
HAND = [
    ("step", "*/15 * * * *", ts(2024, 1, 1, 0, 7, 30), None),
    ("strictly after a fire time", "*/15 * * * *", ts(2024, 1, 1, 0, 15), None),
    ("range with step", "5-20/5 9-17/4 * * *", ts(2024, 1, 1, 13, 21), None),
    ("range with step wraps to next day", "5-20/5 9-17/4 * * *", ts(2024, 1, 1, 17, 21), None),
    ("lists", "0,30 8,20 * * *", ts(2024, 5, 5, 8, 30), None),
    ("month and weekday names, any case", "0 12 * JAN,jul MON-fri", ts(2024, 1, 31, 12, 0), None),
    ("weekday range ending at SUN means 7", "0 0 * * FRI-SUN", ts(2024, 6, 3), None),
    ("weekday 7 is Sunday", "0 6 * * 7", ts(2024, 6, 3), None),
    ("Feb 29: next leap year", "0 0 29 2 *", ts(2024, 3, 1), None),
    ("Feb 29: 2100 is not a leap year", "0 0 29 2 *", ts(2096, 3, 1), None),
    ("dom/dow OR: 13th or Friday", "0 0 13 * FRI", ts(2024, 9, 7), None),
    ("dom/dow OR: 13th or Friday, 13th first", "0 0 13 * FRI", ts(2024, 9, 11), None),
    ("dom/dow OR: 1st, 15th or Monday", "30 4 1,15 * MON", ts(2024, 4, 9), None),
    ("dom '*/2' counts as '*': AND with Monday", "0 0 */2 * MON", ts(2024, 6, 1), None),
    ("AND rule: Feb 1 or Feb 29 on a Monday", "0 0 */28 2 MON", ts(2024, 3, 1), None),
    ("end of year", "59 23 31 12 *", ts(2023, 12, 31, 23, 59), None),
    ("new year", "0 0 1 1 *", ts(2023, 12, 31, 23, 59, 59), None),
    ("every minute over new year", "* * * * *", ts(2023, 12, 31, 23, 59, 30), None),
    ("31st skips short months", "0 0 31 * *", ts(2024, 3, 31, 0, 0), None),
    ("far past: 1900 is not a leap year", "0 0 29 2 *", ts(1900, 1, 1), None),
    ("far past: year 1", "0 0 1 * *", ts(1, 1, 1), None),
    ("far past: before the epoch", "*/7 * * * *", ts(1969, 12, 31, 23, 58), None),
    ("far future: last minute of year 9999", "59 23 31 12 *", ts(9999, 12, 30, 23), None),
    ("far future: year 3000", "15 10 * * SUN", ts(3000, 1, 1), None),
    # Europe/Berlin 2024: 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET
    ("fixed time skipped by spring forward fires at the jump", "30 2 * * *", ts(2024, 3, 30, 12, tz="Europe/Berlin"), "Europe/Berlin"),
    ("... and then on the next day", "30 2 * * *", ts(2024, 3, 31, 1, 0), "Europe/Berlin"),
    ("time right after the gap", "0 3 * * *", ts(2024, 3, 30, 12, tz="Europe/Berlin"), "Europe/Berlin"),
    ("every minute jumps the gap", "* * * * *", ts(2024, 3, 31, 0, 59), "Europe/Berlin"),
    ("wildcard job skips the gap", "*/30 2 * * *", ts(2024, 3, 30, 12, tz="Europe/Berlin"), "Europe/Berlin"),
    ("repeated time: first occurrence", "30 2 * * *", ts(2024, 10, 26, 12, tz="Europe/Berlin"), "Europe/Berlin"),
    ("repeated time: not again in the second copy", "30 2 * * *", ts(2024, 10, 27, 0, 30), "Europe/Berlin"),
    ("fixed time from inside the first copy", "15 2 * * *", ts(2024, 10, 27, 0, 20), "Europe/Berlin"),
    ("fixed time from inside the second copy", "15,45 2 * * *", ts(2024, 10, 27, 1, 20), "Europe/Berlin"),
    ("wildcard job fires in both copies (1)", "*/30 * * * *", ts(2024, 10, 27, 0, 30), "Europe/Berlin"),
    ("wildcard job fires in both copies (2)", "*/30 * * * *", ts(2024, 10, 27, 0, 45), "Europe/Berlin"),
    ("wildcard job fires in both copies (3)", "*/30 * * * *", ts(2024, 10, 27, 1, 0), "Europe/Berlin"),
    ("wildcard job fires in both copies (4)", "*/30 * * * *", ts(2024, 10, 27, 1, 30), "Europe/Berlin"),
    ("America/New_York spring forward", "30 2 * * *", ts(2024, 3, 9, 12, tz="America/New_York"), "America/New_York"),
    ("America/New_York fall back", "30 1 * * *", ts(2024, 11, 3, 5, 31), "America/New_York"),
    # Australia/Lord_Howe: half-hour DST; 2024-04-07 02:00 -> 01:30, 2024-10-06 02:00 -> 02:30
    ("half-hour gap", "15 2 * * *", ts(2024, 10, 5, 12, tz="Australia/Lord_Howe"), "Australia/Lord_Howe"),
    ("half-hour repeat", "45 1 * * *", ts(2024, 4, 7, 1, 50, tz="Australia/Lord_Howe"), "Australia/Lord_Howe"),
    # Pacific/Apia skipped 2011-12-30 entirely (UTC-10 -> UTC+14)
    ("skipped day fires at the jump", "0 12 * * *", ts(2011, 12, 29, 13, tz="Pacific/Apia"), "Pacific/Apia"),
    ("skipped day's date fires at the jump", "0 9 30 12 *", ts(2011, 12, 29, 13, tz="Pacific/Apia"), "Pacific/Apia"),
]


def rand_field(r, lo, hi, names, dow=False):
    top = 6 if dow else hi
    k = r.randrange(9)
    if k == 0:
        return "*"
    if k == 1:
        return "*/%d" % r.randint(1, min(top - lo + 1, 15))
    if k in (2, 3):
        a = r.randint(lo, hi)
        return name(a, lo, names, r) if names and r.random() < 0.4 else str(a)
    if k in (4, 5):
        a = r.randint(lo, top)
        b = r.randint(a, hi)
        s = "%s-%s" % (name(a, lo, names, r) if names and r.random() < 0.3 else a, b)
        if k == 5:
            s += "/%d" % r.randint(1, min(10, top - lo + 1))  # cron_parse refuses steps beyond the span
        return s
    n = r.randint(2, 4)
    return ",".join(str(r.randint(lo, hi)) for _ in range(n))


def name(v, lo, names, r):
    if v - lo >= len(names):
        return str(v)
    n = names[v - lo]
    return n if r.random() < 0.5 else n.lower()


def main():
    r = random.Random(20240601)
    cases = [(w, Expr(x), a, tz) for (w, x, a, tz) in HAND]
    while len(cases) < len(HAND) + 150:
        x = " ".join([rand_field(r, 0, 59, None), rand_field(r, 0, 23, None), rand_field(r, 1, 31, None),
                      rand_field(r, 1, 12, MONTHS), rand_field(r, 0, 7, DAYS, True)])
        e = Expr(x)
        if e.possible():
            cases.append(("random UTC", e, r.randint(ts(1950, 1, 1), ts(2150, 1, 1)), None))
    # local: frequent expressions around this zone's transitions
    zones = {"Europe/Berlin": [ts(2023, 3, 26, 1), ts(2023, 10, 29, 1), ts(2025, 3, 30, 1), ts(2025, 10, 26, 1)],
             "America/New_York": [ts(2024, 3, 10, 7), ts(2024, 11, 3, 6)],
             "Australia/Lord_Howe": [ts(2024, 4, 6, 15), ts(2024, 10, 5, 15, 30)]}
    n_local = 0
    while n_local < 90:
        tz = r.choice(sorted(zones))
        x = " ".join([rand_field(r, 0, 59, None), r.choice(["*", "*/2", "1-3", "2", "1,2,3", "0-4/2", str(r.randint(0, 23))]),
                      "*", "*", r.choice(["*", "*", "0-6", "SUN"])])
        e = Expr(x)
        after = r.choice(zones[tz]) + r.randint(-36 * 3600, 36 * 3600)
        if next_local(e, after, tz) is None:
            continue
        cases.append(("random local", e, after, tz))
        n_local += 1

    print("/* Generated by tests/cron/cron_reference.py (Python %s datetime/zoneinfo brute force); do not edit. */"
          % ".".join(map(str, __import__("sys").version_info[:2])))
    print("struct cron_case {\n    const char *expr;\n    const char *tz; /* NULL: UTC mode */\n"
          "    long long after, next;\n};\n")
    print("static const struct cron_case cron_cases[] = {")
    for why, e, after, tz in cases:
        nxt = next_utc(e, after) if tz is None else next_local(e, after, tz)
        why = why.replace("*/", "*\\/")  # keep the C comment closed only where we close it
        print("    /* %s: after %s -> %s */" % (why, show(after, tz), show(nxt, tz)))
        print('    {"%s", %s, %dLL, %dLL},' % (e.text, '"%s"' % tz if tz else "NULL", after, nxt))
    print("};")


if __name__ == "__main__":
    main()
