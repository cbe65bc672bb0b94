/* Tests for the sampler plugin: Bernoulli rate within a binomial bound, reservoir uniformity by
 * a chi-square test over surviving positions, per-class caps, option errors, metrics, threads. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/metrics.h"
#include "probe_harness.h"

static struct plugin_instance *sampler(const char *yaml)
{
    return harness_create(yaml, DW_KIND_SAMPLER, NULL, 0);
}

static enum dw_sample_decision decide(struct plugin_instance *pi, const char *model, const char *cls, uint64_t seen,
                                      uint64_t kept, uint64_t capacity, uint64_t *idx)
{
    struct dw_sample_info info = {.model = model,
                                  .prediction_class = cls,
                                  .seen_in_window = seen,
                                  .kept_in_window = kept,
                                  .window_capacity = capacity};
    return pi->lp->def->sample(pi->inst, &info, idx);
}

/* Kept count of n decisions under policy rate. */
static size_t run_rate(struct plugin_instance *pi, size_t n)
{
    size_t kept = 0;
    uint64_t idx;
    for (size_t i = 0; i < n; i++) {
        enum dw_sample_decision d = decide(pi, "m", NULL, i + 1, kept, 0, &idx);
        assert_true(d == DW_SAMPLE_APPEND || d == DW_SAMPLE_DROP);
        kept += d == DW_SAMPLE_APPEND;
    }
    return kept;
}

static void test_sampler_all_keeps_every_sample(void **state)
{
    struct plugin_instance *pi = sampler("plugin: sampler\n");
    uint64_t idx;
    for (uint64_t i = 1; i <= 1000; i++)
        assert_int_equal(decide(pi, "m", NULL, i, i - 1, 100, &idx), DW_SAMPLE_APPEND);
    assert_int_equal(pi->lp->def->sample_needs_class(pi->inst), 0);
    plugin_instance_free(pi);
}

/* Kept ~ Binomial(n, p): |kept - n p| < 4 sqrt(n p (1 - p)) fails with probability < 1e-4 under the
 * normal approximation (a 4-sigma band), so a correct Bernoulli sampler passes for any seed. */
static void test_sampler_rate_is_bernoulli_within_binomial_bound(void **state)
{
    const double rates[] = {0.1, 0.5, 0.01};
    const char *seeds[] = {"42", "7", "123456789"};
    const size_t n = 100000;
    for (size_t r = 0; r < 3; r++) {
        for (size_t s = 0; s < 3; s++) {
            char yaml[128];
            snprintf(yaml, sizeof yaml, "plugin: sampler\npolicy: rate\nrate: %g\nseed: %s\n", rates[r], seeds[s]);
            struct plugin_instance *pi = sampler(yaml);
            double p = rates[r];
            double kept = (double)run_rate(pi, n);
            double bound = 4 * sqrt((double)n * p * (1 - p));
            if (fabs(kept - (double)n * p) >= bound)
                fail_msg("rate %g seed %s kept %.0f of %zu, outside %g ± %g", p, seeds[s], kept, n, n * p, bound);
            plugin_instance_free(pi);
        }
    }
}

/* Successive decisions are independent: among kept samples, the share whose successor is kept
 * again is also p (lag-1 check, same 4-sigma binomial band). */
static void test_sampler_rate_decisions_are_independent(void **state)
{
    struct plugin_instance *pi = sampler("plugin: sampler\npolicy: rate\nrate: 0.3\nseed: 99\n");
    const size_t n = 200000;
    uint64_t idx;
    int prev = 0;
    double pairs = 0, firsts = 0;
    for (size_t i = 0; i < n; i++) {
        int kept = decide(pi, "m", NULL, i + 1, 0, 0, &idx) == DW_SAMPLE_APPEND;
        if (prev) {
            firsts++;
            pairs += kept;
        }
        prev = kept;
    }
    double bound = 4 * sqrt(firsts * 0.3 * 0.7);
    if (fabs(pairs - firsts * 0.3) >= bound)
        fail_msg("kept-after-kept %.0f of %.0f, expected %.0f ± %.0f", pairs, firsts, firsts * 0.3, bound);
    plugin_instance_free(pi);
}

