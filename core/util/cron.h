/* Five-field cron expressions (minute hour day-of-month month day-of-week) for the scheduler:
 * parse once at config time, then ask for the next fire time after a given instant. */
#ifndef DW_CRON_H
#define DW_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Set in cron_expr.flags when the field was written starting with '*' ("*" or "*\/n").
 * (In these comments `*\/` stands for star-slash, which a C comment cannot hold.) */
#define CRON_DOM_STAR 0x1u
#define CRON_DOW_STAR 0x2u
#define CRON_HOUR_STAR 0x4u
#define CRON_MIN_STAR 0x8u

/* A parsed expression: one bit per allowed value. */
struct cron_expr {
    uint64_t minutes;  /* bit m: minute m, 0-59 */
    uint32_t hours;    /* bit h: hour h, 0-23 */
    uint32_t days;     /* bit d: day of month d, 1-31 */
    uint16_t months;   /* bit m: month m, 1-12 */
    uint8_t weekdays;  /* bit w: weekday w, 0 = Sunday .. 6 = Saturday (7 is folded into 0) */
    uint8_t flags;     /* CRON_*_STAR */
};

/* Parses `expr`: five fields separated by blanks. Each field is a comma-separated list of
 * `*`, `N`, `A-B`, `*\/S` or `A-B/S` (S >= 1); months accept JAN-DEC and weekdays SUN-SAT
 * (three letters, any case), also inside ranges; weekday 0 and 7 are both Sunday, and SUN
 * ending a range means 7 (`FRI-SUN`). `N/S` is refused (write `N-59/S`). The macros @yearly,
 * @annually, @monthly, @weekly, @daily, @midnight and @hourly are accepted.
 * Day matching follows Vixie cron: when day-of-month and day-of-week are both restricted, a
 * day matches if EITHER matches; a field written starting with '*' (including `*\/2`) counts
 * as unrestricted, and then both must match (so `0 0 *\/2 * MON` = odd days that are Mondays).
 * An expression that can never fire (`0 0 31 2 *`, `0 0 30-31 2,4 *`) is an error.
 * Returns 0, or -EINVAL with a message naming the field and the offending text, e.g.
 * `cron "*\/0 * * * *": minute field: step must be at least 1`. */
int cron_parse(const char *expr, struct cron_expr *out, char *err, size_t errlen);

/* Stores in *next the first fire time strictly after `after` (seconds are ignored: fire times
 * are whole minutes of the wall clock), in UTC when `utc` is nonzero, else in the local time
 * zone (TZ, as localtime_r sees it).
 * Daylight-saving rules (the choices of Vixie cron, made exact):
 * - "Wildcard" jobs, whose minute or hour field starts with '*' (`*\/15 * * * *`, `0 * * * *`,
 *   `* 2 * * *`), follow the wall clock: they fire at every instant whose local time matches, so
 *   in both copies of an hour repeated by a fall-back jump, and not at all for skipped times.
 * - Other ("fixed-time") jobs fire once per matching wall-clock time: at its first occurrence when
 *   a fall-back jump repeats it, and at the instant of the jump (e.g. 03:00 new time) when a
 *   spring-forward jump skips it (02:30), so a daily job is neither doubled nor lost; several
 *   skipped times collapse into that one firing.
 * Works through time-zone changes of any size (whole skipped days included).
 * Search is bounded to 400 years after `after` in UTC (one full Gregorian cycle: any expression
 * cron_parse accepts fires within it) and to 60 years in local time (enough for the rarest date,
 * Feb 29 on a given weekday; an expression matching only inside daylight-saving gaps never fires). Returns 0; -EINVAL for NULL arguments or an expression with an empty
 * field; -ENOENT when nothing fires in the bound (a hand-built impossible expression); -EOVERFLOW
 * when `after` is outside years 1-9999 or the time zone cannot convert it. */
int cron_next(const struct cron_expr *c, time_t after, int utc, time_t *next);

#endif
