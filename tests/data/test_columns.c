/* Column table (core/data/columns.c), number parsing (numparse.c) and the seeded reservoir.
 * References: glibc strtod (correctly rounded) for parsing; the textbook data set 2,4,4,4,5,5,7,9
 * (mean 5, population std 2) for the moments; for the reservoir, inclusion probability k/N for
 * every position (Vitter 1985), checked with a chi-square goodness-of-fit test whose critical
 * values come from scipy: chi2.ppf(0.001 / 0.999, 9) = 1.152 / 27.877,
 * chi2.ppf(0.001 / 0.999, 999) = 866.548 / 1142.848. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/columns.h"
#include "sample/numparse.h"
#include "sample/sample_row.h"
#include "util/prng.h"
#include "util/utf8.h"

static void test_numparse_matches_strtod_on_random_decimals(void **state)
{
    struct prng g;
    prng_seed(&g, 7, 0);
    char buf[64];
    for (int i = 0; i < 300000; i++) {
        int ndig = 1 + (int)prng_below(&g, 20);
        int point = (int)prng_below(&g, (uint64_t)ndig + 1);
        size_t n = 0;
        if (prng_below(&g, 2))
            buf[n++] = '-';
        for (int d = 0; d < ndig; d++) {
            if (d == point && d > 0)
                buf[n++] = '.';
            buf[n++] = (char)('0' + prng_below(&g, 10));
        }
        if (prng_below(&g, 3) == 0)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "e%d", (int)prng_below(&g, 80) - 40);
        buf[n] = '\0';
        double got, want = strtod(buf, NULL);
        assert_int_equal(num_parse(buf, n, &got), 0);
        assert_true(num_valid(buf, n));
        if (got != want || signbit(got) != signbit(want))
            fail_msg("num_parse(\"%s\") = %.17g, strtod = %.17g", buf, got, want);
    }
}

static void test_numparse_accepts_and_rejects(void **state)
{
    double x;
    assert_int_equal(num_parse(" 12.5 ", 6, &x), 0);
    assert_true(x == 12.5);
    assert_int_equal(num_parse(".5", 2, &x), 0);
    assert_true(x == 0.5);
    assert_int_equal(num_parse("5.", 2, &x), 0);
    assert_true(x == 5.0);
    assert_int_equal(num_parse("1E3", 3, &x), 0);
    assert_true(x == 1000.0);
    assert_int_equal(num_parse("0.1", 3, &x), 0);
    assert_true(x == 0.1);
    assert_int_equal(num_parse("123456789012345678901234567890", 30, &x), 0);
    assert_true(x == 123456789012345678901234567890.0);
    const char *bad[] = {"", " ", "-", ".", "e5", "1e", "1e+", "inf", "-Infinity", "nan", "0x10", "1,5", "1.2.3",
                         "12abc", "1e400", "--1", "+-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (num_parse(bad[i], strlen(bad[i]), &x) == 0 || num_valid(bad[i], strlen(bad[i])))
            fail_msg("'%s' parsed as %g", bad[i], x);
    assert_true(num_is_nan_text("NaN", 3) && num_is_nan_text("nan", 3) && !num_is_nan_text("nana", 4));
}

static void test_numformat_is_shortest_round_trip(void **state)
{
    char buf[32];
    num_format(0.1, buf);
    assert_string_equal(buf, "0.1");
    num_format(1.0 / 3.0, buf);
    assert_string_equal(buf, "0.3333333333333333");
    num_format(5e-324, buf);
    assert_true(strtod(buf, NULL) == 5e-324);
    num_format(NAN, buf);
    assert_string_equal(buf, "NaN");
    num_format(-INFINITY, buf);
    assert_string_equal(buf, "-Inf");
}

/* Significant digits of a number's text: "0.00001" and "1e-05" both give "1". */
static void sig_digits(const char *s, char *out)
{
    size_t n = 0;
    int lead = 1;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (lead && *s == '0')
            continue;
        lead = 0;
        out[n++] = *s;
    }
    while (n > 0 && out[n - 1] == '0') /* "100000000000000" and "1e+14" */
        n--;
    out[n] = '\0';
}

/* The JSON doors print what Python's repr() prints (the reference: python3 -c 'print(repr(x))'):
 * the same value and the same digits, including subnormals, where "%.15g" would print
 * 4.94065645841247e-324 for repr's 5e-324. */
