/* Tests for the push probe over the agent's real HTTP server on loopback: accepted shapes with
 * exact counts, 415, 400/202 answers naming the NDJSON line and the JSON path, limits, metrics. */
#include <curl/curl.h>
#include <jansson.h>
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
#include "http/routes.h"

static char base[128];
static struct plugin_instance *push;

static int setup(void **state)
{
    capture_install();
    capture_reset();
    metrics_reset();
    routes_clear();
    push = harness_create("plugin: push\nmodel: fraud\nmax_batch: 5\nmax_errors: 3\n", DW_KIND_PROBE, NULL, 0);
    harness_start(push);
    return 0;
}

static int teardown(void **state)
{
    plugin_instance_free(push);
    routes_clear();
    return 0;
}

/* POSTs body with the content type; returns the decoded answer (the test owns it). */
static json_t *post(const char *content_type, const char *body, long expect_status)
{
    char url[256], ct[128];
    snprintf(url, sizeof url, "%s/v1/models/fraud/samples", base);
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "");
    const char *headers[] = {ct, NULL};
    struct http_answer ans;
    assert_int_equal(http_call("POST", url, content_type ? headers : NULL, body, strlen(body), &ans), 0);
    if (ans.status != expect_status)
        fail_msg("status %ld, expected %ld: %s", ans.status, expect_status, ans.body);
    assert_non_null(strstr(ans.headers, "Content-Type: application/json"));
    json_error_t jerr;
    json_t *doc = json_loadb(ans.body, ans.body_len, 0, &jerr);
    if (!doc)
        fail_msg("answer is not JSON: %s", ans.body);
    http_answer_free(&ans);
    return doc;
}

