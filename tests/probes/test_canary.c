/* Tests for the canary probe against a scripted loopback model server: success, wrong status,
 * timeout, connection failure and answer mismatch are each counted; the schedule repeats; the
 * optional sample is the canary's own prediction; stop does not wait for a slow model. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http_client.h"
#include "util/metrics.h"
#include "probe_harness.h"
#include "upstream.h"

static char *dir;
static char payload_path[512], expect_path[512];
static int up_port;
static const char *payload = "{\"instances\": [{\"amount\": 42.0, \"country\": \"FR\"}]}";

static int setup(void **state)
{
    dir = harness_tmpdir();
    snprintf(payload_path, sizeof payload_path, "%s/payload.json", dir);
    snprintf(expect_path, sizeof expect_path, "%s/expect.json", dir);
    write_file(payload_path, payload);
    capture_install();
    capture_reset();
    metrics_reset();
    up_port = upstream_start();
    return 0;
}

static int teardown(void **state)
{
    upstream_stop();
    harness_rmtree(dir);
    free(dir);
    return 0;
}

static void answer_with(int status, const char *body, int delay_ms)
{
    struct upstream_script s = {.status = status,
                                .headers = "Content-Type: application/json\r\n",
                                .body = body,
                                .body_len = strlen(body),
                                .delay_ms = delay_ms};
    upstream_set(&s);
}

static struct plugin_instance *start_canary(int port, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "plugin: canary\nmodel: fraud\nurl: http://127.0.0.1:%d/v1/models/fraud:predict\npayload: %s\n"
             "every: 1h\n%s",
             port, payload_path, extra ? extra : "");
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_PROBE, NULL, 0);
    harness_start(pi);
    return pi;
}

/* Waits until driftwatch_probe_requests_total{probe="canary",result} reaches n. */
static void wait_result(const char *result, double n)
{
    char labels[128];
    snprintf(labels, sizeof labels, "{probe=\"canary\",result=\"%s\"}", result);
    int64_t deadline = harness_now_ms() + 5000;
    while (metric_value("driftwatch_probe_requests_total", labels) < n) {
        if (harness_now_ms() > deadline)
            fail_msg("no %s result after 5 s", result);
        harness_sleep_ms(10);
    }
}

static double success_gauge(void)
{
    return metric_value("driftwatch_probe_success", "{probe=\"canary\"}");
}

static void test_canary_success_is_counted_with_latency(void **state)
{
    answer_with(200, "{\"predictions\": [0.12]}", 0);
    struct plugin_instance *pi = start_canary(up_port, NULL);
    wait_result("success", 1);
    assert_true(success_gauge() == 1);
    assert_true(metric_value("driftwatch_probe_request_duration_seconds_count", "{probe=\"canary\"}") == 1);
    /* The payload went out as it is in the file. */
    char *head, *body;
    size_t len;
    upstream_last(&head, &body, &len);
    assert_true(strncmp(head, "POST /v1/models/fraud:predict HTTP/1.1\r\n", 40) == 0);
    assert_non_null(strstr(head, "\r\nContent-Type: application/json"));
    assert_string_equal(body, payload);
    free(head);
    free(body);
    plugin_instance_free(pi);
    assert_int_equal(capture_count(), 0); /* emit is off by default */
}

static void test_canary_wrong_status_is_a_failure(void **state)
{
    answer_with(503, "{\"error\": \"model not loaded\"}", 0);
    struct plugin_instance *pi = start_canary(up_port, NULL);
    wait_result("status_mismatch", 1);
    assert_true(success_gauge() == 0);
    plugin_instance_free(pi);
}

static void test_canary_expected_status_can_be_other_than_200(void **state)
{
    answer_with(201, "{}", 0);
    struct plugin_instance *pi = start_canary(up_port, "expect_status: 201\n");
    wait_result("success", 1);
    plugin_instance_free(pi);
}

static void test_canary_timeout_is_a_failure(void **state)
{
    answer_with(200, "{\"predictions\": [0.12]}", 1000);
    struct plugin_instance *pi = start_canary(up_port, "timeout: 150ms\n");
    wait_result("timeout", 1);
    assert_true(success_gauge() == 0);
    plugin_instance_free(pi);
}

static void test_canary_unreachable_model_is_an_error(void **state)
{
    struct plugin_instance *pi = start_canary(free_port(), NULL);
    wait_result("error", 1);
    assert_true(success_gauge() == 0);
    plugin_instance_free(pi);
}

static void test_canary_substring_mismatch_is_an_answer_failure(void **state)
{
    answer_with(200, "{\"predictions\": [\"ok\"]}", 0);
    struct plugin_instance *pi = start_canary(up_port, "expect: fraud\n");
    wait_result("answer_mismatch", 1);
    assert_true(success_gauge() == 0);
    plugin_instance_free(pi);
    metrics_reset();
    pi = start_canary(up_port, "expect: '\"ok\"'\n");
    wait_result("success", 1);
    plugin_instance_free(pi);
}

