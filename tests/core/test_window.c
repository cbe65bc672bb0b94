/* Tests for the columnar window: tumbling refuses when full, sliding drops the oldest, replace,
 * and above all that a check's table built from the window's cells equals the one jansson and
 * the core's former reading (tests/fuzz/jansson_reference.c) builds from the same sample texts (the reference the window replaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jansson_reference.h"
#include "state/window.h"

/* num (numeric), cat (categorical), score (the prediction's column), y (the label's column). */
static struct columns *make_columns(void)
{
    struct columns *t = columns_new(NULL);
    assert_non_null(t);
    assert_int_equal(columns_add(t, "num", COL_NUMERIC, ROLE_FEATURE), 0);
    assert_int_equal(columns_add(t, "cat", COL_CATEGORICAL, ROLE_FEATURE), 1);
    assert_int_equal(columns_add(t, "score", COL_NUMERIC, ROLE_PREDICTION), 2);
    assert_int_equal(columns_add(t, "y", COL_CATEGORICAL, ROLE_TARGET), 3);
    assert_int_equal(columns_set_roles(t, "score", "y"), 0);
    return t;
}

struct fixture {
    struct columns *schema_cols;
    struct row_schema schema;
    struct sample_row row;
    struct window w;
};

static void fixture_open(struct fixture *f, size_t max_items, int sliding)
{
    f->schema_cols = make_columns();
    columns_row_schema(&f->schema, f->schema_cols);
    assert_int_equal(sample_row_init(&f->row, f->schema_cols->ncols), 0);
    assert_int_equal(window_init(&f->w, &f->schema, max_items, sliding), 0);
}

static void fixture_close(struct fixture *f)
{
    window_free(&f->w);
    sample_row_free(&f->row);
    columns_free(f->schema_cols);
}

static int append_text(struct fixture *f, const char *text)
{
    char why[192];
    assert_int_equal(sample_row_parse(&f->schema, text, strlen(text), &f->row, why, sizeof why), 0);
    return window_append(&f->w, &f->row);
}

static struct columns *table_of(struct fixture *f, int consume)
{
    struct columns *t = make_columns();
    assert_int_equal(window_fill_columns(&f->w, t, consume), 0);
    return t;
}

/* The reference: jansson + ref_add_row, as the check did before the window held cells. */
static struct columns *reference_table(const char *const *texts, size_t n)
{
    struct columns *t = make_columns();
    for (size_t i = 0; i < n; i++) {
        json_t *obj = json_loads(texts[i], JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(obj);
        assert_int_equal(ref_add_row(t, obj), 0);
        json_decref(obj);
    }
    return t;
}

static void assert_same_double(double a, double b)
{
    if (isnan(a) && isnan(b))
        return;
    assert_memory_equal(&a, &b, sizeof a);
}

static void assert_tables_equal(const struct columns *a, const struct columns *b)
{
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->ncols, b->ncols);
    for (size_t i = 0; i < a->ncols; i++) {
        const struct column *x = &a->cols[i], *y = &b->cols[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->missing, y->missing);
        assert_int_equal(x->absent, y->absent);
        assert_int_equal(x->invalid, y->invalid);
        assert_int_equal(x->count, y->count);
        if (x->type == COL_NUMERIC) {
            assert_int_equal(x->nvalues, y->nvalues);
            for (size_t k = 0; k < x->nvalues; k++)
                assert_same_double(x->values[k], y->values[k]);
            assert_same_double(x->mean, y->mean);
            assert_same_double(x->m2, y->m2);
            assert_same_double(x->min, y->min);
            assert_same_double(x->max, y->max);
        } else {
            assert_int_equal(catmap_size(x->cats), catmap_size(y->cats));
            for (size_t k = 0; k < catmap_size(x->cats); k++) {
                size_t lx, ly;
                const char *kx = catmap_key(x->cats, k, &lx), *ky = catmap_key(y->cats, k, &ly);
                assert_int_equal(lx, ly);
                assert_memory_equal(kx, ky, lx);
                assert_int_equal(catmap_count(x->cats, k), catmap_count(y->cats, k));
            }
        }
    }
    assert_true((a->ts_from == NULL) == (b->ts_from == NULL));
    if (a->ts_from) {
        assert_string_equal(a->ts_from, b->ts_from);
        assert_string_equal(a->ts_to, b->ts_to);
    }
}

