/* Tests for the kserve probe over the agent's real HTTP server on loopback, with CloudEvents shaped
 * as KServe's payload logger sends them (pkg/logger: binary mode, ce-* headers, the v1 or v2 payload
 * as the body; the attributes as KServe's logger docs show them through event_display): joins in
 * either order, structured mode, 400s naming the attribute, unjoined halves counted after the TTL. */
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

#define REQ_TYPE "org.kubeflow.serving.inference.request"
#define RESP_TYPE "org.kubeflow.serving.inference.response"

static char base[128];
static struct plugin_instance *kserve;

static int setup(void **state)
{
    capture_install();
    capture_reset();
    capture_set_refuse(0);
    metrics_reset();
    routes_clear();
    kserve = harness_create("plugin: kserve\nmodel: iris\njoin_ttl: 300ms\nmax_pending: 3\n"
                            "feature_names: [sepal_length, sepal_width, petal_length, petal_width]\n",
                            DW_KIND_PROBE, NULL, 0);
    harness_start(kserve);
    return 0;
}

static int teardown(void **state)
{
    plugin_instance_free(kserve);
    routes_clear();
    capture_set_refuse(0);
    return 0;
}

/* A binary-mode event as KServe's logger POSTs it: type "request"/"response"/anything, id NULL to
 * leave ce-id out. Returns the decoded answer (the test owns it). */
static json_t *send_binary(const char *model, const char *type, const char *id, const char *body, long expect_status)
{
    char url[256], ce_id[300], ce_type[200];
    snprintf(url, sizeof url, "%s/v1/models/%s/cloudevents", base, model);
    snprintf(ce_id, sizeof ce_id, "ce-id: %s", id ? id : "");
    snprintf(ce_type, sizeof ce_type, "ce-type: %s",
             strcmp(type, "request") == 0 ? REQ_TYPE : strcmp(type, "response") == 0 ? RESP_TYPE : type);
    const char *headers[] = {"Content-Type: application/json",
                             "ce-specversion: 1.0",
                             ce_type,
                             "ce-source: http://localhost:9081/",
                             "ce-time: 2021-04-10T00:23:26.0789529Z",
                             "ce-inferenceservicename: sklearn-iris",
                             "ce-namespace: default",
                             "ce-endpoint: ",
                             "ce-component: predictor",
                             "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                             id ? ce_id : NULL,
                             NULL};
    struct http_answer ans;
    assert_int_equal(http_call("POST", url, headers, body, strlen(body), &ans), 0);
    if (ans.status != expect_status)
        fail_msg("status %ld, expected %ld: %s", ans.status, expect_status, ans.body);
    json_error_t jerr;
    json_t *doc = json_loadb(ans.body, ans.body_len, 0, &jerr);
    if (!doc)
        fail_msg("answer is not JSON: %s", ans.body);
    http_answer_free(&ans);
    return doc;
}

static json_t *send_structured(const char *event, long expect_status)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/models/iris/cloudevents", base);
    const char *headers[] = {"Content-Type: application/cloudevents+json; charset=utf-8", NULL};
    struct http_answer ans;
    assert_int_equal(http_call("POST", url, headers, event, strlen(event), &ans), 0);
    if (ans.status != expect_status)
        fail_msg("status %ld, expected %ld: %s", ans.status, expect_status, ans.body);
    json_t *doc = json_loadb(ans.body, ans.body_len, 0, NULL);
    assert_non_null(doc);
    http_answer_free(&ans);
    return doc;
}

static const char *str_at(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", key);
    return json_string_value(v);
}

