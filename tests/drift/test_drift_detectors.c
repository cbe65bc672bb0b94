/* DDM and Page-Hinkley on seeded error streams with and without a change point: they fire exactly
 * where the reference detectors of gen_cbpe_fixtures.py fire (fixtures/detectors.json), within the
 * stated delay after a change, and on the stated stationary streams of 100k pairs never. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/prng.h"
#include "stats/ddm.h"
#include "stats/page_hinkley.h"
#include "fixture.h"

/* Signals of one stream: drift indices, and for DDM the number and first indices of warnings. */
struct signals {
    size_t *drifts;
    size_t n_drifts;
    size_t n_warnings;
    size_t first_warnings[20];
};

static void signals_add(size_t **v, size_t *n, size_t i)
{
    size_t *grown = realloc(*v, (*n + 1) * sizeof **v);
    assert_non_null(grown);
    grown[(*n)++] = i;
    *v = grown;
}

/* The stream of the fixture's spec, drawn as draw_stream() in the generator does, fed to the
 * detector at its defaults. */
static void run_stream(const json_t *spec, struct signals *out)
{
    const char *detector = json_string_value(json_object_get(spec, "detector"));
    size_t n = (size_t)json_integer_value(json_object_get(spec, "n"));
    const json_t *change = json_object_get(spec, "change_at");
    size_t change_at = json_is_integer(change) ? (size_t)json_integer_value(change) : SIZE_MAX;
    const json_t *before = json_object_get(spec, "before"), *after = json_object_get(spec, "after");
    struct prng g;
    prng_seed(&g, (uint64_t)json_integer_value(json_object_get(spec, "seed")),
              (uint64_t)json_integer_value(json_object_get(spec, "stream")));
    struct ddm ddm;
    ddm_reset(&ddm);
    struct page_hinkley ph;
    page_hinkley_init(&ph, PAGE_HINKLEY_DEFAULTS);
    int is_ddm = strcmp(detector, "ddm") == 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const json_t *regime = i < change_at ? before : after;
        double u = (double)(prng_next(&g) >> 11) * 0x1p-53;
        enum detector_signal sig;
        if (is_ddm) {
            sig = ddm_update(&ddm, u < fixture_number(regime, "rate"));
        } else {
            double error = fixture_number(regime, "low") + fixture_number(regime, "width") * u;
            sig = page_hinkley_update(&ph, error);
        }
        if (sig == DETECTOR_DRIFT)
            signals_add(&out->drifts, &out->n_drifts, i);
        if (sig == DETECTOR_WARNING) {
            if (out->n_warnings < 20)
                out->first_warnings[out->n_warnings] = i;
            out->n_warnings++;
        }
    }
}

/* The generator's xoshiro256** and core/util/prng.c draw the same numbers for every seed used. */
static void test_streams_match_generator_prng(void **state)
{
    (void)state;
    json_t *root = fixture_load("detectors.json");
    size_t i;
    json_t *spec;
    json_array_foreach(json_object_get(root, "cases"), i, spec) {
        struct prng g;
        prng_seed(&g, (uint64_t)json_integer_value(json_object_get(spec, "seed")),
                  (uint64_t)json_integer_value(json_object_get(spec, "stream")));
        const json_t *draws = json_object_get(spec, "first_draws");
        for (size_t k = 0; k < json_array_size(draws); k++) {
            uint64_t want = strtoull(json_string_value(json_array_get(draws, k)), NULL, 10);
            uint64_t got = prng_next(&g);
            if (got != want)
                fail_msg("%s draw %zu: %" PRIu64 ", generator %" PRIu64,
                         json_string_value(json_object_get(spec, "name")), k, got, want);
        }
    }
    json_decref(root);
}

static void expect_indices(const char *name, const char *what, const size_t *got, size_t n_got,
                           const json_t *want)
{
    int same = n_got == json_array_size(want);
    for (size_t k = 0; same && k < n_got; k++)
        same = got[k] == (size_t)json_integer_value(json_array_get(want, k));
    if (!same) {
        char *text = json_dumps(want, JSON_COMPACT);
        print_error("%s: %s at", name, what);
        for (size_t k = 0; k < n_got && k < 10; k++)
            print_error(" %zu", got[k]);
        print_error(" (%zu), reference %s\n", n_got, text ? text : "?");
        free(text);
        fail();
    }
}

/* Every stream: the same drift (and warning) indices as the reference; after a change point the
 * first drift at or after the change comes within delay_bound pairs. */
