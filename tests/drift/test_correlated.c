/* Correlated feature groups of a baseline's row sample (core/analyze/correlated.c) on hand-made rows
 * whose correlations are known exactly: copies and negated copies join a group (|r| = 1), an
 * independent column and a constant one join none, a missing value counts as the mean, and a
 * version 1 profile (no row sample) computes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/correlated.h"

static struct profile *load(const char *json)
{
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    assert_non_null(root);
    struct profile *p = NULL;
    char err[512] = "";
    if (profile_from_json(root, "t.json", &p, err, sizeof err) < 0)
        fail_msg("%s", err);
    json_decref(root);
    return p;
}

/* Numeric features a..e with one sample value each (the loader wants one), and these rows. */
static const char *profile_json(const char *rows)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"driftwatch_profile\": 2, \"features\": ["
             "{\"name\": \"a\", \"type\": \"numeric\", \"count\": 6, \"missing\": 0, \"sample\": [1]},"
             "{\"name\": \"b\", \"type\": \"numeric\", \"count\": 6, \"missing\": 0, \"sample\": [1]},"
             "{\"name\": \"c\", \"type\": \"numeric\", \"count\": 6, \"missing\": 0, \"sample\": [1]},"
             "{\"name\": \"d\", \"type\": \"numeric\", \"count\": 6, \"missing\": 0, \"sample\": [1]},"
             "{\"name\": \"e\", \"type\": \"numeric\", \"count\": 6, \"missing\": 0, \"sample\": [1]}],"
             "\"row_sample\": {\"features\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"rows\": %s}}",
             rows);
    return buf;
}

static void test_copies_and_negated_copies_group_independent_and_constant_do_not(void **state)
{
    (void)state;
    /* b = 2a + 1 (r = 1), d = -a (r = -1), c independent of a (r = 0 by construction: the
     * products of deviations cancel), e constant (no r) */
    struct profile *p = load(profile_json("[[1, 3, 1, -1, 7], [2, 5, -1, -2, 7], [3, 7, -1, -3, 7],"
                                          " [4, 9, 1, -4, 7]]"));
    struct correlated_groups g;
    assert_int_equal(correlated_groups_find(p, &g), 0);
    assert_true(g.computed);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.groups[0].n, 3);
    assert_string_equal(g.groups[0].names[0], "a");
    assert_string_equal(g.groups[0].names[1], "b");
    assert_string_equal(g.groups[0].names[2], "d");
    correlated_groups_clear(&g);
    profile_free(p);
}

static void test_groups_are_connected_components_in_profile_order(void **state)
{
    (void)state;
    /* two pairs: (a, c) and (b, e); d is noise. a-c and b-e copies, a and b unrelated:
     * a = 1,2,3,4 and b = 1,-1,-1,1 have r = 0 */
    struct profile *p = load(profile_json("[[1, 1, 1, 5, 1], [2, -1, 2, 1, -1], [3, -1, 3, 4, -1],"
                                          " [4, 1, 4, 2, 1]]"));
    struct correlated_groups g;
    assert_int_equal(correlated_groups_find(p, &g), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.groups[0].n, 2);
    assert_string_equal(g.groups[0].names[0], "a");
    assert_string_equal(g.groups[0].names[1], "c");
    assert_string_equal(g.groups[1].names[0], "b");
    assert_string_equal(g.groups[1].names[1], "e");
    correlated_groups_clear(&g);
    profile_free(p);
}

static void test_missing_value_counts_as_the_mean(void **state)
{
    (void)state;
    /* b is a copy of a with its 3rd value missing, imputed with b's mean 7/3: r = 0.9661
     * (np.corrcoef([1, 2, 3, 4], [1, 2, 7/3, 4])[0, 1]), still >= 0.95. c and e: |r| <= 0.43 with
     * each other and with a. */
    struct profile *p = load(profile_json("[[1, 1, 5, 1, 2], [2, 2, 1, 2, 1], [3, null, 4, 3, 1],"
                                          " [4, 4, 2, 4, 2]]"));
    struct correlated_groups g;
    assert_int_equal(correlated_groups_find(p, &g), 0);
    /* a, b and d (a copy of a) form one group */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.groups[0].n, 3);
    assert_string_equal(g.groups[0].names[1], "b");
    correlated_groups_clear(&g);
    profile_free(p);
}

static void test_version_1_profile_computes_nothing(void **state)
{
    (void)state;
    struct profile *p = load("{\"driftwatch_profile\": 1, \"features\": [{\"name\": \"x\", \"type\": \"numeric\", "
                             "\"count\": 2, \"missing\": 0, \"sample\": [1, 2]}]}");
    struct correlated_groups g;
    assert_int_equal(correlated_groups_find(p, &g), 0);
    assert_false(g.computed);
    assert_int_equal(g.n, 0);
    correlated_groups_clear(&g);
    correlated_groups_clear(NULL);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_and_negated_copies_group_independent_and_constant_do_not),
        cmocka_unit_test(test_groups_are_connected_components_in_profile_order),
        cmocka_unit_test(test_missing_value_counts_as_the_mean),
        cmocka_unit_test(test_version_1_profile_computes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
