/* Vertex AI plugin against the fake Vertex AI and fake Google auth servers on loopback.
 * Expected request shapes and values come from the Vertex AI REST v1 reference as the fake follows it
 * (tests/fakes/vertex/README.md: URLs, bodies, LROs, error shape, auth flows), not from plugin output. */
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/host.h"
#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "vertex_harness.h"

#define PARENT "projects/p/locations/l"
#define PIPELINES "/v1/" PARENT "/pipelineJobs"
#define CUSTOM_JOBS "/v1/" PARENT "/customJobs"
#define TEMPLATE "https://europe-west4-kfp.pkg.dev/p/pipes/retrain/v1"
#define TOKEN "test-token-123"

#define PIPELINE_OPTS                                                                                                 \
    "action: pipeline\ntemplate_uri: " TEMPLATE "\ngcs_output_directory: gs://bucket/root\n"
#define CUSTOM_OPTS                                                                                                   \
    "action: custom_job\nimage_uri: europe-docker.pkg.dev/p/train/trainer:1\nmachine_type: n1-standard-8\n"        \
    "args: [--epochs, \"3\"]\nbase_output_directory: gs://bucket/out\n"
#define TOKEN_OPT "access_token: " TOKEN "\n"
#define FAST "timeout: 2s\ndeadline: 10s\npoll: false\n"

static struct fake vertex, auth;
static char *key_file;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
    (void)state;
    http_client_global_init();
    char key_out[4096];
    snprintf(key_out, sizeof key_out, "%s/sa-key.json", tmp_dir());
    key_file = strdup(key_out);
    const char *auth_args[] = {"--public-key", DW_TEST_SOURCE_DIR "/tests/fakes/metadata/test_sa_key.pub.pem",
                               "--private-key", DW_TEST_SOURCE_DIR "/tests/fakes/metadata/test_sa_key.pem",
                               "--key-file-out", key_file, NULL};
    if (fake_start(&vertex, "tests/fakes/vertex/fake_vertex.py", NULL) < 0 ||
        fake_start(&auth, "tests/fakes/metadata/fake_metadata.py", auth_args) < 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_stop(&vertex);
    tmp_cleanup();
    fake_stop(&auth);
    free(key_file);
    metrics_reset();
    http_client_global_cleanup();
    return 0;
}

static int setup(void **state)
{
    (void)state;
    /* The HTTP client's backoff, shortened so retry tests run in milliseconds. */
    setenv("DW_HTTP_BACKOFF_MS", "20", 1);
    unsetenv("GCE_METADATA_HOST");
    log_set_level(DW_LOG_DEBUG);
    metrics_reset();
    host_set_state_dir(tmp_dir());
    if (fake_post(&vertex, "/_fake/reset", "{}") < 0 || fake_post(&auth, "/_fake/reset", "{}") < 0)
        return -1;
    return 0;
}

/* Opens an instance: project p, location l, the fake as api_endpoint, plus the given options. */
static void open_ok(struct vx_instance *vi, const char *fmt, ...)
{
    char extra[4096], yaml[8192], err[1024] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(extra, sizeof extra, fmt, ap);
    va_end(ap);
    snprintf(yaml, sizeof yaml, "project: p\nlocation: l\napi_endpoint: %s\n%s", vertex.url, extra);
    if (vx_open(vi, yaml, err, sizeof err) < 0)
        fail_msg("init failed: %s", err);
}

static const struct dw_feature_score features[] = {
    {"amount", "psi", 0.31, NAN},
    {"country", "chisquare", 41.2, 0.0001},
};

static int trigger(struct vx_instance *vi, const char *key, int dry_run, struct dw_trigger_result *res, char *err,
                   size_t errlen)
{
    struct dw_trigger_event ev = {.size = sizeof ev, .model = "fraud", .key = key, .data_version = "md5:3f2a",
                                  .window_end = "2024-05-01T12:00:00Z", .n_features = 2, .features = features,
                                  .dry_run = dry_run};
    err[0] = '\0';
    /* Zeroed and sized, as the host hands it over. */
    memset(res, 0, sizeof *res);
    res->size = sizeof *res;
    return vx_plugin()->trigger(vi->inst, &ev, res, err, errlen);
}

static int action(struct vx_instance *vi, const char *name, const char *params, json_t **result, char *err,
                  size_t errlen)
{
    char *out = NULL;
    err[0] = '\0';
    *result = NULL;
    int rc = vx_plugin()->action(vi->inst, name, params, &out, err, errlen);
    if (rc == 0) {
        *result = json_loads(out, 0, NULL);
        assert_non_null(*result);
    }
    host_table()->free(out); /* the answer is host->alloc memory */
    return rc;
}

static const char *jstr(json_t *j, const char *path)
{
    /* "a.b.c" lookup; numeric segments index arrays. */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); seg && j; seg = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(seg)) : json_object_get(j, seg);
    return json_string_value(j);
}

static json_t *jget(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); seg && j; seg = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(seg)) : json_object_get(j, seg);
    return j;
}

static size_t count_jobs(const char *table)
{
    json_t *st = fake_get(&vertex, "/_fake/state");
    size_t n = json_object_size(json_object_get(st, table));
    json_decref(st);
    return n;
}

static void append(char *buf, size_t size, const char *s)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s\n", s);
}

static size_t count_operation_gets(void)
{
    json_t *reqs = fake_get(&vertex, "/_fake/requests"), *it;
    size_t i, n = 0;
    json_array_foreach(reqs, i, it) {
        if (strcmp(jstr(it, "method"), "GET") == 0 && strstr(jstr(it, "path"), "/operations/"))
            n++;
    }
    json_decref(reqs);
    return n;
}

static int wait_for_metric(const char *needle, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        char *m = metrics_text();
        int found = m && strstr(m, needle);
        free(m);
        if (found)
            return 1;
        usleep(20000);
    }
    return 0;
}

/* ---- pipelineJobs.create ---- */

static void test_pipeline_create_with_template_uri_sends_documented_body(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST
            "service_account: trainer@p.iam.gserviceaccount.com\nquota_project: billing-proj\n"
            "parameter_values: [learning_rate=0.01, epochs=3, dataset=gs://bucket/train.csv]\nlabels: [team=risk]\n");
    assert_int_equal(trigger(&vi, "fraud-20240501t120000z", 0, &res, err, sizeof err), 0);
    /* A valid key is used verbatim as pipelineJobId; the job name is the parent plus that id. */
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-20240501t120000z");
    assert_string_equal(res.state, "PIPELINE_STATE_QUEUED");

    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    json_t *req = fake_request(&vertex, "POST", PIPELINES, 0);
    assert_string_equal(jstr(req, "query"), "pipelineJobId=fraud-20240501t120000z");
    assert_string_equal(jstr(req, "headers.authorization"), "Bearer " TOKEN);
    assert_string_equal(jstr(req, "headers.x-goog-user-project"), "billing-proj");
    json_t *body = json_object_get(req, "body");
    assert_string_equal(jstr(body, "templateUri"), TEMPLATE);
    assert_null(json_object_get(body, "pipelineSpec"));
    assert_string_equal(jstr(body, "displayName"), "driftwatch-retrain-fraud");
    assert_string_equal(jstr(body, "serviceAccount"), "trainer@p.iam.gserviceaccount.com");
    assert_string_equal(jstr(body, "runtimeConfig.gcsOutputDirectory"), "gs://bucket/root");
    json_t *params = jget(body, "runtimeConfig.parameterValues");
    assert_string_equal(jstr(params, "model"), "fraud");
    assert_string_equal(jstr(params, "drift_window_end"), "2024-05-01T12:00:00Z");
    assert_string_equal(jstr(params, "data_version"), "md5:3f2a");
    assert_string_equal(jstr(params, "drifted_features"), "amount,country");
    /* parameterValues are google.protobuf.Value: numbers stay numbers. */
    assert_true(json_is_real(json_object_get(params, "learning_rate")));
    assert_true(fabs(json_real_value(json_object_get(params, "learning_rate")) - 0.01) < 1e-12);
    assert_int_equal(json_integer_value(json_object_get(params, "epochs")), 3);
    assert_string_equal(jstr(params, "dataset"), "gs://bucket/train.csv");
    assert_string_equal(jstr(body, "labels.team"), "risk");
    assert_string_equal(jstr(body, "labels.driftwatch-key"), "fraud-20240501t120000z");
    assert_string_equal(jstr(body, "labels.driftwatch-model"), "fraud");
    json_decref(req);
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    vx_close(&vi);
}

