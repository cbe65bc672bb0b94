/* The `kserve` probe: KServe's InferenceService payload logger (`logger: {mode: all}`) POSTs each
 * predict request and each answer as a CloudEvent to /v1/models/{model}/cloudevents; the two halves
 * are joined by their event id and read by the shared tap reader (probes/tap) into samples. */
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "tap_parse.h"

#define EVENTS "driftwatch_kserve_events_total"
#define EVENTS_HELP "CloudEvents the kserve probe took, by model and type (request or response)."
#define PENDING "driftwatch_kserve_pending_events"
#define PENDING_HELP "Request or response events waiting for their other half, by model."

#define TYPE_REQUEST "org.kubeflow.serving.inference.request"
#define TYPE_RESPONSE "org.kubeflow.serving.inference.response"
#define MAX_ID_LEN 256

struct kserve_config {
    const char *model;
    const char *protocol;
    struct dw_list feature_names;
    int64_t join_ttl_ms;
    int64_t max_pending;
    int64_t max_pending_bytes;
};

enum half { HALF_REQUEST = 0, HALF_RESPONSE = 1 };

/* One half waiting for the other: in a hash bucket by id and in arrival order (oldest first),
 * which is also expiry order since every half gets the same TTL. */
struct pending {
    struct pending *next_in_bucket;
    struct pending *older, *newer;
    char *id;
    enum half half;
    char *body;
    size_t body_len;
    char time[64];   /* the event's time (ce-time, else its arrival), RFC 3339 */
    int64_t arrived_ms;
};

struct kserve {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    char *model;
    char route[512];
    enum tap_protocol protocol;
    char **feature_names;
    size_t n_names;
    int64_t ttl_ms;
    size_t max_pending, max_bytes;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t sweeper;
    int sweeper_started, stopping;
    struct pending **buckets;
    size_t n_buckets;   /* a power of two */
    struct pending *oldest, *newest;
    size_t n_pending, pending_bytes;
};

static const struct dw_option kserve_options[] = {
    {.name = "model", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct kserve_config, model),
     .description = "model whose payload log this route takes (POST /v1/models/{model}/cloudevents)"},
    {.name = "protocol", .type = DW_OPT_STRING, .def = "auto", .offset = offsetof(struct kserve_config, protocol),
     .choices = tap_protocol_names,
     .description = "payloads: v1 (instances/predictions), v2 (open inference inputs/outputs) or auto (by the request's keys)"},
    {.name = "feature_names", .type = DW_OPT_LIST, .offset = offsetof(struct kserve_config, feature_names),
     .description = "names of positional features (v1 list instances, v2 multi-column tensors), in order"},
    {.name = "join_ttl", .type = DW_OPT_DURATION, .def = "60s", .offset = offsetof(struct kserve_config, join_ttl_ms),
     .min = "100ms", .max = "24h",
     .description = "how long a request (or response) event waits for its other half; then it is dropped and counted as unjoined"},
    {.name = "max_pending", .type = DW_OPT_INT, .def = "10000", .offset = offsetof(struct kserve_config, max_pending),
     .min = "1", .max = "10000000",
     .description = "most events waiting for their other half; beyond it the oldest is dropped and counted as unjoined"},
    {.name = "max_pending_bytes", .type = DW_OPT_SIZE, .def = "64M", .offset = offsetof(struct kserve_config, max_pending_bytes),
     .min = "1K",
     .description = "most payload bytes waiting for their other half; beyond it the oldest events are dropped (unjoined)"},
    {0},
};

/* ---- answers ---- */

/* ---- metrics ---- */

static void count_rejected(struct kserve *k, const char *reason, size_t n)
{
    pu_count_rejected(k->host, k->ctx, k->model, reason, n);
}

static void publish_pending(struct kserve *k, size_t n)
{
    const char *labels[] = {"model", k->model, NULL};
    k->host->gauge_set(k->ctx, PENDING, PENDING_HELP, labels, (double)n);
}

/* ---- the pending map ---- */

/* FNV-1a: ids are request ids (UUIDs), short and not chosen to collide. */
static size_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h;
}

static void pending_free(struct pending *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->body);
    free(e);
}

