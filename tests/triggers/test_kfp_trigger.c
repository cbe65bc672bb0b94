/* Tests of the `kfp` trainer plugin against the fake KFP API server (fake_kfp.py): the CreateRun
 * body, list-before-create so retries never make a second run, reuse by display name, polling to
 * a final state, errors that name the URL and the server's words, and a token never logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "trig_harness.h"

#define KEY "fraud-0f3e8a1b2c4d-2024-05-01T12:00:00Z"
#define RUN_NAME "driftwatch-" KEY
#define TOKEN "kfp-s3cr3t-t0ken-5d41402abc"

static struct fake kfp;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether yaml has a line starting with "key:". */
static int has_key(const char *yaml, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = yaml; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, n) == 0 && p[n] == ':')
            return 1;
    return 0;
}

/* Opens (and starts) an instance against the fake: the common options, unless the extra YAML
 * lines set them. */
static void open_kfp(struct trig_instance *ti, const char *instance, const char *extra_fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void open_kfp(struct trig_instance *ti, const char *instance, const char *extra_fmt, ...)
{
    static const char *const defaults[][2] = {
        {"pipeline_id", "pipe-1"},          {"pipeline_version_id", "ver-7"}, {"experiment_id", "exp-42"},
        {"pipeline_root", "s3://bucket/runs"}, {"timeout", "1s"},         {"deadline", "10s"},
        {"retry_delay", "50ms"},            {"poll_interval", "100ms"},
    };
    char extra[2048], yaml[4096], err[512] = "";
    va_list ap;
    va_start(ap, extra_fmt);
    vsnprintf(extra, sizeof extra, extra_fmt, ap);
    va_end(ap);
    int used = snprintf(yaml, sizeof yaml, "host: %s/\n", kfp.url);
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!has_key(extra, defaults[i][0]))
            used += snprintf(yaml + used, sizeof yaml - (size_t)used, "%s: %s\n", defaults[i][0], defaults[i][1]);
    snprintf(yaml + used, sizeof yaml - (size_t)used, "%s", extra);
    if (trig_open(ti, "kfp", instance, yaml, err, sizeof err) < 0)
        fail_msg("init failed: %s\nconfig:\n%s", err, yaml);
    assert_int_equal(trig_start(ti, err, sizeof err), 0);
}

static size_t run_count(void)
{
    json_t *runs = fake_get(&kfp, "/_fake/runs");
    size_t n = json_array_size(runs);
    json_decref(runs);
    return n;
}

static int reset(void **state)
{
    (void)state;
    return fake_post(&kfp, "/_fake/reset", "{}");
}

static int group_setup(void **state)
{
    (void)state;
    static const char *const port_any[] = {"0", NULL}; /* fake_kfp.py: listen on a free port */
    return fake_start(&kfp, "tests/triggers/fake_kfp.py", port_any);
}

static int group_teardown(void **state)
{
    (void)state;
    fake_stop(&kfp);
    return 0;
}

