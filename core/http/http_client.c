/* Outgoing HTTP client (http_client.h): libcurl, one easy handle per call, retries on network
 * errors, 429, 500, 502, 503 and 504 with exponential backoff, full jitter and an overall deadline. */
#include "http/http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/log.h"
#include "util/strbuf.h"

#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_BACKOFF_INITIAL_MS 1000
#define HTTP_BACKOFF_CAP_MS 60000
/* An answer larger than this is refused: nothing driftwatch talks to sends that much. */
#define HTTP_MAX_BODY (64u * 1024u * 1024u)
/* Below this much time left, another attempt cannot do useful work. */
#define HTTP_MIN_ATTEMPT_MS 50

struct http_sink {
    struct strbuf body;
    int too_large;
    int64_t retry_after_ms; /* -1: no Retry-After header in this answer */
};

int http_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_client_global_cleanup(void)
{
    curl_global_cleanup();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Uniform in [0, max]; getrandom keeps concurrent callers from sharing one sequence. */
static int64_t random_upto(int64_t max)
{
    uint64_t r = 0;
    if (max <= 0)
        return 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)now_ms() * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int64_t)(r % ((uint64_t)max + 1));
}

/* Non-negative integer from the environment, or def when unset or malformed. Tests shorten the
 * backoff this way (DW_HTTP_BACKOFF_MS, DW_HTTP_BACKOFF_MAX_MS) without touching the ABI. */
static int64_t env_ms(const char *name, int64_t def)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return def;
    return (int64_t)v;
}

/* Writes method and URL without userinfo, query or fragment, so query secrets (keys, signatures)
 * never reach a log line or an error message. */
static void describe_url(char *out, size_t outlen, const char *method, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t scheme_len = scheme_end ? (size_t)(host - url) : 0;
    const char *path = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(path - host));
    if (at)
        host = at + 1;
    size_t host_len = (size_t)(path - host);
    size_t path_len = strcspn(path, "?#");
    snprintf(out, outlen, "%s %.*s%.*s%.*s%s", method, (int)scheme_len, url, (int)host_len, host,
             (int)path_len, path, path[path_len] == '?' ? "?..." : "");
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_sink *sink = userdata;
    size_t n = size * nmemb;
    if (sink->body.len + n > HTTP_MAX_BODY) {
        sink->too_large = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    strbuf_append(&sink->body, ptr, n);
    return sink->body.failed ? 0 : n;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct http_sink *sink = userdata;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(buf, name, sizeof name - 1) == 0) {
        char val[128];
        size_t vlen = n - (sizeof name - 1);
        if (vlen >= sizeof val)
            vlen = sizeof val - 1;
        memcpy(val, buf + sizeof name - 1, vlen);
        val[vlen] = '\0';
        char *v = val + strspn(val, " \t");
        v[strcspn(v, "\r\n")] = '\0';
        char *end = NULL;
        long long secs = strtoll(v, &end, 10);
        if (end != v && *end == '\0' && secs >= 0) {
            sink->retry_after_ms = secs > INT32_MAX ? (int64_t)INT32_MAX * 1000 : secs * 1000;
        } else {
            time_t when = curl_getdate(v, NULL);
            if (when != -1) {
                time_t now = time(NULL);
                sink->retry_after_ms = when > now ? (int64_t)(when - now) * 1000 : 0;
            }
        }
    }
    return n;
}

static int status_retryable(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* Network errors worth another attempt; the others (bad URL, unsupported scheme, out of memory, an
 * oversized answer) would fail the same way again. */
static int curl_code_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_FAILED_INIT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_TOO_MANY_REDIRECTS:
        return 0;
    default:
        return 1;
    }
}

/* One attempt. Returns the CURLcode; *status is the HTTP status (0 when none arrived). */
static CURLcode http_attempt(const struct dw_http_client_request *req, struct curl_slist *headers,
                             int64_t timeout_ms, struct http_sink *sink, long *status, char *curl_err)
{
    CURLcode rc = CURLE_FAILED_INIT;
    *status = 0;
    curl_err[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h)
        return rc;

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, sink);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "driftwatch");

    const char *method = req->method;
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (req->body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        }
    }

    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    return rc;
}

