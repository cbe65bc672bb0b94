/* Tests for the proxy probe: a real client → proxy → scripted upstream over loopback. Forwarding
 * must be byte-identical both ways; taps of v1/v2 predict pairs must produce the right samples;
 * a full tap queue or a slow core must never change or slow down the client's answer. */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plugin/host.h"
#include "http/http_client.h"
#include "util/metrics.h"
#include "probe_harness.h"
#include "upstream.h"

/* Polls a metric until it has the wanted value: the proxy counts and taps on its own threads (the
 * tap thread at idle priority, which a busy machine can starve for a while), so a fixed sleep is
 * not enough. 1 when it got there within timeout_ms. */
static int metric_reaches(const char *name, const char *labels, double want, int timeout_ms)
{
    for (int waited = 0;; waited += 20) {
        if (metric_value(name, labels) == want)
            return 1;
        if (waited >= timeout_ms)
            return 0;
        harness_sleep_ms(20);
    }
}

static int up_port, proxy_port;
static char proxy_url[128];
static struct plugin_instance *proxy;
static const char *client_mode = ""; /* extra options of every proxy the current test starts */

static struct plugin_instance *start_proxy(const char *extra, int upstream_port)
{
    char yaml[2048];
    proxy_port = free_port();
    snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", proxy_port);
    snprintf(yaml, sizeof yaml,
             "plugin: proxy\nmodel: fraud\nlisten: 127.0.0.1:%d\nupstream: http://127.0.0.1:%d/\n%s%s%s", proxy_port,
             upstream_port, extra && strstr(extra, "timeout:") ? "" : "timeout: 2s\n", client_mode, extra ? extra : "");
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_PROBE, NULL, 0);
    harness_start(pi);
    return pi;
}

static int setup(void **state)
{
    client_mode = "";
    capture_install();
    capture_reset();
    metrics_reset();
    up_port = upstream_start();
    proxy = start_proxy(NULL, up_port);
    return 0;
}

static int setup_names(void **state)
{
    client_mode = "";
    capture_install();
    capture_reset();
    metrics_reset();
    up_port = upstream_start();
    proxy = start_proxy("feature_names: [amount, country]\n", up_port);
    return 0;
}

/* The same proxy with libcurl as its upstream client (what https:// upstreams always use). */
static int setup_curl(void **state)
{
    capture_install();
    capture_reset();
    metrics_reset();
    up_port = upstream_start();
    client_mode = "http_client: curl\n";
    proxy = start_proxy(NULL, up_port);
    return 0;
}

static int teardown(void **state)
{
    plugin_instance_free(proxy);
    proxy = NULL;
    upstream_stop();
    return 0;
}

static void call(const char *method, const char *path, const char *const *headers, const char *body, size_t len,
                 struct http_answer *ans)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", proxy_url, path);
    if (http_call(method, url, headers, body, len, ans) < 0)
        fail_msg("request to the proxy failed");
}

static void script(int status, const char *headers, const char *body)
{
    struct upstream_script s = {.status = status, .headers = headers, .body = body, .body_len = body ? strlen(body) : 0};
    upstream_set(&s);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strcasestr(hay, needle))
        fail_msg("'%s' unexpectedly in:\n%s", needle, hay);
}