/* Waits until the metrics show want (a whole sample line prefix), up to ms. */
static int wait_metric(const char *want, int ms)
{
    for (int waited = 0; waited <= ms; waited += 50) {
        char *m = metrics_text();
        int found = m && strstr(m, want) != NULL;
        free(m);
        if (found)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* The CreateRun body carries what v2beta1 expects (the fake rejects anything else with 400), the
 * lookup before it filters on the exact display name, and the token travels as a bearer token. */
static void test_kfp_create_body_has_the_v2beta1_shape(void **state)
{
    struct trig_instance ti;
    open_kfp(&ti, "kfp-body", "token: %s\nparameters: ['learning_rate=0.02', 'epochs=10', 'tag=nightly', "
             "'version=\"007\"']\n", TOKEN);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "PENDING");

    json_t *list = fake_request(&kfp, "GET", "/apis/v2beta1/runs", 0);
    assert_non_null(list);
    json_t *params = json_object_get(list, "params");
    json_t *filter = json_loads(json_string_value(json_object_get(params, "filter")), 0, NULL);
    json_t *want_filter = json_pack("{s:[{s:s, s:s, s:s}]}", "predicates", "key", "display_name", "operation", "EQUALS",
                                    "string_value", RUN_NAME);
    assert_true(json_equal(filter, want_filter));
    assert_string_equal(json_string_value(json_object_get(params, "experiment_id")), "exp-42");
    json_decref(filter);
    json_decref(want_filter);
    json_decref(list);

    json_t *create = fake_request(&kfp, "POST", "/apis/v2beta1/runs", 0);
    assert_non_null(create);
    json_t *body = json_object_get(create, "body");
    json_t *want = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:{s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:s}, s:s}}",
                             "display_name", RUN_NAME, "experiment_id", "exp-42", "pipeline_version_reference",
                             "pipeline_id", "pipe-1", "pipeline_version_id", "ver-7", "runtime_config", "parameters",
                             "model", "fraud", "data_version", "0f3e8a1b2c4d", "window_end", "2024-05-01T12:00:00Z",
                             "drifted_features", "amount,country", "learning_rate", 0.02, "epochs", 10, "tag",
                             "nightly", "version", "007", "pipeline_root", "s3://bucket/runs");
    if (!json_equal(body, want)) {
        char *got = json_dumps(body, JSON_SORT_KEYS);
        fail_msg("unexpected CreateRun body: %s", got);
    }
    assert_string_equal(json_string_value(json_object_get(json_object_get(create, "headers"), "authorization")),
                        "Bearer " TOKEN);
    json_decref(want);

    json_t *runs = fake_get(&kfp, "/_fake/runs");
    assert_int_equal(json_array_size(runs), 1);
    assert_string_equal(res.job_id, json_string_value(json_object_get(json_array_get(runs, 0), "run_id")));
    json_decref(runs);
    json_decref(create);
    trig_close(&ti);
}

/* A 503 on the create: its outcome is unknown, so the plugin lists again before the next create —
 * and ends with exactly one run. */
static void test_kfp_503_on_create_then_success_makes_exactly_one_run(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": "
                               "\"^/apis/v2beta1/runs$\", \"times\": 1, \"status\": 503, \"message\": \"upstream "
                               "connect error\"}]}"),
                     0);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-503", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(run_count(), 1);
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 2);
    assert_int_equal(fake_count(&kfp, "GET", "/apis/v2beta1/runs"), 2);
    /* The core's retry (or a restart) with the same key finds the run and creates nothing. */
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(run_count(), 1);
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 2);
    trig_close(&ti);
}

/* The create went through but its answer never arrived (client timeout): the next list finds the
 * run, so there is still one run and one create. */
static void test_kfp_create_timeout_after_server_acted_reuses_the_run(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": "
                               "\"^/apis/v2beta1/runs$\", \"times\": 1, \"delay_after\": 2.5}]}"),
                     0);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-timeout", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(run_count(), 1);
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 1);
    json_t *runs = fake_get(&kfp, "/_fake/runs");
    assert_string_equal(res.job_id, json_string_value(json_object_get(json_array_get(runs, 0), "run_id")));
    json_decref(runs);
    trig_close(&ti);
}

/* A run created earlier with the same display name (another agent process, before a restart) is
 * used; a run whose name only starts the same is not. */
static void test_kfp_existing_run_with_same_display_name_is_reused(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/runs", "{\"display_name\": \"" RUN_NAME "-other\", \"experiment_id\": "
                               "\"exp-42\"}"),
                     0);
    assert_int_equal(fake_post(&kfp, "/_fake/runs", "{\"display_name\": \"" RUN_NAME "\", \"experiment_id\": "
                               "\"exp-42\", \"state\": \"RUNNING\"}"),
                     0);
    json_t *runs = fake_get(&kfp, "/_fake/runs");
    char existing[128];
    snprintf(existing, sizeof existing, "%s", json_string_value(json_object_get(json_array_get(runs, 1), "run_id")));
    json_decref(runs);

    struct trig_instance ti;
    open_kfp(&ti, "kfp-reuse", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    capture_start();
    int rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, 0);
    assert_string_equal(res.job_id, existing);
    assert_string_equal(res.state, "RUNNING");
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 0);
    assert_int_equal(run_count(), 2);
    assert_non_null(strstr(log, "exists already"));
    free(log);
    trig_close(&ti);
}

