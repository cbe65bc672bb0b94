/* Tests for the plugin loader and instances: every way a plugin can fail to load is reported with
 * the plugin, the file and the reason; ABI 2's sizes, option limits and per-instance routes; the
 * real `log` plugin loads and sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/routes.h"
#include "util/metrics.h"
#include "plugin/plugin_instance.h"
#include "plugin/plugin_loader.h"

static void expect_open_error(const char *dir, const char *name, const char *fragment)
{
    struct loaded_plugin *lp = NULL;
    char err[1024];
    assert_int_equal(loader_open(dir, name, &lp, err, sizeof err), -1);
    assert_null(lp);
    if (!strstr(err, fragment))
        fail_msg("error '%s' lacks '%s'", err, fragment);
}

static void test_loader_missing_file_names_path_and_directory(void **state)
{
    expect_open_error(DW_BAD_PLUGIN_DIR, "absent",
                      "plugin 'absent': " DW_BAD_PLUGIN_DIR "/absent.so: No such file or directory (plugin directory: "
                      DW_BAD_PLUGIN_DIR ")");
}

static void test_loader_refuses_object_without_symbol(void **state)
{
    expect_open_error(DW_BAD_PLUGIN_DIR, "nosymbol", "does not export the symbol 'driftwatch_plugin'");
}

static void test_loader_refuses_a_plugin_built_against_abi_1(void **state)
{
    expect_open_error(DW_BAD_PLUGIN_DIR, "abi1sink",
                      "plugin 'abi1sink': " DW_BAD_PLUGIN_DIR "/abi1sink.so was built for plugin ABI 1, this driftwatch "
                      "speaks ABI 2: rebuild it against this driftwatch's driftwatch/plugin.h (docs/plugins.md)");
}

/* A plugin from a later ABI 2 header has longer option entries and a longer struct: the loader
 * steps by its option_size and keeps what it knows, in full-size copies. */
static void test_loader_reads_a_newer_plugin_by_its_sizes(void **state)
{
    struct loaded_plugin *lp = NULL;
    char err[1024];
    assert_int_equal(loader_open(DW_BAD_PLUGIN_DIR, "newer", &lp, err, sizeof err), 0);
    const struct dw_option *o = lp->def->options;
    assert_string_equal(o[0].name, "level");
    assert_string_equal(o[0].min, "1");
    assert_string_equal(o[0].max, "5");
    assert_null(o[0].choices);
    assert_string_equal(o[1].name, "mode");
    assert_string_equal(o[1].def, "safe");
    assert_string_equal(o[1].choices[1], "safe");
    assert_null(o[2].name);
    assert_int_equal(lp->def->size, sizeof(struct dw_plugin) + sizeof(void (*)(void *)));
    assert_int_equal(lp->def->option_size, sizeof(struct dw_option));
    assert_non_null(lp->def->alert_send);
    assert_null(lp->def->sample);
    loader_close(lp);
}

static void test_loader_refuses_kind_without_its_callback(void **state)
{
    expect_open_error(DW_BAD_PLUGIN_DIR, "wrongkind", "lacks the alert_send callback its kind needs");
}

static void test_loader_refuses_path_like_names(void **state)
{
    expect_open_error(DW_BAD_PLUGIN_DIR, "../etc/evil", "invalid name");
}

static struct plugin_instance *create(const char *yaml, const char *dir, enum dw_kind kind, char *err, size_t errlen)
{
    struct ynode *root;
    assert_int_equal(yaml_tree_load_string(yaml, strlen(yaml), "c.yaml", &root, err, errlen), 0);
    struct plugin_ref ref = {.plugin = (char *)ynode_get(root, "plugin")->value,
                             .name = (char *)ynode_get(root, "plugin")->value,
                             .node = root};
    struct plugin_instance *pi = NULL;
    plugin_instance_create(dir, "c.yaml", &ref, NULL, kind, &pi, err, errlen);
    yaml_tree_free(root);
    return pi;
}

