/* drift_sort (LSD radix sort on IEEE-754 bits): orders every finite double, signed zeros and
 * infinities included, exactly as qsort with a numeric comparator (and -0.0 before +0.0). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/drift.h"

/* numeric order, with -0.0 before +0.0 (the order drift_sort promises) */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x < y)
        return -1;
    if (x > y)
        return 1;
    return (int)(signbit(y) != 0) - (int)(signbit(x) != 0);
}

/* sorts a copy with qsort and checks drift_sort gives the same bits */
static void check_against_qsort(double *v, size_t n)
{
    double *want = malloc((n ? n : 1) * sizeof *want);
    assert_non_null(want);
    memcpy(want, v, n * sizeof *v);
    qsort(want, n, sizeof *want, cmp_double);
    assert_int_equal(drift_sort(v, n), 0);
    assert_memory_equal(v, want, n * sizeof *v);
    free(want);
}

/* splitmix64: a fixed, seedable source of bits for the random inputs */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * 0x1p-53;
}

static void test_sort_handles_empty_and_single(void **state)
{
    double one = 3.5;
    assert_int_equal(drift_sort(NULL, 0), 0);
    assert_int_equal(drift_sort(&one, 1), 0);
    assert_true(one == 3.5);
}

static void test_sort_puts_negative_zero_before_positive_zero(void **state)
{
    double v[] = { 0.0, -0.0, 1.0, -0.0, 0.0, -1.0 };
    assert_int_equal(drift_sort(v, 6), 0);
    assert_true(v[0] == -1.0 && v[5] == 1.0);
    assert_true(signbit(v[1]) && signbit(v[2]));
    assert_true(!signbit(v[3]) && !signbit(v[4]));
}

static void test_sort_orders_special_magnitudes(void **state)
{
    double v[] = { INFINITY, -INFINITY, 1e-310, -1e-310, DBL_MAX, -DBL_MAX, 5e-324, -5e-324,
                   1.0, -1.0, 0.0, -0.0, 2.2250738585072014e-308, 1e300, -1e-300 };
    check_against_qsort(v, sizeof v / sizeof v[0]);
    assert_true(v[0] == -INFINITY);
    assert_true(v[sizeof v / sizeof v[0] - 1] == INFINITY);
}

static void test_sort_keeps_already_sorted_input(void **state)
{
    size_t n = 10000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)i - 5000.0;
    check_against_qsort(v, n);
    free(v);
}

static void test_sort_reverses_descending_input(void **state)
{
    size_t n = 10000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = 2500.25 - (double)i * 0.5;
    check_against_qsort(v, n);
    free(v);
}

static void test_sort_groups_duplicates(void **state)
{
    size_t n = 50000;
    uint64_t s = 7;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(next_u64(&s) % 7) - 3.0; /* seven values, many of each */
    check_against_qsort(v, n);
    free(v);
}

static void test_sort_constant_input_skips_every_pass(void **state)
{
    double v[1000];
    for (size_t i = 0; i < 1000; i++)
        v[i] = 42.0;
    check_against_qsort(v, 1000);
}

static void test_sort_matches_qsort_on_1m_random_values(void **state)
{
    size_t n = 1000000;
    uint64_t s = 20240611;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        /* mixed signs and scales: a normal-ish value times 10^[-8, 8] */
        double u = next_unit(&s) + next_unit(&s) + next_unit(&s) - 1.5;
        v[i] = u * pow(10.0, (double)(int)(next_u64(&s) % 17) - 8.0);
    }
    check_against_qsort(v, n);
    free(v);
}

static void test_sort_matches_qsort_on_random_bit_patterns(void **state)
{
    /* any finite double: random sign, exponent and mantissa bits */
    size_t n = 200000;
    uint64_t s = 99;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        double x;
        do {
            uint64_t b = next_u64(&s);
            memcpy(&x, &b, sizeof x);
        } while (!isfinite(x));
        v[i] = x;
    }
    check_against_qsort(v, n);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_handles_empty_and_single),
        cmocka_unit_test(test_sort_puts_negative_zero_before_positive_zero),
        cmocka_unit_test(test_sort_orders_special_magnitudes),
        cmocka_unit_test(test_sort_keeps_already_sorted_input),
        cmocka_unit_test(test_sort_reverses_descending_input),
        cmocka_unit_test(test_sort_groups_duplicates),
        cmocka_unit_test(test_sort_constant_input_skips_every_pass),
        cmocka_unit_test(test_sort_matches_qsort_on_1m_random_values),
        cmocka_unit_test(test_sort_matches_qsort_on_random_bit_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
