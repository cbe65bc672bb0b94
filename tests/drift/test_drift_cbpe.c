/* Isotonic calibration and CBPE against scikit-learn 1.2.1 (fixtures/isotonic.json and cbpe.json,
 * written by gen_cbpe_fixtures.py), the estimate tracking the realized metrics on breast cancer
 * data, and the calibration's checks of curves read back from a profile. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/cbpe.h"
#include "stats/isotonic.h"
#include "fixture.h"

/* The arithmetic is sklearn's step for step; only a different summation order could differ. */
#define TOL 1e-12

static void fit_case(const json_t *c, struct isotonic_curve *curve)
{
    size_t n, m;
    double *score = fixture_array(json_object_get(c, "score"), &n);
    double *target = fixture_array(json_object_get(c, "target"), &m);
    assert_int_equal(n, m);
    char err[256];
    if (isotonic_curve_fit(curve, score, target, n, err, sizeof err) != 0)
        fail_msg("%s: %s", json_string_value(json_object_get(c, "name")), err);
    free(score);
    free(target);
}

static const json_t *find_case(const json_t *cases, const char *name)
{
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c)
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    fail_msg("fixture case %s missing", name);
    return NULL;
}

/* X_thresholds_, y_thresholds_ and predict() of every fixture case. */
static void test_isotonic_equals_sklearn(void **state)
{
    (void)state;
    json_t *root = fixture_load("isotonic.json");
    struct err_track points = {.what = "isotonic fitted points"};
    struct err_track preds = {.what = "isotonic predictions"};
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        struct isotonic_curve curve = {0};
        fit_case(c, &curve);
        size_t nx, ny;
        double *x = fixture_array(json_object_get(c, "x"), &nx);
        double *y = fixture_array(json_object_get(c, "y"), &ny);
        if (curve.n != nx)
            fail_msg("%s: %zu fitted points, sklearn %zu", name, curve.n, nx);
        char where[160];
        for (size_t k = 0; k < nx; k++) {
            snprintf(where, sizeof where, "%s x[%zu]", name, k);
            err_check(&points, where, curve.x[k], x[k], TOL);
            snprintf(where, sizeof where, "%s y[%zu]", name, k);
            err_check(&points, where, curve.y[k], y[k], TOL);
        }
        size_t np_, ne;
        double *at = fixture_array(json_object_get(c, "predict_at"), &np_);
        double *want = fixture_array(json_object_get(c, "predicted"), &ne);
        assert_int_equal(np_, ne);
        for (size_t k = 0; k < np_; k++) {
            snprintf(where, sizeof where, "%s predict(%.17g)", name, at[k]);
            err_check(&preds, where, isotonic_curve_predict(&curve, at[k]), want[k], TOL);
        }
        free(x);
        free(y);
        free(at);
        free(want);
        isotonic_curve_clear(&curve);
    }
    err_report(&points);
    err_report(&preds);
    assert_int_equal(points.failures + preds.failures, 0);
    json_decref(root);
}

static const char *const count_keys[] = {"tp", "fp", "fn", "tn"};

static void estimate_case(const json_t *iso_cases, const json_t *c, struct cbpe_estimate *est)
{
    struct isotonic_curve curve = {0};
    fit_case(find_case(iso_cases, json_string_value(json_object_get(c, "calibration"))), &curve);
    size_t n;
    double *score = fixture_array(json_object_get(c, "score"), &n);
    unsigned char *predicted = NULL;
    const json_t *pred = json_object_get(c, "predicted");
    if (json_is_array(pred)) {
        assert_int_equal(json_array_size(pred), n);
        predicted = malloc(n ? n : 1);
        assert_non_null(predicted);
        for (size_t k = 0; k < n; k++)
            predicted[k] = (unsigned char)json_integer_value(json_array_get(pred, k));
    }
    assert_int_equal(cbpe_estimate(&curve, score, predicted, n, est), 0);
    free(score);
    free(predicted);
    isotonic_curve_clear(&curve);
}

/* Counts and metrics of every case equal the definition computed with sklearn and numpy,
 * including null where a denominator is 0 (no predicted positive, all calibrated 0, no rows). */
static void test_cbpe_equals_definition(void **state)
{
    (void)state;
    json_t *iso = fixture_load("isotonic.json");
    json_t *root = fixture_load("cbpe.json");
    struct err_track track = {.what = "cbpe counts and metrics"};
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        const json_t *want = json_object_get(c, "expected");
        struct cbpe_estimate est;
        estimate_case(json_object_get(iso, "cases"), c, &est);
        double counts[] = {est.tp, est.fp, est.fn, est.tn};
        char where[160];
        for (size_t k = 0; k < 4; k++) {
            snprintf(where, sizeof where, "%s %s", name, count_keys[k]);
            err_check(&track, where, counts[k], fixture_number(want, count_keys[k]), TOL);
        }
        for (int m = 0; m < CBPE_COUNT; m++) {
            snprintf(where, sizeof where, "%s %s", name, cbpe_metric_name(m));
            err_check(&track, where, est.value[m], fixture_number(want, cbpe_metric_name(m)), TOL);
        }
    }
    err_report(&track);
    assert_int_equal(track.failures, 0);
    json_decref(root);
    json_decref(iso);
}

