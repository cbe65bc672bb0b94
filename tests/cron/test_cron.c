/* Tests for cron expressions: parsing (fields, names, macros, error messages) and next fire times
 * against cron_cases.h, generated independently by cron_reference.py (Python datetime/zoneinfo). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cron.h"
#include "cron_cases.h"

static void set_tz(const char *tz)
{
    if (tz)
        setenv("TZ", tz, 1);
    else
        unsetenv("TZ");
    tzset();
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_cron_next_matches_python_reference(void **state)
{
    size_t n = sizeof(cron_cases) / sizeof(cron_cases[0]);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cron_case *k = &cron_cases[i];
        struct cron_expr c;
        char err[256] = "";
        set_tz(k->tz);
        if (cron_parse(k->expr, &c, err, sizeof(err)) != 0) {
            print_error("case %zu \"%s\": parse failed: %s\n", i, k->expr, err);
            failures++;
            continue;
        }
        time_t next = 0;
        int rc = cron_next(&c, (time_t)k->after, k->tz == NULL, &next);
        if (rc != 0 || (long long)next != k->next) {
            print_error("case %zu \"%s\" tz %s after %lld: got rc %d next %lld, want %lld\n", i,
                        k->expr, k->tz ? k->tz : "UTC", k->after, rc, (long long)next, k->next);
            failures++;
        }
    }
    set_tz(NULL);
    assert_int_equal(failures, 0);
}

/* Following the chain of fire times never goes backwards or repeats, in UTC and local time. */
static void test_cron_next_chain_is_strictly_increasing(void **state)
{
    const char *zones[] = {NULL, "Europe/Berlin", "Australia/Lord_Howe"};
    const char *exprs[] = {"*/7 * * * *", "30 2 * * *", "0,30 1-3 * * *", "* 2 * * *"};
    for (size_t z = 0; z < 3; z++) {
        set_tz(zones[z]);
        for (size_t e = 0; e < 4; e++) {
            struct cron_expr c;
            assert_int_equal(cron_parse(exprs[e], &c, NULL, 0), 0);
            time_t t = 1711670400; /* 2024-03-29 00:00 UTC: spans the European spring jump */
            for (int i = 0; i < 2000; i++) {
                time_t nx;
                assert_int_equal(cron_next(&c, t, zones[z] == NULL, &nx), 0);
                assert_true(nx > t);
                t = nx;
            }
        }
    }
    set_tz(NULL);
}

/* Local mode with TZ=UTC agrees with UTC mode. */
static void test_cron_next_local_utc_equals_utc_mode(void **state)
{
    set_tz("UTC");
    size_t n = sizeof(cron_cases) / sizeof(cron_cases[0]);
    for (size_t i = 0; i < n; i++) {
        if (cron_cases[i].tz)
            continue;
        struct cron_expr c;
        assert_int_equal(cron_parse(cron_cases[i].expr, &c, NULL, 0), 0);
        time_t a, b;
        assert_int_equal(cron_next(&c, (time_t)cron_cases[i].after, 0, &a), 0);
        assert_int_equal(cron_next(&c, (time_t)cron_cases[i].after, 1, &b), 0);
        assert_int_equal((long long)a, (long long)b);
    }
    set_tz(NULL);
}

