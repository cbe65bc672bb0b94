/* Outgoing HTTP for the core and (through the host table) plugins: libcurl, one easy handle per
 * call, retries on network errors, 429 and 5xx with exponential backoff and full jitter. */
#ifndef DW_HTTP_CLIENT_H
#define DW_HTTP_CLIENT_H

#include <stddef.h>

#include "driftwatch/plugin.h"

/* Call once at start-up, before threads (curl_global_init), and once at exit. */
int http_client_global_init(void);
void http_client_global_cleanup(void);

/* Same contract as dw_host.http_request (plugin.h). resp->body is malloc'd (free with free()). */
int http_client_request(const struct dw_http_client_request *req, struct dw_http_client_response *resp,
                        char *err, size_t errlen);

#endif
