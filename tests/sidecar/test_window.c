/* Tests for the window ring: tumbling refuses when full, sliding drops the oldest, replace and
 * clear keep the byte count right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "window.h"

static void test_window_tumbling_refuses_when_full(void **state)
{
    struct window w;
    window_init(&w, 3, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(window_append(&w, strdup("ab")), 0);
    assert_true(window_full(&w));
    assert_int_equal(window_append(&w, strdup("cd")), -1);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.bytes, 6);
    window_clear(&w);
    assert_int_equal(w.n, 0);
    assert_int_equal(w.bytes, 0);
    window_free(&w);
}

static void test_window_sliding_keeps_the_newest(void **state)
{
    struct window w;
    window_init(&w, 3, 1);
    const char *texts[] = {"1", "22", "333", "4444", "55555"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(window_append(&w, strdup(texts[i])), 0);
    assert_int_equal(w.n, 3);
    assert_string_equal(window_get(&w, 0), "333");
    assert_string_equal(window_get(&w, 2), "55555");
    assert_int_equal(w.bytes, 3 + 4 + 5);
    window_free(&w);
}

static void test_window_grows_past_its_first_allocation(void **state)
{
    struct window w;
    window_init(&w, 1000, 0);
    char buf[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        assert_int_equal(window_append(&w, strdup(buf)), 0);
    }
    assert_string_equal(window_get(&w, 0), "0");
    assert_string_equal(window_get(&w, 999), "999");
    window_replace(&w, 500, strdup("x"));
    assert_string_equal(window_get(&w, 500), "x");
    window_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_tumbling_refuses_when_full),
        cmocka_unit_test(test_window_sliding_keeps_the_newest),
        cmocka_unit_test(test_window_grows_past_its_first_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