static void test_proxy_forwards_the_request_unchanged(void **state)
{
    /* A binary body with NUL bytes; a path with escapes and dot segments; a raw query. */
    char body[300];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)(i * 7);
    const char *headers[] = {"Content-Type: application/octet-stream",
                             "X-Custom: a, b;c",
                             "Authorization: Bearer secret",
                             "Accept:", /* the client sends none: the upstream must see none */
                             "Connection: keep-alive, X-Hop",
                             "X-Hop: private",
                             "Keep-Alive: timeout=5",
                             "X-Empty;",
                             NULL};
    struct http_answer ans;
    call("PUT", "/models/a%20b/../c/:predict?x=1&y=%2F&z", headers, body, sizeof body, &ans);
    assert_int_equal(ans.status, 200);
    char *head, *got;
    size_t got_len;
    upstream_last(&head, &got, &got_len);
    assert_contains(head, "PUT /models/a%20b/../c/:predict?x=1&y=%2F&z HTTP/1.1\r\n");
    assert_contains(head, "\r\nContent-Type: application/octet-stream");
    assert_contains(head, "\r\nX-Custom: a, b;c");
    assert_contains(head, "\r\nAuthorization: Bearer secret");
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d", proxy_port); /* the client's Host, as sent */
    assert_contains(head, host);
    assert_contains(head, "\r\nContent-Length: 300");
    assert_contains(head, "\r\nX-Empty:");
    assert_lacks(head, "X-Hop");
    assert_lacks(head, "Keep-Alive");
    assert_lacks(head, "\r\nAccept:");
    assert_lacks(head, "Expect");
    assert_int_equal(got_len, sizeof body);
    assert_memory_equal(got, body, sizeof body);
    /* And the echo came back byte for byte. */
    assert_int_equal(ans.body_len, sizeof body);
    assert_memory_equal(ans.body, body, sizeof body);
    free(head);
    free(got);
    http_answer_free(&ans);
}

static void test_proxy_forwards_methods_without_body(void **state)
{
    const char *methods[] = {"GET", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < 3; i++) {
        struct http_answer ans;
        call(methods[i], "/v2/health/ready?verbose", NULL, NULL, 0, &ans);
        assert_int_equal(ans.status, 200);
        char *head, *got;
        size_t got_len;
        upstream_last(&head, &got, &got_len);
        char line[128];
        snprintf(line, sizeof line, "%s /v2/health/ready?verbose HTTP/1.1\r\n", methods[i]);
        assert_true(strncmp(head, line, strlen(line)) == 0);
        assert_lacks(head, "Content-Type");
        assert_int_equal(got_len, 0);
        free(head);
        free(got);
        http_answer_free(&ans);
    }
}

static void test_proxy_returns_status_headers_and_body_unchanged(void **state)
{
    script(418,
           "Content-Type: text/x-teapot\r\nX-Model-Version: 7\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
           "Date: Tue, 01 Jan 2030 00:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=3\r\n",
           "short and stout\n");
    struct http_answer ans;
    call("GET", "/teapot", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 418);
    assert_string_equal(ans.body, "short and stout\n");
    assert_contains(ans.headers, "\r\nContent-Type: text/x-teapot\r\n");
    assert_contains(ans.headers, "\r\nX-Model-Version: 7\r\n");
    assert_contains(ans.headers, "\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n");
    assert_contains(ans.headers, "\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\n");
    assert_contains(ans.headers, "\r\nContent-Length: 16\r\n");
    assert_lacks(ans.headers, "Keep-Alive: timeout=3");
    /* Exactly one Date header: the upstream's. */
    const char *first = strcasestr(ans.headers, "\r\nDate:");
    assert_null(strcasestr(first + 2, "\r\nDate:"));
    http_answer_free(&ans);
}

static void test_proxy_forwards_large_bodies_both_ways(void **state)
{
    size_t n = 6 * 1024 * 1024 + 123;
    char *body = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u; /* any fixed bytes will do */
        body[i] = (char)(x >> 24);
    }
    const char *headers[] = {"Content-Type: application/octet-stream", NULL};
    struct http_answer ans;
    call("POST", "/blob", headers, body, n, &ans);
    assert_int_equal(ans.status, 200);
    assert_int_equal(ans.body_len, n);
    assert_memory_equal(ans.body, body, n);
    http_answer_free(&ans);
    free(body);
}

