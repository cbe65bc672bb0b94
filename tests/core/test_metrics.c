/* Tests for the metrics registry's text exposition: exact output for each type, label escaping,
 * invalid names refused, forgetting series, the render cache and its gzip form. Expected text written by hand from the 0.0.4 format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/metrics.h"

/* noinline: inlined, gcc 12's -Wdangling-pointer (Release) takes the text for a pointer to the local
 * `out` whose address metrics_render got, and warns wherever the text is read after the call. */
static __attribute__((noinline)) char *render(void)
{
    char *out;
    size_t len;
    assert_int_equal(metrics_render(&out, &len), 0);
    assert_int_equal(strlen(out), len);
    return out;
}

static int reset(void **state)
{
    metrics_reset();
    return 0;
}

static void test_metrics_counter_and_gauge_exposition(void **state)
{
    const char *l1[] = {"model", "fraud", "probe", "push", NULL};
    metrics_counter_add("driftwatch_samples_received_total", "Samples received.", l1, 2);
    metrics_counter_add("driftwatch_samples_received_total", "Samples received.", l1, 3);
    metrics_counter_add("driftwatch_samples_received_total", "Samples received.", l1, -1); /* ignored */
    metrics_gauge_set("driftwatch_dataset_drift_share", "Share.", (const char *[]){"model", "fraud", NULL}, 0.25);
    char *out = render();
    const char *expected =
        "# HELP driftwatch_samples_received_total Samples received.\n"
        "# TYPE driftwatch_samples_received_total counter\n"
        "driftwatch_samples_received_total{model=\"fraud\",probe=\"push\"} 5\n"
        "# HELP driftwatch_dataset_drift_share Share.\n"
        "# TYPE driftwatch_dataset_drift_share gauge\n"
        "driftwatch_dataset_drift_share{model=\"fraud\"} 0.25\n";
    assert_true(strncmp(out, expected, strlen(expected)) == 0);
    free(out);
}

