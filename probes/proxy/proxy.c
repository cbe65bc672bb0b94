/* The `proxy` probe: a reverse proxy in front of a model server that forwards every request
 * unchanged and taps predict request/response pairs into samples, off the request path. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "tap_parse.h"
#include "upstream_curl.h"
#include "upstream_pool.h"

/* The model's own view of the same calls (docs/metrics.md, "Model serving"): latency of the answers
 * the upstream gave, and every call by the HTTP status it answered ("error": no answer). */
#define UPSTREAM_DURATION "driftwatch_upstream_request_duration_seconds"
#define UPSTREAM_DURATION_HELP "Time the model server took to answer a forwarded request, in seconds."
#define UPSTREAM_RESPONSES "driftwatch_upstream_responses_total"
#define UPSTREAM_RESPONSES_HELP "Requests forwarded to the model server by answer status (error: no answer)."
/* note_result's status for a request the upstream never saw (a request body over max_body). */
#define NOT_FORWARDED (-1)
/* Status slots: 0 counts the calls without an answer, 100..999 the answers by status. */
#define N_STATUS_SLOTS 1000
/* Upstream timings waiting for the tap thread to publish them (a full buffer skips observations). */
#define MAX_PENDING_DURATIONS 8192

struct proxy_config {
    const char *model;
    const char *listen;
    const char *upstream;
    const char *protocol;
    struct dw_list feature_names;
    int64_t max_tap_queue;
    int64_t max_tap_answer;
    int64_t timeout_ms;
    int64_t max_body;
    int64_t max_connections;
    struct dw_list tap_paths;
    int64_t tap_interval_ms;
    const char *http_client;
    const char *tap_priority;
};

static const char *const tap_priority_choices[] = {"idle", "normal", NULL};
static const char *const http_client_choices[] = {"builtin", "curl", NULL};

static const struct dw_option proxy_options[] = {
    {.name = "model", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct proxy_config, model),
     .description = "model the tapped predictions belong to"},
    {.name = "listen", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct proxy_config, listen),
     .description = "address the proxy listens on, host:port (e.g. 127.0.0.1:8081; [::1]:8081)"},
    {.name = "upstream", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct proxy_config, upstream),
     .description = "the model server, http://host:port[/base]; request paths are appended"},
    {.name = "protocol", .type = DW_OPT_STRING, .def = "auto", .offset = offsetof(struct proxy_config, protocol),
     .choices = tap_protocol_names,
     .description = "predict payloads to tap: v1 (Vertex AI / KServe v1 instances/predictions), v2 (KServe open inference "
     "inputs/outputs) or auto (by the request's keys)"},
    {.name = "feature_names", .type = DW_OPT_LIST, .offset = offsetof(struct proxy_config, feature_names),
     .description = "names of positional features (v1 list instances, v2 multi-column tensors), in order"},
    {.name = "max_tap_queue", .type = DW_OPT_SIZE, .def = "16M", .offset = offsetof(struct proxy_config, max_tap_queue),
     .description = "bytes of request/response bodies waiting to be tapped; beyond it pairs are dropped and counted"},
    {.name = "max_tap_answer", .type = DW_OPT_SIZE, .def = "4M", .offset = offsetof(struct proxy_config, max_tap_answer),
     .description = "largest predict answer tapped (streamed or not); a larger one is forwarded whole, not tapped, and counted "
     "(reason tap_too_large)"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "30s", .offset = offsetof(struct proxy_config, timeout_ms),
     .min = "1ms",
     .description = "upstream timeout: for the answer's head (answered with 504), then for each wait for body bytes"},
    {.name = "max_body", .type = DW_OPT_SIZE, .def = "64M", .offset = offsetof(struct proxy_config, max_body),
     .min = "1",
     .description = "largest request body (413 beyond) and largest announced Content-Length of an answer (502 beyond); "
     "chunked or close-delimited answers stream without a bound"},
    {.name = "max_connections", .type = DW_OPT_INT, .def = "1024", .offset = offsetof(struct proxy_config, max_connections),
     .min = "1",
     .description = "concurrent client connections (one thread each)"},
    {.name = "tap_paths", .type = DW_OPT_LIST, .offset = offsetof(struct proxy_config, tap_paths),
     .description = "path suffixes of predict calls to tap (default :predict, /infer, /predict); only POSTs answered 200"},
    {.name = "tap_interval", .type = DW_OPT_DURATION, .def = "20ms", .offset = offsetof(struct proxy_config, tap_interval_ms),
     .min = "1ms",
     .description = "how often tapped pairs are parsed and handed over in one batch (sooner when the queue is half full)"},
    {.name = "tap_priority", .type = DW_OPT_STRING, .def = "idle", .offset = offsetof(struct proxy_config, tap_priority),
     .choices = tap_priority_choices,
     .description = "CPU priority of the tap thread: idle (SCHED_IDLE, runs only when serving leaves a core free) or normal"},
    {.name = "http_client", .type = DW_OPT_STRING, .def = "builtin", .offset = offsetof(struct proxy_config, http_client),
     .choices = http_client_choices,
     .description = "upstream client for http:// upstreams: builtin (kept-alive sockets, least latency) or curl; https:// "
     "upstreams always use curl"},
    {0},
};

/* A body shared by the client's response (MHD) and the tap queue: freed by whoever lets go last. */
struct blob {
    int refs;
    char *data;
    size_t len;
};

struct tap_item {
    struct tap_item *next;
    char *request;
    size_t request_len;
    struct blob *response;
    char *request_id;
    struct timespec when;
    size_t bytes;
};