static void test_proxy_rechunks_chunked_responses(void **state)
{
    const char *text = "{\"predictions\": [0.25, 0.75], \"streamed\": \"in many small chunks\"}";
    struct upstream_script s = {.status = 200,
                                .headers = "Content-Type: application/json\r\n",
                                .body = text,
                                .body_len = strlen(text),
                                .chunked = 1,
                                .chunk_size = 5};
    upstream_set(&s);
    struct http_answer ans;
    call("GET", "/stream", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 200);
    assert_contains(ans.headers, "Transfer-Encoding: chunked");
    assert_lacks(ans.headers, "Content-Length");
    assert_string_equal(ans.body, text);
    http_answer_free(&ans);
}

static void test_proxy_answers_head_with_upstream_length(void **state)
{
    script(200, "Content-Type: text/plain\r\n", "0123456789");
    struct http_answer ans;
    call("HEAD", "/file", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 200);
    assert_contains(ans.headers, "Content-Length: 10\r\n");
    assert_int_equal(ans.body_len, 0);
    http_answer_free(&ans);
}

static void test_proxy_upstream_down_is_502_json_and_proxy_survives(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy(NULL, free_port()); /* nothing listens there */
    for (int i = 0; i < 3; i++) {
        struct http_answer ans;
        call("POST", "/v1/models/fraud:predict", NULL, "{}", 2, &ans);
        assert_int_equal(ans.status, 502);
        assert_contains(ans.headers, "Content-Type: application/json");
        json_t *doc = json_loads(ans.body, 0, NULL);
        assert_non_null(doc);
        assert_contains(json_string_value(json_object_get(doc, "error")), "unreachable");
        assert_int_equal(json_integer_value(json_object_get(doc, "status")), 502);
        json_decref(doc);
        http_answer_free(&ans);
    }
    assert_int_equal(capture_count(), 0);
}

static void test_proxy_upstream_timeout_is_504(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy("timeout: 200ms\n", up_port);
    struct upstream_script s = {.status = 200, .body = "late", .body_len = 4, .delay_ms = 1000};
    upstream_set(&s);
    struct http_answer ans;
    call("GET", "/slow", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 504);
    assert_contains(ans.body, "did not answer within 200 ms");
    assert_true(ans.seconds < 0.9);
    http_answer_free(&ans);
    assert_true(metric_reaches("driftwatch_probe_requests_total", "{probe=\"proxy\",result=\"timeout\"}", 1, 10000));
}

struct slow_call {
    struct http_answer ans;
    int rc;
};

static void *slow_call_main(void *arg)
{
    struct slow_call *c = arg;
    char url[256];
    snprintf(url, sizeof url, "%s/v1/models/fraud:predict", proxy_url);
    c->rc = http_call("POST", url, NULL, "{}", 2, &c->ans);
    return NULL;
}

/* A model taking 3 s must not hold the proxy's stop: the call in flight ends at once, with a 502
 * or its connection closed by the stopping server, never with the model's late answer. */
static void test_proxy_stop_does_not_wait_for_a_slow_upstream(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy("timeout: 10s\n", up_port);
    struct upstream_script s = {.status = 200, .body = "late", .body_len = 4, .delay_ms = 3000};
    upstream_set(&s);
    struct slow_call c;
    pthread_t t;
    pthread_create(&t, NULL, slow_call_main, &c);
    harness_sleep_ms(200);
    int64_t t0 = harness_now_ms();
    plugin_instance_free(proxy);
    proxy = NULL;
    int64_t took = harness_now_ms() - t0;
    pthread_join(t, NULL);
    if (took > 1500)
        fail_msg("stop took %lld ms", (long long)took);
    assert_true(c.ans.seconds < 1.5);
    assert_true(c.rc < 0 || c.ans.status == 502);
    http_answer_free(&c.ans);
}

static void test_proxy_request_over_max_body_is_413(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy("max_body: 1K\n", up_port);
    char body[2000];
    memset(body, 'x', sizeof body);
    struct http_answer ans;
    call("POST", "/v1/models/fraud:predict", NULL, body, sizeof body, &ans);
    assert_int_equal(ans.status, 413);
    assert_int_equal(upstream_requests(), 0);
    http_answer_free(&ans);
}