static void test_cron_parse_fields_names_and_sunday(void **state)
{
    struct cron_expr c;
    assert_int_equal(cron_parse("  0,30  */6 1-10/3 jan-Mar,DEC sun,7\t", &c, NULL, 0), 0);
    assert_true(c.minutes == ((1ull << 0) | (1ull << 30)));
    assert_int_equal(c.hours, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
    assert_int_equal(c.days, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
    assert_int_equal(c.months, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 12));
    assert_int_equal(c.weekdays, 1u << 0);
    assert_int_equal(c.flags, CRON_HOUR_STAR);

    assert_int_equal(cron_parse("* * * * 5-7", &c, NULL, 0), 0);
    assert_int_equal(c.weekdays, (1u << 5) | (1u << 6) | (1u << 0));
    assert_int_equal(cron_parse("* * * * sat-sun", &c, NULL, 0), 0);
    assert_int_equal(c.weekdays, (1u << 6) | (1u << 0));
    assert_int_equal(cron_parse("* * * * 0-7", &c, NULL, 0), 0);
    assert_int_equal(c.weekdays, 0x7f);
    assert_int_equal(c.flags, CRON_MIN_STAR | CRON_HOUR_STAR | CRON_DOM_STAR);
    assert_int_equal(cron_parse("* * * * *", &c, NULL, 0), 0);
    assert_true(c.minutes == (1ull << 60) - 1);
    assert_int_equal(c.hours, (1u << 24) - 1);
    assert_int_equal(c.days, 0xfffffffeu);
    assert_int_equal(c.months, 0x1ffe);
    assert_int_equal(c.weekdays, 0x7f);
    assert_int_equal(c.flags, CRON_MIN_STAR | CRON_HOUR_STAR | CRON_DOM_STAR | CRON_DOW_STAR);
    assert_int_equal(cron_parse("*/60 */24 */31 */12 */7", &c, NULL, 0), 0);
    assert_true(c.minutes == 1);
    assert_int_equal(c.hours, 1);
    assert_int_equal(c.days, 2);
    assert_int_equal(c.months, 2);
    assert_int_equal(c.weekdays, 1);
}

static void test_cron_parse_macros_expand(void **state)
{
    const char *pairs[][2] = {{"@yearly", "0 0 1 1 *"}, {"@ANNUALLY", "0 0 1 1 *"},
                              {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                              {"@daily", "0 0 * * *"},   {" @midnight ", "0 0 * * *"},
                              {"@hourly", "0 * * * *"}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct cron_expr a, b;
        assert_int_equal(cron_parse(pairs[i][0], &a, NULL, 0), 0);
        assert_int_equal(cron_parse(pairs[i][1], &b, NULL, 0), 0);
        /* field by field: the struct's padding bytes are unspecified */
        assert_true(a.minutes == b.minutes);
        assert_int_equal(a.hours, b.hours);
        assert_int_equal(a.days, b.days);
        assert_int_equal(a.months, b.months);
        assert_int_equal(a.weekdays, b.weekdays);
        assert_int_equal(a.flags, b.flags);
    }
}

static void test_cron_parse_errors_name_field_and_text(void **state)
{
    static const char *const cases[][2] = {
        {"*/0 * * * *", "cron \"*/0 * * * *\": minute field: step must be at least 1"},
        {"61 * * * *", "cron \"61 * * * *\": minute field: \"61\" is out of range 0-59"},
        {"* 24 * * *", "cron \"* 24 * * *\": hour field: \"24\" is out of range 0-23"},
        {"* * 0 * *", "cron \"* * 0 * *\": day-of-month field: \"0\" is out of range 1-31"},
        {"* * * 13 *", "cron \"* * * 13 *\": month field: \"13\" is out of range 1-12"},
        {"* * * * 8", "cron \"* * * * 8\": day-of-week field: \"8\" is out of range 0-7"},
        {"* * * 1-13/2 *", "cron \"* * * 1-13/2 *\": month field: \"1-13/2\" is out of range 1-12"},
        {"* * * FOO *", "cron \"* * * FOO *\": month field: \"FOO\" is not a month (1-12 or JAN-DEC)"},
        {"* * * * MONDAY", "cron \"* * * * MONDAY\": day-of-week field: \"MONDAY\" is not a weekday (0-7 or SUN-SAT)"},
        {"* MON * * *", "cron \"* MON * * *\": hour field: \"MON\" is not a number"},
        {"5/15 * * * *", "cron \"5/15 * * * *\": minute field: a step needs a range or '*' in \"5/15\" (write 5-59/...)"},
        {"*/x * * * *", "cron \"*/x * * * *\": minute field: step must be a number in \"*/x\""},
        {"*/61 * * * *", "cron \"*/61 * * * *\": minute field: step 61 is larger than the field's range 0-59"},
        {"* * * * */8", "cron \"* * * * */8\": day-of-week field: step 8 is larger than the field's range 0-6"},
        {"30-10 * * * *", "cron \"30-10 * * * *\": minute field: range \"30-10\" runs backwards"},
        {"1-2-3 * * * *", "cron \"1-2-3 * * * *\": minute field: unexpected \"-3\" in \"1-2-3\""},
        {"1,,2 * * * *", "cron \"1,,2 * * * *\": minute field: empty list element in \"1,,2\""},
        {"1, * * * *", "cron \"1, * * * *\": minute field: empty list element in \"1,\""},
        {"5- * * * *", "cron \"5- * * * *\": minute field: expected a number in \"5-\""},
        {"* * * *", "cron \"* * * *\": expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
        {"", "cron \"\": expected 5 fields (minute hour day-of-month month day-of-week), found 0"},
        {"* * * * * *", "cron \"* * * * * *\": expected 5 fields (minute hour day-of-month month day-of-week), found more"},
        {"@reboot", "cron \"@reboot\": unknown macro (use @yearly, @monthly, @weekly, @daily or @hourly)"},
        {"0 0 31 2 *", "cron \"0 0 31 2 *\": never fires: day-of-month \"31\" does not occur in month \"2\""},
        {"0 0 30-31 feb *", "cron \"0 0 30-31 feb *\": never fires: day-of-month \"30-31\" does not occur in month \"feb\""},
        {"0 0 31 4,6,9,11 */2", "cron \"0 0 31 4,6,9,11 */2\": never fires: day-of-month \"31\" does not occur in month \"4,6,9,11\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cron_expr c;
        char err[256] = "";
        int rc = cron_parse(cases[i][0], &c, err, sizeof(err));
        if (rc != -EINVAL || strcmp(err, cases[i][1]) != 0)
            print_error("\"%s\": rc %d, message:\n  %s\nwant:\n  %s\n", cases[i][0], rc, err, cases[i][1]);
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, cases[i][1]);
    }
    struct cron_expr c;
    char small[8];
    assert_int_equal(cron_parse("99 * * * *", &c, small, sizeof(small)), -EINVAL);
    assert_string_equal(small, "cron \"9"); /* truncated, still terminated */
    assert_int_equal(cron_parse(NULL, &c, NULL, 0), -EINVAL);
}

/* With the OR rule a Feb 31 day-of-month is harmless: the weekday still matches.
 * Expected (by hand): after 2024-03-01, the next Monday in February is 2025-02-03 00:00 UTC. */
static void test_cron_or_rule_rescues_impossible_day(void **state)
{
    struct cron_expr c;
    assert_int_equal(cron_parse("0 0 31 2 MON", &c, NULL, 0), 0);
    time_t nx;
    assert_int_equal(cron_next(&c, 1709251200, 1, &nx), 0);
    assert_int_equal((long long)nx, 1738540800LL);
}

/* A hand-built expression that cron_parse would refuse: the bounded search gives up. */
static void test_cron_next_impossible_is_bounded(void **state)
{
    struct cron_expr c;
    assert_int_equal(cron_parse("0 0 * 2 *", &c, NULL, 0), 0);
    c.days = 1u << 31; /* Feb 31 */
    time_t nx = 0;
    double t0 = now_seconds();
    assert_int_equal(cron_next(&c, 1709251200, 1, &nx), -ENOENT);
    set_tz("Europe/Berlin");
    assert_int_equal(cron_next(&c, 1709251200, 0, &nx), -ENOENT);
    set_tz(NULL);
    assert_true(now_seconds() - t0 < 5.0);
    c.weekdays = 0;
    assert_int_equal(cron_next(&c, 0, 1, &nx), -EINVAL);
    assert_int_equal(cron_next(NULL, 0, 1, &nx), -EINVAL);
}

/* Far clock jumps. 253402300800 = 10000-01-01 00:00:00 UTC (253402300799 is the well-known
 * 9999-12-31 23:59:59); -62135596800 = 0001-01-01 00:00:00 UTC. */
static void test_cron_next_far_past_and_future(void **state)
{
    struct cron_expr c;
    time_t nx;
    assert_int_equal(cron_parse("0 0 1 1 *", &c, NULL, 0), 0);
    assert_int_equal(cron_next(&c, 253402297200, 1, &nx), 0); /* 9999-12-31 23:00 */
    assert_int_equal((long long)nx, 253402300800LL);
    assert_int_equal(cron_next(&c, 253402300800, 1, &nx), -EOVERFLOW);
    assert_int_equal(cron_next(&c, -62135596801, 1, &nx), -EOVERFLOW);
    assert_int_equal(cron_next(&c, -62135596800, 1, &nx), 0);
    assert_int_equal((long long)nx, -62104060800LL); /* 0002-01-01: year 1 has 365 days */
}

/* The rarest schedules (Feb 29 on a given weekday, AND rule) still answer quickly in local time,
 * where the search also walks every UTC-offset change. Expected value from the Python reference
 * loop in cron_reference.py (AND rule: Feb 1 or Feb 29 on a Monday after 2024-03-01 is
 * 2027-02-01; 00:00 CET = 2027-01-31 23:00 UTC = 1801436400). */
static void test_cron_next_rare_local_is_fast(void **state)
{
    struct cron_expr c;
    time_t nx;
    set_tz("Europe/Berlin");
    assert_int_equal(cron_parse("0 0 */28 2 MON", &c, NULL, 0), 0);
    double t0 = now_seconds();
    assert_int_equal(cron_next(&c, 1709251200, 0, &nx), 0);
    assert_true(now_seconds() - t0 < 1.0);
    assert_int_equal((long long)nx, 1801436400LL);
    set_tz(NULL);
}

/* Local-time searches stop after 60 years. The rarest date still fires: Feb 29 on a Sunday (AND
 * rule: the day-of-week field starts with '*') skips 40 years from 2088 to 2128 (Python:
 * 2128-02-29 00:00 Europe/Berlin = 4991065200; 3728937600 = 2088-03-01 00:00 UTC). An expression
 * that only matches inside spring-forward gaps never fires, and says so quickly: "* 2 31 3 *\/7" is
 * 02:xx on March 31 when it is a Sunday, which is then the last Sunday of March, when Berlin jumps
 * from 02:00 to 03:00 (found by the cron fuzzer: the 400-year search took over 10 s under ASan). */
static void test_cron_next_local_horizon(void **state)
{
    struct cron_expr c;
    time_t nx;
    set_tz("Europe/Berlin");
    assert_int_equal(cron_parse("0 0 29 2 */7", &c, NULL, 0), 0);
    assert_int_equal(cron_next(&c, 3728937600, 0, &nx), 0);
    assert_int_equal((long long)nx, 4991065200LL);
    assert_int_equal(cron_parse("* 2 31 3 */7", &c, NULL, 0), 0);
    double t0 = now_seconds();
    assert_int_equal(cron_next(&c, 1704067200, 0, &nx), -ENOENT);
    assert_true(now_seconds() - t0 < 5.0);
    set_tz(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_next_matches_python_reference),
        cmocka_unit_test(test_cron_next_chain_is_strictly_increasing),
        cmocka_unit_test(test_cron_next_local_utc_equals_utc_mode),
        cmocka_unit_test(test_cron_parse_fields_names_and_sunday),
        cmocka_unit_test(test_cron_parse_macros_expand),
        cmocka_unit_test(test_cron_parse_errors_name_field_and_text),
        cmocka_unit_test(test_cron_or_rule_rescues_impossible_day),
        cmocka_unit_test(test_cron_next_impossible_is_bounded),
        cmocka_unit_test(test_cron_next_far_past_and_future),
        cmocka_unit_test(test_cron_next_rare_local_is_fast),
        cmocka_unit_test(test_cron_next_local_horizon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
