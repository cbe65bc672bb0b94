/* The multivariate methods of docs/statistics.md (pca_reconstruction, mmd) compared with numpy on
 * tests/drift/fixtures/multivariate.json (written by gen_multivariate.py: breast cancer and diabetes
 * from scikit-learn's bundled datasets, and edge cases), the MMD permutation p-value's calibration
 * and power, and the defined edge cases. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/prng.h"
#include "stats/multivariate.h"
#include "analyze/pca_reference.h"
#include "fixture.h"

/* Everything numpy computed is compared at 1e-7 relative (the brief's contract); the components
 * count exactly. */
#define TOL 1e-7

static json_t *doc;

static int setup(void **state)
{
    (void)state;
    doc = fixture_load("multivariate.json");
    return doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(doc);
    return 0;
}

/* Rows of a JSON array of arrays (null -> NAN); *n rows of *p values. */
static double *json_rows(const json_t *arr, size_t *n, size_t *p)
{
    *n = json_array_size(arr);
    *p = *n ? json_array_size(json_array_get(arr, 0)) : 0;
    size_t cells = *n * *p;
    double *x = malloc((cells ? cells : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++) {
        const json_t *row = json_array_get(arr, i);
        assert_int_equal(json_array_size(row), *p);
        for (size_t j = 0; j < *p; j++) {
            const json_t *v = json_array_get(row, j);
            x[i * *p + j] = json_is_null(v) ? NAN : json_number_value(v);
        }
    }
    return x;
}

/* The generator's formula data (wide_1000): exact small integers. */
static double *formula_rows(size_t from, size_t to, size_t p)
{
    double *x = malloc((to - from) * p * sizeof *x);
    assert_non_null(x);
    for (size_t i = from; i < to; i++)
        for (size_t j = 0; j < p; j++)
            x[(i - from) * p + j] = (double)((i * 31 + j * 17) % 101 + ((i % 7) * (j % 11)) % 19);
    return x;
}

static double *json_vector(const json_t *arr, size_t p)
{
    assert_int_equal(json_array_size(arr), p);
    double *v = malloc(p * sizeof *v);
    assert_non_null(v);
    for (size_t j = 0; j < p; j++) {
        const json_t *x = json_array_get(arr, j);
        v[j] = json_is_null(x) ? NAN : json_number_value(x);
    }
    return v;
}

struct loaded {
    const char *name;
    const json_t *expected;
    double *zs, *zw; /* standardised sample and window */
    size_t ns, nw, p;
};

static void load_case(const json_t *c, struct loaded *l)
{
    l->name = json_string_value(json_object_get(c, "name"));
    l->expected = json_object_get(c, "expected");
    const json_t *data = json_object_get(c, "data");
    size_t p2;
    if (data) {
        l->p = (size_t)json_integer_value(json_object_get(data, "p"));
        const json_t *sr = json_object_get(data, "sample_rows"), *wr = json_object_get(data, "window_rows");
        size_t s0 = (size_t)json_integer_value(json_array_get(sr, 0)), s1 = (size_t)json_integer_value(json_array_get(sr, 1));
        size_t w0 = (size_t)json_integer_value(json_array_get(wr, 0)), w1 = (size_t)json_integer_value(json_array_get(wr, 1));
        l->zs = formula_rows(s0, s1, l->p);
        l->zw = formula_rows(w0, w1, l->p);
        l->ns = s1 - s0;
        l->nw = w1 - w0;
    } else {
        l->zs = json_rows(json_object_get(c, "sample"), &l->ns, &l->p);
        l->zw = json_rows(json_object_get(c, "window"), &l->nw, &p2);
        assert_int_equal(p2, l->p);
    }
    double *mean = json_vector(json_object_get(c, "mean"), l->p);
    double *std = json_vector(json_object_get(c, "std"), l->p);
    mv_standardise(l->zs, l->ns, l->p, mean, std, l->zs);
    mv_standardise(l->zw, l->nw, l->p, mean, std, l->zw);
    free(mean);
    free(std);
}

static void check_value(struct err_track *t, const char *name, const char *what, double got, const json_t *want)
{
    char where[160];
    snprintf(where, sizeof where, "%s %s", name, what);
    if (json_is_null(want)) {
        if (!isnan(got))
            fail_msg("%s: got %.17g, numpy has none (null)", where, got);
        return;
    }
    err_check(t, where, got, json_number_value(want), TOL);
}

static void test_pca_reconstruction_matches_numpy(void **state)
{
    (void)state;
    struct err_track t = {.what = "pca_reconstruction vs numpy (np.linalg.svd)"};
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        struct loaded l;
        load_case(c, &l);
        struct pca_model m;
        assert_int_equal(pca_fit(l.zs, l.ns, l.p, PCA_VARIANCE_RATIO, &m), 0);
        const json_t *e = l.expected;
        if ((size_t)json_integer_value(json_object_get(e, "components")) != m.k)
            fail_msg("%s: %zu components, numpy keeps %lld", l.name, m.k,
                     (long long)json_integer_value(json_object_get(e, "components")));
        check_value(&t, l.name, "explained", m.explained, json_object_get(e, "explained"));
        check_value(&t, l.name, "window_error", pca_error(&m, l.zw, l.nw), json_object_get(e, "window_error"));
        check_value(&t, l.name, "reference_error", pca_error(&m, l.zs, l.ns), json_object_get(e, "reference_error"));
        double lo, hi;
        pca_thresholds(&m, l.zs, l.ns, PCA_CHUNKS, &lo, &hi);
        check_value(&t, l.name, "lower", lo, json_object_get(e, "lower"));
        check_value(&t, l.name, "upper", hi, json_object_get(e, "upper"));
        pca_clear(&m);
        free(l.zs);
        free(l.zw);
    }
    err_report(&t);
    assert_int_equal(t.failures, 0);
}

