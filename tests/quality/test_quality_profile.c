/* The profile's quality section: written and read back unchanged (every number, the fairness
 * entries), keys this version does not model kept through a load and a write (room for later
 * sections), and bad sections refused with their JSON path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/baseline.h"
#include "data/profile.h"
#include "util/strbuf.h"

static struct profile *build(void)
{
    struct baseline_options o;
    baseline_options_init(&o);
    o.data_path = DW_TEST_SOURCE_DIR "/tests/quality/data/diabetes_sex_reference.csv";
    o.task = PERF_BINARY;
    o.prediction = "prediction";
    o.target = "target";
    o.score = "score";
    char *priv[] = {"2"};
    struct fairness_spec fs = {.attribute = "sex", .privileged = priv, .nprivileged = 1};
    o.fairness = &fs;
    o.nfairness = 1;
    struct profile *p = NULL;
    char err[512];
    if (baseline_build(&o, &p, err, sizeof err) < 0)
        fail_msg("baseline_build: %s", err);
    return p;
}

static json_t *render(const struct profile *p)
{
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(profile_render(p, &sb), 0);
    json_error_t jerr;
    json_t *j = json_loadb(sb.data, sb.len, 0, &jerr);
    if (!j)
        fail_msg("rendered profile is not JSON: %d:%d: %s", jerr.line, jerr.column, jerr.text);
    strbuf_free(&sb);
    return j;
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct profile *p = build();
    assert_non_null(p->quality);
    json_t *j = render(p);
    struct profile *back = NULL;
    char err[512];
    assert_int_equal(profile_from_json(j, "B.json", &back, err, sizeof err), 0);
    const struct quality_profile *a = p->quality, *b = back->quality;
    assert_non_null(b);
    assert_int_equal(a->task, b->task);
    assert_string_equal(b->positive, "1");
    assert_string_equal(b->prediction, "prediction");
    assert_string_equal(b->score, "score");
    assert_string_equal(b->target, "target");
    assert_int_equal(b->nchunks, 10);
    for (int m = 0; m < PM_COUNT; m++) {
        assert_true(same(a->reference[m], b->reference[m]));
        assert_true(same(a->lower[m], b->lower[m]));
        assert_true(same(a->upper[m], b->upper[m]));
        assert_true((a->chunks[m] == NULL) == (b->chunks[m] == NULL));
        for (size_t k = 0; a->chunks[m] && k < a->nchunks; k++)
            assert_true(same(a->chunks[m][k], b->chunks[m][k]));
    }
    assert_int_equal(b->nfairness, 1);
    assert_string_equal(b->fairness[0].spec.attribute, "sex");
    assert_string_equal(b->fairness[0].spec.privileged[0], "2");
    assert_null(b->fairness[0].spec.favorable);
    assert_true(same(a->fairness[0].values.spd, b->fairness[0].values.spd));
    assert_true(same(a->fairness[0].values.dir, b->fairness[0].values.dir));
    json_decref(j);
    profile_free(back);
    profile_free(p);
}

static void test_unknown_keys_are_kept(void **state)
{
    (void)state;
    struct profile *p = build();
    json_t *j = render(p);
    json_t *q = json_object_get(j, "quality");
    json_object_set_new(q, "a_later_section", json_pack("{s:[f,f], s:[f,f]}", "x", 0.25, 0.75, "y", 0.1, 0.9));
    struct profile *back = NULL;
    char err[512];
    assert_int_equal(profile_from_json(j, "B.json", &back, err, sizeof err), 0);
    json_t *again = render(back);
    const json_t *cal = json_object_get(json_object_get(again, "quality"), "a_later_section");
    assert_non_null(cal);
    assert_true(json_real_value(json_array_get(json_object_get(cal, "y"), 1)) == 0.9);
    json_decref(again);
    json_decref(j);
    profile_free(back);
    profile_free(p);
}

static void expect_refused(json_t *root, const char *want)
{
    struct profile *back = NULL;
    char err[512] = "";
    assert_int_equal(profile_from_json(root, "B.json", &back, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("expected '%s' in '%s'", want, err);
}

static void test_bad_sections_name_their_path(void **state)
{
    (void)state;
    struct profile *p = build();
    json_t *j = render(p);
    json_t *q = json_object_get(j, "quality");
    json_object_set_new(q, "task", json_string("ranking"));
    expect_refused(j, "B.json: quality.task: expected \"binary\", \"multiclass\" or \"regression\"");
    json_object_set_new(q, "task", json_string("binary"));
    json_object_set_new(json_object_get(q, "thresholds"), "mae", json_pack("{s:f,s:f}", "lower", 1.0, "upper", 2.0));
    expect_refused(j, "B.json: quality.thresholds.mae: not a metric of this task");
    json_object_del(json_object_get(q, "thresholds"), "mae");
    json_array_append_new(json_object_get(json_object_get(q, "chunks"), "f1"), json_real(0.5));
    expect_refused(j, "B.json: quality.chunks.");
    json_array_remove(json_object_get(json_object_get(q, "chunks"), "f1"), 10);
    json_object_set_new(json_object_get(json_object_get(q, "fairness"), "sex"), "privileged", json_array());
    expect_refused(j, "B.json: quality.fairness.sex.privileged: expected a non-empty array of strings");
    json_decref(j);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown_keys_are_kept),
        cmocka_unit_test(test_bad_sections_name_their_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
