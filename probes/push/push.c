/* The `push` probe: POST /v1/models/{model}/samples on the agent's server. Validates a JSON array,
 * one object or NDJSON before handing the acceptable samples to the core, and names each rejection;
 * a request with an Idempotency-Key is stored once, its answer journaled with its samples. */
#include <ctype.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "sample/sample_batch.h"
#include "sample_emit.h"

#define REPLAYS "driftwatch_push_idempotent_replays_total"
#define REPLAYS_HELP "Requests answered from an earlier request with the same Idempotency-Key (nothing stored)."
/* The model's journal keeps the keys under this cursor source, whatever the instance is called. */
#define KEY_SOURCE "push:idempotency-key"
#define MAX_KEY_LEN 255

struct push_config {
    const char *model;
    int64_t max_batch;
    int64_t max_errors;
    int64_t idempotency_horizon_ms;
    int64_t idempotency_max_keys;
};

struct push {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    char *model;
    char route[512];
    size_t max_batch;
    size_t max_errors;
    int64_t horizon_ms;
    uint64_t max_keys;
};

static const struct dw_option push_options[] = {
    {.name = "model", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct push_config, model),
     .description = "model whose samples this route takes (POST /v1/models/{model}/samples)"},
    {.name = "max_batch", .type = DW_OPT_INT, .def = "10000", .offset = offsetof(struct push_config, max_batch),
     .min = "1",
     .description = "most samples in one request; larger batches are refused with 413"},
    {.name = "max_errors", .type = DW_OPT_INT, .def = "10", .offset = offsetof(struct push_config, max_errors),
     .min = "1", .max = "1000",
     .description = "rejections described one by one in an answer (all are counted)"},
    {.name = "idempotency_horizon", .type = DW_OPT_DURATION, .def = "24h", .offset = offsetof(struct push_config, idempotency_horizon_ms),
     .min = "1s",
     .description = "how long a request's Idempotency-Key is remembered: a repeat within it gets the first answer, stores nothing"},
    {.name = "idempotency_max_keys", .type = DW_OPT_INT, .def = "100000", .offset = offsetof(struct push_config, idempotency_max_keys),
     .min = "1", .max = "10000000",
     .description = "most Idempotency-Keys remembered (journaled with their batches); beyond it the oldest are forgotten"},
    {0},
};

/* One rejected sample, as reported to the client. */
struct rejection {
    size_t line;        /* NDJSON line (1-based), 0 for a JSON body */
    char path[256];     /* JSON path of the problem, "" for a line that is not JSON */
    char why[320];
};

/* What validation made of a request: the samples to hand over and the rejections. */
struct verdict {
    size_t received;
    size_t rejected_json;    /* lines that are not JSON */
    size_t rejected_shape;   /* JSON that is not a sample */
    struct rejection *errors;
    size_t n_errors, max_errors;
    struct dw_sample_text *valid; /* the acceptable samples, pointing into the body */
    size_t n_valid, valid_cap;
    int failed;              /* out of memory */
};

static void verdict_reject(struct verdict *v, size_t line, const char *path, const char *why, int is_json_error)
{
    if (is_json_error)
        v->rejected_json++;
    else
        v->rejected_shape++;
    if (v->n_errors >= v->max_errors)
        return;
    struct rejection *r = &v->errors[v->n_errors++];
    r->line = line;
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->why, sizeof r->why, "%s", why);
}

/* An acceptable sample: handed over as it is, without a copy. */
static void verdict_keep(struct verdict *v, const char *text, size_t len)
{
    if (v->failed)
        return;
    if (v->n_valid == v->valid_cap) {
        size_t cap = v->valid_cap ? v->valid_cap * 2 : 64;
        struct dw_sample_text *grown = realloc(v->valid, cap * sizeof *grown);
        if (!grown) {
            v->failed = 1;
            return;
        }
        v->valid = grown;
        v->valid_cap = cap;
    }
    v->valid[v->n_valid].text = text;
    v->valid[v->n_valid++].len = len;
}

