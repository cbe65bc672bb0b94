/* Tests for plugins/dvc/pyjson.c: strings byte-identical to Python's json.dumps() of os.fsdecode(name),
 * and Python's str ordering. Expected strings were printed by /usr/bin/python3 (see independent_hashes.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pyjson.h"

static void assert_dumps(const char *name, const char *expected)
{
    struct dvc_buf b = {0};
    assert_int_equal(dvc_pyjson_append_str(&b, name), 0);
    assert_string_equal(b.data, expected);
    dvc_buf_release(&b);
}

/* json.dumps('a"b\\c\n\r\t\b\f\x01\x1f\x7f~ ') */
static void test_pyjson_escapes_quotes_backslash_and_controls_like_json_dumps(void **state)
{
    (void)state;
    assert_dumps("a\"b\\c\n\r\t\b\f\x01\x1f\x7f~ ", "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f~ \"");
}

/* json.dumps('données/é.csv') */
static void test_pyjson_escapes_non_ascii_as_lowercase_u_escapes(void **state)
{
    (void)state;
    assert_dumps("donn\xc3\xa9" "es/\xc3\xa9.csv", "\"donn\\u00e9es/\\u00e9.csv\"");
    assert_dumps("\xef\xbd\x9a", "\"\\uff5a\""); /* U+FF5A */
}

/* json.dumps('\U0001d11e'), '\U0001f600', '\U0010ffff' */
static void test_pyjson_writes_astral_characters_as_surrogate_pairs(void **state)
{
    (void)state;
    assert_dumps("\xf0\x9d\x84\x9e", "\"\\ud834\\udd1e\"");
    assert_dumps("\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\"");
    assert_dumps("\xf4\x8f\xbf\xbf", "\"\\udbff\\udfff\"");
}

/* json.dumps(os.fsdecode(b)) for names that are not UTF-8: surrogateescape, one U+DCxx per byte. */
static void test_pyjson_invalid_utf8_names_become_surrogateescapes(void **state)
{
    (void)state;
    assert_dumps("\xff", "\"\\udcff\"");
    assert_dumps("a\xc3", "\"a\\udcc3\"");                             /* truncated */
    assert_dumps("\xe2\x82" "A", "\"\\udce2\\udc82A\"");               /* bad continuation */
    assert_dumps("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");         /* encoded surrogate */
    assert_dumps("\xc0\xaf", "\"\\udcc0\\udcaf\"");                    /* overlong */
    assert_dumps("\xe0\x80\x80", "\"\\udce0\\udc80\\udc80\"");         /* overlong */
    assert_dumps("\xf0\x80\x80\x80", "\"\\udcf0\\udc80\\udc80\\udc80\""); /* overlong */
    assert_dumps("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\""); /* above U+10FFFF */
}

static void test_pyjson_compare_is_code_point_order(void **state)
{
    (void)state;
    assert_true(dvc_pyjson_compare("B.csv", "a.csv") < 0);
    assert_true(dvc_pyjson_compare("x-1.csv", "x.csv") < 0);
    assert_true(dvc_pyjson_compare("x.csv", "x/y.csv") < 0);
    assert_true(dvc_pyjson_compare("a", "ab") < 0);
    assert_true(dvc_pyjson_compare("ab", "a") > 0);
    assert_int_equal(dvc_pyjson_compare("donn\xc3\xa9" "es", "donn\xc3\xa9" "es"), 0);
    /* U+FF5A before U+1D11E: code point order, not UTF-16 order (which would put the pair first) */
    assert_true(dvc_pyjson_compare("\xef\xbd\x9a", "\xf0\x9d\x84\x9e") < 0);
    /* sorted(['\udcff', '\ue000']) keeps this order, while the raw bytes compare 0xff > 0xee */
    assert_true(dvc_pyjson_compare("\xff", "\xee\x80\x80") < 0);
    assert_true(strcmp("\xff", "\xee\x80\x80") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyjson_escapes_quotes_backslash_and_controls_like_json_dumps),
        cmocka_unit_test(test_pyjson_escapes_non_ascii_as_lowercase_u_escapes),
        cmocka_unit_test(test_pyjson_writes_astral_characters_as_surrogate_pairs),
        cmocka_unit_test(test_pyjson_invalid_utf8_names_become_surrogateescapes),
        cmocka_unit_test(test_pyjson_compare_is_code_point_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