static void test_pipeline_create_with_inline_pipeline_spec(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* The shape kfp's compiler writes: pipelineInfo, root, components, deploymentSpec, versions. */
    static const char spec[] =
        "{\"pipelineInfo\": {\"name\": \"retrain\"}, \"root\": {\"dag\": {\"tasks\": {}}, \"inputDefinitions\": "
        "{\"parameters\": {\"model\": {\"parameterType\": \"STRING\"}}}}, \"components\": {}, \"deploymentSpec\": "
        "{\"executors\": {}}, \"schemaVersion\": \"2.1.0\", \"sdkVersion\": \"kfp-2.7.0\"}";
    char *path = tmp_file("pipeline.json", spec);
    open_ok(&vi, "action: pipeline\npipeline_spec_path: %s\ngcs_output_directory: gs://bucket/root\n" TOKEN_OPT FAST,
            path);
    assert_int_equal(trigger(&vi, "fraud-inline", 0, &res, err, sizeof err), 0);
    json_t *req = fake_request(&vertex, "POST", PIPELINES, 0);
    json_t *expected = json_loads(spec, 0, NULL);
    assert_true(json_equal(jget(req, "body.pipelineSpec"), expected));
    assert_null(jget(req, "body.templateUri"));
    assert_string_equal(jstr(req, "body.runtimeConfig.gcsOutputDirectory"), "gs://bucket/root");
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-inline");
    json_decref(expected);
    json_decref(req);
    vx_close(&vi);
    free(path);
}

static void test_pipeline_job_id_is_sanitized_and_stable(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res1, res2;
    char err[1024];
    regex_t re;
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    const char *key = "Fraud/baseline@3f2a:2024-05-01T12:00:00Z";
    assert_int_equal(trigger(&vi, key, 0, &res1, err, sizeof err), 0);
    const char *id = strrchr(res1.job_id, '/') + 1;
    /* pipelineJobId must match [a-z][-a-z0-9]{0,127} (PipelineJobService.CreatePipelineJob). */
    assert_int_equal(regcomp(&re, "^[a-z][-a-z0-9]{0,127}$", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regexec(&re, id, 0, NULL, 0), 0);
    regfree(&re);
    assert_true(strncmp(id, "fraud-baseline-3f2a-2024-05-01t12-00-00z-", 41) == 0);
    /* The same key again: the same id, so the fake answers 409 and it is the same job. */
    assert_int_equal(trigger(&vi, key, 0, &res2, err, sizeof err), 0);
    assert_string_equal(res1.job_id, res2.job_id);
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    /* A label value (at most 63 of [-_a-z0-9]) carries the key too. */
    json_t *req = fake_request(&vertex, "POST", PIPELINES, 0);
    const char *label = jstr(req, "body.labels.driftwatch-key");
    assert_non_null(label);
    assert_true(strlen(label) <= 63);
    assert_int_equal(strspn(label, "abcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(label));
    json_decref(req);
    vx_close(&vi);
}

static void test_pipeline_create_retries_429_three_times_then_creates_exactly_one_job(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"status\": 429, \"times\": 3}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger(&vi, "fraud-429", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 4);
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-429");
    vx_close(&vi);
}

static void test_pipeline_create_503_storm_beyond_deadline_fails_with_bounded_attempts(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    setenv("DW_HTTP_BACKOFF_MS", "100", 1);
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"status\": 503, \"times\": -1}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT "timeout: 500ms\ndeadline: 1s\nmax_attempts: 100\npoll: false\n");
    int64_t t0 = now_ms();
    assert_int_equal(trigger(&vi, "fraud-storm", 0, &res, err, sizeof err), -1);
    int64_t took = now_ms() - t0;
    /* The deadline bounds the whole call; backoff 100, 200, 400 ms (jittered) fits a handful of attempts. */
    assert_true(took < 2000);
    size_t posts = fake_count(&vertex, "POST", PIPELINES);
    assert_true(posts >= 2 && posts <= 12);
    char expect[128];
    snprintf(expect, sizeof expect, "(after %zu attempts)", posts);
    assert_non_null(strstr(err, "vertex: pipelineJobs.create " PARENT ": 503 UNAVAILABLE: Injected fault."));
    assert_non_null(strstr(err, expect));
    assert_int_equal(count_jobs("pipeline_jobs"), 0);
    vx_close(&vi);
}

static void test_pipeline_create_409_after_a_lost_answer_is_the_same_job(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* The first create succeeds on the server but its answer comes after the client's timeout. */
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"delay_after\": 1.5}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT "timeout: 500ms\ndeadline: 10s\npoll: false\n");
    assert_int_equal(trigger(&vi, "fraud-lost", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 2);
    assert_int_equal(fake_count(&vertex, "GET", PIPELINES "/fraud-lost"), 1);
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-lost");
    assert_true(strncmp(res.state, "PIPELINE_STATE_", 15) == 0);
    assert_int_equal(res.joined, 0); /* the 409 answered a retry: the job is this trigger's own */
    vx_close(&vi);
}

/* ---- the fleet's drift episode (docs/operations.md): join a job of the model within the cooldown ---- */

#define FLEET_KEY "fraud-0123456789ab-492322"
#define HOUR_MS (3600 * 1000LL)

/* A trigger as the agent sends it: the episode's key, start and the model's cooldown. */
static int trigger_episode(struct vx_instance *vi, const char *key, int64_t cooldown_ms,
                           struct dw_trigger_result *res, char *err, size_t errlen)
{
    struct dw_trigger_event ev = {.size = sizeof ev, .model = "fraud", .key = key, .data_version = "0123456789abcdef",
                                  .window_end = "2026-03-01T10:00:00Z", .n_features = 2, .features = features,
                                  .cooldown_ms = cooldown_ms, .episode_start = 1772359200};
    err[0] = '\0';
    memset(res, 0, sizeof *res);
    res->size = sizeof *res;
    return vx_plugin()->trigger(vi->inst, &ev, res, err, errlen);
}

/* An RFC 3339 UTC time `ago` seconds before now. */
static void rfc3339_ago(int64_t ago, char *out, size_t outlen)
{
    time_t t = time(NULL) - (time_t)ago;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void seed_pipeline_job(const char *id, const char *model, int64_t ago)
{
    char body[1024], created[32];
    rfc3339_ago(ago, created, sizeof created);
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"labels\": {\"driftwatch-model\": \"%s\", \"driftwatch-key\": \"%s\"}, "
             "\"createTime\": \"%s\"}", id, model, id, created);
    assert_int_equal(fake_post(&vertex, "/_fake/pipeline_jobs", body), 0);
}

/* %XX-decoded copy of s (the fake records the raw query). */
static void url_decode(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *s && o + 1 < outlen; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            out[o++] = (char)v;
            s += 2;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

static void test_pipeline_joins_a_job_of_the_model_created_within_the_cooldown(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* Another replica's job for this episode, from the bucket before (its episode began first). */
    seed_pipeline_job("fraud-0123456789ab-492321", "fraud", 40);
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    time_t before = time(NULL);
    assert_int_equal(trigger_episode(&vi, FLEET_KEY, HOUR_MS, &res, err, sizeof err), 0);
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-0123456789ab-492321");
    assert_int_equal(res.joined, 1);
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 0); /* nothing created */
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    /* pipelineJobs.list with the documented AIP-160 filter: the model's label, created within 1 h. */
    json_t *list = fake_request(&vertex, "GET", PIPELINES, 0);
    assert_non_null(list);
    char query[1024], want[256], since[32];
    url_decode(jstr(list, "query"), query, sizeof query);
    const char *at = strstr(query, "create_time>\"");
    assert_non_null(at);
    snprintf(since, sizeof since, "%.20s", at + strlen("create_time>\""));
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(since, "%Y-%m-%dT%H:%M:%SZ", &tm));
    time_t cutoff = timegm(&tm);
    assert_true(cutoff >= before - 3600 - 1 && cutoff <= time(NULL) - 3600);
    snprintf(want, sizeof want, "filter=labels.driftwatch-model=\"fraud\" AND create_time>\"%s\"&pageSize=100", since);
    assert_string_equal(query, want);
    json_decref(list);
    vx_close(&vi);
}

/* Jobs the lookup must not adopt: the model's own from before the cooldown, another model's. The
 * fake leaves create_time unapplied (a lax server) and pages one job at a time, so the plugin both
 * checks createTime itself and follows nextPageToken to the end before creating its own job. */
static void test_pipeline_lookup_pages_and_skips_old_or_foreign_jobs(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/config", "{\"max_page_size\": 1, \"filter_ignores\": [\"create_time\"]}");
    seed_pipeline_job("fraud-0123456789ab-492319", "fraud", 3 * 3600);
    seed_pipeline_job("fraud-0123456789ab-492320", "fraud", 2 * 3600);
    seed_pipeline_job("other-0123456789ab-492322", "other", 10);
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger_episode(&vi, FLEET_KEY, HOUR_MS, &res, err, sizeof err), 0);
    assert_int_equal(res.joined, 0);
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/" FLEET_KEY);
    assert_int_equal(fake_count(&vertex, "GET", PIPELINES), 2); /* two old fraud jobs, one per page */
    json_t *second = fake_request(&vertex, "GET", PIPELINES, 1);
    assert_non_null(strstr(jstr(second, "query"), "&pageToken=1"));
    json_decref(second);
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    assert_int_equal(count_jobs("pipeline_jobs"), 4);
    vx_close(&vi);
}

/* Two replicas whose lookups ran before either created: the same key, so the second create gets
 * 409 ALREADY_EXISTS and the job is joined, not duplicated. */
static void test_pipeline_409_of_the_same_key_is_joined(void **state)
{
    (void)state;
    struct vx_instance a, b;
    struct dw_trigger_result ra, rb;
    char err[1024];
    open_ok(&a, PIPELINE_OPTS TOKEN_OPT FAST);
    open_ok(&b, PIPELINE_OPTS TOKEN_OPT FAST);
    /* No cooldown passed: no lookup, the pipelineJobId alone keeps the job single. */
    assert_int_equal(trigger_episode(&a, FLEET_KEY, 0, &ra, err, sizeof err), 0);
    assert_int_equal(trigger_episode(&b, FLEET_KEY, 0, &rb, err, sizeof err), 0);
    assert_int_equal(fake_count(&vertex, "GET", PIPELINES), 0);
    assert_int_equal(ra.joined, 0);
    assert_int_equal(rb.joined, 1);
    assert_string_equal(ra.job_id, rb.job_id);
    assert_int_equal(count_jobs("pipeline_jobs"), 1);
    vx_close(&a);
    vx_close(&b);
}

static void test_custom_job_joins_a_job_of_the_model_created_within_the_cooldown(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result r1, r2;
    char err[1024];
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger_episode(&vi, "fraud-0123456789ab-492321", HOUR_MS, &r1, err, sizeof err), 0);
    assert_int_equal(r1.joined, 0);
    /* The next bucket's key, within the hour: the job of the bucket before is this episode's. */
    assert_int_equal(trigger_episode(&vi, FLEET_KEY, HOUR_MS, &r2, err, sizeof err), 0);
    assert_int_equal(r2.joined, 1);
    assert_string_equal(r2.job_id, r1.job_id);
    assert_int_equal(fake_count(&vertex, "POST", CUSTOM_JOBS), 1);
    assert_int_equal(count_jobs("custom_jobs"), 1);
    json_t *list = fake_request(&vertex, "GET", CUSTOM_JOBS, 2); /* r1: fleet + key lookups; r2: fleet */
    char query[1024];
    url_decode(jstr(list, "query"), query, sizeof query);
    assert_true(strncmp(query, "filter=labels.driftwatch-model=\"fraud\" AND create_time>\"", 56) == 0);
    json_decref(list);
    vx_close(&vi);
}

/* A list that fails (403 here) fails the trigger: nothing is created blind, the policy retries. */
static void test_failed_lookup_fails_the_trigger_without_creating(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"GET\", \"path\": \"/pipelineJobs$\", \"status\": 403, \"message\": "
              "\"Permission 'aiplatform.pipelineJobs.list' denied\"}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger_episode(&vi, FLEET_KEY, HOUR_MS, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "pipelineJobs.list"));
    assert_non_null(strstr(err, "403"));
    assert_non_null(strstr(err, "looking for a job of model fraud"));
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 0);
    vx_close(&vi);
}

