/* Clock jumps with an injected clock: a simulated wall clock and monotonic clock drive one schedule
 * as the scheduler thread does (one look a second), and the wall clock is stepped forward and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/cron.h"
#include "runtime/schedule_timer.h"

/* Unix times (Python: datetime(2026, 3, 1, 12, 3, tzinfo=timezone.utc).timestamp(), etc.). */
#define T_0301_1203 1772366580LL
#define T_0301_1205 1772366700LL
#define T_0301_1403 1772373780LL
#define T_0301_1405 1772373900LL
#define T_0228_1205 1772280300LL

struct sim {
    int64_t wall_ms, mono_ms;
    int64_t fired[64]; /* wall seconds of each firing */
    int n;
};

/* Lets `seconds` pass on both clocks, looking once a second like scheduler_main. */
static void run(struct schedule_timer *t, struct sim *s, int seconds)
{
    for (int i = 0; i < seconds; i++) {
        s->wall_ms += 1000;
        s->mono_ms += 1000;
        if (schedule_timer_due(t, s->wall_ms, s->mono_ms)) {
            assert_true(s->n < 64);
            s->fired[s->n++] = s->wall_ms / 1000;
        }
    }
}

static void every_five_minutes(struct cron_expr *c, struct schedule_timer *t, struct sim *s)
{
    char err[128];
    assert_int_equal(cron_parse("*/5 * * * *", c, err, sizeof err), 0);
    s->wall_ms = T_0301_1203 * 1000;
    s->mono_ms = 5000; /* monotonic time starts anywhere */
    s->n = 0;
    schedule_timer_init(t, c, 0, s->wall_ms, s->mono_ms);
}

static void test_cron_fires_on_each_slot_without_jumps(void **state)
{
    (void)state;
    struct cron_expr c;
    struct schedule_timer t;
    struct sim s = {0};
    every_five_minutes(&c, &t, &s);
    run(&t, &s, 13 * 60); /* 12:03 -> 12:16: slots 12:05, 12:10, 12:15 */
    assert_int_equal(s.n, 3);
    assert_int_equal(s.fired[0], T_0301_1205);
    assert_int_equal(s.fired[1], T_0301_1205 + 300);
    assert_int_equal(s.fired[2], T_0301_1205 + 600);
}

static void test_cron_forward_jump_fires_missed_slots_once(void **state)
{
    (void)state;
    struct cron_expr c;
    struct schedule_timer t;
    struct sim s = {0};
    every_five_minutes(&c, &t, &s);
    s.wall_ms += 2 * 3600 * 1000; /* 12:03 -> 14:03: 24 slots skipped */
    run(&t, &s, 1);
    assert_int_equal(s.n, 1); /* one catch-up check, not 24 */
    assert_int_equal(s.fired[0], T_0301_1403 + 1);
    run(&t, &s, 3 * 60); /* then the normal slots of the new time: 14:05 */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.fired[1], T_0301_1405);
}

static void test_cron_small_backward_jump_does_not_refire(void **state)
{
    (void)state;
    struct cron_expr c;
    struct schedule_timer t;
    struct sim s = {0};
    every_five_minutes(&c, &t, &s);
    run(&t, &s, 3 * 60); /* fires at 12:05, now 12:06 */
    assert_int_equal(s.n, 1);
    s.wall_ms -= 3600 * 1000; /* back to 11:06: slots 11:10 ... 12:05 already fired once */
    run(&t, &s, 3600 + 5 * 60); /* to 12:11 */
    /* Nothing until the wall clock is back at 12:10 (the slot after the last one fired). */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.fired[1], T_0301_1205 + 300);
}

static void test_cron_large_backward_jump_replans(void **state)
{
    (void)state;
    struct cron_expr c;
    struct schedule_timer t;
    struct sim s = {0};
    every_five_minutes(&c, &t, &s);
    s.wall_ms -= 24 * 3600 * 1000LL; /* a day back (beyond 3 h): 02-28 12:03 */
    run(&t, &s, 3 * 60);
    /* Re-planned from the new time: 02-28 12:05, two minutes later, not a day of silence. */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.fired[0], T_0228_1205);
}

static void test_interval_ignores_wall_clock_jumps(void **state)
{
    (void)state;
    struct schedule_timer t;
    struct sim s = {.wall_ms = T_0301_1203 * 1000, .mono_ms = 0};
    schedule_timer_init(&t, NULL, 60 * 1000, s.wall_ms, s.mono_ms);
    run(&t, &s, 30);
    s.wall_ms += 24 * 3600 * 1000LL; /* forward a day: no early firing */
    run(&t, &s, 29);
    assert_int_equal(s.n, 0);
    run(&t, &s, 1); /* 60 s of monotonic time */
    assert_int_equal(s.n, 1);
    s.wall_ms -= 48 * 3600 * 1000LL; /* back two days: no stall */
    run(&t, &s, 60);
    assert_int_equal(s.n, 2);
    run(&t, &s, 60);
    assert_int_equal(s.n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_fires_on_each_slot_without_jumps),
        cmocka_unit_test(test_cron_forward_jump_fires_missed_slots_once),
        cmocka_unit_test(test_cron_small_backward_jump_does_not_refire),
        cmocka_unit_test(test_cron_large_backward_jump_replans),
        cmocka_unit_test(test_interval_ignores_wall_clock_jumps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
