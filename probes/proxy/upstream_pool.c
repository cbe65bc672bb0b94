/* Kept-alive HTTP/1.1 connections to one plain-http upstream, and the response reader (see
 * upstream_pool.h). Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; else
 * chunked, else Content-Length, else up to the close of the connection. A body not yet all at
 * hand once the head is read is streamed to the caller (struct upstream_body). */
#define _GNU_SOURCE /* memmem */
#include "upstream_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct upstream_pool {
    char *host;       /* for getaddrinfo (no brackets) */
    char port[8];
    char *hostport;   /* for a missing Host header, as written in the URL */
    char *base;       /* path prefix, "" or "/base" */
    int64_t timeout_ms;
    pthread_mutex_t lock;
    int *idle;
    size_t n_idle, cap_idle;
    int *busy;        /* sockets of requests in flight (shut down by upstream_pool_shutdown) */
    size_t n_busy, cap_busy;
    int closing;
};

int method_is_idempotent(const char *method)
{
    static const char *const idempotent[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", NULL};
    for (size_t i = 0; idempotent[i]; i++)
        if (strcmp(method, idempotent[i]) == 0)
            return 1;
    return 0;
}

int header_is_hop_by_hop(const char *name, size_t len)
{
    static const char *const hop[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                                      "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
                                      NULL};
    for (size_t i = 0; hop[i]; i++)
        if (strlen(hop[i]) == len && strncasecmp(hop[i], name, len) == 0)
            return 1;
    return 0;
}

void answer_clear_headers(struct upstream_answer *a)
{
    for (size_t i = 0; i < a->n_headers * 2; i++)
        free(a->headers[i]);
    a->n_headers = 0;
    a->chunked = 0;
    a->has_length = 0;
    a->length = 0;
    a->head_bytes = 0;
}

void answer_free(struct upstream_answer *a)
{
    answer_clear_headers(a);
    free(a->headers);
    free(a->body);
    memset(a, 0, sizeof *a);
}

int answer_add_header(struct upstream_answer *a, const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
    a->head_bytes += name_len + value_len + 4;
    if (a->head_bytes > UPSTREAM_MAX_HEAD)
        return -2;
    if (name_len == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
        a->chunked = value_len >= 7 && strncasecmp(value + value_len - 7, "chunked", 7) == 0;
        return 0;
    }
    if (name_len == 14 && strncasecmp(name, "content-length", 14) == 0) {
        uint64_t n = 0;
        if (value_len == 0 || value_len > 19)
            return -1;
        for (size_t i = 0; i < value_len; i++) {
            if (value[i] < '0' || value[i] > '9')
                return -1;
            n = n * 10 + (uint64_t)(value[i] - '0');
        }
        if (a->has_length && n != a->length)
            return -1; /* conflicting lengths: RFC 9112 §6.3 makes the answer unusable */
        a->has_length = 1;
        a->length = n;
        return 0;
    }
    if (header_is_hop_by_hop(name, name_len))
        return 0;
    if (a->n_headers == a->cap_headers) {
        size_t cap = a->cap_headers ? a->cap_headers * 2 : 16;
        char **grown = realloc(a->headers, cap * 2 * sizeof *grown);
        if (!grown)
            return -1;
        a->headers = grown;
        a->cap_headers = cap;
    }
    char *hn = strndup(name, name_len), *hv = strndup(value, value_len);
    if (!hn || !hv) {
        free(hn);
        free(hv);
        return -1;
    }
    a->headers[a->n_headers * 2] = hn;
    a->headers[a->n_headers * 2 + 1] = hv;
    a->n_headers++;
    return 0;
}

/* Makes room for n more body bytes; returns 0 or -1 (too large or out of memory). */
static int answer_reserve(struct upstream_answer *a, size_t n, size_t max)
{
    if (a->len + n > max) {
        a->too_large = 1;
        return -1;
    }
    if (a->len + n <= a->cap)
        return 0;
    size_t cap = a->cap ? a->cap : 16384;
    while (cap < a->len + n)
        cap *= 2;
    char *grown = realloc(a->body, cap);
    if (!grown)
        return -1;
    a->body = grown;
    a->cap = cap;
    return 0;
}

int answer_add_body(struct upstream_answer *a, const char *data, size_t n, size_t max)
{
    if (n == 0)
        return 0;
    if (answer_reserve(a, n, max) < 0)
        return -1;
    memcpy(a->body + a->len, data, n);
    a->len += n;
    return 0;
}

/* ---- pool ---- */

struct upstream_pool *upstream_pool_new(const char *url, int64_t timeout_ms, char *err, size_t errlen)
{
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "not a plain http:// URL");
        return NULL;
    }
    const char *authority = url + 7;
    size_t alen = strcspn(authority, "/?#");
    if (alen == 0 || authority[alen] == '?' || authority[alen] == '#') {
        snprintf(err, errlen, "'%s' has no host or has a query", url);
        return NULL;
    }
    struct upstream_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->timeout_ms = timeout_ms;
    p->hostport = strndup(authority, alen);
    p->base = strdup(authority + alen);
    const char *host = authority, *port = NULL;
    size_t hlen;
    if (*authority == '[') {
        const char *close = memchr(authority, ']', alen);
        if (!close) {
            snprintf(err, errlen, "'%s': unterminated IPv6 address", url);
            upstream_pool_free(p);
            return NULL;
        }
        host = authority + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < authority + alen && close[1] == ':')
            port = close + 2;
    } else {
        const char *colon = memchr(authority, ':', alen);
        hlen = colon ? (size_t)(colon - authority) : alen;
        if (colon)
            port = colon + 1;
    }
    size_t plen = port ? (size_t)(authority + alen - port) : 0;
    if (port && (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)) {
        snprintf(err, errlen, "'%s': invalid port", url);
        upstream_pool_free(p);
        return NULL;
    }
    snprintf(p->port, sizeof p->port, "%.*s", port ? (int)plen : 2, port ? port : "80");
    p->host = strndup(host, hlen);
    if (!p->hostport || !p->base || !p->host) {
        snprintf(err, errlen, "out of memory");
        upstream_pool_free(p);
        return NULL;
    }
    size_t bl = strlen(p->base);
    while (bl > 0 && p->base[bl - 1] == '/')
        p->base[--bl] = '\0';
    return p;
}