/* ---- customJobs.create ---- */

static void test_custom_job_create_sends_documented_body(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT FAST "service_account: trainer@p.iam.gserviceaccount.com\n");
    assert_int_equal(trigger(&vi, "fraud-custom", 0, &res, err, sizeof err), 0);
    assert_true(strncmp(res.job_id, PARENT "/customJobs/", strlen(PARENT "/customJobs/")) == 0);
    assert_string_equal(res.state, "JOB_STATE_QUEUED");
    json_t *req = fake_request(&vertex, "POST", CUSTOM_JOBS, 0);
    assert_string_equal(jstr(req, "query"), ""); /* customJobs.create takes no client id */
    json_t *pool = jget(req, "body.jobSpec.workerPoolSpecs.0");
    assert_string_equal(jstr(pool, "machineSpec.machineType"), "n1-standard-8");
    assert_string_equal(jstr(pool, "replicaCount"), "1"); /* int64 as a JSON string */
    assert_string_equal(jstr(pool, "containerSpec.imageUri"), "europe-docker.pkg.dev/p/train/trainer:1");
    assert_string_equal(jstr(pool, "containerSpec.args.0"), "--epochs");
    assert_string_equal(jstr(pool, "containerSpec.args.1"), "3");
    assert_string_equal(jstr(pool, "containerSpec.env.0.name"), "DRIFTWATCH_MODEL");
    assert_string_equal(jstr(pool, "containerSpec.env.0.value"), "fraud");
    assert_string_equal(jstr(req, "body.jobSpec.baseOutputDirectory.outputUriPrefix"), "gs://bucket/out");
    assert_string_equal(jstr(req, "body.jobSpec.serviceAccount"), "trainer@p.iam.gserviceaccount.com");
    assert_string_equal(jstr(req, "body.labels.driftwatch-key"), "fraud-custom");
    assert_string_equal(jstr(req, "body.displayName"), "driftwatch-retrain-fraud");
    json_decref(req);
    /* Before creating, it looked the key up by label. */
    json_t *list = fake_request(&vertex, "GET", CUSTOM_JOBS, 0);
    assert_non_null(list);
    assert_non_null(strstr(jstr(list, "query"), "filter=labels.driftwatch-key%3D%22fraud-custom%22"));
    json_decref(list);
    vx_close(&vi);
}

static void test_custom_job_create_after_a_timeout_is_never_duplicated(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* The server creates the job, the answer is lost (client timeout): the label finds it. */
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/customJobs$\", \"delay_after\": 1.5}]}");
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT "timeout: 500ms\ndeadline: 10s\nretry_delay: 50ms\npoll: false\n");
    assert_int_equal(trigger(&vi, "fraud-timeout", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&vertex, "POST", CUSTOM_JOBS), 1);
    assert_int_equal(fake_count(&vertex, "GET", CUSTOM_JOBS), 2); /* before the create, and after the timeout */
    assert_int_equal(count_jobs("custom_jobs"), 1);
    json_t *st = fake_get(&vertex, "/_fake/state");
    assert_non_null(json_object_get(json_object_get(st, "custom_jobs"), res.job_id));
    json_decref(st);
    vx_close(&vi);
}

static void test_custom_job_second_trigger_with_same_key_finds_the_first(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result r1, r2;
    char err[1024];
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger(&vi, "fraud-twice", 0, &r1, err, sizeof err), 0);
    assert_int_equal(trigger(&vi, "fraud-twice", 0, &r2, err, sizeof err), 0);
    assert_string_equal(r1.job_id, r2.job_id);
    assert_int_equal(fake_count(&vertex, "POST", CUSTOM_JOBS), 1);
    assert_int_equal(count_jobs("custom_jobs"), 1);
    vx_close(&vi);
}