static void test_numformat_matches_python_repr(void **state)
{
    (void)state;
    static const struct {
        double x;
        const char *repr;
    } cases[] = {
        {0.05, "0.05"},
        {0.1, "0.1"},
        {1.0 / 3.0, "0.3333333333333333"},
        {1e-300, "1e-300"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {1e-05, "1e-05"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1e-310, "1e-310"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32], a[32], b[32];
        size_t n = num_format(cases[i].x, buf);
        assert_int_equal(n, strlen(buf));
        assert_true(strtod(buf, NULL) == cases[i].x);
        sig_digits(buf, a);
        sig_digits(cases[i].repr, b);
        if (strcmp(a, b) != 0)
            fail_msg("%.17g printed as %s, repr %s", cases[i].x, buf, cases[i].repr);
    }
    char buf[32];
    num_format(5e-324, buf);
    assert_string_equal(buf, "5e-324");
    num_format(0.05, buf);
    assert_string_equal(buf, "0.05");
}

static void test_columns_numeric_values_missing_and_invalid(void **state)
{
    struct columns *t = columns_new(NULL);
    int x = columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE);
    int y = columns_add(t, "y", COL_NUMERIC, ROLE_FEATURE);
    assert_int_equal(columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE), -2);
    const char *vals[] = {"2", "4", "4", "", "4", "5", "NaN", "5", "7", "abc", "9", "inf"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        columns_begin_row(t);
        columns_put_text(t, x, vals[i], strlen(vals[i]));
        if (i % 2 == 0)
            columns_put_text(t, y, "1", 1); /* y absent from odd rows: missing */
        assert_int_equal(columns_end_row(t), 0);
    }
    const struct column *c = &t->cols[x];
    assert_int_equal(t->rows, 12);
    assert_int_equal(c->count, 8);
    assert_int_equal(c->missing, 2);
    assert_int_equal(c->invalid, 2); /* "abc" and "inf" */
    assert_int_equal(c->nvalues, 8);
    /* 2,4,4,4,5,5,7,9: mean 5, population variance 4 */
    assert_true(fabs(c->mean - 5.0) < 1e-15);
    assert_true(fabs(sqrt(c->m2 / (double)c->count) - 2.0) < 1e-15);
    assert_true(c->min == 2.0 && c->max == 9.0);
    assert_int_equal(t->cols[y].missing, 6);
    assert_true(fabs(columns_missing_share(t, x) - 4.0 / 12.0) < 1e-15);
    columns_reset(t);
    assert_int_equal(t->rows, 0);
    assert_int_equal(t->cols[x].count, 0);
    assert_int_equal(columns_find(t, "y"), y);
    columns_free(t);
}

/* Samples read by the sample reader with the table's schema, then added as rows (the data file
 * reader's path): every kind of value in both kinds of column, flat and nested samples. */
static void test_columns_sample_rows_flat_and_nested(void **state)
{
    struct columns *t = columns_new(NULL);
    int amount = columns_add(t, "amount", COL_NUMERIC, ROLE_FEATURE);
    int country = columns_add(t, "country", COL_CATEGORICAL, ROLE_FEATURE);
    int pred = columns_add(t, "score", COL_NUMERIC, ROLE_PREDICTION);
    assert_int_equal(columns_set_roles(t, "score", NULL), 0);
    const char *rows[] = {
        "{\"amount\": 1.5, \"country\": \"US\", \"extra\": 1}",
        "{\"amount\": \"2.5\", \"country\": 3}",
        "{\"amount\": null, \"country\": true}",
        "{\"amount\": [1], \"country\": 2.5}",
        "{\"amount\": false, \"country\": \"US\"}",
        ("{\"features\": {\"amount\": 4, \"country\": \"DE\"}, \"prediction\": 0.25,"
         " \"timestamp\": \"2026-03-01T10:00:00Z\"}"),
        "{\"features\": {\"amount\": 5}, \"prediction\": [0.1, 0.9], \"timestamp\": \"2026-03-01T09:00:00Z\"}",
    };
    struct row_schema schema;
    columns_row_schema(&schema, t);
    struct sample_row r;
    assert_int_equal(sample_row_init(&r, t->ncols), 0);
    char why[128];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(sample_row_parse(&schema, rows[i], strlen(rows[i]), &r, why, sizeof why), 0);
        assert_int_equal(columns_add_row(t, &r), 0);
    }
    assert_int_equal(sample_row_parse(&schema, "[]", 2, &r, why, sizeof why), -1);
    sample_row_free(&r);
    const struct column *a = &t->cols[amount], *c = &t->cols[country], *p = &t->cols[pred];
    assert_int_equal(a->count, 4); /* 1.5, "2.5", 4, 5 */
    assert_int_equal(a->missing, 1);
    assert_int_equal(a->invalid, 2); /* [1] and false */
    assert_int_equal(c->count, 6);
    assert_int_equal(c->missing, 1); /* absent from the last sample */
    assert_true(catmap_find(c->cats, "US", 2) >= 0);
    assert_int_equal(catmap_count(c->cats, (size_t)catmap_find(c->cats, "US", 2)), 2);
    assert_true(catmap_find(c->cats, "3", 1) >= 0);
    assert_true(catmap_find(c->cats, "true", 4) >= 0);
    assert_true(catmap_find(c->cats, "2.5", 3) >= 0);
    assert_int_equal(p->count, 1); /* 0.25; the array prediction is not a value */
    assert_true(p->values[0] == 0.25);
    assert_string_equal(t->ts_from, "2026-03-01T09:00:00Z");
    assert_string_equal(t->ts_to, "2026-03-01T10:00:00Z");
    assert_non_null(t->unknown_names); /* "extra", in one row */
    assert_int_equal(catmap_size(t->unknown_names), 1);
    assert_int_equal(catmap_count(t->unknown_names, (size_t)catmap_find(t->unknown_names, "extra", 5)), 1);
    assert_int_equal(t->rows, 7);
    columns_free(t);
}

