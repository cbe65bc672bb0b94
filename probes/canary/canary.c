/* The `canary` probe: on a schedule, sends a known payload to the model server and checks the
 * status, the latency and optionally the answer; can emit its own prediction as a sample. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "tap_parse.h"

/* The model's view of the same checks (docs/metrics.md, "Model serving"), named like the proxy's
 * driftwatch_upstream_* families but apart from them, so synthetic checks never mix with traffic. */
#define CANARY_DURATION "driftwatch_canary_request_duration_seconds"
#define CANARY_DURATION_HELP "Time the model server took to answer a canary check completely, in seconds."
#define CANARY_RESPONSES "driftwatch_canary_responses_total"
#define CANARY_RESPONSES_HELP "Canary checks by the model server's answer status (error: no complete answer)."
/* Answers are read up to this size; a canary checks a prediction, not a download. */
#define MAX_ANSWER (16 << 20)

struct canary_config {
    const char *model;
    const char *url;
    const char *payload;
    const char *method;
    const char *content_type;
    struct dw_list headers;
    int64_t every_ms;
    int64_t timeout_ms;
    int64_t expect_status;
    const char *expect;
    double tolerance;
    int emit;
    const char *protocol;
    struct dw_list feature_names;
};

static const struct dw_option canary_options[] = {
    {.name = "model", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct canary_config, model),
     .description = "model the canary checks"},
    {.name = "url", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct canary_config, url),
     .description = "predict URL of the model server (e.g. http://127.0.0.1:8080/v1/models/fraud:predict)"},
    {.name = "payload", .type = DW_OPT_STRING, .offset = offsetof(struct canary_config, payload),
     .description = "file whose bytes are sent as the request body (none: an empty GET)"},
    {.name = "method", .type = DW_OPT_STRING, .offset = offsetof(struct canary_config, method),
     .description = "HTTP method (default POST with a payload, GET without)"},
    {.name = "content_type", .type = DW_OPT_STRING, .def = "application/json", .offset = offsetof(struct canary_config, content_type),
     .description = "Content-Type of the payload"},
    {.name = "headers", .type = DW_OPT_LIST, .offset = offsetof(struct canary_config, headers),
     .description = "extra request headers, each \"Name: value\""},
    {.name = "every", .type = DW_OPT_DURATION, .def = "1m", .offset = offsetof(struct canary_config, every_ms),
     .min = "1ms",
     .description = "interval between checks (the first runs at start)"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "5s", .offset = offsetof(struct canary_config, timeout_ms),
     .min = "1ms",
     .description = "a check without a complete answer within it fails with result=timeout"},
    {.name = "expect_status", .type = DW_OPT_INT, .def = "200", .offset = offsetof(struct canary_config, expect_status),
     .min = "100", .max = "599",
     .description = "HTTP status a healthy model answers with"},
    {.name = "expect", .type = DW_OPT_STRING, .offset = offsetof(struct canary_config, expect),
     .description = "expected answer: a JSON file (compared as JSON, numbers within `tolerance`) or else a substring"},
    {.name = "tolerance", .type = DW_OPT_DOUBLE, .def = "0", .offset = offsetof(struct canary_config, tolerance),
     .min = "0",
     .description = "absolute tolerance for numbers when `expect` is a JSON file"},
    {.name = "emit", .type = DW_OPT_BOOL, .def = "false", .offset = offsetof(struct canary_config, emit),
     .description = "also hand the canary's own prediction to the core as a sample"},
    {.name = "protocol", .type = DW_OPT_STRING, .def = "auto", .offset = offsetof(struct canary_config, protocol),
     .choices = tap_protocol_names,
     .description = "payload shape for `emit`: v1, v2 or auto"},
    {.name = "feature_names", .type = DW_OPT_LIST, .offset = offsetof(struct canary_config, feature_names),
     .description = "names of positional features for `emit`"},
    {0},
};

