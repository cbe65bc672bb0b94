/* Tests for ingest body parsing: arrays, single objects, NDJSON, and rejections that name the
 * NDJSON line or the JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ingest.h"

static int count_fn(void *ctx, json_t *sample, const char *text, size_t len)
{
    (*(int *)ctx)++;
    return 0;
}

static struct ingest_stats parse(const char *body, int *seen, int *rc)
{
    struct ingest_stats st;
    *seen = 0;
    *rc = ingest_parse(body, strlen(body), count_fn, seen, &st);
    return st;
}

static void test_ingest_array_object_and_ndjson(void **state)
{
    int seen, rc;
    struct ingest_stats st = parse("[{\"a\": 1}, {\"features\": {\"a\": 2}, \"prediction\": 0.3}]", &seen, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(seen, 2);
    st = parse("{\"a\": 1, \"b\": \"x\"}", &seen, &rc);
    assert_int_equal(st.accepted, 1);
    st = parse("{\"a\": 1}\n{\"a\": 2}\r\n\n{\"a\": 3}\n", &seen, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(st.accepted, 3);
    assert_int_equal(st.rejected, 0);
}

static void test_ingest_ndjson_bad_line_is_named_and_others_kept(void **state)
{
    int seen, rc;
    struct ingest_stats st = parse("{\"a\": 1}\n{\"a\": }\n{\"a\": 3}\n", &seen, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.rejected, 1);
    assert_true(strncmp(st.first_error, "line 2, column ", 15) == 0);
    st = parse("{\"a\": }\n{\"a\": 3}\n", &seen, &rc); /* even when the first line is the bad one */
    assert_int_equal(st.accepted, 1);
    assert_true(strncmp(st.first_error, "line 1, column ", 15) == 0);
}

/* Fuzz finding: a line with text after its object was accepted and journaled with the garbage. */
static void test_ingest_ndjson_line_with_text_after_the_object_is_rejected(void **state)
{
    int seen, rc;
    struct ingest_stats st = parse("{\"a\": 1}\n{\"a\": 2}, \"b\": 3}\n{\"a\": 3} \n", &seen, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.rejected, 1);
    assert_true(strncmp(st.first_error, "line 2, column ", 15) == 0);
    assert_non_null(strstr(st.first_error, "end of file expected"));
}

/* Fuzz finding: jansson skips a NUL byte between tokens, so the line was accepted while the text
 * kept for the window ended at the NUL. The NUL follows `{"a": {"x": 1.5`, 15 bytes: column 16. */
static void test_ingest_nul_byte_is_not_json(void **state)
{
    int seen = 0, rc;
    static const char nd[] = "{\"a\": 1}\n{\"a\": {\"x\": 1.5\0, \"b\": 2}}\n{\"a\": 3}\n";
    struct ingest_stats st;
    rc = ingest_parse(nd, sizeof nd - 1, count_fn, &seen, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.rejected, 1);
    assert_string_equal(st.first_error, "line 2, column 16: a NUL byte is not allowed in JSON");
    static const char one[] = "{\"a\": {\"x\": 1.5\0, \"b\": 2}}";
    seen = 0;
    rc = ingest_parse(one, sizeof one - 1, count_fn, &seen, &st);
    assert_int_equal(rc, -1);
    assert_int_equal(seen, 0);
    assert_string_equal(st.first_error, "line 1, column 16: a NUL byte is not allowed in JSON");
}

static void test_ingest_array_rejections_name_the_json_path(void **state)
{
    int seen, rc;
    struct ingest_stats st = parse("[{\"a\": 1}, 7, {\"features\": [1]}, {\"features\": {\"x\": {\"y\": 1}}}]", &seen, &rc);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.rejected, 3);
    assert_string_equal(st.first_error, "$[1]: a sample must be a JSON object");
    st = parse("[{\"features\": {\"x\": {\"y\": 1}}}]", &seen, &rc);
    assert_string_equal(st.first_error, "$[0].features.x: a feature value must be a number, string, boolean or null");
    st = parse("[{}]", &seen, &rc);
    assert_string_equal(st.first_error, "$[0]: no feature values");
}

static void test_ingest_not_json_at_all(void **state)
{
    int seen, rc;
    struct ingest_stats st = parse("this is not json", &seen, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(seen, 0);
    assert_true(strncmp(st.first_error, "line 1, column ", 15) == 0);
    /* Counted as one rejected sample, so that callers answer "bad input", not "retry later". */
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.accepted, 0);
    /* A key twice is not JSON for the core (JSON_REJECT_DUPLICATES). */
    st = parse("{\"a\": 1, \"a\": 2}", &seen, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(seen, 0);
    assert_true(strstr(st.first_error, "duplicate object key") != NULL);
}

static int stop_after_one(void *ctx, json_t *sample, const char *text, size_t len)
{
    (*(int *)ctx)++;
    return 1;
}

static int check_line_text(void *ctx, json_t *sample, const char *text, size_t len)
{
    const char **expected = ctx;
    assert_non_null(text);
    assert_int_equal(len, strcspn(*expected, "\n"));
    assert_memory_equal(text, *expected, len);
    (*expected) += len + 1; /* the next line */
    return 0;
}

static void test_ingest_ndjson_hands_over_each_line_text(void **state)
{
    const char *body = "{\"a\": 1}\n{\"b\":  \"x\" }\n";
    const char *cursor = body;
    struct ingest_stats st;
    ingest_parse(body, strlen(body), check_line_text, &cursor, &st);
    assert_int_equal(st.accepted, 2);
}

static void test_ingest_callback_can_stop_the_walk(void **state)
{
    int seen = 0;
    struct ingest_stats st;
    const char *body = "[{\"a\": 1}, {\"a\": 2}]";
    ingest_parse(body, strlen(body), stop_after_one, &seen, &st);
    assert_int_equal(seen, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_array_object_and_ndjson),
        cmocka_unit_test(test_ingest_ndjson_bad_line_is_named_and_others_kept),
        cmocka_unit_test(test_ingest_ndjson_line_with_text_after_the_object_is_rejected),
        cmocka_unit_test(test_ingest_nul_byte_is_not_json),
        cmocka_unit_test(test_ingest_array_rejections_name_the_json_path),
        cmocka_unit_test(test_ingest_not_json_at_all),
        cmocka_unit_test(test_ingest_callback_can_stop_the_walk),
        cmocka_unit_test(test_ingest_ndjson_hands_over_each_line_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