/* ---- the fleet's drift episode (docs/operations.md) ---- */

/* 2024-05-01T12:00:00Z = 1714564800 s; with a 1 h cooldown its bucket is 1714564800 / 3600 = 476268. */
#define FLEET_KEY "fraud-0f3e8a1b2c4d-476268"
#define HOUR_MS (3600 * 1000LL)

static void seed_run(const char *display_name, int64_t ago)
{
    char body[512], created[32];
    time_t t = time(NULL) - (time_t)ago;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof body, "{\"display_name\": \"%s\", \"experiment_id\": \"exp-42\", \"state\": \"RUNNING\", "
             "\"created_at\": \"%s\"}", display_name, created);
    assert_int_equal(fake_post(&kfp, "/_fake/runs", body), 0);
}

static struct dw_trigger_event fleet_event(void)
{
    struct dw_trigger_event ev = trig_event(FLEET_KEY, 0);
    ev.cooldown_ms = HOUR_MS;
    ev.episode_start = 1714564800;
    return ev;
}

/* Another replica's run of this model, from the bucket before (its episode began first), is joined.
 * The lookup lists runs whose display name holds "driftwatch-fraud-" (v2beta1 has no prefix
 * operation) created within the hour, page by page (one run per page here); the run of model
 * "fraud-v2", whose name starts the same, is not adopted. */
static void test_kfp_joins_a_run_of_the_model_created_within_the_cooldown(void **state)
{
    (void)state;
    assert_int_equal(fake_post(&kfp, "/_fake/config", "{\"max_page_size\": 1}"), 0);
    seed_run("driftwatch-fraud-v2-0f3e8a1b2c4d-476268", 30);
    seed_run("driftwatch-fraud-0f3e8a1b2c4d-476267", 20);
    json_t *runs = fake_get(&kfp, "/_fake/runs");
    char existing[128];
    snprintf(existing, sizeof existing, "%s", json_string_value(json_object_get(json_array_get(runs, 1), "run_id")));
    json_decref(runs);

    struct trig_instance ti;
    open_kfp(&ti, "kfp-join", "%s", "");
    struct dw_trigger_event ev = fleet_event();
    struct dw_trigger_result res;
    char err[1024];
    time_t before = time(NULL);
    capture_start();
    int rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, 0);
    assert_string_equal(res.job_id, existing);
    assert_int_equal(res.joined, 1);
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 0);
    assert_non_null(strstr(log, "within the cooldown: joining it"));
    free(log);

    assert_int_equal(fake_count(&kfp, "GET", "/apis/v2beta1/runs"), 2);
    json_t *first = fake_request(&kfp, "GET", "/apis/v2beta1/runs", 0);
    json_t *params = json_object_get(first, "params");
    json_t *filter = json_loads(json_string_value(json_object_get(params, "filter")), 0, NULL);
    json_t *p0 = json_array_get(json_object_get(filter, "predicates"), 0);
    json_t *p1 = json_array_get(json_object_get(filter, "predicates"), 1);
    assert_string_equal(json_string_value(json_object_get(p0, "key")), "display_name");
    assert_string_equal(json_string_value(json_object_get(p0, "operation")), "IS_SUBSTRING");
    assert_string_equal(json_string_value(json_object_get(p0, "string_value")), "driftwatch-fraud-");
    assert_string_equal(json_string_value(json_object_get(p1, "key")), "created_at");
    assert_string_equal(json_string_value(json_object_get(p1, "operation")), "GREATER_THAN");
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(json_string_value(json_object_get(p1, "timestamp_value")), "%Y-%m-%dT%H:%M:%SZ", &tm));
    time_t cutoff = timegm(&tm);
    assert_true(cutoff >= before - 3600 - 1 && cutoff <= time(NULL) - 3600);
    assert_null(json_object_get(params, "page_token"));
    json_decref(filter);
    json_decref(first);
    json_t *second = fake_request(&kfp, "GET", "/apis/v2beta1/runs", 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(second, "params"), "page_token")), "1");
    json_decref(second);
    trig_close(&ti);
}

/* A run of this model from before the cooldown is not this episode's: the trigger creates its own,
 * named for the key. */
