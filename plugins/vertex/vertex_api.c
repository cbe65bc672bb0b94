/* Vertex AI REST v1 calls through the host's HTTP client: URL and headers, JSON in and out, and
 * Google's error shape {"error": {"code", "message", "status", "details"}} turned into messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vertex.h"

/* google.rpc.Code names, indexed by code (google/rpc/code.proto). */
static const char *const rpc_code_names[] = {
    "OK",                "CANCELLED",         "UNKNOWN",      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND",         "ALREADY_EXISTS",    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED",         "OUT_OF_RANGE", "UNIMPLEMENTED",    "INTERNAL",
    "UNAVAILABLE",       "DATA_LOSS",         "UNAUTHENTICATED",
};

void vx_status_text(json_t *status, char *out, size_t outlen)
{
    json_int_t code = json_integer_value(json_object_get(status, "code"));
    const char *name = json_string_value(json_object_get(status, "status"));
    const char *msg = json_string_value(json_object_get(status, "message"));
    if (!name)
        name = code >= 0 && code < (json_int_t)(sizeof rpc_code_names / sizeof rpc_code_names[0])
                   ? rpc_code_names[code]
                   : "UNKNOWN";
    snprintf(out, outlen, "%s (code %lld): %s", name, (long long)code, msg && *msg ? msg : "(no message)");
}

void vx_count_request(struct vertex *v, const char *op, long status)
{
    char code[PU_STATUS_LABEL_MAX];
    pu_status_label(status, code);
    const char *labels[] = {"plugin", v->name, "call", op, "code", code, NULL};
    v->host->counter_add(v->ctx, "driftwatch_vertex_requests_total",
                         "Vertex AI REST calls by method and HTTP status (error: no answer).", labels, 1);
}

/* "403 PERMISSION_DENIED: message" from an error answer, or a description of a non-JSON one. */
static void http_error_text(long status, json_t *body, char *out, size_t outlen)
{
    json_t *e = json_object_get(body, "error");
    if (json_is_object(e)) {
        const char *name = json_string_value(json_object_get(e, "status"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        snprintf(out, outlen, "%ld %s: %s", status, name ? name : "(no status)", msg && *msg ? msg : "(no message)");
    } else if (json_is_string(e)) {
        /* OAuth2 token endpoints answer {"error": "invalid_grant", "error_description": "..."}. */
        const char *desc = json_string_value(json_object_get(body, "error_description"));
        snprintf(out, outlen, "%ld %s%s%s", status, json_string_value(e), desc ? ": " : "", desc ? desc : "");
    } else {
        snprintf(out, outlen, "HTTP %ld with %s", status, body ? "an unexpected JSON answer" : "a non-JSON answer");
    }
}

int vx_call(struct vertex *v, const char *op, const char *resource, const char *method, const char *path,
            const char *query, json_t *body, enum vx_retry retry, long *status, json_t **out, char *err,
            size_t errlen)
{
    return vx_call_counted(v, op, resource, method, path, query, body, retry, status, NULL, out, err, errlen);
}

int vx_call_counted(struct vertex *v, const char *op, const char *resource, const char *method, const char *path,
                    const char *query, json_t *body, enum vx_retry retry, long *status, int *attempts, json_t **out,
                    char *err, size_t errlen)
{
    int ret = -1;
    char *auth = NULL, *url = NULL, *payload = NULL;
    char herr[1024], why[1024];
    char quota[512];
    const char *headers[6];
    int nh = 0;
    struct dw_http_client_response resp = {.size = sizeof resp};
    json_t *parsed = NULL;

    *status = 0;
    if (attempts)
        *attempts = 0;
    if (out)
        *out = NULL;
    if (vx_auth_header(v, &auth, why, sizeof why) < 0) {
        snprintf(err, errlen, "vertex: %s %s: %s", op, resource, why);
        goto out;
    }
    url = pu_strf("%s/v1/%s%s%s", v->base_url, path, query ? "?" : "", query ? query : "");
    payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!url || (body && !payload)) {
        snprintf(err, errlen, "vertex: %s %s: out of memory", op, resource);
        goto out;
    }
    headers[nh++] = auth;
    headers[nh++] = "Accept: application/json";
    if (payload)
        headers[nh++] = "Content-Type: application/json; charset=utf-8";
    if (v->cfg.quota_project && *v->cfg.quota_project) {
        snprintf(quota, sizeof quota, "x-goog-user-project: %s", v->cfg.quota_project);
        headers[nh++] = quota;
    }
    headers[nh] = NULL;

    struct dw_http_client_request req = {
        .size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .body = payload,
        .body_len = payload ? strlen(payload) : 0,
        .timeout_ms = v->cfg.timeout,
        .max_attempts = retry == VX_RETRY ? (int)v->cfg.max_attempts : 1,
        .deadline_ms = retry == VX_RETRY ? v->cfg.deadline : v->cfg.timeout,
    };
    if (retry == VX_POLL && req.timeout_ms > VX_POLL_TIMEOUT_MS)
        req.timeout_ms = req.deadline_ms = VX_POLL_TIMEOUT_MS;
    herr[0] = '\0';
    if (v->host->http_request(v->ctx, &req, &resp, herr, sizeof herr) < 0) {
        vx_count_request(v, op, 0);
        snprintf(err, errlen, "vertex: %s %s: %s", op, resource, herr[0] ? herr : "request failed");
        goto out;
    }
    *status = resp.status;
    if (attempts)
        *attempts = resp.attempts;
    vx_count_request(v, op, resp.status);

    json_error_t jerr;
    if (resp.body_len == 0 && resp.status >= 200 && resp.status < 300)
        parsed = json_object(); /* e.g. an empty cancel answer */
    else
        parsed = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &jerr);

    if (resp.status >= 200 && resp.status < 300) {
        if (!json_is_object(parsed)) {
            if (parsed)
                snprintf(err, errlen, "vertex: %s %s: malformed answer (HTTP %ld): expected a JSON object", op,
                         resource, resp.status);
            else
                snprintf(err, errlen, "vertex: %s %s: malformed JSON in the answer (HTTP %ld): %s at line %d column %d",
                         op, resource, resp.status, jerr.text, jerr.line, jerr.column);
            goto out;
        }
        if (out) {
            *out = parsed;
            parsed = NULL;
        }
        ret = 0;
        goto out;
    }

    http_error_text(resp.status, parsed, why, sizeof why);
    char tries[64] = "";
    if (resp.attempts > 1)
        snprintf(tries, sizeof tries, " (after %d attempts)", resp.attempts);
    if (resp.status == 401) {
        vx_auth_invalidate(v);
        snprintf(err, errlen, "vertex: %s %s: %s%s; check the credentials (access_token, credentials_file or "
                 "the metadata server's service account)", op, resource, why, tries);
    } else {
        snprintf(err, errlen, "vertex: %s %s: %s%s", op, resource, why, tries);
    }
    if (out) {
        *out = parsed;
        parsed = NULL;
    }

out:
    json_decref(parsed);
    if (resp.body)
        v->host->free(resp.body);
    free(payload);
    free(url);
    vx_auth_header_free(auth);
    return ret;
}