static json_int_t int_at(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

static const char *str_at(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", key);
    return json_string_value(v);
}

static void assert_captured_amount(size_t i, double amount)
{
    json_t *s = capture_get(i);
    assert_non_null(s);
    json_t *f = json_object_get(s, "features");
    json_t *a = json_object_get(f ? f : s, "amount");
    assert_true(json_is_number(a));
    assert_true(json_number_value(a) == amount);
}

static void test_push_accepts_json_array_with_exact_counts(void **state)
{
    json_t *a = post("application/json",
                     "[{\"features\": {\"amount\": 1.5, \"country\": \"FR\"}, \"prediction\": 0.1,"
                     "  \"timestamp\": \"2024-05-01T12:00:00Z\", \"request_id\": \"r1\"},"
                     " {\"features\": {\"amount\": 2, \"country\": null}, \"prediction\": \"fraud\"},"
                     " {\"amount\": 3, \"country\": \"DE\"}]",
                     202);
    assert_int_equal(int_at(a, "accepted"), 3);
    assert_int_equal(int_at(a, "rejected"), 0);
    assert_int_equal(json_array_size(json_object_get(a, "errors")), 0);
    json_decref(a);
    assert_int_equal(capture_count(), 3);
    assert_captured_amount(0, 1.5);
    assert_captured_amount(1, 2);
    assert_captured_amount(2, 3);
    assert_string_equal(json_string_value(json_object_get(capture_get(0), "request_id")), "r1");
}

static void test_push_accepts_one_json_object(void **state)
{
    json_t *a = post("application/json; charset=utf-8", "{\"features\": {\"amount\": 7}, \"prediction\": [0.2, 0.8]}",
                     202);
    assert_int_equal(int_at(a, "accepted"), 1);
    assert_int_equal(int_at(a, "rejected"), 0);
    json_decref(a);
    assert_int_equal(capture_count(), 1);
    assert_captured_amount(0, 7);
}

static void test_push_accepts_ndjson_and_jsonl_with_blank_lines_and_crlf(void **state)
{
    json_t *a = post("application/x-ndjson", "{\"amount\": 1}\n\n{\"amount\": 2}\r\n{\"features\": {\"amount\": 3}}", 202);
    assert_int_equal(int_at(a, "accepted"), 3);
    json_decref(a);
    a = post("application/jsonl", "{\"amount\": 4}\n", 202);
    assert_int_equal(int_at(a, "accepted"), 1);
    json_decref(a);
    assert_int_equal(capture_count(), 4);
    for (size_t i = 0; i < 4; i++)
        assert_captured_amount(i, (double)(i + 1));
}

static void test_push_refuses_other_content_types_with_415(void **state)
{
    json_t *a = post("text/plain", "{\"amount\": 1}", 415);
    assert_non_null(strstr(str_at(a, "error"), "not 'text/plain'"));
    json_decref(a);
    a = post(NULL, "{\"amount\": 1}", 415);
    json_decref(a);
    a = post("application/xml", "<x/>", 415);
    json_decref(a);
    assert_int_equal(capture_count(), 0);
}

/* Line 2 is not JSON, line 3 nests an object in a feature, line 4 is fine: 202 with one accepted,
 * each rejection named by its line and JSON path; only line 1 and 4 reach the core. */
static void test_push_ndjson_rejections_name_line_and_path(void **state)
{
    json_t *a = post("application/x-ndjson",
                     "{\"features\": {\"amount\": 1}}\n"
                     "{\"features\": {\"amount\": }\n"
                     "{\"features\": {\"amount\": {\"eur\": 3}}}\n"
                     "{\"features\": {\"amount\": 4}, \"timestamp\": \"2024-05-01T12:00:00.5+02:00\"}\n",
                     202);
    assert_int_equal(int_at(a, "accepted"), 2);
    assert_int_equal(int_at(a, "rejected"), 2);
    json_t *errors = json_object_get(a, "errors");
    assert_int_equal(json_array_size(errors), 2);
    json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
    assert_int_equal(int_at(e0, "line"), 2);
    assert_non_null(strstr(str_at(e0, "error"), "invalid JSON at column"));
    assert_int_equal(int_at(e1, "line"), 3);
    assert_string_equal(str_at(e1, "path"), "$.features.amount");
    json_decref(a);
    assert_int_equal(capture_count(), 2);
    assert_captured_amount(0, 1);
    assert_captured_amount(1, 4);
}

static void test_push_json_array_rejection_names_index_path(void **state)
{
    json_t *a = post("application/json",
                     "[{\"amount\": 1}, {\"amount\": 2}, {\"amount\": 3}, {\"features\": {\"amount\": [1, 2]}},"
                     " {\"features\": {\"amount\": 5}, \"timestamp\": \"yesterday\"}]",
                     202);
    assert_int_equal(int_at(a, "accepted"), 3);
    assert_int_equal(int_at(a, "rejected"), 2);
    json_t *errors = json_object_get(a, "errors");
    assert_string_equal(str_at(json_array_get(errors, 0), "path"), "$[3].features.amount");
    assert_null(json_object_get(json_array_get(errors, 0), "line"));
    assert_string_equal(str_at(json_array_get(errors, 1), "path"), "$[4].timestamp");
    json_decref(a);
    assert_int_equal(capture_count(), 3);
    assert_captured_amount(2, 3);
}

static void test_push_nothing_acceptable_is_400_naming_line(void **state)
{
    json_t *a = post("application/x-ndjson", "\n[1, 2]\n{\"features\": \"amount=3\"}\n", 400);
    const char *msg = str_at(a, "error");
    if (!strstr(msg, "line 2: $: a sample must be a JSON object"))
        fail_msg("unexpected error: %s", msg);
    assert_int_equal(int_at(a, "rejected"), 2);
    assert_int_equal(int_at(a, "accepted"), 0);
    json_t *e1 = json_array_get(json_object_get(a, "errors"), 1);
    assert_int_equal(int_at(e1, "line"), 3);
    assert_string_equal(str_at(e1, "path"), "$.features");
    json_decref(a);
    assert_int_equal(capture_count(), 0);
}

static void test_push_nothing_acceptable_is_400_naming_json_path(void **state)
{
    json_t *a = post("application/json", "[{\"features\": {\"amount\": {\"x\": 1}}}, {}]", 400);
    const char *msg = str_at(a, "error");
    if (!strstr(msg, "$[0].features.amount: a feature value must be"))
        fail_msg("unexpected error: %s", msg);
    assert_string_equal(str_at(json_array_get(json_object_get(a, "errors"), 1), "path"), "$[1]");
    json_decref(a);
    assert_int_equal(capture_count(), 0);
}

static void test_push_invalid_json_body_is_400_with_position(void **state)
{
    json_t *a = post("application/json", "[{\"amount\": 1},\n {\"amount\": }]", 400);
    assert_int_equal(int_at(a, "line"), 2);
    assert_non_null(strstr(str_at(a, "error"), "invalid JSON at line 2"));
    json_decref(a);
    /* NDJSON sent as application/json: the answer says what to do. */
    a = post("application/json", "{\"amount\": 1}\n{\"amount\": 2}\n", 400);
    assert_non_null(strstr(str_at(a, "error"), "application/x-ndjson"));
    json_decref(a);
    a = post("application/json", "   ", 400);
    assert_non_null(strstr(str_at(a, "error"), "empty"));
    json_decref(a);
}

static void test_push_refuses_batch_over_max_batch_with_413(void **state)
{
    json_t *a = post("application/x-ndjson", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n{\"a\":5}\n{\"a\":6}\n", 413);
    assert_non_null(strstr(str_at(a, "error"), "6 samples is larger than max_batch (5)"));
    json_decref(a);
    a = post("application/json", "[1,2,3,4,5,6]", 413);
    json_decref(a);
    assert_int_equal(capture_count(), 0);
    /* Exactly max_batch is fine. */
    a = post("application/x-ndjson", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n{\"a\":5}\n", 202);
    json_decref(a);
}

static void test_push_lists_only_max_errors_but_counts_all(void **state)
{
    json_t *a = post("application/x-ndjson", "1\n2\n3\n4\n{\"a\": 1}\n", 202);
    assert_int_equal(int_at(a, "rejected"), 4);
    assert_int_equal(json_array_size(json_object_get(a, "errors")), 3);
    json_decref(a);
}

static void test_push_counts_received_and_rejected_by_reason(void **state)
{
    json_decref(post("application/x-ndjson", "{\"a\": 1}\nnot json\n[1]\n{\"a\": 2}\n", 202));
    json_decref(post("application/json", "[{\"a\": 3}]", 202));
    assert_true(metric_value("driftwatch_samples_received_total", "{model=\"fraud\",probe=\"push\"}") == 5);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"invalid_json\"}") == 1);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"invalid_sample\"}") == 1);
}