static void test_kfp_run_before_the_cooldown_is_not_joined(void **state)
{
    (void)state;
    seed_run("driftwatch-fraud-0f3e8a1b2c4d-476265", 2 * 3600);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-old", "%s", "");
    struct dw_trigger_event ev = fleet_event();
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(res.joined, 0);
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 1);
    json_t *create = fake_request(&kfp, "POST", "/apis/v2beta1/runs", 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(create, "body"), "display_name")),
                        "driftwatch-" FLEET_KEY);
    json_decref(create);
    assert_int_equal(run_count(), 2);
    trig_close(&ti);
}

/* The poller follows the run PENDING -> RUNNING -> SUCCEEDED, exports the state and logs the end. */
static void test_kfp_polls_run_to_succeeded(void **state)
{
    struct trig_instance ti;
    open_kfp(&ti, "kfp-ok", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    capture_start();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    int done = wait_metric("driftwatch_trainer_job_state{plugin=\"kfp-ok\",job=\"driftwatch-" KEY "\",state=\"SUCCEEDED\"} 1", 5000);
    char *log = capture_stop();
    assert_true(done);
    char path[512];
    snprintf(path, sizeof path, "/apis/v2beta1/runs/%s", res.job_id);
    assert_int_equal(fake_count(&kfp, "GET", path), 2);
    assert_non_null(strstr(log, "RUNNING"));
    assert_non_null(strstr(log, "finished: SUCCEEDED"));
    char *m = metrics_text();
    assert_non_null(strstr(m, "driftwatch_trainer_job_state{plugin=\"kfp-ok\",job=\"driftwatch-" KEY "\",state=\"RUNNING\"} 0"));
    assert_non_null(strstr(m, "driftwatch_trainer_job_state{plugin=\"kfp-ok\",job=\"driftwatch-" KEY "\",state=\"PENDING\"} 0"));
    free(m);
    free(log);
    /* Final: no more GETs. */
    usleep(300000);
    assert_int_equal(fake_count(&kfp, "GET", path), 2);
    trig_close(&ti);
}

/* A failing run ends in FAILED, logged at error level with the server's error message. */
static void test_kfp_polls_run_to_failed(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/config", "{\"outcome\": \"FAILED\", \"error_message\": \"task train "
                               "exited with status 137 (OOMKilled)\"}"),
                     0);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-fail", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    capture_start();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    int done = wait_metric("driftwatch_trainer_job_state{plugin=\"kfp-fail\",job=\"driftwatch-" KEY "\",state=\"FAILED\"} 1", 5000);
    char *log = capture_stop();
    assert_true(done);
    assert_non_null(strstr(log, "level=error"));
    assert_non_null(strstr(log, "finished: FAILED: task train exited with status 137 (OOMKilled)"));
    char *m = metrics_text();
    assert_non_null(strstr(m, "driftwatch_trainer_job_state{plugin=\"kfp-fail\",job=\"driftwatch-" KEY "\",state=\"RUNNING\"} 0"));
    free(m);
    free(log);
    trig_close(&ti);
}

/* A refused create (4xx) is not retried, and the error names the URL and the server's message. */
static void test_kfp_error_names_url_and_server_message(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": "
                               "\"^/apis/v2beta1/runs$\", \"status\": 400, \"message\": \"Invalid input error: "
                               "pipeline version ver-7 not found\"}]}"),
                     0);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-400", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "POST %s/apis/v2beta1/runs: HTTP 400: Invalid input error: pipeline version ver-7 "
             "not found", kfp.url);
    assert_non_null(strstr(err, want));
    assert_int_equal(fake_count(&kfp, "POST", "/apis/v2beta1/runs"), 1);
    assert_int_equal(run_count(), 0);
    trig_close(&ti);
}

/* Creates failing for longer than the deadline: an error that says so; nothing was created. */
static void test_kfp_gives_up_at_the_deadline(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": "
                               "\"^/apis/v2beta1/runs$\", \"times\": -1, \"status\": 503, \"message\": \"no healthy "
                               "upstream\"}]}"),
                     0);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-deadline", "deadline: 600ms\n");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    int64_t t0 = mono_ms();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_true(mono_ms() - t0 < 3000);
    assert_non_null(strstr(err, "HTTP 503: no healthy upstream"));
    assert_non_null(strstr(err, "gave up after"));
    assert_int_equal(run_count(), 0);
    trig_close(&ti);
}

