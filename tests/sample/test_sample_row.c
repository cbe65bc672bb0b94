/* Tests for reading a checked sample's text without jansson: the prediction class for stratified
 * sampling, refusals, and RFC 3339 timestamps. Expected values are written out by hand from the
 * sample texts; epoch milliseconds from Python's datetime.fromisoformat(...).timestamp(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "data/columns.h"
#include "sample/rfc3339.h"
#include "sample/sample_row.h"

static const char *class_of(const char *text)
{
    static struct sample_envelope e;
    assert_int_equal(sample_read_envelope(text, strlen(text), &e), 0);
    return e.prediction;
}

static void test_prediction_class_of_each_kind(void **state)
{
    (void)state;
    assert_string_equal(class_of("{\"features\": {\"a\": 1}, \"prediction\": \"fraud\"}"), "fraud");
    /* after nested values and with an escape in the class */
    assert_string_equal(class_of("{\"features\": {\"a\": [1, {\"b\": \"}\"}]}, \"prediction\": \"a\\u00e9\\\"\"}"),
                        "a\xc3\xa9\"");
    assert_string_equal(class_of("{\"prediction\": 7, \"x\": 1}"), "7");
    assert_string_equal(class_of("{\"prediction\": -12345678901234}"), "-12345678901234");
    /* a real as printf's %g, as the jansson path printed it */
    assert_string_equal(class_of("{\"prediction\": 0.25}"), "0.25");
    assert_string_equal(class_of("{\"prediction\": 1e21}"), "1e+21");
    assert_string_equal(class_of("{\"prediction\": [0.1, 0.9]}"), "");
    assert_string_equal(class_of("{\"prediction\": null}"), "");
    assert_string_equal(class_of("{\"a\": 1}"), "");
    struct sample_envelope e;
    assert_int_equal(sample_read_envelope("[1]", 3, &e), -1);
}

/* The keys a delayed label is joined by, in both places a prediction's score can be. */
static void test_envelope_for_joining_labels(void **state)
{
    (void)state;
    struct sample_envelope e;
    const char *t = "{\"features\": {\"prediction\": 5}, \"request_id\": \"r-\\u0031\", "
                    "\"prediction\": {\"label\": \"fraud\", \"score\": 0.875}, \"label\": \"ok\"}";
    assert_int_equal(sample_read_envelope(t, strlen(t), &e), 0);
    assert_string_equal(e.request_id, "r-1");   /* the escape decoded */
    assert_string_equal(e.prediction, "fraud"); /* not the feature of that name */
    assert_true(e.score == 0.875);
    assert_string_equal(e.label, "ok");
    assert_true(isnan(e.prediction_value));
    t = "{\"features\": {\"a\": 1}, \"request_id\": 12345678901234, \"prediction\": 3.25, \"score\": 1, "
        "\"label\": false}";
    assert_int_equal(sample_read_envelope(t, strlen(t), &e), 0);
    assert_string_equal(e.request_id, "12345678901234"); /* an integer id exactly */
    assert_string_equal(e.prediction, "3.25");
    assert_true(e.prediction_value == 3.25);
    assert_true(e.score == 1.0);
    assert_string_equal(e.label, "false");
    t = "{\"features\": {\"a\": 1}, \"request_id\": null, \"prediction\": [0.1, 0.9]}";
    assert_int_equal(sample_read_envelope(t, strlen(t), &e), 0);
    assert_string_equal(e.request_id, "");
    assert_string_equal(e.prediction, "");
    assert_string_equal(e.label, "");
    assert_true(isnan(e.score));
}

static int64_t ms_of(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(rfc3339_to_ms(s, strlen(s), &ms), 0);
    return ms;
}

static void test_rfc3339_to_epoch_milliseconds(void **state)
{
    (void)state;
    assert_int_equal(ms_of("2024-05-01T12:00:00Z"), 1714564800000LL);
    assert_int_equal(ms_of("2024-05-01T12:00:00.5+02:00"), 1714557600500LL);
    assert_int_equal(ms_of("1969-12-31T23:59:59.999Z"), -1);
    assert_int_equal(ms_of("2000-02-29t00:00:00-00:30"), 951784200000LL);
    /* below a millisecond is cut off */
    assert_int_equal(ms_of("2024-05-01 12:00:00.123456Z"), 1714564800123LL);
    int64_t ms;
    const char *bad[] = {"2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2024-05-01T12:00:00.Z", "yesterday",
                         "2024-05-01T12:00:00+2:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rfc3339_to_ms(bad[i], strlen(bad[i]), &ms), -1);
}

static void test_sample_row_refuses_what_it_cannot_read(void **state)
{
    (void)state;
    struct columns *t = columns_new(NULL);
    assert_int_equal(columns_add(t, "a", COL_NUMERIC, ROLE_FEATURE), 0);
    struct row_schema s;
    columns_row_schema(&s, t);
    struct sample_row r;
    assert_int_equal(sample_row_init(&r, t->ncols), 0);
    char why[128];
    const char *bad[] = {"{\"a\": 1, \"a\": 2}", "{\"features\": {\"a\": 1, \"a\": 1}}", "[1]", "{\"a\": 1",
                         "{\"a\": 99999999999999999999}", "{\"a\": 1} x", "{\"a\": \"\\u0000\"}", "",
                         "{\"features\": {}, \"features\": {}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sample_row_parse(&s, bad[i], strlen(bad[i]), &r, why, sizeof why), -1);
    /* and reads again after a refusal */
    const char *ok = "{\"a\": 2.5, \"b\": [{\"deep\": [1, 2, {\"x\": \"]\"}]}]}";
    assert_int_equal(sample_row_parse(&s, ok, strlen(ok), &r, why, sizeof why), 0);
    double x;
    memcpy(&x, &r.cells[0], sizeof x);
    assert_true(x == 2.5);
    sample_row_free(&r);
    columns_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prediction_class_of_each_kind),
        cmocka_unit_test(test_envelope_for_joining_labels),
        cmocka_unit_test(test_rfc3339_to_epoch_milliseconds),
        cmocka_unit_test(test_sample_row_refuses_what_it_cannot_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
