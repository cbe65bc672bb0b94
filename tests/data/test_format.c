/* Renderings of a verdict (core/drift/format_*.c): the §4 JSON keys, Prometheus label escaping
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
#include "drift/analyze.h"

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
        cmocka_unit_test(test_html_escapes_names_and_draws_one_svg_per_feature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