static void test_proxy_reuses_upstream_connections(void **state)
{
    script(200, NULL, "ok");
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/ping", proxy_url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    for (int i = 0; i < 50; i++)
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    fclose(devnull);
    assert_int_equal(upstream_requests(), 50);
    assert_int_equal(upstream_connections(), 1);
}


static void raw_answer(const char *raw, int close_after)
{
    struct upstream_script s = {.raw = raw, .raw_len = strlen(raw), .close_after = close_after};
    upstream_set(&s);
}

static void test_proxy_reads_an_answer_delimited_by_close(void **state)
{
    raw_answer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the very end", 1);
    struct http_answer ans;
    call("GET", "/legacy", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "until the very end");
    /* Streamed as it arrives: its length is known only at the end, so an HTTP/1.1 client gets it
     * chunked. */
    assert_contains(ans.headers, "Transfer-Encoding: chunked\r\n");
    http_answer_free(&ans);
}

static void test_proxy_skips_interim_answers(void **state)
{
    raw_answer("HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
               "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok",
               0);
    struct http_answer ans;
    call("GET", "/hints", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "ok");
    assert_contains(ans.headers, "X-Final: yes");
    assert_lacks(ans.headers, "Link:");
    http_answer_free(&ans);
}

static void test_proxy_decodes_chunk_extensions_and_trailers(void **state)
{
    raw_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n",
               0);
    struct http_answer ans;
    call("GET", "/chunks", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "hello world");
    http_answer_free(&ans);
    /* The connection is still good for the next request. */
    script(200, NULL, "next");
    call("GET", "/next", NULL, NULL, 0, &ans);
    assert_string_equal(ans.body, "next");
    http_answer_free(&ans);
    assert_int_equal(upstream_connections(), 1);
}

static void test_proxy_relays_no_content(void **state)
{
    raw_answer("HTTP/1.1 204 No Content\r\nX-Done: 1\r\n\r\n", 0);
    struct http_answer ans;
    call("DELETE", "/thing", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 204);
    assert_int_equal(ans.body_len, 0);
    assert_contains(ans.headers, "X-Done: 1");
    http_answer_free(&ans);
}

/* The upstream closes each kept-alive connection after answering, without saying so: the proxy
 * notices before reusing it and opens a new one; no client sees an error. */
static void test_proxy_replaces_connections_the_upstream_closed(void **state)
{
    struct upstream_script s = {.status = 200, .body = "fresh", .body_len = 5, .close_after = 1};
    upstream_set(&s);
    for (int i = 0; i < 5; i++) {
        struct http_answer ans;
        call("POST", "/again", NULL, "x", 1, &ans);
        assert_int_equal(ans.status, 200);
        assert_string_equal(ans.body, "fresh");
        http_answer_free(&ans);
        harness_sleep_ms(20);
    }
    assert_int_equal(upstream_requests(), 5);
    assert_int_equal(upstream_connections(), 5);
}

/* An upstream that writes head and body separately with Nagle on waits for an ACK between them; a
 * client that delays its ACKs (the Linux default) stalls ~40 ms per call. The proxy acks at once. */
static void test_proxy_does_not_stall_on_a_nagling_upstream(void **state)
{
    struct upstream_script s = {.status = 200, .body = "{\"predictions\": [1]}", .body_len = 20, .split_send = 1};
    upstream_set(&s);
    double worst = 0;
    struct http_answer ans;
    call("GET", "/warm", NULL, NULL, 0, &ans); /* the first exchanges of a connection are acked quickly anyway */
    http_answer_free(&ans);
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/v1/models/fraud:predict", proxy_url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    for (int i = 0; i < 30; i++) {
        int64_t t0 = harness_now_ms();
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        double took = (double)(harness_now_ms() - t0);
        if (took > worst)
            worst = took;
    }
    curl_easy_cleanup(c);
    fclose(devnull);
    if (worst >= 30)
        fail_msg("a call took %.0f ms: the proxy waited for a delayed ACK", worst);
}

