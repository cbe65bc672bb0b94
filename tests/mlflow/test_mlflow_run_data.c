/* What the mlflow plugin puts in a run (plugins/mlflow/mlflow_run_data.c, compiled in here): the
 * run's key and name, the driftwatch.* tags (unknown values left out), metric and param keys in
 * MLflow's allowed characters with colliding feature names told apart, the realized performance
 * when the event has it, null numbers left out. Expected values are written out by hand from the
 * plugin README's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mlflow.h"

static json_t *retrain_event(void)
{
    json_error_t jerr;
    json_t *ev = json_loads(
        "{\"event\": \"retrain.triggered\", \"model\": \"fraud\", \"time_ms\": 1772359200123,"
        " \"data_version\": \"58427a5088dbf325cc777604a20de97f\", \"git_commit\": null,"
        " \"baseline_md5\": \"58427a5088dbf325cc777604a20de97f\", \"window_end\": null, \"window_rows\": 300,"
        " \"dataset_drift\": true, \"drift_share\": 0.5, \"drifted_features\": 1, \"features_checked\": 2,"
        " \"features\": [{\"name\": \"amount:usd\", \"method\": \"psi\", \"score\": 0.31, \"p_value\": null,"
        "                 \"drifted\": true},"
        "                {\"name\": \"amount;usd\", \"method\": \"ks\", \"score\": 0.1, \"p_value\": 0.5,"
        "                 \"drifted\": false}],"
        " \"performance\": {\"task\": \"binary\", \"rows\": 190, \"alerts\": 1,"
        "                   \"realized\": {\"accuracy\": {\"value\": 0.85}, \"roc_auc\": {\"value\": null}},"
        "                   \"estimated_rows\": 300, \"estimated\": {\"f1\": {\"value\": 0.75}}},"
        " \"key\": \"fraud-58427a5088db-20513\", \"job_id\": \"pid:42\", \"job_state\": \"SUCCEEDED\","
        " \"joined\": false, \"trainer\": \"command\", \"episode_start\": 1772359200}",
        0, &jerr);
    assert_non_null(ev);
    return ev;
}

/* The value of the {key, value} item with that key in arr, or NULL. */
static json_t *item(json_t *arr, const char *key)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "key")), key) == 0)
            return json_object_get(it, "value");
    }
    return NULL;
}

static void test_keys_and_names(void **state)
{
    (void)state;
    json_t *ev = retrain_event();
    char *key = ml_event_key(ev), *name = ml_run_name(ev);
    assert_string_equal(key, "fraud-58427a5088db-20513");
    assert_string_equal(name, "retrain-fraud-58427a5088db-20513");
    free(key);
    free(name);
    json_object_set_new(ev, "event", json_string("drift.checked"));
    key = ml_event_key(ev);
    name = ml_run_name(ev);
    assert_string_equal(key, "check-fraud-1772359200123");
    assert_string_equal(name, "check-fraud-1772359200123");
    free(key);
    free(name);
    json_object_del(ev, "time_ms");
    assert_null(ml_event_key(ev)); /* a check event without its time has no key */
    json_decref(ev);
}

static void test_sanitize(void **state)
{
    (void)state;
    char out[300];
    /* 'é' is two bytes in UTF-8: two '_' */
    ml_sanitize_key("a:b/c d.\xc3\xa9-x_y", out, sizeof out);
    assert_string_equal(out, "a_b/c d.__-x_y");
    char longer[400];
    memset(longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ml_sanitize_key(longer, out, sizeof out);
    assert_int_equal(strlen(out), 250); /* MLflow's key limit */
}

static void test_tags(void **state)
{
    (void)state;
    json_t *ev = retrain_event();
    json_t *tags = ml_run_tags(ev, "fraud-58427a5088db-20513");
    assert_string_equal(json_string_value(item(tags, "driftwatch.key")), "fraud-58427a5088db-20513");
    assert_string_equal(json_string_value(item(tags, "driftwatch.model")), "fraud");
    assert_string_equal(json_string_value(item(tags, "driftwatch.data_version")), "58427a5088dbf325cc777604a20de97f");
    assert_string_equal(json_string_value(item(tags, "driftwatch.baseline_md5")), "58427a5088dbf325cc777604a20de97f");
    assert_string_equal(json_string_value(item(tags, "driftwatch.job_id")), "pid:42");
    assert_string_equal(json_string_value(item(tags, "driftwatch.event")), "retrain.triggered");
    assert_null(item(tags, "driftwatch.git_commit")); /* null in the event: left out, not "" */
    assert_int_equal(json_array_size(tags), 6);
    json_decref(tags);
    json_decref(ev);
}

static void test_metrics(void **state)
{
    (void)state;
    json_t *ev = retrain_event();
    json_t *metrics = ml_run_metrics(ev);
    /* 5 dataset metrics; amount:usd score + drifted (no p-value); amount;usd score, p_value,
     * drifted; performance rows and accuracy (roc_auc is null), estimated_rows and estimated f1 */
    assert_int_equal(json_array_size(metrics), 5 + 2 + 3 + 2 + 2);
    assert_true(json_number_value(item(metrics, "drift_share")) == 0.5);
    assert_true(json_number_value(item(metrics, "dataset_drift")) == 1);
    assert_true(json_number_value(item(metrics, "window_rows")) == 300);
    assert_true(json_number_value(item(metrics, "feature.amount_usd.score")) == 0.31);
    assert_true(json_number_value(item(metrics, "feature.amount_usd.drifted")) == 1);
    assert_null(item(metrics, "feature.amount_usd.p_value"));
    /* the second name sanitises to the first's: its position (2) is appended */
    assert_true(json_number_value(item(metrics, "feature.amount_usd_2.score")) == 0.1);
    assert_true(json_number_value(item(metrics, "feature.amount_usd_2.p_value")) == 0.5);
    assert_true(json_number_value(item(metrics, "feature.amount_usd_2.drifted")) == 0);
    assert_true(json_number_value(item(metrics, "performance.rows")) == 190);
    assert_true(json_number_value(item(metrics, "performance.accuracy")) == 0.85);
    assert_null(item(metrics, "performance.roc_auc"));
    assert_true(json_number_value(item(metrics, "performance.estimated_rows")) == 300);
    assert_true(json_number_value(item(metrics, "performance.estimated.f1")) == 0.75);
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        assert_int_equal(json_integer_value(json_object_get(m, "timestamp")), 1772359200123);
        assert_int_equal(json_integer_value(json_object_get(m, "step")), 0);
    }
    json_decref(metrics);
    json_decref(ev);
}

static void test_params(void **state)
{
    (void)state;
    json_t *ev = retrain_event();
    json_t *params = ml_run_params(ev);
    assert_string_equal(json_string_value(item(params, "trainer")), "command");
    assert_string_equal(json_string_value(item(params, "job_state")), "SUCCEEDED");
    assert_string_equal(json_string_value(item(params, "episode_start")), "2026-03-01T10:00:00Z");
    assert_string_equal(json_string_value(item(params, "performance.task")), "binary");
    assert_string_equal(json_string_value(item(params, "feature.amount_usd.method")), "psi");
    assert_string_equal(json_string_value(item(params, "feature.amount_usd_2.method")), "ks");
    assert_null(item(params, "window_end")); /* null in the event */
    assert_int_equal(json_array_size(params), 6);
    json_decref(params);
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_names), cmocka_unit_test(test_sanitize), cmocka_unit_test(test_tags),
        cmocka_unit_test(test_metrics),         cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
