/* Tests for config value parsing: durations, sizes, booleans, numbers, ${ENV} expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/values.h"

static void test_values_durations_in_milliseconds(void **state)
{
    int64_t ms;
    assert_int_equal(value_parse_duration_ms("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(value_parse_duration_ms("5m", &ms), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(value_parse_duration_ms("24h", &ms), 0);
    assert_int_equal(ms, 86400000);
    assert_int_equal(value_parse_duration_ms("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(value_parse_duration_ms("30", &ms), 0); /* bare number = seconds */
    assert_int_equal(ms, 30000);
    assert_int_equal(value_parse_duration_ms("5 minutes", &ms), -1);
    assert_int_equal(value_parse_duration_ms("-1s", &ms), -1);
    assert_int_equal(value_parse_duration_ms("", &ms), -1);
}

static void test_values_sizes_are_binary_units(void **state)
{
    int64_t b;
    assert_int_equal(value_parse_size("2M", &b), 0);
    assert_int_equal(b, 2 * 1024 * 1024);
    assert_int_equal(value_parse_size("64K", &b), 0);
    assert_int_equal(b, 65536);
    assert_int_equal(value_parse_size("512", &b), 0);
    assert_int_equal(b, 512);
    assert_int_equal(value_parse_size("2X", &b), -1);
}

static void test_values_booleans_and_numbers_are_strict(void **state)
{
    int v;
    double d;
    int64_t i;
    assert_int_equal(value_parse_bool("yes", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(value_parse_bool("false", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(value_parse_bool("maybe", &v), -1);
    assert_int_equal(value_parse_double("0.25", &d), 0);
    assert_true(d == 0.25);
    assert_int_equal(value_parse_double("nan", &d), -1);
    assert_int_equal(value_parse_double("1e999", &d), -1);
    assert_int_equal(value_parse_int("12x", &i), -1);
    assert_int_equal(value_parse_int("-7", &i), 0);
    assert_int_equal(i, -7);
}

static void test_values_expand_env_with_default_and_missing(void **state)
{
    char *out, missing[64];
    setenv("DW_TEST_TOKEN", "abc", 1);
    unsetenv("DW_TEST_UNSET");
    assert_int_equal(value_expand_env("Bearer ${DW_TEST_TOKEN}!", &out, missing, sizeof missing), 0);
    assert_string_equal(out, "Bearer abc!");
    free(out);
    assert_int_equal(value_expand_env("${DW_TEST_UNSET:-fallback}", &out, missing, sizeof missing), 0);
    assert_string_equal(out, "fallback");
    free(out);
    assert_int_equal(value_expand_env("x${DW_TEST_UNSET}", &out, missing, sizeof missing), -1);
    assert_string_equal(missing, "DW_TEST_UNSET");
    assert_int_equal(value_expand_env("${unterminated", &out, missing, sizeof missing), -1);
    assert_string_equal(missing, "syntax");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_durations_in_milliseconds),
        cmocka_unit_test(test_values_sizes_are_binary_units),
        cmocka_unit_test(test_values_booleans_and_numbers_are_strict),
        cmocka_unit_test(test_values_expand_env_with_default_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