static void test_columns_invalid_utf8_categories_are_repaired(void **state)
{
    struct columns *t = columns_new(NULL);
    int c = columns_add(t, "c", COL_CATEGORICAL, ROLE_FEATURE);
    columns_begin_row(t);
    columns_put_text(t, c, "caf\xe9", 4); /* Latin-1 e-acute: not UTF-8 */
    columns_end_row(t);
    assert_true(catmap_find(t->cols[c].cats, "caf\xef\xbf\xbd", 6) >= 0);
    assert_true(utf8_valid("caf\xc3\xa9", 5));
    assert_false(utf8_valid("\xed\xa0\x80", 3)); /* a surrogate */
    assert_false(utf8_valid("\xc0\xaf", 2));     /* overlong */
    columns_free(t);
}

/* Streams 0..N-1 through a k-slot reservoir T times (seeds 0..T-1) and checks that every
 * position is kept with probability k/N. */
static void test_reservoir_is_uniform_chi_square(void **state)
{
    enum { N = 1000, K = 100, T = 2000 };
    static uint32_t hits[N];
    memset(hits, 0, sizeof hits);
    for (int trial = 0; trial < T; trial++) {
        struct columns_options o = {.sample_limit = K, .seed = (uint64_t)trial};
        struct columns *t = columns_new(&o);
        int x = columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE);
        for (int i = 0; i < N; i++) {
            columns_begin_row(t);
            columns_put_number(t, x, (double)i);
            columns_end_row(t);
        }
        const struct column *c = &t->cols[x];
        assert_int_equal(c->nvalues, K);
        assert_int_equal(c->count, N);
        for (size_t i = 0; i < c->nvalues; i++)
            hits[(int)c->values[i]]++;
        columns_free(t);
    }
    /* Each position's count is Binomial(T, p = K/N): variance e(1 - p), not the e of a Poisson
     * count, so the Pearson sum is divided by (1 - p); the counts sum to T*K, which takes one
     * degree of freedom (999). A decile's count per trial is hypergeometric (K draws without
     * replacement from N), variance scaled by (N - K)/(N - 1) against multinomial draws (df 9).
     * The lower bounds catch a sampler that is too regular to be random. */
    double p = (double)K / N;
    double expected = (double)T * p; /* 200 per position */
    double chi_pos = 0, chi_bucket = 0;
    for (int i = 0; i < N; i++)
        chi_pos += (hits[i] - expected) * (hits[i] - expected) / (expected * (1 - p));
    for (int b = 0; b < 10; b++) {
        double s = 0;
        for (int i = b * (N / 10); i < (b + 1) * (N / 10); i++)
            s += hits[i];
        double e = expected * (N / 10);
        chi_bucket += (s - e) * (s - e) / (e * (double)(N - K) / (N - 1));
    }
    print_message("reservoir chi-square: positions %.1f (df 999), deciles %.2f (df 9)\n", chi_pos, chi_bucket);
    assert_true(chi_pos > 866.548 && chi_pos < 1142.848);
    assert_true(chi_bucket > 1.152 && chi_bucket < 27.877);
}

static void test_reservoir_is_reproducible_per_seed(void **state)
{
    double first[50], second[50];
    uint64_t seeds[2] = {42, 42};
    double *out[2] = {first, second};
    for (int r = 0; r < 2; r++) {
        struct columns_options o = {.sample_limit = 50, .seed = seeds[r]};
        struct columns *t = columns_new(&o);
        columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE);
        for (int i = 0; i < 10000; i++) {
            columns_begin_row(t);
            columns_put_number(t, 0, (double)i);
            columns_end_row(t);
        }
        memcpy(out[r], t->cols[0].values, sizeof first);
        columns_free(t);
    }
    assert_memory_equal(first, second, sizeof first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numparse_matches_strtod_on_random_decimals),
        cmocka_unit_test(test_numparse_accepts_and_rejects),
        cmocka_unit_test(test_numformat_is_shortest_round_trip),
        cmocka_unit_test(test_numformat_matches_python_repr),
        cmocka_unit_test(test_columns_numeric_values_missing_and_invalid),
        cmocka_unit_test(test_columns_sample_rows_flat_and_nested),
        cmocka_unit_test(test_columns_invalid_utf8_categories_are_repaired),
        cmocka_unit_test(test_reservoir_is_uniform_chi_square),
        cmocka_unit_test(test_reservoir_is_reproducible_per_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