static void test_kfp_dry_run_sends_nothing(void **state)
{
    struct trig_instance ti;
    open_kfp(&ti, "kfp-dry", "%s", "");
    struct dw_trigger_event ev = trig_event(KEY, 1);
    struct dw_trigger_result res;
    char err[1024];
    capture_start();
    int rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, 0);
    assert_string_equal(res.state, "DRY_RUN");
    assert_string_equal(res.job_id, RUN_NAME);
    json_t *reqs = fake_get(&kfp, "/_fake/requests");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    assert_non_null(strstr(log, "dry run: would look for a run named " RUN_NAME));
    assert_non_null(strstr(log, "pipeline_version_reference"));
    free(log);
    trig_close(&ti);
}

/* The token reaches the server but never the log, whatever happens: success, polling, a refused
 * token, a server error, a dry run, at debug level. */
static void test_kfp_token_never_logged(void **state)
{
    struct trig_instance ti;
    capture_start();
    open_kfp(&ti, "kfp-token", "token: %s\n", TOKEN);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024], errs[4096] = "";
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    wait_metric("driftwatch_trainer_job_state{plugin=\"kfp-token\",job=\"driftwatch-" KEY "\",state=\"SUCCEEDED\"} 1", 5000);
    fake_post(&kfp, "/_fake/faults", "{\"faults\": [{\"method\": \"GET\", \"status\": 500, \"times\": 2}]}");
    ev = trig_event("fraud-0f3e8a1b2c4d-2024-05-02T12:00:00Z", 0);
    trig_fire(&ti, &ev, &res, err, sizeof err);
    strncat(errs, err, sizeof errs - strlen(errs) - 1);
    fake_post(&kfp, "/_fake/config", "{\"tokens\": [\"another-token\"]}");
    ev = trig_event("fraud-0f3e8a1b2c4d-2024-05-03T12:00:00Z", 0);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "HTTP 401"));
    strncat(errs, err, sizeof errs - strlen(errs) - 1);
    ev = trig_event("fraud-0f3e8a1b2c4d-2024-05-04T12:00:00Z", 1);
    trig_fire(&ti, &ev, &res, err, sizeof err);
    trig_close(&ti);
    char *log = capture_stop();
    assert_null(strstr(log, TOKEN));
    assert_null(strstr(log, "s3cr3t"));
    assert_null(strstr(errs, TOKEN));
    json_t *create = fake_request(&kfp, "POST", "/apis/v2beta1/runs", 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(create, "headers"), "authorization")),
                        "Bearer " TOKEN);
    json_decref(create);
    free(log);
}

/* stop() returns promptly although the poll interval is long and a run is being followed. */
static void test_kfp_stop_is_prompt(void **state)
{
    struct trig_instance ti;
    open_kfp(&ti, "kfp-stop", "poll_interval: 30s\n");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    int64_t t0 = mono_ms();
    trig_close(&ti);
    assert_true(mono_ms() - t0 < 500);
}

/* ---- a run in flight survives a restart (issue #15 item 8) ---- */

/* Sets a run's state on the fake (which holds runs where they are with {"hold": true}). */
static void set_run_state(const char *run_id, const char *run_state)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"run_id\": \"%s\", \"state\": \"%s\"}", run_id, run_state);
    assert_int_equal(fake_post(&kfp, "/_fake/run_state", body), 0);
}

/* Waits until the pending-runs file does (want 1) or does not (want 0) mention run_id, up to ms. */
static int wait_pending(const char *path, const char *run_id, int want, int ms)
{
    for (int waited = 0; waited <= ms; waited += 50) {
        char *text = trig_read_file(path);
        int has = text && strstr(text, run_id) != NULL;
        free(text);
        if (has == want)
            return 1;
        usleep(50000);
    }
    return 0;
}