void upstream_pool_free(struct upstream_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_idle; i++)
        close(p->idle[i]);
    free(p->idle);
    free(p->busy);
    pthread_mutex_destroy(&p->lock);
    free(p->host);
    free(p->hostport);
    free(p->base);
    free(p);
}

const char *upstream_pool_base_path(const struct upstream_pool *p)
{
    return p->base;
}

const char *upstream_pool_host(const struct upstream_pool *p)
{
    return p->hostport;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Marks fd as in flight; fails (fd closed) while the pool shuts down. */
static int busy_add(struct upstream_pool *p, int fd)
{
    pthread_mutex_lock(&p->lock);
    int ok = !p->closing;
    if (ok && p->n_busy == p->cap_busy) {
        size_t cap = p->cap_busy ? p->cap_busy * 2 : 16;
        int *grown = realloc(p->busy, cap * sizeof *grown);
        if (grown) {
            p->busy = grown;
            p->cap_busy = cap;
        } else {
            ok = 0;
        }
    }
    if (ok)
        p->busy[p->n_busy++] = fd;
    pthread_mutex_unlock(&p->lock);
    if (!ok)
        close(fd);
    return ok ? 0 : -1;
}

/* Done with fd: back to the idle list when reusable (and the pool is not closing), else closed. */
static void busy_done(struct upstream_pool *p, int fd, int reusable)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_busy; i++) {
        if (p->busy[i] == fd) {
            p->busy[i] = p->busy[--p->n_busy];
            break;
        }
    }
    int keep = reusable && !p->closing;
    if (keep && p->n_idle == p->cap_idle) {
        size_t cap = p->cap_idle ? p->cap_idle * 2 : 16;
        int *grown = realloc(p->idle, cap * sizeof *grown);
        if (grown) {
            p->idle = grown;
            p->cap_idle = cap;
        } else {
            keep = 0;
        }
    }
    if (keep)
        p->idle[p->n_idle++] = fd;
    pthread_mutex_unlock(&p->lock);
    if (!keep)
        close(fd);
}

void upstream_pool_shutdown(struct upstream_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->closing = 1;
    for (size_t i = 0; i < p->n_busy; i++)
        shutdown(p->busy[i], SHUT_RDWR); /* their recv returns at once; the owners close them */
    for (size_t i = 0; i < p->n_idle; i++)
        close(p->idle[i]);
    p->n_idle = 0;
    pthread_mutex_unlock(&p->lock);
}

