/* Tests for the ingest probes' sample scanner: JSON validity must agree with jansson (the parser
 * the rest of driftwatch uses) on hand-picked edge cases and on thousands of random mutations, and
 * shape problems must be named by their JSON path. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample/rfc3339.h"
#include "sample/sample_check.h"

/* jansson's verdict on the same bytes, with the core's flags: is it one JSON value? */
static int jansson_accepts(const char *text, size_t len)
{
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    json_decref(v);
    return v != NULL;
}

static int scanner_accepts_json(const char *text, size_t len)
{
    struct sample_problem prob;
    sample_check_text(text, len, "$", &prob);
    return !prob.syntax;
}

static void expect_same_verdict(const char *text, size_t len)
{
    int j = jansson_accepts(text, len), s = scanner_accepts_json(text, len);
    if (j != s) {
        char shown[2048];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 5 < sizeof shown; i++) {
            unsigned char c = (unsigned char)text[i];
            n += (size_t)(c >= 0x20 && c < 0x7f ? snprintf(shown + n, sizeof shown - n, "%c", c)
                                                : snprintf(shown + n, sizeof shown - n, "\\x%02x", c));
        }
        fail_msg("jansson %s, the scanner %s: '%s'", j ? "accepts" : "rejects", s ? "accepts" : "rejects", shown);
    }
}

