/* Data files into columns (core/data/source.c), baseline building (baseline.c) and the profile
 * (profile.c): type inference, bad rows with path:line, header checks, empty inputs, the MD5 of
 * the file, the profile JSON round trip and the loader's validation messages.
 * Independent references: MD5 of "a,b\n1,2\n" from Python's hashlib
 * (e5ebd4c02cefbe7955977c67ada242b7); moments of 1..5 by hand (mean 3, population std sqrt(2)). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/baseline.h"
#include "data/profile.h"
#include "data/source.h"
#include "testutil.h"

struct messages {
    char text[16][512];
    int n;
};

static void collect(void *ud, const char *msg)
{
    struct messages *m = ud;
    if (m->n < 16)
        snprintf(m->text[m->n++], sizeof m->text[0], "%s", msg);
}

static void test_infer_types_missing_and_md5(void **state)
{
    char *path = tu_temp(".csv", "a,b\n1,2\n");
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), 0);
    assert_string_equal(s->md5, "e5ebd4c02cefbe7955977c67ada242b7");
    assert_int_equal(s->rows, 1);
    source_schema_free(s);
    tu_remove(path);

    /* x numeric with NaN and empties; y has inf (not finite: categorical); z all missing
     * (numeric, nothing contradicts it); w text */
    path = tu_temp(".csv", "x,y,z,w\n1e3,1,,a\nNaN,inf,,b\n-0.5,2,NaN,c\n,3,,\n");
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), 0);
    assert_int_equal(s->ncols, 4);
    assert_int_equal(s->cols[0].type, COL_NUMERIC);
    assert_int_equal(s->cols[0].values, 2);
    assert_int_equal(s->cols[1].type, COL_CATEGORICAL);
    assert_int_equal(s->cols[2].type, COL_NUMERIC);
    assert_int_equal(s->cols[2].values, 0);
    assert_int_equal(s->cols[3].type, COL_CATEGORICAL);
    assert_int_equal(s->rows, 4);
    source_schema_free(s);
    tu_remove(path);
}

static void test_bad_rows_are_reported_with_their_line_and_skipped(void **state)
{
    /* line 3-4 hold one record with an embedded newline; line 5 has too few fields; line 6 too many */
    char *path = tu_temp(".csv", "a,b,c\n1,2,3\n4,\"x\ny\",6\n7,8\n9,10,11,12\n13,14,15\n");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->rows, 3);
    assert_int_equal(s->bad_rows, 2);
    assert_int_equal(m.n, 2);
    char want[600];
    snprintf(want, sizeof want, "%s:5: expected 3 fields (as in the header), found 2", path);
    assert_non_null(strstr(m.text[0], want));
    snprintf(want, sizeof want, "%s:6: expected 3 fields (as in the header), found 4", path);
    assert_non_null(strstr(m.text[1], want));
    source_schema_free(s);

    o.strict = 1;
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:5: expected 3 fields", path);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "--strict"));
    tu_remove(path);
}

static void test_header_problems_are_fatal(void **state)
{
    struct source_schema *s = NULL;
    char err[512], want[600];
    char *path = tu_temp(".csv", "a,b,a\n1,2,3\n");
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:1: duplicate column name 'a' (columns 1 and 3)", path);
    assert_string_equal(err, want);
    tu_remove(path);

    path = tu_temp(".csv", "a,,c\n1,2,3\n");
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: column 2 of the header has an empty name"));
    tu_remove(path);

    path = tu_temp(".csv", "");
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty file"));
    tu_remove(path);

    /* header only: not an error for the reader (0 rows); baseline_build refuses it */
    path = tu_temp(".csv", "a,b\r\n");
    assert_int_equal(source_infer(path, NULL, &s, err, sizeof err), 0);
    assert_int_equal(s->rows, 0);
    assert_int_equal(s->ncols, 2);
    source_schema_free(s);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    struct profile *p = NULL;
    assert_int_equal(baseline_build(&bo, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "no data rows"));
    tu_remove(path);
}