static size_t verdict_rejected(const struct verdict *v)
{
    return v->rejected_json + v->rejected_shape;
}

static void push_destroy(void *instance)
{
    struct push *p = instance;
    if (!p)
        return;
    free(p->model);
    free(p);
}

/* "application/json; charset=utf-8" → 1 JSON, 2 NDJSON, 0 anything else. */
static int media_kind(const char *content_type)
{
    if (!content_type)
        return 0;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
        n--;
    if (n == strlen("application/json") && strncasecmp(content_type, "application/json", n) == 0)
        return 1;
    if ((n == strlen("application/x-ndjson") && strncasecmp(content_type, "application/x-ndjson", n) == 0) ||
        (n == strlen("application/jsonl") && strncasecmp(content_type, "application/jsonl", n) == 0))
        return 2;
    return 0;
}

static size_t count_lines(const char *body, size_t len)
{
    size_t n = 0;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        for (const char *q = p; q < stop; q++)
            if (!isspace((unsigned char)*q)) {
                n++;
                break;
            }
        p = stop + 1;
    }
    return n;
}

static void on_line(void *ctx, const struct sample_item *it)
{
    struct verdict *v = ctx;
    v->received++;
    if (!it->problem) {
        verdict_keep(v, it->text, it->len);
    } else if (it->problem->syntax) {
        char why[300];
        snprintf(why, sizeof why, "invalid JSON at column %zu: %s", it->column0 + it->problem->offset + 1,
                 it->problem->why);
        verdict_reject(v, it->line, "", why, 1);
    } else {
        verdict_reject(v, it->line, it->problem->path, it->problem->why, 0);
    }
}

static void check_ndjson(const char *body, size_t len, struct verdict *v)
{
    sample_read_ndjson(body, len, on_line, v);
}

static void on_element(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *problem)
{
    struct verdict *v = ctx;
    (void)index;
    v->received++;
    if (problem)
        verdict_reject(v, 0, problem->path, problem->why, 0);
    else
        verdict_keep(v, start, len);
}

/* A JSON body: an array of samples or one sample. Returns 0, or -1 when the answer is already
 * filled (the body is not JSON, or holds too many samples). */
static int check_json(struct push *p, const char *body, size_t len, struct verdict *v, struct dw_http_response *resp)
{
    struct sample_problem prob;
    long n = sample_check_batch(body, len, on_element, v, &prob);
    int rc = 0;
    if (n < 0) {
        size_t line, col;
        sample_line_col(body, prob.offset, &line, &col);
        char msg[512];
        snprintf(msg, sizeof msg, "invalid JSON at line %zu, column %zu: %s%s", line, col, prob.why,
                 strstr(prob.why, "end of file expected") ? " (one sample per line is NDJSON: send it as "
                                                            "Content-Type: application/x-ndjson)"
                                                          : "");
        pu_respond_json(p->host, resp, 400,
                     json_pack("{s:s, s:i, s:I, s:I}", "error", msg, "status", 400, "line", (json_int_t)line,
                               "column", (json_int_t)col));
        rc = -1;
    } else if ((size_t)n > p->max_batch) {
        char msg[256];
        snprintf(msg, sizeof msg, "a batch of %ld samples is larger than max_batch (%zu); split it", n, p->max_batch);
        pu_count_rejected(p->host, p->ctx, p->model, "batch_too_large", (size_t)n);
        pu_respond_error(p->host, resp, 413, msg);
        rc = -1;
    }
    return rc;
}

static json_t *errors_json(const struct verdict *v, const char *core_error)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < v->n_errors; i++) {
        const struct rejection *r = &v->errors[i];
        json_t *e = json_object();
        if (r->line)
            json_object_set_new(e, "line", json_integer((json_int_t)r->line));
        if (r->path[0])
            json_object_set_new(e, "path", json_string(r->path));
        json_object_set_new(e, "error", json_string(r->why));
        json_array_append_new(arr, e);
    }
    if (arr && core_error && core_error[0])
        json_array_append_new(arr, json_pack("{s:s}", "error", core_error));
    return arr;
}

