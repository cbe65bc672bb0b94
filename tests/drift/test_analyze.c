/* The decision layer (core/analyze/analyze.c): the auto rule, lists and overrides, p-value
 * corrections, the missing-share rule, dataset share, and the defined edge cases. Expected
 * statistics come from scipy 1.10 (the call is quoted next to each value), decisions from
 * docs/statistics.md worked by hand in the comments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/profile.h"
#include "analyze/analyze.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) <= 1e-9 * fmax(1.0, fabs(b)))

/* A table of nrows rows; numeric cells NAN = missing, categorical cells NULL = missing. */
struct spec {
    const char *name;
    enum col_type type;
    const double *num;
    const char *const *cat;
    size_t n; /* values given; rows beyond n are missing */
};

static void fill(struct columns *t, const struct spec *s, size_t ncols, size_t nrows)
{
    for (size_t r = 0; r < nrows; r++) {
        columns_begin_row(t);
        for (size_t c = 0; c < ncols; c++) {
            int idx = columns_find(t, s[c].name);
            if (idx < 0 || r >= s[c].n)
                continue;
            if (s[c].type == COL_NUMERIC)
                columns_put_number(t, idx, s[c].num[r]);
            else if (s[c].cat[r])
                columns_put_text(t, idx, s[c].cat[r], strlen(s[c].cat[r]));
        }
        assert_int_equal(columns_end_row(t), 0);
    }
}

static struct profile *profile_of(const struct spec *s, size_t ncols, size_t nrows)
{
    struct columns *t = columns_new(NULL);
    for (size_t c = 0; c < ncols; c++)
        columns_add(t, s[c].name, s[c].type, ROLE_FEATURE);
    fill(t, s, ncols, nrows);
    struct profile_source src = {.path = "train.csv", .rows = nrows, .sample_size = 10000, .bins = 10, .seed = 42};
    struct profile *p = NULL;
    char err[256];
    assert_int_equal(profile_from_columns(t, &src, &p, err, sizeof err), 0);
    columns_free(t);
    return p;
}

static struct columns *window_of(const struct profile *p, const struct spec *s, size_t ncols, size_t nrows)
{
    struct columns *w = columns_new_for_profile(p, NULL);
    fill(w, s, ncols, nrows);
    return w;
}

static struct verdict *run(const struct profile *p, const struct columns *w, const struct analyze_options *o)
{
    struct verdict *v = NULL;
    char err[256];
    if (analyze_window(p, w, o, &v, err, sizeof err) < 0)
        fail_msg("analyze_window: %s", err);
    return v;
}

static double seq[1200], shifted[1200];

static int setup(void **state)
{
    for (int i = 0; i < 1200; i++) {
        seq[i] = i;
        shifted[i] = i + 0.5;
    }
    return 0;
}

static void test_auto_rule_numeric_by_baseline_size(void **state)
{
    /* |R| = 1000 -> ks; |R| = 1001 -> wasserstein_normed (docs/statistics.md) */
    for (size_t n = 1000; n <= 1001; n++) {
        struct spec b[] = {{"x", COL_NUMERIC, seq, NULL, n}};
        struct spec c[] = {{"x", COL_NUMERIC, shifted, NULL, 500}};
        struct profile *p = profile_of(b, 1, n);
        struct columns *w = window_of(p, c, 1, 500);
        struct verdict *v = run(p, w, NULL);
        assert_int_equal(v->features[0].method, n == 1000 ? DM_KS : DM_WASSERSTEIN_NORMED);
        assert_int_equal(v->features[0].tests_mask, 1u << v->features[0].method);
        assert_int_equal(v->features[0].tested_as, COL_NUMERIC);
        verdict_free(v);
        columns_free(w);
        profile_free(p);
    }
}