static void test_jsonl_bad_lines_and_sample_objects(void **state)
{
    char *path = tu_temp(".jsonl", "{\"features\": {\"a\": 1, \"c\": \"x\"}, \"prediction\": 0.5, \"label\": 1}\n"
                                   "{\"a\": 2, oops}\n"
                                   "[1, 2]\n"
                                   "\n"
                                   "{\"features\": {\"a\": null, \"c\": \"y\"}, \"prediction\": 0.7}\n");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512], want[600];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->format, SOURCE_JSONL);
    assert_int_equal(s->rows, 2);
    assert_int_equal(s->bad_rows, 2);
    snprintf(want, sizeof want, "%s:2:", path);
    assert_non_null(strstr(m.text[0], want));
    assert_non_null(strstr(m.text[0], "invalid JSON"));
    snprintf(want, sizeof want, "%s:3: $: a sample must be a JSON object", path);
    assert_non_null(strstr(m.text[1], want));
    assert_int_equal(s->ncols, 4);
    assert_string_equal(s->cols[0].name, "a");
    assert_string_equal(s->cols[1].name, "c");
    assert_int_equal(s->cols[1].type, COL_CATEGORICAL);
    assert_string_equal(s->cols[2].name, "prediction");
    assert_int_equal(s->cols[2].role, ROLE_PREDICTION);
    assert_string_equal(s->cols[3].name, "label");
    assert_int_equal(s->cols[3].role, ROLE_TARGET);
    source_schema_free(s);
    tu_remove(path);
}

static void test_json_array_batches(void **state)
{
    char *path = tu_temp(".json", "  [{\"a\": 1, \"c\": \"x\"}, 7, {\"features\": {\"a\": 2.5}, \"prediction\": 1}]");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512], want[600];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->format, SOURCE_JSON_ARRAY);
    assert_int_equal(s->rows, 2);
    assert_int_equal(s->bad_rows, 1);
    snprintf(want, sizeof want, "%s:1: $[1]: a sample must be a JSON object", path);
    assert_non_null(strstr(m.text[0], want));
    assert_int_equal(s->ncols, 3); /* a, c, prediction */
    source_schema_free(s);
    struct columns *t = columns_new(NULL);
    columns_add(t, "a", COL_NUMERIC, ROLE_FEATURE);
    struct source_stats st;
    assert_int_equal(source_read(path, NULL, t, &st, err, sizeof err), 0);
    assert_int_equal(st.rows, 2);
    assert_int_equal(t->cols[0].count, 2);
    columns_free(t);
    tu_remove(path);
}

static char *make_csv(int rows)
{
    size_t cap = (size_t)rows * 40 + 64;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap, "id,x,color,y\n");
    for (int i = 1; i <= rows; i++)
        n += (size_t)snprintf(text + n, cap - n, "%d,%d,%s,%s\n", i, i, i % 3 ? "red" : "blue",
                              i % 4 ? "1.5" : "");
    char *path = tu_temp(".csv", text);
    free(text);
    return path;
}

static void test_profile_round_trip(void **state)
{
    char *path = make_csv(5);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    const char *excl[] = {"id"};
    bo.exclude = excl;
    bo.nexclude = 1;
    bo.target = "y";
    json_t *dv = json_pack("{s:s, s:s}", "md5", "abc", "rev", "deadbeef");
    bo.data_version = dv;
    struct profile *p = NULL;
    char err[512];
    assert_int_equal(baseline_build(&bo, &p, err, sizeof err), 0);
    json_decref(dv);
    assert_int_equal(p->nfeatures, 3);
    const struct profile_feature *x = &p->features[0];
    assert_string_equal(x->name, "x");
    assert_int_equal(x->count, 5);
    /* 1..5: mean 3, population std sqrt(2) */
    assert_true(fabs(x->mean - 3.0) < 1e-15);
    assert_true(fabs(x->std - sqrt(2.0)) < 1e-15);
    assert_int_equal(x->nsample, 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(x->sample[i] == (double)(i + 1));
    const struct profile_feature *color = &p->features[1];
    assert_int_equal(color->type, COL_CATEGORICAL);
    assert_int_equal(color->ncats, 2);
    assert_string_equal(color->cats[0].value, "red"); /* 1,2,4,5 */
    assert_int_equal(color->cats[0].count, 4);
    const struct profile_feature *y = &p->features[2];
    assert_int_equal(y->role, ROLE_TARGET);
    assert_int_equal(y->missing, 1); /* row 4 */

    char *out = tu_temp(".json", "");
    assert_int_equal(profile_write(p, out, err, sizeof err), 0);
    struct profile *q = NULL;
    assert_int_equal(profile_load(out, &q, err, sizeof err), 0);
    assert_int_equal(q->nfeatures, p->nfeatures);
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *a = &p->features[i], *b = &q->features[i];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->role, b->role);
        assert_int_equal(a->count, b->count);
        assert_int_equal(a->missing, b->missing);
        assert_int_equal(a->nsample, b->nsample);
        if (a->nsample)
            assert_memory_equal(a->sample, b->sample, a->nsample * sizeof *a->sample);
        assert_true((isnan(a->mean) && isnan(b->mean)) || a->mean == b->mean);
        assert_true((isnan(a->std) && isnan(b->std)) || a->std == b->std);
        assert_int_equal(a->ncats, b->ncats);
        for (size_t k = 0; k < a->ncats; k++) {
            assert_string_equal(a->cats[k].value, b->cats[k].value);
            assert_int_equal(a->cats[k].count, b->cats[k].count);
        }
    }
    assert_string_equal(json_string_value(json_object_get(json_object_get(q->source, "data_version"), "rev")),
                        "deadbeef");
    assert_int_equal(json_integer_value(json_object_get(q->source, "rows")), 5);
    assert_int_equal(profile_set_data_version(q, NULL), 0);
    assert_true(json_is_null(json_object_get(q->source, "data_version")));
    profile_free(q);
    profile_free(p);
    tu_remove(out);
    tu_remove(path);
}