static void test_sampler_same_seed_repeats_decisions(void **state)
{
    struct plugin_instance *a = sampler("plugin: sampler\npolicy: rate\nrate: 0.5\nseed: 5\n");
    struct plugin_instance *b = sampler("plugin: sampler\npolicy: rate\nrate: 0.5\nseed: 5\n");
    struct plugin_instance *c = sampler("plugin: sampler\npolicy: rate\nrate: 0.5\nseed: 6\n");
    uint64_t idx;
    int differs = 0;
    for (uint64_t i = 1; i <= 256; i++) {
        enum dw_sample_decision da = decide(a, "m", NULL, i, 0, 0, &idx);
        assert_int_equal(da, decide(b, "m", NULL, i, 0, 0, &idx));
        differs |= da != decide(c, "m", NULL, i, 0, 0, &idx);
    }
    assert_true(differs);
    plugin_instance_free(a);
    plugin_instance_free(b);
    plugin_instance_free(c);
}

static void test_sampler_rate_extremes_keep_all_or_nothing(void **state)
{
    struct plugin_instance *all = sampler("plugin: sampler\npolicy: rate\nrate: 1\nseed: 1\n");
    struct plugin_instance *none = sampler("plugin: sampler\npolicy: rate\nrate: 0\nseed: 1\n");
    assert_int_equal(run_rate(all, 10000), 10000);
    assert_int_equal(run_rate(none, 10000), 0);
    plugin_instance_free(all);
    plugin_instance_free(none);
}

/* Plays the core: a window of `k` slots fed a stream of n samples, applying the sampler's decisions.
 * survivors[i] counts how often stream position i is in the window at the end. */
static void reservoir_run(struct plugin_instance *pi, size_t n, size_t k, size_t *survivors)
{
    size_t window[256];
    size_t kept = 0;
    assert_true(k <= 256);
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = UINT64_MAX;
        enum dw_sample_decision d = decide(pi, "m", NULL, i + 1, kept, k, &idx);
        if (d == DW_SAMPLE_APPEND) {
            assert_true(kept < k);
            window[kept++] = i;
        } else if (d == DW_SAMPLE_REPLACE) {
            assert_true(idx < k);
            assert_int_equal(kept, k);
            window[idx] = i;
        }
    }
    assert_int_equal(kept, n < k ? n : k);
    for (size_t j = 0; j < kept; j++)
        survivors[window[j]]++;
    pi->lp->def->window_reset(pi->inst, "m");
}

/* Each of n positions survives with probability p = k/n, so over R runs O_i has mean E = R p and
 * variance R p (1 - p); the k survivors of one run are drawn without replacement, so the cells are
 * equicorrelated with a fixed total and sum_i (O_i - E)^2 / E is distributed as
 * n (1 - p) / (n - 1) * chi2(n - 1). We scale by that factor and compare with chi2(n - 1).
 * Bounds: scipy.stats.chi2.ppf(0.999, 19) = 43.8202, chi2.ppf(0.999, 99) = 148.2304 (the same
 * values as the standard tables; a false alarm has probability 0.001). */
static double reservoir_chi2(const char *seed, size_t n, size_t k, size_t runs)
{
    char yaml[128];
    snprintf(yaml, sizeof yaml, "plugin: sampler\npolicy: reservoir\nseed: %s\n", seed);
    struct plugin_instance *pi = sampler(yaml);
    size_t *survivors = calloc(n, sizeof *survivors);
    for (size_t r = 0; r < runs; r++)
        reservoir_run(pi, n, k, survivors);
    double p = (double)k / (double)n, expected = (double)runs * p, stat = 0;
    for (size_t i = 0; i < n; i++)
        stat += ((double)survivors[i] - expected) * ((double)survivors[i] - expected) / expected;
    free(survivors);
    plugin_instance_free(pi);
    return stat / ((double)n * (1 - p) / (double)(n - 1));
}