static void test_instance_init_failure_is_reported_with_position(void **state)
{
    char err[1024];
    assert_null(create("plugin: initfail\nurl: http://nowhere\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err));
    assert_string_equal(err, "c.yaml:1:1: plugin 'initfail' (instance 'initfail') failed to initialise: cannot reach "
                             "http://nowhere");
}

static void test_instance_option_errors_come_before_init(void **state)
{
    char err[1024];
    assert_null(create("plugin: initfail\nurl: http://x\nretries: lots\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err,
                       sizeof err));
    assert_string_equal(err, "c.yaml:3:10: plugin 'initfail': option 'retries' must be an integer, not 'lots'");
}

/* The loader enforces the table's min, max and choices before init runs (newer's init fails when a
 * level outside 1..5 reaches it). */
static void test_instance_option_limits_are_enforced_by_the_loader(void **state)
{
    char err[1024];
    assert_null(create("plugin: newer\nlevel: 9\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err));
    assert_string_equal(err, "c.yaml:2:8: plugin 'newer': option 'level' must be at most 5 (got '9')");
    assert_null(create("plugin: newer\nlevel: 0\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err));
    assert_string_equal(err, "c.yaml:2:8: plugin 'newer': option 'level' must be at least 1 (got '0')");
    assert_null(create("plugin: newer\nmode: turbo\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err));
    assert_string_equal(err, "c.yaml:2:7: plugin 'newer': option 'mode' must be one of fast, safe (got 'turbo')");
    struct plugin_instance *pi =
        create("plugin: newer\nlevel: 5\nmode: fast\n", DW_BAD_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err);
    assert_non_null(pi);
    plugin_instance_free(pi);
}

static int route_answered(void)
{
    struct dw_http_request req = {.size = sizeof req, .method = "GET", .path = "/routed", .body = ""};
    struct dw_http_response resp = {.size = sizeof resp, .status = 500};
    int rc = routes_dispatch("GET", "/routed", &req, &resp);
    if (rc == 0) {
        assert_int_equal(resp.status, 200);
        assert_string_equal(resp.body, "{\"routed\":true}\n");
    }
    free(resp.body);
    return rc == 0;
}

/* An instance's routes belong to its context: they answer while it lives and are gone with it. */
static void test_instance_routes_go_with_the_instance(void **state)
{
    char err[1024];
    struct plugin_instance *pi = create("plugin: routed\n", DW_BAD_PLUGIN_DIR, DW_KIND_PROBE, err, sizeof err);
    assert_non_null(pi);
    assert_int_equal(plugin_instance_start(pi, err, sizeof err), 0);
    assert_true(route_answered());
    plugin_instance_stop(pi);
    assert_false(route_answered());
    plugin_instance_free(pi);
    routes_clear();
    metrics_reset();
}

static void test_instance_wrong_kind_for_the_place(void **state)
{
    char err[1024];
    assert_null(create("plugin: log\n", DW_TEST_PLUGIN_DIR, DW_KIND_TRAINER, err, sizeof err));
    assert_string_equal(err, "c.yaml:1:1: plugin 'log' is of kind alert, but this place needs a trainer plugin");
}

static void test_log_plugin_loads_and_sends(void **state)
{
    char err[1024];
    struct plugin_instance *pi = create("plugin: log\nlevel: error\n", DW_TEST_PLUGIN_DIR, DW_KIND_ALERT, err, sizeof err);
    assert_non_null(pi);
    assert_int_equal(plugin_instance_start(pi, err, sizeof err), 0);
    struct dw_feature_score f = {.name = "amount", .method = "psi", .score = 0.4, .p_value = 0};
    struct dw_alert_event ev = {.size = sizeof ev, .model = "fraud", .firing = 1, .severity = "critical", .drift_share = 0.5,
                                .n_features = 1, .features = &f};
    assert_int_equal(pi->lp->def->alert_send(pi->inst, &ev, err, sizeof err), 0);
    char *out;
    size_t len;
    metrics_render(&out, &len);
    assert_non_null(strstr(out, "driftwatch_alerts_sent_total{sink=\"log\",result=\"ok\"} 1\n"));
    free(out);
    plugin_instance_free(pi);
    metrics_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_missing_file_names_path_and_directory),
        cmocka_unit_test(test_loader_refuses_object_without_symbol),
        cmocka_unit_test(test_loader_refuses_a_plugin_built_against_abi_1),
        cmocka_unit_test(test_loader_reads_a_newer_plugin_by_its_sizes),
        cmocka_unit_test(test_loader_refuses_kind_without_its_callback),
        cmocka_unit_test(test_loader_refuses_path_like_names),
        cmocka_unit_test(test_instance_init_failure_is_reported_with_position),
        cmocka_unit_test(test_instance_option_errors_come_before_init),
        cmocka_unit_test(test_instance_option_limits_are_enforced_by_the_loader),
        cmocka_unit_test(test_instance_routes_go_with_the_instance),
        cmocka_unit_test(test_instance_wrong_kind_for_the_place),
        cmocka_unit_test(test_log_plugin_loads_and_sends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
