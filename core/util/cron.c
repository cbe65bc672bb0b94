/* Five-field cron expressions: a strict parser into bit sets, and a next-fire-time search that
 * works on wall-clock ("civil") time between UTC-offset changes of the time zone (see cron.h). */
#include "util/cron.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(time_t) >= 8, "cron_next needs a 64-bit time_t");

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_COUNT };

struct field_spec {
    const char *name;
    int lo, hi; /* accepted numbers; day-of-week accepts 0-7 */
    const char *const *names; /* three-letter names for lo.., or NULL */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const weekday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const struct field_spec fields[F_COUNT] = {
    [F_MIN] = {"minute", 0, 59, NULL},
    [F_HOUR] = {"hour", 0, 23, NULL},
    [F_DOM] = {"day-of-month", 1, 31, NULL},
    [F_MON] = {"month", 1, 12, month_names},
    [F_DOW] = {"day-of-week", 0, 7, weekday_names},
};

/* Longest day of each month in any year (February: 29). */
static const int month_max_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

#define CRON_ERR(...)                                                                              \
    do {                                                                                           \
        if (err && errlen)                                                                         \
            snprintf(err, errlen, __VA_ARGS__);                                                    \
    } while (0)

/* Parses a number or (for fields with names) a three-letter name at *pp. Returns 0, 1 when the
 * value was the name SUN (so a range may end at 7), or -1. */
static int parse_value(const struct field_spec *f, const char **pp, int *v)
{
    const char *p = *pp;
    if (isdigit((unsigned char)*p)) {
        long n = 0;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p - '0');
            if (n > 1000)
                n = 1000; /* out of range either way; keeps the arithmetic bounded */
            p++;
        }
        *v = (int)n;
        *pp = p;
        return 0;
    }
    if (f->names && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
        isalpha((unsigned char)p[2]) && !isalnum((unsigned char)p[3])) {
        for (int i = 0; f->names[i]; i++) {
            if (strncasecmp(p, f->names[i], 3) == 0) {
                *v = f->lo == 0 ? i : i + 1;
                *pp = p + 3;
                return f->lo == 0 && i == 0 ? 1 : 0;
            }
        }
    }
    return -1;
}

/* Parses one field's text (not NUL-terminated: [s, e)) into *bits and sets *star when it starts
 * with '*'. */
