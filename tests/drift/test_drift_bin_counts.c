/* The fleet metrics' bins (core/analyze/bin_counts.c) on a small hand-made profile: quantile edges and
 * shares of a numeric feature, the kept categories, __other__ (the 50-category cut and reserved
 * texts), __unseen__ (never seen, or listed with no value), missing, and a feature whose baseline has
 * no values. Expected values are computed by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/bin_counts.h"

static double sample[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static struct profile_category cats[] = {{"a", 5}, {"b", 0}, {"missing", 3}, {"z", 2}};

static void test_bins_of_a_small_profile(void **state)
{
    struct profile_feature f[3] = {
        {.name = "x", .type = COL_NUMERIC, .count = 10, .missing = 2, .sample = sample, .nsample = 10},
        {.name = "c", .type = COL_CATEGORICAL, .count = 10, .cats = cats, .ncats = 4},
        {.name = "none", .type = COL_CATEGORICAL, .count = 0, .missing = 4},
    };
    struct profile p = {.features = f, .nfeatures = 3, .bins = 4};
    struct bin_layout *l = bin_layout_new(&p, 4);
    assert_non_null(l);
    assert_int_equal(l->n, 3);

    /* x: quantiles of 1..10 at 1/4, 2/4, 3/4 (numpy linear): 3.25, 5.5, 7.75; bins hold {1,2,3},
     * {4,5}, {6,7}, {8,9,10}; missing 2 of 12 rows */
    const struct bin_feature *x = &l->features[0];
    assert_int_equal(x->nbins, 4);
    assert_int_equal(x->nedges, 3);
    assert_true(x->edges[0] == 3.25 && x->edges[1] == 5.5 && x->edges[2] == 7.75);
    double xs[] = {0.3, 0.2, 0.2, 0.3};
    for (size_t b = 0; b < 4; b++) {
        char label[4];
        snprintf(label, sizeof label, "%zu", b);
        assert_string_equal(x->labels[b], label);
        assert_float_equal(x->share[b], xs[b], 1e-15);
    }
    assert_float_equal(x->missing_share, 2.0 / 12.0, 1e-15);

    /* c: a (5/10) and z (2/10) keep their bins; "missing" is a reserved text: __other__ (3/10); b
     * (listed with no value) has no bin; __unseen__ 0 */
    const struct bin_feature *c = &l->features[1];
    assert_int_equal(c->nbins, 4);
    const char *cl[] = {"a", "z", "__other__", "__unseen__"};
    double cs[] = {0.5, 0.2, 0.3, 0.0};
    for (size_t b = 0; b < 4; b++) {
        assert_string_equal(c->labels[b], cl[b]);
        assert_float_equal(c->share[b], cs[b], 1e-15);
    }
    assert_int_equal(l->features[2].nbins, 0);

    /* a window of 7 rows: x = 3.25 (on an edge: bin 1), 0, 100, 7.75 (bin 3), missing, "abc"
     * (unusable: missing), 1; c = a, a, b, missing, q, z, (none) */
    struct columns *w = columns_new_for_profile(&p, NULL);
    assert_non_null(w);
    const double xv[] = {3.25, 0, 100, 7.75, -1, -1, 1};
    const char *cv[] = {"a", "a", "b", "missing", "q", "z", NULL};
    for (size_t r = 0; r < 7; r++) {
        columns_begin_row(w);
        if (r == 5)
            columns_put_text(w, 0, "abc", 3);
        else if (r != 4)
            columns_put_number(w, 0, xv[r]);
        if (cv[r])
            columns_put_text(w, 1, cv[r], strlen(cv[r]));
        assert_int_equal(columns_end_row(w), 0);
    }
    double counts[4], missing;
    bin_count_window(x, &w->cols[0], w->rows, counts, &missing);
    /* bin 0: 0, 1; bin 1: 3.25; bin 2: none; bin 3: 100, 7.75 */
    assert_true(counts[0] == 2 && counts[1] == 1 && counts[2] == 0 && counts[3] == 2 && missing == 2);
    bin_count_window(c, &w->cols[1], w->rows, counts, &missing);
    /* a: 2, z: 1, __other__: "missing", __unseen__: b and q, missing: the last row */
    assert_true(counts[0] == 2 && counts[1] == 1 && counts[2] == 1 && counts[3] == 2 && missing == 1);
    bin_count_window(&l->features[2], &w->cols[2], w->rows, counts, &missing);
    assert_true(missing == 7);
    bin_count_window(x, NULL, w->rows, counts, &missing); /* the data lacks the column */
    assert_true(counts[0] == 0 && counts[3] == 0 && missing == 7);
    columns_free(w);
    bin_layout_free(l);
}

/* 52 categories: k00..k49 with 100, 99, ..., 51, k50 with 51 too (a tie with k49 at the 50th place:
 * the earlier in the profile's order keeps its bin) and k51 with 40. So k50 and k51 (91 values)
 * share __other__. */
static void test_only_the_top_50_categories_keep_a_bin(void **state)
{
    struct profile_category many[52];
    char names[52][8];
    uint64_t total = 0;
    for (size_t i = 0; i < 52; i++) {
        snprintf(names[i], sizeof names[i], "k%02zu", i);
        many[i] = (struct profile_category){names[i], i < 50 ? 100 - i : i == 50 ? 51 : 40};
        total += many[i].count;
    }
    /* listed out of count order: the largest last, the smallest first */
    struct profile_category tmp = many[0];
    many[0] = many[51];
    many[51] = tmp;
    struct profile_feature f = {.name = "k", .type = COL_CATEGORICAL, .count = total, .cats = many, .ncats = 52};
    struct profile p = {.features = &f, .nfeatures = 1};
    struct bin_layout *l = bin_layout_new(&p, 10);
    assert_non_null(l);
    const struct bin_feature *k = &l->features[0];
    assert_int_equal(k->nbins, 52); /* 50 + __other__ + __unseen__ */
    assert_string_equal(k->labels[0], "k00");
    assert_string_equal(k->labels[49], "k49");
    assert_string_equal(k->labels[50], "__other__");
    assert_string_equal(k->labels[51], "__unseen__");
    assert_float_equal(k->share[50], 91.0 / (double)total, 1e-15);
    assert_int_equal(k->cat_bin[0], 50);  /* k51, listed first, folds */
    assert_int_equal(k->cat_bin[50], 50); /* k50 lost the tie */
    assert_int_equal(k->cat_bin[51], 0);  /* k00 */
    bin_layout_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bins_of_a_small_profile),
        cmocka_unit_test(test_only_the_top_50_categories_keep_a_bin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