static void test_proxy_malformed_answer_is_502(void **state)
{
    raw_answer("SPDY/9 what\r\n\r\n", 1);
    struct http_answer ans;
    call("GET", "/odd", NULL, NULL, 0, &ans);
    assert_int_equal(ans.status, 502);
    assert_contains(ans.body, "malformed answer");
    http_answer_free(&ans);
}

/* ---- taps ---- */

static void predict(const char *path, const char *request, const char *response, const char *request_id,
                    struct http_answer *ans)
{
    script(200, "Content-Type: application/json\r\n", response);
    char rid[128];
    snprintf(rid, sizeof rid, "X-Request-Id: %s", request_id ? request_id : "");
    const char *headers[] = {"Content-Type: application/json", request_id ? rid : NULL, NULL};
    call("POST", path, headers, request, strlen(request), ans);
}

static json_t *sample(size_t i)
{
    json_t *s = capture_get(i);
    if (!s)
        fail_msg("no sample %zu", i);
    return s;
}

static void assert_json(const json_t *v, const char *expected)
{
    json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
    assert_non_null(e);
    if (!json_equal((json_t *)v, e)) {
        char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        fail_msg("got %s, expected %s", got, expected);
    }
    json_decref(e);
}

static void test_proxy_taps_v1_object_instances(void **state)
{
    struct http_answer ans;
    const char *resp = "{\"predictions\": [0.1, {\"label\": \"fraud\", \"score\": 0.9}], \"deployedModelId\": \"7\"}";
    predict("/v1/models/fraud:predict",
            "{\"instances\": [{\"amount\": 12.5, \"country\": \"FR\"}, {\"amount\": 3, \"country\": null, "
            "\"image\": {\"b64\": \"AAAA\"}}]}",
            resp, "req-42", &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, resp); /* tapping never changes the answer */
    http_answer_free(&ans);
    assert_int_equal(capture_wait(2, 3000), 2);
    assert_json(json_object_get(sample(0), "features"), "{\"amount\": 12.5, \"country\": \"FR\"}");
    assert_json(json_object_get(sample(0), "prediction"), "0.1");
    assert_json(json_object_get(sample(0), "request_id"), "\"req-42#0\"");
    assert_json(json_object_get(sample(1), "features"), "{\"amount\": 3, \"country\": null}");
    assert_json(json_object_get(sample(1), "prediction"), "{\"label\": \"fraud\", \"score\": 0.9}");
    assert_json(json_object_get(sample(1), "request_id"), "\"req-42#1\"");
    const char *ts = json_string_value(json_object_get(sample(0), "timestamp"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), strlen("2024-05-01T12:00:00.000000Z"));
    assert_int_equal(ts[strlen(ts) - 1], 'Z');
    assert_true(metric_reaches("driftwatch_samples_received_total", "{model=\"fraud\",probe=\"proxy\"}", 2, 10000));
}

static void test_proxy_taps_v1_positional_instances_through_feature_names(void **state)
{
    struct http_answer ans;
    predict("/v1/endpoints/123:predict", "{\"instances\": [[120.0, \"DE\"], [5, \"FR\"]], \"parameters\": {}}",
            "{\"predictions\": [[0.2, 0.8], [0.9, 0.1]]}", NULL, &ans);
    http_answer_free(&ans);
    assert_int_equal(capture_wait(2, 3000), 2);
    assert_json(json_object_get(sample(0), "features"), "{\"amount\": 120.0, \"country\": \"DE\"}");
    assert_json(json_object_get(sample(0), "prediction"), "[0.2, 0.8]");
    assert_json(json_object_get(sample(1), "features"), "{\"amount\": 5, \"country\": \"FR\"}");
    assert_null(json_object_get(sample(1), "request_id"));
}