static void test_reservoir_bounds_the_sample_and_follows_the_seed(void **state)
{
    char *path = make_csv(20000);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    bo.sample_size = 1000;
    struct profile *a = NULL, *b = NULL, *c = NULL;
    char err[512];
    assert_int_equal(baseline_build(&bo, &a, err, sizeof err), 0);
    assert_int_equal(baseline_build(&bo, &b, err, sizeof err), 0);
    bo.seed = 7;
    assert_int_equal(baseline_build(&bo, &c, err, sizeof err), 0);
    const struct profile_feature *fa = &a->features[1], *fb = &b->features[1], *fc = &c->features[1];
    assert_int_equal(fa->count, 20000);
    assert_int_equal(fa->nsample, 1000);
    /* exact moments come from every value, not the sample: mean of 1..20000 */
    assert_true(fabs(fa->mean - 10000.5) < 1e-9);
    assert_true(fa->min == 1 && fa->max == 20000);
    assert_memory_equal(fa->sample, fb->sample, 1000 * sizeof(double));
    assert_memory_not_equal(fa->sample, fc->sample, 1000 * sizeof(double));
    for (size_t i = 1; i < fa->nsample; i++)
        assert_true(fa->sample[i] > fa->sample[i - 1]); /* sorted, and distinct rows stay distinct */
    profile_free(a);
    profile_free(b);
    profile_free(c);
    tu_remove(path);
}

static void test_baseline_unknown_column_names_are_errors(void **state)
{
    char *path = make_csv(3);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    const char *cats[] = {"nope"};
    bo.categorical = cats;
    bo.ncategorical = 1;
    struct profile *p = NULL;
    char err[512];
    assert_int_equal(baseline_build(&bo, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "--categorical: no column 'nope' in"));
    tu_remove(path);
}

/* Loader messages name the file and the JSON path of the problem. */
static void expect_load_error(const char *json, const char *want)
{
    char *path = tu_temp(".json", json);
    struct profile *p = NULL;
    char err[512];
    assert_int_equal(profile_load(path, &p, err, sizeof err), -1);
    assert_null(p);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
    assert_non_null(strstr(err, path));
    tu_remove(path);
}

/* Rows of plain numbers are read by the loader's fast path, a row with a null by jansson: both
 * land in the row-major values in file order (values by hand from the text). */
static void test_profile_row_sample_rows_of_both_paths(void **state)
{
    char *path = tu_temp(".json",
                         "{\"driftwatch_profile\": 2, \"features\": ["
                         "{\"name\": \"a\", \"type\": \"numeric\", \"count\": 3, \"missing\": 0, \"sample\": [1, 2, 3]},"
                         "{\"name\": \"b\", \"type\": \"numeric\", \"count\": 2, \"missing\": 1, \"sample\": [3, 4]}],"
                         " \"row_sample\": {\"features\": [\"a\", \"b\"], \"rows\": [[1.5, -2e-1], [2, null], [ 3 , 4E1 ]]}}");
    struct profile *p = NULL;
    char err[512];
    assert_int_equal(profile_load(path, &p, err, sizeof err), 0);
    assert_int_equal(p->rows_sample.nrows, 3);
    assert_int_equal(p->rows_sample.nfeatures, 2);
    const double *v = p->rows_sample.values;
    assert_true(v[0] == 1.5 && v[1] == -0.2 && v[2] == 2 && isnan(v[3]) && v[4] == 3 && v[5] == 40);
    profile_free(p);
    tu_remove(path);
}