enum req_result { RESULT_OK = 0, RESULT_UPSTREAM_ERROR, RESULT_TIMEOUT, RESULT_TOO_LARGE, N_RESULTS };
static const char *const result_names[] = {"ok", "upstream_error", "timeout", "too_large"};

struct proxy {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    char *model;
    char *listen_host;
    int listen_port;
    char *upstream;           /* without a trailing slash */
    enum tap_protocol protocol;
    char **feature_names;
    size_t n_names;
    char **tap_paths;
    size_t n_tap_paths;
    size_t max_tap_queue;
    size_t max_tap_answer;
    int64_t timeout_ms;
    size_t max_body;
    unsigned max_connections;
    int64_t tap_interval_ms;
    int tap_idle;
    int stopping;               /* set by stop: curl transfers in flight abort */

    struct MHD_Daemon *daemon;
    struct upstream_pool *raw;  /* plain http upstreams; NULL: libcurl */
    struct upstream_curl *curl; /* https upstreams, or http_client: curl */

    /* Tap queue, bounded in bytes, and metrics waiting for the tap thread. */
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct tap_item *q_head, *q_tail;
    size_t q_bytes;
    uint64_t q_dropped;
    uint64_t q_too_large;       /* answers larger than max_tap_answer, not tapped */
    double durations[MAX_PENDING_DURATIONS];
    size_t n_durations;
    uint64_t results[N_RESULTS];
    uint64_t statuses[N_STATUS_SLOTS]; /* upstream calls by answer status, exact (not bounded) */
    /* Pairs the tap could not read: the first is logged as a warning at once, then at most one a
     * minute with the count in between (tap thread only). */
    int64_t bad_logged_ns;
    uint64_t bad_unlogged;
    int stop;
    pthread_t tap_thread;
    int tap_running;
};

/* Per-request state, created by MHD's URI callback (so it sees the raw URI, query included). */
struct exchange {
    struct proxy *p;
    char *uri;
    int started;
    int too_large;
    char *body;
    size_t body_len, body_cap;
};

/* Whether `name` is listed in a Connection header value (then it is hop-by-hop too). */
static int listed_in(const char *connection, const char *name, size_t len)
{
    if (!connection)
        return 0;
    const char *p = connection;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        if (n == len && strncasecmp(p, name, len) == 0)
            return 1;
        p += n;
    }
    return 0;
}

/* Headers the proxy does not pass on: hop-by-hop, those named in Connection, and the framing and
 * Expect headers that belong to the client's own connection (the body is re-framed). */
static int request_header_dropped(const char *connection, const char *key, size_t key_size)
{
    return header_is_hop_by_hop(key, key_size) || listed_in(connection, key, key_size) ||
           (key_size == 14 && strncasecmp(key, "content-length", 14) == 0) ||
           (key_size == 6 && strncasecmp(key, "expect", 6) == 0);
}

static void blob_release(void *cls)
{
    struct blob *b = cls;
    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(b->data);
        free(b);
    }
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Methods whose request always carries a (possibly empty) body. */
static int method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

/* ---- plain http upstreams: our own kept-alive sockets ---- */

struct head_buf {
    char *data;
    size_t len, cap;
    int failed;
};

static void head_put(struct head_buf *h, const char *s, size_t n)
{
    if (h->failed)
        return;
    if (h->len + n > h->cap) {
        size_t cap = h->cap ? h->cap : 2048;
        while (cap < h->len + n)
            cap *= 2;
        char *grown = realloc(h->data, cap);
        if (!grown) {
            h->failed = 1;
            return;
        }
        h->data = grown;
        h->cap = cap;
    }
    memcpy(h->data + h->len, s, n);
    h->len += n;
}

struct raw_walk {
    struct head_buf *head;
    const char *connection;
    int has_host;
};

static enum MHD_Result raw_add_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                      const char *value, size_t value_size)
{
    struct raw_walk *w = cls;
    if (request_header_dropped(w->connection, key, key_size))
        return MHD_YES;
    if (key_size == 4 && strncasecmp(key, "host", 4) == 0)
        w->has_host = 1;
    head_put(w->head, key, key_size);
    head_put(w->head, value_size ? ": " : ":", value_size ? 2 : 1);
    head_put(w->head, value, value_size);
    head_put(w->head, "\r\n", 2);
    return MHD_YES;
}

static enum upstream_error fetch_raw(struct proxy *p, struct exchange *x, struct MHD_Connection *conn,
                                     const char *method, unsigned flags, struct upstream_answer *a,
                                     struct upstream_body **rest, char *why, size_t whylen)
{
    struct head_buf h = {0};
    const char *base = upstream_pool_base_path(p->raw);
    head_put(&h, method, strlen(method));
    head_put(&h, " ", 1);
    head_put(&h, base, strlen(base));
    head_put(&h, x->uri, strlen(x->uri));
    head_put(&h, " HTTP/1.1\r\n", 11);
    struct raw_walk w = {.head = &h,
                         .connection = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection")};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, raw_add_header, &w);
    if (!w.has_host) {
        const char *host = upstream_pool_host(p->raw);
        head_put(&h, "Host: ", 6);
        head_put(&h, host, strlen(host));
        head_put(&h, "\r\n", 2);
    }
    if (x->body_len > 0 || method_has_body(method)) {
        char cl[48];
        int n = snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", x->body_len);
        head_put(&h, cl, (size_t)n);
    }
    head_put(&h, "\r\n", 2);
    enum upstream_error e;
    if (h.failed) {
        snprintf(why, whylen, "out of memory");
        e = UPSTREAM_NETWORK;
    } else {
        e = upstream_pool_exchange(p->raw, h.data, h.len, x->body, x->body_len, flags, p->max_body, a, rest, why,
                                   whylen);
    }
    free(h.data);
    return e;
}

/* ---- https upstreams (or http_client: curl): libcurl, see upstream_curl.c ---- */

struct header_walk {
    struct curl_slist *list;
    const char *connection;
    int has_content_type, has_accept;
    int failed;
};

static enum MHD_Result add_request_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                          const char *value, size_t value_size)
{
    struct header_walk *w = cls;
    if (request_header_dropped(w->connection, key, key_size))
        return MHD_YES;
    if (key_size == 12 && strncasecmp(key, "content-type", 12) == 0)
        w->has_content_type = 1;
    if (key_size == 6 && strncasecmp(key, "accept", 6) == 0)
        w->has_accept = 1;
    char line[8192];
    /* curl sends "Name;" as a header with an empty value ("Name:" would remove it). */
    int n = value_size ? snprintf(line, sizeof line, "%.*s: %.*s", (int)key_size, key, (int)value_size, value)
                       : snprintf(line, sizeof line, "%.*s;", (int)key_size, key);
    if (n < 0 || (size_t)n >= sizeof line) {
        w->failed = 1;
        return MHD_NO;
    }
    struct curl_slist *l = curl_slist_append(w->list, line);
    if (!l) {
        w->failed = 1;
        return MHD_NO;
    }
    w->list = l;
    return MHD_YES;
}

