/* Tests for reading a checked sample's text without jansson: the prediction class for stratified
 * sampling. Expected values are written out by hand from the sample texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sample_row.h"

static const char *class_of(const char *text)
{
    static char cls[128];
    assert_int_equal(sample_prediction_class(text, strlen(text), cls, sizeof cls), 0);
    return cls;
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
    char cls[16];
    assert_int_equal(sample_prediction_class("[1]", 3, cls, sizeof cls), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prediction_class_of_each_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
