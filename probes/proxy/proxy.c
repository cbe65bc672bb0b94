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
#include "upstream_pool.h"

#define RECEIVED "driftwatch_samples_received_total"
#define RECEIVED_HELP "Samples received by a probe, valid or not."
#define REJECTED "driftwatch_samples_rejected_total"
#define REJECTED_HELP "Samples rejected by model and reason."
#define DURATION "driftwatch_probe_request_duration_seconds"
#define DURATION_HELP "Time the probe's upstream took to answer, in seconds."
#define REQUESTS "driftwatch_probe_requests_total"
#define REQUESTS_HELP "Requests a probe made or forwarded, by result."
/* Upstream timings waiting for the tap thread to publish them (a full buffer skips observations). */
#define MAX_PENDING_DURATIONS 8192

struct proxy_config {
    const char *model;
    const char *listen;
    const char *upstream;
    const char *protocol;
    struct dw_list feature_names;
    int64_t max_tap_queue;
    int64_t timeout_ms;
    int64_t max_body;
    int64_t max_connections;
    struct dw_list tap_paths;
    int64_t tap_interval_ms;
    const char *http_client;
    const char *tap_priority;
};

static const struct dw_option proxy_options[] = {
    {"model", DW_OPT_STRING, NULL, 1, offsetof(struct proxy_config, model), "model the tapped predictions belong to"},
    {"listen", DW_OPT_STRING, NULL, 1, offsetof(struct proxy_config, listen),
     "address the proxy listens on, host:port (e.g. 127.0.0.1:8081; [::1]:8081)"},
    {"upstream", DW_OPT_STRING, NULL, 1, offsetof(struct proxy_config, upstream),
     "the model server, http://host:port[/base]; request paths are appended"},
    {"protocol", DW_OPT_STRING, "auto", 0, offsetof(struct proxy_config, protocol),
     "predict payloads to tap: v1 (Vertex AI / KServe v1 instances/predictions), v2 (KServe open inference "
     "inputs/outputs) or auto (by the request's keys)"},
    {"feature_names", DW_OPT_LIST, NULL, 0, offsetof(struct proxy_config, feature_names),
     "names of positional features (v1 list instances, v2 multi-column tensors), in order"},
    {"max_tap_queue", DW_OPT_SIZE, "16M", 0, offsetof(struct proxy_config, max_tap_queue),
     "bytes of request/response bodies waiting to be tapped; beyond it pairs are dropped and counted"},
    {"timeout", DW_OPT_DURATION, "30s", 0, offsetof(struct proxy_config, timeout_ms),
     "upstream timeout per request (answered with 504)"},
    {"max_body", DW_OPT_SIZE, "64M", 0, offsetof(struct proxy_config, max_body),
     "largest request or response body forwarded (413 / 502 beyond)"},
    {"max_connections", DW_OPT_INT, "1024", 0, offsetof(struct proxy_config, max_connections),
     "concurrent client connections (one thread each)"},
    {"tap_paths", DW_OPT_LIST, NULL, 0, offsetof(struct proxy_config, tap_paths),
     "path suffixes of predict calls to tap (default :predict, /infer, /predict); only POSTs answered 200"},
    {"tap_interval", DW_OPT_DURATION, "20ms", 0, offsetof(struct proxy_config, tap_interval_ms),
     "how often tapped pairs are parsed and handed over in one batch (sooner when the queue is half full)"},
    {"tap_priority", DW_OPT_STRING, "idle", 0, offsetof(struct proxy_config, tap_priority),
     "CPU priority of the tap thread: idle (SCHED_IDLE, runs only when serving leaves a core free) or normal"},
    {"http_client", DW_OPT_STRING, "builtin", 0, offsetof(struct proxy_config, http_client),
     "upstream client for http:// upstreams: builtin (kept-alive sockets, least latency) or curl; https:// "
     "upstreams always use curl"},
    {NULL, 0, NULL, 0, 0, NULL},
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
    int64_t timeout_ms;
    size_t max_body;
    unsigned max_connections;
    int64_t tap_interval_ms;
    int tap_idle;
    int stopping;               /* set by stop: curl transfers in flight abort */

    struct MHD_Daemon *daemon;
    struct upstream_pool *raw;  /* plain http upstreams; NULL: https through libcurl */

    /* Idle curl handles: each keeps its upstream connections alive between requests. */
    pthread_mutex_t pool_lock;
    struct curl_slot **pool;
    size_t pool_n, pool_cap;

    /* Tap queue, bounded in bytes, and metrics waiting for the tap thread. */
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct tap_item *q_head, *q_tail;
    size_t q_bytes;
    uint64_t q_dropped;
    double durations[MAX_PENDING_DURATIONS];
    size_t n_durations;
    uint64_t results[N_RESULTS];
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
                                     const char *method, struct upstream_answer *a, char *why, size_t whylen)
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
        e = upstream_pool_exchange(p->raw, h.data, h.len, x->body, x->body_len, strcmp(method, "HEAD") == 0,
                                   p->max_body, a, why, whylen);
    }
    free(h.data);
    return e;
}