/* Every kind of value in every kind of column, nested and flat samples, roles, timestamps. */
static const char *const samples[] = {
    ("{\"features\": {\"num\": 1.5, \"cat\": \"a\"}, \"prediction\": 0.25, \"label\": \"yes\", "
     "\"timestamp\": \"2024-05-01T12:00:00Z\"}"),
    "{\"features\": {\"num\": \"2.5\", \"cat\": 7}, \"prediction\": [0.1, 0.9], \"label\": 1}",
    "{\"features\": {\"num\": \"abc\", \"cat\": 2.50}, \"prediction\": \"0.5\", \"timestamp\": \"2024-04-30T23:59:59Z\"}",
    "{\"features\": {\"num\": \"NaN\", \"cat\": true, \"score\": 0.75}, \"prediction\": 0.1}",
    "{\"features\": {\"num\": null, \"cat\": \"\"}, \"label\": false}",
    "{\"features\": {\"num\": true, \"cat\": \"caf\\u00e9 \\\"x\\\"\"}, \"timestamp\": null}",
    "{\"num\": -0.0, \"cat\": \"b\", \"score\": 3, \"y\": \"no\", \"timestamp\": \"2024-05-02T00:00:00Z\"}",
    "{\"num\": 12345678901234567, \"cat\": false, \"prediction\": 9, \"label\": {\"k\": 1}}",
    "{\"num\": 1e300, \"cat\": -4, \"unknown\": [1, {\"a\": \"}\"}], \"score\": \"nan\"}",
    "{\"cat\": \"a\", \"y\": [1], \"features\": 3}",
    "{\"prediction\": 1, \"features\": {\"num\": -2, \"cat\": \"a\"}}",
};
#define N_SAMPLES (sizeof samples / sizeof samples[0])

static void test_window_table_equals_the_jansson_reference(void **state)
{
    (void)state;
    for (int consume = 0; consume <= 1; consume++) {
        struct fixture f;
        fixture_open(&f, 100, 0);
        for (size_t i = 0; i < N_SAMPLES; i++)
            assert_int_equal(append_text(&f, samples[i]), 0);
        struct columns *ref = reference_table(samples, N_SAMPLES);
        struct columns *t = table_of(&f, consume);
        assert_tables_equal(t, ref);
        /* spot checks written out by hand: num's usable values are 1.5, 2.5, -0, 1.2345678901234568e16,
         * 1e300, -2 (abc and true are invalid, NaN and null missing, two rows lack it) */
        assert_int_equal(t->cols[0].count, 6);
        assert_int_equal(t->cols[0].invalid, 2);
        assert_int_equal(t->cols[0].missing, 3);
        assert_int_equal(t->cols[0].absent, 1); /* {"cat": "a", "y": [1], "features": 3} (NaN, null: carried) */
        /* keys no column has (docs/statistics.md's unexpected columns): "unknown" of the flat sample; the
         * envelope's keys (prediction, label, timestamp, features) are not counted */
        assert_int_equal(catmap_size(t->unknown_names), 1);
        size_t len;
        assert_string_equal(catmap_key(t->unknown_names, 0, &len), "unknown");
        assert_int_equal(catmap_count(t->unknown_names, 0), 1);
        assert_int_equal(catmap_size(ref->unknown_names), 1);
        assert_string_equal(catmap_key(ref->unknown_names, 0, &len), "unknown");
        assert_string_equal(t->ts_from, "2024-04-30T23:59:59Z");
        assert_string_equal(t->ts_to, "2024-05-02T00:00:00Z");
        columns_free(t);
        columns_free(ref);
        fixture_close(&f);
    }
}

static void test_window_rows_written_back_read_the_same(void **state)
{
    (void)state;
    struct fixture f, g;
    fixture_open(&f, 100, 0);
    fixture_open(&g, 100, 0);
    for (size_t i = 0; i < N_SAMPLES; i++)
        assert_int_equal(append_text(&f, samples[i]), 0);
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < f.w.n; i++) {
        sb.len = 0;
        window_row_json(&f.w, i, &sb);
        assert_false(sb.failed);
        sb.data[sb.len] = '\0';
        assert_int_equal(append_text(&g, sb.data), 0);
    }
    strbuf_free(&sb);
    struct columns *a = table_of(&f, 0), *b = table_of(&g, 0);
    assert_tables_equal(a, b);
    /* -0.0 stays negative zero */
    assert_true(signbit(b->cols[0].values[2]) && b->cols[0].values[2] == 0);
    columns_free(a);
    columns_free(b);
    fixture_close(&f);
    fixture_close(&g);
}

