/* JSON data files through the sample reader (core/data/source.c on core/sample): the agent's
 * messages with file:line:column or JSON path, the sample rules where they are stricter than the
 * former jansson reader and documented (container values, a bad nested timestamp), an empty object
 * as a row of missing values (never refused before, nor documented as refused), the inference's
 * columns and roles, and the read pass agreeing with the inference on rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

static void assert_message(const struct messages *m, int i, const char *path, const char *rest)
{
    char want[700];
    snprintf(want, sizeof want, "%s%s", path, rest);
    assert_true(i < m->n);
    assert_string_equal(m->text[i], want);
}

static void test_jsonl_messages_name_line_column_and_json_path(void **state)
{
    char *path = tu_temp(".jsonl", "{\"a\": 1}\n"
                                   "{\"a\": 2, oops}\n"
                                   "   {\"a\": 1, \"a\": 2}\n"
                                   "{\"a\": [1]}\n"
                                   "{\"features\": {\"a\": 3}, \"timestamp\": \"yesterday\"}\n"
                                   "\t \n"
                                   "{\"features\": {\"a\": {\"b\": 1}}}\n"
                                   "7\n");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->rows, 1);
    assert_int_equal(s->bad_rows, 6); /* the blank line is no row at all */
    assert_message(&m, 0, path, ":2:10: invalid JSON: expected a string as object key; line skipped");
    assert_message(&m, 1, path, ":3:13: invalid JSON: duplicate object key \"a\"; line skipped");
    assert_message(&m, 2, path,
                   ":4: $.a: a feature value must be a number, string, boolean or null (in a flat sample every key "
                   "is a feature; use {\"features\": {...}, \"prediction\": ...} for more); line skipped");
    assert_message(&m, 3, path,
                   ":5: $.timestamp: 'timestamp' must be an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\"; "
                   "line skipped");
    assert_message(&m, 4, path,
                   ":7: $.features.a: a feature value must be a number, string, boolean or null; line skipped");
    assert_message(&m, 5, path,
                   ":8: $: a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat "
                   "features); line skipped");
    source_schema_free(s);

    /* the read pass skips the same rows; under --strict the first one is fatal */
    struct columns *t = columns_new(NULL);
    assert_int_equal(columns_add(t, "a", COL_NUMERIC, ROLE_FEATURE), 0);
    struct source_stats st;
    assert_int_equal(source_read(path, NULL, t, &st, err, sizeof err), 0);
    assert_int_equal(st.rows, 1);
    assert_int_equal(st.bad_rows, 6);
    assert_int_equal(t->cols[0].count, 1);
    columns_free(t);
    o.strict = 1;
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:2:10: invalid JSON: expected a string as object key; line skipped (fatal with --strict)",
             path);
    assert_string_equal(err, want);
    tu_remove(path);
}

static void test_empty_objects_are_rows_of_missing_values(void **state)
{
    /* {} and "features": {} are refused by the agent; a data file reads them as rows (as before) */
    char *path = tu_temp(".jsonl", "{\"a\": 1}\n{}\n{\"features\": {}, \"label\": 0}\n"
                                   "{\"features\": {}, \"timestamp\": 5}\n");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->rows, 3);
    assert_int_equal(s->bad_rows, 1); /* an empty sample with another problem is still refused */
    assert_message(&m, 0, path,
                   ":4: $.features: 'features' is empty; line skipped");
    assert_int_equal(s->ncols, 2);
    assert_string_equal(s->cols[1].name, "label");
    assert_int_equal(s->cols[1].role, ROLE_TARGET);
    source_schema_free(s);
    struct columns *t = columns_new(NULL);
    assert_int_equal(columns_add(t, "a", COL_NUMERIC, ROLE_FEATURE), 0);
    struct source_stats st;
    assert_int_equal(source_read(path, NULL, t, &st, err, sizeof err), 0);
    assert_int_equal(st.rows, 3);
    assert_int_equal(t->cols[0].count, 1);
    assert_int_equal(t->cols[0].missing, 2);
    assert_int_equal(t->cols[0].absent, 2);
    columns_free(t);
    tu_remove(path);
}