/* ---- https upstreams: libcurl, easy handles pooled so their connections stay alive ---- */

/* A pooled easy handle and the socket of its kept-alive connection (curl reports the socket of a
 * transfer only after it ends; the callbacks below track it so the header callback can ack). */
struct curl_slot {
    CURL *c;
    curl_socket_t fd;
};

static struct curl_slot *pool_take(struct proxy *p)
{
    struct curl_slot *slot = NULL;
    pthread_mutex_lock(&p->pool_lock);
    if (p->pool_n)
        slot = p->pool[--p->pool_n];
    pthread_mutex_unlock(&p->pool_lock);
    if (slot)
        return slot;
    slot = calloc(1, sizeof *slot);
    if (slot && !(slot->c = curl_easy_init())) {
        free(slot);
        slot = NULL;
    }
    if (slot)
        slot->fd = CURL_SOCKET_BAD;
    return slot;
}

static void slot_free(struct curl_slot *slot)
{
    curl_easy_cleanup(slot->c);
    free(slot);
}

static void pool_give(struct proxy *p, struct curl_slot *slot)
{
    pthread_mutex_lock(&p->pool_lock);
    if (p->pool_n == p->pool_cap) {
        size_t cap = p->pool_cap ? p->pool_cap * 2 : 16;
        struct curl_slot **grown = realloc(p->pool, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&p->pool_lock);
            slot_free(slot);
            return;
        }
        p->pool = grown;
        p->pool_cap = cap;
    }
    p->pool[p->pool_n++] = slot;
    pthread_mutex_unlock(&p->pool_lock);
}

static int on_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    struct curl_slot *slot = clientp;
    slot->fd = fd;
    return CURL_SOCKOPT_OK;
}

static int on_closesocket(void *clientp, curl_socket_t fd)
{
    struct curl_slot *slot = clientp;
    if (slot->fd == fd)
        slot->fd = CURL_SOCKET_BAD;
    return close(fd);
}

struct curl_answer {
    struct upstream_answer *a;
    size_t max;
    struct curl_slot *slot;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_answer *ca = userdata;
    size_t n = size * nmemb;
    return answer_add_body(ca->a, ptr, n, ca->max) == 0 ? n : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_answer *ca = userdata;
    size_t n = size * nmemb, len = n;
    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
        len--;
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        answer_clear_headers(ca->a); /* a new response (after a 1xx): only the final one counts */
        /* The head has arrived: acknowledge it now, so an upstream that sends its body in a second
         * write under Nagle's algorithm does not wait ~40 ms for our delayed ACK (setting the flag
         * sends a pending ACK at once). */
        if (ca->slot->fd != CURL_SOCKET_BAD) {
            int one = 1;
            setsockopt(ca->slot->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
        return n;
    }
    const char *colon = memchr(ptr, ':', len);
    if (!colon || colon == ptr)
        return n;
    size_t name_len = (size_t)(colon - ptr);
    const char *value = colon + 1;
    size_t value_len = len - name_len - 1;
    while (value_len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        value_len--;
    }
    while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
        value_len--;
    return answer_add_header(ca->a, ptr, name_len, value, value_len) == 0 ? n : 0;
}

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

/* Aborts a curl transfer in flight when the proxy stops. */
static int curl_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const struct proxy *p = clientp;
    return __atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static enum upstream_error fetch_curl(struct proxy *p, struct exchange *x, struct MHD_Connection *conn,
                                      const char *method, struct upstream_answer *a, char *why, size_t whylen)
{
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
    struct curl_slot *slot = pool_take(p);
    if (w.failed || !w.list || !url || !slot) {
        curl_slist_free_all(w.list);
        free(url);
        if (slot)
            pool_give(p, slot);
        snprintf(why, whylen, "cannot prepare the upstream request (header too long or out of memory)");
        return UPSTREAM_NETWORK;
    }
    snprintf(url, url_len, "%s%s", p->upstream, x->uri);
    struct curl_answer ca = {.a = a, .max = p->max_body, .slot = slot};
    CURL *c = slot->c;
    curl_easy_reset(c); /* keeps the handle's live connections */
    curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, slot);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, slot);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w.list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ca);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ca);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, curl_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (x->body_len > 0 || method_has_body(method)) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body ? x->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    pool_give(p, slot);
    curl_slist_free_all(w.list);
    free(url);
    a->status = status;
    if (a->too_large)
        return UPSTREAM_TOO_LARGE;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, whylen, "%s", curl_easy_strerror(rc));
        return UPSTREAM_TIMEOUT;
    }
    if (rc != CURLE_OK || status < 100) {
        snprintf(why, whylen, "%s", rc != CURLE_OK ? curl_easy_strerror(rc) : "no HTTP status");
        return UPSTREAM_NETWORK;
    }
    return UPSTREAM_OK;
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

