/* Tests for a model's quality at run time (core/runtime/quality_runtime.h): predictions from samples and
 * delayed labels from a labels body joined into the quality window, its close's realized metrics
 * (values by hand in the comments), the labels answer, and the state after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/metrics.h"
#include "runtime/quality_runtime.h"

struct seen {
    int closes;
    struct quality_result last;
};

static void on_result(void *ctx, const struct quality_result *r)
{
    struct seen *s = ctx;
    s->closes++;
    s->last = *r;
}

static struct quality_settings binary_settings(void)
{
    struct quality_settings s = {.label_ttl_ms = 3600 * 1000, .max_pending = 100, .window_size = 4};
    s.ref.task = PERF_BINARY;
    snprintf(s.ref.positive, sizeof s.ref.positive, "1");
    for (int m = 0; m < PM_COUNT; m++)
        s.ref.lower[m] = s.ref.upper[m] = NAN;
    s.ref.lower[PM_ACCURACY] = 0.6;
    return s;
}

static void sample(struct quality_runtime *q, const char *text, int64_t t)
{
    char err[256] = "";
    assert_int_equal(quality_runtime_sample(q, text, strlen(text), t, err, sizeof err), 0);
}

static void test_join_close_and_restart(void **state)
{
    (void)state;
    char dir[] = "/tmp/dw-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct quality_settings s = binary_settings();
    struct seen seen = {0};
    struct quality_runtime *q;
    char err[256];
    assert_int_equal(quality_runtime_open("m", &s, dir, JOURNAL_SYNC_ALWAYS, 1000, on_result, &seen, &q, err, sizeof err), 0);
    sample(q, "{\"features\": {\"a\": 1}, \"request_id\": \"r1\", \"prediction\": 1, \"score\": 0.9}", 1000);
    sample(q, "{\"features\": {\"a\": 1}, \"request_id\": \"r2\", \"prediction\": {\"label\": \"0\", \"score\": 0.2}}", 1001);
    sample(q, "{\"features\": {\"a\": 1}, \"request_id\": \"r3\", \"prediction\": \"1\", \"score\": 0.6}", 1002);
    /* a sample with its label: joined at once */
    sample(q, "{\"features\": {\"a\": 1}, \"request_id\": \"r4\", \"prediction\": 0, \"score\": 0.4, \"label\": 1}", 1003);
    sample(q, "{\"features\": {\"a\": 1}, \"prediction\": 1}", 1004); /* no request_id: not joinable */
    assert_int_equal(quality_runtime_commit(q, err, sizeof err), 0);
    assert_int_equal(quality_runtime_pending(q), 3);
    const char *body = "[{\"request_id\": \"r1\", \"label\": \"1\"}, {\"request_id\": \"r2\", \"label\": \"0\"},"
                       " {\"request_id\": \"r3\", \"label\": 0}, {\"request_id\": \"r9\", \"label\": \"1\"},"
                       " {\"request_id\": [1], \"label\": \"1\"}]";
    struct quality_labels_answer a;
    assert_int_equal(quality_runtime_labels(q, body, strlen(body), 2000, &a), 202);
    assert_int_equal(a.joined, 3);
    assert_int_equal(a.pending, 1);
    assert_int_equal(a.rejected, 1);
    assert_string_equal(a.error, "$[4].request_id: must be a non-empty string or an integer");
    /* the window r4, r1, r2, r3: y = 1 1 0 0, ŷ = 0 1 0 1, scores .4 .9 .2 .6 */
    assert_int_equal(seen.closes, 1);
    assert_int_equal(seen.last.n, 4);
    assert_true(fabs(seen.last.value[PM_ACCURACY] - 0.5) < 1e-15);  /* 2 of 4 */
    assert_true(fabs(seen.last.value[PM_PRECISION] - 0.5) < 1e-15); /* TP 1 / (TP 1 + FP 1) */
    assert_true(fabs(seen.last.value[PM_RECALL] - 0.5) < 1e-15);    /* TP 1 / (TP 1 + FN 1) */
    /* positives .4 .9 against negatives .2 .6: 3 of 4 pairs ordered */
    assert_true(fabs(seen.last.value[PM_ROC_AUC] - 0.75) < 1e-15);
    /* ((.4-1)² + (.9-1)² + .2² + .6²) / 4 = .77 / 4 */
    assert_true(fabs(seen.last.value[PM_BRIER] - 0.1925) < 1e-12);
    assert_int_equal(seen.last.side[PM_ACCURACY], -1); /* below its lower bound 0.6 */
    assert_int_equal(seen.last.alerts, 1);
    assert_int_equal(quality_runtime_pending(q), 1);

    /* a body with nothing usable */
    assert_int_equal(quality_runtime_labels(q, "{\"label\": 1}", 12, 2001, &a), 400);
    assert_string_equal(a.error, "$.request_id: missing");
    assert_int_equal(quality_runtime_labels(q, "nope", 4, 2001, &a), 400);
    quality_runtime_close(q);

    /* restart: the waiting label of r9 is still there and joins the prediction that comes now */
    seen.closes = 0;
    assert_int_equal(quality_runtime_open("m", &s, dir, JOURNAL_SYNC_ALWAYS, 1000, on_result, &seen, &q, err, sizeof err), 0);
    assert_int_equal(quality_runtime_pending(q), 1);
    assert_int_equal(seen.closes, 0); /* the closed window is not evaluated again */
    sample(q, "{\"features\": {\"a\": 1}, \"request_id\": \"r9\", \"prediction\": 1}", 3000);
    assert_int_equal(quality_runtime_pending(q), 0);
    quality_runtime_close(q);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_labels_wait_at_most_their_time_to_live(void **state)
{
    (void)state;
    char dir[] = "/tmp/dw-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct quality_settings s = binary_settings();
    s.label_ttl_ms = 1000;
    struct quality_runtime *q;
    char err[256];
    assert_int_equal(quality_runtime_open("m", &s, dir, JOURNAL_SYNC_INTERVAL, 50, NULL, NULL, &q, err, sizeof err), 0);
    const char *nd = "{\"request_id\": \"a\", \"label\": 1}\n{\"request_id\": \"b\", \"label\": 0}\n";
    struct quality_labels_answer a;
    assert_int_equal(quality_runtime_labels(q, nd, strlen(nd), 0, &a), 202);
    assert_int_equal(a.pending, 2);
    sample(q, "{\"features\": {\"x\": 1}, \"request_id\": \"a\", \"prediction\": 1}", 999);  /* in time */
    sample(q, "{\"features\": {\"x\": 1}, \"request_id\": \"b\", \"prediction\": 1}", 1000); /* b expired */
    assert_int_equal(quality_runtime_pending(q), 1); /* b's prediction waits now */
    quality_runtime_close(q);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void sum_series(void *ctx, const char *labels, double value)
{
    if (strstr(labels, "detector=\"ddm\""))
        *(double *)ctx += value;
}

/* DDM on the joined pairs in arrival order: a stream right 9 times in 10 (one error every 10th
 * pair) raises nothing; then every prediction wrong: after the warm start p + s rises past
 * p_min + 3 s_min within a few pairs, and the drift is counted once per signal. */
static void test_error_stream_detector_on_joined_pairs(void **state)
{
    (void)state;
    char dir[] = "/tmp/dw-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct quality_settings s = binary_settings();
    s.window_size = 100000;
    s.detect = 1;
    struct quality_runtime *q;
    char err[256];
    assert_int_equal(quality_runtime_open("ddm-model", &s, dir, JOURNAL_SYNC_INTERVAL, 50, NULL, NULL, &q, err,
                                          sizeof err), 0);
    char text[160];
    double drifts = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(text, sizeof text, "{\"features\": {\"x\": 1}, \"request_id\": \"s%d\", \"prediction\": 1, \"label\": %d}",
                 i, i % 10 == 9 ? 0 : 1);
        sample(q, text, i);
    }
    metrics_each("driftwatch_concept_drift_total", sum_series, &drifts);
    assert_true(drifts == 0); /* stationary: 10% errors throughout */
    for (int i = 300; i < 340; i++) {
        snprintf(text, sizeof text, "{\"features\": {\"x\": 1}, \"request_id\": \"s%d\", \"prediction\": 1, \"label\": 0}", i);
        sample(q, text, i);
    }
    metrics_each("driftwatch_concept_drift_total", sum_series, &drifts);
    assert_true(drifts >= 1); /* 40 wrong in a row after 300 at 10% */
    quality_runtime_close(q);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_close_and_restart),
        cmocka_unit_test(test_labels_wait_at_most_their_time_to_live),
        cmocka_unit_test(test_error_stream_detector_on_joined_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
