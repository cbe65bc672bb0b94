/* The core's HTTP client (core/http/http_client.c) against the fake Vertex AI server's fault injection:
 * which answers are retried (network errors, 429, 500, 502, 503, 504; never other 4xx), backoff
 * bounded by the deadline, Retry-After, per-attempt timeouts, and what errors may say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http/http_client.h"
#include "vertex_harness.h"

#define LIST "/v1/projects/p/locations/l/customJobs"

static struct fake vertex;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int group_setup(void **state)
{
    (void)state;
    http_client_global_init();
    return fake_start(&vertex, "tests/fakes/vertex/fake_vertex.py", NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    fake_stop(&vertex);
    tmp_cleanup();
    http_client_global_cleanup();
    return 0;
}

static int setup(void **state)
{
    (void)state;
    setenv("DW_HTTP_BACKOFF_MS", "20", 1);
    unsetenv("DW_HTTP_BACKOFF_MAX_MS");
    return fake_post(&vertex, "/_fake/reset", "{}");
}

static void faults(const char *json)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"faults\": [%s]}", json);
    assert_int_equal(fake_post(&vertex, "/_fake/faults", body), 0);
}

/* GET the custom-job list (a 200 {} from the fake when no fault applies). */
static int get_list(const char *query, int max_attempts, int64_t timeout_ms, int64_t deadline_ms,
                    struct dw_http_client_response *resp, char *err, size_t errlen)
{
    char url[512];
    const char *headers[] = {"Authorization: Bearer t", NULL};
    snprintf(url, sizeof url, "%s%s%s", vertex.url, LIST, query ? query : "");
    struct dw_http_client_request req = {.method = "GET", .url = url, .headers = headers, .timeout_ms = timeout_ms,
                                         .max_attempts = max_attempts, .deadline_ms = deadline_ms};
    err[0] = '\0';
    return http_client_request(&req, resp, err, errlen);
}

static void test_retries_429_then_answers_with_the_attempt_count(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    faults("{\"path\": \"/customJobs$\", \"status\": 429, \"times\": 3}");
    assert_int_equal(get_list(NULL, 5, 2000, 10000, &resp, err, sizeof err), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 4);
    assert_string_equal(resp.body, "{}");
    assert_int_equal(fake_count(&vertex, "GET", LIST), 4);
    free(resp.body);
}

static void test_retries_each_retryable_5xx(void **state)
{
    (void)state;
    static const int codes[] = {500, 502, 503, 504};
    for (size_t i = 0; i < 4; i++) {
        struct dw_http_client_response resp;
        char err[512], f[256];
        assert_int_equal(fake_post(&vertex, "/_fake/reset", "{}"), 0);
        snprintf(f, sizeof f, "{\"path\": \"/customJobs$\", \"status\": %d}", codes[i]);
        faults(f);
        assert_int_equal(get_list(NULL, 3, 2000, 10000, &resp, err, sizeof err), 0);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.attempts, 2);
        free(resp.body);
    }
}

static void test_other_4xx_are_never_retried(void **state)
{
    (void)state;
    static const int codes[] = {400, 401, 403, 404, 409};
    for (size_t i = 0; i < 5; i++) {
        struct dw_http_client_response resp;
        char err[512], f[256];
        assert_int_equal(fake_post(&vertex, "/_fake/reset", "{}"), 0);
        snprintf(f, sizeof f, "{\"path\": \"/customJobs$\", \"status\": %d}", codes[i]);
        faults(f);
        assert_int_equal(get_list(NULL, 5, 2000, 10000, &resp, err, sizeof err), 0);
        assert_int_equal(resp.status, codes[i]);
        assert_int_equal(resp.attempts, 1);
        assert_non_null(strstr(resp.body, "\"error\""));
        assert_int_equal(fake_count(&vertex, "GET", LIST), 1);
        free(resp.body);
    }
}

static void test_a_503_storm_is_bounded_by_the_deadline(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    setenv("DW_HTTP_BACKOFF_MS", "100", 1);
    faults("{\"path\": \"/customJobs$\", \"status\": 503, \"times\": -1}");
    int64_t t0 = now_ms();
    assert_int_equal(get_list(NULL, 1000, 500, 1000, &resp, err, sizeof err), 0);
    int64_t took = now_ms() - t0;
    /* Whatever arrived last is returned once no further attempt fits before the deadline. */
    assert_int_equal(resp.status, 503);
    assert_true(took < 1500);
    assert_true(resp.attempts >= 2 && resp.attempts <= 12);
    assert_int_equal((size_t)resp.attempts, fake_count(&vertex, "GET", LIST));
    free(resp.body);
}

static void test_backoff_cap_is_honoured(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    /* Initial 1 s capped at 10 ms: four retries take well under 1 s. */
    setenv("DW_HTTP_BACKOFF_MS", "1000", 1);
    setenv("DW_HTTP_BACKOFF_MAX_MS", "10", 1);
    faults("{\"path\": \"/customJobs$\", \"status\": 500, \"times\": 4}");
    int64_t t0 = now_ms();
    assert_int_equal(get_list(NULL, 5, 2000, 10000, &resp, err, sizeof err), 0);
    assert_true(now_ms() - t0 < 800);
    assert_int_equal(resp.attempts, 5);
    free(resp.body);
}

