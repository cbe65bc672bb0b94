/* Edge cases of the drift statistics whose behaviour drift.h defines where scipy raises or has
 * nothing to say: empty and one-value samples, constant columns, empty bins and categories. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stats/drift.h"

typedef int (*method_fn)(const double *, size_t, const double *, size_t, struct drift_result *);

static const method_fn numeric_methods[] = {
    drift_ks, drift_cramervonmises, drift_anderson, drift_wasserstein, drift_wasserstein_normed,
};
#define NMETHODS (sizeof numeric_methods / sizeof numeric_methods[0])

static void test_every_numeric_method_rejects_an_empty_sample(void **state)
{
    double x[] = { 1.0, 2.0, 3.0, 4.0 };
    for (size_t i = 0; i < NMETHODS; i++) {
        struct drift_result res = { 0, 0 };
        assert_int_equal(numeric_methods[i](x, 0, x, 4, &res), -1);
        assert_true(isnan(res.statistic) && isnan(res.p_value));
        assert_int_equal(numeric_methods[i](x, 4, x, 0, &res), -1);
        assert_int_equal(numeric_methods[i](x, 0, x, 0, &res), -1);
    }
}

static void test_ks_of_identical_constant_columns_is_zero_with_pvalue_one(void **state)
{
    double r[50], c[40];
    for (size_t i = 0; i < 50; i++)
        r[i] = 1.0;
    for (size_t i = 0; i < 40; i++)
        c[i] = 1.0;
    struct drift_result res;
    assert_int_equal(drift_ks(r, 50, c, 40, &res), 0);
    assert_true(res.statistic == 0.0 && res.p_value == 1.0);
    assert_int_equal(drift_wasserstein(r, 50, c, 40, &res), 0);
    assert_true(res.statistic == 0.0 && isnan(res.p_value));
}

static void test_anderson_rejects_a_single_distinct_value(void **state)
{
    double r[] = { 2.0, 2.0, 2.0 }, c[] = { 2.0, 2.0 };
    struct drift_result res;
    assert_int_equal(drift_anderson(r, 3, c, 2, &res), -1);
    assert_true(isnan(res.statistic) && isnan(res.p_value));
}

static void test_anderson_rejects_fewer_than_four_values(void **state)
{
    double r[] = { 0.0 }, c[] = { 1.0, 2.0 };
    struct drift_result res;
    assert_int_equal(drift_anderson(r, 1, c, 2, &res), -1);
    double c3[] = { 1.0, 2.0, 3.0 };
    assert_int_equal(drift_anderson(r, 1, c3, 3, &res), 0); /* N = 4 is enough */
    assert_true(isfinite(res.statistic));
}

static void test_anderson_pvalue_stays_within_scipys_cap_and_floor(void **state)
{
    double r[200], same[200], far[200];
    for (size_t i = 0; i < 200; i++) {
        r[i] = (double)i;
        same[i] = (double)i + 0.5;
        far[i] = 1000.0 + (double)i;
    }
    struct drift_result res;
    assert_int_equal(drift_anderson(r, 200, same, 200, &res), 0);
    assert_true(res.p_value == 0.25); /* statistic below every critical value: capped */
    assert_int_equal(drift_anderson(r, 200, far, 200, &res), 0);
    assert_true(res.p_value == 0.001); /* above every critical value: floored */
}

static void test_wasserstein_normed_of_constant_baseline_uses_std_floor(void **state)
{
    double r[] = { 1.0, 1.0, 1.0, 1.0 }, c[] = { 2.0, 2.0, 2.0 };
    struct drift_result res;
    assert_int_equal(drift_wasserstein_normed(r, 4, c, 3, &res), 0);
    assert_true(fabs(res.statistic - 1.0 / 0.001) < 1e-9); /* W1 = 1, std(R) = 0 -> floor 0.001 */
    assert_true(isnan(res.p_value));
}

static void test_ks_of_two_single_values_has_pvalue_one(void **state)
{
    /* with one value each, both orders are equally likely and both give D = 1 */
    double r[] = { 0.0 }, c[] = { 1.0 };
    struct drift_result res;
    assert_int_equal(drift_ks(r, 1, c, 1, &res), 0);
    assert_true(res.statistic == 1.0 && res.p_value == 1.0);
}

