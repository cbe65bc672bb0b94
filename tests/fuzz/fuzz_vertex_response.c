/* Fuzz target: the Vertex AI plugin's reading of what Google's servers answer (plugins/vertex):
 * jobs, long-running operations, endpoints, error bodies and access-token answers. The plugin's
 * sources are compiled in and given a host whose HTTP client answers from the input instead of a
 * network. Input: one line of words naming the call and options, then the answers in order,
 * separated by FUZZ_SEPARATOR; an answer may start with a status line "NNN\n" (else 200). When the
 * answers run out the client fails as with no network.
 * Words: get_job | wait_job | upload_model | deploy | undeploy | rollback | trigger (the call);
 * custom_job (trigger a customJob instead of a pipelineJob); metadata (tokens come from the
 * metadata server: its answers are read like the others); custom (get_job/wait_job a customJob). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driftwatch/plugin.h"
#include "fuzz.h"
#include "vertex.h"

extern const struct dw_plugin driftwatch_plugin;

#define MAX_ANSWERS 16

static struct fuzz_part answers[MAX_ANSWERS];
static size_t n_answers, next_answer;

/* The instance's context as this host hands it to init: every host call must pass it back. */
static int ctx_token;
#define FUZZ_CTX ((struct dw_ctx *)&ctx_token)

static void check_ctx(struct dw_ctx *ctx)
{
    if (ctx != FUZZ_CTX)
        fuzz_fail("vertex called the host with another context than its own");
}

static void host_log(struct dw_ctx *ctx, enum dw_log_level level, const char *fmt, ...)
{
    check_ctx(ctx);
    /* Format into a buffer (so the arguments are read, as a real logger would) and drop it. */
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)level;
}

/* Metric and secret callbacks read every string they get (so ASan sees a bad one) and keep nothing. */
static volatile size_t touched;

static void touch(const char *s)
{
    touched += strlen(s);
}

static void metric_add(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels, double v)
{
    check_ctx(ctx);
    touch(name);
    touch(help);
    (void)v;
    for (size_t i = 0; labels && labels[i]; i++)
        touch(labels[i]);
}

static void metric_forget(struct dw_ctx *ctx, const char *name, const char *key, const char *value)
{
    check_ctx(ctx);
    touch(name);
    touch(key);
    touch(value);
}

static void add_secret(struct dw_ctx *ctx, const char *s)
{
    check_ctx(ctx);
    touch(s);
}

/* The next answer of the input; a status line "NNN\n" in front sets the status. Refuses, as the
 * host does, a request or response whose size the plugin did not set. */
static int http_request(struct dw_ctx *ctx, const struct dw_http_client_request *req,
                        struct dw_http_client_response *resp, char *err, size_t errlen)
{
    check_ctx(ctx);
    if (req->size != sizeof *req || resp->size != sizeof *resp)
        fuzz_fail("vertex sent a request (size %u) or response (size %u) without its size", (unsigned)req->size,
                  (unsigned)resp->size);
    memset(resp, 0, sizeof *resp);
    resp->size = sizeof *resp;
    if (!req->url || !req->method)
        fuzz_fail("vertex sent a request without a method or URL");
    if (next_answer == n_answers) {
        snprintf(err, errlen, "fuzz: no more answers (connection refused)");
        return -1;
    }
    const struct fuzz_part *a = &answers[next_answer++];
    const uint8_t *body = a->data;
    size_t len = a->size;
    resp->status = 200;
    if (len >= 4 && body[3] == '\n' && body[0] >= '1' && body[0] <= '5' && body[1] >= '0' && body[1] <= '9' &&
        body[2] >= '0' && body[2] <= '9') {
        resp->status = (body[0] - '0') * 100 + (body[1] - '0') * 10 + (body[2] - '0');
        body += 4;
        len -= 4;
    }
    resp->body = fuzz_strndup(body, len);
    resp->body_len = len;
    resp->attempts = 1;
    return 0;
}

static void *host_alloc(size_t n)
{
    return malloc(n);
}

/* Vertex registers no routes, emits no samples and keeps no cursors: those stay NULL, so a call
 * would crash the target. */
static const struct dw_host host = {
    .size = sizeof(struct dw_host),
    .abi = DW_PLUGIN_ABI,
    .log = host_log,
    .counter_add = metric_add,
    .gauge_set = metric_add,
    .histogram_observe = metric_add,
    .metric_forget = metric_forget,
    .http_request = http_request,
    .add_secret = add_secret,
    .alloc = host_alloc,
    .free = free,
    .state_dir = NULL,
};

