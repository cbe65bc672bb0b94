/* An HTTP alert sink's request: its common options applied to one POST (sink_common.h). */
#include "sink_common.h"

struct dw_http_client_request pu_sink_post(const struct pu_sink_http *http, const char *url,
                                           const char *const *headers, const char *body, size_t body_len)
{
    struct dw_http_client_request req = {
        .size = sizeof req,
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body_len,
        .timeout_ms = http->timeout_ms,
        .max_attempts = (int)http->max_attempts,
        .deadline_ms = http->deadline_ms,
    };
    return req;
}
