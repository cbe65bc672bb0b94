/* Renderings of a verdict (core/analyze/format_*.c): the JSON keys of docs/data-formats.md, Prometheus label escaping
 * (text format 0.0.4: \\ \" \n), the Nagios status line, the text table's order (drifted
 * first) and HTML escaping of names in the report. Names here are hostile on purpose. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/profile.h"
#include "analyze/analyze.h"
#include "stats/drift.h"

#define EVIL "a\"b\\c\nd"
#define TAG "<script>alert('x')</script>"

struct fixture {
    struct profile *p;
    struct columns *w;
    struct verdict *v;
};

/* Baseline: EVIL numeric 0..29, TAG categorical (u, v), "calm" numeric 0..29.
 * Window: EVIL shifted by 100 (drifts), TAG unchanged, calm unchanged. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct columns *t = columns_new(NULL);
    columns_add(t, "calm", COL_NUMERIC, ROLE_FEATURE);
    columns_add(t, EVIL, COL_NUMERIC, ROLE_FEATURE);
    columns_add(t, TAG, COL_CATEGORICAL, ROLE_FEATURE);
    for (int i = 0; i < 30; i++) {
        columns_begin_row(t);
        columns_put_number(t, 0, i);
        columns_put_number(t, 1, i);
        columns_put_text(t, 2, i % 2 ? "u" : "v", 1);
        columns_end_row(t);
    }
    struct profile_source src = {.path = "base<1>.csv", .rows = 30, .md5 = "00", .sample_size = 100, .bins = 10};
    char err[128];
    assert_int_equal(profile_from_columns(t, &src, &f->p, err, sizeof err), 0);
    columns_free(t);
    f->w = columns_new_for_profile(f->p, NULL);
    for (int i = 0; i < 30; i++) {
        columns_begin_row(f->w);
        columns_put_number(f->w, 0, i);
        columns_put_number(f->w, 1, i + 100);
        columns_put_text(f->w, 2, i % 2 ? "u" : "v", 1);
        columns_end_row(f->w);
    }
    struct analyze_options o;
    analyze_options_init(&o);
    analyze_options_set_methods(&o, "all", NULL, 0);
    assert_int_equal(analyze_window(f->p, f->w, &o, &f->v, err, sizeof err), 0);
    verdict_set_model(f->v, "fraud \"v2\"");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    verdict_free(f->v);
    columns_free(f->w);
    profile_free(f->p);
    free(f);
    return 0;
}

static char *render(const struct verdict *v, enum verdict_format fmt)
{
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(verdict_render(v, fmt, &sb), 0);
    return strbuf_detach(&sb, NULL);
}

#define assert_near(a, b, eps) near_or_fail((a), (b), (eps), #a)
static void near_or_fail(double a, double b, double eps, const char *what)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("%s = %.17g, expected %.17g", what, a, b);
}

static const struct feature_verdict *feature_named(const struct verdict *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->features[i].name, name) == 0)
            return &v->features[i];
    fail_msg("no feature %s", name);
    return NULL;
}

/* docs/statistics.md "Summary". References, by hand (numpy's definitions):
 * x = 0..29: np.mean = 14.5; np.std = sqrt((30^2 - 1) / 12) = 8.65544144839919;
 * np.percentile(x, 5): virtual index 29 * 0.05 = 1.45 -> 1 + 0.45 = 1.45; p50 = 14.5;
 * p95: 29 * 0.95 = 27.55 -> 27.55. The shifted window (x + 100) adds 100 to all but std. */
static void test_summary_magnitude_and_direction(void **state)
{
    struct fixture *f = *state;
    const struct feature_verdict *calm = feature_named(f->v, "calm"), *evil = feature_named(f->v, EVIL);
    const struct numeric_summary *b = &evil->baseline_summary, *c = &evil->window_summary;
    assert_true(b->ok && c->ok);
    assert_near(b->mean, 14.5, 1e-12);
    assert_near(b->std, 8.65544144839919, 1e-12);
    assert_near(b->p5, 1.45, 1e-12);
    assert_near(b->p50, 14.5, 1e-12);
    assert_near(b->p95, 27.55, 1e-12);
    assert_near(c->mean, 114.5, 1e-12);
    assert_near(c->std, 8.65544144839919, 1e-12);
    assert_near(c->p5, 101.45, 1e-12);
    assert_near(c->p50, 114.5, 1e-12);
    assert_near(c->p95, 127.55, 1e-12);
    assert_near(calm->window_summary.mean, 14.5, 1e-12);
    /* categorical: u and v half each on both sides */
    const struct feature_verdict *tag = feature_named(f->v, TAG);
    assert_int_equal(tag->ntop, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_near(tag->top[i].baseline, 0.5, 1e-15);
        assert_near(tag->top[i].current, 0.5, 1e-15);
    }
}

