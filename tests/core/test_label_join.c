/* Tests for the join of predictions and delayed labels (core/util/label_join.h): either side first,
 * the time to live, the bound on waiting entries (oldest dropped), a repeated side, the walk in
 * arrival order, and many entries (the table grows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/label_join.h"

static struct join_value text(const char *t)
{
    return (struct join_value){t, NAN};
}

static void test_either_side_first(void **state)
{
    (void)state;
    struct label_join *j = label_join_new(1000, 10);
    struct label_pair p;
    assert_int_equal(label_join_prediction(j, "r1", text("fraud"), 0.9, 100, &p), JOIN_PENDING);
    assert_int_equal(label_join_label(j, "r2", (struct join_value){"3.5", 3.5}, 110, &p), JOIN_PENDING);
    assert_int_equal(label_join_pending(j), 2);
    assert_int_equal(label_join_label(j, "r1", text("ok"), 120, &p), JOIN_JOINED);
    assert_string_equal(p.prediction.text, "fraud");
    assert_string_equal(p.label.text, "ok");
    assert_true(p.score == 0.9);
    assert_int_equal(p.predicted_ms, 100);
    assert_int_equal(label_join_prediction(j, "r2", (struct join_value){"4", 4.0}, NAN, 130, &p), JOIN_JOINED);
    assert_true(p.label.number == 3.5 && p.prediction.number == 4.0);
    assert_string_equal(p.label.text, "3.5");
    assert_int_equal(p.predicted_ms, 130);
    assert_true(isnan(p.score));
    assert_int_equal(label_join_pending(j), 0);
    /* a joined id is gone: its label again waits for a new prediction */
    assert_int_equal(label_join_label(j, "r1", text("ok"), 140, &p), JOIN_PENDING);
    label_join_free(j);
}

static void test_time_to_live(void **state)
{
    (void)state;
    struct label_join *j = label_join_new(1000, 10);
    struct label_pair p;
    label_join_prediction(j, "a", text("1"), NAN, 0, &p);
    label_join_prediction(j, "b", text("1"), NAN, 500, &p);
    assert_int_equal(label_join_expire(j, 999), 0);
    assert_int_equal(label_join_expire(j, 1000), 1); /* arrived at 0: 1000 ms old, gone */
    assert_int_equal(label_join_label(j, "a", text("0"), 1001, &p), JOIN_PENDING);
    assert_int_equal(label_join_label(j, "b", text("0"), 1002, &p), JOIN_JOINED);
    assert_int_equal(label_join_dropped(j), 1);
    label_join_free(j);
}

static void test_oldest_dropped_beyond_max_pending(void **state)
{
    (void)state;
    struct label_join *j = label_join_new(INT64_MAX / 2, 3);
    struct label_pair p;
    label_join_prediction(j, "a", text("1"), NAN, 1, &p);
    label_join_label(j, "b", text("1"), 2, &p);
    label_join_prediction(j, "c", text("1"), NAN, 3, &p);
    label_join_prediction(j, "d", text("1"), NAN, 4, &p); /* drops a */
    assert_int_equal(label_join_pending(j), 3);
    assert_int_equal(label_join_dropped(j), 1);
    assert_int_equal(label_join_label(j, "a", text("1"), 5, &p), JOIN_PENDING); /* drops b */
    assert_int_equal(label_join_prediction(j, "b", text("1"), NAN, 6, &p), JOIN_PENDING); /* drops c */
    assert_int_equal(label_join_dropped(j), 3);
    assert_int_equal(label_join_label(j, "d", text("0"), 7, &p), JOIN_JOINED);
    label_join_free(j);
}

static void test_same_side_twice_the_later_counts(void **state)
{
    (void)state;
    struct label_join *j = label_join_new(1000, 10);
    struct label_pair p;
    label_join_label(j, "r", text("old"), 1, &p);
    label_join_label(j, "r", text("new"), 2, &p);
    assert_int_equal(label_join_pending(j), 1);
    assert_int_equal(label_join_dropped(j), 0);
    assert_int_equal(label_join_prediction(j, "r", text("x"), NAN, 3, &p), JOIN_JOINED);
    assert_string_equal(p.label.text, "new");
    label_join_free(j);
}

struct walked {
    char ids[8][8];
    int labels[8];
    size_t n;
};

static int walk_fn(void *ctx, const char *rid, int is_label, struct join_value v, double score, int64_t arrived_ms)
{
    (void)v, (void)score, (void)arrived_ms;
    struct walked *w = ctx;
    snprintf(w->ids[w->n], sizeof w->ids[w->n], "%s", rid);
    w->labels[w->n++] = is_label;
    return 0;
}

static void test_walk_in_arrival_order(void **state)
{
    (void)state;
    struct label_join *j = label_join_new(1000, 10);
    struct label_pair p;
    label_join_label(j, "z", text("1"), 1, &p);
    label_join_prediction(j, "a", text("1"), NAN, 2, &p);
    label_join_prediction(j, "m", text("1"), NAN, 3, &p);
    label_join_label(j, "a", text("1"), 4, &p); /* joins: a leaves */
    struct walked w = {0};
    assert_int_equal(label_join_walk(j, walk_fn, &w), 0);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.ids[0], "z");
    assert_int_equal(w.labels[0], 1);
    assert_string_equal(w.ids[1], "m");
    assert_int_equal(w.labels[1], 0);
    label_join_free(j);
}

static void test_many_entries(void **state)
{
    (void)state;
    enum { N = 50000 };
    struct label_join *j = label_join_new(INT64_MAX / 2, N);
    struct label_pair p;
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "req-%d", i);
        assert_int_equal(label_join_prediction(j, id, text(i % 2 ? "1" : "0"), NAN, i, &p), JOIN_PENDING);
    }
    size_t joined = 0;
    for (int i = N - 1; i >= 0; i--) {
        snprintf(id, sizeof id, "req-%d", i);
        if (label_join_label(j, id, text("1"), N + i, &p) == JOIN_JOINED) {
            joined++;
            assert_string_equal(p.prediction.text, i % 2 ? "1" : "0");
            assert_int_equal(p.predicted_ms, i);
        }
    }
    assert_int_equal(joined, N);
    assert_int_equal(label_join_pending(j), 0);
    label_join_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_either_side_first),
        cmocka_unit_test(test_time_to_live),
        cmocka_unit_test(test_oldest_dropped_beyond_max_pending),
        cmocka_unit_test(test_same_side_twice_the_later_counts),
        cmocka_unit_test(test_walk_in_arrival_order),
        cmocka_unit_test(test_many_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