static double feature(size_t i, const char *name)
{
    json_t *v = json_object_get(json_object_get(capture_get(i), "features"), name);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The v1 payloads of KServe's sklearn-iris logger example. */
#define V1_REQUEST "{\"instances\": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}"
#define V1_RESPONSE "{\"predictions\": [1, 1]}"

static void test_kserve_binary_v1_request_then_response_is_two_samples(void **state)
{
    json_t *a = send_binary("iris", "request", "0009174a-24a8-4603-b098-09c8799950e9", V1_REQUEST, 202);
    assert_string_equal(str_at(a, "status"), "pending");
    json_decref(a);
    assert_int_equal(capture_count(), 0);
    a = send_binary("iris", "response", "0009174a-24a8-4603-b098-09c8799950e9", V1_RESPONSE, 202);
    assert_string_equal(str_at(a, "status"), "joined");
    assert_int_equal(json_integer_value(json_object_get(a, "accepted")), 2);
    json_decref(a);
    assert_int_equal(capture_count(), 2);
    assert_true(feature(0, "sepal_length") == 6.8);
    assert_true(feature(1, "petal_width") == 1.6);
    assert_int_equal(json_integer_value(json_object_get(capture_get(1), "prediction")), 1);
    assert_string_equal(json_string_value(json_object_get(capture_get(0), "request_id")),
                        "0009174a-24a8-4603-b098-09c8799950e9#0");
    /* The sample's time is the request event's ce-time. */
    assert_string_equal(json_string_value(json_object_get(capture_get(0), "timestamp")),
                        "2021-04-10T00:23:26.0789529Z");
    assert_true(metric_value("driftwatch_samples_received_total", "{model=\"iris\",probe=\"kserve\"}") == 2);
    assert_true(metric_value("driftwatch_kserve_events_total", "{model=\"iris\",type=\"request\"}") == 1);
    assert_true(metric_value("driftwatch_kserve_events_total", "{model=\"iris\",type=\"response\"}") == 1);
    assert_true(metric_value("driftwatch_kserve_pending_events", "{model=\"iris\"}") == 0);
}

/* An open inference protocol (v2) call, its response logged before its request. */
static void test_kserve_binary_v2_response_before_request_joins(void **state)
{
    const char *request = "{\"id\": \"42\", \"inputs\": [{\"name\": \"input-0\", \"shape\": [2, 4], \"datatype\": "
                          "\"FP32\", \"data\": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]}";
    const char *response = "{\"model_name\": \"sklearn-iris\", \"model_version\": null, \"id\": \"42\", "
                           "\"parameters\": null, \"outputs\": [{\"name\": \"output-0\", \"shape\": [2], "
                           "\"datatype\": \"INT32\", \"parameters\": null, \"data\": [1, 2]}]}";
    json_t *a = send_binary("iris", "response", "42", response, 202);
    assert_string_equal(str_at(a, "status"), "pending");
    assert_string_equal(str_at(a, "type"), "response");
    json_decref(a);
    assert_true(metric_value("driftwatch_kserve_pending_events", "{model=\"iris\"}") == 1);
    a = send_binary("iris", "request", "42", request, 202);
    assert_string_equal(str_at(a, "status"), "joined");
    assert_string_equal(str_at(a, "id"), "42");
    json_decref(a);
    assert_int_equal(capture_count(), 2);
    assert_true(feature(0, "sepal_width") == 2.8);
    assert_true(feature(1, "petal_length") == 4.5);
    assert_int_equal(json_integer_value(json_object_get(capture_get(1), "prediction")), 2);
}

static void test_kserve_structured_mode_data_and_data_base64(void **state)
{
    json_t *a = send_structured("{\"specversion\": \"1.0\", \"id\": \"s1\", \"type\": \"" REQ_TYPE "\", "
                                "\"source\": \"http://localhost:9081/\", \"datacontenttype\": \"application/json\", "
                                "\"inferenceservicename\": \"sklearn-iris\", \"namespace\": \"default\", "
                                "\"data\": {\"instances\": [[5.1, 3.5, 1.4, 0.2]]}}",
                                202);
    json_decref(a);
    /* {"predictions": [0]} in base64. */
    a = send_structured("{\"specversion\": \"1.0\", \"id\": \"s1\", \"type\": \"" RESP_TYPE "\", "
                        "\"source\": \"http://localhost:9081/\", \"data_base64\": \"eyJwcmVkaWN0aW9ucyI6IFswXX0=\"}",
                        202);
    assert_string_equal(str_at(a, "status"), "joined");
    json_decref(a);
    assert_int_equal(capture_count(), 1);
    assert_true(feature(0, "sepal_length") == 5.1);
    assert_string_equal(json_string_value(json_object_get(capture_get(0), "request_id")), "s1");
}

static void test_kserve_missing_or_invalid_attributes_are_400_naming_them(void **state)
{
    json_t *a = send_binary("iris", "request", NULL, V1_REQUEST, 400);
    assert_non_null(strstr(str_at(a, "error"), "ce-id missing"));
    json_decref(a);
    a = send_binary("iris", "org.kubeflow.serving.inference.explain", "e1", V1_REQUEST, 400);
    assert_non_null(strstr(str_at(a, "error"), "unknown ce-type 'org.kubeflow.serving.inference.explain'"));
    json_decref(a);
    a = send_structured("{\"specversion\": \"1.0\", \"type\": \"" REQ_TYPE "\", \"data\": {}}", 400);
    assert_non_null(strstr(str_at(a, "error"), "id missing"));
    json_decref(a);
    a = send_structured("{\"specversion\": \"0.3\", \"id\": \"x\", \"type\": \"" REQ_TYPE "\", \"data\": {}}", 400);
    assert_non_null(strstr(str_at(a, "error"), "specversion '0.3' is not supported"));
    json_decref(a);
    a = send_structured("{\"specversion\": \"1.0\", \"id\": \"x\", \"type\": \"" REQ_TYPE "\"}", 400);
    assert_non_null(strstr(str_at(a, "error"), "data missing"));
    json_decref(a);
    a = send_structured("not json", 400);
    assert_non_null(strstr(str_at(a, "error"), "not JSON"));
    json_decref(a);
    assert_int_equal(capture_count(), 0);
    assert_true(metric_value("driftwatch_kserve_pending_events", "{model=\"iris\"}") <= 0);
}

static void test_kserve_route_is_only_for_its_model(void **state)
{
    json_t *a = send_binary("fraud", "request", "r1", V1_REQUEST, 404);
    json_decref(a);
}

/* Polls the unjoined counter up to timeout_ms; returns its last value. */
static double wait_unjoined(double want, int timeout_ms)
{
    int64_t deadline = harness_now_ms() + timeout_ms;
    double v;
    while ((v = metric_value("driftwatch_samples_rejected_total", "{model=\"iris\",reason=\"unjoined\"}")) < want &&
           harness_now_ms() < deadline)
        harness_sleep_ms(20);
    return v;
}

static void test_kserve_request_never_answered_is_counted_after_the_ttl(void **state)
{
    json_t *a = send_binary("iris", "request", "lonely", V1_REQUEST, 202);
    json_decref(a);
    int64_t sent = harness_now_ms();
    /* No other event arrives: the sweeper counts it (join_ttl 300ms). */
    assert_true(wait_unjoined(1, 5000) == 1);
    assert_true(harness_now_ms() - sent >= 290);
    assert_true(metric_value("driftwatch_kserve_pending_events", "{model=\"iris\"}") == 0);
    /* Its response, late, waits alone: nothing is emitted. */
    a = send_binary("iris", "response", "lonely", V1_RESPONSE, 202);
    assert_string_equal(str_at(a, "status"), "pending");
    json_decref(a);
    assert_int_equal(capture_count(), 0);
}

static void test_kserve_max_pending_drops_the_oldest_half(void **state)
{
    const char *ids[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < 4; i++)
        json_decref(send_binary("iris", "request", ids[i], V1_REQUEST, 202));
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"iris\",reason=\"unjoined\"}") == 1);
    /* "a" was dropped; "d" still joins. */
    json_t *a = send_binary("iris", "response", "a", V1_RESPONSE, 202);
    assert_string_equal(str_at(a, "status"), "pending");
    json_decref(a);
    a = send_binary("iris", "response", "d", V1_RESPONSE, 202);
    assert_string_equal(str_at(a, "status"), "joined");
    json_decref(a);
    assert_int_equal(capture_count(), 2);
}