static int parse_field(const char *expr, int fi, const char *s, const char *e, uint64_t *bits,
                       int *star, char *err, size_t errlen)
{
    const struct field_spec *f = &fields[fi];
    int flen = (int)(e - s);
    *bits = 0;
    *star = *s == '*';
    const char *p = s;
    for (;;) {
        const char *elem = p;
        int a, b, step = 1, is_sun_end = 0;
        if (*p == '*') {
            a = fields[fi].lo;
            b = fi == F_DOW ? 6 : f->hi;
            p++;
        } else {
            if (p == e || *p == ',') {
                CRON_ERR("cron \"%s\": %s field: empty list element in \"%.*s\"", expr, f->name, flen, s);
                return -EINVAL;
            }
            int rc = parse_value(f, &p, &a);
            if (rc < 0)
                goto bad_value;
            b = a;
            if (p < e && *p == '-') {
                p++;
                rc = parse_value(f, &p, &b);
                if (rc < 0)
                    goto bad_value;
                is_sun_end = rc == 1;
            } else if (p < e && *p == '/') {
                CRON_ERR("cron \"%s\": %s field: a step needs a range or '*' in \"%.*s\" (write %d-%d/...)",
                         expr, f->name, flen, s, a, f->hi);
                return -EINVAL;
            }
        }
        if (p < e && *p == '/') {
            p++;
            if (!isdigit((unsigned char)*p)) {
                CRON_ERR("cron \"%s\": %s field: step must be a number in \"%.*s\"", expr, f->name, flen, s);
                return -EINVAL;
            }
            long n = 0;
            while (p < e && isdigit((unsigned char)*p)) {
                n = n * 10 + (*p - '0');
                if (n > 1000)
                    n = 1000;
                p++;
            }
            if (n < 1) {
                CRON_ERR("cron \"%s\": %s field: step must be at least 1", expr, f->name);
                return -EINVAL;
            }
            int span = (fi == F_DOW ? 7 : f->hi - f->lo + 1);
            if (n > span) {
                CRON_ERR("cron \"%s\": %s field: step %ld is larger than the field's range %d-%d",
                         expr, f->name, n, f->lo, fi == F_DOW ? 6 : f->hi);
                return -EINVAL;
            }
            step = (int)n;
        }
        if (p < e && *p != ',') {
            CRON_ERR("cron \"%s\": %s field: unexpected \"%.*s\" in \"%.*s\"", expr, f->name,
                     (int)(e - p), p, flen, s);
            return -EINVAL;
        }
        if (fi == F_DOW && is_sun_end && a > 0)
            b = 7; /* FRI-SUN */
        if (a < f->lo || a > f->hi || b < f->lo || b > f->hi) {
            CRON_ERR("cron \"%s\": %s field: \"%.*s\" is out of range %d-%d", expr, f->name,
                     (int)(p - elem), elem, f->lo, f->hi);
            return -EINVAL;
        }
        if (a > b) {
            CRON_ERR("cron \"%s\": %s field: range \"%.*s\" runs backwards", expr, f->name,
                     (int)(p - elem), elem);
            return -EINVAL;
        }
        for (int v = a; v <= b; v += step)
            *bits |= (uint64_t)1 << (fi == F_DOW && v == 7 ? 0 : v);
        if (p == e)
            return 0;
        p++; /* ',' */
        if (p == e) {
            CRON_ERR("cron \"%s\": %s field: empty list element in \"%.*s\"", expr, f->name, flen, s);
            return -EINVAL;
        }
        continue;
    bad_value: {
        const char *t = p;
        while (t < e && *t != ',' && *t != '-' && *t != '/')
            t++;
        if (t == p)
            CRON_ERR("cron \"%s\": %s field: expected a %s in \"%.*s\"", expr, f->name,
                     f->names ? "number or name" : "number", flen, s);
        else
            CRON_ERR("cron \"%s\": %s field: \"%.*s\" is not a %s", expr, f->name, (int)(t - p), p,
                     f->names ? (fi == F_MON ? "month (1-12 or JAN-DEC)" : "weekday (0-7 or SUN-SAT)")
                              : "number");
        return -EINVAL;
    }
    }
}

static const struct {
    const char *name;
    const char *expansion;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

int cron_parse(const char *expr, struct cron_expr *out, char *err, size_t errlen)
{
    if (!expr || !out) {
        CRON_ERR("cron: no expression");
        return -EINVAL;
    }
    const char *text = expr;
    const char *p = expr;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '@') {
        size_t n = strcspn(p, " \t\r\n");
        const char *rest = p + n;
        while (isspace((unsigned char)*rest))
            rest++;
        text = NULL;
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (strlen(macros[i].name) == n && strncasecmp(p, macros[i].name, n) == 0 && !*rest)
                text = macros[i].expansion;
        if (!text) {
            CRON_ERR("cron \"%s\": unknown macro (use @yearly, @monthly, @weekly, @daily or @hourly)", expr);
            return -EINVAL;
        }
        p = text;
    }

    const char *fs[F_COUNT], *fe[F_COUNT];
    int n = 0;
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        if (n == F_COUNT) {
            CRON_ERR("cron \"%s\": expected 5 fields (minute hour day-of-month month day-of-week), "
                     "found more", expr);
            return -EINVAL;
        }
        fs[n] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        fe[n++] = p;
    }
    if (n < F_COUNT) {
        CRON_ERR("cron \"%s\": expected 5 fields (minute hour day-of-month month day-of-week), found %d",
                 expr, n);
        return -EINVAL;
    }

    struct cron_expr c = {0};
    uint64_t bits[F_COUNT];
    int star[F_COUNT];
    for (int i = 0; i < F_COUNT; i++) {
        int rc = parse_field(expr, i, fs[i], fe[i], &bits[i], &star[i], err, errlen);
        if (rc < 0)
            return rc;
    }
    c.minutes = bits[F_MIN];
    c.hours = (uint32_t)bits[F_HOUR];
    c.days = (uint32_t)bits[F_DOM];
    c.months = (uint16_t)bits[F_MON];
    c.weekdays = (uint8_t)bits[F_DOW];
    c.flags = (uint8_t)((star[F_MIN] ? CRON_MIN_STAR : 0) | (star[F_HOUR] ? CRON_HOUR_STAR : 0) |
                        (star[F_DOM] ? CRON_DOM_STAR : 0) | (star[F_DOW] ? CRON_DOW_STAR : 0));

    /* With the AND rule (either day field starts with '*') some listed day must exist in some
     * listed month; then it falls on every weekday within one 400-year Gregorian cycle, so
     * cron_next's bounded search always finds it. With the OR rule every month has each weekday. */
    if (c.flags & (CRON_DOM_STAR | CRON_DOW_STAR)) {
        int possible = 0;
        for (int m = 1; m <= 12 && !possible; m++)
            if (c.months & (1u << m))
                for (int d = 1; d <= month_max_days[m]; d++)
                    if (c.days & (1u << d))
                        possible = 1;
        if (!possible) {
            CRON_ERR("cron \"%s\": never fires: day-of-month \"%.*s\" does not occur in month \"%.*s\"",
                     expr, (int)(fe[F_DOM] - fs[F_DOM]), fs[F_DOM], (int)(fe[F_MON] - fs[F_MON]), fs[F_MON]);
            return -EINVAL;
        }
    }
    *out = c;
    return 0;
}