static void test_ks_small_samples_against_scipy(void **state)
{
    /* scipy.stats.ks_2samp([1,2,3,4,5], [3,4,5,6,7,8]) -> statistic 0.5, pvalue 0.35714285714285715 */
    static const double r[] = {5, 3, 1, 4, 2}, c[] = {8, 3, 7, 4, 6, 5};
    struct spec b[] = {{"x", COL_NUMERIC, r, NULL, 5}};
    struct spec cur[] = {{"x", COL_NUMERIC, c, NULL, 6}};
    struct profile *p = profile_of(b, 1, 5);
    struct columns *w = window_of(p, cur, 1, 6);
    struct verdict *v = run(p, w, NULL);
    const struct feature_verdict *f = &v->features[0];
    assert_int_equal(f->method, DM_KS);
    CLOSE(f->statistic, 0.5);
    CLOSE(f->p_value, 0.35714285714285715);
    assert_false(f->drift);
    assert_int_equal(verdict_exit_code(v), 0);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

/* An estimated performance alert (CBPE, no labels needed) raises the exit code as a realized one
 * does: 0 without, 1 with, on a window whose features do not drift. */
static void test_estimated_performance_alert_makes_exit_1(void **state)
{
    (void)state;
    static const double r[] = {5, 3, 1, 4, 2}, c[] = {8, 3, 7, 4, 6, 5};
    struct spec b[] = {{"x", COL_NUMERIC, r, NULL, 5}};
    struct spec cur[] = {{"x", COL_NUMERIC, c, NULL, 6}};
    struct profile *p = profile_of(b, 1, 5);
    struct columns *w = window_of(p, cur, 1, 6);
    struct verdict *v = run(p, w, NULL);
    v->performance = calloc(1, sizeof *v->performance);
    assert_non_null(v->performance);
    v->performance->task = PERF_BINARY;
    v->performance->estimated_rows = 6;
    assert_int_equal(verdict_exit_code(v), 0);
    v->performance->estimated[CBPE_ACCURACY].side = -1;
    v->performance->estimated_alerts = 1;
    assert_int_equal(verdict_exit_code(v), 1);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_auto_rule_few_distinct_numeric_values_are_categories(void **state)
{
    /* R = 0 x6, 1 x4; C = 0 x2, 1 x8: u = 2 <= 5, so chisquare on [[6,4],[2,8]]:
     * scipy.stats.chi2_contingency([[6,4],[2,8]], correction=False) -> 3.333333333333333,
     * p 0.06788915486182878: no drift at 0.05 */
    static const double r[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, c[] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    struct spec b[] = {{"flag", COL_NUMERIC, r, NULL, 10}};
    struct spec cur[] = {{"flag", COL_NUMERIC, c, NULL, 10}};
    struct profile *p = profile_of(b, 1, 10);
    struct columns *w = window_of(p, cur, 1, 10);
    struct analyze_options o;
    analyze_options_init(&o);
    assert_int_equal(analyze_options_set_methods(&o, "all", NULL, 0), 0);
    struct verdict *v = run(p, w, &o);
    const struct feature_verdict *f = &v->features[0];
    assert_int_equal(f->type, COL_NUMERIC);
    assert_int_equal(f->tested_as, COL_CATEGORICAL);
    assert_int_equal(f->method, DM_CHISQUARE);
    CLOSE(f->statistic, 3.333333333333333);
    CLOSE(f->p_value, 0.06788915486182878);
    assert_false(f->drift);
    /* all: the numeric battery on the values too, and the categorical distances */
    assert_true(f->tests[DM_KS].ran && f->tests[DM_LINF].ran && f->tests[DM_CHISQUARE].ran);
    CLOSE(f->tests[DM_LINF].statistic, 0.4); /* |0.6 - 0.2| */
    verdict_free(v);
    /* a list never switches the type */
    assert_int_equal(analyze_options_set_methods(&o, "ks", NULL, 0), 0);
    v = run(p, w, &o);
    assert_int_equal(v->features[0].method, DM_KS);
    assert_int_equal(v->features[0].tested_as, COL_NUMERIC);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_categorical_unseen_category_and_auto_rule(void **state)
{
    /* baseline US 10, GB 6, DE 4; window US 5, GB 5, NG 10 (NG unseen).
     * scipy.stats.chi2_contingency([[10,6,4,0],[5,5,0,10]], correction=False)
     *   -> 15.757575757575758, p 0.0012714173156371511 (dof 3): drift */
    const char *r[20], *c[20];
    for (int i = 0; i < 20; i++) {
        r[i] = i < 10 ? "US" : i < 16 ? "GB" : "DE";
        c[i] = i < 5 ? "US" : i < 10 ? "GB" : "NG";
    }
    struct spec b[] = {{"country", COL_CATEGORICAL, NULL, r, 20}};
    struct spec cur[] = {{"country", COL_CATEGORICAL, NULL, c, 20}};
    struct profile *p = profile_of(b, 1, 20);
    struct columns *w = window_of(p, cur, 1, 20);
    struct verdict *v = run(p, w, NULL);
    const struct feature_verdict *f = &v->features[0];
    assert_int_equal(f->method, DM_CHISQUARE);
    CLOSE(f->statistic, 15.757575757575758);
    CLOSE(f->p_value, 0.0012714173156371511);
    assert_true(f->drift && f->drift_statistic && !f->drift_missing);
    assert_int_equal(f->nunseen, 1);
    assert_string_equal(f->unseen[0].value, "NG");
    assert_int_equal(f->unseen[0].count, 10);
    assert_int_equal(f->unseen_values, 10);
    json_t *j = verdict_to_json(v);
    json_t *jf = json_array_get(json_object_get(j, "features"), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(jf, "unseen_categories"), "NG")), 10);
    CLOSE(json_real_value(json_object_get(jf, "unseen_share")), 0.5);
    json_decref(j);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_categorical_large_baseline_uses_jensenshannon(void **state)
{
    /* |R| = 1001 > 1000 -> jensenshannon; shares p = (600, 401)/1001, q = (300, 700)/1000 */
    static const char *r[1001], *c[1000];
    for (int i = 0; i < 1001; i++)
        r[i] = i < 600 ? "a" : "b";
    for (int i = 0; i < 1000; i++)
        c[i] = i < 300 ? "a" : "b";
    struct spec b[] = {{"k", COL_CATEGORICAL, NULL, r, 1001}};
    struct spec cur[] = {{"k", COL_CATEGORICAL, NULL, c, 1000}};
    struct profile *p = profile_of(b, 1, 1001);
    struct columns *w = window_of(p, cur, 1, 1000);
    struct verdict *v = run(p, w, NULL);
    assert_int_equal(v->features[0].method, DM_JENSENSHANNON);
    assert_true(isnan(v->features[0].p_value));
    /* scipy.spatial.distance.jensenshannon([600/1001, 401/1001], [0.3, 0.7], base=2) = 0.2578226...,
     * well above 0.1 */
    assert_true(v->features[0].statistic > 0.25 && v->features[0].statistic < 0.26);
    assert_true(v->features[0].drift);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

/* Four features of R = 0..19 against C = R + 11, + 10, + 9, + 6. scipy.stats.ks_2samp exact
 * p-values: 0.00396729438660086, 0.012298612583953778, 0.0335416594061465, 0.33559098126008213.
 * none:       p < 0.05 for the first three -> 3 of 4 drifted.
 * bonferroni: 4p = 0.015869, 0.049194, 0.134167, min(1, 1.342) = 1 -> 2 drifted.
 * fdr (BH):   ranks 1..4: p*4/rank = 0.015869, 0.024597, 0.044722, 0.335591; already increasing,
 *             so the running minimum from the top leaves them as they are -> 3 drifted (0.0447 < 0.05). */
static void test_corrections_bonferroni_and_benjamini_hochberg(void **state)
{
    static double r[20], c[4][20];
    static const int shift[4] = {11, 10, 9, 6};
    for (int i = 0; i < 20; i++) {
        r[i] = i;
        for (int k = 0; k < 4; k++)
            c[k][i] = i + shift[k];
    }
    struct spec b[] = {{"f1", COL_NUMERIC, r, NULL, 20}, {"f2", COL_NUMERIC, r, NULL, 20},
                       {"f3", COL_NUMERIC, r, NULL, 20}, {"f4", COL_NUMERIC, r, NULL, 20}};
    struct spec cur[] = {{"f1", COL_NUMERIC, c[0], NULL, 20}, {"f2", COL_NUMERIC, c[1], NULL, 20},
                         {"f3", COL_NUMERIC, c[2], NULL, 20}, {"f4", COL_NUMERIC, c[3], NULL, 20}};
    struct profile *p = profile_of(b, 4, 20);
    struct columns *w = window_of(p, cur, 4, 20);
    struct analyze_options o;
    analyze_options_init(&o);
    static const double raw[4] = {0.00396729438660086, 0.012298612583953778, 0.0335416594061465,
                                  0.33559098126008213};
    static const double bonf[4] = {0.01586917754640344, 0.04919445033581511, 0.134166637624586, 1.0};
    static const double bh[4] = {0.01586917754640344, 0.024597225167907556, 0.044722212541528666,
                                 0.33559098126008213};
    const char *names[3] = {"none", "bonferroni", "fdr"};
    const double *want[3] = {raw, bonf, bh};
    const int drifted[3] = {3, 2, 3};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(analyze_options_set_correction(&o, names[k], NULL, 0), 0);
        struct verdict *v = run(p, w, &o);
        for (int f = 0; f < 4; f++) {
            CLOSE(v->features[f].p_value, raw[f]);
            CLOSE(v->features[f].p_adjusted, want[k][f]);
        }
        assert_int_equal(v->drifted, drifted[k]);
        /* 3 of 4 = 0.75 >= 0.5: dataset drift; 2 of 4 = 0.5 >= 0.5 too */
        assert_int_equal(verdict_exit_code(v), 2);
        verdict_free(v);
    }
    o.dataset_share = 0.6;
    assert_int_equal(analyze_options_set_correction(&o, "bonferroni", NULL, 0), 0);
    struct verdict *v = run(p, w, &o);
    assert_int_equal(verdict_exit_code(v), 1); /* 0.5 < 0.6: features drifted, not the dataset */
    verdict_free(v);
    char err[128];
    assert_int_equal(analyze_options_set_correction(&o, "holm", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown 'holm'"));
    columns_free(w);
    profile_free(p);
}

static void test_missing_share_rise_of_one_tenth_drifts(void **state)
{
    /* baseline: 1 of 20 missing (0.05). Window A: 3 of 20 (0.15): a rise of 0.10 (0.15 - 0.05 is
     * 0.09999999999999999 in doubles: the rule must still fire). Window B: 2 of 20: rise 0.05. */
    static double r[20], ca[20], cb[20];
    for (int i = 0; i < 20; i++) {
        r[i] = i == 0 ? NAN : i;
        ca[i] = i < 3 ? NAN : i;
        cb[i] = i < 2 ? NAN : i;
    }
    struct spec b[] = {{"x", COL_NUMERIC, r, NULL, 20}};
    struct profile *p = profile_of(b, 1, 20);
    struct spec wa[] = {{"x", COL_NUMERIC, ca, NULL, 20}};
    struct spec wb[] = {{"x", COL_NUMERIC, cb, NULL, 20}};
    struct columns *w = window_of(p, wa, 1, 20);
    struct verdict *v = run(p, w, NULL);
    const struct feature_verdict *f = &v->features[0];
    CLOSE(f->baseline_missing_share, 0.05);
    CLOSE(f->missing_share, 0.15);
    assert_false(f->drift_statistic);
    assert_true(f->drift_missing && f->drift);
    verdict_free(v);
    columns_free(w);
    w = window_of(p, wb, 1, 20);
    v = run(p, w, NULL);
    assert_false(v->features[0].drift);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_window_with_zero_or_one_value(void **state)
{
    static double r[20], none[1] = {NAN}, one[1] = {100};
    for (int i = 0; i < 20; i++)
        r[i] = i + 1;
    struct spec b[] = {{"x", COL_NUMERIC, r, NULL, 20}};
    struct profile *p = profile_of(b, 1, 20);
    /* zero values: no test (statistic null), missing share 1 -> drift by the missing rule */
    struct spec w0[] = {{"x", COL_NUMERIC, none, NULL, 1}};
    struct columns *w = window_of(p, w0, 1, 5);
    struct verdict *v = run(p, w, NULL);
    const struct feature_verdict *f = &v->features[0];
    assert_false(f->tests[DM_KS].ran);
    assert_true(isnan(f->statistic) && isnan(f->p_value));
    CLOSE(f->missing_share, 1.0);
    assert_true(f->drift && f->drift_missing && !f->drift_statistic);
    assert_string_equal(f->note, "no usable values in the window");
    json_t *j = verdict_to_json(v);
    json_t *jf = json_array_get(json_object_get(j, "features"), 0);
    assert_true(json_is_null(json_object_get(jf, "statistic")));
    assert_true(json_is_null(json_object_get(jf, "p_value")));
    json_decref(j);
    verdict_free(v);
    columns_free(w);
    /* one value: KS runs. scipy.stats.ks_2samp(range(1, 21), [100]) -> D 1.0, p 0.09523809523809523 */
    struct spec w1[] = {{"x", COL_NUMERIC, one, NULL, 1}};
    w = window_of(p, w1, 1, 1);
    v = run(p, w, NULL);
    CLOSE(v->features[0].statistic, 1.0);
    CLOSE(v->features[0].p_value, 0.09523809523809523);
    assert_false(v->features[0].drift);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_constant_columns(void **state)
{
    static double fives[20], sixes[20];
    for (int i = 0; i < 20; i++) {
        fives[i] = 5;
        sixes[i] = 6;
    }
    struct spec b[] = {{"x", COL_NUMERIC, fives, NULL, 20}};
    struct profile *p = profile_of(b, 1, 20);
    assert_true(p->features[0].std == 0.0);
    /* same constant: one category, chisquare has no degrees of freedom -> 0 and p 1 (scipy's
     * chi2_contingency on a 2x1 table) */
    struct spec same[] = {{"x", COL_NUMERIC, fives, NULL, 20}};
    struct columns *w = window_of(p, same, 1, 20);
    struct analyze_options o;
    analyze_options_init(&o);
    assert_int_equal(analyze_options_set_methods(&o, "all", NULL, 0), 0);
    struct verdict *v = run(p, w, &o);
    assert_int_equal(v->features[0].method, DM_CHISQUARE);
    CLOSE(v->features[0].statistic, 0.0);
    CLOSE(v->features[0].p_value, 1.0);
    assert_false(v->features[0].drift);
    /* wasserstein_normed divides by max(std, 0.001): W1 = 0 here */
    CLOSE(v->features[0].tests[DM_WASSERSTEIN_NORMED].statistic, 0.0);
    verdict_free(v);
    columns_free(w);
    /* another constant: chi2_contingency([[20,0],[0,20]], correction=False) -> 40.0, p 2.54e-10;
     * W1 = 1, normed by the 0.001 floor -> 1000 */
    struct spec other[] = {{"x", COL_NUMERIC, sixes, NULL, 20}};
    w = window_of(p, other, 1, 20);
    v = run(p, w, &o);
    CLOSE(v->features[0].statistic, 40.0);
    assert_true(v->features[0].p_value < 1e-9);
    CLOSE(v->features[0].tests[DM_WASSERSTEIN_NORMED].statistic, 1000.0);
    assert_true(v->features[0].drift);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_nan_and_inf_in_window_count_as_missing_share(void **state)
{
    struct spec b[] = {{"x", COL_NUMERIC, seq, NULL, 20}};
    struct profile *p = profile_of(b, 1, 20);
    struct columns *w = columns_new_for_profile(p, NULL);
    const char *cells[] = {"1", "2", "NaN", "inf", "-inf", "3", "4", "5", "6", "7"};
    for (int i = 0; i < 10; i++) {
        columns_begin_row(w);
        columns_put_text(w, 0, cells[i], strlen(cells[i]));
        columns_end_row(w);
    }
    struct verdict *v = run(p, w, NULL);
    const struct feature_verdict *f = &v->features[0];
    assert_int_equal(f->count, 7);
    assert_int_equal(f->invalid, 2);
    CLOSE(f->missing_share, 0.3); /* NaN missing + two infinities unusable */
    assert_true(f->drift_missing);
    assert_true(f->tests[DM_KS].ran); /* on the 7 finite values */
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_feature_absent_from_window_and_empty_window(void **state)
{
    struct spec b[] = {{"x", COL_NUMERIC, seq, NULL, 20}, {"y", COL_NUMERIC, seq, NULL, 20}};
    struct profile *p = profile_of(b, 2, 20);
    /* a window table that only knows x (e.g. built by a probe with fewer fields) */
    struct columns *w = columns_new(NULL);
    columns_add(w, "x", COL_NUMERIC, ROLE_FEATURE);
    struct spec c[] = {{"x", COL_NUMERIC, seq, NULL, 20}};
    fill(w, c, 1, 20);
    /* docs/statistics.md: a column missing from the data is a schema error (exit 3), not "100% missing"
     * drift: y is reported, not tested, not counted */
    struct verdict *v = run(p, w, NULL);
    assert_int_equal(v->n, 2);
    assert_false(v->features[0].drift);
    assert_string_equal(v->features[1].note, "absent from the window");
    assert_true(v->features[1].missing_column);
    CLOSE(v->features[1].missing_share, 1.0);
    assert_false(v->features[1].drift);
    assert_int_equal(v->drifted, 0);
    assert_int_equal(v->nfeatures, 1);
    assert_true(v->schema_error);
    assert_int_equal(v->schema.nmissing, 1);
    assert_string_equal(v->schema.missing[0].name, "y");
    assert_int_equal(verdict_exit_code(v), 3);
    verdict_free(v);
    /* quality_checks.missing_columns: warn -> the old rule: y drifts on its missing share */
    struct analyze_options o;
    analyze_options_init(&o);
    o.quality.missing_columns_warn = 1;
    v = run(p, w, &o);
    assert_true(v->features[1].drift);
    assert_int_equal(v->drifted, 1);
    CLOSE(v->drift_share, 0.5);
    assert_true(v->dataset_drift); /* 0.5 >= 0.5 */
    assert_false(v->schema_error);
    assert_int_equal(v->schema.nmissing, 1); /* still reported */
    assert_int_equal(verdict_exit_code(v), 2);
    analyze_options_free(&o);
    verdict_free(v);
    columns_reset(w);
    char err[128];
    assert_int_equal(analyze_window(p, w, NULL, &v, err, sizeof err), -1);
    assert_string_equal(err, "the window has no rows");
    columns_free(w);
    profile_free(p);
}

static void test_lists_overrides_and_thresholds(void **state)
{
    struct spec b[] = {{"x", COL_NUMERIC, seq, NULL, 100}, {"y", COL_NUMERIC, seq, NULL, 100}};
    struct spec c[] = {{"x", COL_NUMERIC, shifted, NULL, 100}, {"y", COL_NUMERIC, shifted, NULL, 100}};
    struct profile *p = profile_of(b, 2, 100);
    struct columns *w = window_of(p, c, 2, 100);
    struct analyze_options o;
    analyze_options_init(&o);
    char err[256];
    assert_int_equal(analyze_options_set_methods(&o, "chisquare,psi,ks", err, sizeof err), 0);
    assert_int_equal(analyze_options_add_override(&o, "y", "anderson", NAN, err, sizeof err), 0);
    assert_int_equal(analyze_options_add_override(&o, "x", NULL, 0.5, err, sizeof err), 0);
    struct verdict *v = run(p, w, &o);
    /* x: chisquare does not apply to numeric, psi is the first that does; ks also reported */
    assert_int_equal(v->features[0].method, DM_PSI);
    assert_int_equal(v->features[0].tests_mask, (1u << DM_PSI) | (1u << DM_KS));
    CLOSE(v->features[0].threshold, 0.5);
    /* y: the override wins, with anderson's default threshold (5% critical value) */
    assert_int_equal(v->features[1].method, DM_ANDERSON);
    CLOSE(v->features[1].threshold, 1.961);
    verdict_free(v);
    assert_int_equal(analyze_options_set_methods(&o, "ks,kolmogorov", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown method 'kolmogorov'"));
    assert_int_equal(analyze_options_add_override(&o, "x", "bogus", NAN, err, sizeof err), -1);
    assert_non_null(strstr(err, "features.x.method: unknown method 'bogus'"));
    analyze_options_free(&o);
    /* raw wasserstein: default threshold 0.1 * std(R), std of 0..99 = 28.866 */
    analyze_options_init(&o);
    assert_int_equal(analyze_options_set_methods(&o, "wasserstein", err, sizeof err), 0);
    v = run(p, w, &o);
    CLOSE(v->features[0].threshold, 0.1 * sqrt((100.0 * 100.0 - 1.0) / 12.0));
    CLOSE(v->features[0].statistic, 0.5); /* every value moved by 0.5 */
    assert_false(v->features[0].drift);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

static void test_prediction_role_is_reported_but_not_counted(void **state)
{
    struct columns *t = columns_new(NULL);
    columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE);
    columns_add(t, "score", COL_NUMERIC, ROLE_PREDICTION);
    columns_add(t, "label", COL_NUMERIC, ROLE_TARGET);
    struct spec b[] = {{"x", COL_NUMERIC, seq, NULL, 50}, {"score", COL_NUMERIC, seq, NULL, 50},
                       {"label", COL_NUMERIC, seq, NULL, 50}};
    fill(t, b, 3, 50);
    struct profile_source src = {.path = "t", .rows = 50, .sample_size = 100, .bins = 10, .seed = 1};
    struct profile *p = NULL;
    char err[128];
    assert_int_equal(profile_from_columns(t, &src, &p, err, sizeof err), 0);
    columns_free(t);
    static double far[50];
    for (int i = 0; i < 50; i++)
        far[i] = 1000 + i;
    /* the window has x unchanged, the score far off, no label (labels arrive late) */
    struct spec c[] = {{"x", COL_NUMERIC, seq, NULL, 50}, {"score", COL_NUMERIC, far, NULL, 50}};
    struct columns *w = window_of(p, c, 2, 50);
    struct verdict *v = run(p, w, NULL);
    assert_int_equal(v->n, 2); /* the label is left out */
    assert_int_equal(v->nfeatures, 1);
    assert_int_equal(v->drifted, 0);
    assert_true(v->features[1].drift);
    assert_int_equal(v->features[1].role, ROLE_PREDICTION);
    assert_int_equal(verdict_exit_code(v), 1);
    verdict_free(v);
    columns_free(w);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_rule_numeric_by_baseline_size),
        cmocka_unit_test(test_ks_small_samples_against_scipy),
        cmocka_unit_test(test_estimated_performance_alert_makes_exit_1),
        cmocka_unit_test(test_auto_rule_few_distinct_numeric_values_are_categories),
        cmocka_unit_test(test_categorical_unseen_category_and_auto_rule),
        cmocka_unit_test(test_categorical_large_baseline_uses_jensenshannon),
        cmocka_unit_test(test_corrections_bonferroni_and_benjamini_hochberg),
        cmocka_unit_test(test_missing_share_rise_of_one_tenth_drifts),
        cmocka_unit_test(test_window_with_zero_or_one_value),
        cmocka_unit_test(test_constant_columns),
        cmocka_unit_test(test_nan_and_inf_in_window_count_as_missing_share),
        cmocka_unit_test(test_feature_absent_from_window_and_empty_window),
        cmocka_unit_test(test_lists_overrides_and_thresholds),
        cmocka_unit_test(test_prediction_role_is_reported_but_not_counted),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