static void check_detector(const char *detector)
{
    json_t *root = fixture_load("detectors.json");
    size_t delay_bound = (size_t)json_integer_value(json_object_get(root, "delay_bound"));
    size_t i, checked = 0;
    json_t *spec;
    json_array_foreach(json_object_get(root, "cases"), i, spec) {
        if (strcmp(json_string_value(json_object_get(spec, "detector")), detector) != 0)
            continue;
        const char *name = json_string_value(json_object_get(spec, "name"));
        struct signals sig;
        run_stream(spec, &sig);
        expect_indices(name, "drift", sig.drifts, sig.n_drifts, json_object_get(spec, "drifts"));
        if (json_object_get(spec, "warnings_count")) {
            assert_int_equal(sig.n_warnings,
                             (size_t)json_integer_value(json_object_get(spec, "warnings_count")));
            expect_indices(name, "first warnings", sig.first_warnings,
                           sig.n_warnings < 20 ? sig.n_warnings : 20,
                           json_object_get(spec, "first_warnings"));
        }
        const json_t *change = json_object_get(spec, "change_at");
        if (json_is_integer(change)) {
            size_t at = (size_t)json_integer_value(change), k = 0;
            while (k < sig.n_drifts && sig.drifts[k] < at)
                k++;
            if (k == sig.n_drifts || sig.drifts[k] - at > delay_bound)
                fail_msg("%s: no drift within %zu pairs after the change at %zu", name, delay_bound, at);
            print_message("%-36s change at %zu detected at %zu (delay %zu), %zu drifts before it\n",
                          name, at, sig.drifts[k], sig.drifts[k] - at, k);
        } else {
            print_message("%-36s stationary: %zu drifts in %" JSON_INTEGER_FORMAT " pairs\n", name,
                          sig.n_drifts, json_integer_value(json_object_get(spec, "n")));
        }
        free(sig.drifts);
        checked++;
    }
    assert_true(checked > 0);
    json_decref(root);
}

static void test_ddm_matches_reference_streams(void **state)
{
    (void)state;
    check_detector("ddm");
}

static void test_page_hinkley_matches_reference_streams(void **state)
{
    (void)state;
    check_detector("page_hinkley");
}

/* At the defaults, silent on these stationary streams of 100k pairs (seeded; DDM's false alarms
 * on other seeds are measured in the fixture and stated in docs/statistics.md). */
static void test_detectors_quiet_on_stationary_streams(void **state)
{
    (void)state;
    json_t *root = fixture_load("detectors.json");
    const char *quiet[] = {"ddm_stationary_rate_0.3_seed_1", "ddm_stationary_rate_0.1_seed_1",
                           "page_hinkley_stationary_seed_1", "page_hinkley_stationary_seed_2",
                           "page_hinkley_stationary_seed_3"};
    for (size_t q = 0; q < sizeof quiet / sizeof quiet[0]; q++) {
        size_t i;
        json_t *spec, *found = NULL;
        json_array_foreach(json_object_get(root, "cases"), i, spec)
            if (strcmp(json_string_value(json_object_get(spec, "name")), quiet[q]) == 0)
                found = spec;
        if (!found)
            fail_msg("fixture stream %s missing", quiet[q]);
        assert_int_equal(json_integer_value(json_object_get(found, "n")), 100000);
        struct signals sig;
        run_stream(found, &sig);
        if (sig.n_drifts)
            fail_msg("%s: drift at %zu on a stationary stream", quiet[q], sig.drifts[0]);
        free(sig.drifts);
    }
    json_decref(root);
}

/* Hand-checked behaviour of the recurrences (docs/statistics.md). */
static void test_ddm_needs_warm_start_and_resets(void **state)
{
    (void)state;
    struct ddm d;
    ddm_reset(&d);
    /* Correct pairs: nothing through pair 30; at pair 31 p_min = s_min = 0, and pair 32 sits at
     * that minimum. The first error (pair 33: p = 1/33, s > 0) is above the minimum by more than
     * 3 * 0 and is a drift. */
    for (int i = 0; i < 31; i++)
        assert_int_equal(ddm_update(&d, 0), DETECTOR_NONE);
    assert_int_equal(ddm_update(&d, 0), DETECTOR_NONE); /* at the minimum itself: no signal */
    assert_int_equal(ddm_update(&d, 1), DETECTOR_DRIFT);
    assert_int_equal(d.n, 0); /* reset */
    /* a stream of errors only: p = 1, s = 0 throughout, never above its minimum */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ddm_update(&d, 1), DETECTOR_NONE);
}

static void test_page_hinkley_needs_min_instances(void **state)
{
    (void)state;
    struct page_hinkley ph;
    struct page_hinkley_params params = PAGE_HINKLEY_DEFAULTS;
    params.threshold = 1.0;
    page_hinkley_init(&ph, params);
    /* x = 0 then 100: after pair 2, mean 50, S = 0.9999 * (-0.005) + 50 - 0.005 > 1 above its
     * minimum (-0.005), but fewer than 30 pairs have been seen */
    assert_int_equal(page_hinkley_update(&ph, 0.0), DETECTOR_NONE);
    assert_int_equal(page_hinkley_update(&ph, 100.0), DETECTOR_NONE);
    for (int i = 2; i < 29; i++)
        assert_int_equal(page_hinkley_update(&ph, 100.0), DETECTOR_NONE);
    /* pair 30: the sum is still more than 1 above its minimum */
    assert_int_equal(page_hinkley_update(&ph, 100.0), DETECTOR_DRIFT);
    assert_int_equal(ph.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_match_generator_prng),
        cmocka_unit_test(test_ddm_matches_reference_streams),
        cmocka_unit_test(test_page_hinkley_matches_reference_streams),
        cmocka_unit_test(test_detectors_quiet_on_stationary_streams),
        cmocka_unit_test(test_ddm_needs_warm_start_and_resets),
        cmocka_unit_test(test_page_hinkley_needs_min_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