struct ref_call {
    struct pca_reference *ref;
    const struct loaded *l;
    const struct pca_model *fit;
    double lo, hi;
    int rc;
};

static void *call_reference(void *arg)
{
    struct ref_call *c = arg;
    c->rc = pca_reference_get(c->ref, c->l->zs, c->l->ns, c->l->p, &c->fit, &c->lo, &c->hi);
    return NULL;
}

/* The agent's kept fit (one per baseline): four checks at once get the one fit, computed once,
 * and it is numpy's (the same fixture values as above); a later check gets it again, no refit. */
static void test_pca_reference_fits_once_and_matches_numpy(void **state)
{
    (void)state;
    struct err_track t = {.what = "pca_reference vs numpy (np.linalg.svd)"};
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        struct loaded l;
        load_case(c, &l);
        struct pca_reference *ref = pca_reference_new();
        assert_non_null(ref);
        unsigned long fits = pca_reference_fits();
        struct ref_call calls[4];
        pthread_t th[4];
        for (int k = 0; k < 4; k++) {
            calls[k] = (struct ref_call){.ref = ref, .l = &l};
            assert_int_equal(pthread_create(&th[k], NULL, call_reference, &calls[k]), 0);
        }
        for (int k = 0; k < 4; k++) {
            pthread_join(th[k], NULL);
            assert_int_equal(calls[k].rc, 0);
            assert_ptr_equal(calls[k].fit, calls[0].fit);
        }
        const json_t *e = l.expected;
        check_value(&t, l.name, "window_error", pca_error(calls[0].fit, l.zw, l.nw), json_object_get(e, "window_error"));
        check_value(&t, l.name, "lower", calls[0].lo, json_object_get(e, "lower"));
        check_value(&t, l.name, "upper", calls[0].hi, json_object_get(e, "upper"));
        struct ref_call again = {.ref = ref, .l = &l};
        call_reference(&again);
        assert_ptr_equal(again.fit, calls[0].fit);
        assert_int_equal(pca_reference_fits() - fits, 1);
        pca_reference_free(ref);
        free(l.zs);
        free(l.zw);
    }
    err_report(&t);
    assert_int_equal(t.failures, 0);
}