static void test_custom_job_503_on_create_lists_before_creating_again(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/customJobs$\", \"status\": 503, \"times\": 1}]}");
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT FAST "retry_delay: 20ms\n");
    assert_int_equal(trigger(&vi, "fraud-503", 0, &res, err, sizeof err), 0);
    /* list, create (503), list (nothing), create: two creates, each after a list, one job. */
    assert_int_equal(fake_count(&vertex, "POST", CUSTOM_JOBS), 2);
    assert_int_equal(fake_count(&vertex, "GET", CUSTOM_JOBS), 2);
    assert_int_equal(count_jobs("custom_jobs"), 1);
    vx_close(&vi);
}

static void test_custom_job_400_is_not_retried(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/customJobs$\", \"status\": 400, \"message\": "
              "\"Machine type n1-standard-8 is not supported.\"}]}");
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT FAST "retry_delay: 20ms\n");
    assert_int_equal(trigger(&vi, "fraud-400", 0, &res, err, sizeof err), -1);
    assert_string_equal(err, "vertex: customJobs.create " PARENT ": 400 INVALID_ARGUMENT: Machine type n1-standard-8 "
                             "is not supported.");
    assert_int_equal(fake_count(&vertex, "POST", CUSTOM_JOBS), 1);
    vx_close(&vi);
}

/* ---- polling ---- */

static void test_poll_pipeline_to_succeeded_exports_state_gauge(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT "timeout: 2s\npoll: true\npoll_interval: 20ms\npoll_max_interval: 40ms\n");
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    assert_int_equal(trigger(&vi, "fraud-poll", 0, &res, err, sizeof err), 0);
    assert_true(wait_for_metric("driftwatch_trainer_job_state{plugin=\"vx\",job=\"fraud-poll\",state=\"PIPELINE_STATE_"
                                "SUCCEEDED\"} 1",
                                5000));
    char *m = metrics_text();
    /* States it passed through are 0: QUEUED -> PENDING -> RUNNING -> SUCCEEDED (fake's progression). */
    assert_non_null(strstr(m, "driftwatch_trainer_job_state{plugin=\"vx\",job=\"fraud-poll\",state=\"PIPELINE_STATE_"
                              "QUEUED\"} 0"));
    assert_non_null(strstr(m, "driftwatch_trainer_job_state{plugin=\"vx\",job=\"fraud-poll\",state=\"PIPELINE_STATE_"
                              "RUNNING\"} 0"));
    assert_non_null(strstr(m, "driftwatch_trainer_jobs_finished_total{plugin=\"vx\",state=\"PIPELINE_STATE_SUCCEEDED\"}"
                              " 1"));
    free(m);
    /* A final state ends the polling: no GET after it. */
    size_t gets = fake_count(&vertex, "GET", PIPELINES "/fraud-poll");
    usleep(200000);
    assert_int_equal(fake_count(&vertex, "GET", PIPELINES "/fraud-poll"), gets);
    assert_int_equal(gets, 3);
    vx_close(&vi);
}

static void test_poll_custom_job_to_failed_logs_the_job_error(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/config", "{\"job_outcome\": \"FAILED\"}");
    open_ok(&vi, CUSTOM_OPTS TOKEN_OPT "timeout: 2s\npoll: true\npoll_interval: 20ms\npoll_max_interval: 40ms\n");
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    capture_start();
    assert_int_equal(trigger(&vi, "fraud-fails", 0, &res, err, sizeof err), 0);
    const char *id = strrchr(res.job_id, '/') + 1;
    char needle[256];
    snprintf(needle, sizeof needle, "driftwatch_trainer_job_state{plugin=\"vx\",job=\"%s\",state=\"JOB_STATE_FAILED\"} 1",
             id);
    int seen = wait_for_metric(needle, 5000);
    usleep(50000);
    char *log = capture_stop();
    assert_true(seen);
    /* The fake's job error (google.rpc.Status code 13) reaches the log with the job's name. */
    assert_non_null(strstr(log, "JOB_STATE_FAILED: INTERNAL (code 13): The replica workerpool0-0 exited with a "
                                "non-zero status of 1."));
    assert_non_null(strstr(log, res.job_id));
    free(log);
    vx_close(&vi);
}

static void test_wait_job_action_reports_a_failed_job_with_its_error(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], params[512];
    json_t *result;
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST "poll_interval: 10ms\npoll_max_interval: 20ms\n");
    assert_int_equal(trigger(&vi, "fraud-wait-ok", 0, &res, err, sizeof err), 0);
    snprintf(params, sizeof params, "{\"job\": \"%s\"}", res.job_id);
    assert_int_equal(action(&vi, "wait_job", params, &result, err, sizeof err), 0);
    assert_string_equal(jstr(result, "state"), "PIPELINE_STATE_SUCCEEDED");
    assert_string_equal(jstr(result, "name"), res.job_id);
    json_decref(result);

    fake_post(&vertex, "/_fake/config", "{\"job_outcome\": \"FAILED\", \"job_error\": {\"code\": 9, \"message\": "
                                        "\"The DAG failed because some tasks failed.\"}}");
    assert_int_equal(trigger(&vi, "fraud-wait-fail", 0, &res, err, sizeof err), 0);
    /* get_job by bare id: letters mean a pipeline job. */
    assert_int_equal(action(&vi, "get_job", "{\"job\": \"fraud-wait-fail\"}", &result, err, sizeof err), 0);
    assert_string_equal(jstr(result, "name"), PARENT "/pipelineJobs/fraud-wait-fail");
    json_decref(result);
    assert_int_equal(action(&vi, "wait_job", "{\"job\": \"fraud-wait-fail\"}", &result, err, sizeof err), -1);
    assert_string_equal(err, "vertex: job " PARENT "/pipelineJobs/fraud-wait-fail ended PIPELINE_STATE_FAILED: "
                             "FAILED_PRECONDITION (code 9): The DAG failed because some tasks failed.");
    vx_close(&vi);
}

static void test_stop_is_prompt_while_a_job_is_pending(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT "timeout: 2s\npoll: true\npoll_interval: 60s\n");
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    assert_int_equal(trigger(&vi, "fraud-stop", 0, &res, err, sizeof err), 0);
    int64_t t0 = now_ms();
    vx_plugin()->stop(vi.inst);
    vi.started = 0;
    assert_true(now_ms() - t0 < 500);
    vx_close(&vi);
}

static void test_pending_jobs_are_polled_again_after_a_restart(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    const char *opts = PIPELINE_OPTS TOKEN_OPT "timeout: 2s\npoll: true\npoll_interval: 20ms\npoll_max_interval: 40ms\n";
    open_ok(&vi, "%s", opts);
    fake_post(&vertex, "/_fake/config", "{\"steps_per_state\": 1000}"); /* stays QUEUED for now */
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    assert_int_equal(trigger(&vi, "fraud-restart", 0, &res, err, sizeof err), 0);
    vx_close(&vi);
    fake_post(&vertex, "/_fake/config", "{\"steps_per_state\": 1}");
    open_ok(&vi, "%s", opts);
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    assert_true(wait_for_metric("job=\"fraud-restart\",state=\"PIPELINE_STATE_SUCCEEDED\"} 1", 5000));
    vx_close(&vi);
}

/* ---- models and endpoints ---- */

static void seed_endpoint(void)
{
    fake_post(&vertex, "/_fake/models", "{\"id\": \"m-old\"}");
    fake_post(&vertex, "/_fake/endpoints",
              "{\"id\": \"ep1\", \"deployedModels\": [{\"id\": \"111\", \"model\": \"" PARENT "/models/m-old\", "
              "\"createTime\": \"2024-04-01T10:00:00Z\"}], \"trafficSplit\": {\"111\": 100}}");
}

