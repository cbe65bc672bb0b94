/* The numeric drift tests (ks, cramervonmises, anderson, wasserstein) compared with scipy 1.10 on
 * the fixtures of tests/drift/fixtures (datasets.json, numeric.json, kstwo.json). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/drift.h"
#include "fixture.h"

/* Tolerances (the contract of docs/statistics.md):
 *  - every statistic: 1e-9 relative;
 *  - ks p-values: 1e-6 relative wherever scipy gives at least 1e-300 (exact and asymptotic
 *    branches alike); below 1e-300 scipy's own values are subnormal or 0, and we ask for a
 *    value in [0, 1e-300];
 *  - other p-values: 1e-6 relative where scipy gives at least 1e-8. Below that, scipy computes
 *    them as 1 - cdf with cdf near 1 (cramervonmises), so only their size is meaningful: we ask
 *    for a value <= 1e-8, and > 0 where scipy's is > 0. */
#define TOL_STAT 1e-9
#define TOL_P 1e-6
#define KS_P_FLOOR 1e-300
#define P_FLOOR 1e-8

typedef int (*method_fn)(const double *, size_t, const double *, size_t, struct drift_result *);

static json_t *datasets_file, *datasets, *numeric;

static int setup(void **state)
{
    datasets_file = fixture_load("datasets.json");
    datasets = json_object_get(datasets_file, "datasets");
    numeric = fixture_load("numeric.json");
    return datasets && numeric ? 0 : -1;
}

static int teardown(void **state)
{
    json_decref(datasets_file);
    json_decref(numeric);
    return 0;
}

/* Checks a p-value below the floor where only its size is compared. */
static int check_small_p(struct err_track *t, const char *where, double got, double want, double floor,
                         int need_positive)
{
    if (got >= 0.0 && got <= floor && (!need_positive || want <= 0.0 || got > 0.0))
        return 0;
    print_error("%s: %s = %.17g, scipy %.17g (expected within [0, %g]%s)\n", where, t->what, got, want,
                floor, need_positive ? ", positive" : "");
    t->failures++;
    return 1;
}

/* Runs one method on every case of numeric.json that has its expected values, optionally only
 * those whose ks branch is `branch` or whose datasets have ties. */
static void compare_method(const char *name, method_fn fn, const char *branch, int ties_only, double p_floor,
                           int p_need_positive)
{
    char label[64];
    snprintf(label, sizeof label, "%s statistic", name);
    struct err_track st = { .what = label };
    char plabel[64];
    snprintf(plabel, sizeof plabel, "%s p-value", name);
    struct err_track pt = { .what = plabel };
    size_t idx, compared = 0;
    json_t *c;
    json_array_foreach(json_object_get(numeric, "cases"), idx, c) {
        json_t *want = json_object_get(c, name);
        if (!want)
            continue;
        if (branch && strcmp(json_string_value(json_object_get(json_object_get(c, "ks"), "branch")), branch))
            continue;
        size_t n, m;
        const char *rn = json_string_value(json_object_get(c, "r"));
        const char *cn = json_string_value(json_object_get(c, "c"));
        double *r = fixture_dataset(datasets, rn, &n);
        double *cc = fixture_dataset(datasets, cn, &m);
        int has_ties = 0;
        for (size_t i = 1; i < n; i++)
            has_ties |= r[i] == r[i - 1];
        for (size_t i = 1; i < m; i++)
            has_ties |= cc[i] == cc[i - 1];
        if (ties_only && !has_ties) {
            free(r);
            free(cc);
            continue;
        }
        char where[160];
        snprintf(where, sizeof where, "%s(%s, %s)", name, rn, cn);
        struct drift_result res;
        assert_int_equal(fn(r, n, cc, m, &res), 0);
        err_check(&st, where, res.statistic, fixture_number(want, "statistic"), TOL_STAT);
        double wp = fixture_number(want, "p_value");
        if (isnan(wp))
            assert_true(isnan(res.p_value));
        else if (wp >= p_floor)
            err_check(&pt, where, res.p_value, wp, TOL_P);
        else
            check_small_p(&pt, where, res.p_value, wp, p_floor, p_need_positive);
        compared++;
        free(r);
        free(cc);
    }
    print_message("%s%s%s: %zu scipy cases\n", name, branch ? ", branch " : "", branch ? branch : "", compared);
    err_report(&st);
    if (pt.where[0])
        err_report(&pt);
    assert_true(compared > 0);
    assert_int_equal(st.failures + pt.failures, 0);
}

static void test_ks_matches_scipy_exact_branch(void **state)
{
    compare_method("ks", drift_ks, "exact", 0, KS_P_FLOOR, 0);
}