static void test_sample_check_agrees_with_jansson_on_edge_cases(void **state)
{
    static const char *const cases[] = {
        "{\"a\": 1}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}", "{\"a\": -}", "{\"a\": 1e}", "{\"a\": 1e+}",
        "{\"a\": -0.0e-0}", "{\"a\": 1E5}", "{\"a\": +1}", "{\"a\": \"\\u0000\"}", "{\"a\": \"\\ud800\"}",
        "{\"a\": \"\\udc00\"}", "{\"a\": \"\\ud83d\\ude00\"}", "{\"a\": \"\\ud83dx\"}", "{\"a\": \"\\u00e9\"}",
        "{\"a\": \"\\x\"}", "{\"a\": \"\\u12\"}", "{\"a\": \"\xc3\xa9\"}", "{\"a\": \"\xc3\"}", "{\"a\": \"\xe2\x82\"}",
        "{\"a\": \"\xed\xa0\x80\"}", "{\"a\": \"\xc0\xaf\"}", "{\"a\": \"\xf4\x90\x80\x80\"}", "{\"a\": \"\xf0\x9f\x98\x80\"}",
        "{\"a\": \"tab\there\"}", "{\"a\": \"\x7f\"}", "{\"a\": tru}", "{\"a\": nul}", "{\"a\": falsey}",
        "{\"a\": 1,}", "{,}", "{\"a\" 1}", "{\"a\": 1} x", "{\"a\": 1}   \n", "  {\"a\": 1}", "{\"a\": [1, 2,]}",
        "{\"a\": [1 2]}", "{\"a\": 9223372036854775807}", "{\"a\": 9223372036854775808}",
        "{\"a\": -9223372036854775808}", "{\"a\": -9223372036854775809}", "{\"a\": 99999999999999999999}",
        "{\"a\": 1e308}", "{\"a\": 1e309}", "{\"a\": -1e400}", "{\"a\": 1e-400}", "{\"a\": 123456789012345678.5}",
        "{'a': 1}", "{a: 1}", "[]", "{}", "\"just a string\"", "42", "", "   ", "{\"a\": {\"b\": {\"c\": [[]]}}}",
        "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": 0x10}", "{\"a\": \"\\/\\b\\f\\n\\r\\t\\\\\\\"\"}",
        "{\"a\": 1}{\"b\": 2}", "{\"features\": {\"x\": 1}, \"prediction\": [1, {\"p\": null}]}",
        /* Repeated keys, at each level the scanner looks at and below, also when spelt with escapes. */
        "{\"a\": 1, \"a\": 2}", "{\"a\": 1, \"\\u0061\": 2}", "{\"a\": 1, \"b\": 2, \"A\": 3}",
        "{\"features\": {\"x\": 1, \"y\": 2, \"x\": 3}}", "{\"features\": {\"x\": 1}, \"features\": {\"y\": 2}}",
        "{\"features\": {\"x\": 1}, \"prediction\": {\"p\": 1, \"p\": 2}}", "[{\"k\": 1}, {\"k\": 1, \"k\": 1}]",
        "{\"a\": {\"\\ud83d\\ude00\": 1, \"\xf0\x9f\x98\x80\": 2}}", "{\"a\": {\"ab\": 1, \"a\": 2, \"b\": 3}}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_same_verdict(cases[i], strlen(cases[i]));
    /* Embedded NUL byte and nesting depth. */
    expect_same_verdict("{\"a\": \"x\0y\"}", 12);
    char deep[20000];
    for (int depth = 100; depth <= 5000; depth += 4900) {
        size_t n = 0;
        n += (size_t)snprintf(deep, sizeof deep, "{\"a\": ");
        for (int i = 0; i < depth; i++)
            deep[n++] = '[';
        for (int i = 0; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        expect_same_verdict(deep, n);
    }
}

static void batch_each(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *problem)
{
}

/* jansson's depth limit (2048 open objects and arrays, the outermost counting) holds for the
 * scanner too, at the limit itself, wherever the nesting starts: in a flat sample, in `features`,
 * in `prediction`, and inside an element of a batch. */
static void test_sample_check_nesting_limit_is_jansson_s(void **state)
{
    static const char *const before[] = {"{\"a\": ", "{\"features\": {\"a\": ",
                                         "{\"features\": {\"a\": 1}, \"prediction\": ", "[{\"a\": "};
    static const char *const after[] = {"}", "}}", "}", "}]"};
    static char text[8192];
    for (size_t form = 0; form < 4; form++) {
        for (int depth = 2044; depth <= 2050; depth++) {
            size_t n = (size_t)snprintf(text, sizeof text, "%s", before[form]);
            for (int i = 0; i < depth; i++)
                text[n++] = '[';
            for (int i = 0; i < depth; i++)
                text[n++] = ']';
            n += (size_t)snprintf(text + n, sizeof text - n, "%s", after[form]);
            json_t *v = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
            int j = v != NULL;
            json_decref(v);
            struct sample_problem prob;
            int s;
            if (form == 3) {
                s = sample_check_batch(text, n, batch_each, NULL, &prob) >= 0;
            } else {
                sample_check_text(text, n, "$", &prob);
                s = !prob.syntax;
            }
            if (j != s)
                fail_msg("form %zu, %d nested arrays: jansson %s, the scanner %s", form, depth,
                         j ? "accepts" : "rejects", s ? "accepts" : "rejects");
        }
    }
}

/* xorshift32: a fixed, seeded stream of mutations. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* 20000 random one- and two-byte mutations of real samples: every verdict must match jansson's. */
static void test_sample_check_agrees_with_jansson_on_mutations(void **state)
{
    static const char *const seeds[] = {
        ("{\"features\": {\"amount\": 12.5, \"country\": \"FR\", \"ok\": true, \"n\": null}, \"prediction\": [0.1, 0.9],"
         " \"timestamp\": \"2024-05-01T12:00:00Z\", \"request_id\": \"r-1\"}"),
        "{\"amount\": -1e-3, \"city\": \"S\\u00e3o Paulo\", \"emoji\": \"\\ud83d\\ude00\", \"n\": 0}",
        "[{\"a\": 1}, {\"b\": [2, 3, {\"c\": \"d\"}]}, \"e\", 4.5e+10, false]",
    };
    /* No NUL byte: jansson skips a raw NUL outside strings, which RFC 8259 does not allow and the
     * scanner rejects (see test_sample_check_rejects_raw_nul_bytes). */
    static const char alphabet[] = "{}[]\",:0123456789-+.eE\\u tfnrl\x80\xc3\xa9";
    uint32_t x = 20240501u;
    char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[rnd(&x) % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + (int)(rnd(&x) % 2);
        for (int e = 0; e < edits; e++) {
            size_t pos = rnd(&x) % n;
            char c = alphabet[rnd(&x) % (sizeof alphabet - 1)];
            switch (rnd(&x) % 3) {
            case 0: /* replace */
                buf[pos] = c;
                break;
            case 1: /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
                break;
            default: /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = c;
                n++;
                break;
            }
        }
        expect_same_verdict(buf, n);
    }
}

static void test_sample_check_rejects_raw_nul_bytes(void **state)
{
    assert_false(scanner_accepts_json("{\"a\": 1\0}", 9));
    assert_false(scanner_accepts_json("{\"a\": \"x\0\"}", 10));
}

static void expect_problem(const char *text, const char *path, const char *why_fragment)
{
    struct sample_problem prob;
    assert_int_equal(sample_check_text(text, strlen(text), "$", &prob), -1);
    assert_int_equal(prob.syntax, 0);
    if (strcmp(prob.path, path) != 0 || !strstr(prob.why, why_fragment))
        fail_msg("'%s': got %s: %s; expected %s: ...%s...", text, prob.path, prob.why, path, why_fragment);
}

static void expect_sample(const char *text)
{
    struct sample_problem prob;
    if (sample_check_text(text, strlen(text), "$", &prob) != 0)
        fail_msg("'%s' rejected: %s %s", text, prob.path, prob.why);
}

static void test_sample_check_accepts_both_sample_shapes(void **state)
{
    expect_sample("{\"features\": {\"amount\": 1.5, \"country\": \"FR\", \"vip\": false, \"age\": null}}");
    expect_sample("{\"features\": {\"a\": 1}, \"prediction\": {\"label\": \"x\", \"scores\": [0.1, 0.9]}, "
                  "\"label\": [1], \"timestamp\": \"2024-05-01T12:00:00.123+02:00\", \"request_id\": 17}");
    expect_sample("{\"features\": {\"a\": 1}, \"timestamp\": null, \"request_id\": null}");
    expect_sample("{\"amount\": 3, \"timestamp\": \"not a date, but a feature here\"}");
    expect_sample("  {\"a\": 1}  ");
}

static void test_sample_check_names_the_json_path_of_shape_problems(void **state)
{
    expect_problem("[1]", "$", "a sample must be a JSON object");
    expect_problem("{}", "$", "at least one feature");
    expect_problem("{\"features\": 3}", "$.features", "'features' must be an object");
    expect_problem("{\"features\": {}}", "$.features", "'features' is empty");
    expect_problem("{\"features\": {\"a\": 1, \"amount\": {\"eur\": 3}}}", "$.features.amount",
                   "a feature value must be");
    expect_problem("{\"features\": {\"the amount\": [1]}}", "$.features[\"the amount\"]", "a feature value must be");
    expect_problem("{\"features\": {\"a\": 1}, \"timestamp\": \"yesterday\"}", "$.timestamp", "RFC 3339");
    expect_problem("{\"features\": {\"a\": 1}, \"timestamp\": 1714564800}", "$.timestamp", "RFC 3339");
    expect_problem("{\"features\": {\"a\": 1}, \"request_id\": 1.5}", "$.request_id", "'request_id' must be");
    expect_problem("{\"a\": 1, \"nested\": {\"b\": 2}}", "$.nested", "in a flat sample every key is a feature");
    /* The first problem is the one named. */
    expect_problem("{\"features\": {\"x\": [1], \"y\": {}}, \"timestamp\": \"no\"}", "$.features.x", "feature value");
}

/* A repeated key is a syntax error at the second occurrence (offsets counted by hand), in small
 * objects (compared pair by pair) and in large ones (sorted by hash) alike. */
static void expect_duplicate_at(const char *text, size_t len, size_t offset, const char *why)
{
    struct sample_problem prob;
    assert_int_equal(sample_check_text(text, len, "$", &prob), -1);
    assert_int_equal(prob.syntax, 1);
    assert_string_equal(prob.why, why);
    assert_int_equal(prob.offset, offset);
}

static void test_sample_check_refuses_repeated_keys_where_they_are(void **state)
{
    /* {"a": 1, "a": 2}: the second "a" starts at byte 9. */
    const char *flat = "{\"a\": 1, \"a\": 2}";
    expect_duplicate_at(flat, strlen(flat), 9, "duplicate object key \"a\"");
    /* {"features": {"x": 1, "\u0078": 2}}: the escaped x starts at byte 22. */
    const char *escaped = "{\"features\": {\"x\": 1, \"\\u0078\": 2}}";
    expect_duplicate_at(escaped, strlen(escaped), 22, "duplicate object key \"x\"");
    /* 5000 distinct keys "k0".."k4999", then "k1234" again: sorted path, offset = where it starts. */
    size_t cap = 5000 * 16 + 64, n = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    n += (size_t)snprintf(big + n, cap - n, "{\"features\": {");
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(big + n, cap - n, "\"k%d\": %d, ", i, i);
    size_t at = n;
    n += (size_t)snprintf(big + n, cap - n, "\"k1234\": 0}}");
    expect_duplicate_at(big, n, at, "duplicate object key \"k1234\"");
    /* A key with a quote and a newline in it (the second starts at byte 14) is named escaped, the
     * control character dropped. */
    const char *odd = "{\"a\\\"\\nb\": 1, \"a\\\"\\nb\": 2}";
    expect_duplicate_at(odd, strlen(odd), 14, "duplicate object key \"a\\\"b\"");
    /* The same object without the repeat is a sample. */
    n = at - 2;
    n += (size_t)snprintf(big + n, cap - n, "}}");
    struct sample_problem prob;
    assert_int_equal(sample_check_text(big, n, "$", &prob), 0);
    free(big);
}

struct collected {
    size_t n, bad;
    char paths[8][256];
};

static void collect(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *problem)
{
    struct collected *c = ctx;
    if (problem && c->bad < 8)
        snprintf(c->paths[c->bad++], sizeof c->paths[0], "%s", problem->path);
    c->n++;
}

static void test_sample_check_batch_reports_each_element_or_the_syntax_error(void **state)
{
    struct collected c = {0};
    struct sample_problem prob;
    const char *body = "[{\"a\": 1}, 2, {\"features\": {\"b\": [3]}}, {\"c\": 4}]";
    assert_int_equal(sample_check_batch(body, strlen(body), collect, &c, &prob), 4);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.bad, 2);
    assert_string_equal(c.paths[0], "$[1]");
    assert_string_equal(c.paths[1], "$[2].features.b");

    memset(&c, 0, sizeof c);
    body = "[{\"a\": 1},\n {\"a\": }]";
    assert_int_equal(sample_check_batch(body, strlen(body), collect, &c, &prob), -1);
    assert_int_equal(c.n, 0); /* nothing is reported for a body that is not JSON */
    size_t line, col;
    sample_line_col(body, prob.offset, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 8);

    memset(&c, 0, sizeof c);
    body = "{\"a\": 1}\n{\"a\": 2}\n";
    assert_int_equal(sample_check_batch(body, strlen(body), collect, &c, &prob), -1);
    assert_non_null(strstr(prob.why, "end of file expected"));
}

static void test_sample_check_rfc3339(void **state)
{
    int64_t ms;
    static const char *const good[] = {"2024-05-01T12:00:00Z", "2024-05-01t12:00:00z", "2024-05-01 12:00:00+00:00",
                                       "2024-12-31T23:59:60.123456-07:30"};
    static const char *const bad[] = {"2024-05-01", "2024-05-01T12:00:00", "2024-13-01T12:00:00Z",
                                      "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+0200",
                                      "2024-05-01T12:00:00Zjunk"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(rfc3339_to_ms(good[i], strlen(good[i]), &ms), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rfc3339_to_ms(bad[i], strlen(bad[i]), &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_check_agrees_with_jansson_on_edge_cases),
        cmocka_unit_test(test_sample_check_agrees_with_jansson_on_mutations),
        cmocka_unit_test(test_sample_check_nesting_limit_is_jansson_s),
        cmocka_unit_test(test_sample_check_rejects_raw_nul_bytes),
        cmocka_unit_test(test_sample_check_accepts_both_sample_shapes),
        cmocka_unit_test(test_sample_check_names_the_json_path_of_shape_problems),
        cmocka_unit_test(test_sample_check_batch_reports_each_element_or_the_syntax_error),
        cmocka_unit_test(test_sample_check_rfc3339),
        cmocka_unit_test(test_sample_check_refuses_repeated_keys_where_they_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