static enum upstream_error fetch_curl(struct proxy *p, struct exchange *x, struct MHD_Connection *conn,
                                      const char *method, unsigned flags, struct upstream_answer *a,
                                      struct upstream_body **rest, char *why, size_t whylen)
{
    *rest = NULL;
    struct header_walk w = {.connection = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection")};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, add_request_header, &w);
    /* curl's own defaults would change the request: no Expect: 100-continue, no Accept or form
     * Content-Type the client did not send. */
    w.list = curl_slist_append(w.list, "Expect:");
    if (!w.has_accept)
        w.list = curl_slist_append(w.list, "Accept:");
    if (!w.has_content_type)
        w.list = curl_slist_append(w.list, "Content-Type:");
    size_t url_len = strlen(p->upstream) + strlen(x->uri) + 1;
    char *url = malloc(url_len);
    if (w.failed || !w.list || !url) {
        curl_slist_free_all(w.list);
        free(url);
        snprintf(why, whylen, "cannot prepare the upstream request (header too long or out of memory)");
        return UPSTREAM_NETWORK;
    }
    snprintf(url, url_len, "%s%s", p->upstream, x->uri);
    enum upstream_error e = upstream_curl_exchange(p->curl, url, method, w.list, x->body, x->body_len, flags,
                                                   p->max_body, a, rest, why, whylen);
    free(url);
    return e;
}

/* ---- answering the client ---- */

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    char body[1024];
    size_t used = (size_t)snprintf(body, sizeof body, "{\"error\": \"");
    for (const char *s = msg; *s && used + 8 < sizeof body; s++) {
        if (*s == '"' || *s == '\\')
            body[used++] = '\\';
        if ((unsigned char)*s >= 0x20)
            body[used++] = *s;
    }
    snprintf(body + used, sizeof body - used, "\", \"status\": %u}\n", status);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int path_is_tapped(const struct proxy *p, const char *uri)
{
    size_t len = strcspn(uri, "?#");
    for (size_t i = 0; i < p->n_tap_paths; i++) {
        size_t n = strlen(p->tap_paths[i]);
        if (len >= n && strncmp(uri + len - n, p->tap_paths[i], n) == 0)
            return 1;
    }
    return 0;
}

/* Hands the pair to the tap thread, or drops it when the queue is full: never waits. The request
 * body is taken over (*request set to NULL) when the pair is queued; the response gains a ref. */
static void tap_enqueue(struct proxy *p, char **request, size_t request_len, struct blob *response,
                        const char *request_id)
{
    size_t bytes = request_len + response->len;
    pthread_mutex_lock(&p->q_lock);
    if (response->len > p->max_tap_answer) {
        p->q_too_large++;
        pthread_mutex_unlock(&p->q_lock);
        return;
    }
    if (p->q_bytes + bytes > p->max_tap_queue) {
        p->q_dropped++;
        pthread_mutex_unlock(&p->q_lock);
        return;
    }
    p->q_bytes += bytes; /* reserved before the allocations below, released by the tap thread */
    pthread_mutex_unlock(&p->q_lock);

    struct tap_item *item = calloc(1, sizeof *item);
    if (!item) {
        pthread_mutex_lock(&p->q_lock);
        p->q_bytes -= bytes;
        p->q_dropped++;
        pthread_mutex_unlock(&p->q_lock);
        return;
    }
    item->request_id = request_id ? strdup(request_id) : NULL;
    clock_gettime(CLOCK_REALTIME, &item->when);
    item->request = *request; /* no copy */
    item->request_len = request_len;
    *request = NULL;
    __atomic_add_fetch(&response->refs, 1, __ATOMIC_ACQ_REL);
    item->response = response;
    item->bytes = bytes;
    pthread_mutex_lock(&p->q_lock);
    if (p->q_tail)
        p->q_tail->next = item;
    else
        p->q_head = item;
    p->q_tail = item;
    /* No wake-up per request (a futex call and a context switch on the request path): the tap
     * thread runs every tap_interval, or now when the queue crosses half its size. */
    if (p->q_bytes >= p->max_tap_queue / 2 && p->q_bytes - bytes < p->max_tap_queue / 2)
        pthread_cond_signal(&p->q_cond);
    pthread_mutex_unlock(&p->q_lock);
}

static const char *request_id_of(struct MHD_Connection *conn)
{
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    return rid ? rid : MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "ce-id");
}

