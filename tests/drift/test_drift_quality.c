/* Data quality and schema (core/analyze/quality.c, docs/statistics.md) through the analyzer: the four
 * shares per feature on small tables whose expected values are counted by hand in the comments,
 * thresholds and per-feature overrides, missing/unexpected columns with "did you mean" from CSV
 * headers, JSON Lines samples (nested and flat) and the JSON, text and Prometheus renderings. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/profile.h"
#include "data/source.h"
#include "analyze/analyze.h"
#include "util/suggest.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) <= 1e-12 * fmax(1.0, fabs(b)))

/* A profile of numeric x = 1..10 (min 1, max 10), categorical c = a a b b c, and more numeric
 * features named as given (values 1..10), and a target "label" when with_label. */
static struct profile *profile_with(const char *const *extra, size_t nextra, int with_label)
{
    struct columns *t = columns_new(NULL);
    columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE);
    columns_add(t, "c", COL_CATEGORICAL, ROLE_FEATURE);
    for (size_t i = 0; i < nextra; i++)
        columns_add(t, extra[i], COL_NUMERIC, ROLE_FEATURE);
    if (with_label)
        columns_add(t, "label", COL_NUMERIC, ROLE_TARGET);
    static const char *const cats[] = {"a", "a", "b", "b", "c", "a", "a", "b", "b", "c"};
    for (int r = 0; r < 10; r++) {
        columns_begin_row(t);
        for (size_t k = 0; k < t->ncols; k++) {
            if (t->cols[k].type == COL_NUMERIC)
                columns_put_number(t, (int)k, r + 1);
            else
                columns_put_text(t, (int)k, cats[r], 1);
        }
        assert_int_equal(columns_end_row(t), 0);
    }
    struct profile_source src = {.path = "train.csv", .rows = 10, .sample_size = 100, .bins = 10, .seed = 42};
    struct profile *p = NULL;
    char err[256];
    assert_int_equal(profile_from_columns(t, &src, &p, err, sizeof err), 0);
    columns_free(t);
    return p;
}

static struct verdict *run(const struct profile *p, const struct columns *w, const struct analyze_options *o)
{
    struct verdict *v = NULL;
    char err[256];
    if (analyze_window(p, w, o, &v, err, sizeof err) < 0)
        fail_msg("analyze_window: %s", err);
    return v;
}

/* The window of the share tests: 10 rows of x as CSV text and 10 of c (one a JSON array). */
static struct columns *quality_window(const struct profile *p)
{
    struct columns *w = columns_new_for_profile(p, NULL);
    static const char *const xs[] = {"0.5", "1", "5", "10", "10.5", "abc", "", "NaN", "7", "inf"};
    static const char *const cs[] = {"a", "d", "d", "e", "", "b", "a", NULL, "c", "c"};
    for (int r = 0; r < 10; r++) {
        columns_begin_row(w);
        columns_put_text(w, 0, xs[r], strlen(xs[r]));
        if (cs[r]) {
            columns_put_text(w, 1, cs[r], strlen(cs[r]));
        } else {
            columns_put_invalid(w, 1); /* e.g. a JSON array */
        }
        assert_int_equal(columns_end_row(w), 0);
    }
    return w;
}