static void test_kserve_pair_that_is_not_a_predict_call_is_400_and_counted(void **state)
{
    json_decref(send_binary("iris", "request", "bad", V1_REQUEST, 202));
    json_t *a = send_binary("iris", "response", "bad", "{\"error\": \"model not ready\"}", 400);
    assert_non_null(strstr(str_at(a, "error"), "predictions"));
    json_decref(a);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"iris\",reason=\"bad_payload\"}") == 1);
}

static void test_kserve_unavailable_core_is_503_and_the_retry_joins(void **state)
{
    json_decref(send_binary("iris", "request", "r503", V1_REQUEST, 202));
    capture_set_refuse(DW_INGEST_UNAVAILABLE);
    json_decref(send_binary("iris", "response", "r503", V1_RESPONSE, 503));
    capture_set_refuse(0);
    json_t *a = send_binary("iris", "response", "r503", V1_RESPONSE, 202);
    assert_string_equal(str_at(a, "status"), "joined");
    json_decref(a);
    assert_int_equal(capture_count(), 2);
}

/* The host side: dw_http_request.header gives any header but never the credential. */
static char seen_ce_id[64], seen_auth[64];
static void header_route(void *ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    const char *id = req->header(req, "CE-ID"), *auth = req->header(req, "authorization");
    const char *proxy_auth = req->header(req, "Proxy-Authorization");
    snprintf(seen_ce_id, sizeof seen_ce_id, "%s", id ? id : "(null)");
    snprintf(seen_auth, sizeof seen_auth, "%s", auth || proxy_auth ? "leaked" : "(null)");
    resp->status = 204;
    resp->body = NULL;
}

