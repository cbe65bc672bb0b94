/* Bias metrics (core/stats/fairness.c) against hand computation on small groups, and the
 * undefined cases: a privileged group with no favorable outcome (dir null), a group without rows,
 * a group without truly favorable rows (eod null), rows with a missing attribute or outcome. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "stats/fairness.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-15)

static void test_hand_computed_groups(void **state)
{
    (void)state;
    /* 10 rows: privileged rows 0-4, unprivileged 5-9.
     * privileged:   outcome 1 1 1 0 0, truth 1 1 0 1 0 -> P(fav|p) = 3/5; TPR_p = 2/3 (rows 0,1 of 0,1,3);
     *               FPR_p = 1/2 (row 2 of 2,4)
     * unprivileged: outcome 1 0 0 0 1, truth 1 1 0 0 0 -> P(fav|u) = 2/5; TPR_u = 1/2 (row 5 of 5,6);
     *               FPR_u = 1/3 (row 9 of 7,8,9)
     * spd = 2/5 - 3/5 = -0.2; dir = (2/5)/(3/5) = 2/3; eod = 1/2 - 2/3 = -1/6;
     * aod = ((1/3 - 1/2) + (1/2 - 2/3)) / 2 = -1/6. |spd| > 0.1 and dir < 0.8: alert. */
    signed char group[] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    signed char outcome[] = {1, 1, 1, 0, 0, 1, 0, 0, 0, 1};
    signed char truth[] = {1, 1, 0, 1, 0, 1, 1, 0, 0, 0};
    struct fairness_values v;
    fairness_compute(group, outcome, truth, 10, &v);
    NEAR(v.spd, 2.0 / 5 - 3.0 / 5);
    NEAR(v.dir, (2.0 / 5) / (3.0 / 5));
    NEAR(v.eod, 1.0 / 2 - 2.0 / 3);
    NEAR(v.aod, ((1.0 / 3 - 1.0 / 2) + (1.0 / 2 - 2.0 / 3)) / 2);
    assert_true(v.alert);
    /* without labels: eod and aod undefined, spd and dir as before */
    fairness_compute(group, outcome, NULL, 10, &v);
    NEAR(v.spd, -0.2);
    assert_true(isnan(v.eod) && isnan(v.aod));
}

static void test_missing_rows_are_left_out(void **state)
{
    (void)state;
    /* the same as a 4-row table p: 1 0, u: 1 1 once rows with a missing attribute (-1) or outcome
     * (-1) are dropped: P(fav|p) = 1/2, P(fav|u) = 1 -> spd 0.5, dir 2 */
    signed char group[] = {1, 1, -1, 0, 0, 0};
    signed char outcome[] = {1, 0, 1, 1, 1, -1};
    struct fairness_values v;
    fairness_compute(group, outcome, NULL, 6, &v);
    NEAR(v.spd, 0.5);
    NEAR(v.dir, 2.0);
    assert_true(v.alert);
}

static void test_undefined_cases(void **state)
{
    (void)state;
    struct fairness_values v;
    /* no favorable outcome among the privileged: dir's denominator is 0 -> null; spd = 1/2 */
    signed char g1[] = {1, 1, 0, 0}, o1[] = {0, 0, 1, 0}, t1[] = {0, 0, 1, 1};
    fairness_compute(g1, o1, t1, 4, &v);
    NEAR(v.spd, 0.5);
    assert_true(isnan(v.dir));
    /* no truly favorable privileged row: TPR_p undefined -> eod and aod null */
    assert_true(isnan(v.eod) && isnan(v.aod));
    assert_true(v.alert); /* |spd| > 0.1 alone */
    /* no unprivileged row: every metric null, no alert */
    signed char g2[] = {1, 1}, o2[] = {1, 0};
    fairness_compute(g2, o2, o2, 2, &v);
    assert_true(isnan(v.spd) && isnan(v.dir) && isnan(v.eod) && isnan(v.aod));
    assert_false(v.alert);
    /* equal rates: spd 0, dir 1, no alert */
    signed char g3[] = {1, 0, 1, 0}, o3[] = {1, 1, 0, 0};
    fairness_compute(g3, o3, NULL, 4, &v);
    assert_true(v.spd == 0 && v.dir == 1);
    assert_false(v.alert);
}

static void test_alert_bounds(void **state)
{
    (void)state;
    struct fairness_values v;
    /* P(fav|p) = 10/10, P(fav|u) = 9/10: spd -0.1 (not above 0.1), dir 0.9 (inside): no alert */
    signed char g[20], o[20];
    for (int i = 0; i < 20; i++) {
        g[i] = i < 10;
        o[i] = i < 10 || i < 19;
    }
    fairness_compute(g, o, NULL, 20, &v);
    NEAR(v.spd, 0.9 - 1.0);
    assert_false(v.alert);
    /* P(fav|u) = 8/10: spd -0.2, dir 0.8 (on the bound, inside) but |spd| > 0.1: alert */
    o[18] = 0;
    fairness_compute(g, o, NULL, 20, &v);
    NEAR(v.dir, 0.8);
    assert_true(v.alert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_groups),
        cmocka_unit_test(test_missing_rows_are_left_out),
        cmocka_unit_test(test_undefined_cases),
        cmocka_unit_test(test_alert_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
