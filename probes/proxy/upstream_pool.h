/* The proxy's HTTP/1.1 client for plain-http upstreams: a pool of kept-alive sockets and a small
 * response reader (Content-Length, chunked, read-to-close), so a forwarded request costs one
 * writev and a few recv calls instead of a general-purpose client's machinery. */
#ifndef DW_PROXY_UPSTREAM_POOL_H
#define DW_PROXY_UPSTREAM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

/* Largest answer head (status line and header fields) relayed: MHD must hold the head it writes
 * in its per-connection memory, so a larger one is answered 502 (on both upstream clients). */
#define UPSTREAM_MAX_HEAD 32768

/* An upstream's answer as the proxy relays it: status, end-to-end headers (hop-by-hop and framing
 * headers removed), how the upstream framed it, and the decoded body when it came whole. */
struct upstream_answer {
    long status;
    char *body;                /* the whole body when the exchange returned no upstream_body */
    size_t len, cap;
    char **headers;            /* name, value, name, value, ... (n_headers pairs) */
    size_t n_headers, cap_headers;
    int chunked;               /* the upstream sent Transfer-Encoding: chunked */
    int has_length;            /* the upstream sent Content-Length: length */
    uint64_t length;
    size_t head_bytes;         /* bytes of header lines so far (bounded by UPSTREAM_MAX_HEAD) */
    int too_large;
};

/* The rest of an answer's body, read as the client's connection takes it (a streamed answer is
 * relayed as it arrives instead of once it has ended). Implemented by both upstream clients. */
struct upstream_body {
    /* Waits for body bytes and copies up to max into buf: >0 bytes, 0 at the end of the body, -1 on
     * an error (why set; the client's connection is then cut, its head having been sent). */
    ssize_t (*read)(struct upstream_body *b, char *buf, size_t max, char *why, size_t whylen);
    /* Releases it; the upstream connection is kept for another request only if the body was read to
     * its end. */
    void (*finish)(struct upstream_body *b);
};

/* Adds one header line to the answer unless it is hop-by-hop or framing (those set chunked and
 * has_length/length); counts its bytes in head_bytes. Returns 0, -1 (memory or a bad
 * Content-Length) or -2 (the head grew beyond UPSTREAM_MAX_HEAD). */
int answer_add_header(struct upstream_answer *a, const char *name, size_t name_len, const char *value,
                      size_t value_len);
/* Appends body bytes (fails with too_large beyond max); returns 0 or -1. */
int answer_add_body(struct upstream_answer *a, const char *data, size_t n, size_t max);
void answer_clear_headers(struct upstream_answer *a);
void answer_free(struct upstream_answer *a);

/* RFC 9110 §7.6.1 hop-by-hop headers, which a proxy never forwards. */
int header_is_hop_by_hop(const char *name, size_t len);

enum upstream_error {
    UPSTREAM_OK = 0,
    UPSTREAM_NETWORK,
    UPSTREAM_TIMEOUT,
    UPSTREAM_TOO_LARGE,      /* a Content-Length beyond max_body */
    UPSTREAM_HEAD_TOO_LARGE  /* an answer head beyond UPSTREAM_MAX_HEAD */
};

/* RFC 9110 §9.2.2: methods a client may repeat, so a request the upstream may have received can
 * be sent again on another connection. */
int method_is_idempotent(const char *method);

/* Flags of an exchange. */
#define UPSTREAM_HEAD 1u        /* a HEAD request: the answer has no body */
#define UPSTREAM_IDEMPOTENT 2u  /* may be sent again if a reused connection fails before any answer */

struct upstream_pool;

/* url: http://host[:port][/base]. Returns NULL with err set when the URL is not plain http. */
struct upstream_pool *upstream_pool_new(const char *url, int64_t timeout_ms, char *err, size_t errlen);
void upstream_pool_free(struct upstream_pool *pool);
/* Stopping: requests in flight fail at once (their sockets are shut down), idle sockets are closed
 * and no new request starts until upstream_pool_resume. */
void upstream_pool_shutdown(struct upstream_pool *pool);
void upstream_pool_resume(struct upstream_pool *pool);
/* "/base" (possibly "") to put before every request path, and "host:port" for a missing Host. */
const char *upstream_pool_base_path(const struct upstream_pool *pool);
const char *upstream_pool_host(const struct upstream_pool *pool);

/* Sends `head` (request line + headers + blank line) and `body` and reads the answer's head into
 * `out`. When the whole body is already at hand (or there is none: HEAD, 1xx, 204, 304) it is in
 * out->body and *rest is NULL; otherwise *rest streams it and must be finished by the caller.
 * Retries: a request goes again once on a new connection when a kept-alive one failed before a
 * byte of it was written (it never left), or, for UPSTREAM_IDEMPOTENT requests only, when the
 * upstream closed it before a byte of the answer came (RFC 9110 §9.2.2): a POST the upstream may
 * have received is never sent twice. The timeout bounds the wait for the head and then each wait
 * for body bytes. Returns UPSTREAM_OK or an error with why filled. */
enum upstream_error upstream_pool_exchange(struct upstream_pool *pool, const char *head, size_t head_len,
                                           const char *body, size_t body_len, unsigned flags, size_t max_body,
                                           struct upstream_answer *out, struct upstream_body **rest, char *why,
                                           size_t whylen);

#endif