/* "line 3: $.features.amount: why" */
static void describe(const struct rejection *r, char *out, size_t outlen)
{
    char line[32] = "";
    if (r->line)
        snprintf(line, sizeof line, "line %zu: ", r->line);
    snprintf(out, outlen, "%s%s%s%s", line, r->path, r->path[0] ? ": " : "", r->why);
}

/* A usable Idempotency-Key: 1 to 255 bytes of printable ASCII. 0, or -1 with why. */
static int key_check(const char *key, char *why, size_t whylen)
{
    size_t n = strlen(key);
    if (n == 0 || n > MAX_KEY_LEN) {
        snprintf(why, whylen, "the Idempotency-Key header must be 1 to %d bytes long, not %zu", MAX_KEY_LEN, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(why, whylen, "the Idempotency-Key header holds a %s (byte 0x%02x at %zu): use printable ASCII",
                     c < 0x20 || c == 0x7f ? "control character" : "non-ASCII byte", c, i + 1);
            return -1;
        }
    }
    return 0;
}

/* The answer to a batch the core took (202) or refused whole (400), as journaled with a keyed batch:
 * "<status> <body>". */
struct answer {
    const struct dw_host *host;
    const struct verdict *v;
    size_t rejected;   /* by the probe */
    char *text;        /* a copy of what was journaled (malloc'd) */
};

static char *answer_make(void *value_ctx, const struct dw_ingest_result *res)
{
    struct answer *a = value_ctx;
    int status = res->accepted == 0 && res->rejected > 0 ? 400 : 202;
    json_t *body;
    if (status == 400) {
        char msg[400];
        snprintf(msg, sizeof msg, "the agent rejected every sample: %s", res->error);
        body = json_pack("{s:s, s:i, s:i, s:I, s:o}", "error", msg, "status", 400, "accepted", 0, "rejected",
                         (json_int_t)(a->rejected + res->rejected), "errors", errors_json(a->v, res->error));
    } else {
        body = json_pack("{s:I, s:I, s:o}", "accepted", (json_int_t)res->accepted, "rejected",
                         (json_int_t)(a->rejected + res->rejected), "errors",
                         errors_json(a->v, res->rejected ? res->error : NULL));
    }
    char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!json)
        return NULL;
    size_t len = strlen(json) + 8;
    free(a->text);
    a->text = malloc(len);
    /* What the core journals (and frees) comes from its allocator. */
    char *text = a->text ? a->host->alloc(len) : NULL;
    if (text) {
        snprintf(a->text, len, "%d %s\n", status, json);
        memcpy(text, a->text, strlen(a->text) + 1);
    } else {
        free(a->text);
        a->text = NULL;
    }
    free(json);
    return text;
}

/* Answers with a journaled "<status> <body>". */
static void respond_answer(const struct dw_host *host, struct dw_http_response *resp, const char *text)
{
    char *end;
    long status = strtol(text, &end, 10);
    size_t len = *end == ' ' ? strlen(end + 1) : 0;
    if (*end != ' ' || status < 200 || status > 599 || !(resp->body = host->alloc(len + 1))) {
        resp->status = 500;
        return;
    }
    memcpy(resp->body, end + 1, len + 1);
    resp->status = (int)status;
    resp->content_type = "application/json";
    resp->body_len = len;
}

/* A keyed batch: stored once with its answer; a repeat of the key gets that answer again. Returns
 * 0 with resp filled, or the DW_INGEST_* code for push_handle's other answers. */
