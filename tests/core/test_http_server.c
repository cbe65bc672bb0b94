/* Tests for the agent's HTTP server over real loopback HTTP: built-in endpoints, routes, bearer
 * auth (401/403), body limits (413), unknown routes and methods, JSON error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"
#include "http/http_server.h"
#include "util/metrics.h"
#include "http/routes.h"

static struct http_server *srv;

static void echo_route(void *ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    char *body = malloc(req->body_len + 64);
    int n = snprintf(body, req->body_len + 64, "{\"len\": %zu, \"ctx\": \"%s\"}", req->body_len, (const char *)ctx);
    resp->status = 202;
    resp->body = body;
    resp->body_len = (size_t)n;
}

static int not_ready(void *ctx, char *why, size_t whylen)
{
    snprintf(why, whylen, "baseline not loaded");
    return -1;
}

static int setup(void **state)
{
    http_client_global_init();
    routes_register("POST", "/v1/echo", echo_route, "c1");
    struct http_server_options o = {.host = "127.0.0.1", .port = 0, .max_body_bytes = 1024, .max_connections = 16,
                                    .auth_token = "tok-0123456789", .ready = not_ready};
    char err[256];
    srv = http_server_start(&o, err, sizeof err);
    return srv ? 0 : -1;
}

static int teardown(void **state)
{
    http_server_stop(srv);
    routes_clear();
    metrics_reset();
    http_client_global_cleanup();
    return 0;
}

static long request(const char *method, const char *path, const char *auth, const char *body, size_t body_len,
                    char **resp_body)
{
    char url[128], authz[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", http_server_port(srv), path);
    snprintf(authz, sizeof authz, "Authorization: %s", auth ? auth : "");
    const char *headers[] = {auth ? authz : "X-None: 1", "Content-Type: application/json", NULL};
    struct dw_http_client_request req = {.method = method, .url = url, .headers = headers, .body = body,
                                         .body_len = body_len, .timeout_ms = 5000, .max_attempts = 1};
    struct dw_http_client_response resp = {0};
    char err[256];
    assert_int_equal(http_client_request(&req, &resp, err, sizeof err), 0);
    if (resp_body)
        *resp_body = resp.body;
    else
        free(resp.body);
    return resp.status;
}

static void test_http_builtins(void **state)
{
    char *body;
    metrics_gauge_set("driftwatch_build_info", "b", (const char *[]){"version", "t", NULL}, 1);
    assert_int_equal(request("GET", "/healthz", NULL, NULL, 0, &body), 200);
    assert_string_equal(body, "ok\n");
    free(body);
    assert_int_equal(request("GET", "/readyz", NULL, NULL, 0, &body), 503);
    assert_string_equal(body, "not ready: baseline not loaded\n");
    free(body);
    assert_int_equal(request("GET", "/metrics", NULL, NULL, 0, &body), 200);
    assert_non_null(strstr(body, "driftwatch_build_info{version=\"t\"} 1\n"));
    free(body);
}

static void test_http_write_routes_need_the_bearer_token(void **state)
{
    char *body;
    assert_int_equal(request("POST", "/v1/echo", NULL, "{}", 2, &body), 401);
    assert_string_equal(body, "{\"error\": \"this route needs 'Authorization: Bearer <token>'\", \"status\": 401}\n");
    free(body);
    assert_int_equal(request("POST", "/v1/echo", "Bearer wrong", "{}", 2, &body), 403);
    assert_string_equal(body, "{\"error\": \"the bearer token is not valid\", \"status\": 403}\n");
    free(body);
    assert_int_equal(request("POST", "/v1/echo", "Bearer tok-0123456789", "{\"a\":1}", 7, &body), 202);
    assert_string_equal(body, "{\"len\": 7, \"ctx\": \"c1\"}");
    free(body);
}

static void test_http_body_over_limit_is_413(void **state)
{
    char big[2048];
    memset(big, 'x', sizeof big);
    char *body;
    assert_int_equal(request("POST", "/v1/echo", "Bearer tok-0123456789", big, sizeof big, &body), 413);
    assert_string_equal(body, "{\"error\": \"request body larger than the limit of 1024 bytes\", \"status\": 413}\n");
    free(body);
}

static void test_http_unknown_route_and_method(void **state)
{
    char *body;
    assert_int_equal(request("GET", "/nope", NULL, NULL, 0, &body), 404);
    assert_string_equal(body, "{\"error\": \"no such route\", \"status\": 404}\n");
    free(body);
    assert_int_equal(request("GET", "/v1/echo", NULL, NULL, 0, NULL), 405);
    assert_int_equal(request("POST", "/metrics", "Bearer tok-0123456789", "", 0, NULL), 405);
}

static void test_bearer_check_is_exact(void **state)
{
    assert_int_equal(http_check_bearer("Bearer abc", "abc"), 0);
    assert_int_equal(http_check_bearer("bearer abc", "abc"), 0);
    assert_int_equal(http_check_bearer("Bearer abcd", "abc"), -2);
    assert_int_equal(http_check_bearer("Bearer ab", "abc"), -2);
    assert_int_equal(http_check_bearer("Basic abc", "abc"), -1);
    assert_int_equal(http_check_bearer(NULL, "abc"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_builtins),
        cmocka_unit_test(test_http_write_routes_need_the_bearer_token),
        cmocka_unit_test(test_http_body_over_limit_is_413),
        cmocka_unit_test(test_http_unknown_route_and_method),
        cmocka_unit_test(test_bearer_check_is_exact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