static void test_profile_loader_validation_messages(void **state)
{
    expect_load_error("{\"driftwatch_profile\": 3, \"features\": []}",
                      ": driftwatch_profile: unsupported version 3 (this driftwatch reads versions 1 to 2");
    /* the row sample of version 2 (docs/statistics.md) */
    expect_load_error("{\"driftwatch_profile\": 2, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", \"count\": 1, "
                      "\"missing\": 0, \"sample\": [1]}], \"row_sample\": {\"features\": [\"b\"], \"rows\": []}}",
                      ": row_sample.features[0]: 'b' is not a numeric feature of the profile");
    expect_load_error("{\"driftwatch_profile\": 2, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", \"count\": 1, "
                      "\"missing\": 0, \"sample\": [1]}], \"row_sample\": {\"features\": [\"a\"], \"rows\": [[1], [2, 3]]}}",
                      ": row_sample.rows[1]: expected an array of 1 values");
    expect_load_error("{\"driftwatch_profile\": 2, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", \"count\": 1, "
                      "\"missing\": 0, \"sample\": [1]}], \"row_sample\": {\"features\": [\"a\"], \"rows\": [[\"x\"]]}}",
                      ": row_sample.rows[0][0]: expected a finite number or null");
    expect_load_error("{\"driftwatch_profile\": 2, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", \"count\": 1, "
                      "\"missing\": 0, \"sample\": [1]}], \"row_sample\": {\"features\": [\"a\"], \"rows\": [[1], []]}}",
                      ": row_sample.rows[1]: expected an array of 1 values");
    expect_load_error("{\"driftwatch_profile\": 2, \"features\": [], \"row_sample\": []}",
                      ": row_sample: expected an object");
    expect_load_error("{\"features\": []}", ": driftwatch_profile: missing");
    expect_load_error("{\"driftwatch_profile\": 1}", ": features: missing");
    expect_load_error("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", "
                      "\"count\": 3, \"missing\": 0, \"sample\": [1, 3, 2]}]}",
                      ": features[0].sample[2]: not sorted ascending");
    expect_load_error("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"a\", \"type\": \"text\", "
                      "\"count\": 3, \"missing\": 0}]}",
                      ": features[0].type: unknown type 'text'");
    expect_load_error("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"a\", \"type\": \"categorical\", "
                      "\"count\": 3, \"missing\": 0, \"categories\": {\"x\": -1}}]}",
                      ": features[0].categories[\"x\"]: expected a non-negative integer count");
    expect_load_error("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", "
                      "\"missing\": 0, \"sample\": []}]}",
                      ": features[0].count: missing");
    expect_load_error("{\"driftwatch_profile\": 1,\n \"features\": [,]}", ":2:");
    /* the sample fast path hands anything but plain numbers to the ordinary validation */
    expect_load_error("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"a\", \"type\": \"numeric\", "
                      "\"count\": 3, \"missing\": 0, \"sample\": [1, \"x\", 3]}]}",
                      ": features[0].sample[1]: not a finite number");
}

static void test_profile_loader_sample_fast_path(void **state)
{
    /* odd spacing, an exponent, a "sample" key elsewhere that must stay as it is, two features */
    const char *json = "{\"driftwatch_profile\": 1, \"source\": {\"sample\": [9, 8]}, \"features\": [\n"
                       " {\"name\": \"c\", \"type\": \"categorical\", \"count\": 1, \"missing\": 0, "
                       "\"categories\": {\"sample\": 1}},\n"
                       " {\"sample\" : [ -1.5 ,\n2,\t3e0 ], \"name\": \"a\", \"type\": \"numeric\", \"count\": 4, "
                       "\"missing\": 0},\n"
                       " {\"name\": \"b\", \"type\": \"numeric\", \"count\": 0, \"missing\": 2, \"sample\": []}]}";
    char *path = tu_temp(".json", json);
    struct profile *p = NULL;
    char err[512];
    assert_int_equal(profile_load(path, &p, err, sizeof err), 0);
    assert_int_equal(p->nfeatures, 3);
    assert_int_equal(p->features[1].nsample, 3);
    assert_true(p->features[1].sample[0] == -1.5 && p->features[1].sample[1] == 2 && p->features[1].sample[2] == 3);
    assert_int_equal(p->features[2].nsample, 0);
    assert_int_equal(json_array_size(json_object_get(p->source, "sample")), 2);
    assert_int_equal(p->features[0].cats[0].count, 1);
    profile_free(p);
    tu_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer_types_missing_and_md5),
        cmocka_unit_test(test_bad_rows_are_reported_with_their_line_and_skipped),
        cmocka_unit_test(test_header_problems_are_fatal),
        cmocka_unit_test(test_jsonl_bad_lines_and_sample_objects),
        cmocka_unit_test(test_json_array_batches),
        cmocka_unit_test(test_profile_round_trip),
        cmocka_unit_test(test_reservoir_bounds_the_sample_and_follows_the_seed),
        cmocka_unit_test(test_baseline_unknown_column_names_are_errors),
        cmocka_unit_test(test_profile_loader_validation_messages),
        cmocka_unit_test(test_profile_row_sample_rows_of_both_paths),
        cmocka_unit_test(test_profile_loader_sample_fast_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