static void test_upload_deploy_rollback_follow_their_operations(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024], params[1024];
    json_t *result;
    seed_endpoint();
    fake_post(&vertex, "/_fake/config", "{\"lro_polls\": 2}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST "operation_poll_interval: 10ms\noperation_poll_max_interval: 20ms\n");

    assert_int_equal(action(&vi, "upload_model",
                            "{\"display_name\": \"fraud-v2\", \"artifact_uri\": \"gs://bucket/model/v2\", "
                            "\"image_uri\": \"europe-docker.pkg.dev/p/serve/fraud:2\", \"predict_route\": "
                            "\"/predict\", \"health_route\": \"/health\"}",
                            &result, err, sizeof err),
                     0);
    const char *model = jstr(result, "model");
    assert_non_null(model);
    assert_true(strncmp(model, PARENT "/models/", strlen(PARENT "/models/")) == 0);
    assert_string_equal(jstr(result, "modelVersionId"), "1");
    json_t *up = fake_request(&vertex, "POST", "/v1/" PARENT "/models:upload", 0);
    assert_string_equal(jstr(up, "body.model.displayName"), "fraud-v2");
    assert_string_equal(jstr(up, "body.model.artifactUri"), "gs://bucket/model/v2");
    assert_string_equal(jstr(up, "body.model.containerSpec.imageUri"), "europe-docker.pkg.dev/p/serve/fraud:2");
    assert_string_equal(jstr(up, "body.model.containerSpec.predictRoute"), "/predict");
    assert_string_equal(jstr(up, "body.model.containerSpec.healthRoute"), "/health");
    assert_int_equal(json_integer_value(jget(up, "body.model.containerSpec.ports.0.containerPort")), 8080);
    json_decref(up);

    snprintf(params, sizeof params, "{\"endpoint\": \"ep1\", \"model\": \"%s\", \"traffic_percent\": 10, "
             "\"machine_type\": \"n1-standard-4\", \"min_replicas\": 1, \"max_replicas\": 2}", model);
    json_decref(result);
    assert_int_equal(action(&vi, "deploy", params, &result, err, sizeof err), 0);
    const char *new_id = jstr(result, "deployedModelId");
    assert_non_null(new_id);
    json_t *dep = fake_request(&vertex, "POST", "/v1/" PARENT "/endpoints/ep1:deployModel", 0);
    /* "0" is the model being deployed; the old one keeps the rest; shares sum to 100. */
    assert_int_equal(json_integer_value(jget(dep, "body.trafficSplit.0")), 10);
    assert_int_equal(json_integer_value(jget(dep, "body.trafficSplit.111")), 90);
    assert_string_equal(jstr(dep, "body.deployedModel.dedicatedResources.machineSpec.machineType"), "n1-standard-4");
    assert_int_equal(json_integer_value(jget(dep, "body.deployedModel.dedicatedResources.minReplicaCount")), 1);
    assert_int_equal(json_integer_value(jget(dep, "body.deployedModel.dedicatedResources.maxReplicaCount")), 2);
    json_decref(dep);
    /* Operations were followed: with lro_polls 2 each answered done=false twice, then done. */
    assert_int_equal(count_operation_gets(), 4);

    char *new_copy = strdup(new_id);
    json_decref(result);
    assert_int_equal(action(&vi, "rollback", "{\"endpoint\": \"ep1\"}", &result, err, sizeof err), 0);
    assert_string_equal(jstr(result, "undeployedModelId"), new_copy);
    assert_string_equal(jstr(result, "restoredModelId"), "111");
    json_decref(result);
    json_t *und = fake_request(&vertex, "POST", "/v1/" PARENT "/endpoints/ep1:undeployModel", 0);
    assert_string_equal(jstr(und, "body.deployedModelId"), new_copy);
    assert_int_equal(json_integer_value(jget(und, "body.trafficSplit.111")), 100);
    json_decref(und);
    /* The endpoint as the fake now has it: only the old model, with all the traffic. */
    json_t *st = fake_get(&vertex, "/_fake/state");
    json_t *ep = json_object_get(json_object_get(st, "endpoints"), PARENT "/endpoints/ep1");
    assert_int_equal(json_array_size(json_object_get(ep, "deployedModels")), 1);
    assert_string_equal(jstr(ep, "deployedModels.0.id"), "111");
    assert_int_equal(json_integer_value(jget(ep, "trafficSplit.111")), 100);
    json_decref(st);
    free(new_copy);
    assert_int_equal(count_operation_gets(), 6);
    vx_close(&vi);
}

static void test_undeploy_scales_the_remaining_traffic_to_100(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024];
    json_t *result;
    fake_post(&vertex, "/_fake/endpoints",
              "{\"id\": \"ep3\", \"deployedModels\": [{\"id\": \"1\", \"model\": \"m\"}, {\"id\": \"2\", \"model\": "
              "\"m\"}, {\"id\": \"3\", \"model\": \"m\"}], \"trafficSplit\": {\"1\": 50, \"2\": 30, \"3\": 20}}");
    fake_post(&vertex, "/_fake/config", "{\"lro_polls\": 0}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST "operation_poll_interval: 10ms\n");
    assert_int_equal(action(&vi, "undeploy", "{\"endpoint\": \"ep3\", \"deployed_model_id\": \"3\"}", &result, err,
                            sizeof err),
                     0);
    /* 50:30 scaled to 100 is 62.5:37.5; largest remainder (a tie, first wins) gives 63:37. */
    json_t *und = fake_request(&vertex, "POST", "/v1/" PARENT "/endpoints/ep3:undeployModel", 0);
    assert_int_equal(json_integer_value(jget(und, "body.trafficSplit.1")), 63);
    assert_int_equal(json_integer_value(jget(und, "body.trafficSplit.2")), 37);
    assert_null(jget(und, "body.trafficSplit.3"));
    json_decref(und);
    json_decref(result);
    assert_int_equal(action(&vi, "undeploy", "{\"endpoint\": \"ep3\", \"deployed_model_id\": \"9\"}", &result, err,
                            sizeof err),
                     -1);
    assert_string_equal(err, "vertex: undeploy: 9 is not deployed on " PARENT "/endpoints/ep3 (deployed: 1, 2)");
    vx_close(&vi);
}

static void test_operation_error_is_surfaced(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024];
    json_t *result;
    seed_endpoint();
    fake_post(&vertex, "/_fake/config", "{\"lro_polls\": 1, \"lro_error\": {\"code\": 8, \"message\": \"The following "
                                        "quota metrics exceed quota limits: custom_model_serving_cpus\"}}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST "operation_poll_interval: 10ms\n");
    assert_int_equal(action(&vi, "deploy", "{\"endpoint\": \"ep1\", \"model\": \"m-old\"}", &result, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "vertex: endpoints.deployModel " PARENT "/endpoints/ep1: operation " PARENT
                                "/endpoints/ep1/operations/"));
    assert_non_null(strstr(err, " failed: RESOURCE_EXHAUSTED (code 8): The following quota metrics exceed quota "
                                "limits: custom_model_serving_cpus"));
    vx_close(&vi);
}

/* ---- ids as Vertex gives them (issue #11 item 8) ---- */

/* Above INT64_MAX (9223372036854775807): through int64 or a double it would come out wrong. */
#define BIG_EP "9223372036854775808"

static void seed_numeric_endpoint(void)
{
    fake_post(&vertex, "/_fake/models", "{\"id\": \"1000000000000000111\", \"displayName\": \"fraud-v1\"}");
    fake_post(&vertex, "/_fake/models", "{\"id\": \"4242424242424242424\", \"displayName\": \"fraud-v2\"}");
    fake_post(&vertex, "/_fake/endpoints",
              "{\"id\": \"" BIG_EP "\", \"deployedModels\": [{\"id\": \"111\", \"model\": \"" PARENT
              "/models/1000000000000000111\", \"createTime\": \"2024-04-01T10:00:00Z\"}], \"trafficSplit\": "
              "{\"111\": 100}}");
}

static size_t count_posts(const char *path)
{
    return fake_count(&vertex, "POST", path);
}

/* deploy with the model as a JSON number and the endpoint beyond int64, through a 503 and a 429
 * on deployModel (nothing was deployed, so it is sent again: one new deployed model in the end),
 * named like the model; then a rollback given the new id as text and `to` as a number, through a
 * 503 on undeployModel. */