static void test_sampler_reservoir_keeps_each_position_uniformly(void **state)
{
    double s1 = reservoir_chi2("42", 20, 5, 20000);
    if (s1 >= 43.8202)
        fail_msg("chi-square %.2f over 20 positions (df 19) exceeds 43.8202", s1);
    double s2 = reservoir_chi2("2024", 100, 10, 10000);
    if (s2 >= 148.2304)
        fail_msg("chi-square %.2f over 100 positions (df 99) exceeds 148.2304", s2);
}

/* A sampler that kept the first k (or the last k) would be maximally non-uniform: make sure the
 * statistic above would notice by feeding it such a window by hand. */
static void test_sampler_reservoir_chi2_detects_a_biased_window(void **state)
{
    size_t n = 20, k = 5, runs = 1000;
    double p = (double)k / n, expected = runs * p, stat = 0;
    for (size_t i = 0; i < n; i++) {
        double o = i < k ? (double)runs : 0;
        stat += (o - expected) * (o - expected) / expected;
    }
    assert_true(stat / (n * (1 - p) / (n - 1)) > 43.8202);
}

static void test_sampler_reservoir_appends_until_capacity_then_replaces(void **state)
{
    struct plugin_instance *pi = sampler("plugin: sampler\npolicy: reservoir\nseed: 3\n");
    uint64_t idx;
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(decide(pi, "m", NULL, i + 1, i, 10, &idx), DW_SAMPLE_APPEND);
    /* At n = 11 the eleventh sample replaces with probability 10/11: over many windows that share
     * must sit in the binomial band, and never anything but REPLACE or DROP. */
    size_t replaced = 0, trials = 20000;
    for (size_t t = 0; t < trials; t++) {
        enum dw_sample_decision d = decide(pi, "m", NULL, 11, 10, 10, &idx);
        assert_true(d == DW_SAMPLE_REPLACE || d == DW_SAMPLE_DROP);
        if (d == DW_SAMPLE_REPLACE) {
            assert_true(idx < 10);
            replaced++;
        }
    }
    double p = 10.0 / 11.0;
    assert_true(fabs((double)replaced - trials * p) < 4 * sqrt(trials * p * (1 - p)));
    /* An unbounded window (capacity 0) keeps everything. */
    assert_int_equal(decide(pi, "m", NULL, 1000, 999, 0, &idx), DW_SAMPLE_APPEND);
    plugin_instance_free(pi);
}

static void test_sampler_stratified_caps_each_class_per_window(void **state)
{
    struct plugin_instance *pi = sampler("plugin: sampler\npolicy: stratified\nper_class_cap: 3\n");
    assert_int_equal(pi->lp->def->sample_needs_class(pi->inst), 1);
    uint64_t idx;
    size_t kept_a = 0, kept_b = 0;
    for (int i = 0; i < 10; i++)
        kept_a += decide(pi, "m", "fraud", 0, 0, 0, &idx) == DW_SAMPLE_APPEND;
    for (int i = 0; i < 2; i++)
        kept_b += decide(pi, "m", "ok", 0, 0, 0, &idx) == DW_SAMPLE_APPEND;
    assert_int_equal(kept_a, 3);
    assert_int_equal(kept_b, 2);
    /* Another model has its own counts. */
    assert_int_equal(decide(pi, "other", "fraud", 0, 0, 0, &idx), DW_SAMPLE_APPEND);
    /* A new window starts the counts over. */
    pi->lp->def->window_reset(pi->inst, "m");
    kept_a = 0;
    for (int i = 0; i < 5; i++)
        kept_a += decide(pi, "m", "fraud", 0, 0, 0, &idx) == DW_SAMPLE_APPEND;
    assert_int_equal(kept_a, 3);
    /* No class (a prediction the core could not classify) is a class of its own. */
    assert_int_equal(decide(pi, "m", NULL, 0, 0, 0, &idx), DW_SAMPLE_APPEND);
    plugin_instance_free(pi);
}