enum outcome { OUT_SUCCESS = 0, OUT_STATUS, OUT_ANSWER, OUT_TIMEOUT, OUT_ERROR };
static const char *const outcome_names[] = {"success", "status_mismatch", "answer_mismatch", "timeout", "error"};

struct canary {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    char *model;
    char *url;
    char *method;
    char *payload;          /* file contents */
    size_t payload_len;
    char *payload_path;
    struct curl_slist *headers;
    int64_t every_ms;
    int64_t timeout_ms;
    long expect_status;
    json_t *expect_json;    /* when `expect` is a JSON file */
    char *expect_text;      /* else a substring */
    double tolerance;
    int emit;
    enum tap_protocol protocol;
    char **feature_names;
    size_t n_names;

    CURL *curl;
    int last_ok;            /* -1 before the first check */
    pthread_t thread;
    int running;
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

struct answer {
    char *data;
    size_t len, cap;
    int too_large;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    if (a->len + n + 1 > MAX_ANSWER) {
        a->too_large = 1;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *grown = realloc(a->data, cap);
        if (!grown)
            return 0;
        a->data = grown;
        a->cap = cap;
    }
    memcpy(a->data + a->len, ptr, n);
    a->len += n;
    a->data[a->len] = '\0';
    return n;
}

/* Aborts a transfer in flight when the probe stops, so stop() never waits for a slow model. */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct canary *c = clientp;
    return __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* JSON equality where numbers may differ by at most tol (integers and reals alike). */
static int json_close(const json_t *a, const json_t *b, double tol)
{
    if (json_is_number(a) && json_is_number(b))
        return fabs(json_number_value(a) - json_number_value(b)) <= tol;
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_close(json_array_get(a, i), json_array_get(b, i), tol))
                return 0;
        return 1;
    }
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *key;
        json_t *va;
        json_object_foreach((json_t *)a, key, va) {
            const json_t *vb = json_object_get(b, key);
            if (!vb || !json_close(va, vb, tol))
                return 0;
        }
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* Whether the answer is the expected one; why says how it is not. */
static int answer_matches(const struct canary *c, const struct answer *a, char *why, size_t whylen)
{
    if (c->expect_json) {
        json_error_t jerr;
        json_t *got = json_loadb(a->data ? a->data : "", a->len, JSON_DECODE_ANY, &jerr);
        if (!got) {
            snprintf(why, whylen, "the answer is not JSON (%s)", jerr.text);
            return 0;
        }
        int ok = json_close(c->expect_json, got, c->tolerance);
        json_decref(got);
        if (!ok)
            snprintf(why, whylen, "the answer differs from the expected JSON");
        return ok;
    }
    if (c->expect_text) {
        if (!a->data || !strstr(a->data, c->expect_text)) {
            snprintf(why, whylen, "the answer lacks the expected text");
            return 0;
        }
    }
    return 1;
}

static void canary_emit(struct canary *c, const struct answer *a)
{
    char ts[64];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%06ldZ", now.tv_nsec / 1000);
    struct tap_pair pair = {.request = c->payload ? c->payload : "",
                            .request_len = c->payload_len,
                            .response = a->data ? a->data : "",
                            .response_len = a->len,
                            .timestamp = ts};
    char *json = NULL, why[512];
    size_t len;
    int samples = tap_build_samples(c->protocol, (const char *const *)c->feature_names, c->n_names, &pair, &json, &len,
                                    why, sizeof why);
    if (samples < 0) {
        pu_count_rejected(c->host, c->ctx, c->model, "canary_bad_payload", 1);
        c->host->log(c->ctx, DW_LOG_WARN, "cannot emit the canary's prediction: %s", why);
        return;
    }
    pu_count_received(c->host, c->ctx, c->model, c->name, (size_t)samples);
    struct dw_sample_batch batch = {
        .size = sizeof batch, .model = c->model, .probe = c->name, .json = json, .json_len = len};
    struct dw_ingest_result res = {.size = sizeof res};
    if (c->host->emit_samples(c->ctx, &batch, &res) < 0)
        c->host->log(c->ctx, DW_LOG_WARN, "the agent did not take the canary's prediction: %s", res.error);
    free(json);
}