static void test_deploy_and_rollback_take_numeric_ids_and_retry(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024], params[512];
    json_t *result;
    seed_numeric_endpoint();
    fake_post(&vertex, "/_fake/config", "{\"lro_polls\": 0}");
    fake_post(&vertex, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": \":deployModel$\", \"status\": "
                                        "503, \"times\": 1}, {\"method\": \"POST\", \"path\": \":deployModel$\", "
                                        "\"status\": 429, \"times\": 1}, {\"method\": \"POST\", \"path\": "
                                        "\":undeployModel$\", \"status\": 503, \"times\": 1}]}");
    /* A config without retraining options: action none. */
    open_ok(&vi, "action: none\n" TOKEN_OPT FAST "retry_delay: 10ms\noperation_poll_interval: 10ms\n");
    assert_int_equal(action(&vi, "deploy", "{\"endpoint\": \"" BIG_EP "\", \"model\": 4242424242424242424, "
                                           "\"traffic_percent\": \"10\"}",
                            &result, err, sizeof err),
                     0);
    assert_int_equal(count_posts("/v1/" PARENT "/endpoints/" BIG_EP ":deployModel"), 3);
    json_t *dep = fake_request(&vertex, "POST", "/v1/" PARENT "/endpoints/" BIG_EP ":deployModel", 2);
    assert_string_equal(jstr(dep, "body.deployedModel.model"), PARENT "/models/4242424242424242424");
    assert_string_equal(jstr(dep, "body.deployedModel.displayName"), "fraud-v2");
    assert_int_equal(json_integer_value(jget(dep, "body.trafficSplit.0")), 10);
    json_decref(dep);
    const char *id = jstr(result, "deployedModelId");
    assert_non_null(id);
    assert_int_equal(strlen(id), 19);
    assert_true(strcmp(id, "9223372036854775807") > 0); /* the fake's deployed ids are beyond int64 */
    assert_string_equal(jstr(result, "endpoint"), PARENT "/endpoints/" BIG_EP);
    char new_id[32];
    snprintf(new_id, sizeof new_id, "%s", id);
    json_decref(result);
    json_t *st = fake_get(&vertex, "/_fake/state");
    json_t *ep = json_object_get(json_object_get(st, "endpoints"), PARENT "/endpoints/" BIG_EP);
    assert_int_equal(json_array_size(json_object_get(ep, "deployedModels")), 2);
    json_decref(st);

    snprintf(params, sizeof params, "{\"endpoint\": \"" BIG_EP "\", \"deployed_model_id\": \"%s\", \"to\": 111}",
             new_id);
    assert_int_equal(action(&vi, "rollback", params, &result, err, sizeof err), 0);
    assert_string_equal(jstr(result, "undeployedModelId"), new_id);
    assert_string_equal(jstr(result, "restoredModelId"), "111");
    json_decref(result);
    assert_int_equal(count_posts("/v1/" PARENT "/endpoints/" BIG_EP ":undeployModel"), 2);
    st = fake_get(&vertex, "/_fake/state");
    ep = json_object_get(json_object_get(st, "endpoints"), PARENT "/endpoints/" BIG_EP);
    assert_int_equal(json_array_size(json_object_get(ep, "deployedModels")), 1);
    assert_string_equal(jstr(ep, "deployedModels.0.id"), "111");
    json_decref(st);
    vx_close(&vi);
}

/* A deployModel that went through but whose answer was lost (the client timed out): the read
 * before the retry finds the new deployed model, so nothing is sent twice. Likewise an upload. */
static void test_lost_answers_are_found_by_reading_before_retrying(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024];
    json_t *result;
    seed_numeric_endpoint();
    fake_post(&vertex, "/_fake/config", "{\"lro_polls\": 0}");
    fake_post(&vertex, "/_fake/faults", "{\"faults\": [{\"method\": \"POST\", \"path\": \":deployModel$\", "
                                        "\"delay_after\": 1.5, \"times\": 1}, {\"method\": \"POST\", \"path\": "
                                        "\"models:upload$\", \"delay_after\": 1.5, \"times\": 1}]}");
    open_ok(&vi, "action: none\n" TOKEN_OPT "timeout: 500ms\ndeadline: 10s\npoll: false\nretry_delay: 10ms\n"
                 "operation_poll_interval: 10ms\n");
    assert_int_equal(action(&vi, "deploy", "{\"endpoint\": \"" BIG_EP "\", \"model\": \"4242424242424242424\"}",
                            &result, err, sizeof err),
                     0);
    assert_int_equal(count_posts("/v1/" PARENT "/endpoints/" BIG_EP ":deployModel"), 1);
    assert_non_null(jstr(result, "deployedModelId"));
    json_decref(result);
    assert_int_equal(action(&vi, "upload_model", "{\"display_name\": \"fraud-v3\", \"image_uri\": \"img:3\"}",
                            &result, err, sizeof err),
                     0);
    assert_int_equal(count_posts("/v1/" PARENT "/models:upload"), 1);
    const char *model = jstr(result, "model");
    assert_non_null(model);
    json_t *st = fake_get(&vertex, "/_fake/state");
    const char *name;
    json_t *m;
    size_t v3 = 0;
    json_object_foreach(json_object_get(st, "models"), name, m) v3 += strcmp(jstr(m, "displayName"), "fraud-v3") == 0;
    assert_int_equal(v3, 1);
    json_decref(st);
    json_decref(result);
    vx_close(&vi);
}

/* An unknown or mistyped parameter is an error that names it, before any request; get_job takes a
 * numeric job id (a custom job). */
static void test_params_unknown_or_mistyped_are_errors(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024];
    json_t *result;
    open_ok(&vi, "action: none\n" TOKEN_OPT FAST);
    assert_int_equal(action(&vi, "deploy", "{\"endpoint\": \"1\", \"model\": \"2\", \"trafic_percent\": 10}", &result,
                            err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "unknown param \"trafic_percent\""));
    assert_int_equal(action(&vi, "rollback", "{\"endpoint\": \"1\", \"deployed_model_id\": true}", &result, err,
                            sizeof err),
                     -1);
    assert_non_null(strstr(err, "param \"deployed_model_id\" must be a string or an integer id"));
    assert_int_equal(action(&vi, "rollback", "{\"endpoint\": \"1\", \"to\": \"\"}", &result, err, sizeof err), -1);
    assert_non_null(strstr(err, "param \"to\" must be not empty"));
    assert_int_equal(action(&vi, "deploy", "{\"endpoint\": 1, \"model\": 2, \"traffic_percent\": \"ten\"}", &result,
                            err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "param \"traffic_percent\" must be an integer"));
    json_t *reqs = fake_get(&vertex, "/_fake/requests");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    assert_int_equal(action(&vi, "get_job", "{\"job\": 1000000000000000077}", &result, err, sizeof err), -1);
    assert_non_null(strstr(err, "customJobs.get " PARENT "/customJobs/1000000000000000077"));
    assert_non_null(strstr(err, "NOT_FOUND"));
    /* A retrain with action none is refused, not silently skipped. */
    struct dw_trigger_result res;
    assert_int_equal(trigger(&vi, "fraud-none", 0, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "action none"));
    vx_close(&vi);
}

/* Pending jobs written before the shared store (format [{"name", "pipeline"}]) are polled again. */
static void test_old_pending_jobs_file_resumes(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024], path[1024];
    struct dw_trigger_result res;
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT "timeout: 2s\npoll: false\n");
    assert_int_equal(trigger(&vi, "fraud-oldfile", 0, &res, err, sizeof err), 0);
    vx_close(&vi);
    snprintf(path, sizeof path, "%s/vertex-vx-old.jobs.json", tmp_dir());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "[{\"name\":\"%s\",\"pipeline\":true}]", res.job_id);
    fclose(fp);
    /* vx_open names the instance "vx"; this one must read the file of instance vx-old. */
    const char *yaml_fmt = "project: p\nlocation: l\napi_endpoint: %s\n" PIPELINE_OPTS TOKEN_OPT
                           "timeout: 2s\npoll_interval: 20ms\npoll_max_interval: 40ms\n";
    char yaml[4096];
    snprintf(yaml, sizeof yaml, yaml_fmt, vertex.url);
    assert_int_equal(vx_open_named(&vi, "vx-old", yaml, err, sizeof err), 0);
    assert_int_equal(vx_start(&vi, err, sizeof err), 0);
    assert_true(wait_for_metric("plugin=\"vx-old\",job=\"fraud-oldfile\",state=\"PIPELINE_STATE_SUCCEEDED\"} 1", 5000));
    vx_close(&vi);
    fp = fopen(path, "r");
    char text[256] = "";
    if (fp) {
        size_t n = fread(text, 1, sizeof text - 1, fp);
        text[n] = '\0';
        fclose(fp);
    }
    assert_string_equal(text, "[]");
}

