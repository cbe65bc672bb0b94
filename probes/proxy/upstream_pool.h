/* The proxy's HTTP/1.1 client for plain-http upstreams: a pool of kept-alive sockets and a small
 * response reader (Content-Length, chunked, read-to-close), so a forwarded request costs one
 * writev and a few recv calls instead of a general-purpose client's machinery. */
#ifndef DW_PROXY_UPSTREAM_POOL_H
#define DW_PROXY_UPSTREAM_POOL_H

#include <stddef.h>
#include <stdint.h>

/* An upstream's answer as the proxy relays it: status, end-to-end headers (hop-by-hop and framing
 * headers removed), the decoded body, and how the upstream framed it. */
struct upstream_answer {
    long status;
    char *body;
    size_t len, cap;
    char **headers;            /* name, value, name, value, ... (n_headers pairs) */
    size_t n_headers, cap_headers;
    int chunked;               /* the upstream sent Transfer-Encoding: chunked */
    char *content_length;      /* as announced (kept for HEAD answers) */
    int too_large;
};

/* Adds one header line to the answer unless it is hop-by-hop or framing; returns 0 or -1 (memory). */
int answer_add_header(struct upstream_answer *a, const char *name, size_t name_len, const char *value,
                      size_t value_len);
/* Appends body bytes (fails with too_large beyond max); returns 0 or -1. */
int answer_add_body(struct upstream_answer *a, const char *data, size_t n, size_t max);
void answer_clear_headers(struct upstream_answer *a);
void answer_free(struct upstream_answer *a);

/* RFC 9110 §7.6.1 hop-by-hop headers, which a proxy never forwards. */
int header_is_hop_by_hop(const char *name, size_t len);

enum upstream_error { UPSTREAM_OK = 0, UPSTREAM_NETWORK, UPSTREAM_TIMEOUT, UPSTREAM_TOO_LARGE };

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

/* Sends `head` (request line + headers + blank line) and `body`, reads the answer into `out`
 * (no body is read for HEAD). A kept-alive socket that turns out closed is replaced once before
 * anything was received. Returns UPSTREAM_OK or an error with why filled. */
enum upstream_error upstream_pool_exchange(struct upstream_pool *pool, const char *head, size_t head_len,
                                           const char *body, size_t body_len, int is_head, size_t max_body,
                                           struct upstream_answer *out, char *why, size_t whylen);

#endif