/* Hands the pair to the tap thread, or drops it when the queue is full: never waits. */
static void tap_enqueue(struct proxy *p, struct exchange *x, struct blob *response, struct MHD_Connection *conn)
{
    size_t bytes = x->body_len + response->len;
    pthread_mutex_lock(&p->q_lock);
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
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (!rid)
        rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "ce-id");
    item->request_id = rid ? strdup(rid) : NULL;
    clock_gettime(CLOCK_REALTIME, &item->when);
    item->request = x->body; /* the exchange lets go of its body: no copy */
    item->request_len = x->body_len;
    x->body = NULL;
    x->body_len = x->body_cap = 0;
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

static void note_result(struct proxy *p, enum req_result result, double seconds)
{
    pthread_mutex_lock(&p->q_lock);
    p->results[result]++;
    if (seconds >= 0 && p->n_durations < MAX_PENDING_DURATIONS)
        p->durations[p->n_durations++] = seconds;
    pthread_mutex_unlock(&p->q_lock);
}

static enum MHD_Result forward(struct proxy *p, struct exchange *x, struct MHD_Connection *conn, const char *method)
{
    struct upstream_answer a = {0};
    char why[512] = "";
    int64_t t0 = mono_ns();
    enum upstream_error e = p->raw ? fetch_raw(p, x, conn, method, &a, why, sizeof why)
                                   : fetch_curl(p, x, conn, method, &a, why, sizeof why);
    double seconds = (double)(mono_ns() - t0) / 1e9;
    int head = strcmp(method, "HEAD") == 0;
    if (e != UPSTREAM_OK) {
        char msg[700];
        unsigned code = 502;
        enum req_result result = RESULT_UPSTREAM_ERROR;
        if (e == UPSTREAM_TOO_LARGE) {
            snprintf(msg, sizeof msg, "upstream answer larger than max_body (%zu bytes)", p->max_body);
            result = RESULT_TOO_LARGE;
        } else if (e == UPSTREAM_TIMEOUT) {
            snprintf(msg, sizeof msg, "upstream %s did not answer within %" PRId64 " ms", p->upstream, p->timeout_ms);
            code = 504;
            result = RESULT_TIMEOUT;
        } else {
            snprintf(msg, sizeof msg, "upstream %s unreachable: %s", p->upstream, why);
        }
        note_result(p, result, -1);
        answer_free(&a);
        return reply_json(conn, code, msg);
    }
    note_result(p, RESULT_OK, seconds);

    struct blob *b = malloc(sizeof *b);
    struct MHD_Response *r = NULL;
    if (b) {
        b->refs = 1;
        b->data = a.body;
        b->len = a.len;
        r = MHD_create_response_from_buffer_with_free_callback_cls(a.len, a.body ? a.body : (void *)"", blob_release,
                                                                   b);
        if (!r)
            free(b);
    }
    if (!r) {
        answer_free(&a);
        return reply_json(conn, 503, "out of memory");
    }
    a.body = NULL; /* owned by the blob now */
    for (size_t i = 0; i < a.n_headers; i++)
        MHD_add_response_header(r, a.headers[i * 2], a.headers[i * 2 + 1]);
    if (a.chunked && !head)
        MHD_add_response_header(r, "Transfer-Encoding", "chunked"); /* re-chunked, as it came */
    if (head && a.content_length) {
        /* A HEAD answer announces the size of the body a GET would get. */
        MHD_set_response_options(r, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH, MHD_RO_END);
        MHD_add_response_header(r, "Content-Length", a.content_length);
    }
    if (a.status == 200 && strcmp(method, "POST") == 0 && path_is_tapped(p, x->uri))
        tap_enqueue(p, x, b, conn);
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
        note_result(p, RESULT_TOO_LARGE, -1);
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
    p->host->log(DW_LOG_WARN, p->name, "http: %s", msg);
}

/* ---- the tap thread: parse pairs, hand samples over, publish metrics ---- */

