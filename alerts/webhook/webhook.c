/* Webhook plugin: an alert sink that POSTs each drift transition, and a retrain trigger that POSTs
 * "retrain.requested" (the loader lets an alert plugin serve as a trainer through `trigger`). Every
 * body is versioned JSON signed with HMAC-SHA256 over "<timestamp>.<body>" so receivers can check
 * origin and reject replays.
 *
 * Alert body (version 1; README.md in this directory is the reference, with a verification snippet):
 *   {"version": 1,
 *    "id": "<hex>",                      same for every delivery of one transition (dedup key)
 *    "event": "drift.firing" | "drift.resolved",
 *    "model": "fraud", "severity": "warning" | "critical", "summary": "...",
 *    "drift_share": 0.5,
 *    "features": [{"name": "amount", "method": "psi", "score": 0.31, "p_value": null}, ...],
 *    "report_url": "https://..." | null,
 *    "starts_at": "2024-05-01T12:00:00Z", "ends_at": "2024-05-01T13:00:00Z" | null,
 *    "sent_at": "2024-05-01T13:00:02Z",
 *    "labels": {"team": "ml"}}          static labels from the config ({} when none)
 * Retrain body (version 1):
 *   {"version": 1, "event": "retrain.requested", "id": "<trigger key>", "model": "fraud",
 *    "key": "<trigger key>", "data_version": "..." | null, "window_end": "<RFC 3339>" | null,
 *    "episode_start": "<RFC 3339>" | null, "cooldown_seconds": 86400 | null,
 *    "features": [...as above...], "dry_run": false, "sent_at": "...", "labels": {...}}
 *   The trigger key is the drift episode's (docs/operations.md): every replica of the model sends the
 *   same one, so a receiver that deduplicates on Idempotency-Key starts one job per episode.
 * Headers: Content-Type: application/json, User-Agent: driftwatch/<version>,
 *   X-Driftwatch-Event: <event>, X-Driftwatch-Timestamp: <unix seconds>,
 *   X-Driftwatch-Signature-256: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>,
 *   and on retrain requests Idempotency-Key: <trigger key>. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "sink_common.h"

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

#define WH_EVENT_RETRAIN "retrain.requested"

struct wh_config {
    const char *url;
    const char *secret;
    struct pu_sink_http http;
};

struct wh_instance {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char *name;
    char *url;
    char *url_desc; /* without userinfo or query (either may hold a token), for messages */
    char *secret;
    size_t secret_len;
    struct pu_label *labels;
    size_t n_labels;
    struct pu_sink_http http; /* timeout, attempts and deadline (labels are parsed in init) */
};

static const struct dw_option wh_options[] = {
    {.name = "url", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct wh_config, url),
     .description = "receiver URL (http:// or https://)"},
    {.name = "secret", .type = DW_OPT_SECRET, .required = 1, .offset = offsetof(struct wh_config, secret),
     .description = "HMAC-SHA256 key for X-Driftwatch-Signature-256 (use ${ENV} or secret_file)"},
    PU_SINK_HTTP_OPTIONS(struct wh_config, http, "static labels added to the body's \"labels\" object, as name=value",
                         "notification or retrain request"),
    {0},
};

static int wh_set_text(json_t *obj, const char *key, const char *value)
{
    json_t *j = pu_json_text(value);
    return j ? json_object_set_new(obj, key, j) : -1;
}

/* JSON has no NaN or infinity: a missing number is null. */
static int wh_set_number(json_t *obj, const char *key, double v)
{
    json_t *j = isfinite(v) ? json_real(v) : json_null();
    return j ? json_object_set_new(obj, key, j) : -1;
}

static void wh_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void wh_instance_free(struct wh_instance *in)
{
    if (!in)
        return;
    free(in->name);
    free(in->url);
    free(in->url_desc);
    if (in->secret) {
        /* Not left behind in freed heap memory; volatile keeps the stores. */
        volatile char *p = in->secret;
        for (size_t i = 0; i < in->secret_len; i++)
            p[i] = 0;
        free(in->secret);
    }
    pu_free_labels(in->labels, in->n_labels);
    free(in);
}