static int has_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(line, word); p; p = strstr(p + 1, word))
        if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static const struct dw_feature_score drifted[] = {
    {"amount", "ks", 0.31, 0.0001},
    {"country", "chi2", 41.5, 0.002},
};

static void run_trigger(void *inst, int dry_run)
{
    struct dw_trigger_event ev = {
        .size = sizeof ev,
        .model = "fraud",
        .key = "fraud:7f3a9c:2026-01-02T03:04:05Z",
        .data_version = "{\"md5\":\"0123456789abcdef0123456789abcdef\"}",
        .window_end = "2026-01-02T03:04:05Z",
        .n_features = 2,
        .features = drifted,
        .dry_run = dry_run,
    };
    struct dw_trigger_result res = {.size = sizeof res}; /* zeroed and sized, as the host hands it over */
    char err[1024] = "";
    if (driftwatch_plugin.trigger(inst, &ev, &res, err, sizeof err) < 0 && !err[0])
        fuzz_fail("vertex trigger failed without a message");
}

static void run_action(void *inst, const char *action, const char *params)
{
    char *result = NULL, err[1024] = "";
    int rc = driftwatch_plugin.action(inst, action, params, &result, err, sizeof err);
    if (rc < 0 && !err[0])
        fuzz_fail("vertex %s failed without a message", action);
    if (rc == 0 && !result)
        fuzz_fail("vertex %s succeeded without a result", action);
    host.free(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head_len = nl ? (size_t)(nl - data) : size;
    size_t off = nl ? head_len + 1 : size;
    char *words = fuzz_strndup(data, head_len);
    n_answers = fuzz_split(data + off, size - off, answers, MAX_ANSWERS);
    next_answer = 0;

    int custom_job = has_word(words, "custom_job");
    struct vertex_config cfg = {
        .project = "fuzz-project",
        .location = "europe-west4",
        .api_endpoint = "http://vertex.invalid",
        .action = custom_job ? "custom_job" : "pipeline",
        .template_uri = custom_job ? NULL : "https://europe-west4-kfp.pkg.dev/fuzz-project/repo/train/v1",
        .gcs_output_directory = "gs://fuzz-bucket/root",
        .drift_parameters = 1,
        .image_uri = custom_job ? "europe-docker.pkg.dev/fuzz-project/train:1" : NULL,
        .machine_type = "n1-standard-4", /* the option table's default, as the loader fills it */
        .access_token = has_word(words, "metadata") ? NULL : "ya29.fuzz-token",
        .quota_project = "fuzz-billing",
        /* Short everything: each wait consumes an answer, so the input bounds the work. */
        .timeout = 1000,
        .deadline = 2000,
        .max_attempts = 3,
        .retry_delay = 1,
        .poll = 0,
        .poll_interval = 1,
        .poll_max_interval = 2,
        .operation_poll_interval = 1,
        .operation_poll_max_interval = 2,
        .operation_timeout = 5000,
    };
    void *inst = NULL;
    char err[1024] = "";
    if (driftwatch_plugin.init(&host, FUZZ_CTX, "fuzz", &cfg, &inst, err, sizeof err) < 0)
        fuzz_fail("vertex init failed: %s", err);

    const char *job = has_word(words, "custom") ? "{\"job\": \"4242\", \"timeout\": 5}"
                                                : "{\"job\": \"driftwatch-fraud-1\", \"timeout\": 5}";
    if (has_word(words, "get_job"))
        run_action(inst, "get_job", job);
    else if (has_word(words, "wait_job"))
        run_action(inst, "wait_job", job);
    else if (has_word(words, "upload_model"))
        run_action(inst, "upload_model", "{\"display_name\": \"fraud\", \"image_uri\": \"img:1\", \"model_id\": "
                                         "\"fraud-2\", \"parent_model\": \"fraud\", \"artifact_uri\": \"gs://b/m\"}");
    else if (has_word(words, "deploy"))
        run_action(inst, "deploy", "{\"endpoint\": \"123\", \"model\": \"456\", \"traffic_percent\": 20}");
    else if (has_word(words, "undeploy"))
        run_action(inst, "undeploy", "{\"endpoint\": \"123\", \"deployed_model_id\": \"d1\"}");
    else if (has_word(words, "rollback"))
        run_action(inst, "rollback", "{\"endpoint\": \"123\"}");
    else
        run_trigger(inst, has_word(words, "dry_run"));

    driftwatch_plugin.destroy(inst);
    free(words);
    return 0;
}