static void test_mmd_statistic_and_sigma2_match_numpy(void **state)
{
    (void)state;
    struct err_track t = {.what = "mmd vs numpy (np.median, np.exp)"};
    const json_t *c;
    size_t i, cases = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        const json_t *e = json_object_get(json_object_get(c, "expected"), "mmd");
        if (!e)
            continue;
        struct loaded l;
        load_case(c, &l);
        struct mmd_result r;
        assert_int_equal(mmd_test(l.zs, l.ns, l.zw, l.nw, l.p, MMD_MAX_ROWS, 20, 1, &r), 0);
        assert_int_equal(r.n, (size_t)json_integer_value(json_object_get(e, "n")));
        assert_int_equal(r.m, (size_t)json_integer_value(json_object_get(e, "m")));
        check_value(&t, l.name, "mmd statistic", r.statistic, json_object_get(e, "statistic"));
        check_value(&t, l.name, "mmd sigma2", r.sigma2, json_object_get(e, "sigma2"));
        assert_true(r.p_value > 0 && r.p_value <= 1);
        free(l.zs);
        free(l.zw);
        cases++;
    }
    assert_true(cases >= 6);
    err_report(&t);
    assert_int_equal(t.failures, 0);
}

/* Standard normal by Box-Muller from the project's seeded generator. */
static double normal(struct prng *g)
{
    double u = ((double)(prng_next(g) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(prng_next(g) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Rows (x, y), both N(0, 1) with correlation rho. */
static void correlated(struct prng *g, double *out, size_t n, double rho)
{
    for (size_t i = 0; i < n; i++) {
        double a = normal(g), b = normal(g);
        out[2 * i] = a;
        out[2 * i + 1] = rho * a + sqrt(1 - rho * rho) * b;
    }
}

/* Calibration: 200 seeded trials of two samples from one distribution (60 + 60 rows, 3
 * features). A permutation test with B = 200 rejects at p < 0.05 (p <= 10/201) with probability
 * 10/201 = 0.0498 under the null, so the count of rejections is Binomial(200, 0.0498): mean 9.95,
 * sd 3.08. We accept 1..25: P(X = 0) = 3.7e-5 and P(X >= 26) = 8.3e-6 (scipy.stats.binom), so a
 * correct implementation fails with probability below 5e-5; a test that ignores the statistic or
 * gets the p-value's direction wrong lands far outside. */
static void test_mmd_p_value_is_calibrated(void **state)
{
    (void)state;
    enum { TRIALS = 200, N = 60, P = 3 };
    double *x = malloc(N * P * sizeof *x), *y = malloc(N * P * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    struct prng g;
    prng_seed(&g, 2024, 7);
    int rejected = 0;
    for (int t = 0; t < TRIALS; t++) {
        for (size_t i = 0; i < N * P; i++) {
            x[i] = normal(&g);
            y[i] = normal(&g);
        }
        struct mmd_result r;
        assert_int_equal(mmd_test(x, N, y, N, P, MMD_MAX_ROWS, MMD_PERMUTATIONS, (uint64_t)t, &r), 0);
        rejected += r.p_value < 0.05;
    }
    print_message("mmd calibration: %d of %d same-distribution trials with p < 0.05 (expected about 10)\n",
                  rejected, TRIALS);
    assert_in_range(rejected, 1, 25);
    free(x);
    free(y);
}

/* Power: the correlation of two N(0, 1) features flips from +0.9 to -0.9; the marginals are the
 * same, so only a multivariate method can see it. Both must. */
static void test_correlation_flip_detected_by_both_methods(void **state)
{
    (void)state;
    enum { NR = 1000, NW = 500 };
    double *r = malloc(NR * 2 * sizeof *r), *w = malloc(NW * 2 * sizeof *w);
    assert_non_null(r);
    assert_non_null(w);
    struct prng g;
    prng_seed(&g, 99, 1);
    correlated(&g, r, NR, 0.9);
    correlated(&g, w, NW, -0.9);
    double mean[2] = {0, 0}, std[2] = {1, 1};
    mv_standardise(r, NR, 2, mean, std, r);
    mv_standardise(w, NW, 2, mean, std, w);
    struct mmd_result res;
    assert_int_equal(mmd_test(r, NR, w, NW, 2, MMD_MAX_ROWS, MMD_PERMUTATIONS, 42, &res), 0);
    assert_true(res.p_value < 0.05);
    assert_true(res.p_value == 1.0 / 201.0); /* no permutation comes near */
    struct pca_model m;
    assert_int_equal(pca_fit(r, NR, 2, PCA_VARIANCE_RATIO, &m), 0);
    assert_int_equal(m.k, 1); /* corr 0.9: the first component explains ~95% */
    double lo, hi;
    pca_thresholds(&m, r, NR, PCA_CHUNKS, &lo, &hi);
    double err = pca_error(&m, w, NW);
    print_message("correlation flip: mmd^2 %.4f p %.4f; reconstruction error %.4f, band [%.4f, %.4f]\n",
                  res.statistic, res.p_value, err, lo, hi);
    assert_true(err > hi);
    pca_clear(&m);
    free(r);
    free(w);
}

static void test_mmd_takes_rows_evenly_spaced(void **state)
{
    (void)state;
    assert_int_equal(mmd_take(2500, 1000, 0), 0);
    assert_int_equal(mmd_take(2500, 1000, 1), 2);
    assert_int_equal(mmd_take(2500, 1000, 999), 2497);
    assert_int_equal(mmd_take(10, 10, 9), 9);
    assert_int_equal(mmd_take((size_t)1 << 40, 1000, 999), (size_t)(((unsigned __int128)999 << 40) / 1000));
}

static void test_mmd_edge_cases(void **state)
{
    (void)state;
    double x[6] = {1, 1, 1, 1, 1, 1}, y[6] = {1, 1, 1, 1, 1, 1};
    struct mmd_result r;
    assert_int_equal(mmd_test(x, 1, y, 3, 2, MMD_MAX_ROWS, 10, 1, &r), -2); /* one row: no unbiased estimate */
    assert_true(isnan(r.statistic));
    /* every row equal: all distances 0, the bandwidth falls back to 1; every kernel value is 1 */
    assert_int_equal(mmd_test(x, 3, y, 3, 2, MMD_MAX_ROWS, 10, 1, &r), 0);
    assert_true(r.sigma2 == 1.0);
    assert_true(fabs(r.statistic) < 1e-12);
    assert_true(r.p_value == 1.0);
}

static void test_pca_edge_cases(void **state)
{
    (void)state;
    struct pca_model m;
    /* no rows: nothing kept, no error */
    assert_int_equal(pca_fit(NULL, 0, 3, PCA_VARIANCE_RATIO, &m), 0);
    assert_int_equal(m.k, 0);
    double z[6] = {1, 2, 3, 1, 2, 3};
    assert_true(isnan(pca_error(&m, z, 0)));
    pca_clear(&m);
    /* two identical rows: no variance, 0 components, the error is the distance to the mean */
    assert_int_equal(pca_fit(z, 2, 3, PCA_VARIANCE_RATIO, &m), 0);
    assert_int_equal(m.k, 0);
    assert_true(isnan(m.explained));
    double w[3] = {1, 2, 5};
    assert_true(fabs(pca_error(&m, w, 1) - 2.0) < 1e-15);
    /* fewer than 2 non-empty chunks: no thresholds */
    double lo, hi;
    pca_thresholds(&m, z, 2, PCA_CHUNKS, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
    pca_clear(&m);
    pca_clear(NULL);
}

static void test_standardise_imputes_and_guards(void **state)
{
    (void)state;
    double x[6] = {3, NAN, 7, 5, 2, 9};
    double mean[3] = {4, 2, NAN}, std[3] = {2, 0, NAN};
    mv_standardise(x, 2, 3, mean, std, x);
    assert_true(x[0] == -0.5);
    assert_true(x[1] == 0.0);         /* missing -> the mean -> 0 */
    assert_true(x[2] == 0.0);         /* no reference values: the column carries nothing */
    assert_true(x[3] == 0.5);
    assert_true(x[4] == 0.0);         /* std 0 -> 1: (2 - 2) / 1 */
    assert_true(x[5] == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_reconstruction_matches_numpy),
        cmocka_unit_test(test_pca_reference_fits_once_and_matches_numpy),
        cmocka_unit_test(test_mmd_statistic_and_sigma2_match_numpy),
        cmocka_unit_test(test_mmd_p_value_is_calibrated),
        cmocka_unit_test(test_correlation_flip_detected_by_both_methods),
        cmocka_unit_test(test_mmd_takes_rows_evenly_spaced),
        cmocka_unit_test(test_mmd_edge_cases),
        cmocka_unit_test(test_pca_edge_cases),
        cmocka_unit_test(test_standardise_imputes_and_guards),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