/* ---- errors ---- */

static void test_401_is_not_retried(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/config", "{\"tokens\": [\"the-right-token\"]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger(&vi, "fraud-401", 0, &res, err, sizeof err), -1);
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    assert_non_null(strstr(err, "vertex: pipelineJobs.create " PARENT ": 401 UNAUTHENTICATED: Request had invalid "
                                "authentication credentials."));
    vx_close(&vi);
}

static void test_401_drops_a_fetched_token_so_the_next_call_gets_a_new_one(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], host[64];
    const char *path = "/computeMetadata/v1/instance/service-accounts/default/token";
    snprintf(host, sizeof host, "127.0.0.1:%d", auth.port);
    setenv("GCE_METADATA_HOST", host, 1);
    /* The API refuses the first token the metadata server hands out, accepts the second. */
    fake_post(&vertex, "/_fake/config", "{\"tokens\": [\"ya29.fake-metadata-2\"]}");
    open_ok(&vi, PIPELINE_OPTS FAST);
    assert_int_equal(trigger(&vi, "fraud-revoked", 0, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "401 UNAUTHENTICATED"));
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    assert_int_equal(trigger(&vi, "fraud-revoked", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&auth, "GET", path), 2);
    vx_close(&vi);
}

static void test_error_names_the_resource_and_google_status(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"status\": 403, \"message\": "
              "\"Permission 'aiplatform.pipelineJobs.create' denied on resource '//aiplatform.googleapis.com/"
              "projects/p/locations/l' (or it may not exist).\"}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger(&vi, "fraud-403", 0, &res, err, sizeof err), -1);
    assert_string_equal(err, "vertex: pipelineJobs.create " PARENT ": 403 PERMISSION_DENIED: Permission "
                             "'aiplatform.pipelineJobs.create' denied on resource '//aiplatform.googleapis.com/"
                             "projects/p/locations/l' (or it may not exist).");
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    vx_close(&vi);
}

static void test_malformed_json_answer_is_a_clear_error(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    fake_post(&vertex, "/_fake/faults",
              "{\"faults\": [{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"malformed\": true}]}");
    open_ok(&vi, PIPELINE_OPTS TOKEN_OPT FAST);
    assert_int_equal(trigger(&vi, "fraud-malformed", 0, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "vertex: pipelineJobs.create " PARENT ": malformed JSON in the answer (HTTP 200): "));
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 1);
    vx_close(&vi);
}

static void test_dry_run_builds_and_logs_but_sends_nothing(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    setenv("GCE_METADATA_HOST", "127.0.0.1:9", 1); /* would fail if it tried to get a token */
    open_ok(&vi, PIPELINE_OPTS FAST);
    capture_start();
    int rc = trigger(&vi, "fraud-dry", 1, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, 0);
    assert_string_equal(res.state, "DRY_RUN");
    assert_string_equal(res.job_id, PARENT "/pipelineJobs/fraud-dry");
    assert_non_null(strstr(log, "dry run: would POST "));
    assert_non_null(strstr(log, "pipelineJobs?pipelineJobId=fraud-dry"));
    json_t *reqs = fake_get(&vertex, "/_fake/requests");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    free(log);
    vx_close(&vi);
}

static void test_init_rejects_incomplete_configs(void **state)
{
    (void)state;
    struct vx_instance vi;
    char err[1024], yaml[1024];
    struct {
        const char *opts, *expect;
    } cases[] = {
        {"action: pipeline\ngcs_output_directory: gs://b/r\n", "exactly one of 'template_uri'"},
        {"action: pipeline\ntemplate_uri: gs://b/p.json\ngcs_output_directory: gs://b/r\n",
         "a gs:// template must be sent inline"},
        {"action: pipeline\ntemplate_uri: " TEMPLATE "\n", "needs 'gcs_output_directory'"},
        {"action: custom_job\n", "needs 'image_uri'"},
        /* Choices and bounds of the option table, enforced by the loader. */
        {"action: batch\n", "option 'action' must be one of pipeline, custom_job, none (got 'batch')"},
        {PIPELINE_OPTS "max_attempts: 0\n", "option 'max_attempts' must be at least 1 (got '0')"},
        {PIPELINE_OPTS "labels: [novalue]\n", "option 'labels': item 'novalue' is not key=value"},
        {PIPELINE_OPTS "credentials_file: /nonexistent/key.json\n", "credentials_file /nonexistent/key.json: cannot "
                                                                    "open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(yaml, sizeof yaml, "project: p\nlocation: l\n%s", cases[i].opts);
        err[0] = '\0';
        assert_int_equal(vx_open(&vi, yaml, err, sizeof err), -1);
        if (!strstr(err, cases[i].expect))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].expect);
    }
}

static void test_default_api_endpoint_follows_location(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], yaml[1024];
    /* Dry runs log the URL they would call, so the default host shows without any network. */
    const char *locs[][2] = {{"europe-west4", "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/"
                                              "europe-west4/pipelineJobs?"},
                             {"global", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/pipelineJobs?"}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(yaml, sizeof yaml, "project: p\nlocation: %s\n" PIPELINE_OPTS TOKEN_OPT FAST, locs[i][0]);
        assert_int_equal(vx_open(&vi, yaml, err, sizeof err), 0);
        capture_start();
        assert_int_equal(trigger(&vi, "k", 1, &res, err, sizeof err), 0);
        char *log = capture_stop();
        assert_non_null(strstr(log, locs[i][1]));
        free(log);
        vx_close(&vi);
    }
}

/* ---- auth ---- */

static void test_auth_service_account_jwt_is_verified_by_the_token_endpoint(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* The fake token endpoint checks header, claims and the RS256 signature with the public key;
     * the fake Vertex accepts only the token it then issues. */
    fake_post(&vertex, "/_fake/config", "{\"tokens\": [\"ya29.fake-sa-1\"]}");
    open_ok(&vi, PIPELINE_OPTS FAST "credentials_file: %s\n", key_file);
    assert_int_equal(trigger(&vi, "fraud-sa", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&auth, "POST", "/token"), 1);
    json_t *tok = fake_request(&auth, "POST", "/token", 0);
    assert_string_equal(jstr(tok, "headers.content-type"), "application/x-www-form-urlencoded");
    static const char form[] = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    assert_true(strncmp(jstr(tok, "body"), form, strlen(form)) == 0);
    json_decref(tok);
    json_t *req = fake_request(&vertex, "POST", PIPELINES, 0);
    assert_string_equal(jstr(req, "headers.authorization"), "Bearer ya29.fake-sa-1");
    json_decref(req);
    vx_close(&vi);
}

static void test_auth_rejected_assertion_is_a_clear_error(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024];
    /* Same key, another key id: the token endpoint refuses it (invalid_grant). */
    FILE *fp = fopen(key_file, "r");
    json_t *key = json_loadf(fp, 0, NULL);
    fclose(fp);
    json_object_set_new(key, "private_key_id", json_string("ffffffffffffffffffffffffffffffffffffffff"));
    char *text = json_dumps(key, 0);
    char *bad_key = tmp_file("bad-kid.json", text);
    free(text);
    json_decref(key);
    open_ok(&vi, PIPELINE_OPTS FAST "credentials_file: %s\n", bad_key);
    assert_int_equal(trigger(&vi, "fraud-bad-sa", 0, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "vertex: pipelineJobs.create " PARENT ": access token from http://127.0.0.1:"));
    assert_non_null(strstr(err, "/token: HTTP 400 invalid_grant: Invalid JWT header: unknown kid."));
    assert_int_equal(fake_count(&vertex, "POST", PIPELINES), 0);
    vx_close(&vi);
    free(bad_key);
}

static void test_auth_metadata_server_via_GCE_METADATA_HOST(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", auth.port);
    setenv("GCE_METADATA_HOST", host, 1);
    open_ok(&vi, PIPELINE_OPTS FAST);
    assert_int_equal(trigger(&vi, "fraud-md", 0, &res, err, sizeof err), 0);
    const char *path = "/computeMetadata/v1/instance/service-accounts/default/token";
    assert_int_equal(fake_count(&auth, "GET", path), 1);
    json_t *md = fake_request(&auth, "GET", path, 0);
    assert_string_equal(jstr(md, "headers.metadata-flavor"), "Google");
    json_decref(md);
    json_t *req = fake_request(&vertex, "POST", PIPELINES, 0);
    assert_string_equal(jstr(req, "headers.authorization"), "Bearer ya29.fake-metadata-1");
    json_decref(req);
    vx_close(&vi);
}

