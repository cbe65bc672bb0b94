/* The proxy's libcurl client (https:// upstreams, or `http_client: curl`): pooled multi handles
 * keep their upstream connections alive, and an answer's body is pulled as the client takes it,
 * with the same answer, retry and limit rules as the built-in client (upstream_pool.h). */
#ifndef DW_PROXY_UPSTREAM_CURL_H
#define DW_PROXY_UPSTREAM_CURL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "upstream_pool.h"

struct upstream_curl;

/* `stopping` is read (atomically) while a transfer waits: once it is non-zero transfers fail. */
struct upstream_curl *upstream_curl_new(int64_t timeout_ms, const int *stopping);
void upstream_curl_free(struct upstream_curl *uc);

/* One request to url; `headers` is taken over, and `body` must stay valid until the call returns
 * or, when *rest is set, until *rest is finished. Same contract as upstream_pool_exchange; libcurl's own retry of a request on a
 * reused connection that died is refused unless the request is UPSTREAM_IDEMPOTENT (libcurl
 * cannot say whether the request left, so a POST is never sent twice). */
enum upstream_error upstream_curl_exchange(struct upstream_curl *uc, const char *url, const char *method,
                                           struct curl_slist *headers, const char *body, size_t body_len,
                                           unsigned flags, size_t max_body, struct upstream_answer *out,
                                           struct upstream_body **rest, char *why, size_t whylen);

#endif