static void test_window_tumbling_refuses_when_full(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 3, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(append_text(&f, "{\"num\": 1}"), 0);
    assert_true(window_full(&f.w));
    assert_int_equal(append_text(&f, "{\"num\": 2}"), -1);
    assert_int_equal(f.w.n, 3);
    window_clear(&f.w);
    assert_int_equal(f.w.n, 0);
    assert_int_equal(append_text(&f, "{\"num\": 2}"), 0);
    fixture_close(&f);
}

static void test_window_sliding_keeps_the_newest(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 3, 1);
    char text[64];
    for (int i = 1; i <= 5; i++) {
        snprintf(text, sizeof text, "{\"num\": %d, \"cat\": \"c%d\"}", i, i);
        assert_int_equal(append_text(&f, text), 0);
    }
    assert_int_equal(f.w.n, 3);
    struct columns *t = table_of(&f, 0);
    assert_int_equal(t->rows, 3);
    assert_int_equal(t->cols[0].nvalues, 3);
    assert_true(t->cols[0].values[0] == 3 && t->cols[0].values[1] == 4 && t->cols[0].values[2] == 5);
    size_t len;
    assert_string_equal(catmap_key(t->cols[1].cats, 0, &len), "c3");
    columns_free(t);
    fixture_close(&f);
}

static void test_window_sliding_texts_stay_bounded(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 10, 1);
    char text[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(text, sizeof text, "{\"cat\": \"id%d\"}", i);
        assert_int_equal(append_text(&f, text), 0);
    }
    /* compacted whenever more than 2 * 10 + 1024 texts are interned */
    assert_true(catmap_size(f.w.texts[1]) <= 2 * 10 + 1024 + 1);
    struct columns *t = table_of(&f, 0);
    size_t len;
    assert_string_equal(catmap_key(t->cols[1].cats, 0, &len), "id19990");
    assert_string_equal(catmap_key(t->cols[1].cats, 9, &len), "id19999");
    columns_free(t);
    fixture_close(&f);
}

static void test_window_grows_and_replaces(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 1000, 0);
    char text[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof text, "{\"num\": %d}", i);
        assert_int_equal(append_text(&f, text), 0);
    }
    char why[64];
    const char *x = "{\"num\": -1, \"timestamp\": \"2024-01-01T00:00:00Z\"}";
    assert_int_equal(sample_row_parse(&f.schema, x, strlen(x), &f.row, why, sizeof why), 0);
    assert_int_equal(window_replace(&f.w, 500, &f.row), 0);
    struct columns *t = table_of(&f, 1);
    assert_int_equal(t->cols[0].nvalues, 1000);
    assert_true(t->cols[0].values[0] == 0 && t->cols[0].values[500] == -1 && t->cols[0].values[999] == 999);
    assert_string_equal(t->ts_from, "2024-01-01T00:00:00Z");
    columns_free(t);
    fixture_close(&f);
}

static void test_window_take_hands_over_and_starts_empty(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 10, 0);
    assert_int_equal(append_text(&f, "{\"num\": 4, \"cat\": \"a\"}"), 0);
    f.w.seen = 5;
    struct window *closed = window_take(&f.w);
    assert_non_null(closed);
    assert_int_equal(closed->n, 1);
    assert_int_equal(f.w.n, 0);
    assert_int_equal(f.w.seen, 0);
    assert_int_equal(append_text(&f, "{\"num\": 5, \"cat\": \"b\"}"), 0);
    struct columns *t = make_columns();
    assert_int_equal(window_fill_columns(closed, t, 1), 0);
    assert_true(t->cols[0].values[0] == 4);
    size_t len;
    assert_string_equal(catmap_key(t->cols[1].cats, 0, &len), "a");
    columns_free(t);
    window_free(closed);
    free(closed);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_table_equals_the_jansson_reference),
        cmocka_unit_test(test_window_rows_written_back_read_the_same),
        cmocka_unit_test(test_window_tumbling_refuses_when_full),
        cmocka_unit_test(test_window_sliding_keeps_the_newest),
        cmocka_unit_test(test_window_sliding_texts_stay_bounded),
        cmocka_unit_test(test_window_grows_and_replaces),
        cmocka_unit_test(test_window_take_hands_over_and_starts_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