static struct pending *pending_find(struct kserve *k, const char *id)
{
    for (struct pending *e = k->buckets[id_hash(id) & (k->n_buckets - 1)]; e; e = e->next_in_bucket)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* Takes e out of the map (the caller owns it then). Lock held. */
static void pending_unlink(struct kserve *k, struct pending *e)
{
    struct pending **slot = &k->buckets[id_hash(e->id) & (k->n_buckets - 1)];
    while (*slot != e)
        slot = &(*slot)->next_in_bucket;
    *slot = e->next_in_bucket;
    if (e->older)
        e->older->newer = e->newer;
    else
        k->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        k->newest = e->older;
    e->next_in_bucket = e->older = e->newer = NULL;
    k->n_pending--;
    k->pending_bytes -= e->body_len;
}

/* Adds e as the newest. Lock held; no entry of e's id is in the map. */
static void pending_add(struct kserve *k, struct pending *e)
{
    struct pending **slot = &k->buckets[id_hash(e->id) & (k->n_buckets - 1)];
    e->next_in_bucket = *slot;
    *slot = e;
    e->newer = NULL;
    e->older = k->newest;
    if (k->newest)
        k->newest->newer = e;
    else
        k->oldest = e;
    k->newest = e;
    k->n_pending++;
    k->pending_bytes += e->body_len;
}

/* Drops the halves older than the TTL, then the oldest while over a bound. Lock held; returns how
 * many were dropped (the caller counts them once the lock is released). */
static size_t pending_trim(struct kserve *k, int64_t now_ms)
{
    size_t dropped = 0;
    while (k->oldest && (now_ms - k->oldest->arrived_ms >= k->ttl_ms || k->n_pending > k->max_pending ||
                         k->pending_bytes > k->max_bytes)) {
        struct pending *e = k->oldest;
        pending_unlink(k, e);
        pending_free(e);
        dropped++;
    }
    return dropped;
}

/* The sweeper: halves never answered are counted within about a quarter of the TTL after it ends,
 * even when no other event arrives to notice them. */
static void *sweeper_main(void *arg)
{
    struct kserve *k = arg;
    int64_t every = k->ttl_ms / 4;
    if (every < 10)
        every = 10;
    if (every > 1000)
        every = 1000;
    /* pu_sleep takes the lock itself, and returns 1 once stop() is under way. */
    while (!pu_sleep(&k->lock, &k->cond, &k->stopping, every)) {
        pthread_mutex_lock(&k->lock);
        size_t dropped = pending_trim(k, pu_now_ms());
        size_t n = k->n_pending;
        pthread_mutex_unlock(&k->lock);
        count_rejected(k, "unjoined", dropped);
        publish_pending(k, n);
    }
    return NULL;
}

/* ---- reading an event ---- */

/* One CloudEvent as received: its id, which half, its time and its data (the predict payload). */
struct event {
    const char *id;
    enum half half;
    char time[64];
    const char *data;
    size_t data_len;
    json_t *doc;       /* structured mode: the parsed envelope (id and data point into it) */
    char *owned;       /* structured mode: data re-serialized or decoded from base64 */
};

static void event_clear(struct event *ev)
{
    json_decref(ev->doc);
    free(ev->owned);
}

/* Media type of content_type without parameters, compared case-insensitively. */
static int media_is(const char *content_type, const char *media)
{
    if (!content_type)
        return 0;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
        n--;
    return n == strlen(media) && strncasecmp(content_type, media, n) == 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Standard or URL-safe base64, padding optional. Returns malloc'd bytes (NUL-terminated) or NULL. */
static char *b64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    char *out = malloc(n / 4 * 3 + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Checks id, type and specversion (from headers or the envelope, named as the sender wrote them).
 * Returns 0, or 400 with why. */
static int event_check(struct event *ev, const char *id, const char *type, const char *specversion, const char *time,
                       int binary, char *why, size_t whylen)
{
    const char *id_name = binary ? "ce-id" : "id", *type_name = binary ? "ce-type" : "type",
               *spec_name = binary ? "ce-specversion" : "specversion";
    if (!id || !*id) {
        snprintf(why, whylen, "%s missing: KServe's payload logger sends each request and response as a CloudEvent "
                 "whose id joins them", id_name);
        return 400;
    }
    if (strlen(id) > MAX_ID_LEN) {
        snprintf(why, whylen, "%s is longer than %d bytes", id_name, MAX_ID_LEN);
        return 400;
    }
    if (!type || !*type) {
        snprintf(why, whylen, "%s missing: expected %s or %s", type_name, TYPE_REQUEST, TYPE_RESPONSE);
        return 400;
    }
    if (strcmp(type, TYPE_REQUEST) == 0) {
        ev->half = HALF_REQUEST;
    } else if (strcmp(type, TYPE_RESPONSE) == 0) {
        ev->half = HALF_RESPONSE;
    } else {
        snprintf(why, whylen, "unknown %s '%.200s': expected %s or %s", type_name, type, TYPE_REQUEST, TYPE_RESPONSE);
        return 400;
    }
    if (!specversion || !*specversion) {
        snprintf(why, whylen, "%s missing: send CloudEvents 1.0", spec_name);
        return 400;
    }
    if (strcmp(specversion, "1.0") != 0) {
        snprintf(why, whylen, "%s '%.40s' is not supported: send CloudEvents 1.0", spec_name, specversion);
        return 400;
    }
    ev->id = id;
    int64_t unix_s;
    if (time && strlen(time) < sizeof ev->time && pu_parse_rfc3339(time, &unix_s) == 0)
        snprintf(ev->time, sizeof ev->time, "%s", time);
    return 0;
}

/* Binary mode: the attributes in ce-* headers, the payload as the body. */
static int event_read_binary(const struct dw_http_request *req, struct event *ev, char *why, size_t whylen)
{
    int status = event_check(ev, req->header(req, "ce-id"), req->header(req, "ce-type"),
                             req->header(req, "ce-specversion"), req->header(req, "ce-time"), 1, why, whylen);
    if (status)
        return status;
    ev->data = req->body;
    ev->data_len = req->body_len;
    return 0;
}

/* Structured mode: one JSON envelope with the attributes and `data` (JSON) or `data_base64`. */
static int event_read_structured(const struct dw_http_request *req, struct event *ev, char *why, size_t whylen)
{
    json_error_t jerr;
    ev->doc = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!json_is_object(ev->doc)) {
        if (ev->doc)
            snprintf(why, whylen, "a structured-mode CloudEvent must be a JSON object");
        else
            snprintf(why, whylen, "the CloudEvent is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                     jerr.column);
        return 400;
    }
    int status = event_check(ev, json_string_value(json_object_get(ev->doc, "id")),
                             json_string_value(json_object_get(ev->doc, "type")),
                             json_string_value(json_object_get(ev->doc, "specversion")),
                             json_string_value(json_object_get(ev->doc, "time")), 0, why, whylen);
    if (status)
        return status;
    json_t *data = json_object_get(ev->doc, "data");
    json_t *b64 = json_object_get(ev->doc, "data_base64");
    if (data) {
        ev->owned = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
    } else if (json_is_string(b64)) {
        ev->owned = b64_decode(json_string_value(b64), &ev->data_len);
        if (!ev->owned) {
            snprintf(why, whylen, "data_base64 is not base64");
            return 400;
        }
    } else {
        snprintf(why, whylen, "data missing: the event carries no 'data' (or 'data_base64') payload");
        return 400;
    }
    if (!ev->owned) {
        snprintf(why, whylen, "out of memory");
        return 503;
    }
    if (data)
        ev->data_len = strlen(ev->owned);
    ev->data = ev->owned;
    return 0;
}

/* ---- joining and handing over ---- */

/* A joined pair read into samples and handed to the core; fills the answer. */
static void emit_pair(struct kserve *k, const struct pending *request, const struct pending *response,
                      struct dw_http_response *resp, int *retry)
{
    struct tap_pair pair = {.request = request->body,
                            .request_len = request->body_len,
                            .response = response->body,
                            .response_len = response->body_len,
                            .request_id = request->id,
                            .timestamp = request->time};
    char *json = NULL, why[512];
    size_t len;
    int samples = tap_build_samples(k->protocol, (const char *const *)k->feature_names, k->n_names, &pair, &json, &len,
                                    why, sizeof why);
    if (samples < 0) {
        count_rejected(k, "bad_payload", 1);
        char msg[640];
        snprintf(msg, sizeof msg, "request and response of id '%s' are not a predict call: %s", request->id, why);
        pu_respond_json(k->host, resp, 400,
                        json_pack("{s:s, s:i, s:s}", "error", msg, "status", 400, "id", request->id));
        return;
    }
    struct dw_ingest_result res = {.size = sizeof res};
    int rc = DW_INGEST_OK;
    if (samples > 0) {
        pu_count_received(k->host, k->ctx, k->model, k->name, (size_t)samples);
        struct dw_sample_batch batch = {
            .size = sizeof batch, .model = k->model, .probe = k->name, .json = json, .json_len = len};
        rc = k->host->emit_samples(k->ctx, &batch, &res);
    }
    free(json);
    if (rc == DW_INGEST_UNKNOWN_MODEL) {
        count_rejected(k, "unknown_model", (size_t)samples);
        char msg[400];
        snprintf(msg, sizeof msg, "no model '%s' is configured in this agent", k->model);
        pu_respond_error(k->host, resp, 404, msg);
    } else if (rc == DW_INGEST_UNAVAILABLE) {
        *retry = 1;
        char msg[400];
        snprintf(msg, sizeof msg, "the agent cannot store samples now (%s): send the event again", res.error);
        pu_respond_error(k->host, resp, 503, msg);
    } else if (rc < 0 || (res.accepted == 0 && res.rejected > 0)) {
        char msg[400];
        snprintf(msg, sizeof msg, "the agent rejected every sample: %s", res.error);
        pu_respond_json(k->host, resp, 400,
                     json_pack("{s:s, s:i, s:s, s:i, s:I}", "error", msg, "status", 400, "id", request->id,
                               "accepted", 0, "rejected", (json_int_t)res.rejected));
    } else {
        json_t *body = json_pack("{s:s, s:s, s:I, s:I}", "status", "joined", "id", request->id, "accepted",
                                 (json_int_t)res.accepted, "rejected", (json_int_t)res.rejected);
        if (body && res.rejected)
            json_object_set_new(body, "error", json_string(res.error));
        pu_respond_json(k->host, resp, 202, body);
    }
}

static void kserve_handle(void *route_ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    struct kserve *k = route_ctx;
    struct event ev;
    memset(&ev, 0, sizeof ev);
    char why[512];
    int status;
    if (media_is(req->content_type, "application/cloudevents-batch+json")) {
        pu_respond_error(k->host, resp, 415,
                         "batched CloudEvents are not supported: send one event per request (binary or structured "
                         "mode)");
        return;
    }
    if (media_is(req->content_type, "application/cloudevents+json")) {
        status = event_read_structured(req, &ev, why, sizeof why);
    } else {
        status = event_read_binary(req, &ev, why, sizeof why);
    }
    if (status) {
        pu_respond_error(k->host, resp, status, why);
        event_clear(&ev);
        return;
    }
    if (ev.data_len > k->max_bytes) {
        count_rejected(k, "unjoined", 1);
        snprintf(why, sizeof why, "an event of %zu bytes is larger than max_pending_bytes (%zu)", ev.data_len,
                 k->max_bytes);
        pu_respond_error(k->host, resp, 413, why);
        event_clear(&ev);
        return;
    }
    int64_t now = pu_now_ms();
    struct pending *e = calloc(1, sizeof *e);
    if (e) {
        e->id = strdup(ev.id);
        e->body = malloc(ev.data_len + 1);
    }
    if (!e || !e->id || !e->body) {
        pending_free(e);
        event_clear(&ev);
        pu_respond_error(k->host, resp, 503, "out of memory");
        return;
    }
    memcpy(e->body, ev.data, ev.data_len);
    e->body[ev.data_len] = '\0';
    e->body_len = ev.data_len;
    e->half = ev.half;
    e->arrived_ms = now;
    if (ev.time[0]) {
        snprintf(e->time, sizeof e->time, "%s", ev.time);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(e->time, sizeof e->time, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(e->time + n, sizeof e->time - n, ".%03ldZ", ts.tv_nsec / 1000000);
    }
    event_clear(&ev);
    char id[MAX_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", e->id);
    enum half half = e->half;
    {
        const char *labels[] = {"model", k->model, "type", e->half == HALF_REQUEST ? "request" : "response", NULL};
        k->host->counter_add(k->ctx, EVENTS, EVENTS_HELP, labels, 1);
    }

    pthread_mutex_lock(&k->lock);
    size_t dropped = pending_trim(k, now);
    struct pending *other = pending_find(k, e->id);
    if (other && other->half != e->half) {
        pending_unlink(k, other);
    } else {
        if (other) {
            /* The same half again (a sender's retry): the newer copy waits instead. */
            pending_unlink(k, other);
            pending_free(other);
            other = NULL;
        }
        pending_add(k, e);
        dropped += pending_trim(k, now);
    }
    size_t n_pending = k->n_pending;
    pthread_mutex_unlock(&k->lock);
    count_rejected(k, "unjoined", dropped);

    if (!other) {
        publish_pending(k, n_pending);
        /* e belongs to the map now (another event may join and free it): the answer reads copies. */
        pu_respond_json(k->host, resp, 202,
                        json_pack("{s:s, s:s, s:s}", "status", "pending", "id", id, "type",
                                  half == HALF_REQUEST ? "request" : "response"));
        return;
    }
    int retry = 0;
    emit_pair(k, e->half == HALF_REQUEST ? e : other, e->half == HALF_REQUEST ? other : e, resp, &retry);
    if (retry) {
        /* The core could not store the pair: the half that waited waits again, so the sender's
         * retry of this one joins it (unless a newer copy of it arrived meanwhile). */
        pthread_mutex_lock(&k->lock);
        if (!pending_find(k, other->id)) {
            pending_add(k, other);
            other = NULL;
            dropped = pending_trim(k, pu_now_ms());
        } else {
            dropped = 0;
        }
        n_pending = k->n_pending;
        pthread_mutex_unlock(&k->lock);
        count_rejected(k, "unjoined", dropped);
    }
    publish_pending(k, n_pending);
    pending_free(other);
    pending_free(e);
}

/* ---- lifecycle ---- */

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

static void kserve_stop(void *instance)
{
    struct kserve *k = instance;
    if (!k || !k->sweeper_started)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = 1;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->sweeper, NULL);
    k->sweeper_started = 0;
}

static void kserve_destroy(void *instance)
{
    struct kserve *k = instance;
    if (!k)
        return;
    kserve_stop(k);
    while (k->oldest) {
        struct pending *e = k->oldest;
        pending_unlink(k, e);
        pending_free(e);
    }
    free(k->buckets);
    free_strings(k->feature_names, k->n_names);
    free(k->model);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

static int kserve_start(void *instance, char *err, size_t errlen)
{
    struct kserve *k = instance;
    k->stopping = 0;
    if (pthread_create(&k->sweeper, NULL, sweeper_main, k) != 0) {
        snprintf(err, errlen, "cannot start the kserve probe's sweeper thread");
        return -1;
    }
    k->sweeper_started = 1;
    return 0;
}

static int kserve_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                       void **instance, char *err, size_t errlen)
{
    const struct kserve_config *cfg = config;
    struct kserve *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&k->lock, NULL);
    pu_cond_init_monotonic(&k->cond);
    k->host = host;
    k->ctx = ctx;
    snprintf(k->name, sizeof k->name, "%s", instance_name);
    tap_protocol_parse(cfg->protocol, &k->protocol); /* one of tap_protocol_names: the loader checked */
    k->ttl_ms = cfg->join_ttl_ms;
    k->max_pending = (size_t)cfg->max_pending;
    k->max_bytes = (size_t)cfg->max_pending_bytes;
    /* About two entries a bucket at the bound; the table never grows. */
    k->n_buckets = 64;
    while (k->n_buckets < k->max_pending / 2)
        k->n_buckets *= 2;
    k->buckets = calloc(k->n_buckets, sizeof *k->buckets);
    k->n_names = cfg->feature_names.n;
    k->feature_names = calloc(k->n_names ? k->n_names : 1, sizeof *k->feature_names);
    k->model = strdup(cfg->model);
    int failed = !k->buckets || !k->feature_names || !k->model;
    for (size_t i = 0; !failed && i < k->n_names; i++)
        failed = !(k->feature_names[i] = strdup(cfg->feature_names.items[i]));
    if (failed) {
        snprintf(err, errlen, "out of memory");
        kserve_destroy(k);
        return -1;
    }
    int n = snprintf(k->route, sizeof k->route, "/v1/models/%s/cloudevents", k->model);
    if (n < 0 || (size_t)n >= sizeof k->route) {
        snprintf(err, errlen, "option 'model' is too long");
        kserve_destroy(k);
        return -1;
    }
    if (host->register_route(ctx, "POST", k->route, kserve_handle, k) < 0) {
        snprintf(err, errlen, "cannot register the route POST %s", k->route);
        kserve_destroy(k);
        return -1;
    }
    *instance = k;
    return 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "kserve",
    .kind = DW_KIND_PROBE,
    .version = "1.0.0",
    .description = "KServe payload logger: POST /v1/models/{model}/cloudevents takes the request and response "
                   "CloudEvents (binary or structured mode), joins them by id and reads v1/v2 payloads into samples.",
    .options = kserve_options,
    .config_size = sizeof(struct kserve_config),
    .init = kserve_init,
    .start = kserve_start,
    .stop = kserve_stop,
    .destroy = kserve_destroy,
};