static int wh_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                   void **instance, char *err, size_t errlen)
{
    const struct wh_config *cfg = config;
    const char *iname = instance_name ? instance_name : "webhook";
    struct wh_instance *in = NULL;

    *instance = NULL;
    if (!cfg->url || !*cfg->url) {
        snprintf(err, errlen, "webhook %s: option url is required", iname);
        return -1;
    }
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        char *desc = pu_describe_url(cfg->url);
        snprintf(err, errlen, "webhook %s: url \"%s\" must start with http:// or https://", iname,
                 desc ? desc : "?");
        free(desc);
        return -1;
    }
    if (!cfg->secret || !*cfg->secret) {
        snprintf(err, errlen, "webhook %s: option secret is required (the HMAC-SHA256 key receivers verify "
                 "X-Driftwatch-Signature-256 with; e.g. secret: ${DRIFTWATCH_WEBHOOK_SECRET})", iname);
        return -1;
    }

    in = calloc(1, sizeof *in);
    if (!in)
        goto oom;
    in->host = host;
    in->ctx = ctx;
    in->http = cfg->http;
    in->name = pu_strdup(iname);
    in->url = pu_strdup(cfg->url);
    in->secret = pu_strdup(cfg->secret);
    if (!in->name || !in->url || !in->secret || !(in->url_desc = pu_describe_url(cfg->url)))
        goto oom;
    in->secret_len = strlen(in->secret);
    char who[160];
    snprintf(who, sizeof who, "webhook %s", iname);
    if (pu_parse_labels(&cfg->http.labels, who, NULL, &in->labels, &in->n_labels, err, errlen) < 0) {
        wh_instance_free(in);
        return -1;
    }
    pu_sink_count_init(host, ctx, in->name);
    *instance = in;
    return 0;

oom:
    wh_instance_free(in);
    snprintf(err, errlen, "webhook %s: out of memory", iname);
    return -1;
}

static void wh_destroy(void *instance)
{
    wh_instance_free(instance);
}

/* The delivery id: SHA-256 of model, event and start time, so retries and a restart that re-sends
 * the same transition carry the same id and a receiver can drop the duplicate. */
static int wh_event_id(const char *model, const char *event, int64_t starts_at, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char tail[64];
    int ok = 1;
    snprintf(tail, sizeof tail, "\n%lld", (long long)starts_at);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, model, strlen(model)) &&
         EVP_DigestUpdate(ctx, "\n", 1) && EVP_DigestUpdate(ctx, event, strlen(event)) &&
         EVP_DigestUpdate(ctx, tail, strlen(tail)) && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (!ok || mdlen != 32)
        return -1;
    wh_hex(md, 32, out);
    return 0;
}