/* One check: request, classification, metrics, and the optional sample. */
static void canary_check(struct canary *c)
{
    struct answer a = {0};
    CURL *h = c->curl;
    curl_easy_reset(h); /* keeps the live connection to the model server */
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    if (c->payload) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->payload_len);
    }
    if (c->method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform(h);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        free(a.data);
        return; /* stopping: no verdict */
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    enum outcome out;
    char why[512] = "";
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        out = OUT_TIMEOUT;
        snprintf(why, sizeof why, "no answer within %" PRId64 " ms", c->timeout_ms);
    } else if (rc != CURLE_OK) {
        out = OUT_ERROR;
        snprintf(why, sizeof why, "%s", a.too_large ? "answer too large" : curl_easy_strerror(rc));
    } else if (status != c->expect_status) {
        out = OUT_STATUS;
        snprintf(why, sizeof why, "status %ld, expected %ld", status, c->expect_status);
    } else if (!answer_matches(c, &a, why, sizeof why)) {
        out = OUT_ANSWER;
    } else {
        out = OUT_SUCCESS;
    }
    const char *probe[] = {"probe", c->name, NULL};
    const char *model[] = {"model", c->model, NULL};
    if (rc == CURLE_OK) {
        c->host->histogram_observe(c->ctx, PU_PROBE_DURATION, PU_PROBE_DURATION_HELP, probe, seconds);
        c->host->histogram_observe(c->ctx, CANARY_DURATION, CANARY_DURATION_HELP, model, seconds);
    }
    char code[PU_STATUS_LABEL_MAX];
    pu_status_label(rc == CURLE_OK ? status : 0, code);
    const char *by_code[] = {"model", c->model, "code", code, NULL};
    c->host->counter_add(c->ctx, CANARY_RESPONSES, CANARY_RESPONSES_HELP, by_code, 1);
    const char *labels[] = {"probe", c->name, "result", outcome_names[out], NULL};
    c->host->counter_add(c->ctx, PU_PROBE_REQUESTS, PU_PROBE_REQUESTS_HELP, labels, 1);
    c->host->gauge_set(c->ctx, PU_PROBE_SUCCESS, PU_PROBE_SUCCESS_HELP, probe, out == OUT_SUCCESS ? 1 : 0);
    if (out != OUT_SUCCESS)
        c->host->log(c->ctx, DW_LOG_WARN, "canary check of %s failed (%s): %s", c->url, outcome_names[out], why);
    else if (c->last_ok == 0)
        c->host->log(c->ctx, DW_LOG_INFO, "canary check of %s succeeds again (%.3f s)", c->url, seconds);
    c->last_ok = out == OUT_SUCCESS;
    if (c->emit && out == OUT_SUCCESS)
        canary_emit(c, &a);
    free(a.data);
}

static void *canary_main(void *arg)
{
    struct canary *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        pthread_mutex_unlock(&c->lock);
        canary_check(c);
        pthread_mutex_lock(&c->lock);
        if (c->stop)
            break;
        /* Wait the full interval unless told to stop (a wake-up before it only re-checks). */
        int64_t until = pu_now_ms() + c->every_ms;
        while (!c->stop && pu_now_ms() < until)
            pu_cond_wait_ms(&c->wake, &c->lock, until - pu_now_ms());
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void canary_destroy(void *instance)
{
    struct canary *c = instance;
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    json_decref(c->expect_json);
    free(c->expect_text);
    free_strings(c->feature_names, c->n_names);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c->payload);
    free(c->payload_path);
    free(c->method);
    free(c->url);
    free(c->model);
    free(c);
}

