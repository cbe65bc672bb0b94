/* The binned and categorical drift measures (quantile edges, shares, psi, jensenshannon,
 * hellinger, linf, chisquare) compared with numpy/scipy on fixtures/binned.json and chisquare.json. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/drift.h"
#include "fixture.h"

/* statistics and distances to 1e-9 relative; chi-square p-values to 1e-6 relative where scipy
 * gives at least 1e-8, below that only <= 1e-8 and > 0 (GSL's and cephes' incomplete gamma
 * differ in the last digits, which is all that is left of such small p-values' meaning) */
#define TOL_STAT 1e-9
#define TOL_P 1e-6
#define P_FLOOR 1e-8

static json_t *datasets_file, *datasets, *binned, *chisq;

static int setup(void **state)
{
    datasets_file = fixture_load("datasets.json");
    datasets = json_object_get(datasets_file, "datasets");
    binned = fixture_load("binned.json");
    chisq = fixture_load("chisquare.json");
    return 0;
}

static int teardown(void **state)
{
    json_decref(datasets_file);
    json_decref(binned);
    json_decref(chisq);
    return 0;
}

static struct err_track t_psi = { .what = "psi" }, t_js = { .what = "jensenshannon" },
                        t_hel = { .what = "hellinger" }, t_linf = { .what = "linf" };

/* the four distances of p and q against the fixture's values */
static void check_distances(const json_t *want, const char *where, const double *p, const double *q, size_t k)
{
    err_check(&t_psi, where, drift_psi(p, q, k), fixture_number(want, "psi"), TOL_STAT);
    err_check(&t_js, where, drift_jensenshannon(p, q, k), fixture_number(want, "jensenshannon"), TOL_STAT);
    err_check(&t_hel, where, drift_hellinger(p, q, k), fixture_number(want, "hellinger"), TOL_STAT);
    err_check(&t_linf, where, drift_linf(p, q, k), fixture_number(want, "linf"), TOL_STAT);
}

static void test_quantile_edges_and_shares_match_numpy(void **state)
{
    struct err_track te = { .what = "quantile edges" }, ts = { .what = "bin shares" };
    size_t idx;
    json_t *c;
    json_array_foreach(json_object_get(binned, "binned"), idx, c) {
        size_t n, m, ne, k;
        const char *rn = json_string_value(json_object_get(c, "r"));
        const char *cn = json_string_value(json_object_get(c, "c"));
        int bins = (int)json_integer_value(json_object_get(c, "bins"));
        double *r = fixture_dataset(datasets, rn, &n);
        double *x = fixture_dataset(datasets, cn, &m);
        double *want_edges = fixture_array(json_object_get(c, "edges"), &ne);
        double *want_p = fixture_array(json_object_get(c, "p"), &k);
        double *want_q = fixture_array(json_object_get(c, "q"), &k);
        char where[128];
        snprintf(where, sizeof where, "%s vs %s, %d bins", rn, cn, bins);

        double *edges = malloc((size_t)bins * sizeof *edges);
        double *p = malloc(((size_t)bins + 1) * sizeof *p), *q = malloc(((size_t)bins + 1) * sizeof *q);
        assert_true(edges && p && q);
        size_t got_ne = drift_quantile_edges(r, n, bins, edges);
        assert_int_equal(got_ne, ne);
        for (size_t i = 0; i < ne; i++)
            err_check(&te, where, edges[i], want_edges[i], 0.0); /* same arithmetic: bit-identical */
        drift_bin_shares(r, n, edges, got_ne, p);
        drift_bin_shares(x, m, edges, got_ne, q);
        assert_int_equal(got_ne + 1, k);
        for (size_t i = 0; i < k; i++) {
            err_check(&ts, where, p[i], want_p[i], 0.0);
            err_check(&ts, where, q[i], want_q[i], 0.0);
        }
        check_distances(c, where, p, q, k);
        free(r);
        free(x);
        free(want_edges);
        free(want_p);
        free(want_q);
        free(edges);
        free(p);
        free(q);
    }
    err_report(&te);
    err_report(&ts);
    assert_int_equal(te.failures + ts.failures, 0);
    assert_int_equal(t_psi.failures + t_js.failures + t_hel.failures + t_linf.failures, 0);
}

static void test_distances_match_scipy_including_zero_share_bins(void **state)
{
    size_t idx;
    json_t *c;
    json_array_foreach(json_object_get(binned, "shares"), idx, c) {
        size_t k, k2;
        double *p = fixture_array(json_object_get(c, "p"), &k);
        double *q = fixture_array(json_object_get(c, "q"), &k2);
        assert_int_equal(k, k2);
        check_distances(c, json_string_value(json_object_get(c, "name")), p, q, k);
        free(p);
        free(q);
    }
    err_report(&t_psi);
    err_report(&t_js);
    err_report(&t_hel);
    err_report(&t_linf);
    assert_int_equal(t_psi.failures + t_js.failures + t_hel.failures + t_linf.failures, 0);
}

static void test_chisquare_matches_scipy_chi2_contingency(void **state)
{
    struct err_track ts = { .what = "chisquare statistic" }, tp = { .what = "chisquare p-value" };
    size_t idx;
    json_t *c;
    json_array_foreach(json_object_get(chisq, "cases"), idx, c) {
        size_t k, k2;
        double *cr = fixture_array(json_object_get(c, "count_r"), &k);
        double *cc = fixture_array(json_object_get(c, "count_c"), &k2);
        assert_int_equal(k, k2);
        const char *where = json_string_value(json_object_get(c, "name"));
        struct drift_result res;
        assert_int_equal(drift_chisquare(cr, cc, k, &res), 0);
        err_check(&ts, where, res.statistic, fixture_number(c, "statistic"), TOL_STAT);
        double wp = fixture_number(c, "p_value");
        if (wp >= P_FLOOR) {
            err_check(&tp, where, res.p_value, wp, TOL_P);
        } else if (!(res.p_value >= 0 && res.p_value <= P_FLOOR && (wp == 0 || res.p_value > 0))) {
            print_error("%s: chisquare p-value %g, scipy %g\n", where, res.p_value, wp);
            tp.failures++;
        }
        free(cr);
        free(cc);
    }
    err_report(&ts);
    err_report(&tp);
    assert_int_equal(ts.failures + tp.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_edges_and_shares_match_numpy),
        cmocka_unit_test(test_distances_match_scipy_including_zero_share_bins),
        cmocka_unit_test(test_chisquare_matches_scipy_chi2_contingency),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