static void test_cramervonmises_rejects_one_value_samples(void **state)
{
    /* scipy.stats.cramervonmises_2samp needs at least two observations a sample */
    double r[] = { 0.0 }, c[] = { 1.0, 2.0, 3.0 };
    struct drift_result res;
    assert_int_equal(drift_cramervonmises(r, 1, c, 3, &res), -1);
    assert_true(isnan(res.statistic) && isnan(res.p_value));
    assert_int_equal(drift_cramervonmises(c, 3, r, 1, &res), -1);
    assert_int_equal(drift_cramervonmises(r, 1, c, 2, &res), -1);
    assert_int_equal(drift_cramervonmises(c, 2, c + 1, 2, &res), 0);
}

static void test_ks_exact_pvalue_underflows_to_zero_like_scipy(void **state)
{
    /* 600 vs 600 completely separated: 2 / C(1200, 600) ~ 1e-360 is below the double range,
     * and scipy returns 0 too; 500 vs 500 (7.4e-300) stays positive */
    static double r[600], c[600];
    for (size_t i = 0; i < 600; i++) {
        r[i] = (double)i;
        c[i] = 1000.0 + (double)i;
    }
    struct drift_result res;
    assert_int_equal(drift_ks(r, 600, c, 600, &res), 0);
    assert_true(res.statistic == 1.0 && res.p_value == 0.0);
    assert_int_equal(drift_ks(r, 500, c, 500, &res), 0);
    assert_true(res.p_value > 7.3e-300 && res.p_value < 7.5e-300);
}

static void test_kstwo_sf_outside_the_support(void **state)
{
    assert_true(drift_kstwo_sf(0.0, 10) == 1.0);
    assert_true(drift_kstwo_sf(0.05, 10) == 1.0); /* d <= 1/(2n) */
    assert_true(drift_kstwo_sf(1.0, 10) == 0.0);
    assert_true(isnan(drift_kstwo_sf(0.5, 0)));
}

static void test_quantile_edges_of_constant_baseline_collapse_to_one_edge(void **state)
{
    double r[] = { 5.0, 5.0, 5.0, 5.0, 5.0 }, edges[9], shares[10];
    size_t ne = drift_quantile_edges(r, 5, 10, edges);
    assert_int_equal(ne, 1);
    assert_true(edges[0] == 5.0);
    drift_bin_shares(r, 5, edges, ne, shares);
    assert_true(shares[0] == 0.0 && shares[1] == 1.0); /* bin = number of edges <= x */
    double c[] = { 1.0, 4.0, 5.0, 9.0 };
    drift_bin_shares(c, 4, edges, ne, shares);
    assert_true(shares[0] == 0.5 && shares[1] == 0.5);
}

static void test_quantile_edges_of_a_single_value_and_too_few_bins(void **state)
{
    double r[] = { 3.0 }, edges[4];
    assert_int_equal(drift_quantile_edges(r, 1, 5, edges), 1);
    assert_true(edges[0] == 3.0);
    assert_int_equal(drift_quantile_edges(r, 1, 1, edges), 0);
    assert_int_equal(drift_quantile_edges(r, 0, 5, edges), 0);
}

static void test_psi_floors_empty_bins_at_1e4(void **state)
{
    double p[] = { 0.5, 0.5, 0.0 }, q[] = { 0.0, 0.5, 0.5 };
    double want = (1e-4 - 0.5) * log(1e-4 / 0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4);
    assert_true(fabs(drift_psi(p, q, 3) - want) <= 1e-12 * want);
}

static void test_distances_of_disjoint_shares_are_maximal(void **state)
{
    double p[] = { 1.0, 0.0 }, q[] = { 0.0, 1.0 };
    assert_true(fabs(drift_jensenshannon(p, q, 2) - 1.0) < 1e-15);
    assert_true(drift_hellinger(p, q, 2) == 1.0);
    assert_true(drift_linf(p, q, 2) == 1.0);
}