int http_client_request(const struct dw_http_client_request *req, struct dw_http_client_response *resp,
                        char *err, size_t errlen)
{
    char what[512];
    int ret = -1;
    struct curl_slist *headers = NULL;
    struct http_sink sink;

    memset(resp, 0, sizeof *resp);
    strbuf_init(&sink.body);
    if (err && errlen)
        err[0] = '\0';
    if (!req || !req->method || !req->url) {
        snprintf(err, errlen, "http: request without method or URL");
        return -1;
    }
    describe_url(what, sizeof what, req->method, req->url);

    int max_attempts = req->max_attempts >= 1 ? req->max_attempts : 1;
    int64_t timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    int64_t budget = req->deadline_ms > 0 ? req->deadline_ms : timeout_ms * max_attempts;
    int64_t deadline = now_ms() + budget;
    int64_t delay = env_ms("DW_HTTP_BACKOFF_MS", HTTP_BACKOFF_INITIAL_MS);
    int64_t cap = env_ms("DW_HTTP_BACKOFF_MAX_MS", HTTP_BACKOFF_CAP_MS);
    if (delay > cap)
        delay = cap;

    /* "Expect:" keeps curl from waiting for 100-continue on larger bodies. */
    headers = curl_slist_append(NULL, "Expect:");
    for (const char *const *hp = req->headers; headers && hp && *hp; hp++) {
        struct curl_slist *n = curl_slist_append(headers, *hp);
        if (!n) {
            curl_slist_free_all(headers);
            headers = NULL;
        } else {
            headers = n;
        }
    }
    if (!headers) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -1;
    }

    for (int attempt = 1;; attempt++) {
        char curl_err[CURL_ERROR_SIZE];
        long status = 0;
        int64_t left = deadline - now_ms();
        int64_t this_timeout = timeout_ms < left ? timeout_ms : left;
        if (this_timeout < 1)
            this_timeout = 1;

        strbuf_free(&sink.body);
        sink.too_large = 0;
        sink.retry_after_ms = -1;
        resp->attempts = attempt;
        CURLcode rc = http_attempt(req, headers, this_timeout, &sink, &status, curl_err);

        int retry = 0;
        if (rc == CURLE_OK) {
            resp->status = status;
            retry = status_retryable(status);
        } else {
            resp->status = 0;
            retry = curl_code_retryable(rc) && !sink.too_large && !sink.body.failed;
            if (sink.too_large)
                snprintf(err, errlen, "%s: answer larger than %u bytes", what, HTTP_MAX_BODY);
            else if (sink.body.failed)
                snprintf(err, errlen, "%s: out of memory reading the answer", what);
            else
                snprintf(err, errlen, "%s: %s (curl %d)%s%s", what, curl_easy_strerror(rc), (int)rc,
                         curl_err[0] ? ": " : "", curl_err);
        }

        int64_t wait = random_upto(delay);
        if (retry && sink.retry_after_ms >= 0)
            wait = sink.retry_after_ms;
        left = deadline - now_ms();
        if (retry && attempt < max_attempts && wait + HTTP_MIN_ATTEMPT_MS <= left) {
            if (rc == CURLE_OK)
                log_debug("http", "%s: status %ld, retrying in %lld ms (attempt %d of %d)", what, status,
                          (long long)wait, attempt + 1, max_attempts);
            else
                log_debug("http", "%s: %s, retrying in %lld ms (attempt %d of %d)", what,
                          curl_easy_strerror(rc), (long long)wait, attempt + 1, max_attempts);
            sleep_ms(wait);
            delay = delay * 2 > cap ? cap : delay * 2;
            continue;
        }

        if (rc == CURLE_OK) {
            size_t len = 0;
            char *body = strbuf_detach(&sink.body, &len);
            if (body)
                body[len] = '\0'; /* an empty answer never went through an append */
            if (!body) {
                snprintf(err, errlen, "%s: out of memory", what);
                resp->status = 0;
                break;
            }
            resp->body = body;
            resp->body_len = len;
            if (retry && err && errlen)
                snprintf(err, errlen, "%s: status %ld after %d attempt%s", what, status, attempt,
                         attempt == 1 ? "" : "s");
            ret = 0;
        } else if (attempt > 1 && err && errlen) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (after %d attempts)", attempt);
        }
        break;
    }

    strbuf_free(&sink.body);
    curl_slist_free_all(headers);
    return ret;
}
