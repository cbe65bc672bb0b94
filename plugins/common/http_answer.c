/* HTTP for plugins: query values escaped, a URL described without credentials, an answer body
 * quoted on one line, and a request's result classified as delivered, transient or refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_common.h"

char *pu_query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(3 * strlen(s) + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *pu_describe_url(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t scheme_len = (size_t)(host - url);
    const char *path = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(path - host));
    if (at)
        host = at + 1;
    size_t host_len = (size_t)(path - host);
    size_t path_len = strcspn(path, "?#");
    size_t n = scheme_len + host_len + path_len + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s%.*s%.*s", (int)scheme_len, url, (int)host_len, host, (int)path_len, path);
    return out;
}

void pu_excerpt(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = len < PU_BODY_EXCERPT ? len : PU_BODY_EXCERPT;
    size_t j = 0;
    for (size_t i = 0; body && i < n && j + 1 < outlen; i++) {
        unsigned char c = (unsigned char)body[i];
        out[j++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[j] = '\0';
    if (len > n && j + 4 < outlen)
        snprintf(out + j, outlen - j, "...");
}

int pu_http_outcome(int rc, const struct dw_http_client_response *resp, const char *herr, char *detail,
                    size_t detaillen)
{
    detail[0] = '\0';
    if (rc < 0) {
        snprintf(detail, detaillen, "failed: %s", herr && herr[0] ? herr : "network error");
        return PU_HTTP_TRANSIENT;
    }
    if (resp->status >= 200 && resp->status < 300)
        return PU_HTTP_OK;
    char excerpt[PU_BODY_EXCERPT + 8];
    pu_excerpt(resp->body, resp->body_len, excerpt, sizeof excerpt);
    /* The host client retries exactly these; any other status would be refused again. */
    int transient = resp->status == 429 || resp->status >= 500;
    snprintf(detail, detaillen, "answered HTTP %ld after %d attempt%s%s: %s", resp->status, resp->attempts,
             resp->attempts == 1 ? "" : "s", transient ? "" : " (not retried)", excerpt[0] ? excerpt : "(empty body)");
    return transient ? PU_HTTP_TRANSIENT : PU_HTTP_REFUSED;
}

const char *pu_alert_result(int outcome)
{
    return outcome == PU_HTTP_OK ? "ok" : outcome == PU_HTTP_TRANSIENT ? "error" : "dropped";
}

void pu_status_label(long status, char out[PU_STATUS_LABEL_MAX])
{
    if (status >= 100 && status <= 999)
        snprintf(out, PU_STATUS_LABEL_MAX, "%ld", status);
    else
        snprintf(out, PU_STATUS_LABEL_MAX, "error");
}