static void test_ks_exact_pvalue_with_ties(void **state)
{
    compare_method("ks", drift_ks, "exact", 1, KS_P_FLOOR, 0);
}

static void test_ks_exact_statistic_is_rounded_to_the_lattice(void **state)
{
    /* scipy reports D = round(D * lcm(n, m)) / lcm(n, m) in the exact branch: bit for bit */
    struct err_track t = { .what = "ks lattice statistic" };
    size_t idx;
    json_t *c;
    json_array_foreach(json_object_get(numeric, "cases"), idx, c) {
        json_t *ks = json_object_get(c, "ks");
        if (strcmp(json_string_value(json_object_get(ks, "branch")), "exact"))
            continue;
        size_t n, m;
        const char *rn = json_string_value(json_object_get(c, "r"));
        const char *cn = json_string_value(json_object_get(c, "c"));
        double *r = fixture_dataset(datasets, rn, &n);
        double *cc = fixture_dataset(datasets, cn, &m);
        struct drift_result res;
        assert_int_equal(drift_ks(r, n, cc, m, &res), 0);
        err_check(&t, rn, res.statistic, fixture_number(ks, "statistic"), 0.0);
        free(r);
        free(cc);
    }
    err_report(&t);
    assert_int_equal(t.failures, 0);
}

static void test_ks_matches_scipy_asymptotic_branch(void **state)
{
    compare_method("ks", drift_ks, "asymp", 0, KS_P_FLOOR, 0);
}

static void test_ks_pvalues_near_1e300_keep_relative_precision(void **state)
{
    /* complete separation of 500 and 500 values: 2 / C(1000, 500) (exact branch) */
    size_t n, m;
    double *r = fixture_dataset(datasets, "sep_500", &n);
    double *c = fixture_dataset(datasets, "sep_shift20_500", &m);
    struct drift_result res;
    assert_int_equal(drift_ks(r, n, c, m, &res), 0);
    assert_true(res.statistic == 1.0);
    double want = 2.0 / exp(lgamma(1001.0) - 2 * lgamma(501.0)); /* 7.4e-300 */
    assert_true(rel_err(res.p_value, want) < 1e-9);
    free(r);
    free(c);
}

static void test_kstwo_sf_matches_scipy_on_every_branch(void **state)
{
    json_t *k = fixture_load("kstwo.json");
    struct err_track t = { .what = "kstwo.sf" };
    size_t idx, count = 0;
    json_t *pt;
    json_array_foreach(json_object_get(k, "points"), idx, pt) {
        unsigned long n = (unsigned long)json_integer_value(json_object_get(pt, "n"));
        double x = fixture_number(pt, "x"), want = fixture_number(pt, "sf");
        double got = drift_kstwo_sf(x, n);
        char where[96];
        snprintf(where, sizeof where, "kstwo.sf(%.17g, %lu)", x, n);
        if (want >= KS_P_FLOOR)
            err_check(&t, where, got, want, TOL_P);
        else
            check_small_p(&t, where, got, want, KS_P_FLOOR, 0);
        count++;
    }
    print_message("kstwo.sf: %zu scipy points\n", count);
    err_report(&t);
    json_decref(k);
    assert_int_equal(t.failures, 0);
}

static void test_cramervonmises_matches_scipy(void **state)
{
    compare_method("cramervonmises", drift_cramervonmises, NULL, 0, P_FLOOR, 1);
}

static void test_anderson_matches_scipy_statistic_and_significance_level(void **state)
{
    compare_method("anderson", drift_anderson, NULL, 0, P_FLOOR, 1);
}

static void test_wasserstein_matches_scipy(void **state)
{
    compare_method("wasserstein", drift_wasserstein, NULL, 0, P_FLOOR, 1);
}

static void test_wasserstein_normed_divides_by_baseline_std(void **state)
{
    compare_method("wasserstein_normed", drift_wasserstein_normed, NULL, 0, P_FLOOR, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ks_matches_scipy_exact_branch),
        cmocka_unit_test(test_ks_exact_pvalue_with_ties),
        cmocka_unit_test(test_ks_exact_statistic_is_rounded_to_the_lattice),
        cmocka_unit_test(test_ks_matches_scipy_asymptotic_branch),
        cmocka_unit_test(test_ks_pvalues_near_1e300_keep_relative_precision),
        cmocka_unit_test(test_kstwo_sf_matches_scipy_on_every_branch),
        cmocka_unit_test(test_cramervonmises_matches_scipy),
        cmocka_unit_test(test_anderson_matches_scipy_statistic_and_significance_level),
        cmocka_unit_test(test_wasserstein_matches_scipy),
        cmocka_unit_test(test_wasserstein_normed_divides_by_baseline_std),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