static void test_proxy_taps_v2_tensor_through_feature_names(void **state)
{
    struct http_answer ans;
    predict("/v2/models/fraud/infer",
            "{\"id\": \"abc\", \"inputs\": [{\"name\": \"input-0\", \"shape\": [2, 2], \"datatype\": \"FP32\","
            " \"data\": [[1.5, 2], [3, 4]]}]}",
            "{\"id\": \"abc\", \"model_name\": \"fraud\", \"outputs\": [{\"name\": \"output-0\", \"shape\": [2],"
            " \"datatype\": \"FP32\", \"data\": [0.3, 0.7]}]}",
            NULL, &ans);
    http_answer_free(&ans);
    assert_int_equal(capture_wait(2, 3000), 2);
    assert_json(json_object_get(sample(0), "features"), "{\"amount\": 1.5, \"country\": 2}");
    assert_json(json_object_get(sample(0), "prediction"), "0.3");
    assert_json(json_object_get(sample(0), "request_id"), "\"abc#0\"");
    assert_json(json_object_get(sample(1), "features"), "{\"amount\": 3, \"country\": 4}");
    assert_json(json_object_get(sample(1), "prediction"), "0.7");
}

static void test_proxy_taps_v2_named_inputs_and_several_outputs(void **state)
{
    struct http_answer ans;
    predict("/v2/models/fraud/infer",
            "{\"inputs\": [{\"name\": \"age\", \"shape\": [2], \"datatype\": \"INT64\", \"data\": [31, 45]},"
            " {\"name\": \"city\", \"shape\": [2, 1], \"datatype\": \"BYTES\", \"data\": [\"Paris\", \"Lyon\"]}]}",
            "{\"outputs\": [{\"name\": \"label\", \"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"ok\", \"fraud\"]},"
            " {\"name\": \"proba\", \"shape\": [2, 2], \"datatype\": \"FP32\", \"data\": [0.9, 0.1, 0.2, 0.8]}]}",
            "rid-9", &ans);
    http_answer_free(&ans);
    assert_int_equal(capture_wait(2, 3000), 2);
    assert_json(json_object_get(sample(0), "features"), "{\"age\": 31, \"city\": \"Paris\"}");
    assert_json(json_object_get(sample(0), "prediction"), "{\"label\": \"ok\", \"proba\": [0.9, 0.1]}");
    assert_json(json_object_get(sample(1), "features"), "{\"age\": 45, \"city\": \"Lyon\"}");
    assert_json(json_object_get(sample(1), "prediction"), "{\"label\": \"fraud\", \"proba\": [0.2, 0.8]}");
    assert_json(json_object_get(sample(1), "request_id"), "\"rid-9#1\"");
}

static void test_proxy_bad_payload_is_counted_and_the_answer_unchanged(void **state)
{
    struct http_answer ans;
    predict("/v1/models/fraud:predict", "{\"instances\": [{\"a\": 1}, {\"a\": 2}]}", "{\"predictions\": [1]}", NULL,
            &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "{\"predictions\": [1]}");
    http_answer_free(&ans);
    predict("/v1/models/fraud:predict", "not json at all", "<html>oops</html>", NULL, &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "<html>oops</html>");
    http_answer_free(&ans);
    assert_true(metric_reaches("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"tap_bad_payload\"}", 2,
                               10000));
    assert_int_equal(capture_count(), 0);
}

static void test_proxy_counts_taps_for_a_model_the_agent_lacks(void **state)
{
    capture_set_refuse(DW_INGEST_UNKNOWN_MODEL);
    struct http_answer ans;
    predict("/v1/models/fraud:predict", "{\"instances\": [{\"a\": 1}, {\"a\": 2}]}", "{\"predictions\": [1, 0]}",
            NULL, &ans);
    assert_int_equal(ans.status, 200);
    http_answer_free(&ans);
    int counted = metric_reaches("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"unknown_model\"}", 2,
                                 10000);
    capture_set_refuse(0);
    assert_true(counted);
}

