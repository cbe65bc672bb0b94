/* Kubeflow Pipelines REST (v2beta1) calls through the host's HTTP client: URL and headers, JSON in
 * and out, and the API server's error answers ({"error", "code", "message", "details"}) as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfp.h"

/* The server's words: grpc-gateway answers {"error": "...", "code": 3, "message": "...",
 * "details": [...]}; a proxy in front may answer HTML or plain text instead. */
static void error_text(long status, const char *body, size_t body_len, char *out, size_t outlen)
{
    json_t *j = body_len ? json_loadb(body, body_len, 0, NULL) : NULL;
    const char *msg = NULL;
    if (json_is_object(j)) {
        msg = json_string_value(json_object_get(j, "message"));
        if (!msg || !*msg)
            msg = json_string_value(json_object_get(j, "error"));
        if (!msg || !*msg)
            msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    }
    if (msg && *msg) {
        snprintf(out, outlen, "HTTP %ld: %s", status, msg);
    } else if (body_len) {
        /* First line of a non-JSON answer, control characters dropped. */
        char snippet[201];
        size_t n = 0;
        for (size_t i = 0; i < body_len && n < sizeof snippet - 1 && body[i] != '\n'; i++)
            if ((unsigned char)body[i] >= 0x20)
                snippet[n++] = body[i];
        snippet[n] = '\0';
        snprintf(out, outlen, "HTTP %ld: %s", status, snippet);
    } else {
        snprintf(out, outlen, "HTTP %ld with an empty answer", status);
    }
    json_decref(j);
}

int kfp_call(struct kfp *k, const char *method, const char *path, const char *query, json_t *body, int attempts,
             int64_t deadline_ms, long *status, json_t **out, char *err, size_t errlen)
{
    int ret = -1;
    char *url = NULL, *payload = NULL;
    char herr[768], why[768];
    const char *headers[4];
    int nh = 0;
    struct dw_http_client_response resp = {.size = sizeof resp};

    *status = 0;
    if (out)
        *out = NULL;
    url = pu_strf("%s%s%s%s", k->base, path, query ? "?" : "", query ? query : "");
    payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!url || (body && !payload)) {
        snprintf(err, errlen, "kfp: %s %s%s: out of memory", method, k->base, path);
        goto out;
    }
    if (k->auth_header)
        headers[nh++] = k->auth_header;
    headers[nh++] = "Accept: application/json";
    if (payload)
        headers[nh++] = "Content-Type: application/json";
    headers[nh] = NULL;

    struct dw_http_client_request req = {
        .size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .body = payload,
        .body_len = payload ? strlen(payload) : 0,
        .timeout_ms = k->timeout_ms,
        .max_attempts = attempts >= 1 ? attempts : 1,
        .deadline_ms = deadline_ms > 0 ? deadline_ms : k->timeout_ms,
    };
    herr[0] = '\0';
    if (k->host->http_request(k->ctx, &req, &resp, herr, sizeof herr) < 0) {
        /* herr already names the method and the URL (without the query). */
        snprintf(err, errlen, "kfp: %s", herr[0] ? herr : "request failed");
        goto out;
    }
    *status = resp.status;
    if (resp.status >= 200 && resp.status < 300) {
        json_error_t jerr;
        json_t *parsed = resp.body_len ? json_loadb(resp.body, resp.body_len, 0, &jerr) : json_object();
        if (!json_is_object(parsed)) {
            snprintf(err, errlen, "kfp: %s %s%s: HTTP %ld with %s", method, k->base, path, resp.status,
                     parsed ? "a JSON answer that is not an object" : "an answer that is not JSON");
            json_decref(parsed);
            goto out;
        }
        if (out)
            *out = parsed;
        else
            json_decref(parsed);
        ret = 0;
        goto out;
    }
    error_text(resp.status, resp.body, resp.body_len, why, sizeof why);
    char attempts_text[48] = "";
    if (resp.attempts > 1)
        snprintf(attempts_text, sizeof attempts_text, " (after %d attempts)", resp.attempts);
    snprintf(err, errlen, "kfp: %s %s%s: %s%s%s", method, k->base, path, why, attempts_text,
             resp.status == 401 || resp.status == 403 ? "; check the 'token' option" : "");
out:
    if (resp.body)
        k->host->free(resp.body);
    free(payload);
    free(url);
    return ret;
}
