/* libcurl as the proxy's upstream client (see upstream_curl.h): each pooled slot is a multi
 * handle with one easy handle, driven by the calling thread until the answer's head is complete,
 * then, for a body not yet all at hand, whenever the client's connection wants more bytes. */
#define _GNU_SOURCE
#include "upstream_curl.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugin_common.h"

/* Body bytes held per transfer before libcurl is paused (it keeps what it has read until resumed). */
#define PENDING_MAX 65536

struct curl_xfer {
    struct upstream_body base; /* first: handed out as the answer's rest */
    struct upstream_curl *uc;
    CURLM *m;
    CURL *c;
    curl_socket_t fd;          /* socket of the transfer's connection, for TCP_QUICKACK */
    char errbuf[CURL_ERROR_SIZE];
    /* The transfer in flight. */
    struct upstream_answer *a;
    struct curl_slist *headers;
    char *pending;             /* body bytes received and not read yet: pending[off..len) */
    size_t len, off, cap;
    int paused;
    int head_done;             /* the final answer's head ended: later header lines are trailers */
    int done;
    CURLcode result;
    int prereqs;               /* requests libcurl started for this transfer (more than one: a retry) */
    int idempotent;
    int refused_retry, head_too_large, timed_out;
};

struct upstream_curl {
    int64_t timeout_ms;
    const int *stopping;
    pthread_mutex_t lock;
    struct curl_xfer **idle;
    size_t n_idle, cap_idle;
};

struct upstream_curl *upstream_curl_new(int64_t timeout_ms, const int *stopping)
{
    struct upstream_curl *uc = calloc(1, sizeof *uc);
    if (!uc)
        return NULL;
    uc->timeout_ms = timeout_ms;
    uc->stopping = stopping;
    pthread_mutex_init(&uc->lock, NULL);
    return uc;
}

static void xfer_free(struct curl_xfer *x)
{
    if (!x)
        return;
    if (x->c && x->m)
        curl_multi_remove_handle(x->m, x->c);
    if (x->c)
        curl_easy_cleanup(x->c);
    if (x->m)
        curl_multi_cleanup(x->m);
    curl_slist_free_all(x->headers);
    free(x->pending);
    free(x);
}

void upstream_curl_free(struct upstream_curl *uc)
{
    if (!uc)
        return;
    for (size_t i = 0; i < uc->n_idle; i++)
        xfer_free(uc->idle[i]);
    free(uc->idle);
    pthread_mutex_destroy(&uc->lock);
    free(uc);
}

static struct curl_xfer *xfer_take(struct upstream_curl *uc)
{
    struct curl_xfer *x = NULL;
    pthread_mutex_lock(&uc->lock);
    if (uc->n_idle)
        x = uc->idle[--uc->n_idle];
    pthread_mutex_unlock(&uc->lock);
    if (x)
        return x;
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->uc = uc;
    x->fd = CURL_SOCKET_BAD;
    x->m = curl_multi_init();
    x->c = curl_easy_init();
    if (!x->m || !x->c) {
        xfer_free(x);
        return NULL;
    }
    return x;
}

/* Ends the transfer (an unfinished one closes its connection) and pools the slot. */
static void xfer_give(struct curl_xfer *x)
{
    struct upstream_curl *uc = x->uc;
    curl_multi_remove_handle(x->m, x->c);
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    x->a = NULL;
    x->len = x->off = 0;
    pthread_mutex_lock(&uc->lock);
    if (uc->n_idle == uc->cap_idle) {
        size_t cap = uc->cap_idle ? uc->cap_idle * 2 : 16;
        struct curl_xfer **grown = realloc(uc->idle, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&uc->lock);
            xfer_free(x);
            return;
        }
        uc->idle = grown;
        uc->cap_idle = cap;
    }
    uc->idle[uc->n_idle++] = x;
    pthread_mutex_unlock(&uc->lock);
}

static int on_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    struct curl_xfer *x = clientp;
    x->fd = fd;
    return CURL_SOCKOPT_OK;
}

