/* Performance metrics, chunks and thresholds against scikit-learn 1.2.1: every case of
 * fixtures/perf.json (written by gen_perf_fixtures.py, each value naming the call that produced
 * it) through perf_evaluate, and the per-chunk values and bands of its "chunks". Metrics that are
 * ratios of counts must be equal; the others within 1e-12 relative. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/perf_chunks.h"
#include "stats/perf_eval.h"
#include "fixture.h"

#define TOL 1e-12

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Class ids in sorted label order over the union of y and yhat (as perf_rows wants). */
static int *class_ids(const json_t *labels, const int *sorted, size_t k)
{
    size_t n = json_array_size(labels);
    int *ids = malloc((n ? n : 1) * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++) {
        int v = (int)json_integer_value(json_array_get(labels, i));
        const int *at = bsearch(&v, sorted, k, sizeof *sorted, cmp_int);
        assert_non_null(at);
        ids[i] = (int)(at - sorted);
    }
    return ids;
}

/* The perf_rows of a fixture case. */
static void case_rows(const json_t *c, struct perf_rows *r)
{
    memset(r, 0, sizeof *r);
    r->task = perf_task_parse(json_string_value(json_object_get(c, "task")));
    assert_true(r->task != 0);
    const json_t *y = json_object_get(c, "y"), *yhat = json_object_get(c, "yhat");
    r->n = json_array_size(y);
    assert_int_equal(json_array_size(yhat), r->n);
    if (r->task == PERF_REGRESSION) {
        size_t n;
        r->ry = fixture_array(y, &n);
        r->ryhat = fixture_array(yhat, &n);
        return;
    }
    if (r->task == PERF_BINARY) {
        /* the fixtures' binary labels are already y = [target == positive] */
        int *sorted = (int[]){0, 1};
        r->y = class_ids(y, sorted, 2);
        r->yhat = class_ids(yhat, sorted, 2);
        r->nclasses = 2;
        const json_t *s = json_object_get(c, "score");
        size_t n;
        if (s)
            r->score = fixture_array(s, &n);
        return;
    }
    int *all = malloc(2 * r->n * sizeof *all);
    assert_non_null(all);
    for (size_t i = 0; i < r->n; i++) {
        all[i] = (int)json_integer_value(json_array_get(y, i));
        all[r->n + i] = (int)json_integer_value(json_array_get(yhat, i));
    }
    qsort(all, 2 * r->n, sizeof *all, cmp_int);
    size_t k = 0;
    for (size_t i = 0; i < 2 * r->n; i++)
        if (k == 0 || all[k - 1] != all[i])
            all[k++] = all[i];
    r->y = class_ids(y, all, k);
    r->yhat = class_ids(yhat, all, k);
    r->nclasses = k;
    free(all);
}

/* Ratios of counts (accuracy, precision, recall, f1 of one class) round once: equal, not close. */
static double tolerance(enum perf_task t, int m)
{
    return t == PERF_BINARY && (m == PM_ACCURACY || m == PM_PRECISION || m == PM_RECALL || m == PM_F1) ? 0.0
           : m == PM_ACCURACY ? 0.0
                              : TOL;
}

static void test_metrics_equal_sklearn(void **state)
{
    (void)state;
    json_t *root = fixture_load("perf.json");
    struct err_track track = {.what = "metric"};
    size_t i, compared = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        struct perf_rows r;
        case_rows(c, &r);
        double v[PM_COUNT];
        assert_int_equal(perf_evaluate(&r, 0, r.n, v), 0);
        const char *key;
        json_t *want;
        json_object_foreach(json_object_get(c, "expected"), key, want)
        {
            int m = perf_metric_parse(key);
            assert_true(m >= 0);
            char where[160];
            snprintf(where, sizeof where, "%s %s (%s)", json_string_value(json_object_get(c, "name")), key,
                     json_string_value(json_object_get(want, "call")));
            err_check(&track, where, v[m], fixture_number(want, "value"), tolerance(r.task, m));
            compared++;
        }
        perf_rows_release(&r);
    }
    err_report(&track);
    assert_true(compared > 60);
    assert_int_equal(track.failures, 0);
    json_decref(root);
}

static const json_t *find_case(const json_t *root, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    fail_msg("no case %s", name);
    return NULL;
}