/* [{"name", "method", "score", "p_value"}, ...] of the drifted features; NULL when out of memory. */
static json_t *wh_features_json(const struct dw_feature_score *features, size_t n)
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && features && i < n; i++) {
        const struct dw_feature_score *f = &features[i];
        json_t *o = json_object();
        if (!o) {
            bad = 1;
            break;
        }
        bad |= wh_set_text(o, "name", f->name ? f->name : "") | wh_set_text(o, "method", f->method ? f->method : "") |
               wh_set_number(o, "score", f->score) | wh_set_number(o, "p_value", f->p_value);
        bad |= json_array_append_new(arr, o);
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* The configured static labels as a JSON object ({} when none); NULL when out of memory. */
static json_t *wh_labels_json(const struct wh_instance *in)
{
    json_t *obj = json_object();
    int bad = !obj;
    for (size_t i = 0; !bad && i < in->n_labels; i++)
        bad |= wh_set_text(obj, in->labels[i].name, in->labels[i].value);
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* 15 significant digits print 0.31 as 0.31 (17 would give 0.31000000000000000 noise); far more than
 * a drift statistic carries. */
static char *wh_dump(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

static char *wh_build_body(const struct wh_instance *in, const struct dw_alert_event *ev, int64_t now)
{
    char *body = NULL;
    char starts[32], ends[32], sent[32], summary[512], id[65];
    const char *event = ev->firing ? "drift.firing" : "drift.resolved";
    json_t *doc = json_object();
    json_t *features = wh_features_json(ev->features, ev->n_features);
    json_t *labels = wh_labels_json(in);
    if (!doc || !features || !labels)
        goto out;

    int64_t starts_at = ev->starts_at > 0 ? ev->starts_at : now;
    if (wh_event_id(ev->model, event, starts_at, id) < 0)
        goto out;
    if (ev->summary && *ev->summary)
        snprintf(summary, sizeof summary, "%s", ev->summary);
    else if (ev->firing)
        snprintf(summary, sizeof summary, "Data drift on model %.200s: %zu feature%s drifted (drift share %.2f)",
                 ev->model, ev->n_features, ev->n_features == 1 ? "" : "s", ev->drift_share);
    else
        snprintf(summary, sizeof summary, "Data drift on model %.200s has cleared", ev->model);
    pu_rfc3339(starts_at, starts, sizeof starts);
    pu_rfc3339(now, sent, sizeof sent);

    int bad = json_object_set_new(doc, "version", json_integer(1));
    bad |= wh_set_text(doc, "id", id) | wh_set_text(doc, "event", event) | wh_set_text(doc, "model", ev->model) |
           wh_set_text(doc, "severity", ev->severity && *ev->severity ? ev->severity : "warning") |
           wh_set_text(doc, "summary", summary) | wh_set_number(doc, "drift_share", ev->drift_share);
    bad |= json_object_set_new(doc, "features", features);
    features = NULL;
    bad |= wh_set_text(doc, "report_url", ev->report_url && *ev->report_url ? ev->report_url : NULL);
    bad |= wh_set_text(doc, "starts_at", starts);
    if (ev->firing) {
        bad |= json_object_set_new(doc, "ends_at", json_null());
    } else {
        int64_t ends_at = ev->ends_at > 0 ? ev->ends_at : now;
        pu_rfc3339(ends_at, ends, sizeof ends);
        bad |= wh_set_text(doc, "ends_at", ends);
    }
    bad |= wh_set_text(doc, "sent_at", sent);
    bad |= json_object_set_new(doc, "labels", labels);
    labels = NULL;
    if (!bad)
        body = wh_dump(doc);

out:
    json_decref(features);
    json_decref(labels);
    json_decref(doc);
    return body;
}

/* sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>; the timestamp is signed so a captured
 * request cannot be replayed later with a fresh X-Driftwatch-Timestamp. */
static int wh_sign(const struct wh_instance *in, const char *timestamp, const char *body, size_t body_len,
                   char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t tlen = strlen(timestamp);
    size_t n = tlen + 1 + body_len;
    unsigned char *msg = malloc(n);
    if (!msg)
        return -1;
    memcpy(msg, timestamp, tlen);
    msg[tlen] = '.';
    memcpy(msg + tlen + 1, body, body_len);
    unsigned char *ok = HMAC(EVP_sha256(), in->secret, (int)in->secret_len, msg, n, mac, &maclen);
    free(msg);
    if (!ok || maclen != 32 || outlen < sizeof "X-Driftwatch-Signature-256: sha256=" + 64)
        return -1;
    char hex[65];
    wh_hex(mac, maclen, hex);
    snprintf(out, outlen, "X-Driftwatch-Signature-256: sha256=%s", hex);
    return 0;
}

/* Signs body with the timestamp `now` (the body's sent_at) and POSTs it with the common headers plus
 * extra_header (NULL for none). Returns 0 when an answer arrived (resp filled; its body freed by the
 * caller with host->free), -1 on a network failure (herr says why), -2 when the body cannot be signed. */
static int wh_post(const struct wh_instance *in, const char *event, int64_t now, const char *body,
                   const char *extra_header, struct dw_http_client_response *resp, char *herr, size_t herrlen)
{
    char timestamp[32], ts_header[64], sig_header[128], event_header[64];
    size_t body_len = strlen(body);
    *resp = (struct dw_http_client_response){.size = sizeof *resp};
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)now);
    if (wh_sign(in, timestamp, body, body_len, sig_header, sizeof sig_header) < 0)
        return -2;
    snprintf(ts_header, sizeof ts_header, "X-Driftwatch-Timestamp: %s", timestamp);
    snprintf(event_header, sizeof event_header, "X-Driftwatch-Event: %s", event);
    const char *headers[] = {
        "Content-Type: application/json",
        "User-Agent: driftwatch/" DW_VERSION,
        event_header,
        ts_header,
        sig_header,
        extra_header,
        NULL,
    };
    struct dw_http_client_request req = pu_sink_post(&in->http, in->url, headers, body, body_len);
    return in->host->http_request(in->ctx, &req, resp, herr, herrlen) < 0 ? -1 : 0;
}

/* Returns 0 when delivered (2xx) or a repeat was skipped; -1 on a transient failure (network, 429,
 * 5xx after the host's retries); -2 when refused (other statuses) or not encodable. */
static int wh_alert_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    struct wh_instance *in = instance;
    int ret = -1;
    char *body = NULL;

    if (ev && ev->repeat)
        return 0; /* one delivery per transition: repeats are for sinks that need liveness */
    if (!ev || !ev->model || !*ev->model) {
        snprintf(err, errlen, "webhook %s: event without a model name, not sent", in->name);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        return -2;
    }
    int64_t now = (int64_t)time(NULL);
    const char *what = ev->firing ? "drift.firing" : "drift.resolved";
    struct dw_http_client_response resp = {.size = sizeof resp};
    char herr[512] = "";
    body = wh_build_body(in, ev, now);
    int rc = body ? wh_post(in, what, now, body, NULL, &resp, herr, sizeof herr) : -2;
    if (rc == -2) {
        snprintf(err, errlen, "webhook %s: cannot encode or sign the notification for model %s", in->name,
                 ev->model);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        ret = -2;
    } else {
        char detail[PU_HTTP_DETAIL_MAX];
        ret = pu_http_outcome(rc, &resp, herr, detail, sizeof detail);
        if (ret != PU_HTTP_OK)
            snprintf(err, errlen, "webhook %s: POST %s (%s for model %s) %s", in->name, in->url_desc, what, ev->model,
                     detail);
        pu_sink_count(in->host, in->ctx, in->name, pu_alert_result(ret));
    }
    if (resp.body)
        in->host->free(resp.body);
    free(body);
    return ret;
}

