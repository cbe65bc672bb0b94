/* Tests for reading a body as samples (core/sample/sample_batch.h): arrays, single objects, NDJSON,
 * and refusals that name the NDJSON line and column or the JSON path. Columns are counted by hand
 * in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sample/sample_batch.h"

struct seen {
    size_t valid, refused;
    char first[256];   /* sample_item_describe of the first refused item */
    const char *texts[8];
    size_t lens[8];
};

static void collect(void *ctx, const struct sample_item *it)
{
    struct seen *s = ctx;
    if (it->problem) {
        if (!s->refused++)
            sample_item_describe(it, s->first, sizeof s->first);
        return;
    }
    if (s->valid < 8) {
        s->texts[s->valid] = it->text;
        s->lens[s->valid] = it->len;
    }
    s->valid++;
}

static long read_body(const char *body, size_t len, struct seen *s, char *body_error, size_t errlen)
{
    memset(s, 0, sizeof *s);
    struct sample_problem prob;
    long n = sample_read_body(body, len, collect, s, &prob);
    if (n < 0)
        sample_body_describe(body, &prob, body_error, errlen);
    return n;
}

static long read_text(const char *body, struct seen *s, char *body_error)
{
    return read_body(body, strlen(body), s, body_error, 256);
}

static void test_array_object_and_ndjson(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    assert_int_equal(read_text("[{\"a\": 1}, {\"features\": {\"a\": 2}, \"prediction\": 0.3}]", &s, e), 2);
    assert_int_equal(s.valid, 2);
    assert_int_equal(read_text("{\"a\": 1, \"b\": \"x\"}", &s, e), 1);
    assert_int_equal(s.valid, 1);
    assert_int_equal(read_text("{\"a\": 1}\n{\"a\": 2}\r\n\n{\"a\": 3}\n", &s, e), 3);
    assert_int_equal(s.valid, 3);
    assert_int_equal(s.refused, 0);
}

static void test_ndjson_bad_line_is_named_and_others_kept(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    /* line 2 is {"a": } — the value is missing at the 7th byte */
    assert_int_equal(read_text("{\"a\": 1}\n{\"a\": }\n{\"a\": 3}\n", &s, e), 3);
    assert_int_equal(s.valid, 2);
    assert_int_equal(s.refused, 1);
    assert_true(strncmp(s.first, "line 2, column 7: ", 18) == 0);
    /* even when the first line is the bad one; leading blanks count in the column */
    assert_int_equal(read_text("  {\"a\": }\n{\"a\": 3}\n", &s, e), 2);
    assert_int_equal(s.valid, 1);
    assert_true(strncmp(s.first, "line 1, column 9: ", 18) == 0);
}

/* A line with text after its object is refused, not journaled with the garbage. */
static void test_ndjson_line_with_text_after_the_object_is_refused(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    read_text("{\"a\": 1}\n{\"a\": 2}, \"b\": 3}\n{\"a\": 3} \n", &s, e);
    assert_int_equal(s.valid, 2);
    assert_int_equal(s.refused, 1);
    /* {"a": 2} is 8 bytes: the comma is column 9 */
    assert_true(strncmp(s.first, "line 2, column 9: ", 18) == 0);
}

/* A NUL byte is not JSON (jansson would skip it between tokens and the kept text would end at it).
 * The NUL follows `{"a": {"x": 1.5`, 15 bytes: column 16. */
static void test_nul_byte_is_not_json(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    static const char nd[] = "{\"a\": 1}\n{\"a\": {\"x\": 1.5\0, \"b\": 2}}\n{\"a\": 3}\n";
    assert_int_equal(read_body(nd, sizeof nd - 1, &s, e, sizeof e), 3);
    assert_int_equal(s.valid, 2);
    assert_int_equal(s.refused, 1);
    assert_true(strncmp(s.first, "line 2, column 16: ", 19) == 0);
    static const char one[] = "{\"a\": {\"x\": 1.5\0, \"b\": 2}}";
    assert_int_equal(read_body(one, sizeof one - 1, &s, e, sizeof e), -1);
    assert_int_equal(s.valid + s.refused, 0);
    assert_true(strncmp(e, "line 1, column 16: ", 19) == 0);
}

static void test_array_refusals_name_the_json_path(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    read_text("[{\"a\": 1}, 7, {\"features\": [1]}, {\"features\": {\"x\": {\"y\": 1}}}]", &s, e);
    assert_int_equal(s.valid, 1);
    assert_int_equal(s.refused, 3);
    assert_true(strncmp(s.first, "$[1]: ", 6) == 0);
    read_text("[{\"features\": {\"x\": {\"y\": 1}}}]", &s, e);
    assert_true(strncmp(s.first, "$[0].features.x: ", 17) == 0);
    read_text("[{}]", &s, e);
    assert_true(strncmp(s.first, "$[0]: ", 6) == 0);
    /* an NDJSON sample of the wrong shape: its line and its path */
    read_text("{\"a\": 1}\n{\"features\": {\"x\": [1]}}\n", &s, e);
    assert_true(strncmp(s.first, "line 2: $.features.x: ", 22) == 0);
}

static void test_not_json_at_all(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    assert_int_equal(read_text("this is not json", &s, e), -1);
    assert_int_equal(s.valid + s.refused, 0);
    assert_true(strncmp(e, "line 1, column 1: ", 18) == 0);
    /* a key twice is not JSON for driftwatch (jansson's JSON_REJECT_DUPLICATES): the body is refused */
    assert_int_equal(read_text("{\"a\": 1, \"a\": 2}", &s, e), -1);
    assert_int_equal(s.valid + s.refused, 0);
    /* an unclosed array over two lines is not one value: NDJSON, where only the 2nd line is a sample */
    assert_int_equal(read_text("[{\"a\": 1},\n{\"a\": 2}", &s, e), 2);
    assert_int_equal(s.refused, 1);
    assert_int_equal(s.valid, 1);
}

static void test_items_are_the_samples_own_texts(void **state)
{
    (void)state;
    struct seen s;
    char e[256];
    const char *body = "{\"a\": 1}\n  {\"b\":  \"x\" }  \n";
    assert_int_equal(read_text(body, &s, e), 2);
    assert_ptr_equal(s.texts[0], body);
    assert_int_equal(s.lens[0], 8);
    assert_ptr_equal(s.texts[1], body + 11); /* blanks trimmed on both sides: {"b":  "x" } */
    assert_int_equal(s.lens[1], 12);
    const char *arr = "[ {\"a\": 1} , {\"a\": 2}]";
    assert_int_equal(read_text(arr, &s, e), 2);
    assert_ptr_equal(s.texts[0], arr + 2);
    assert_int_equal(s.lens[0], 8);
    assert_ptr_equal(s.texts[1], arr + 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_object_and_ndjson),
        cmocka_unit_test(test_ndjson_bad_line_is_named_and_others_kept),
        cmocka_unit_test(test_ndjson_line_with_text_after_the_object_is_refused),
        cmocka_unit_test(test_nul_byte_is_not_json),
        cmocka_unit_test(test_array_refusals_name_the_json_path),
        cmocka_unit_test(test_not_json_at_all),
        cmocka_unit_test(test_items_are_the_samples_own_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