static void test_metrics_escapes_label_values_and_help(void **state)
{
    const char *labels[] = {"feature", "a\"b\\c\nd", NULL};
    metrics_gauge_set("x_gauge", "help with \\ and\nnewline", labels, 1);
    char *out = render();
    assert_non_null(strstr(out, "# HELP x_gauge help with \\\\ and\\nnewline\n"));
    assert_non_null(strstr(out, "x_gauge{feature=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(out);
}

static void test_metrics_replaces_invalid_utf8_in_labels(void **state)
{
    const char *labels[] = {"feature", "caf\xC3\xA9-\xFF", NULL};
    metrics_gauge_set("x_gauge", "h", labels, 1);
    char *out = render();
    assert_non_null(strstr(out, "x_gauge{feature=\"caf\xC3\xA9-\xEF\xBF\xBD\"} 1\n"));
    free(out);
}

static void test_metrics_histogram_buckets_are_cumulative(void **state)
{
    metrics_histogram_observe("x_seconds", "h", NULL, 0.0003);
    metrics_histogram_observe("x_seconds", "h", NULL, 0.002);
    metrics_histogram_observe("x_seconds", "h", NULL, 60);
    char *out = render();
    assert_non_null(strstr(out, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(out, "x_seconds_bucket{le=\"0.0001\"} 0\n"));
    assert_non_null(strstr(out, "x_seconds_bucket{le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(out, "x_seconds_bucket{le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(out, "x_seconds_bucket{le=\"10\"} 2\n"));
    assert_non_null(strstr(out, "x_seconds_bucket{le=\"+Inf\"} 3\n"));
    /* Python: "%.17g" % (0.0003 + 0.002 + 60) */
    assert_non_null(strstr(out, "x_seconds_sum 60.002299999999998\n"));
    assert_non_null(strstr(out, "x_seconds_count 3\n"));
    free(out);
}

static void test_metrics_refuses_invalid_names_and_counts_them(void **state)
{
    metrics_gauge_set("ok_name", "h", NULL, 7);
    metrics_gauge_set("bad name", "h", NULL, 1);
    metrics_gauge_set("ok_name", "h", (const char *[]){"1abel", "v", NULL}, 1);
    metrics_gauge_set("ok_name", "h", (const char *[]){"__reserved", "v", NULL}, 1);
    metrics_counter_add("ok_name", "h", NULL, 1); /* same name, other type */
    char *out = render();
    assert_null(strstr(out, "bad name"));
    assert_non_null(strstr(out, "# TYPE ok_name gauge\nok_name 7\n# HELP"));
    assert_non_null(strstr(out, "driftwatch_metrics_invalid_total 4\n"));
    free(out);
}

static void test_metrics_forget_drops_whole_label_matches_only(void **state)
{
    metrics_gauge_set("g", "h", (const char *[]){"model", "a", "feature", "x", NULL}, 1);
    metrics_gauge_set("g", "h", (const char *[]){"model", "ab", "feature", "x", NULL}, 2);
    metrics_forget("g", "model", "a");
    char *out = render();
    assert_null(strstr(out, "g{model=\"a\","));
    assert_non_null(strstr(out, "g{model=\"ab\",feature=\"x\"} 2\n"));
    free(out);
}

/* Every update after a render shows in the next render (the cached family text is replaced),
 * and families that did not change are kept as they were. Values by hand: 3 adds of 1, then 2. */
static void test_metrics_render_after_update_is_never_stale(void **state)
{
    const char *la[] = {"model", "a", NULL};
    metrics_gauge_set("g_other", "h", la, 7);
    for (int i = 0; i < 3; i++)
        metrics_counter_add("c_total", "h", la, 1);
    char *out = render();
    assert_non_null(strstr(out, "c_total{model=\"a\"} 3\n"));
    free(out);
    metrics_counter_add("c_total", "h", la, 2);
    out = render();
    assert_non_null(strstr(out, "c_total{model=\"a\"} 5\n"));
    assert_non_null(strstr(out, "g_other{model=\"a\"} 7\n"));
    free(out);
    metrics_forget("c_total", "model", "a");
    out = render();
    assert_null(strstr(out, "c_total"));
    assert_non_null(strstr(out, "g_other{model=\"a\"} 7\n"));
    free(out);
}

/* The gzip rendering inflates (zlib's gzip decoder, windowBits 16 + 15) to exactly the text
 * rendering, after updates between renders too. */
static void test_metrics_gzip_inflates_to_the_text(void **state)
{
    for (int round = 0; round < 3; round++) {
        const char *l[] = {"model", round == 1 ? "b" : "a", NULL};
        metrics_counter_add("c_total", "h", l, round + 1);
        metrics_histogram_observe("h_seconds", "h", l, 0.003);
        char *text = render();
        unsigned char *gz;
        size_t gzlen;
        assert_int_equal(metrics_render_gzip(&gz, &gzlen), 0);
        assert_true(gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
        size_t cap = strlen(text) + 64;
        unsigned char *back = malloc(cap);
        z_stream zs = {0};
        assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
        zs.next_in = gz;
        zs.avail_in = (uInt)gzlen;
        zs.next_out = back;
        zs.avail_out = (uInt)cap;
        assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END); /* CRC and size checked by zlib */
        assert_int_equal(zs.avail_in, 0);
        assert_int_equal(zs.total_out, strlen(text));
        assert_memory_equal(back, text, strlen(text));
        inflateEnd(&zs);
        free(back);
        free(gz);
        free(text);
    }
}

/* metrics_gauge_replace / metrics_untyped_replace: a model's series are swapped as a set (another
 * model's stay), and the untyped family renders with TYPE untyped. */
static void test_metrics_replace_swaps_one_models_series(void **state)
{
    const char *a0[] = {"model", "a", "bin", "0", NULL}, *a1[] = {"model", "a", "bin", "1", NULL};
    const char *b0[] = {"model", "b", "bin", "0", NULL}, *ax[] = {"model", "a", "bin", "x\"y", NULL};
    struct metrics_sample first[] = {{a0, 1}, {a1, 2}}, other[] = {{b0, 7}}, second[] = {{ax, 3}};
    assert_int_equal(metrics_untyped_replace("t_bin_count", "Bins.", "model", "a", first, 2), 0);
    assert_int_equal(metrics_untyped_replace("t_bin_count", "Bins.", "model", "b", other, 1), 0);
    char *before = render(); /* cached now: the next replace must show anyway */
    assert_non_null(strstr(before, "t_bin_count{model=\"a\",bin=\"1\"} 2\n"));
    free(before);
    assert_int_equal(metrics_untyped_replace("t_bin_count", "Bins.", "model", "a", second, 1), 0);
    assert_int_equal(metrics_gauge_replace("t_share", "Shares.", "model", "a", first, 2), 0);
    assert_int_equal(metrics_gauge_replace("t_share", "Shares.", "model", "a", NULL, 0), 0);
    char *out = render();
    const char *expected = "# HELP t_bin_count Bins.\n"
                           "# TYPE t_bin_count untyped\n"
                           "t_bin_count{model=\"b\",bin=\"0\"} 7\n"
                           "t_bin_count{model=\"a\",bin=\"x\\\"y\"} 3\n"
                           "# HELP driftwatch_metrics_invalid_total";
    assert_memory_equal(out, expected, strlen(expected));
    free(out);
    /* a bad label name changes nothing and is counted */
    const char *bad[] = {"model", "a", "0bin", "0", NULL};
    struct metrics_sample wrong[] = {{bad, 1}};
    assert_int_equal(metrics_untyped_replace("t_bin_count", "Bins.", "model", "a", wrong, 1), -1);
    out = render();
    assert_non_null(strstr(out, "t_bin_count{model=\"a\",bin=\"x\\\"y\"} 3\n"));
    assert_non_null(strstr(out, "driftwatch_metrics_invalid_total 1\n"));
    free(out);
}

/* How many times needle occurs in text (a helper, so no pointer into the text outlives the loop). */
static size_t count_series(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* A family of 1000 series: updates reach their own series through the label index, after a
 * forget too (the index is rebuilt), and no series is duplicated. Values by hand: 2k for i=k. */
static void test_metrics_many_series_each_updated_once(void **state)
{
    char v[16];
    const char *l[] = {"i", v, NULL};
    for (int k = 0; k < 1000; k++) {
        snprintf(v, sizeof v, "%d", k);
        metrics_gauge_set("g", "h", l, k);
    }
    metrics_forget("g", "i", "500");
    for (int k = 0; k < 1000; k++) {
        snprintf(v, sizeof v, "%d", k);
        metrics_gauge_set("g", "h", l, 2 * k);
    }
    char *out = render();
    assert_int_equal(count_series(out, "\ng{"), 1000);
    assert_non_null(strstr(out, "\ng{i=\"0\"} 0\n"));
    assert_non_null(strstr(out, "\ng{i=\"500\"} 1000\n"));
    assert_non_null(strstr(out, "\ng{i=\"999\"} 1998\n"));
    free(out);
}

/* A view (the pieces /metrics sends without copying) keeps the text of the instant it was taken
 * while later updates replace the families' cached texts; released after them, nothing leaks. */
static void test_metrics_view_outlives_updates(void **state)
{
    const char *la[] = {"model", "a", NULL};
    metrics_counter_add("c_total", "h", la, 1);
    metrics_gauge_set("g", "h", la, 3);
    char *before = render();
    struct metrics_view *v;
    assert_int_equal(metrics_view_take(&v), 0);
    metrics_counter_add("c_total", "h", la, 41);
    metrics_forget("g", "model", "a");
    char *after = render();
    size_t n;
    const struct metrics_piece *pieces = metrics_view_pieces(v, &n);
    struct {
        char buf[4096];
        size_t len;
    } joined = {.len = 0};
    for (size_t i = 0; i < n; i++) {
        assert_true(joined.len + pieces[i].len < sizeof joined.buf);
        memcpy(joined.buf + joined.len, pieces[i].data, pieces[i].len);
        joined.len += pieces[i].len;
    }
    assert_int_equal(joined.len, strlen(before));
    assert_memory_equal(joined.buf, before, joined.len);
    metrics_view_release(v);
    assert_non_null(strstr(after, "c_total{model=\"a\"} 42\n"));
    assert_null(strstr(after, "g{model"));
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_metrics_counter_and_gauge_exposition, reset),
        cmocka_unit_test_setup(test_metrics_escapes_label_values_and_help, reset),
        cmocka_unit_test_setup(test_metrics_replaces_invalid_utf8_in_labels, reset),
        cmocka_unit_test_setup(test_metrics_histogram_buckets_are_cumulative, reset),
        cmocka_unit_test_setup(test_metrics_refuses_invalid_names_and_counts_them, reset),
        cmocka_unit_test_setup(test_metrics_forget_drops_whole_label_matches_only, reset),
        cmocka_unit_test_setup(test_metrics_render_after_update_is_never_stale, reset),
        cmocka_unit_test_setup(test_metrics_gzip_inflates_to_the_text, reset),
        cmocka_unit_test_setup(test_metrics_many_series_each_updated_once, reset),
        cmocka_unit_test_setup(test_metrics_view_outlives_updates, reset),
        cmocka_unit_test_setup(test_metrics_replace_swaps_one_models_series, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    return rc;
}