/* ---- retrain trigger ---- */

/* The key goes into a request header: printable ASCII only, so it cannot smuggle a header line. */
static int wh_header_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return 1;
}

static char *wh_build_trigger_body(const struct wh_instance *in, const struct dw_trigger_event *ev, int64_t now)
{
    char *body = NULL;
    char sent[32];
    json_t *doc = json_object();
    json_t *features = wh_features_json(ev->features, ev->n_features);
    json_t *labels = wh_labels_json(in);
    if (!doc || !features || !labels)
        goto out;
    pu_rfc3339(now, sent, sizeof sent);

    int bad = json_object_set_new(doc, "version", json_integer(1));
    bad |= wh_set_text(doc, "event", WH_EVENT_RETRAIN) | wh_set_text(doc, "id", ev->key) |
           wh_set_text(doc, "model", ev->model) | wh_set_text(doc, "key", ev->key) |
           wh_set_text(doc, "data_version", ev->data_version && *ev->data_version ? ev->data_version : NULL) |
           wh_set_text(doc, "window_end", ev->window_end && *ev->window_end ? ev->window_end : NULL);
    /* The episode the key stands for (null when the event names none). */
    char episode_text[32];
    pu_rfc3339(ev->episode_start, episode_text, sizeof episode_text);
    bad |= wh_set_text(doc, "episode_start", ev->episode_start > 0 ? episode_text : NULL);
    bad |= json_object_set_new(doc, "cooldown_seconds", json_integer(ev->cooldown_ms / 1000));
    bad |= json_object_set_new(doc, "features", features);
    features = NULL;
    bad |= json_object_set_new(doc, "dry_run", json_boolean(ev->dry_run));
    bad |= wh_set_text(doc, "sent_at", sent);
    bad |= json_object_set_new(doc, "labels", labels);
    labels = NULL;
    if (!bad)
        body = wh_dump(doc);

out:
    json_decref(features);
    json_decref(labels);
    json_decref(doc);
    return body;
}

/* Copies a job id from the answer to res->job_id: the first of "id", "run_id", "job_id" that is a
 * non-empty string or an integer, when the answer is a JSON object. Returns 1 when found, else 0.
 * Control characters become '?' (the id ends up in log lines). */