static int on_closesocket(void *clientp, curl_socket_t fd)
{
    struct curl_xfer *x = clientp;
    if (x->fd == fd)
        x->fd = CURL_SOCKET_BAD;
    return close(fd);
}

/* libcurl is about to send the request; a second time for one transfer is its retry on a new
 * connection after a reused one died before any answer: refused unless the method allows it. */
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    struct curl_xfer *x = clientp;
    if (++x->prereqs > 1 && !x->idempotent) {
        x->refused_retry = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_xfer *x = userdata;
    size_t n = size * nmemb;
    if (x->len - x->off >= PENDING_MAX) {
        x->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (x->off > 0 && x->off == x->len)
        x->off = x->len = 0;
    if (x->len + n > x->cap) {
        size_t cap = x->cap ? x->cap : 16384;
        while (cap < x->len + n)
            cap *= 2;
        char *grown = realloc(x->pending, cap);
        if (!grown)
            return 0;
        x->pending = grown;
        x->cap = cap;
    }
    memcpy(x->pending + x->len, ptr, n);
    x->len += n;
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_xfer *x = userdata;
    size_t n = size * nmemb, len = n;
    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
        len--;
    if (x->head_done)
        return n; /* trailer fields: dropped, never merged into the head (RFC 9110 §6.5.1) */
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        answer_clear_headers(x->a); /* a new answer (after a 1xx): only the final one counts */
        const char *sp = memchr(ptr, ' ', len);
        x->a->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->a->head_bytes = len + 2;
        /* The head has arrived: acknowledge it now, so an upstream that sends its body in a second
         * write under Nagle's algorithm does not wait ~40 ms for our delayed ACK (setting the flag
         * sends a pending ACK at once). */
        if (x->fd != CURL_SOCKET_BAD) {
            int one = 1;
            setsockopt(x->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
        return n;
    }
    if (len == 0) {
        if (x->a->status >= 200 || x->a->status == 101)
            x->head_done = 1;
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
    int rc = answer_add_header(x->a, ptr, name_len, value, value_len);
    if (rc == -2)
        x->head_too_large = 1;
    return rc == 0 ? n : 0;
}

/* Runs the transfer until it ends, or until the head is complete (want_body 0) or body bytes wait
 * (want_body 1), or until deadline_ms (timed_out) or the proxy stops. */
static void xfer_drive(struct curl_xfer *x, int want_body, int64_t deadline_ms)
{
    for (;;) {
        int running = 0;
        curl_multi_perform(x->m, &running);
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(x->m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                x->done = 1;
                x->result = msg->data.result;
            }
        if (x->done || (want_body ? x->len > x->off : x->head_done))
            return;
        int64_t wait = deadline_ms - pu_now_ms();
        if (wait <= 0) {
            x->timed_out = 1;
            return;
        }
        if (__atomic_load_n(x->uc->stopping, __ATOMIC_ACQUIRE)) {
            x->done = 1;
            x->result = CURLE_ABORTED_BY_CALLBACK;
            return;
        }
        curl_multi_poll(x->m, NULL, 0, wait < 100 ? (int)wait : 100, NULL);
    }
}

static ssize_t curl_body_read(struct upstream_body *base, char *buf, size_t max, char *why, size_t whylen)
{
    struct curl_xfer *x = (struct curl_xfer *)base;
    for (;;) {
        if (x->len > x->off) {
            size_t n = x->len - x->off < max ? x->len - x->off : max;
            memcpy(buf, x->pending + x->off, n);
            x->off += n;
            return (ssize_t)n;
        }
        if (x->paused) {
            x->paused = 0;
            x->off = x->len = 0;
            curl_easy_pause(x->c, CURLPAUSE_CONT); /* may hand over what it kept at once */
            continue;
        }
        if (x->done) {
            if (x->result == CURLE_OK)
                return 0;
            snprintf(why, whylen, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result));
            return -1;
        }
        x->timed_out = 0;
        xfer_drive(x, 1, pu_now_ms() + x->uc->timeout_ms);
        if (x->timed_out) {
            snprintf(why, whylen, "no body bytes within the timeout");
            return -1;
        }
    }
}

static void curl_body_finish(struct upstream_body *base)
{
    if (base)
        xfer_give((struct curl_xfer *)base);
}

enum upstream_error upstream_curl_exchange(struct upstream_curl *uc, const char *url, const char *method,
                                           struct curl_slist *headers, const char *body, size_t body_len,
                                           unsigned flags, size_t max_body, struct upstream_answer *out,
                                           struct upstream_body **rest, char *why, size_t whylen)
{
    *rest = NULL;
    struct curl_xfer *x = xfer_take(uc);
    if (!x) {
        curl_slist_free_all(headers);
        snprintf(why, whylen, "out of memory");
        return UPSTREAM_NETWORK;
    }
    x->a = out;
    x->headers = headers;
    x->len = x->off = 0;
    x->paused = x->head_done = x->done = x->prereqs = 0;
    x->refused_retry = x->head_too_large = x->timed_out = 0;
    x->result = CURLE_OK;
    x->errbuf[0] = '\0';
    x->idempotent = (flags & UPSTREAM_IDEMPOTENT) != 0;
    CURL *c = x->c;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, x);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, x);
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, x);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)uc->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    if (flags & UPSTREAM_HEAD) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
               strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (curl_multi_add_handle(x->m, c) != CURLM_OK) {
        xfer_give(x);
        snprintf(why, whylen, "cannot start the upstream transfer");
        return UPSTREAM_NETWORK;
    }
    xfer_drive(x, 0, pu_now_ms() + uc->timeout_ms);
    enum upstream_error e = UPSTREAM_OK;
    int no_body = (flags & UPSTREAM_HEAD) || out->status == 204 || out->status == 304 || out->status < 200;
    if (!x->head_done) {
        if (x->refused_retry) {
            e = UPSTREAM_NETWORK;
            snprintf(why, whylen,
                     "the upstream closed a kept-alive connection without answering; a %s is not sent again "
                     "(not idempotent)",
                     method);
        } else if (x->head_too_large) {
            e = UPSTREAM_HEAD_TOO_LARGE;
            snprintf(why, whylen, "answer head larger than %d bytes", UPSTREAM_MAX_HEAD);
        } else if (x->timed_out || x->result == CURLE_OPERATION_TIMEDOUT) {
            e = UPSTREAM_TIMEOUT;
            snprintf(why, whylen, "no answer within the timeout");
        } else {
            e = UPSTREAM_NETWORK;
            snprintf(why, whylen, "%s",
                     x->errbuf[0] ? x->errbuf : x->done ? curl_easy_strerror(x->result) : "no answer");
        }
    } else if (!no_body && out->has_length && out->length > max_body) {
        out->too_large = 1;
        e = UPSTREAM_TOO_LARGE;
        snprintf(why, whylen, "answer larger than max_body");
    }
    if (e != UPSTREAM_OK) {
        xfer_give(x);
        return e;
    }
    if (!x->done && no_body) /* nothing more comes: let libcurl finish, so the connection stays */
        xfer_drive(x, 1, pu_now_ms() + uc->timeout_ms);
    if (!x->done) {
        /* What already arrived is taken in the same step; a short answer is then complete. */
        int running;
        curl_multi_perform(x->m, &running);
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(x->m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                x->done = 1;
                x->result = msg->data.result;
            }
    }
    if (x->done && !x->paused && (x->result == CURLE_OK || no_body)) {
        if (answer_add_body(out, x->pending + x->off, x->len - x->off, max_body) < 0) {
            xfer_give(x);
            snprintf(why, whylen, "out of memory");
            return UPSTREAM_NETWORK;
        }
        xfer_give(x);
        return UPSTREAM_OK;
    }
    x->base.read = curl_body_read;
    x->base.finish = curl_body_finish;
    *rest = &x->base;
    return UPSTREAM_OK;
}