static void test_proxy_taps_only_successful_predict_posts(void **state)
{
    struct http_answer ans;
    script(500, "Content-Type: application/json\r\n", "{\"predictions\": [1]}");
    call("POST", "/v1/models/fraud:predict", NULL, "{\"instances\": [{\"a\": 1}]}", 25, &ans);
    assert_int_equal(ans.status, 500);
    http_answer_free(&ans);
    script(200, "Content-Type: application/json\r\n", "{\"predictions\": [1]}");
    call("POST", "/v1/models/fraud:explain", NULL, "{\"instances\": [{\"a\": 1}]}", 25, &ans);
    http_answer_free(&ans);
    call("GET", "/v1/models/fraud:predict", NULL, NULL, 0, &ans);
    http_answer_free(&ans);
    harness_sleep_ms(300);
    assert_int_equal(capture_count(), 0);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"tap_bad_payload\"}") == -1);
}

/* A 200-byte tap queue cannot hold a 300-byte pair: the pair is dropped and counted, the client
 * gets its full answer. */
static void test_proxy_full_tap_queue_drops_and_counts_but_answers(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy("max_tap_queue: 200\n", up_port);
    char request[400];
    snprintf(request, sizeof request, "{\"instances\": [{\"note\": \"%0250d\"}]}", 7);
    struct http_answer ans;
    predict("/v1/models/fraud:predict", request, "{\"predictions\": [0.5]}", NULL, &ans);
    assert_int_equal(ans.status, 200);
    assert_string_equal(ans.body, "{\"predictions\": [0.5]}");
    http_answer_free(&ans);
    assert_true(metric_reaches("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"tap_queue_full\"}", 1,
                               10000));
    assert_int_equal(capture_count(), 0);
}

/* The core takes 300 ms per batch; the queue holds about two pairs. Twenty calls still answer at
 * upstream speed, every pair is either tapped or counted as dropped, and some are dropped. */
static void test_proxy_slow_core_adds_no_latency(void **state)
{
    plugin_instance_free(proxy);
    proxy = start_proxy("max_tap_queue: 100\n", up_port);
    capture_set_delay_ms(300);
    const char *request = "{\"instances\": [{\"amount\": 1}]}";       /* 30 bytes */
    const char *response = "{\"predictions\": [0]}";                  /* 20 bytes */
    int64_t t0 = harness_now_ms();
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        struct http_answer ans;
        predict("/v1/models/fraud:predict", request, response, NULL, &ans);
        assert_int_equal(ans.status, 200);
        if (ans.seconds > worst)
            worst = ans.seconds;
        http_answer_free(&ans);
    }
    int64_t elapsed = harness_now_ms() - t0;
    if (elapsed > 1000 || worst > 0.25)
        fail_msg("20 calls took %lld ms (slowest %.3f s) with a 300 ms core", (long long)elapsed, worst);
    /* Let the tap thread finish what it queued (it runs at idle priority: allow for a busy machine). */
    double dropped = 0;
    size_t tapped = 0;
    for (int waited = 0; waited < 15000; waited += 50) {
        dropped = metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"tap_queue_full\"}");
        tapped = capture_count();
        if ((size_t)(dropped > 0 ? dropped : 0) + tapped >= 20)
            break;
        harness_sleep_ms(50);
    }
    assert_true(dropped >= 1);
    assert_int_equal((size_t)dropped + tapped, 20);
    capture_set_delay_ms(0);
}

static void test_proxy_exports_upstream_duration_histogram(void **state)
{
    script(200, NULL, "ok");
    for (int i = 0; i < 4; i++) {
        struct http_answer ans;
        call("GET", "/x", NULL, NULL, 0, &ans);
        http_answer_free(&ans);
    }
    assert_true(metric_reaches("driftwatch_probe_request_duration_seconds_count", "{probe=\"proxy\"}", 4, 10000));
    assert_true(metric_reaches("driftwatch_probe_requests_total", "{probe=\"proxy\",result=\"ok\"}", 4, 10000));
}