static int wh_job_id_from_answer(const char *body, size_t len, struct dw_trigger_result *res)
{
    static const char *const keys[] = {"id", "run_id", "job_id"};
    int found = 0;
    if (!body || len == 0)
        return 0;
    json_t *doc = json_loadb(body, len, 0, NULL);
    for (size_t i = 0; json_is_object(doc) && !found && i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        if (json_is_string(v) && json_string_length(v) > 0) {
            snprintf(res->job_id, sizeof res->job_id, "%s", json_string_value(v));
            found = 1;
        } else if (json_is_integer(v)) {
            snprintf(res->job_id, sizeof res->job_id, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            found = 1;
        }
    }
    json_decref(doc);
    for (char *p = res->job_id; found && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return found;
}

/* Returns 0 when the receiver accepted the request (2xx: state TRIGGERED) or on a dry run (nothing
 * sent: state DRY_RUN); -1 on a transient failure (network, 429, 5xx after the host's retries); -2
 * when refused (any other status: not retried by the host client) or not encodable. The policy
 * tries a failed trigger again at the next drifted check, with the same key. */
static int wh_trigger(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                      size_t errlen)
{
    struct wh_instance *in = instance;
    int ret = -2;
    char *body = NULL;
    char idem_header[sizeof res->job_id + 32];
    struct dw_http_client_response resp = {.size = sizeof resp};
    char herr[512] = "";

    if (!ev || !ev->model || !*ev->model || !ev->key || !*ev->key) {
        snprintf(err, errlen, "webhook %s: retrain request without a model or a key, not sent", in->name);
        return -2;
    }
    if (!wh_header_safe(ev->key) || strlen(ev->key) >= sizeof res->job_id) {
        snprintf(err, errlen, "webhook %s: retrain key for model %s is longer than %zu bytes or holds characters "
                 "other than printable ASCII: it cannot be sent as Idempotency-Key", in->name, ev->model,
                 sizeof res->job_id - 1);
        return -2;
    }
    int64_t now = (int64_t)time(NULL);
    body = wh_build_trigger_body(in, ev, now);
    if (!body) {
        snprintf(err, errlen, "webhook %s: cannot encode the retrain request for model %s", in->name, ev->model);
        goto out;
    }
    if (ev->dry_run) {
        in->host->log(in->ctx, DW_LOG_INFO, "dry run: would POST %s Idempotency-Key: %s %s", in->url_desc,
                      ev->key, body);
        snprintf(res->job_id, sizeof res->job_id, "%s", ev->key);
        snprintf(res->state, sizeof res->state, "DRY_RUN");
        ret = 0;
        goto out;
    }
    snprintf(idem_header, sizeof idem_header, "Idempotency-Key: %s", ev->key);
    int rc = wh_post(in, WH_EVENT_RETRAIN, now, body, idem_header, &resp, herr, sizeof herr);
    if (rc == -2) {
        snprintf(err, errlen, "webhook %s: cannot sign the retrain request for model %s", in->name, ev->model);
    } else {
        char detail[PU_HTTP_DETAIL_MAX];
        ret = pu_http_outcome(rc, &resp, herr, detail, sizeof detail);
        if (ret == PU_HTTP_OK) {
            if (!wh_job_id_from_answer(resp.body, resp.body_len, res))
                snprintf(res->job_id, sizeof res->job_id, "%s", ev->key);
            snprintf(res->state, sizeof res->state, "TRIGGERED");
            in->host->log(in->ctx, DW_LOG_INFO, "retrain requested for model %s: HTTP %ld, job %s, key %s",
                          ev->model, resp.status, res->job_id, ev->key);
            err[0] = '\0';
        } else {
            snprintf(err, errlen, "webhook %s: POST %s (%s for model %s, key %s) %s", in->name, in->url_desc,
                     WH_EVENT_RETRAIN, ev->model, ev->key, detail);
        }
    }
out:
    if (resp.body)
        in->host->free(resp.body);
    free(body);
    return ret;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "webhook",
    .kind = DW_KIND_ALERT,
    .version = DW_VERSION,
    .description = "POSTs drift alerts (alert sink) and retrain requests (on_drift.retrain) as JSON to any URL, "
                   "signed with HMAC-SHA256 (X-Driftwatch-Signature-256)",
    .options = wh_options,
    .config_size = sizeof(struct wh_config),
    .init = wh_init,
    .destroy = wh_destroy,
    .alert_send = wh_alert_send,
    .trigger = wh_trigger,
};