static void count_rejected(struct proxy *p, const char *reason, double n)
{
    const char *labels[] = {"model", p->model, "reason", reason, NULL};
    p->host->metrics->counter_add(REJECTED, REJECTED_HELP, labels, n);
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
    const char *labels[] = {"model", p->model, "probe", p->name, NULL};
    p->host->metrics->counter_add(RECEIVED, RECEIVED_HELP, labels, (double)b->samples);
    struct dw_sample_batch batch = {.model = p->model, .probe = p->name, .json = b->json, .json_len = b->len};
    struct dw_ingest_result res;
    memset(&res, 0, sizeof res);
    int rc = p->host->emit_samples(&batch, &res);
    /* The core counts what it rejects or cannot store; a model it does not know is ours to count. */
    if (rc == DW_INGEST_UNKNOWN_MODEL)
        count_rejected(p, "unknown_model", (double)b->samples);
    if (rc < 0)
        p->host->log(DW_LOG_DEBUG, p->name, "tapped samples not taken: %s", res.error);
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
        count_rejected(p, "tap_bad_payload", 1);
        p->host->log(DW_LOG_DEBUG, p->name, "tapped pair skipped: %s", why);
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
            count_rejected(p, "tap_out_of_memory", samples);
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
                            uint64_t dropped)
{
    const char *probe[] = {"probe", p->name, NULL};
    for (size_t i = 0; i < n_durations; i++)
        p->host->metrics->histogram_observe(DURATION, DURATION_HELP, probe, durations[i]);
    for (int r = 0; r < N_RESULTS; r++) {
        if (!results[r])
            continue;
        const char *labels[] = {"probe", p->name, "result", result_names[r], NULL};
        p->host->metrics->counter_add(REQUESTS, REQUESTS_HELP, labels, (double)results[r]);
    }
    if (dropped)
        count_rejected(p, "tap_queue_full", (double)dropped);
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
        uint64_t results[N_RESULTS];
        memcpy(results, p->results, sizeof results);
        memset(p->results, 0, sizeof p->results);
        uint64_t dropped = p->q_dropped;
        p->q_dropped = 0;
        int stopping = p->stop;
        pthread_mutex_unlock(&p->q_lock);

        publish_metrics(p, durations, n_durations, results, dropped);
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
    for (size_t i = 0; i < p->pool_n; i++)
        slot_free(p->pool[i]);
    free(p->pool);
    upstream_pool_free(p->raw);
    while (p->q_head) {
        struct tap_item *next = p->q_head->next;
        tap_item_free(p->q_head);
        p->q_head = next;
    }
    pthread_mutex_destroy(&p->pool_lock);
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

static int proxy_init(const struct dw_host *host, const char *instance_name, const void *config, void **instance,
                      char *err, size_t errlen)
{
    const struct proxy_config *cfg = config;
    enum tap_protocol protocol;
    if (tap_protocol_parse(cfg->protocol, &protocol) < 0) {
        snprintf(err, errlen, "option 'protocol' must be v1, v2 or auto, not '%s'", cfg->protocol);
        return -1;
    }
    if (strncmp(cfg->upstream, "http://", 7) != 0 && strncmp(cfg->upstream, "https://", 8) != 0) {
        snprintf(err, errlen, "option 'upstream' must be an http:// or https:// URL, not '%s'", cfg->upstream);
        return -1;
    }
    if (cfg->max_tap_queue < 0 || cfg->max_body < 1 || cfg->timeout_ms < 1 || cfg->max_connections < 1 ||
        cfg->tap_interval_ms < 1) {
        snprintf(err, errlen,
                 "options max_tap_queue, max_body, timeout, max_connections and tap_interval must be positive");
        return -1;
    }
    struct proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&p->pool_lock, NULL);
    pthread_mutex_init(&p->q_lock, NULL);
    pu_cond_init_monotonic(&p->q_cond);
    p->host = host;
    snprintf(p->name, sizeof p->name, "%s", instance_name);
    p->protocol = protocol;
    p->max_tap_queue = (size_t)cfg->max_tap_queue;
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
    if (strcmp(cfg->tap_priority, "idle") != 0 && strcmp(cfg->tap_priority, "normal") != 0) {
        snprintf(err, errlen, "option 'tap_priority' must be idle or normal, not '%s'", cfg->tap_priority);
        proxy_destroy(p);
        return -1;
    }
    p->tap_idle = strcmp(cfg->tap_priority, "idle") == 0;
    int builtin = strcmp(cfg->http_client, "builtin") == 0;
    if (!builtin && strcmp(cfg->http_client, "curl") != 0) {
        snprintf(err, errlen, "option 'http_client' must be builtin or curl, not '%s'", cfg->http_client);
        proxy_destroy(p);
        return -1;
    }
    if (builtin && strncmp(p->upstream, "http://", 7) == 0) {
        char why[256];
        p->raw = upstream_pool_new(p->upstream, p->timeout_ms, why, sizeof why);
        if (!p->raw) {
            snprintf(err, errlen, "option 'upstream': %s", why);
            proxy_destroy(p);
            return -1;
        }
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
    p->host->log(DW_LOG_INFO, p->name, "proxy listening on %s:%d for %s (model %s)", p->listen_host, p->listen_port,
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