static void test_proxy_rejects_bad_options(void **state)
{
    char err[1024];
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: 127.0.0.1:1\nupstream: http://x\nprotocol: v3\n",
                               DW_KIND_PROBE, err, sizeof err));
    assert_contains(err, "plugin 'proxy': option 'protocol' must be one of v1, v2, auto (got 'v3')");
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: nowhere\nupstream: http://x\n", DW_KIND_PROBE, err,
                               sizeof err));
    assert_contains(err, "option 'listen' must be host:port");
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: :1\nupstream: ftp://x\n", DW_KIND_PROBE, err,
                               sizeof err));
    assert_contains(err, "option 'upstream' must be an http:// or https:// URL");
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: :1\nupstream: http://x\ntap_priority: high\n",
                               DW_KIND_PROBE, err, sizeof err));
    assert_contains(err, "option 'tap_priority' must be one of idle, normal (got 'high')");
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: :1\nupstream: http://x\nhttp_client: wget\n",
                               DW_KIND_PROBE, err, sizeof err));
    assert_contains(err, "option 'http_client' must be one of builtin, curl (got 'wget')");
    assert_null(harness_create("plugin: proxy\nmodel: m\nlisten: :1\nupstream: http://x\nmax_connections: 0\n",
                               DW_KIND_PROBE, err, sizeof err));
    assert_contains(err, "option 'max_connections' must be at least 1 (got '0')");
}

int main(void)
{
    http_client_global_init();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define C(f) {"curl client: " #f, f, setup_curl, teardown, NULL}
    const struct CMUnitTest tests[] = {
        T(test_proxy_forwards_the_request_unchanged),
        T(test_proxy_forwards_methods_without_body),
        T(test_proxy_returns_status_headers_and_body_unchanged),
        T(test_proxy_forwards_large_bodies_both_ways),
        T(test_proxy_rechunks_chunked_responses),
        T(test_proxy_answers_head_with_upstream_length),
        T(test_proxy_upstream_down_is_502_json_and_proxy_survives),
        T(test_proxy_upstream_timeout_is_504),
        T(test_proxy_request_over_max_body_is_413),
        T(test_proxy_stop_does_not_wait_for_a_slow_upstream),
        C(test_proxy_stop_does_not_wait_for_a_slow_upstream),
        T(test_proxy_reuses_upstream_connections),
        T(test_proxy_reads_an_answer_delimited_by_close),
        T(test_proxy_skips_interim_answers),
        T(test_proxy_decodes_chunk_extensions_and_trailers),
        T(test_proxy_relays_no_content),
        T(test_proxy_replaces_connections_the_upstream_closed),
        T(test_proxy_malformed_answer_is_502),
        T(test_proxy_does_not_stall_on_a_nagling_upstream),
        C(test_proxy_does_not_stall_on_a_nagling_upstream),
        C(test_proxy_forwards_the_request_unchanged),
        C(test_proxy_forwards_methods_without_body),
        C(test_proxy_returns_status_headers_and_body_unchanged),
        C(test_proxy_forwards_large_bodies_both_ways),
        C(test_proxy_rechunks_chunked_responses),
        C(test_proxy_answers_head_with_upstream_length),
        C(test_proxy_upstream_timeout_is_504),
        C(test_proxy_reuses_upstream_connections),
        C(test_proxy_skips_interim_answers),
        C(test_proxy_taps_v1_object_instances),
        T(test_proxy_taps_v1_object_instances),
        cmocka_unit_test_setup_teardown(test_proxy_taps_v1_positional_instances_through_feature_names, setup_names,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy_taps_v2_tensor_through_feature_names, setup_names, teardown),
        T(test_proxy_taps_v2_named_inputs_and_several_outputs),
        T(test_proxy_bad_payload_is_counted_and_the_answer_unchanged),
        T(test_proxy_counts_taps_for_a_model_the_agent_lacks),
        T(test_proxy_taps_only_successful_predict_posts),
        T(test_proxy_full_tap_queue_drops_and_counts_but_answers),
        T(test_proxy_slow_core_adds_no_latency),
        T(test_proxy_exports_upstream_duration_histogram),
        cmocka_unit_test(test_proxy_rejects_bad_options),
    };
#undef T
#undef C
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