static void test_inference_columns_roles_and_types(void **state)
{
    /* flat rows: every key a column, the envelope's too; samples: features, then the prediction
     * (a class from a prediction object) and the label under the names asked for */
    char *path = tu_temp(".jsonl",
                         "{\"x\": 1, \"timestamp\": \"2026-01-01T00:00:00Z\", \"prediction\": 0.5}\n"
                         "{\"features\": {\"x\": \"2\", \"k\": true, \"\": 4}, \"prediction\": {\"label\": \"cat\", "
                         "\"score\": 0.9}, \"label\": \"dog\", \"request_id\": \"r1\"}\n"
                         "{\"features\": {\"x\": 3, \"k\": null}, \"prediction\": [1], \"score\": 0.1}\n");
    struct source_options o = {.prediction_name = "pred", .target_name = "y"};
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->rows, 3);
    const char *names[] = {"x", "timestamp", "prediction", "k", "pred", "y"};
    const enum col_type types[] = {COL_NUMERIC, COL_CATEGORICAL, COL_NUMERIC, COL_CATEGORICAL, COL_CATEGORICAL,
                                   COL_CATEGORICAL};
    const enum col_role roles[] = {ROLE_FEATURE, ROLE_FEATURE, ROLE_FEATURE, ROLE_FEATURE, ROLE_PREDICTION,
                                   ROLE_TARGET};
    const uint64_t values[] = {3, 1, 1, 1, 1, 1};
    assert_int_equal(s->ncols, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s->cols[i].name, names[i]);
        assert_int_equal(s->cols[i].type, types[i]);
        assert_int_equal(s->cols[i].role, roles[i]);
        assert_int_equal(s->cols[i].values, values[i]);
    }
    source_schema_free(s);
    tu_remove(path);
}

static void test_read_reports_every_unknown_column_and_the_window(void **state)
{
    /* more unknown keys than the agent's per-sample hint keeps (16), one longer than its 256 bytes */
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "{\"a\": 1");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, ", \"u%d\": %d", i, i);
    n += (size_t)snprintf(text + n, sizeof text - n, ", \"%0300d\": 1, \"timestamp\": \"2026-02-01T00:00:00Z\"}\n", 7);
    snprintf(text + n, sizeof text - n,
             "{\"features\": {\"a\": 2}, \"prediction\": 1, \"timestamp\": \"2026-01-01T00:00:00Z\"}\n");
    char *path = tu_temp(".jsonl", text);
    struct columns *t = columns_new(NULL);
    assert_int_equal(columns_add(t, "a", COL_NUMERIC, ROLE_FEATURE), 0);
    assert_int_equal(columns_add(t, "prediction", COL_NUMERIC, ROLE_PREDICTION), 1);
    struct source_stats st;
    char err[512];
    assert_int_equal(source_read(path, NULL, t, &st, err, sizeof err), 0);
    assert_int_equal(st.rows, 2);
    assert_int_equal(t->cols[0].count, 2);
    assert_int_equal(t->cols[1].count, 1);
    assert_non_null(t->unknown_names);
    assert_int_equal(catmap_size(t->unknown_names), 21); /* "timestamp" of a flat sample is the envelope's */
    assert_string_equal(t->ts_from, "2026-01-01T00:00:00Z");
    assert_string_equal(t->ts_to, "2026-02-01T00:00:00Z");
    columns_free(t);
    tu_remove(path);
}

static void test_json_array_elements_and_syntax_errors(void **state)
{
    char *path = tu_temp(".json", "[{\"a\": 1},\n 7,\n {\"features\": {\"a\": \"x\"}}, {}]");
    struct messages m = {0};
    struct source_options o = {.on_bad_row = collect, .ud = &m};
    struct source_schema *s = NULL;
    char err[512];
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->format, SOURCE_JSON_ARRAY);
    assert_int_equal(s->rows, 3);
    assert_int_equal(s->bad_rows, 1);
    assert_message(&m, 0, path,
                   ":2: $[1]: a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat "
                   "features); element skipped");
    assert_int_equal(s->ncols, 1);
    assert_int_equal(s->cols[0].type, COL_CATEGORICAL);
    assert_int_equal(s->bytes, strlen("[{\"a\": 1},\n 7,\n {\"features\": {\"a\": \"x\"}}, {}]"));
    source_schema_free(s);
    tu_remove(path);

    /* not JSON: fatal, named by line and column, nothing read */
    path = tu_temp(".json", "[{\"a\": 1},\n {\"a\"");
    assert_int_equal(source_infer(path, &o, &s, err, sizeof err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:2:6: invalid JSON: expected ':' after an object key", path);
    assert_string_equal(err, want);
    struct columns *t = columns_new(NULL);
    assert_int_equal(source_read(path, NULL, t, NULL, err, sizeof err), -1);
    assert_string_equal(err, want);
    columns_free(t);
    tu_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_messages_name_line_column_and_json_path),
        cmocka_unit_test(test_empty_objects_are_rows_of_missing_values),
        cmocka_unit_test(test_inference_columns_roles_and_types),
        cmocka_unit_test(test_read_reports_every_unknown_column_and_the_window),
        cmocka_unit_test(test_json_array_elements_and_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