/* status: the upstream's answer status, 0 when the call got no answer, NOT_FORWARDED when no call
 * was made. seconds < 0: no duration to observe. */
static void note_result(struct proxy *p, enum req_result result, double seconds, long status)
{
    pthread_mutex_lock(&p->q_lock);
    p->results[result]++;
    if (status != NOT_FORWARDED)
        p->statuses[status >= 100 && status < N_STATUS_SLOTS ? status : 0]++;
    if (seconds >= 0 && p->n_durations < MAX_PENDING_DURATIONS)
        p->durations[p->n_durations++] = seconds;
    pthread_mutex_unlock(&p->q_lock);
}

/* ---- streamed answers: MHD pulls the body from the upstream as the client's connection takes it ---- */

struct relay {
    struct proxy *p;
    struct upstream_body *rest;
    uint64_t total;            /* the announced length, or MHD_SIZE_UNKNOWN */
    /* A tapped predict call: the answer is kept (up to max_tap_answer) and queued at its end. */
    int tap;
    struct blob *answer;
    size_t answer_cap;
    int answer_over;           /* longer than max_tap_answer: no longer kept */
    char *request;             /* taken from the exchange (libcurl may read it while the body streams) */
    size_t request_len;
    char *request_id;
};

static void relay_keep(struct relay *rl, const char *data, size_t n)
{
    struct blob *b = rl->answer;
    if (rl->answer_over)
        return;
    if (b->len + n > rl->p->max_tap_answer) {
        rl->answer_over = 1;
        free(b->data);
        b->data = NULL;
        b->len = 0;
        return;
    }
    if (b->len + n > rl->answer_cap) {
        size_t cap = rl->answer_cap ? rl->answer_cap : 16384;
        while (cap < b->len + n)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            rl->answer_over = 1;
            return;
        }
        b->data = grown;
        rl->answer_cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

/* The whole answer went through: tap it, or count it as too large to tap. */
static void relay_end(struct relay *rl)
{
    if (!rl->tap)
        return;
    rl->tap = 0;
    if (rl->answer_over) {
        pthread_mutex_lock(&rl->p->q_lock);
        rl->p->q_too_large++;
        pthread_mutex_unlock(&rl->p->q_lock);
        return;
    }
    tap_enqueue(rl->p, &rl->request, rl->request_len, rl->answer, rl->request_id);
}

static ssize_t relay_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct relay *rl = cls;
    char why[512];
    ssize_t n = rl->rest->read(rl->rest, buf, max, why, sizeof why);
    if (n < 0) {
        rl->p->host->log(rl->p->ctx, DW_LOG_WARN, "answer cut short: upstream %s: %s", rl->p->upstream, why);
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the client's connection is closed: it sees the cut */
    }
    if (n == 0) {
        relay_end(rl);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (rl->tap)
        relay_keep(rl, buf, (size_t)n);
    if (rl->total != MHD_SIZE_UNKNOWN && pos + (uint64_t)n >= rl->total) {
        char probe;
        rl->rest->read(rl->rest, &probe, 0, why, sizeof why); /* marks the body read to its end */
        relay_end(rl);
    }
    return n;
}

static void relay_free(void *cls)
{
    struct relay *rl = cls;
    rl->rest->finish(rl->rest);
    if (rl->answer)
        blob_release(rl->answer);
    free(rl->request);
    free(rl->request_id);
    free(rl);
}

/* Never called: MHD sends no body for HEAD and 304 (the size only sets the framing header). */
static ssize_t no_body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* An answer without a body (HEAD, 1xx, 204, 304), with the framing headers the upstream sent and
 * nothing invented. MHD 0.9.75 writes the framing itself, from the response's size, for HEAD and
 * 304 (and none for 1xx and 204), and lacks MHD_RF_HEAD_ONLY_RESPONSE (0.9.76): so the size is the
 * upstream's Content-Length (MHD writes exactly it and sends no body). Without one (a chunked or
 * close-delimited resource), a response of unknown size would make MHD write Transfer-Encoding:
 * chunked and then, wrongly, a last chunk "0\r\n\r\n" after a HEAD answer's head, which a client
 * reads as the start of the next answer; the only way to have it write no framing header is an
 * HTTP/1.0-style answer, after which it closes the client's connection (and so says Connection:
 * close). So: no Content-Length is invented or replaced, a Transfer-Encoding: chunked of a HEAD or
 * 304 answer is not relayed, and the connection ends there. */
static struct MHD_Response *no_body_response(const struct upstream_answer *a)
{
    struct MHD_Response *r;
    if (a->status < 200 || a->status == 204) {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (r && a->has_length) { /* not allowed (RFC 9110 §8.6), but the upstream's to send */
            char cl[32];
            snprintf(cl, sizeof cl, "%" PRIu64, a->length);
            MHD_set_response_options(r, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH, MHD_RO_END);
            MHD_add_response_header(r, "Content-Length", cl);
        }
        return r;
    }
    if (a->has_length && !a->chunked)
        return MHD_create_response_from_callback(a->length, 4096, no_body_read, NULL, NULL);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, no_body_read, NULL, NULL);
    if (r)
        MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    return r;
}