static int emit_keyed(struct push *p, const char *key, const struct verdict *v, size_t rejected,
                      struct dw_ingest_result *res, struct dw_http_response *resp)
{
    struct answer a = {.host = p->host, .v = v, .rejected = rejected};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct dw_checked_batch batch = {
        .size = sizeof batch, .model = p->model, .probe = p->name, .samples = v->valid, .n = v->n_valid};
    struct dw_cursor cursor = {
        .size = sizeof cursor,
        .source = KEY_SOURCE,
        .key = key,
        .value_fn = answer_make,
        .value_ctx = &a,
        .expires_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + p->horizon_ms,
        .max_keys = p->max_keys,
    };
    char *stored = NULL;
    int rc = p->host->emit_checked_cursor(p->ctx, &batch, &cursor, res, &stored);
    if (rc == DW_INGEST_DUPLICATE && stored) {
        respond_answer(p->host, resp, stored);
        const char *labels[] = {"model", p->model, NULL};
        p->host->counter_add(p->ctx, REPLAYS, REPLAYS_HELP, labels, 1);
        rc = 0;
    } else if (rc == DW_INGEST_NO_CURSORS) {
        pu_respond_error(p->host, resp, 501, "this agent keeps no Idempotency-Keys: send the request without the header");
        rc = 0;
    } else if ((rc == DW_INGEST_OK || (rc == DW_INGEST_INVALID && res->rejected > 0)) && a.text) {
        respond_answer(p->host, resp, a.text);
        rc = 0;
    } else if (rc == DW_INGEST_OK || rc == DW_INGEST_INVALID || rc == DW_INGEST_DUPLICATE) {
        pu_respond_error(p->host, resp, 503, "out of memory answering the request");
        rc = 0;
    }
    p->host->free(stored);
    free(a.text);
    return rc;
}

static void push_handle(void *route_ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    struct push *p = route_ctx;
    const char *key = req->idempotency_key;
    char why[256];
    if (key && key_check(key, why, sizeof why) < 0) {
        pu_respond_error(p->host, resp, 400, why);
        return;
    }
    int kind = media_kind(req->content_type);
    if (!kind) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "Content-Type must be application/json (an array or one sample) or application/x-ndjson "
                 "(application/jsonl: one sample a line), not '%s'",
                 req->content_type ? req->content_type : "(none)");
        pu_respond_error(p->host, resp, 415, msg);
        return;
    }
    size_t start = 0;
    while (start < req->body_len && isspace((unsigned char)req->body[start]))
        start++;
    if (start == req->body_len) {
        pu_respond_error(p->host, resp, 400, "the request body is empty: send a JSON array, one JSON object or NDJSON");
        return;
    }
    struct verdict v = {.max_errors = p->max_errors};
    v.errors = calloc(p->max_errors ? p->max_errors : 1, sizeof *v.errors);
    if (!v.errors) {
        pu_respond_error(p->host, resp, 503, "out of memory");
        return;
    }
    if (kind == 2) {
        size_t lines = count_lines(req->body, req->body_len);
        if (lines > p->max_batch) {
            char msg[256];
            snprintf(msg, sizeof msg, "a batch of %zu samples is larger than max_batch (%zu); split it", lines,
                     p->max_batch);
            pu_count_rejected(p->host, p->ctx, p->model, "batch_too_large", lines);
            pu_respond_error(p->host, resp, 413, msg);
            goto out;
        }
        check_ndjson(req->body, req->body_len, &v);
    } else if (check_json(p, req->body, req->body_len, &v, resp) < 0) {
        goto out;
    }
    pu_count_received(p->host, p->ctx, p->model, p->name, v.received);
    pu_count_rejected(p->host, p->ctx, p->model, "invalid_json", v.rejected_json);
    pu_count_rejected(p->host, p->ctx, p->model, "invalid_sample", v.rejected_shape);

    if (v.failed) {
        pu_respond_error(p->host, resp, 503, "out of memory preparing the batch");
        goto out;
    }
    size_t rejected = verdict_rejected(&v);
    if (rejected == v.received) {
        char first[32 + sizeof v.errors[0].path + 2 + sizeof v.errors[0].why]; /* all of describe() */
        describe(&v.errors[0], first, sizeof first);
        char msg[700];
        snprintf(msg, sizeof msg, "no acceptable sample in the batch (%zu rejected); first: %s", rejected, first);
        pu_respond_json(p->host, resp, 400,
                     json_pack("{s:s, s:i, s:i, s:I, s:o}", "error", msg, "status", 400, "accepted", 0, "rejected",
                               (json_int_t)rejected, "errors", errors_json(&v, NULL)));
        goto out;
    }
    struct dw_ingest_result res = {.size = sizeof res};
    int rc;
    if (key) {
        rc = emit_keyed(p, key, &v, rejected, &res, resp);
        if (rc == 0)
            goto out;
    } else {
        rc = sample_emit_checked(p->host, p->ctx, p->model, p->name, v.valid, v.n_valid, &res);
    }
    if (rc == DW_INGEST_UNKNOWN_MODEL) {
        char msg[400];
        snprintf(msg, sizeof msg, "the agent has no model '%s': %s", p->model, res.error);
        pu_respond_error(p->host, resp, 404, msg);
        goto out;
    }
    if (rc == DW_INGEST_INVALID && res.rejected > 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "the agent rejected every sample: %s", res.error);
        pu_respond_json(p->host, resp, 400,
                     json_pack("{s:s, s:i, s:i, s:I, s:o}", "error", msg, "status", 400, "accepted", 0, "rejected",
                               (json_int_t)(rejected + res.rejected), "errors", errors_json(&v, res.error)));
        goto out;
    }
    if (rc < 0) {
        /* DW_INGEST_UNAVAILABLE (the state directory cannot take them now), or no pipeline at all:
         * nothing was kept, the client should send the batch again later. */
        char msg[400];
        snprintf(msg, sizeof msg, "the agent could not take the samples, retry later: %s", res.error);
        pu_respond_error(p->host, resp, 503, msg);
        goto out;
    }
    pu_respond_json(p->host, resp, 202,
                 json_pack("{s:I, s:I, s:o}", "accepted", (json_int_t)res.accepted, "rejected",
                           (json_int_t)(rejected + res.rejected), "errors",
                           errors_json(&v, res.rejected ? res.error : NULL)));
