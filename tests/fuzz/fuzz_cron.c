/* Fuzz target: cron expressions (core/util/cron.h) as a config file or the API would give them.
 * Accepted expressions are run through cron_next from a few instants (ordinary, DST changes in
 * Europe/Berlin, far past); in UTC each fire time must match the expression and no earlier one
 * may be skipped (asking again from halfway must give the same time); in local time fire times
 * must be whole minutes moving forward. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cron.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("TZ", "Europe/Berlin", 1); /* local mode: a zone with DST jumps */
    tzset();
    return 0;
}

/* Whether UTC instant t matches c, with the day rule of cron.h (Vixie cron's OR unless either
 * day field was written starting with '*'). */
static int matches_utc(const struct cron_expr *c, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_sec != 0)
        return 0;
    int dom = (c->days >> tm.tm_mday) & 1u;
    int dow = (c->weekdays >> tm.tm_wday) & 1u;
    int day = (c->flags & (CRON_DOM_STAR | CRON_DOW_STAR)) ? dom && dow : dom || dow;
    return ((c->minutes >> tm.tm_min) & 1u) && ((c->hours >> tm.tm_hour) & 1u) &&
           ((c->months >> (tm.tm_mon + 1)) & 1u) && day;
}

static const struct {
    time_t after;
    int must_fire; /* far enough from year 9999 that the 400-year search always fires */
} starts[] = {
    {1704067650, 1},        /* 2024-01-01 00:07:30 UTC */
    {1711846740, 1},        /* 2024-03-31 00:59:00 UTC: a minute before Berlin springs forward */
    {1729987140, 1},        /* 2024-10-27 00:59:00 UTC: a minute before Berlin falls back */
    {-2208988800, 1},       /* 1900-01-01 00:00:00 UTC */
    {253370764800LL, 0},    /* 9999-01-01 00:00:00 UTC: the search may run past year 9999 */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *expr = fuzz_strndup(data, size);
    struct cron_expr c;
    char err[256] = "";
    int rc = cron_parse(expr, &c, err, sizeof err);
    if (rc < 0) {
        if (rc != -EINVAL || !err[0])
            fuzz_fail("cron_parse returned %d with message \"%s\"", rc, err);
        goto out;
    }
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        time_t after = starts[i].after, next = 0;
        for (int k = 0; k < 3; k++) {
            rc = cron_next(&c, after, 1, &next);
            if (rc != 0) {
                if (starts[i].must_fire)
                    fuzz_fail("cron \"%s\": cron_next(%lld, utc) returned %d", expr, (long long)after, rc);
                break;
            }
            if (next <= after || !matches_utc(&c, next))
                fuzz_fail("cron \"%s\": cron_next(%lld, utc) = %lld does not match", expr, (long long)after,
                          (long long)next);
            time_t mid = after + (next - after) / 2, again = 0;
            if (starts[i].must_fire && (cron_next(&c, mid, 1, &again) != 0 || again != next))
                fuzz_fail("cron \"%s\": from %lld the next is %lld, from %lld it is %lld", expr, (long long)after,
                          (long long)next, (long long)mid, (long long)again);
            after = next;
        }
        after = starts[i].after;
        for (int k = 0; k < 3; k++) {
            rc = cron_next(&c, after, 0, &next);
            /* In local time a wildcard job may never fire: "* 2 31 3 SUN" in Berlin only matches
             * 02:xx of a last Sunday of March, which the spring-forward jump skips every year.
             * A fixed-time job fires at the jump instead, so it always fires. */
            int wildcard = (c.flags & (CRON_MIN_STAR | CRON_HOUR_STAR)) != 0;
            if (rc != 0) {
                if (starts[i].must_fire && !(rc == -ENOENT && wildcard))
                    fuzz_fail("cron \"%s\": cron_next(%lld, local) returned %d", expr, (long long)after, rc);
                break;
            }
            if (next <= after || next % 60 != 0)
                fuzz_fail("cron \"%s\": cron_next(%lld, local) = %lld", expr, (long long)after, (long long)next);
            after = next;
        }
    }
out:
    free(expr);
    return 0;
}