static enum MHD_Result forward(struct proxy *p, struct exchange *x, struct MHD_Connection *conn, const char *method)
{
    struct upstream_answer a = {0};
    struct upstream_body *rest = NULL;
    char why[512] = "";
    int head = strcmp(method, "HEAD") == 0;
    unsigned flags = (head ? UPSTREAM_HEAD : 0) | (method_is_idempotent(method) ? UPSTREAM_IDEMPOTENT : 0);
    int64_t t0 = mono_ns();
    enum upstream_error e = p->raw ? fetch_raw(p, x, conn, method, flags, &a, &rest, why, sizeof why)
                                   : fetch_curl(p, x, conn, method, flags, &a, &rest, why, sizeof why);
    double seconds = (double)(mono_ns() - t0) / 1e9;
    if (e != UPSTREAM_OK) {
        char msg[700];
        unsigned code = 502;
        enum req_result result = RESULT_UPSTREAM_ERROR;
        if (e == UPSTREAM_TOO_LARGE) {
            snprintf(msg, sizeof msg, "upstream answer larger than max_body (%zu bytes)", p->max_body);
            result = RESULT_TOO_LARGE;
        } else if (e == UPSTREAM_HEAD_TOO_LARGE) {
            snprintf(msg, sizeof msg, "upstream answer's head larger than %d bytes", UPSTREAM_MAX_HEAD);
            result = RESULT_TOO_LARGE;
        } else if (e == UPSTREAM_TIMEOUT) {
            snprintf(msg, sizeof msg, "upstream %s did not answer within %" PRId64 " ms", p->upstream, p->timeout_ms);
            code = 504;
            result = RESULT_TIMEOUT;
        } else {
            snprintf(msg, sizeof msg, "upstream %s unreachable: %s", p->upstream, why);
        }
        note_result(p, result, -1, 0);
        answer_free(&a);
        return reply_json(conn, code, msg);
    }
    /* time to the answer's head (and its body when it came whole), whatever its status */
    note_result(p, RESULT_OK, seconds, a.status);

    int no_body = head || a.status < 200 || a.status == 204 || a.status == 304;
    int tap = a.status == 200 && strcmp(method, "POST") == 0 && path_is_tapped(p, x->uri);
    struct MHD_Response *r = NULL;
    struct blob *b = NULL;
    if (no_body) {
        if (rest) { /* cannot happen (no body is read for these), but never leak a connection */
            rest->finish(rest);
            rest = NULL;
        }
        r = no_body_response(&a);
    } else if (!rest) {
        /* The whole body came with the head: one buffer, shared with the tap. */
        if ((b = malloc(sizeof *b))) {
            b->refs = 1;
            b->data = a.body;
            b->len = a.len;
            r = MHD_create_response_from_buffer_with_free_callback_cls(a.len, a.body ? a.body : (void *)"",
                                                                       blob_release, b);
            if (!r)
                free(b);
            else
                a.body = NULL; /* owned by the blob now */
        }
    } else {
        struct relay *rl = calloc(1, sizeof *rl);
        if (rl) {
            rl->p = p;
            rl->rest = rest;
            rl->total = a.has_length && !a.chunked ? a.length : MHD_SIZE_UNKNOWN;
            rl->request = x->body;
            rl->request_len = x->body_len;
            x->body = NULL;
            x->body_len = x->body_cap = 0;
            const char *rid = tap ? request_id_of(conn) : NULL;
            rl->request_id = rid ? strdup(rid) : NULL;
            if (tap && (rl->answer = calloc(1, sizeof *rl->answer)))
                rl->answer->refs = 1;
            rl->tap = tap && rl->answer;
            /* MHD asks for at most this much per call; each call returns what has arrived. */
            r = MHD_create_response_from_callback(rl->total, 64 * 1024, relay_read, rl, relay_free);
            if (!r) {
                rl->rest = NULL;
                if (rl->answer)
                    blob_release(rl->answer);
                free(rl->request_id);
                x->body = rl->request;
                x->body_len = x->body_cap = rl->request_len;
                free(rl);
            } else {
                rest = NULL; /* owned by the relay now */
            }
        }
    }
    if (!r) {
        if (rest)
            rest->finish(rest);
        answer_free(&a);
        return reply_json(conn, 503, "out of memory");
    }
    for (size_t i = 0; i < a.n_headers; i++)
        MHD_add_response_header(r, a.headers[i * 2], a.headers[i * 2 + 1]);
    /* A chunked (or close-delimited) answer that came whole is still sent chunked to an HTTP/1.1
     * client, as a streamed one is: the framing depends on the upstream's, not on timing. */
    if (b && !a.has_length)
        MHD_add_response_header(r, "Transfer-Encoding", "chunked");
    if (b && tap)
        tap_enqueue(p, &x->body, x->body_len, b, request_id_of(conn));
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)a.status, r);
    MHD_destroy_response(r);
    answer_free(&a);
    return ret;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->p = cls;
    x->uri = strdup(uri);
    return x;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct proxy *p = cls;
    struct exchange *x = *con_cls;
    if (!x || !x->uri)
        return MHD_NO;
    if (!x->started) {
        x->started = 1;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > p->max_body)
            x->too_large = 1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (x->too_large || x->body_len + n > p->max_body) {
            x->too_large = 1;
            return MHD_YES;
        }
        if (x->body_len + n > x->body_cap) {
            size_t cap = x->body_cap ? x->body_cap : 4096;
            while (cap < x->body_len + n)
                cap *= 2;
            char *grown = realloc(x->body, cap);
            if (!grown)
                return MHD_NO;
            x->body = grown;
            x->body_cap = cap;
        }
        memcpy(x->body + x->body_len, upload_data, n);
        x->body_len += n;
        return MHD_YES;
    }
    if (x->too_large) {
        note_result(p, RESULT_TOO_LARGE, -1, NOT_FORWARDED);
        char msg[128];
        snprintf(msg, sizeof msg, "request body larger than max_body (%zu bytes)", p->max_body);
        return reply_json(conn, 413, msg);
    }
    return forward(p, x, conn, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct exchange *x = *con_cls;
    if (!x)
        return;
    free(x->uri);
    free(x->body);
    free(x);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct proxy *p = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    p->host->log(p->ctx, DW_LOG_WARN, "http: %s", msg);
}