static void test_distances_of_identical_shares_are_zero_not_nan(void **state)
{
    /* ten shares of 0.1: sum(sqrt(p*q)) rounds above 1, where sqrt(1 - sum) would be NaN */
    double p[10];
    for (size_t i = 0; i < 10; i++)
        p[i] = 0.1;
    assert_true(drift_psi(p, p, 10) == 0.0);
    assert_true(drift_jensenshannon(p, p, 10) == 0.0);
    double h = drift_hellinger(p, p, 10);
    assert_false(isnan(h));
    assert_true(h < 1e-7);
    assert_true(drift_linf(p, p, 10) == 0.0);
}

static void test_chisquare_rejects_an_empty_row(void **state)
{
    double r[] = { 0, 0, 0 }, c[] = { 1, 2, 3 };
    struct drift_result res;
    assert_int_equal(drift_chisquare(r, c, 3, &res), -1);
    assert_int_equal(drift_chisquare(c, r, 3, &res), -1);
    assert_int_equal(drift_chisquare(r, c, 0, &res), -1);
}

static void test_chisquare_ignores_categories_empty_in_both_samples(void **state)
{
    double r[] = { 30, 0, 50, 20 }, c[] = { 25, 0, 60, 15 };
    double r3[] = { 30, 50, 20 }, c3[] = { 25, 60, 15 };
    struct drift_result with_empty, without;
    assert_int_equal(drift_chisquare(r, c, 4, &with_empty), 0);
    assert_int_equal(drift_chisquare(r3, c3, 3, &without), 0);
    assert_true(with_empty.statistic == without.statistic && with_empty.p_value == without.p_value);
}

static void test_chisquare_of_a_single_category_is_zero_with_pvalue_one(void **state)
{
    double r[] = { 40 }, c[] = { 7 };
    struct drift_result res;
    assert_int_equal(drift_chisquare(r, c, 1, &res), 0);
    assert_true(res.statistic == 0.0 && res.p_value == 1.0);
}

static void test_chisquare_category_present_in_only_one_sample(void **state)
{
    /* 2 x 2 table [[10, 0], [10, 10]]: expected [[20/3, 10/3], [40/3, 20/3]], so
     * chi2 = 2*(10/3)^2/(20/3) + (10/3)^2/(10/3) + (10/3)^2/(40/3) = 7.5 with 1 degree of freedom,
     * p = erfc(sqrt(7.5/2)) = 0.0061698993205441645 (scipy.stats.chi2_contingency agrees) */
    double r[] = { 10, 0 }, c[] = { 10, 10 };
    struct drift_result res;
    assert_int_equal(drift_chisquare(r, c, 2, &res), 0);
    assert_true(fabs(res.statistic - 7.5) < 1e-12);
    assert_true(fabs(res.p_value - 0.0061698993205441645) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_numeric_method_rejects_an_empty_sample),
        cmocka_unit_test(test_ks_of_identical_constant_columns_is_zero_with_pvalue_one),
        cmocka_unit_test(test_anderson_rejects_a_single_distinct_value),
        cmocka_unit_test(test_anderson_rejects_fewer_than_four_values),
        cmocka_unit_test(test_anderson_pvalue_stays_within_scipys_cap_and_floor),
        cmocka_unit_test(test_wasserstein_normed_of_constant_baseline_uses_std_floor),
        cmocka_unit_test(test_ks_of_two_single_values_has_pvalue_one),
        cmocka_unit_test(test_cramervonmises_rejects_one_value_samples),
        cmocka_unit_test(test_ks_exact_pvalue_underflows_to_zero_like_scipy),
        cmocka_unit_test(test_kstwo_sf_outside_the_support),
        cmocka_unit_test(test_quantile_edges_of_constant_baseline_collapse_to_one_edge),
        cmocka_unit_test(test_quantile_edges_of_a_single_value_and_too_few_bins),
        cmocka_unit_test(test_psi_floors_empty_bins_at_1e4),
        cmocka_unit_test(test_distances_of_disjoint_shares_are_maximal),
        cmocka_unit_test(test_distances_of_identical_shares_are_zero_not_nan),
        cmocka_unit_test(test_chisquare_rejects_an_empty_row),
        cmocka_unit_test(test_chisquare_ignores_categories_empty_in_both_samples),
        cmocka_unit_test(test_chisquare_of_a_single_category_is_zero_with_pvalue_one),
        cmocka_unit_test(test_chisquare_category_present_in_only_one_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
