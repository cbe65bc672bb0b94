/* Tests for a running model (core/runtime/model.h) without an agent: samples into the window through both
 * ingest doors, what is refused and why, a check of the live window, a restart that replays the
 * window, and a time window that refuses late samples. The window's row counts are written out by
 * hand from the samples sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "analyze/baseline.h"
#include "data/profile.h"
#include "runtime/model.h"

struct fixture {
    char dir[64];
    char yaml[128];
    struct config *cfg;
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A baseline from the small fixture data and a config with one model (window text given). */
static struct fixture *fixture_new(const char *window)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dw-model-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char data[256], base[128], state[128], text[1024], err[512];
    snprintf(data, sizeof data, "%s/tests/fixtures/data/small_train.csv", DW_TEST_SOURCE_DIR);
    snprintf(base, sizeof base, "%s/b.json", f->dir);
    snprintf(state, sizeof state, "%s/state", f->dir);
    assert_int_equal(mkdir(state, 0700), 0);
    struct baseline_options bo = {.data_path = data, .sample_size = PROFILE_DEFAULT_SAMPLE_SIZE,
                                  .bins = PROFILE_DEFAULT_BINS, .seed = PROFILE_DEFAULT_SEED};
    struct profile *p = NULL;
    if (baseline_build(&bo, &p, err, sizeof err) < 0)
        fail_msg("baseline: %s", err);
    assert_int_equal(profile_write(p, base, err, sizeof err), 0);
    profile_free(p);
    snprintf(f->yaml, sizeof f->yaml, "%s/dw.yaml", f->dir);
    snprintf(text, sizeof text,
             "agent: {state_dir: %s, durability: sync}\n"
             "models:\n"
             "  - name: m\n"
             "    baseline: %s\n"
             "    window: %s\n",
             state, base, window);
    write_file(f->yaml, text);
    assert_int_equal(config_load(f->yaml, &f->cfg, err, sizeof err), 0);
    return f;
}

static void fixture_free(struct fixture *f)
{
    config_free(f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

static struct model_runtime *start(struct fixture *f)
{
    struct model_links links = {.state_dir = f->cfg->agent.state_dir, .durability_sync = 1};
    struct model_runtime *m = NULL;
    char err[512];
    assert_int_equal(model_start(&f->cfg->models[0], &links, &m, err, sizeof err), 0);
    return m;
}

/* The rows of the live window, as a check sees them. */
static long window_rows(struct model_runtime *m)
{
    char *json = NULL, err[512];
    assert_int_equal(model_check_now(m, &json, err, sizeof err), 0);
    json_error_t je;
    json_t *v = json_loads(json, 0, &je);
    assert_non_null(v);
    long rows = (long)json_integer_value(json_object_get(json_object_get(v, "window"), "rows"));
    json_decref(v);
    free(json);
    return rows;
}

static void test_both_doors_fill_one_window_and_a_restart_keeps_it(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("{size: 1000}");
    struct model_runtime *m = start(f);
    /* a body (proxy, canary, kserve): 2 samples of 4, one refused by shape, one not JSON */
    const char *body = "{\"x\": 0.5, \"c\": \"b\", \"flag\": 1}\n"
                       "{\"features\": {\"x\": [1]}}\n"
                       "{\"x\": 0.7, \"c\": \"c\", \"flag\": 0}\n"
                       "not json\n";
    struct ingest_batch b = {.model = "m", .probe = "test", .body = body, .body_len = strlen(body)};
    struct dw_ingest_result res;
    assert_int_equal(model_ingest(m, &b, &res), DW_INGEST_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 2);
    assert_string_equal(res.error, "line 2: $.features.x: a feature value must be a number, string, boolean or null");
    /* checked samples (push, tail): taken as they are */
    struct dw_sample_text texts[] = {{"{\"x\": 0.1, \"c\": \"a\", \"flag\": 1}", 31}, {"{\"x\": 0.2}", 10}};
    struct ingest_batch cb = {.model = "m", .probe = "test", .texts = texts, .n = 2};
    assert_int_equal(model_ingest(m, &cb, &res), DW_INGEST_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(window_rows(m), 4);
    /* a body that is not samples at all: one rejection, nothing stored */
    b.body = "[1, 2";
    b.body_len = 5;
    assert_int_equal(model_ingest(m, &b, &res), DW_INGEST_INVALID);
    assert_int_equal(res.rejected, 1);
    assert_true(strncmp(res.error, "line 1, column ", 15) == 0);
    model_stop(m);
    m = start(f); /* the journal replays the 4 acknowledged samples */
    assert_int_equal(window_rows(m), 4);
    model_stop(m);
    fixture_free(f);
}

static void test_time_window_refuses_late_samples(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("{every: 1h, time: sample}");
    struct model_runtime *m = start(f);
    /* 12:10 opens [12:00, 13:00); 11:59 is before it: late; 12:30 joins */
    const char *body = "{\"features\": {\"x\": 1}, \"timestamp\": \"2026-05-01T12:10:00Z\"}\n"
                       "{\"features\": {\"x\": 2}, \"timestamp\": \"2026-05-01T11:59:00Z\"}\n"
                       "{\"features\": {\"x\": 3}, \"timestamp\": \"2026-05-01T12:30:00Z\"}\n";
    struct ingest_batch b = {.model = "m", .probe = "test", .body = body, .body_len = strlen(body)};
    struct dw_ingest_result res;
    assert_int_equal(model_ingest(m, &b, &res), DW_INGEST_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 1);
    assert_non_null(strstr(res.error, "late"));
    assert_int_equal(window_rows(m), 2);
    model_stop(m);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_doors_fill_one_window_and_a_restart_keeps_it),
        cmocka_unit_test(test_time_window_refuses_late_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