/* numpy references by hand: np.percentile([1, 2, 3, 4], 50) = 2.5 (index 1.5);
 * np.percentile([1, 2, 3, 4], 95): index 3 * 0.95 = 2.8499999999999996, from the upper end
 * 4 - (1 - 0.8499999999999996) = 3.8499999999999996; p0 = 1, p100 = 4; np.mean([1, 2, 3, 4]) = 2.5,
 * np.std = sqrt(1.25); one value: its own percentiles, std 0; none: NAN. */
static void test_percentile_and_moments_as_numpy(void **state)
{
    (void)state;
    const double x[] = {1, 2, 3, 4};
    assert_true(drift_percentile(x, 4, 50) == 2.5);
    assert_true(drift_percentile(x, 4, 95) == 4 - (1 - (3 * 0.95 - 2)));
    assert_near(drift_percentile(x, 4, 95), 3.85, 1e-15);
    assert_true(drift_percentile(x, 4, 0) == 1);
    assert_true(drift_percentile(x, 4, 100) == 4);
    double m, s;
    drift_mean_std(x, 4, &m, &s);
    assert_true(m == 2.5);
    assert_true(s == sqrt(1.25));
    assert_true(drift_percentile(x, 1, 5) == 1);
    drift_mean_std(x, 1, &m, &s);
    assert_true(m == 1 && s == 0);
    assert_true(isnan(drift_percentile(x, 0, 50)));
}

static void test_json_has_the_design_keys(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_JSON);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    const char *top[] = {"model", "dataset_drift", "drift_share", "drifted_features", "n_features", "features",
                         "baseline", "window"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        assert_non_null(json_object_get(j, top[i]));
    assert_string_equal(json_string_value(json_object_get(j, "model")), "fraud \"v2\"");
    assert_int_equal(json_integer_value(json_object_get(j, "drifted_features")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "n_features")), 3);
    assert_true(json_is_true(json_object_get(j, "dataset_drift")) == 0);
    json_t *win = json_object_get(j, "window");
    assert_int_equal(json_integer_value(json_object_get(win, "rows")), 30);
    assert_true(json_is_null(json_object_get(win, "from")) && json_is_null(json_object_get(win, "to")));
    json_t *base = json_object_get(j, "baseline");
    assert_string_equal(json_string_value(json_object_get(base, "path")), "base<1>.csv");
    assert_true(json_is_null(json_object_get(base, "data_version")));
    json_t *feat = json_array_get(json_object_get(j, "features"), 1);
    assert_string_equal(json_string_value(json_object_get(feat, "name")), EVIL);
    const char *keys[] = {"name", "type", "method", "statistic", "p_value", "threshold", "drift", "missing_share",
                          "tests"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(feat, keys[i]));
    /* all: 8 numeric tests, each {statistic, p_value} */
    json_t *tests = json_object_get(feat, "tests");
    assert_int_equal(json_object_size(tests), 8);
    assert_true(json_is_null(json_object_get(json_object_get(tests, "psi"), "p_value")));
    assert_true(json_is_number(json_object_get(json_object_get(tests, "ks"), "p_value")));
    json_decref(j);
    free(text);
}

static void test_prom_escapes_label_values(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_PROM);
    assert_non_null(strstr(text, "# TYPE driftwatch_feature_drift_score gauge\n"));
    assert_non_null(strstr(text, "driftwatch_feature_drifted{model=\"fraud \\\"v2\\\"\",feature=\"a\\\"b\\\\c\\nd\"} 1\n"));
    assert_non_null(strstr(text, "driftwatch_feature_drift_p_value{model=\"fraud \\\"v2\\\"\",feature=\"calm\",method=\"ks\"} 1\n"));
    assert_non_null(strstr(text, "driftwatch_dataset_drift_share{model=\"fraud \\\"v2\\\"\"} 0.3333333333333333\n"));
    assert_non_null(strstr(text, "driftwatch_dataset_drifted{model=\"fraud \\\"v2\\\"\"} 0\n"));
    assert_non_null(strstr(text, "driftwatch_feature_missing_ratio{"));
    /* no raw newline inside any sample line: every line starts with '#' or the metric prefix */
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        assert_true(line[0] == '#' || strncmp(line, "driftwatch_", 11) == 0);
        if (!strchr(line, '\n'))
            break;
    }
    free(text);
}

static void test_nagios_status_line(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_NAGIOS);
    /* 1 of 3 drifted: WARNING (exit 1); the name's newline and quote cannot break the line */
    assert_int_equal(strncmp(text, "DRIFT WARNING - 1 of 3 features drifted (a\"b\\c_d)", 49), 0);
    assert_non_null(strstr(text, " | share=0.333333;;0.5;0;1 drifted=1;;;0;3 "));
    /* 30 baseline values: ks decides, so the perfdata is its p-value with an alert-below range */
    assert_non_null(strstr(text, "'a\"b\\c_d_p_value'="));
    assert_non_null(strstr(text, ";;0.05:;0;1"));
    assert_int_equal(strchr(text, '\n') - text, (long)strlen(text) - 1);
    free(text);
}