static void test_retry_after_is_honoured(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    faults("{\"path\": \"/customJobs$\", \"status\": 429, \"retry_after\": 1}");
    int64_t t0 = now_ms();
    assert_int_equal(get_list(NULL, 3, 2000, 10000, &resp, err, sizeof err), 0);
    assert_true(now_ms() - t0 >= 1000);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 2);
    free(resp.body);
}

static void test_retry_after_beyond_the_deadline_returns_at_once(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    faults("{\"path\": \"/customJobs$\", \"status\": 503, \"retry_after\": 30}");
    int64_t t0 = now_ms();
    assert_int_equal(get_list(NULL, 5, 1000, 2000, &resp, err, sizeof err), 0);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.attempts, 1);
    free(resp.body);
}

static void test_a_slow_answer_times_out_per_attempt_then_is_retried(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    faults("{\"path\": \"/customJobs$\", \"delay\": 2}");
    int64_t t0 = now_ms();
    assert_int_equal(get_list(NULL, 2, 300, 5000, &resp, err, sizeof err), 0);
    assert_true(now_ms() - t0 < 1500);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 2);
    free(resp.body);
}

static void test_network_error_names_method_and_url_without_query(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    /* A port nothing listens on: take one from a fake, then stop that fake. */
    struct fake gone;
    assert_int_equal(fake_start(&gone, "tests/fakes/vertex/fake_vertex.py", NULL), 0);
    fake_stop(&gone);
    char url[256];
    snprintf(url, sizeof url, "http://user:pw@127.0.0.1:%d/v1/x?key=very-secret-query", gone.port);
    struct dw_http_client_request req = {.method = "GET", .url = url, .timeout_ms = 500, .max_attempts = 2};
    assert_int_equal(http_client_request(&req, &resp, err, sizeof err), -1);
    assert_int_equal(resp.status, 0);
    assert_int_equal(resp.attempts, 2);
    char expect[128];
    snprintf(expect, sizeof expect, "GET http://127.0.0.1:%d/v1/x?...: Couldn't connect to server", gone.port);
    assert_non_null(strstr(err, expect));
    assert_non_null(strstr(err, "(after 2 attempts)"));
    assert_null(strstr(err, "very-secret-query"));
    assert_null(strstr(err, "pw@"));
}

static void test_an_empty_answer_is_an_empty_string(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char err[512];
    faults("{\"path\": \"/customJobs$\", \"status\": 200, \"body\": \"\"}");
    assert_int_equal(get_list(NULL, 1, 2000, 2000, &resp, err, sizeof err), 0);
    assert_int_equal(resp.status, 200);
    assert_non_null(resp.body);
    assert_int_equal(resp.body_len, 0);
    assert_string_equal(resp.body, "");
    free(resp.body);
}

static void test_post_sends_body_and_headers(void **state)
{
    (void)state;
    struct dw_http_client_response resp;
    char url[256], err[512];
    const char *headers[] = {"Authorization: Bearer t", "Content-Type: application/json", "X-Test: yes", NULL};
    static const char body[] = "{\"displayName\": \"d\", \"jobSpec\": {\"workerPoolSpecs\": [{\"machineSpec\": "
                               "{\"machineType\": \"n1-standard-4\"}, \"replicaCount\": \"1\", \"containerSpec\": "
                               "{\"imageUri\": \"i\"}}]}}";
    snprintf(url, sizeof url, "%s%s", vertex.url, LIST);
    struct dw_http_client_request req = {.method = "POST", .url = url, .headers = headers, .body = body,
                                         .body_len = strlen(body), .timeout_ms = 2000, .max_attempts = 1};
    assert_int_equal(http_client_request(&req, &resp, err, sizeof err), 0);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"JOB_STATE_QUEUED\""));
    free(resp.body);
    json_t *r = fake_request(&vertex, "POST", LIST, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "headers"), "x-test")), "yes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "body"), "displayName")), "d");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_retries_429_then_answers_with_the_attempt_count, setup),
        cmocka_unit_test_setup(test_retries_each_retryable_5xx, setup),
        cmocka_unit_test_setup(test_other_4xx_are_never_retried, setup),
        cmocka_unit_test_setup(test_a_503_storm_is_bounded_by_the_deadline, setup),
        cmocka_unit_test_setup(test_backoff_cap_is_honoured, setup),
        cmocka_unit_test_setup(test_retry_after_is_honoured, setup),
        cmocka_unit_test_setup(test_retry_after_beyond_the_deadline_returns_at_once, setup),
        cmocka_unit_test_setup(test_a_slow_answer_times_out_per_attempt_then_is_retried, setup),
        cmocka_unit_test_setup(test_network_error_names_method_and_url_without_query, setup),
        cmocka_unit_test_setup(test_an_empty_answer_is_an_empty_string, setup),
        cmocka_unit_test_setup(test_post_sends_body_and_headers, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