static void test_canary_expected_json_file_compares_values(void **state)
{
    write_file(expect_path, "{\"predictions\": [0.5, \"fraud\"]}");
    char extra[700];
    snprintf(extra, sizeof extra, "expect: %s\n", expect_path);

    answer_with(200, "{ \"predictions\" : [ 0.50, \"fraud\" ] }", 0); /* same JSON, other spelling */
    struct plugin_instance *pi = start_canary(up_port, extra);
    wait_result("success", 1);
    plugin_instance_free(pi);

    metrics_reset();
    answer_with(200, "{\"predictions\": [0.6, \"fraud\"]}", 0);
    pi = start_canary(up_port, extra);
    wait_result("answer_mismatch", 1);
    plugin_instance_free(pi);

    metrics_reset();
    snprintf(extra, sizeof extra, "expect: %s\ntolerance: 0.15\n", expect_path);
    pi = start_canary(up_port, extra);
    wait_result("success", 1);
    plugin_instance_free(pi);
}

static void test_canary_runs_on_its_schedule(void **state)
{
    answer_with(200, "{\"predictions\": [1]}", 0);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "plugin: canary\nmodel: fraud\nurl: http://127.0.0.1:%d/predict\npayload: %s\nevery: 50ms\n", up_port,
             payload_path);
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_PROBE, NULL, 0);
    harness_start(pi);
    harness_sleep_ms(420);
    plugin_instance_free(pi);
    size_t n = upstream_requests();
    /* 420 ms at one check per 50 ms: the first at start, then about eight more. */
    if (n < 5 || n > 10)
        fail_msg("%zu checks in 420 ms with every: 50ms", n);
    assert_true(metric_value("driftwatch_probe_requests_total", "{probe=\"canary\",result=\"success\"}") == (double)n);
    assert_int_equal(upstream_connections(), 1); /* one kept-alive connection */
}

static void test_canary_emits_its_own_prediction_when_asked(void **state)
{
    answer_with(200, "{\"predictions\": [0.87]}", 0);
    struct plugin_instance *pi = start_canary(up_port, "emit: true\n");
    assert_int_equal(capture_wait(1, 5000), 1);
    json_t *s = capture_get(0);
    json_t *expected = json_loads("{\"amount\": 42.0, \"country\": \"FR\"}", 0, NULL);
    assert_true(json_equal(json_object_get(s, "features"), expected));
    json_decref(expected);
    assert_true(json_real_value(json_object_get(s, "prediction")) == 0.87);
    plugin_instance_free(pi);
}

static void test_canary_stop_does_not_wait_for_a_slow_model(void **state)
{
    answer_with(200, "{}", 2500);
    struct plugin_instance *pi = start_canary(up_port, "timeout: 10s\n");
    harness_sleep_ms(100); /* the check is now waiting for its answer */
    int64_t t0 = harness_now_ms();
    plugin_instance_free(pi);
    int64_t took = harness_now_ms() - t0;
    if (took > 1500)
        fail_msg("stop took %lld ms", (long long)took);
}

static void test_canary_rejects_bad_options(void **state)
{
    char err[1024];
    assert_null(harness_create("plugin: canary\nmodel: m\nurl: http://x/\npayload: /nonexistent/p.json\n",
                               DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "cannot read the payload file /nonexistent/p.json"));
    assert_null(harness_create("plugin: canary\nmodel: m\nurl: x\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'url' must be an http://"));
    assert_null(harness_create("plugin: canary\nmodel: m\nurl: http://x/\nemit: true\n", DW_KIND_PROBE, err,
                               sizeof err));
    assert_non_null(strstr(err, "'emit' needs a 'payload'"));
    assert_null(harness_create("plugin: canary\nmodel: m\nurl: http://x/\nexpect_status: 600\n", DW_KIND_PROBE, err,
                               sizeof err));
    assert_non_null(strstr(err, "plugin 'canary': option 'expect_status' must be at most 599 (got '600')"));
    assert_null(harness_create("plugin: canary\nmodel: m\nurl: http://x/\ntolerance: -0.5\n", DW_KIND_PROBE, err,
                               sizeof err));
    assert_non_null(strstr(err, "option 'tolerance' must be at least 0 (got '-0.5')"));
    write_file(expect_path, "{\"broken\": ");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "plugin: canary\nmodel: m\nurl: http://x/\nexpect: %s\n", expect_path);
    assert_null(harness_create(yaml, DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'expect': "));
}

int main(void)
{
    http_client_global_init();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_canary_success_is_counted_with_latency),
        T(test_canary_wrong_status_is_a_failure),
        T(test_canary_expected_status_can_be_other_than_200),
        T(test_canary_timeout_is_a_failure),
        T(test_canary_unreachable_model_is_an_error),
        T(test_canary_substring_mismatch_is_an_answer_failure),
        T(test_canary_expected_json_file_compares_values),
        T(test_canary_runs_on_its_schedule),
        T(test_canary_emits_its_own_prediction_when_asked),
        T(test_canary_stop_does_not_wait_for_a_slow_model),
        T(test_canary_rejects_bad_options),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
