/* Answers of a plugin's HTTP route (push, kserve): one line of JSON with a trailing newline, like
 * the agent's own errors. */
#include <stdlib.h>
#include <string.h>

#include "plugin_common.h"

void pu_respond_json(struct dw_http_response *resp, int status, json_t *body)
{
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!resp->body) {
        resp->status = 500;
        return;
    }
    size_t len = strlen(resp->body);
    char *with_nl = realloc(resp->body, len + 2);
    if (with_nl) {
        with_nl[len] = '\n';
        with_nl[len + 1] = '\0';
        resp->body = with_nl;
        len++;
    }
    resp->body_len = len;
}

void pu_respond_error(struct dw_http_response *resp, int status, const char *msg)
{
    pu_respond_json(resp, status, json_pack("{s:s, s:i}", "error", msg, "status", status));
}