/* ---- the tap thread: parse pairs, hand samples over, publish metrics ---- */

static void count_rejected(struct proxy *p, const char *reason, size_t n)
{
    pu_count_rejected(p->host, p->ctx, p->model, reason, n);
}

#define BAD_PAYLOAD_LOG_EVERY_NS (60LL * 1000000000)
#define EXCERPT_BYTES 120

/* The first bytes of a body for a log line: printable ASCII as is, other bytes as \xNN, cut at
 * EXCERPT_BYTES with the total length. Secrets the host knows are redacted by its logger. */
static void excerpt(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    for (; i < len && i < EXCERPT_BYTES && o + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
    }
    out[o] = '\0';
    if (i < len)
        snprintf(out + o, outlen - o, "... (%zu bytes)", len);
}

/* A pair that is neither v1 nor v2 (or not what `protocol` says): counted always, logged as a
 * warning rate-limited, with what the tap saw, so a tap that takes nothing is never silent. */
static void report_bad_payload(struct proxy *p, const struct tap_pair *pair, const char *why)
{
    count_rejected(p, "tap_bad_payload", 1);
    p->host->log(p->ctx, DW_LOG_DEBUG, "tapped pair skipped: %s", why);
    int64_t now = mono_ns();
    if (p->bad_logged_ns && now - p->bad_logged_ns < BAD_PAYLOAD_LOG_EVERY_NS) {
        p->bad_unlogged++;
        return;
    }
    char req[EXCERPT_BYTES * 4 + 64], resp[EXCERPT_BYTES * 4 + 64], more[96] = "";
    excerpt(pair->request, pair->request_len, req, sizeof req);
    excerpt(pair->response, pair->response_len, resp, sizeof resp);
    if (p->bad_unlogged)
        snprintf(more, sizeof more, " (%llu more since the last warning)", (unsigned long long)p->bad_unlogged);
    p->host->log(p->ctx, DW_LOG_WARN,
                 "model=%s tapped pair not taken, no sample from it: %s%s; protocol %s expects %s; request: %s; "
                 "answer: %s (counted in driftwatch_samples_rejected_total{reason=\"tap_bad_payload\"}; at most one "
                 "such warning a minute)",
                 p->model, why, more, p->protocol == TAP_V1 ? "v1" : p->protocol == TAP_V2 ? "v2" : "auto",
                 p->protocol == TAP_V1   ? "{\"instances\": [...]} -> {\"predictions\": [...]}"
                 : p->protocol == TAP_V2 ? "{\"inputs\": [...]} -> {\"outputs\": [...]}"
                                         : "v1 (instances/predictions) or v2 (inputs/outputs)",
                 req, resp);
    p->bad_logged_ns = now;
    p->bad_unlogged = 0;
}

/* Samples of several pairs joined into one JSON array, handed over in one call. */
struct tap_batch {
    char *json;
    size_t len, cap;
    size_t samples;
};

static void tap_flush(struct proxy *p, struct tap_batch *b)
{
    if (!b->samples)
        return;
    b->json[b->len++] = ']';
    pu_count_received(p->host, p->ctx, p->model, p->name, b->samples);
    struct dw_sample_batch batch = {
        .size = sizeof batch, .model = p->model, .probe = p->name, .json = b->json, .json_len = b->len};
    struct dw_ingest_result res = {.size = sizeof res};
    int rc = p->host->emit_samples(p->ctx, &batch, &res);
    /* The core counts what it rejects or cannot store; a model it does not know is ours to count. */
    if (rc == DW_INGEST_UNKNOWN_MODEL)
        count_rejected(p, "unknown_model", b->samples);
    if (rc < 0)
        p->host->log(p->ctx, DW_LOG_DEBUG, "tapped samples not taken: %s", res.error);
    b->len = 0;
    b->samples = 0;
}

/* Parses one pair and appends its samples (a JSON array "[...]") to the batch. */
static void tap_collect(struct proxy *p, struct tap_item *item, struct tap_batch *b)
{
    char ts[64];
    struct tm tm;
    gmtime_r(&item->when.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%06ldZ", item->when.tv_nsec / 1000);
    struct tap_pair pair = {.request = item->request ? item->request : "",
                            .request_len = item->request_len,
                            .response = item->response->data ? item->response->data : "",
                            .response_len = item->response->len,
                            .request_id = item->request_id,
                            .timestamp = ts};
    char *json = NULL, why[512];
    size_t len;
    int samples = tap_build_samples(p->protocol, (const char *const *)p->feature_names, p->n_names, &pair, &json, &len,
                                    why, sizeof why);
    if (samples < 0) {
        report_bad_payload(p, &pair, why);
        return;
    }
    if (samples == 0 || len < 2) {
        free(json);
        return;
    }
    /* json is "[s1,s2]": its inside joins the batch after a '[' or a ','. */
    size_t inner = len - 2;
    if (b->len + inner + 3 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + inner + 3)
            cap *= 2;
        char *grown = realloc(b->json, cap);
        if (!grown) {
            count_rejected(p, "tap_out_of_memory", (size_t)samples);
            free(json);
            return;
        }
        b->json = grown;
        b->cap = cap;
    }
    b->json[b->len++] = b->samples ? ',' : '[';
    memcpy(b->json + b->len, json + 1, inner);
    b->len += inner;
    b->samples += (size_t)samples;
    free(json);
    if (b->len > (1 << 20))
        tap_flush(p, b);
}

static void tap_item_free(struct tap_item *item)
{
    free(item->request);
    blob_release(item->response);
    free(item->request_id);
    free(item);
}