static void test_quality_shares_counted_by_hand(void **state)
{
    (void)state;
    struct profile *p = profile_with(NULL, 0, 0);
    struct columns *w = quality_window(p);
    struct verdict *v = run(p, w, NULL);
    const struct feature_quality *qx = &v->features[0].quality, *qc = &v->features[1].quality;
    /* x: numbers 0.5 1 5 10 10.5 7 (6); outside the reference [1, 10]: 0.5 and 10.5 -> 2/6.
     * Not numbers: "abc" and "inf" (2) of 8 non-missing cells -> 2/8. Missing: "" and "NaN" ->
     * 2/10 rows. A numeric feature has no categories: null. */
    CLOSE(qx->share[QP_OUT_OF_RANGE], 2.0 / 6.0);
    CLOSE(qx->share[QP_TYPE_MISMATCH], 2.0 / 8.0);
    CLOSE(qx->share[QP_MISSING_SHARE], 2.0 / 10.0);
    assert_true(isnan(qx->share[QP_UNSEEN_CATEGORIES]));
    /* defaults: out_of_range 0.05 and type_mismatch 0 exceeded; missing_share off */
    assert_int_equal(qx->alerts, (1u << QP_OUT_OF_RANGE) | (1u << QP_TYPE_MISMATCH));
    /* c: values a d d e b a c c (8; "" is missing, the array is unusable); unseen in the
     * baseline {a, b, c}: d d e -> 3/8. Missing: "" -> 1/10. */
    CLOSE(qc->share[QP_UNSEEN_CATEGORIES], 3.0 / 8.0);
    CLOSE(qc->share[QP_MISSING_SHARE], 1.0 / 10.0);
    assert_true(isnan(qc->share[QP_OUT_OF_RANGE]) && isnan(qc->share[QP_TYPE_MISMATCH]));
    assert_int_equal(qc->alerts, 1u << QP_UNSEEN_CATEGORIES);
    assert_int_equal(v->quality_alerts, 3);
    /* quality alerts leave the exit code to drift; no column is missing */
    assert_false(v->schema_error);
    assert_int_equal(v->schema.nmissing, 0);
    assert_int_equal(v->schema.nunexpected, 0);
    assert_true(verdict_exit_code(v) < 3);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_quality_thresholds_and_feature_overrides(void **state)
{
    (void)state;
    struct profile *p = profile_with(NULL, 0, 0);
    struct columns *w = quality_window(p);
    struct analyze_options o;
    analyze_options_init(&o);
    char err[256];
    /* model: unseen_categories 0.4 (3/8 = 0.375 is not above), missing_share 0.1 (c's 0.1 is not
     * above, x's 0.2 is); x: out_of_range 1/3 exactly (not above: the rule is share > threshold),
     * type_mismatch off */
    assert_int_equal(quality_options_set(&o.quality, NULL, "unseen_categories", 0.4, err, sizeof err), 0);
    assert_int_equal(quality_options_set(&o.quality, NULL, "missing_share", 0.1, err, sizeof err), 0);
    assert_int_equal(quality_options_set(&o.quality, "x", "out_of_range", 2.0 / 6.0, err, sizeof err), 0);
    assert_int_equal(quality_options_set(&o.quality, "x", "type_mismatch", QUALITY_OFF, err, sizeof err), 0);
    struct verdict *v = run(p, w, &o);
    assert_int_equal(v->features[0].quality.alerts, 1u << QP_MISSING_SHARE);
    assert_int_equal(v->features[1].quality.alerts, 0);
    CLOSE(v->features[0].quality.limit[QP_OUT_OF_RANGE], 2.0 / 6.0);
    assert_true(isinf(v->features[0].quality.limit[QP_TYPE_MISMATCH]));
    CLOSE(v->features[1].quality.limit[QP_OUT_OF_RANGE], 0.05); /* c keeps the model's */
    /* the JSON: shares, alerts, thresholds (off is null) */
    json_t *j = verdict_to_json(v);
    json_t *q = json_object_get(json_array_get(json_object_get(j, "features"), 0), "quality");
    CLOSE(json_real_value(json_object_get(q, "out_of_range")), 2.0 / 6.0);
    assert_true(json_is_null(json_object_get(q, "unseen_categories")));
    assert_int_equal(json_array_size(json_object_get(q, "alerts")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(q, "alerts"), 0)), "missing_share");
    assert_true(json_is_null(json_object_get(json_object_get(q, "thresholds"), "type_mismatch")));
    assert_int_equal(json_integer_value(json_object_get(j, "quality_alerts")), 1);
    json_decref(j);
    verdict_free(v);
    /* errors name the fix */
    assert_int_equal(quality_options_set(&o.quality, NULL, "out_of_rang", 0.1, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown quality check 'out_of_rang' (did you mean 'out_of_range'?)"));
    assert_int_equal(quality_options_set(&o.quality, NULL, "out_of_range", 1.5, err, sizeof err), -1);
    assert_non_null(strstr(err, "in [0, 1] or off"));
    double limit;
    assert_int_equal(quality_parse_limit("off", &limit), 0);
    assert_true(isinf(limit));
    assert_int_equal(quality_parse_limit("0.25", &limit), 0);
    CLOSE(limit, 0.25);
    assert_int_equal(quality_parse_limit("-0.1", &limit), -1);
    assert_int_equal(quality_parse_limit("5%", &limit), -1);
    analyze_options_free(&o);
    columns_free(w);
    profile_free(p);
}

static char *write_temp(const char *text, const char *suffix)
{
    char *path = NULL;
    assert_true(asprintf(&path, "/tmp/dwquality-XXXXXX%s", suffix) > 0);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static struct verdict *check_file(const struct profile *p, const char *text, const char *suffix)
{
    char *path = write_temp(text, suffix);
    struct check_request req = {.profile = p, .data_path = path};
    struct verdict *v = NULL;
    char err[512];
    if (check_run(&req, &v, NULL, NULL, err, sizeof err) < 0)
        fail_msg("check_run: %s", err);
    unlink(path);
    free(path);
    return v;
}

static void test_renamed_csv_columns_are_a_schema_error_with_suggestions(void **state)
{
    (void)state;
    static const char *const extra[] = {"mean_radius", "worst_area"};
    struct profile *p = profile_with(extra, 2, 1);
    /* mean_radius came as mean_radiu (1 edit: a suggestion both ways), worst_area as area_worst
     * (far more than 2 edits: no suggestion), an extra column id; the target label is absent,
     * which is normal (labels come later): not a missing column */
    struct verdict *v = check_file(p, "x,c,mean_radiu,area_worst,id\n1,a,1,1,7\n2,b,2,2,8\n", ".csv");
    assert_true(v->schema_error);
    assert_int_equal(verdict_exit_code(v), 3);
    const struct schema_report *s = &v->schema;
    assert_int_equal(s->nmissing, 2);
    assert_string_equal(s->missing[0].name, "mean_radius");
    assert_string_equal(s->missing[0].suggestion, "mean_radiu");
    assert_string_equal(s->missing[1].name, "worst_area");
    assert_null(s->missing[1].suggestion);
    assert_int_equal(s->nunexpected, 3);
    assert_string_equal(s->unexpected[0].name, "mean_radiu");
    assert_string_equal(s->unexpected[0].suggestion, "mean_radius");
    assert_string_equal(s->unexpected[1].name, "area_worst");
    assert_null(s->unexpected[1].suggestion);
    /* short names are close to everything: id is 2 edits from x (and from c; the first wins) */
    assert_string_equal(s->unexpected[2].name, "id");
    assert_string_equal(s->unexpected[2].suggestion, "x");
    assert_false(s->unexpected_truncated);
    /* the missing ones are reported (missing share 1), not tested, not drift, not counted */
    for (size_t i = 2; i < 4; i++) {
        assert_true(v->features[i].missing_column);
        assert_false(v->features[i].drift);
        CLOSE(v->features[i].quality.share[QP_MISSING_SHARE], 1.0);
    }
    assert_int_equal(v->nfeatures, 2);
    /* the JSON of docs/statistics.md */
    json_t *j = verdict_to_json(v);
    json_t *schema = json_object_get(j, "schema");
    json_t *m0 = json_array_get(json_object_get(schema, "missing_columns"), 0);
    assert_string_equal(json_string_value(json_object_get(m0, "name")), "mean_radius");
    assert_string_equal(json_string_value(json_object_get(m0, "suggestion")), "mean_radiu");
    json_t *m1 = json_array_get(json_object_get(schema, "missing_columns"), 1);
    assert_true(json_is_null(json_object_get(m1, "suggestion")));
    assert_int_equal(json_array_size(json_object_get(schema, "unexpected_columns")), 3);
    assert_true(json_is_true(json_object_get(j, "schema_error")));
    json_decref(j);
    /* the text shows the schema first, before the drift table */
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(verdict_render(v, VERDICT_TEXT, &sb), 0);
    assert_true(strncmp(sb.data, "SCHEMA ERROR: 2 columns of the baseline missing from the data", 61) == 0);
    const char *dq = strstr(sb.data, "DATA QUALITY"), *table = strstr(sb.data, "FEATURE ");
    assert_non_null(dq);
    assert_true(dq < table);
    assert_non_null(strstr(sb.data, "missing column     mean_radius  (did you mean 'mean_radiu'?)"));
    strbuf_free(&sb);
    verdict_free(v);
    /* docs/statistics.md's bound: radius_mean is 3 edits from mean_radius, so no suggestion */
    assert_int_equal(suggest_distance("radius_mean", "mean_radius", 2), 3);
    v = check_file(p, "x,c,radius_mean,worst_area\n1,a,1,1\n", ".csv");
    assert_int_equal(v->schema.nmissing, 1);
    assert_null(v->schema.missing[0].suggestion);
    assert_null(v->schema.unexpected[0].suggestion);
    verdict_free(v);
    /* every column present, one unexpected: reported, not an error */
    v = check_file(p, "x,c,mean_radius,worst_area,extra\n1,a,1,1,1\n", ".csv");
    assert_false(v->schema_error);
    assert_int_equal(v->schema.nmissing, 0);
    assert_int_equal(v->schema.nunexpected, 1);
    assert_true(verdict_exit_code(v) < 3);
    verdict_free(v);
    profile_free(p);
}

static void test_jsonl_samples_absent_keys_and_envelope(void **state)
{
    (void)state;
    static const char *const extra[] = {"mean_radius", "worst_area"};
    struct profile *p = profile_with(extra, 2, 0);
    /* nested sample: textur is not a feature; prediction/timestamp/request_id are the envelope.
     * flat sample: model_version is unexpected, request_id is the envelope. worst_area is null
     * in one row and absent in the other: carried, so not missing; mean_radius is in no row. */
    struct verdict *v = check_file(p,
                                   "{\"features\": {\"x\": 1, \"c\": \"a\", \"textur\": 2, \"worst_area\": null}, "
                                   "\"prediction\": 1, \"timestamp\": \"2026-01-01T00:00:00Z\", \"request_id\": \"r\"}\n"
                                   "{\"x\": 2, \"c\": \"b\", \"request_id\": \"s\", \"model_version\": \"v2\"}\n",
                                   ".jsonl");
    assert_int_equal(v->schema.nmissing, 1);
    assert_string_equal(v->schema.missing[0].name, "mean_radius");
    assert_int_equal(v->schema.nunexpected, 2);
    assert_string_equal(v->schema.unexpected[0].name, "textur");
    assert_string_equal(v->schema.unexpected[1].name, "model_version");
    assert_false(v->features[3].missing_column);
    CLOSE(v->features[3].quality.share[QP_MISSING_SHARE], 1.0); /* null + absent of 2 rows */
    verdict_free(v);
    profile_free(p);
}

static void test_many_unexpected_columns_are_bounded(void **state)
{
    (void)state;
    struct profile *p = profile_with(NULL, 0, 0);
    struct columns *w = columns_new_for_profile(p, NULL);
    char name[32];
    columns_begin_row(w);
    columns_put_number(w, 0, 1);
    columns_put_text(w, 1, "a", 1);
    for (int i = 0; i < COLUMNS_MAX_UNKNOWN_NAMES + 50; i++) {
        int n = snprintf(name, sizeof name, "col%d", i);
        columns_note_unknown(w, name, (size_t)n, 1);
    }
    assert_int_equal(columns_end_row(w), 0);
    struct verdict *v = run(p, w, NULL);
    assert_int_equal(v->schema.nunexpected, SCHEMA_MAX_LISTED);
    assert_true(v->schema.unexpected_truncated);
    json_t *j = verdict_to_json(v);
    assert_true(json_is_true(json_object_get(json_object_get(j, "schema"), "unexpected_truncated")));
    json_decref(j);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_prometheus_quality_series(void **state)
{
    (void)state;
    struct profile *p = profile_with(NULL, 0, 0);
    struct columns *w = quality_window(p);
    struct verdict *v = run(p, w, NULL);
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(verdict_render(v, VERDICT_PROM, &sb), 0);
    /* each share that applies; thresholds where not off (missing_share is off by default) */
    assert_non_null(strstr(sb.data, "driftwatch_feature_quality_ratio{model=\"default\",feature=\"x\",problem=\"out_of_range\"} "
                                    "0.3333333333333333\n"));
    assert_non_null(strstr(sb.data, "driftwatch_feature_quality_ratio{model=\"default\",feature=\"x\",problem=\"type_mismatch\"} 0.25\n"));
    assert_non_null(strstr(sb.data, "driftwatch_feature_quality_ratio{model=\"default\",feature=\"c\",problem=\"unseen_categories\"} 0.375\n"));
    assert_null(strstr(sb.data, "feature=\"x\",problem=\"unseen_categories\""));
    assert_non_null(strstr(sb.data, "driftwatch_feature_quality_threshold{model=\"default\",feature=\"x\",problem=\"type_mismatch\"} 0\n"));
    assert_null(strstr(sb.data, "driftwatch_feature_quality_threshold{model=\"default\",feature=\"x\",problem=\"missing_share\"}"));
    assert_non_null(strstr(sb.data, "driftwatch_schema_missing_columns{model=\"default\"} 0\n"));
    strbuf_free(&sb);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quality_shares_counted_by_hand),
        cmocka_unit_test(test_quality_thresholds_and_feature_overrides),
        cmocka_unit_test(test_renamed_csv_columns_are_a_schema_error_with_suggestions),
        cmocka_unit_test(test_jsonl_samples_absent_keys_and_envelope),
        cmocka_unit_test(test_many_unexpected_columns_are_bounded),
        cmocka_unit_test(test_prometheus_quality_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