void upstream_pool_resume(struct upstream_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->closing = 0;
    pthread_mutex_unlock(&p->lock);
}

static int pool_take(struct upstream_pool *p)
{
    int fd = -1;
    pthread_mutex_lock(&p->lock);
    if (p->n_idle)
        fd = p->idle[--p->n_idle];
    pthread_mutex_unlock(&p->lock);
    return fd;
}

/* A kept-alive socket is usable when nothing is waiting on it: no EOF, no stray bytes. */
static int still_open(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int set_timeouts(int fd, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) | setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int pool_connect(struct upstream_pool *p, int64_t deadline, enum upstream_error *e, char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(p->host, p->port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve %s: %s", p->host, gai_strerror(rc));
        *e = UPSTREAM_NETWORK;
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
            last_errno = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int64_t left = (deadline - now_ns()) / 1000000;
        int ready = poll(&pfd, 1, left > 0 ? (int)left : 0);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (ready <= 0) {
            last_errno = ready == 0 ? ETIMEDOUT : errno;
        } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
            last_errno = soerr ? soerr : errno;
        } else {
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        *e = last_errno == ETIMEDOUT ? UPSTREAM_TIMEOUT : UPSTREAM_NETWORK;
        snprintf(why, whylen, "cannot connect to %s:%s: %s", p->host, p->port, strerror(last_errno));
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_timeouts(fd, p->timeout_ms);
    return fd;
}

/* ---- reading one answer ---- */

struct reader {
    int fd;
    char *buf;
    size_t pos, len, cap;
    int64_t deadline;     /* for the head; INT64_MAX once the body streams (then each recv's timeout) */
    int got_any;          /* a byte of the answer arrived */
    int line_too_long;
    enum upstream_error error;
    char *why;
    size_t whylen;
};

/* Reads more bytes into the buffer. Returns >0, 0 at EOF, -1 on error (r->error set). */
static ssize_t reader_fill(struct reader *r)
{
    if (r->pos > 0 && r->pos == r->len)
        r->pos = r->len = 0;
    if (r->len == r->cap) {
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        } else {
            size_t cap = r->cap * 2;
            char *grown = realloc(r->buf, cap);
            if (!grown) {
                r->error = UPSTREAM_NETWORK;
                snprintf(r->why, r->whylen, "out of memory reading the answer");
                return -1;
            }
            r->buf = grown;
            r->cap = cap;
        }
    }
    for (;;) {
        /* Acknowledge at once what arrives: an upstream that writes its head and body in two
         * sends with Nagle's algorithm on (Python's http.server, many dev servers) would otherwise
         * hold the body until our delayed ACK, about 40 ms later. Linux clears the flag as it
         * goes, so it is set again before each read. */
        int one = 1;
        setsockopt(r->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t n = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
        if (n > 0) {
            r->len += (size_t)n;
            r->got_any = 1;
        }
        if (n >= 0) {
            if (n > 0 && now_ns() > r->deadline) {
                r->error = UPSTREAM_TIMEOUT;
                snprintf(r->why, r->whylen, "the answer took longer than the timeout");
                return -1;
            }
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            r->error = UPSTREAM_TIMEOUT;
            snprintf(r->why, r->whylen, "no answer within the timeout");
        } else {
            r->error = UPSTREAM_NETWORK;
            snprintf(r->why, r->whylen, "reading the answer failed: %s", strerror(errno));
        }
        return -1;
    }
}

/* Finds "\r\n" at or after r->pos, reading more as needed; returns its offset or -1. */
static ssize_t reader_line(struct reader *r, size_t max_line)
{
    size_t scanned = r->pos;
    for (;;) {
        char *hit = memmem(r->buf + scanned, r->len - scanned, "\r\n", 2);
        if (hit && (size_t)(hit - (r->buf + r->pos)) <= max_line)
            return hit - r->buf;
        scanned = r->len > r->pos ? r->len - 1 : r->pos;
        if (hit || r->len - r->pos > max_line) {
            r->error = UPSTREAM_NETWORK;
            r->line_too_long = 1;
            snprintf(r->why, r->whylen, "malformed answer: line too long");
            return -1;
        }
        size_t before = r->pos;
        ssize_t n = reader_fill(r);
        if (n <= 0) {
            if (n == 0) {
                r->error = UPSTREAM_NETWORK;
                snprintf(r->why, r->whylen, "the upstream closed the connection mid-answer");
            }
            return -1;
        }
        scanned -= before - r->pos; /* the buffer may have moved down */
    }
}

static int malformed(struct reader *r, const char *what)
{
    r->error = UPSTREAM_NETWORK;
    snprintf(r->why, r->whylen, "malformed answer: %s", what);
    return -1;
}

static int head_too_large(struct reader *r)
{
    r->error = UPSTREAM_HEAD_TOO_LARGE;
    snprintf(r->why, r->whylen, "answer head larger than %d bytes", UPSTREAM_MAX_HEAD);
    return -1;
}

/* Parses the head at r->pos (ending in an empty line). Returns 0 with *close_after and framing set. */
static int read_head(struct reader *r, struct upstream_answer *a, int *close_after, int *other_coding)
{
    ssize_t eol = reader_line(r, 16384);
    if (eol < 0)
        return r->line_too_long ? head_too_large(r) : -1;
    const char *line = r->buf + r->pos;
    size_t llen = (size_t)eol - r->pos;
    if (llen < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' || line[9] < '1' || line[9] > '5' ||
        line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9')
        return malformed(r, "bad status line");
    int http10 = line[7] == '0';
    a->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    a->head_bytes = llen + 2;
    r->pos = (size_t)eol + 2;
    int keep_alive = !http10;
    *other_coding = 0;
    for (;;) {
        size_t left = UPSTREAM_MAX_HEAD > a->head_bytes ? UPSTREAM_MAX_HEAD - a->head_bytes : 0;
        eol = reader_line(r, left);
        if (eol < 0)
            return r->line_too_long ? head_too_large(r) : -1;
        line = r->buf + r->pos;
        llen = (size_t)eol - r->pos;
        r->pos = (size_t)eol + 2;
        if (llen == 0)
            break;
        const char *colon = memchr(line, ':', llen);
        if (!colon || colon == line)
            return malformed(r, "header line without a name");
        size_t nlen = (size_t)(colon - line);
        const char *v = colon + 1, *end = line + llen;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        size_t vlen = (size_t)(end - v);
        if (nlen == 10 && strncasecmp(line, "connection", 10) == 0) {
            if (memmem(v, vlen, "close", 5) || memmem(v, vlen, "Close", 5))
                keep_alive = 0;
            else if (vlen >= 10 && strncasecmp(v, "keep-alive", 10) == 0)
                keep_alive = 1;
        } else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
            if (!(vlen >= 7 && strncasecmp(end - 7, "chunked", 7) == 0))
                *other_coding = 1;
        }
        int rc = answer_add_header(a, line, nlen, v, vlen);
        if (rc == -2)
            return head_too_large(r);
        if (rc < 0)
            return malformed(r, nlen == 14 && strncasecmp(line, "content-length", 14) == 0
                                    ? "bad or conflicting Content-Length"
                                    : "out of memory");
    }
    *close_after = !keep_alive;
    return 0;
}

/* ---- a body streamed from its connection ---- */

enum body_mode { BODY_LENGTH, BODY_CHUNKED, BODY_TO_CLOSE };

struct raw_body {
    struct upstream_body base;  /* first: the proxy holds a pointer to it */
    struct upstream_pool *pool;
    struct reader r;
    enum body_mode mode;
    uint64_t left;              /* BODY_LENGTH: bytes to come; BODY_CHUNKED: left in this chunk */
    int need_crlf;              /* BODY_CHUNKED: a chunk's data ended, its CRLF is next */
    int close_after;
    int done, failed;
};

/* Up to max body bytes: those already buffered, else one recv into buf. 0 at EOF, -1 on error. */
static ssize_t raw_take(struct reader *r, char *buf, size_t max)
{
    size_t have = r->len - r->pos;
    if (have) {
        size_t n = have < max ? have : max;
        memcpy(buf, r->buf + r->pos, n);
        r->pos += n;
        return (ssize_t)n;
    }
    for (;;) {
        int one = 1;
        setsockopt(r->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t n = recv(r->fd, buf, max, 0);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            r->error = UPSTREAM_TIMEOUT;
            snprintf(r->why, r->whylen, "no body bytes within the timeout");
        } else {
            r->error = UPSTREAM_NETWORK;
            snprintf(r->why, r->whylen, "reading the answer failed: %s", strerror(errno));
        }
        return -1;
    }
}

static ssize_t raw_body_fail(struct raw_body *b, ssize_t n)
{
    if (n == 0) {
        b->r.error = UPSTREAM_NETWORK;
        snprintf(b->r.why, b->r.whylen, "the upstream closed the connection mid-body");
    }
    b->failed = 1;
    return -1;
}

static ssize_t raw_body_read(struct upstream_body *base, char *buf, size_t max, char *why, size_t whylen)
{
    struct raw_body *b = (struct raw_body *)base;
    struct reader *r = &b->r;
    r->why = why;
    r->whylen = whylen;
    if (b->done)
        return 0;
    if (b->failed) {
        snprintf(why, whylen, "the answer failed earlier");
        return -1;
    }
    ssize_t n;
    switch (b->mode) {
    case BODY_TO_CLOSE:
        n = raw_take(r, buf, max);
        if (n == 0)
            b->done = 1;
        if (n < 0)
            b->failed = 1;
        return n;
    case BODY_LENGTH:
        if (b->left == 0) {
            b->done = 1;
            return 0;
        }
        n = raw_take(r, buf, b->left < max ? (size_t)b->left : max);
        if (n <= 0)
            return raw_body_fail(b, n);
        b->left -= (uint64_t)n;
        return n;
    case BODY_CHUNKED:
        break;
    }
    for (;;) {
        if (b->left > 0) {
            n = raw_take(r, buf, b->left < max ? (size_t)b->left : max);
            if (n <= 0)
                return raw_body_fail(b, n);
            b->left -= (uint64_t)n;
            b->need_crlf = b->left == 0;
            return n;
        }
        ssize_t eol;
        if (b->need_crlf) {
            if ((eol = reader_line(r, 4096)) < 0)
                return raw_body_fail(b, -1);
            if ((size_t)eol != r->pos) {
                malformed(r, "chunk without CRLF");
                return raw_body_fail(b, -1);
            }
            r->pos += 2;
            b->need_crlf = 0;
        }
        if ((eol = reader_line(r, 4096)) < 0)
            return raw_body_fail(b, -1);
        char *stop;
        errno = 0;
        unsigned long long size = strtoull(r->buf + r->pos, &stop, 16);
        if (stop == r->buf + r->pos || errno || (stop < r->buf + eol && *stop != ';' && *stop != ' ' && *stop != '\t')) {
            malformed(r, "bad chunk size");
            return raw_body_fail(b, -1);
        }
        r->pos = (size_t)eol + 2;
        if (size > 0) {
            b->left = size;
            continue;
        }
        /* Trailer fields up to the empty line: dropped, never merged into the head (a proxy may
         * discard them, RFC 9110 §6.5.1; the client's head has been sent already anyway). */
        for (;;) {
            if ((eol = reader_line(r, 65536)) < 0)
                return raw_body_fail(b, -1);
            int empty = (size_t)eol == r->pos;
            r->pos = (size_t)eol + 2;
            if (empty) {
                b->done = 1;
                return 0;
            }
        }
    }
}

static void raw_body_finish(struct upstream_body *base)
{
    struct raw_body *b = (struct raw_body *)base;
    if (!b)
        return;
    int reusable = b->done && !b->close_after && b->r.pos == b->r.len;
    busy_done(b->pool, b->r.fd, reusable);
    free(b->r.buf);
    free(b);
}

/* ---- one exchange ---- */

/* Writes head and body; *sent counts the bytes that left (0: the request provably never did). */
static int send_request(int fd, const char *head, size_t head_len, const char *body, size_t body_len, size_t *sent)
{
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, body_len}};
    int n_iov = body_len ? 2 : 1;
    struct iovec *v = iov;
    *sent = 0;
    while (n_iov > 0) {
        struct msghdr msg = {.msg_iov = v, .msg_iovlen = (size_t)n_iov};
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        *sent += (size_t)w;
        size_t left = (size_t)w;
        while (n_iov > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            n_iov--;
        }
        if (n_iov > 0) {
            v->iov_base = (char *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return 0;
}

/* Reads the final answer's head (interim 1xx answers are skipped: MHD cannot relay them). */
static int read_final_head(struct reader *r, struct upstream_answer *out, int *close_after, int *other_coding)
{
    for (;;) {
        if (read_head(r, out, close_after, other_coding) < 0)
            return -1;
        if (out->status >= 100 && out->status < 200 && out->status != 101) {
            answer_clear_headers(out);
            continue;
        }
        return 0;
    }
}

enum upstream_error upstream_pool_exchange(struct upstream_pool *p, const char *head, size_t head_len,
                                           const char *body, size_t body_len, unsigned flags, size_t max_body,
                                           struct upstream_answer *out, struct upstream_body **rest, char *why,
                                           size_t whylen)
{
    *rest = NULL;
    int64_t deadline = now_ns() + p->timeout_ms * 1000000LL;
    struct raw_body *b = calloc(1, sizeof *b);
    if (b)
        b->r.buf = malloc(b->r.cap = 16384);
    if (!b || !b->r.buf) {
        free(b);
        snprintf(why, whylen, "out of memory");
        return UPSTREAM_NETWORK;
    }
    struct reader *r = &b->r;
    r->why = why;
    r->whylen = whylen;
    enum upstream_error e = UPSTREAM_NETWORK;
    int fd = -1, close_after = 0, other_coding = 0;
    for (int tries = 0; tries < 2; tries++) {
        fd = pool_take(p);
        while (fd >= 0 && !still_open(fd)) {
            close(fd);
            fd = pool_take(p);
        }
        int reused = fd >= 0;
        if (fd < 0 && (fd = pool_connect(p, deadline, &e, why, whylen)) < 0)
            break;
        if (busy_add(p, fd) < 0) {
            fd = -1;
            e = UPSTREAM_NETWORK;
            snprintf(why, whylen, "the proxy is stopping");
            break;
        }
        r->fd = fd;
        r->pos = r->len = 0;
        r->got_any = 0;
        r->line_too_long = 0;
        r->deadline = deadline;
        r->error = UPSTREAM_OK;
        size_t sent = 0;
        int rc = send_request(fd, head, head_len, body, body_len, &sent);
        if (rc < 0) {
            r->error = errno == EAGAIN || errno == EWOULDBLOCK ? UPSTREAM_TIMEOUT : UPSTREAM_NETWORK;
            snprintf(why, whylen, "sending the request failed: %s", strerror(errno));
        } else {
            rc = read_final_head(r, out, &close_after, &other_coding);
        }
        if (rc == 0) {
            e = UPSTREAM_OK;
            break;
        }
        busy_done(p, fd, 0);
        fd = -1;
        e = r->error;
        /* A kept-alive connection the upstream had closed. The request goes again on a new
         * connection only when it provably never left (nothing written), or when it may be
         * repeated (an idempotent method) and no byte of an answer came: a POST the upstream may
         * have received (a worker that crashed on it) is answered 502, never run twice. */
        int again = reused && !r->got_any && e == UPSTREAM_NETWORK && (sent == 0 || (flags & UPSTREAM_IDEMPOTENT));
        if (!again)
            break;
        answer_clear_headers(out);
    }
    if (e != UPSTREAM_OK) {
        free(r->buf);
        free(b);
        return e;
    }
    int no_body = (flags & UPSTREAM_HEAD) || out->status == 204 || out->status == 304 || out->status < 200;
    if (!no_body && out->chunked && !other_coding) {
        b->mode = BODY_CHUNKED;
    } else if (!no_body && out->has_length && !other_coding) {
        b->mode = BODY_LENGTH;
        b->left = out->length;
        if (out->length > max_body) {
            out->too_large = 1;
            busy_done(p, fd, 0);
            free(r->buf);
            free(b);
            snprintf(why, whylen, "answer larger than max_body");
            return UPSTREAM_TOO_LARGE;
        }
    } else if (!no_body) {
        b->mode = BODY_TO_CLOSE;
        close_after = 1;
    }
    size_t have = r->len - r->pos;
    if (no_body || (b->mode == BODY_LENGTH && have >= out->length)) {
        /* All of it is here (the usual small answer): no streaming, the connection goes back now. */
        size_t n = no_body ? 0 : (size_t)out->length;
        if (answer_add_body(out, r->buf + r->pos, n, max_body) < 0) {
            busy_done(p, fd, 0);
            free(r->buf);
            free(b);
            snprintf(why, whylen, "out of memory");
            return UPSTREAM_NETWORK;
        }
        r->pos += n;
        busy_done(p, fd, !close_after && out->status != 101 && r->pos == r->len);
        free(r->buf);
        free(b);
        return UPSTREAM_OK;
    }
    b->pool = p;
    b->close_after = close_after;
    b->base.read = raw_body_read;
    b->base.finish = raw_body_finish;
    r->deadline = INT64_MAX; /* from now on each recv waits up to the timeout (SO_RCVTIMEO) */
    *rest = &b->base;
    return UPSTREAM_OK;
}