static void publish_metrics(struct proxy *p, const double *durations, size_t n_durations, const uint64_t *results,
                            const uint64_t *statuses, uint64_t dropped, uint64_t too_large)
{
    const char *probe[] = {"probe", p->name, NULL};
    const char *model[] = {"model", p->model, NULL};
    for (size_t i = 0; i < n_durations; i++) {
        p->host->histogram_observe(p->ctx, PU_PROBE_DURATION, PU_PROBE_DURATION_HELP, probe, durations[i]);
        p->host->histogram_observe(p->ctx, UPSTREAM_DURATION, UPSTREAM_DURATION_HELP, model, durations[i]);
    }
    for (long s = 0; s < N_STATUS_SLOTS; s++) {
        if (!statuses[s])
            continue;
        char code[PU_STATUS_LABEL_MAX];
        pu_status_label(s, code);
        const char *labels[] = {"model", p->model, "code", code, NULL};
        p->host->counter_add(p->ctx, UPSTREAM_RESPONSES, UPSTREAM_RESPONSES_HELP, labels, (double)statuses[s]);
    }
    for (int r = 0; r < N_RESULTS; r++) {
        if (!results[r])
            continue;
        const char *labels[] = {"probe", p->name, "result", result_names[r], NULL};
        p->host->counter_add(p->ctx, PU_PROBE_REQUESTS, PU_PROBE_REQUESTS_HELP, labels, (double)results[r]);
    }
    if (dropped)
        count_rejected(p, "tap_queue_full", dropped);
    if (too_large)
        count_rejected(p, "tap_too_large", too_large);
}

static void *tap_main(void *arg)
{
    struct proxy *p = arg;
    /* Tapping runs only on CPU time the serving threads leave: on a busy host the queue fills and
     * pairs are dropped (and counted) rather than predictions waiting for a core. */
    if (p->tap_idle) {
        struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
    double *durations = malloc(sizeof p->durations);
    struct tap_batch batch = {0};
    pthread_mutex_lock(&p->q_lock);
    for (;;) {
        if (!p->stop) {
            pu_cond_wait_ms(&p->q_cond, &p->q_lock, p->tap_interval_ms);
        }
        struct tap_item *items = p->q_head;
        p->q_head = p->q_tail = NULL;
        size_t n_durations = durations ? p->n_durations : 0;
        if (durations)
            memcpy(durations, p->durations, n_durations * sizeof *durations);
        p->n_durations = 0;
        uint64_t results[N_RESULTS], statuses[N_STATUS_SLOTS];
        memcpy(results, p->results, sizeof results);
        memset(p->results, 0, sizeof p->results);
        memcpy(statuses, p->statuses, sizeof statuses);
        memset(p->statuses, 0, sizeof p->statuses);
        uint64_t dropped = p->q_dropped, too_large = p->q_too_large;
        p->q_dropped = p->q_too_large = 0;
        int stopping = p->stop;
        pthread_mutex_unlock(&p->q_lock);

        publish_metrics(p, durations, n_durations, results, statuses, dropped, too_large);
        size_t released = 0;
        while (items) {
            struct tap_item *next = items->next;
            /* On stop too: what was queued is handed over (bounded by max_tap_queue). */
            tap_collect(p, items, &batch);
            released += items->bytes;
            tap_item_free(items);
            items = next;
            if (!items)
                tap_flush(p, &batch);
            /* Free queue space as we go, so a slow core drops the fewest pairs. */
            if (released > 65536 || !items) {
                pthread_mutex_lock(&p->q_lock);
                p->q_bytes -= released;
                pthread_mutex_unlock(&p->q_lock);
                released = 0;
            }
        }
        pthread_mutex_lock(&p->q_lock);
        if (stopping && !p->q_head)
            break;
    }
    pthread_mutex_unlock(&p->q_lock);
    free(batch.json);
    free(durations);
    return NULL;
}

/* ---- lifecycle ---- */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static char **copy_list(const struct dw_list *l, const char *const *fallback, size_t n_fallback, size_t *n)
{
    const char *const *src = l->n ? l->items : fallback;
    *n = l->n ? l->n : n_fallback;
    char **out = calloc(*n ? *n : 1, sizeof *out);
    for (size_t i = 0; out && i < *n; i++) {
        if (!(out[i] = strdup(src[i]))) {
            free_strings(out, i);
            return NULL;
        }
    }
    return out;
}

static void proxy_destroy(void *instance)
{
    struct proxy *p = instance;
    if (!p)
        return;
    upstream_curl_free(p->curl);
    upstream_pool_free(p->raw);
    while (p->q_head) {
        struct tap_item *next = p->q_head->next;
        tap_item_free(p->q_head);
        p->q_head = next;
    }
    pthread_mutex_destroy(&p->q_lock);
    pthread_cond_destroy(&p->q_cond);
    free_strings(p->feature_names, p->n_names);
    free_strings(p->tap_paths, p->n_tap_paths);
    free(p->upstream);
    free(p->listen_host);
    free(p->model);
    free(p);
}

/* "host:port", "[v6]:port" or ":port" (all interfaces). */
static int parse_listen(const char *s, char **host, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - s);
    }
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || v < 0 || v > 65535)
        return -1;
    *host = hlen ? strndup(h, hlen) : strdup("0.0.0.0");
    *port = (int)v;
    return *host ? 0 : -1;
}