out:
    free(v.errors);
    free(v.valid);
}

static int push_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                     void **instance, char *err, size_t errlen)
{
    const struct push_config *cfg = config;
    if (!cfg->model || !cfg->model[0] || strchr(cfg->model, '/')) {
        snprintf(err, errlen, "option 'model' must be a model name without '/'");
        return -1;
    }
    struct push *p = calloc(1, sizeof *p);
    if (!p || !(p->model = strdup(cfg->model))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->host = host;
    p->ctx = ctx;
    snprintf(p->name, sizeof p->name, "%s", instance_name);
    p->max_batch = (size_t)cfg->max_batch;
    p->max_errors = (size_t)cfg->max_errors;
    p->horizon_ms = cfg->idempotency_horizon_ms;
    p->max_keys = (uint64_t)cfg->idempotency_max_keys;
    int n = snprintf(p->route, sizeof p->route, "/v1/models/%s/samples", p->model);
    if (n < 0 || (size_t)n >= sizeof p->route) {
        snprintf(err, errlen, "option 'model' is too long");
        push_destroy(p);
        return -1;
    }
    if (host->register_route(ctx, "POST", p->route, push_handle, p) < 0) {
        snprintf(err, errlen, "cannot register the route POST %s", p->route);
        push_destroy(p);
        return -1;
    }
    *instance = p;
    return 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "push",
    .kind = DW_KIND_PROBE,
    .version = "1.0.0",
    .description = "HTTP ingest: POST /v1/models/{model}/samples takes a JSON array, one object or NDJSON.",
    .options = push_options,
    .config_size = sizeof(struct push_config),
    .init = push_init,
    .destroy = push_destroy,
};