static int wait_gets(const char *path, size_t more_than, int ms)
{
    for (int waited = 0; waited <= ms; waited += 50) {
        if (fake_count(&kfp, "GET", path) > more_than)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* After the restart (a fresh instance with the same name and state dir, metrics emptied as in a new
 * process): the run is polled again at once, its state exported, and its final state reported and
 * dropped from the file. */
static void restart_and_follow(const char *instance, const char *dir, const char *run_id, const char *final)
{
    char run_path[512], file[1024], want[512];
    snprintf(run_path, sizeof run_path, "/apis/v2beta1/runs/%s", run_id);
    snprintf(file, sizeof file, "%s/kfp-%s.jobs.json", dir, instance);
    metrics_reset();
    size_t gets = fake_count(&kfp, "GET", run_path);
    struct trig_instance ti;
    capture_start();
    open_kfp(&ti, instance, "poll_interval: 100ms\n");
    int polled = wait_gets(run_path, gets, 5000);
    snprintf(want, sizeof want, "driftwatch_trainer_job_state{plugin=\"%s\",job=\"" RUN_NAME "\",state=\"RUNNING\"} 1",
             instance);
    int running = wait_metric(want, 5000);
    set_run_state(run_id, final);
    snprintf(want, sizeof want, "driftwatch_trainer_job_state{plugin=\"%s\",job=\"" RUN_NAME "\",state=\"%s\"} 1",
             instance, final);
    int ended = wait_metric(want, 5000);
    int forgotten = wait_pending(file, run_id, 0, 5000);
    trig_close(&ti);
    char *log = capture_stop();
    assert_true(polled);
    assert_true(running);
    assert_true(ended);
    assert_true(forgotten);
    assert_non_null(strstr(log, "resuming the polling of run"));
    snprintf(want, sizeof want, "finished: %s", final);
    assert_non_null(strstr(log, want));
    char *m = metrics_text();
    snprintf(want, sizeof want, "driftwatch_trainer_job_state{plugin=\"%s\",job=\"" RUN_NAME "\",state=\"RUNNING\"} 0",
             instance);
    assert_non_null(strstr(m, want));
    free(m);
    free(log);
}

/* A RUNNING run, then a clean stop (what SIGTERM does: stop, destroy), then a restart. */
static void test_kfp_run_in_flight_is_followed_after_a_stop_and_restart(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/config", "{\"hold\": true}"), 0);
    char *dir = trig_new_dir("kfp-restart");
    trig_state_dir(dir);
    struct trig_instance ti;
    open_kfp(&ti, "kfp-restart", "poll_interval: 100ms\n");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[1024], file[1024];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    set_run_state(res.job_id, "RUNNING");
    assert_true(wait_metric("driftwatch_trainer_job_state{plugin=\"kfp-restart\",job=\"" RUN_NAME "\",state=\"RUNNING\"} 1",
                            5000));
    snprintf(file, sizeof file, "%s/kfp-kfp-restart.jobs.json", dir);
    assert_true(wait_pending(file, "\"RUNNING\"", 1, 5000));
    trig_close(&ti);
    assert_true(wait_pending(file, res.job_id, 1, 0));

    restart_and_follow("kfp-restart", dir, res.job_id, "SUCCEEDED");
    assert_int_equal(run_count(), 1);
    trig_state_dir(trig_tmp_dir());
    free(dir);
}

/* The same after a SIGKILL: a child process creates the run and is killed while following it, so
 * nothing but what the trigger wrote before returning can tell the next process about the run. */
static void test_kfp_run_in_flight_is_followed_after_sigkill(void **state)
{
    assert_int_equal(fake_post(&kfp, "/_fake/config", "{\"hold\": true}"), 0);
    char *dir = trig_new_dir("kfp-kill");
    trig_state_dir(dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct trig_instance ti;
        char yaml[1024], err[1024];
        snprintf(yaml, sizeof yaml, "host: %s\npipeline_id: pipe-1\ntimeout: 1s\npoll_interval: 100ms\n", kfp.url);
        struct dw_trigger_event ev = trig_event(KEY, 0);
        struct dw_trigger_result res;
        if (trig_open(&ti, "kfp", "kfp-kill", yaml, err, sizeof err) < 0 || trig_start(&ti, err, sizeof err) < 0 ||
            trig_fire(&ti, &ev, &res, err, sizeof err) < 0) {
            fprintf(stderr, "child: %s\n", err);
            _exit(1);
        }
        for (;;)
            pause();
    }
    /* Killed once its poller has been at the run: the run is known to be followed. */
    char run_id[128] = "", run_path[256] = "";
    for (int waited = 0; waited <= 10000 && !run_path[0]; waited += 50) {
        json_t *runs = fake_get(&kfp, "/_fake/runs");
        const char *id = json_string_value(json_object_get(json_array_get(runs, 0), "run_id"));
        if (id) {
            snprintf(run_id, sizeof run_id, "%s", id);
            snprintf(run_path, sizeof run_path, "/apis/v2beta1/runs/%s", id);
        }
        json_decref(runs);
        if (!run_path[0])
            usleep(50000);
    }
    int polled = run_path[0] && wait_gets(run_path, 0, 5000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(polled);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    set_run_state(run_id, "RUNNING");

    restart_and_follow("kfp-kill", dir, run_id, "FAILED");
    assert_int_equal(run_count(), 1);
    trig_state_dir(trig_tmp_dir());
    free(dir);
}

static void test_kfp_init_rejects_bad_options(void **state)
{
    struct trig_instance ti;
    char err[512];
    assert_int_equal(trig_open(&ti, "kfp", "bad", "pipeline_id: p\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "host"));
    assert_int_equal(trig_open(&ti, "kfp", "bad", "host: ftp://x\npipeline_id: p\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "http:// or https://"));
    assert_int_equal(trig_open(&ti, "kfp", "bad", "host: http://x\npipeline_id: p\nparameters: [novalue]\n", err,
                               sizeof err),
                     -1);
    assert_non_null(strstr(err, "option 'parameters'"));
    assert_int_equal(trig_open(&ti, "kfp", "bad", "host: http://x\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "pipeline_id"));
    /* Bounds of the option table, enforced by the loader. */
    assert_int_equal(trig_open(&ti, "kfp", "bad", "host: http://x\npipeline_id: p\npoll_interval: 0s\n", err,
                               sizeof err),
                     -1);
    assert_non_null(strstr(err, "option 'poll_interval' must be at least 1ms"));
}

int main(void)
{
    /* Short backoff for the host's retries of reads (the env knob of core/http/http_client.c). */
    setenv("DW_HTTP_BACKOFF_MS", "20", 1);
    setenv("DW_HTTP_BACKOFF_MAX_MS", "100", 1);
    http_client_global_init();
    log_set_level(DW_LOG_DEBUG);
    trig_state_dir(trig_tmp_dir());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_kfp_create_body_has_the_v2beta1_shape, reset),
        cmocka_unit_test_setup(test_kfp_503_on_create_then_success_makes_exactly_one_run, reset),
        cmocka_unit_test_setup(test_kfp_create_timeout_after_server_acted_reuses_the_run, reset),
        cmocka_unit_test_setup(test_kfp_existing_run_with_same_display_name_is_reused, reset),
        cmocka_unit_test_setup(test_kfp_joins_a_run_of_the_model_created_within_the_cooldown, reset),
        cmocka_unit_test_setup(test_kfp_run_before_the_cooldown_is_not_joined, reset),
        cmocka_unit_test_setup(test_kfp_polls_run_to_succeeded, reset),
        cmocka_unit_test_setup(test_kfp_polls_run_to_failed, reset),
        cmocka_unit_test_setup(test_kfp_error_names_url_and_server_message, reset),
        cmocka_unit_test_setup(test_kfp_gives_up_at_the_deadline, reset),
        cmocka_unit_test_setup(test_kfp_dry_run_sends_nothing, reset),
        cmocka_unit_test_setup(test_kfp_token_never_logged, reset),
        cmocka_unit_test_setup(test_kfp_stop_is_prompt, reset),
        cmocka_unit_test_setup(test_kfp_init_rejects_bad_options, reset),
        cmocka_unit_test_setup(test_kfp_run_in_flight_is_followed_after_a_stop_and_restart, reset),
        cmocka_unit_test_setup(test_kfp_run_in_flight_is_followed_after_sigkill, reset),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