static int proxy_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                      void **instance, char *err, size_t errlen)
{
    const struct proxy_config *cfg = config;
    if (strncmp(cfg->upstream, "http://", 7) != 0 && strncmp(cfg->upstream, "https://", 8) != 0) {
        snprintf(err, errlen, "option 'upstream' must be an http:// or https:// URL, not '%s'", cfg->upstream);
        return -1;
    }
    struct proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&p->q_lock, NULL);
    pu_cond_init_monotonic(&p->q_cond);
    p->host = host;
    p->ctx = ctx;
    snprintf(p->name, sizeof p->name, "%s", instance_name);
    tap_protocol_parse(cfg->protocol, &p->protocol); /* one of tap_protocol_names: the loader checked */
    p->max_tap_queue = (size_t)cfg->max_tap_queue;
    p->max_tap_answer = (size_t)cfg->max_tap_answer;
    p->timeout_ms = cfg->timeout_ms;
    p->max_body = (size_t)cfg->max_body;
    p->max_connections = (unsigned)cfg->max_connections;
    p->tap_interval_ms = cfg->tap_interval_ms;
    static const char *const default_paths[] = {":predict", "/infer", "/predict"};
    p->model = strdup(cfg->model);
    p->upstream = strdup(cfg->upstream);
    p->feature_names = copy_list(&cfg->feature_names, NULL, 0, &p->n_names);
    p->tap_paths = copy_list(&cfg->tap_paths, default_paths, 3, &p->n_tap_paths);
    if (!p->model || !p->upstream || !p->feature_names || !p->tap_paths) {
        proxy_destroy(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t ul = strlen(p->upstream);
    while (ul > 0 && p->upstream[ul - 1] == '/')
        p->upstream[--ul] = '\0';
    p->tap_idle = strcmp(cfg->tap_priority, "idle") == 0;
    if (strcmp(cfg->http_client, "builtin") == 0 && strncmp(p->upstream, "http://", 7) == 0) {
        char why[256];
        p->raw = upstream_pool_new(p->upstream, p->timeout_ms, why, sizeof why);
        if (!p->raw) {
            snprintf(err, errlen, "option 'upstream': %s", why);
            proxy_destroy(p);
            return -1;
        }
    } else if (!(p->curl = upstream_curl_new(p->timeout_ms, &p->stopping))) {
        snprintf(err, errlen, "out of memory");
        proxy_destroy(p);
        return -1;
    }
    if (parse_listen(cfg->listen, &p->listen_host, &p->listen_port) < 0) {
        snprintf(err, errlen, "option 'listen' must be host:port, [v6]:port or :port, not '%s'", cfg->listen);
        proxy_destroy(p);
        return -1;
    }
    *instance = p;
    return 0;
}

static int proxy_start(void *instance, char *err, size_t errlen)
{
    struct proxy *p = instance;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", p->listen_port);
    int rc = getaddrinfo(p->listen_host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", p->listen_host, gai_strerror(rc));
        return -1;
    }
    p->stop = 0;
    __atomic_store_n(&p->stopping, 0, __ATOMIC_RELEASE);
    if (p->raw)
        upstream_pool_resume(p->raw);
    rc = pthread_create(&p->tap_thread, NULL, tap_main, p);
    if (rc != 0) {
        freeaddrinfo(res);
        snprintf(err, errlen, "cannot start the tap thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(p->tap_thread, "dw-proxy-tap");
    p->tap_running = 1;
    /* One thread per client connection: a slow upstream call holds up only its own client. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    p->daemon = MHD_start_daemon(flags, (uint16_t)p->listen_port, NULL, NULL, on_request, p,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, p, /* first, to catch every message */
                                 MHD_OPTION_SOCK_ADDR, res->ai_addr,
                                 MHD_OPTION_URI_LOG_CALLBACK, on_uri, p,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
                                 MHD_OPTION_CONNECTION_LIMIT, p->max_connections,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                 /* room for an upstream head of UPSTREAM_MAX_HEAD, the client's
                                  * request head and a streamed chunk */
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(4 * UPSTREAM_MAX_HEAD + 64 * 1024),
                                 MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                                 MHD_OPTION_END);
    freeaddrinfo(res);
    if (!p->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not permitted?)", p->listen_host,
                 p->listen_port);
        pthread_mutex_lock(&p->q_lock);
        p->stop = 1;
        pthread_cond_signal(&p->q_cond);
        pthread_mutex_unlock(&p->q_lock);
        pthread_join(p->tap_thread, NULL);
        p->tap_running = 0;
        return -1;
    }
    p->host->log(p->ctx, DW_LOG_INFO, "proxy listening on %s:%d for %s (model %s)", p->listen_host, p->listen_port,
                 p->upstream, p->model);
    return 0;
}

static void proxy_stop(void *instance)
{
    struct proxy *p = instance;
    /* First the calls in flight (a slow model must not hold the stop for its whole timeout), then
     * the server, which waits for its connection threads. */
    __atomic_store_n(&p->stopping, 1, __ATOMIC_RELEASE);
    if (p->raw)
        upstream_pool_shutdown(p->raw);
    if (p->daemon) {
        MHD_stop_daemon(p->daemon); /* waits for the connection threads */
        p->daemon = NULL;
    }
    if (p->tap_running) {
        pthread_mutex_lock(&p->q_lock);
        p->stop = 1;
        pthread_cond_signal(&p->q_cond);
        pthread_mutex_unlock(&p->q_lock);
        pthread_join(p->tap_thread, NULL);
        p->tap_running = 0;
    }
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "proxy",
    .kind = DW_KIND_PROBE,
    .version = "1.0.0",
    .description = "Reverse proxy in front of a model server; taps v1/v2 predict pairs into samples off the "
                   "request path.",
    .options = proxy_options,
    .config_size = sizeof(struct proxy_config),
    .init = proxy_init,
    .start = proxy_start,
    .stop = proxy_stop,
    .destroy = proxy_destroy,
};
