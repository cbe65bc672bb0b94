/* When one schedule fires, given the wall clock and the monotonic clock: the scheduler's rules for
 * clock jumps, kept apart from its thread so a test can drive them with a made-up clock. */
#ifndef DW_SCHEDULE_TIMER_H
#define DW_SCHEDULE_TIMER_H

#include <stdint.h>

#include "util/cron.h"

/* A wall-clock jump back by more than this re-plans a cron schedule from the new time (Vixie
 * cron's limit for "the clock was corrected" against a daylight-saving change). */
#define SCHEDULE_REPLAN_BACK_MS (3 * 3600 * 1000LL)

/*
 * Rules (what an SRE expects when NTP or an operator steps the clock):
 * - An interval (`every`) counts monotonic time: wall-clock jumps do not move it.
 * - A cron schedule follows the wall clock (UTC). A jump forward past one or more slots fires once
 *   at the first look after the jump, then waits for the next slot after the new time: missed
 *   slots are not replayed one by one.
 * - A jump back of up to SCHEDULE_REPLAN_BACK_MS keeps the planned slot: slots that already fired
 *   do not fire again, so the schedule waits until the wall clock reaches that slot (a wait as
 *   long as the jump, at most 3 h). A larger jump back (a clock corrected by days) re-plans from
 *   the new time, so the schedule does not stall for the size of the jump; the slots in between
 *   then fire a second time.
 */
struct schedule_timer {
    const struct cron_expr *cron; /* NULL: an interval of every_ms */
    int64_t every_ms;
    int64_t next;      /* cron: wall-clock second of the next slot (-1: none); interval: monotonic ms */
    int64_t offset_ms; /* wall minus monotonic at the last look: a change is a wall-clock jump */
};

/* Plans the first firing: the next cron slot after wall_ms, or every_ms (>= 1) after mono_ms. */
void schedule_timer_init(struct schedule_timer *t, const struct cron_expr *cron, int64_t every_ms, int64_t wall_ms,
                         int64_t mono_ms);

/* Returns 1 when the schedule fires at this look (and plans the next firing), else 0. */
int schedule_timer_due(struct schedule_timer *t, int64_t wall_ms, int64_t mono_ms);

#endif