static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read the payload file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (used < cap)
            break;
        char *grown = realloc(buf, cap * 2 + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        snprintf(err, errlen, "cannot read the payload file %s", path);
        return -1;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

static int canary_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                       void **instance, char *err, size_t errlen)
{
    const struct canary_config *cfg = config;
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        snprintf(err, errlen, "option 'url' must be an http:// or https:// URL, not '%s'", cfg->url);
        return -1;
    }
    if (cfg->emit && !cfg->payload) {
        snprintf(err, errlen, "option 'emit' needs a 'payload' (the features of the prediction)");
        return -1;
    }
    struct canary *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    pu_cond_init_monotonic(&c->wake);
    c->host = host;
    c->ctx = ctx;
    snprintf(c->name, sizeof c->name, "%s", instance_name);
    c->every_ms = cfg->every_ms;
    c->timeout_ms = cfg->timeout_ms;
    c->expect_status = (long)cfg->expect_status;
    c->tolerance = cfg->tolerance;
    c->emit = cfg->emit;
    tap_protocol_parse(cfg->protocol, &c->protocol); /* one of tap_protocol_names: the loader checked */
    c->last_ok = -1;
    c->model = strdup(cfg->model);
    c->url = strdup(cfg->url);
    c->curl = curl_easy_init();
    c->n_names = cfg->feature_names.n;
    c->feature_names = calloc(c->n_names ? c->n_names : 1, sizeof *c->feature_names);
    if (!c->model || !c->url || !c->curl || !c->feature_names)
        goto oom;
    for (size_t i = 0; i < c->n_names; i++)
        if (!(c->feature_names[i] = strdup(cfg->feature_names.items[i])))
            goto oom;
    if (cfg->method && !(c->method = strdup(cfg->method)))
        goto oom;
    if (cfg->payload) {
        if (read_file(cfg->payload, &c->payload, &c->payload_len, err, errlen) < 0)
            goto fail;
        if (!(c->payload_path = strdup(cfg->payload)))
            goto oom;
        char ct[512];
        snprintf(ct, sizeof ct, "Content-Type: %s", cfg->content_type);
        struct curl_slist *l = curl_slist_append(c->headers, ct);
        if (!l)
            goto oom;
        c->headers = l;
    }
    for (size_t i = 0; i < cfg->headers.n; i++) {
        if (!strchr(cfg->headers.items[i], ':')) {
            snprintf(err, errlen, "option 'headers': '%s' is not \"Name: value\"", cfg->headers.items[i]);
            goto fail;
        }
        struct curl_slist *l = curl_slist_append(c->headers, cfg->headers.items[i]);
        if (!l)
            goto oom;
        c->headers = l;
    }
    if (cfg->expect) {
        struct stat st;
        if (stat(cfg->expect, &st) == 0 && S_ISREG(st.st_mode)) {
            json_error_t jerr;
            c->expect_json = json_load_file(cfg->expect, JSON_DECODE_ANY, &jerr);
            if (!c->expect_json) {
                snprintf(err, errlen, "option 'expect': %s:%d:%d: %s", cfg->expect, jerr.line, jerr.column,
                         jerr.text);
                goto fail;
            }
        } else if (!(c->expect_text = strdup(cfg->expect))) {
            goto oom;
        }
    }
    *instance = c;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    canary_destroy(c);
    return -1;
}

static int canary_start(void *instance, char *err, size_t errlen)
{
    struct canary *c = instance;
    c->stop = 0;
    int rc = pthread_create(&c->thread, NULL, canary_main, c);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the canary thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(c->thread, "dw-canary");
    c->running = 1;
    return 0;
}

static void canary_stop(void *instance)
{
    struct canary *c = instance;
    if (!c->running)
        return;
    pthread_mutex_lock(&c->lock);
    __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    c->running = 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "canary",
    .kind = DW_KIND_PROBE,
    .version = "1.0.0",
    .description = "Sends a known payload on a schedule; checks status, latency and the answer.",
    .options = canary_options,
    .config_size = sizeof(struct canary_config),
    .init = canary_init,
    .start = canary_start,
    .stop = canary_stop,
    .destroy = canary_destroy,
};