static void test_text_lists_drifted_first(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_TEXT);
    assert_int_equal(strncmp(text, "FEATURE DRIFT: 1 of 3 features drifted", 38), 0);
    char *evil = strstr(text, "a\"b\\c?d");
    char *calm = strstr(text, "\ncalm ");
    assert_non_null(evil);
    assert_non_null(calm);
    assert_true(evil < calm);
    free(text);
}

/* --methods all: every reported test has a row under its feature (before, only the deciding one
 * showed), and each feature a summary line: baseline -> current. */
static void test_text_shows_every_test_and_the_summary(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_TEXT);
    char *evil = strstr(text, "a\"b\\c?d");
    char *calm = strstr(text, "\ncalm ");
    assert_non_null(evil);
    assert_non_null(calm);
    /* the deciding test is ks (|R| = 30); cramervonmises, anderson, psi... are reported under it */
    char *cvm = strstr(evil, " cramervonmises ");
    assert_non_null(cvm);
    assert_true(cvm < calm);
    char *eol = strchr(cvm, '\n');
    assert_non_null(strstr(cvm, "(would drift)"));
    assert_true(strstr(cvm, "(would drift)") < eol);
    char *calm_cvm = strstr(calm, " cramervonmises ");
    assert_non_null(calm_cvm);
    eol = strchr(calm_cvm, '\n');
    assert_true(strstr(calm_cvm, "(ok)") != NULL && strstr(calm_cvm, "(ok)") < eol);
    assert_non_null(strstr(evil, "\n    mean 14.5 \u2192 114.5, p50 14.5 \u2192 114.5, p5 1.45 \u2192 "));
    assert_non_null(strstr(calm, "\n    mean 14.5 \u2192 14.5, p50 14.5 \u2192 14.5, p5 1.45 \u2192 1.45, "));
    assert_non_null(strstr(text, "u 50.0% \u2192 50.0%"));
    free(text);
}

/* JSON: the summary object, and numbers printed shortest (0.05, not 0.050000000000000003). */
static void test_json_summary_and_shortest_numbers(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->v, VERDICT_JSON);
    assert_non_null(strstr(text, "\"threshold\": 0.05,"));
    assert_null(strstr(text, "0.050000000000000003"));
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    json_t *feats = json_object_get(j, "features");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *fe = json_array_get(feats, i);
        json_t *sum = json_object_get(fe, "summary");
        assert_non_null(sum);
        if (strcmp(json_string_value(json_object_get(fe, "name")), EVIL) == 0) {
            assert_true(json_real_value(json_object_get(json_object_get(sum, "baseline"), "p50")) == 14.5);
            assert_true(json_real_value(json_object_get(json_object_get(sum, "current"), "mean")) == 114.5);
            assert_near(json_real_value(json_object_get(json_object_get(sum, "current"), "p95")), 127.55, 1e-12);
            seen++;
        } else if (strcmp(json_string_value(json_object_get(fe, "name")), TAG) == 0) {
            json_t *top = json_object_get(sum, "top_categories");
            assert_int_equal(json_array_size(top), 2);
            assert_true(json_real_value(json_object_get(json_array_get(top, 0), "current")) == 0.5);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    json_decref(j);
    free(text);
}

static void test_html_escapes_names_and_draws_one_svg_per_feature(void **state)
{
    struct fixture *f = *state;
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(report_render_html(f->p, f->w, f->v, &sb), 0);
    char *html = sb.data;
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert_non_null(strstr(html, "base&lt;1&gt;.csv"));
    /* self-contained: nothing fetched from elsewhere */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "href=\"http"));
    assert_null(strstr(html, "url("));
    size_t svgs = 0;
    for (char *s = html; (s = strstr(s, "<svg")) != NULL; s++)
        svgs++;
    assert_int_equal(svgs, 3);
    /* drifted feature's section comes first */
    char *first = strstr(html, "<section");
    assert_non_null(strstr(first, "a&quot;b\\c\nd"));
    assert_true(strstr(first, "a&quot;b\\c\nd") < strstr(first, "<h2>calm"));
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_has_the_design_keys),
        cmocka_unit_test(test_prom_escapes_label_values),
        cmocka_unit_test(test_nagios_status_line),
        cmocka_unit_test(test_text_lists_drifted_first),
        cmocka_unit_test(test_text_shows_every_test_and_the_summary),
        cmocka_unit_test(test_json_summary_and_shortest_numbers),
        cmocka_unit_test(test_percentile_and_moments_as_numpy),
        cmocka_unit_test(test_summary_magnitude_and_direction),
        cmocka_unit_test(test_html_escapes_names_and_draws_one_svg_per_feature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