static void test_request_header_never_returns_authorization(void **state)
{
    assert_int_equal(routes_register("POST", "/test/headers", header_route, NULL), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/test/headers", base);
    const char *headers[] = {"ce-id: abc", "Authorization: Bearer s3cret", "Proxy-Authorization: Basic eA==", NULL};
    struct http_answer ans;
    assert_int_equal(http_call("POST", url, headers, "", 0, &ans), 0);
    assert_int_equal(ans.status, 204);
    http_answer_free(&ans);
    assert_string_equal(seen_ce_id, "abc");
    assert_string_equal(seen_auth, "(null)");
}

/* Bounds and choices of single options are the option table's, enforced by the loader. */
static void test_kserve_options_are_checked(void **state)
{
    char err[256];
    assert_null(harness_create("plugin: kserve\nmodel: iris\njoin_ttl: 10ms\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "plugin 'kserve': option 'join_ttl' must be at least 100ms (got '10ms')"));
    assert_null(harness_create("plugin: kserve\nmodel: iris\njoin_ttl: 2d\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'join_ttl' must be at most 24h (got '2d')"));
    assert_null(harness_create("plugin: kserve\nmodel: iris\nprotocol: v3\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'protocol' must be one of v1, v2, auto (got 'v3')"));
    assert_null(harness_create("plugin: kserve\nmodel: iris\nmax_pending: 0\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'max_pending' must be at least 1 (got '0')"));
}

int main(void)
{
    http_client_global_init();
    int port = harness_server_start(NULL);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kserve_binary_v1_request_then_response_is_two_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_binary_v2_response_before_request_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_structured_mode_data_and_data_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_missing_or_invalid_attributes_are_400_naming_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_route_is_only_for_its_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_request_never_answered_is_counted_after_the_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_max_pending_drops_the_oldest_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kserve_pair_that_is_not_a_predict_call_is_400_and_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kserve_unavailable_core_is_503_and_the_retry_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_header_never_returns_authorization, setup, teardown),
        cmocka_unit_test(test_kserve_options_are_checked),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