static void test_push_without_sample_pipeline_is_503(void **state)
{
    host_set_ingest(NULL);
    json_t *a = post("application/json", "{\"a\": 1}", 503);
    assert_non_null(strstr(str_at(a, "error"), "the agent has no sample pipeline"));
    json_decref(a);
    capture_install();
}

static void test_push_answers_404_when_the_agent_has_no_such_model(void **state)
{
    capture_set_refuse(DW_INGEST_UNKNOWN_MODEL);
    json_t *a = post("application/json", "{\"a\": 1}", 404);
    assert_non_null(strstr(str_at(a, "error"), "unknown model 'fraud'"));
    json_decref(a);
    capture_set_refuse(0);
}

static void test_push_answers_503_when_the_agent_cannot_store_samples(void **state)
{
    capture_set_refuse(DW_INGEST_UNAVAILABLE);
    json_t *a = post("application/x-ndjson", "{\"a\": 1}\n{\"a\": 2}\n", 503);
    assert_non_null(strstr(str_at(a, "error"), "retry later"));
    json_decref(a);
    capture_set_refuse(0);
    assert_int_equal(capture_count(), 0);
}

static void test_push_route_is_only_for_its_model(void **state)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/models/other/samples", base);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct http_answer ans;
    assert_int_equal(http_call("POST", url, headers, "{\"a\": 1}", 8, &ans), 0);
    assert_int_equal(ans.status, 404);
    http_answer_free(&ans);
}

static void test_push_model_option_is_required(void **state)
{
    char err[512];
    assert_null(harness_create("plugin: push\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "model"));
}

/* Bounds of single options are the option table's, enforced by the loader. */
static void test_push_options_are_bounded(void **state)
{
    char err[512];
    assert_null(harness_create("plugin: push\nmodel: m\nmax_batch: 0\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "plugin 'push': option 'max_batch' must be at least 1 (got '0')"));
    assert_null(harness_create("plugin: push\nmodel: m\nmax_errors: 1001\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'max_errors' must be at most 1000 (got '1001')"));
    assert_null(harness_create("plugin: push\nmodel: m\nidempotency_horizon: 500ms\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'idempotency_horizon' must be at least 1s (got '500ms')"));
}

int main(void)
{
    http_client_global_init();
    int port = harness_server_start(NULL);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_accepts_json_array_with_exact_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_accepts_one_json_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_accepts_ndjson_and_jsonl_with_blank_lines_and_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_refuses_other_content_types_with_415, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_ndjson_rejections_name_line_and_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_json_array_rejection_names_index_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_nothing_acceptable_is_400_naming_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_nothing_acceptable_is_400_naming_json_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_invalid_json_body_is_400_with_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_refuses_batch_over_max_batch_with_413, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_lists_only_max_errors_but_counts_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_counts_received_and_rejected_by_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_without_sample_pipeline_is_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_answers_404_when_the_agent_has_no_such_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_answers_503_when_the_agent_cannot_store_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_route_is_only_for_its_model, setup, teardown),
        cmocka_unit_test(test_push_model_option_is_required),
        cmocka_unit_test(test_push_options_are_bounded),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