/* ---- civil calendar arithmetic (proleptic Gregorian; H. Hinnant's days_from_civil) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    if (m != 2)
        return month_max_days[m];
    return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
}

static int day_matches(const struct cron_expr *c, int dom, int dow)
{
    int a = (c->days >> dom) & 1, b = (c->weekdays >> dow) & 1;
    if (c->flags & (CRON_DOM_STAR | CRON_DOW_STAR))
        return a && b;
    return a || b; /* Vixie: both restricted, either one matches */
}

/* First civil time (seconds since 1970-01-01 00:00 of the wall clock) that is a whole minute,
 * >= from, <= limit, and matches c. Returns 0 or -ENOENT. */
static int civil_next(const struct cron_expr *c, int64_t from, int64_t limit, int64_t *out)
{
    int64_t minute = floor_div(from + 59, 60);
    int64_t day = floor_div(minute, 1440);
    int mod = (int)(minute - day * 1440);
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    while (day * 86400 <= limit) {
        if (!(c->months & (1u << m))) {
            /* skip to the first of the next month */
            day += days_in_month(y, m) - d + 1;
            d = 1;
            mod = 0;
            if (++m > 12) {
                m = 1;
                y++;
            }
            continue;
        }
        int dow = (int)((day + 4) % 7); /* 1970-01-01 was a Thursday (4) */
        if (dow < 0)
            dow += 7;
        if (day_matches(c, d, dow)) {
            for (int h = mod / 60, mi = mod % 60; h < 24; h++, mi = 0) {
                if (!(c->hours & (1u << h)))
                    continue;
                uint64_t rest = c->minutes >> mi;
                if (!rest)
                    continue;
                int found = mi + __builtin_ctzll(rest);
                int64_t t = day * 86400 + h * 3600 + found * 60;
                if (t > limit)
                    return -ENOENT;
                *out = t;
                return 0;
            }
        }
        day++;
        mod = 0;
        if (++d > days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    return -ENOENT;
}

/* ---- UTC offsets of the local time zone ---- */

static int offset_at(time_t t, int utc, long *off)
{
    if (utc) {
        *off = 0;
        return 0;
    }
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return -EOVERFLOW;
    *off = tm.tm_gmtoff;
    return 0;
}

/* Probing step when looking for offset changes: no zone has changed its offset twice within it. */
#define PROBE_STEP (6 * 3600)

/* Smallest instant in (a, b] whose offset differs from off (the offset at a): *found = 0 if none. */
static int next_change(time_t a, long off, time_t b, int utc, time_t *chg, int *found)
{
    *found = 0;
    if (utc)
        return 0;
    for (time_t p = a; p < b;) {
        time_t q = b - p > PROBE_STEP ? p + PROBE_STEP : b;
        long o;
        if (offset_at(q, 0, &o) < 0)
            return -EOVERFLOW;
        if (o != off) {
            time_t lo = p, hi = q; /* offset(lo) == off, offset(hi) != off */
            while (hi - lo > 1) {
                time_t mid = lo + (hi - lo) / 2;
                if (offset_at(mid, 0, &o) < 0)
                    return -EOVERFLOW;
                if (o == off)
                    lo = mid;
                else
                    hi = mid;
            }
            *chg = hi;
            *found = 1;
            return 0;
        }
        p = q;
    }
    return 0;
}

/* The most recent offset change at or before t, looked for back to t - span: the instant T where
 * the offset became what it is at t, and the offset just before T. *found = 0 if none. */
static int prev_change(time_t t, long off, time_t span, time_t *chg, long *before, int *found)
{
    *found = 0;
    for (time_t p = t; p > t - span;) {
        time_t q = p - PROBE_STEP;
        long o;
        if (offset_at(q, 0, &o) < 0)
            return -EOVERFLOW;
        if (o != off) {
            time_t lo = q, hi = p; /* offset(lo) != off, offset(hi) == off */
            while (hi - lo > 1) {
                time_t mid = lo + (hi - lo) / 2;
                if (offset_at(mid, 0, &o) < 0)
                    return -EOVERFLOW;
                if (o == off)
                    hi = mid;
                else
                    lo = mid;
            }
            *chg = hi;
            if (offset_at(hi - 1, 0, before) < 0)
                return -EOVERFLOW;
            *found = 1;
            return 0;
        }
        p = q;
    }
    return 0;
}

/* One Gregorian cycle plus a day: every (month, day, weekday) combination occurs within it. */
#define HORIZON_SECONDS ((int64_t)(146097 + 2) * 86400)
/* In local time each searched year costs about 1,500 time-zone conversions (the offset probes), so
 * an expression that only matches inside daylight-saving gaps, and so never fires, took seconds to
 * prove it (found by the cron fuzzer: `* 2 31 3 *\/7` in Europe/Berlin). 60 years still covers the
 * rarest date an expression can ask for: Feb 29 on a given weekday recurs within 40 years. */
#define LOCAL_HORIZON_SECONDS ((int64_t)(60 * 366) * 86400)

int cron_next(const struct cron_expr *c, time_t after, int utc, time_t *next)
{
    if (!c || !next || !c->minutes || !c->hours || !c->days || !c->months || !c->weekdays)
        return -EINVAL;
    const int64_t min_t = days_from_civil(1, 1, 1) * 86400;
    const int64_t max_t = days_from_civil(10000, 1, 1) * 86400;
    if ((int64_t)after < min_t || (int64_t)after >= max_t)
        return -EOVERFLOW;
    const int wild = (c->flags & (CRON_MIN_STAR | CRON_HOUR_STAR)) != 0;

    /* The search walks segments of constant UTC offset: inside one, civil = instant + off, so the
     * calendar search is exact; at each offset change it handles the skipped or repeated wall-
     * clock span and continues in the next segment. */
    time_t cur = after + 1; /* candidates are instants >= cur */
    long off;
    if (offset_at(cur, utc, &off) < 0)
        return -EOVERFLOW;
    const int64_t horizon = (int64_t)cur + off + (utc ? HORIZON_SECONDS : LOCAL_HORIZON_SECONDS); /* civil */

    /* Civil times below rep_end in the current segment are second copies of a repeated span. */
    int64_t rep_end = INT64_MIN;
    if (!utc) {
        time_t chg;
        long before;
        int found;
        if (prev_change(cur, off, 30 * 3600, &chg, &before, &found) < 0)
            return -EOVERFLOW;
        if (found && before > off)
            rep_end = (int64_t)chg + before;
    }

    for (;;) {
        int64_t from = (int64_t)cur + off;
        if (!wild && rep_end > from)
            from = rep_end;
        int64_t m;
        if (civil_next(c, from, horizon, &m) < 0)
            return -ENOENT;
        time_t x = (time_t)(m - off);
        time_t chg;
        int found;
        if (next_change(cur, off, x, utc, &chg, &found) < 0)
            return -EOVERFLOW;
        if (!found) {
            *next = x;
            return 0;
        }
        /* The offset changes at chg <= x: nothing matched in [cur, chg). */
        long noff;
        if (offset_at(chg, utc, &noff) < 0)
            return -EOVERFLOW;
        if (noff > off) {
            /* Spring forward: civil [chg + off, chg + noff) never shows on the clock. */
            int64_t skipped;
            if (!wild && civil_next(c, (int64_t)chg + off, (int64_t)chg + noff - 1, &skipped) == 0) {
                *next = chg;
                return 0;
            }
            rep_end = INT64_MIN;
        } else {
            /* Fall back: civil [chg + noff, chg + off) shows a second time from chg on. */
            rep_end = (int64_t)chg + off;
        }
        cur = chg;
        off = noff;
    }
}
