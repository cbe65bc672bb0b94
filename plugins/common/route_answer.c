/* Answers of a plugin's HTTP route (push, kserve): one line of JSON with a trailing newline, like
 * the agent's own errors, in memory from host->alloc (the host frees it). */
#include <stdlib.h>
#include <string.h>

#include "plugin_common.h"

void pu_respond_json(const struct dw_host *host, struct dw_http_response *resp, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    size_t len = text ? strlen(text) : 0;
    resp->content_type = "application/json";
    resp->body = text ? host->alloc(len + 2) : NULL;
    if (!resp->body) {
        free(text);
        resp->status = 500;
        resp->body_len = 0;
        return;
    }
    memcpy(resp->body, text, len);
    free(text);
    resp->body[len] = '\n';
    resp->body[len + 1] = '\0';
    resp->body_len = len + 1;
    resp->status = status;
}

void pu_respond_error(const struct dw_host *host, struct dw_http_response *resp, int status, const char *msg)
{
    pu_respond_json(host, resp, status, json_pack("{s:s, s:i}", "error", msg, "status", status));
}