static void test_token_is_cached_across_calls_and_renewed_before_expiry(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], host[64];
    json_t *result;
    snprintf(host, sizeof host, "127.0.0.1:%d", auth.port);
    setenv("GCE_METADATA_HOST", host, 1);
    const char *path = "/computeMetadata/v1/instance/service-accounts/default/token";
    open_ok(&vi, PIPELINE_OPTS FAST);
    assert_int_equal(trigger(&vi, "fraud-c1", 0, &res, err, sizeof err), 0);
    assert_int_equal(trigger(&vi, "fraud-c2", 0, &res, err, sizeof err), 0);
    assert_int_equal(action(&vi, "get_job", "{\"job\": \"fraud-c1\"}", &result, err, sizeof err), 0);
    json_decref(result);
    assert_int_equal(fake_count(&auth, "GET", path), 1);
    vx_close(&vi);

    /* A token valid 2 s is renewed once less than the margin (half its life here) is left. */
    fake_post(&auth, "/_fake/config", "{\"expires_in\": 2}");
    open_ok(&vi, PIPELINE_OPTS FAST);
    assert_int_equal(trigger(&vi, "fraud-c3", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&auth, "GET", path), 2);
    usleep(1100000);
    assert_int_equal(trigger(&vi, "fraud-c4", 0, &res, err, sizeof err), 0);
    assert_int_equal(fake_count(&auth, "GET", path), 3);
    vx_close(&vi);
}

static void test_tokens_never_reach_stderr_or_errors(void **state)
{
    (void)state;
    struct vx_instance vi;
    struct dw_trigger_result res;
    char err[1024], host[64], all_errs[8192] = "";
    json_t *result;
    snprintf(host, sizeof host, "127.0.0.1:%d", auth.port);
    log_set_level(DW_LOG_DEBUG);
    capture_start();
    /* An explicit token (its redaction by the option parser is undone by the harness). */
    open_ok(&vi, PIPELINE_OPTS FAST "access_token: planted-secret-token-4242\n");
    trigger(&vi, "fraud-s1", 0, &res, err, sizeof err);
    append(all_errs, sizeof all_errs, err);
    fake_post(&vertex, "/_fake/config", "{\"tokens\": [\"another\"]}");
    trigger(&vi, "fraud-s2", 0, &res, err, sizeof err); /* 401 path */
    append(all_errs, sizeof all_errs, err);
    trigger(&vi, "fraud-s3", 1, &res, err, sizeof err); /* dry run logs the request */
    vx_close(&vi);
    /* Fetched tokens: metadata server, then a service-account key. */
    fake_post(&vertex, "/_fake/config", "{\"tokens\": []}");
    setenv("GCE_METADATA_HOST", host, 1);
    open_ok(&vi, PIPELINE_OPTS FAST);
    trigger(&vi, "fraud-s4", 0, &res, err, sizeof err);
    action(&vi, "deploy", "{\"endpoint\": \"missing\", \"model\": \"m\"}", &result, err, sizeof err);
    append(all_errs, sizeof all_errs, err);
    vx_close(&vi);
    open_ok(&vi, PIPELINE_OPTS FAST "credentials_file: %s\n", key_file);
    trigger(&vi, "fraud-s5", 0, &res, err, sizeof err);
    vx_close(&vi);
    char *log = capture_stop();
    assert_non_null(strstr(log, "got an access token")); /* the debug log did run */
    assert_null(strstr(log, "planted-secret-token-4242"));
    assert_null(strstr(log, "ya29."));
    assert_null(strstr(log, "BEGIN PRIVATE KEY"));
    assert_null(strstr(all_errs, "planted-secret-token-4242"));
    assert_null(strstr(all_errs, "ya29."));
    char *m = metrics_text();
    assert_null(strstr(m, "planted-secret-token-4242"));
    assert_null(strstr(m, "ya29."));
    free(m);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pipeline_create_with_template_uri_sends_documented_body, setup),
        cmocka_unit_test_setup(test_pipeline_joins_a_job_of_the_model_created_within_the_cooldown, setup),
        cmocka_unit_test_setup(test_pipeline_lookup_pages_and_skips_old_or_foreign_jobs, setup),
        cmocka_unit_test_setup(test_pipeline_409_of_the_same_key_is_joined, setup),
        cmocka_unit_test_setup(test_custom_job_joins_a_job_of_the_model_created_within_the_cooldown, setup),
        cmocka_unit_test_setup(test_failed_lookup_fails_the_trigger_without_creating, setup),
        cmocka_unit_test_setup(test_pipeline_create_with_inline_pipeline_spec, setup),
        cmocka_unit_test_setup(test_pipeline_job_id_is_sanitized_and_stable, setup),
        cmocka_unit_test_setup(test_pipeline_create_retries_429_three_times_then_creates_exactly_one_job, setup),
        cmocka_unit_test_setup(test_pipeline_create_503_storm_beyond_deadline_fails_with_bounded_attempts, setup),
        cmocka_unit_test_setup(test_pipeline_create_409_after_a_lost_answer_is_the_same_job, setup),
        cmocka_unit_test_setup(test_custom_job_create_sends_documented_body, setup),
        cmocka_unit_test_setup(test_custom_job_create_after_a_timeout_is_never_duplicated, setup),
        cmocka_unit_test_setup(test_custom_job_second_trigger_with_same_key_finds_the_first, setup),
        cmocka_unit_test_setup(test_custom_job_503_on_create_lists_before_creating_again, setup),
        cmocka_unit_test_setup(test_custom_job_400_is_not_retried, setup),
        cmocka_unit_test_setup(test_poll_pipeline_to_succeeded_exports_state_gauge, setup),
        cmocka_unit_test_setup(test_poll_custom_job_to_failed_logs_the_job_error, setup),
        cmocka_unit_test_setup(test_wait_job_action_reports_a_failed_job_with_its_error, setup),
        cmocka_unit_test_setup(test_stop_is_prompt_while_a_job_is_pending, setup),
        cmocka_unit_test_setup(test_pending_jobs_are_polled_again_after_a_restart, setup),
        cmocka_unit_test_setup(test_upload_deploy_rollback_follow_their_operations, setup),
        cmocka_unit_test_setup(test_undeploy_scales_the_remaining_traffic_to_100, setup),
        cmocka_unit_test_setup(test_deploy_and_rollback_take_numeric_ids_and_retry, setup),
        cmocka_unit_test_setup(test_lost_answers_are_found_by_reading_before_retrying, setup),
        cmocka_unit_test_setup(test_params_unknown_or_mistyped_are_errors, setup),
        cmocka_unit_test_setup(test_old_pending_jobs_file_resumes, setup),
        cmocka_unit_test_setup(test_operation_error_is_surfaced, setup),
        cmocka_unit_test_setup(test_401_is_not_retried, setup),
        cmocka_unit_test_setup(test_401_drops_a_fetched_token_so_the_next_call_gets_a_new_one, setup),
        cmocka_unit_test_setup(test_error_names_the_resource_and_google_status, setup),
        cmocka_unit_test_setup(test_malformed_json_answer_is_a_clear_error, setup),
        cmocka_unit_test_setup(test_dry_run_builds_and_logs_but_sends_nothing, setup),
        cmocka_unit_test_setup(test_init_rejects_incomplete_configs, setup),
        cmocka_unit_test_setup(test_default_api_endpoint_follows_location, setup),
        cmocka_unit_test_setup(test_auth_service_account_jwt_is_verified_by_the_token_endpoint, setup),
        cmocka_unit_test_setup(test_auth_rejected_assertion_is_a_clear_error, setup),
        cmocka_unit_test_setup(test_auth_metadata_server_via_GCE_METADATA_HOST, setup),
        cmocka_unit_test_setup(test_token_is_cached_across_calls_and_renewed_before_expiry, setup),
        cmocka_unit_test_setup(test_tokens_never_reach_stderr_or_errors, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