static void test_chunks_and_thresholds_equal_sklearn(void **state)
{
    (void)state;
    json_t *root = fixture_load("perf.json");
    struct err_track track = {.what = "chunk value or band"};
    size_t i, undefined_bands = 0;
    json_t *cs;
    json_array_foreach(json_object_get(root, "chunks"), i, cs)
    {
        const char *name = json_string_value(json_object_get(cs, "case"));
        struct perf_rows r;
        case_rows(find_case(root, name), &r);
        size_t k = (size_t)json_integer_value(json_object_get(cs, "k"));
        double(*per)[PM_COUNT] = malloc(k * sizeof *per);
        assert_non_null(per);
        for (size_t j = 0; j < k; j++) {
            size_t lo, hi;
            perf_chunk_rows(r.n, k, j, &lo, &hi);
            const json_t *b = json_array_get(json_object_get(cs, "bounds"), j);
            assert_int_equal(lo, json_integer_value(json_array_get(b, 0)));
            assert_int_equal(hi, json_integer_value(json_array_get(b, 1)));
            assert_int_equal(perf_evaluate(&r, lo, hi, per[j]), 0);
        }
        const char *key;
        json_t *want;
        json_object_foreach(json_object_get(cs, "metrics"), key, want)
        {
            int m = perf_metric_parse(key);
            assert_true(m >= 0);
            double *vals = malloc(k * sizeof *vals);
            assert_non_null(vals);
            char where[160];
            for (size_t j = 0; j < k; j++) {
                vals[j] = per[j][m];
                snprintf(where, sizeof where, "%s %s chunk %zu", name, key, j);
                const json_t *wv = json_array_get(json_object_get(want, "values"), j);
                err_check(&track, where, vals[j], json_is_null(wv) ? NAN : json_number_value(wv), TOL);
            }
            double lower, upper;
            assert_int_equal(perf_thresholds((enum perf_metric)m, vals, k, &lower, &upper), 0);
            snprintf(where, sizeof where, "%s %s lower", name, key);
            err_check(&track, where, lower, fixture_number(want, "lower"), TOL);
            snprintf(where, sizeof where, "%s %s upper", name, key);
            err_check(&track, where, upper, fixture_number(want, "upper"), TOL);
            undefined_bands += isnan(lower);
            free(vals);
        }
        free(per);
        perf_rows_release(&r);
    }
    err_report(&track);
    assert_int_equal(track.failures, 0);
    /* the sorted case leaves roc_auc with one defined chunk: no band */
    assert_true(undefined_bands >= 1);
    json_decref(root);
}

static void test_band_side(void **state)
{
    (void)state;
    assert_int_equal(perf_band_side(0.5, 0.6, 0.9), -1);
    assert_int_equal(perf_band_side(0.95, 0.6, 0.9), 1);
    assert_int_equal(perf_band_side(0.9, 0.6, 0.9), 0);
    assert_int_equal(perf_band_side(NAN, 0.6, 0.9), 0);
    assert_int_equal(perf_band_side(0.1, NAN, NAN), 0);
}

static void test_missing_inputs_leave_rows_out(void **state)
{
    (void)state;
    /* row 1 lacks its prediction (out of accuracy, in roc_auc), row 2 its score (in accuracy, out
     * of roc_auc), row 3 its target (out of both). By hand: accuracy over rows 0, 2, 4 (y 1 0 1,
     * yhat 1 1 1) = 2/3; roc_auc over rows 0, 1, 4 (y 1 0 1; scores 0.9 0.2 0.4) = 1. */
    int y[] = {1, 0, 0, -1, 1}, yhat[] = {1, -1, 1, 1, 1};
    double s[] = {0.9, 0.2, NAN, 0.5, 0.4};
    struct perf_rows r = {.task = PERF_BINARY, .n = 5, .y = y, .yhat = yhat, .nclasses = 2, .score = s};
    double v[PM_COUNT];
    assert_int_equal(perf_evaluate(&r, 0, 5, v), 0);
    assert_true(v[PM_ACCURACY] == 2.0 / 3.0);
    assert_true(v[PM_ROC_AUC] == 1.0);
    assert_true(isnan(v[PM_MAE]));
    /* an empty range: every metric undefined */
    assert_int_equal(perf_evaluate(&r, 3, 3, v), 0);
    assert_true(isnan(v[PM_ACCURACY]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_equal_sklearn),
        cmocka_unit_test(test_chunks_and_thresholds_equal_sklearn),
        cmocka_unit_test(test_band_side),
        cmocka_unit_test(test_missing_inputs_leave_rows_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