static void expect_init_error(const char *yaml, const char *fragment)
{
    char err[1024];
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_SAMPLER, err, sizeof err);
    assert_null(pi);
    if (!strstr(err, fragment))
        fail_msg("error '%s' lacks '%s'", err, fragment);
}

/* The loader enforces the option table's choices and bounds before init. */
static void test_sampler_rejects_bad_options(void **state)
{
    expect_init_error("plugin: sampler\npolicy: sometimes\n",
                      "option 'policy' must be one of all, rate, reservoir, stratified (got 'sometimes')");
    expect_init_error("plugin: sampler\npolicy: rate\nrate: 1.5\n", "option 'rate' must be at most 1 (got '1.5')");
    expect_init_error("plugin: sampler\npolicy: rate\nrate: -0.5\n", "option 'rate' must be at least 0 (got '-0.5')");
    expect_init_error("plugin: sampler\npolicy: stratified\nper_class_cap: 0\n",
                      "option 'per_class_cap' must be at least 1 (got '0')");
    expect_init_error("plugin: sampler\nseed: -5\n", "option 'seed' must be at least -1 (got '-5')");
}

static void test_sampler_counts_kept_and_dropped(void **state)
{
    metrics_reset();
    struct plugin_instance *pi = sampler("plugin: sampler\npolicy: stratified\nper_class_cap: 4\n");
    uint64_t idx;
    for (int i = 0; i < 10; i++)
        decide(pi, "fraud", "yes", 0, 0, 0, &idx);
    pi->lp->def->window_reset(pi->inst, "fraud"); /* publishes the batched counts */
    assert_true(metric_value("driftwatch_sampler_samples_total", "{model=\"fraud\",decision=\"kept\"}") == 4);
    assert_true(metric_value("driftwatch_sampler_samples_total", "{model=\"fraud\",decision=\"dropped\"}") == 6);
    plugin_instance_free(pi);
}

struct hammer {
    struct plugin_instance *pi;
    size_t kept;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    uint64_t idx;
    for (int i = 0; i < 50000; i++)
        h->kept += decide(h->pi, "m", NULL, 0, 0, 0, &idx) == DW_SAMPLE_APPEND;
    return NULL;
}

/* Two threads share one instance (the core calls it under per-model locks, but models differ):
 * no decision is lost and the total stays binomial. */
static void test_sampler_is_thread_safe(void **state)
{
    metrics_reset();
    struct plugin_instance *pi = sampler("plugin: sampler\npolicy: rate\nrate: 0.5\nseed: 11\n");
    struct hammer a = {pi, 0}, b = {pi, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, hammer_thread, &a);
    pthread_create(&tb, NULL, hammer_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pi->lp->def->window_reset(pi->inst, "m");
    double kept = metric_value("driftwatch_sampler_samples_total", "{model=\"m\",decision=\"kept\"}");
    double dropped = metric_value("driftwatch_sampler_samples_total", "{model=\"m\",decision=\"dropped\"}");
    assert_true(kept + dropped == 100000);
    assert_true(kept == (double)(a.kept + b.kept));
    assert_true(fabs(kept - 50000) < 4 * sqrt(100000 * 0.25));
    plugin_instance_free(pi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sampler_all_keeps_every_sample),
        cmocka_unit_test(test_sampler_rate_is_bernoulli_within_binomial_bound),
        cmocka_unit_test(test_sampler_rate_decisions_are_independent),
        cmocka_unit_test(test_sampler_same_seed_repeats_decisions),
        cmocka_unit_test(test_sampler_rate_extremes_keep_all_or_nothing),
        cmocka_unit_test(test_sampler_reservoir_keeps_each_position_uniformly),
        cmocka_unit_test(test_sampler_reservoir_chi2_detects_a_biased_window),
        cmocka_unit_test(test_sampler_reservoir_appends_until_capacity_then_replaces),
        cmocka_unit_test(test_sampler_stratified_caps_each_class_per_window),
        cmocka_unit_test(test_sampler_rejects_bad_options),
        cmocka_unit_test(test_sampler_counts_kept_and_dropped),
        cmocka_unit_test(test_sampler_is_thread_safe),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    return rc;
}