/* On breast cancer data the estimate (from scores alone) lies within the stated tolerance of the
 * metrics realized with the labels, on the reference, on all held-out rows and on the
 * covariate-shifted window; and it falls with the realized accuracy on the shifted window. */
static void test_cbpe_tracks_realized_breast_cancer(void **state)
{
    (void)state;
    json_t *iso = fixture_load("isotonic.json");
    json_t *root = fixture_load("cbpe.json");
    const json_t *cases = json_object_get(root, "cases");
    const char *windows[] = {"breast_cancer_reference", "breast_cancer_held_out_predicted",
                             "breast_cancer_shifted"};
    double est_accuracy[3], real_accuracy[3];
    for (size_t w = 0; w < 3; w++) {
        const json_t *c = find_case(cases, windows[w]);
        const json_t *realized = json_object_get(c, "realized");
        double tol = fixture_number(c, "tracking_tolerance");
        struct cbpe_estimate est;
        estimate_case(json_object_get(iso, "cases"), c, &est);
        for (int m = 0; m < CBPE_COUNT; m++) {
            double real = fixture_number(realized, cbpe_metric_name(m));
            print_message("%-34s %-9s estimated %.4f realized %.4f (tolerance %.2f)\n", windows[w],
                          cbpe_metric_name(m), est.value[m], real, tol);
            if (!(fabs(est.value[m] - real) <= tol))
                fail_msg("%s %s: estimated %.4f, realized %.4f: further apart than %.2f", windows[w],
                         cbpe_metric_name(m), est.value[m], real, tol);
        }
        est_accuracy[w] = est.value[CBPE_ACCURACY];
        real_accuracy[w] = fixture_number(realized, "accuracy");
    }
    /* the shifted window is worse than the reference (sklearn says so), and the estimate sees it */
    assert_true(real_accuracy[2] < real_accuracy[0] - 0.03);
    assert_true(est_accuracy[2] < est_accuracy[0] - 0.03);
    json_decref(root);
    json_decref(iso);
}

static void test_isotonic_fit_rejects_bad_input(void **state)
{
    (void)state;
    struct isotonic_curve curve = {0};
    char err[256];
    double s[] = {0.1, NAN}, t[] = {0.0, 1.0};
    assert_int_equal(isotonic_curve_fit(&curve, s, t, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "no (score, target) pairs"));
    assert_int_equal(isotonic_curve_fit(&curve, s, t, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "pair 1 is not finite"));
    assert_int_equal(curve.n, 0);
    /* an empty curve predicts nothing and estimates nothing */
    assert_true(isnan(isotonic_curve_predict(&curve, 0.5)));
    struct cbpe_estimate est;
    assert_int_equal(cbpe_estimate(&curve, s, NULL, 1, &est), -1);
    assert_true(isnan(est.value[CBPE_ACCURACY]));
}

/* A curve read back from a profile: taken when increasing and within [0, 1], refused otherwise
 * with the index of the first bad point (the caller keeps its arrays). */
static void test_isotonic_adopt_checks_points(void **state)
{
    (void)state;
    struct isotonic_curve curve = {0};
    char err[256];
    const double bad[][2][3] = {
        {{0.1, 0.1, 0.9}, {0.0, 0.5, 1.0}}, /* x repeats */
        {{0.1, 0.5, 0.9}, {0.0, 0.6, 0.5}}, /* y decreases */
        {{0.1, 0.5, 0.9}, {0.0, 0.5, 1.5}}, /* y above 1 */
        {{0.1, 0.5, INFINITY}, {0.0, 0.5, 1.0}},
    };
    const char *want[] = {"point 1", "point 2", "point 2", "point 2"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        double x[3], y[3];
        memcpy(x, bad[k][0], sizeof x);
        memcpy(y, bad[k][1], sizeof y);
        assert_int_equal(isotonic_curve_adopt(&curve, x, y, 3, err, sizeof err), -1);
        if (!strstr(err, want[k]))
            fail_msg("case %zu: '%s' does not name %s", k, err, want[k]);
        assert_int_equal(curve.n, 0);
    }
    assert_int_equal(isotonic_curve_adopt(&curve, NULL, NULL, 0, err, sizeof err), -1);
    double *x = malloc(2 * sizeof *x), *y = malloc(2 * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    x[0] = 0.2, x[1] = 0.6, y[0] = 0.25, y[1] = 0.75;
    assert_int_equal(isotonic_curve_adopt(&curve, x, y, 2, err, sizeof err), 0);
    /* hand computation: 0.25 + (0.4 - 0.2) * (0.75 - 0.25) / (0.6 - 0.2) = 0.5; clipped outside */
    assert_true(fabs(isotonic_curve_predict(&curve, 0.4) - 0.5) < 1e-15);
    assert_true(isotonic_curve_predict(&curve, 0.0) == 0.25);
    assert_true(isotonic_curve_predict(&curve, 1.0) == 0.75);
    isotonic_curve_clear(&curve);
    isotonic_curve_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isotonic_equals_sklearn),
        cmocka_unit_test(test_cbpe_equals_definition),
        cmocka_unit_test(test_cbpe_tracks_realized_breast_cancer),
        cmocka_unit_test(test_isotonic_fit_rejects_bad_input),
        cmocka_unit_test(test_isotonic_adopt_checks_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
