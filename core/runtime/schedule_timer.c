/* Fire-time planning for one schedule under wall-clock jumps (rules in schedule_timer.h): cron on
 * the wall clock with a bound on how long a jump back may hold it, intervals on the monotonic clock. */
#include "runtime/schedule_timer.h"

#include <time.h>

/* Floor division, so instants before 1970 still map to the second that contains them. */
static int64_t wall_seconds(int64_t wall_ms)
{
    return wall_ms >= 0 ? wall_ms / 1000 : -((-wall_ms + 999) / 1000);
}

static int64_t cron_after(const struct cron_expr *cron, int64_t wall_s)
{
    time_t next;
    if (cron_next(cron, (time_t)wall_s, 1, &next) < 0)
        return -1;
    return (int64_t)next;
}

void schedule_timer_init(struct schedule_timer *t, const struct cron_expr *cron, int64_t every_ms, int64_t wall_ms,
                         int64_t mono_ms)
{
    t->cron = cron;
    t->every_ms = every_ms >= 1 ? every_ms : 1;
    t->offset_ms = wall_ms - mono_ms;
    t->next = cron ? cron_after(cron, wall_seconds(wall_ms)) : mono_ms + t->every_ms;
}

int schedule_timer_due(struct schedule_timer *t, int64_t wall_ms, int64_t mono_ms)
{
    if (!t->cron) {
        if (mono_ms < t->next)
            return 0;
        t->next = mono_ms + t->every_ms;
        return 1;
    }
    int64_t offset = wall_ms - mono_ms;
    int64_t jump = offset - t->offset_ms;
    t->offset_ms = offset;
    int64_t now_s = wall_seconds(wall_ms);
    if (jump < -SCHEDULE_REPLAN_BACK_MS && t->next != -1) {
        t->next = cron_after(t->cron, now_s);
        return 0;
    }
    if (t->next == -1 || now_s < t->next)
        return 0;
    t->next = cron_after(t->cron, now_s);
    return 1;
}
