/* Tests for config loading: defaults, relative paths, and one test per validation error, each
 * asserting the exact "file:line:col: message". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"

static char path[64];

static struct config *load_text(const char *text, char *err, size_t errlen)
{
    snprintf(path, sizeof path, "/tmp/dwcfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct config *cfg = NULL;
    err[0] = '\0';
    config_load(path, &cfg, err, errlen);
    unlink(path);
    return cfg;
}

/* Asserts the load fails with "<tmpfile>:<where>" exactly. */
static void expect_error(const char *text, const char *where)
{
    char err[1024], expected[1024];
    struct config *cfg = load_text(text, err, sizeof err);
    assert_null(cfg);
    snprintf(expected, sizeof expected, "%s:%s", path, where);
    assert_string_equal(err, expected);
}

static void test_config_defaults(void **state)
{
    char err[1024];
    struct config *cfg = load_text("models:\n  - {name: fraud, baseline: b.json}\n", err, sizeof err);
    assert_non_null(cfg);
    assert_string_equal(cfg->agent.listen_host, "127.0.0.1");
    assert_int_equal(cfg->agent.listen_port, 9464);
    assert_int_equal(cfg->agent.durability_sync, 1);
    assert_null(cfg->agent.auth_token);
    const struct model_config *m = config_find_model(cfg, "fraud");
    assert_non_null(m);
    assert_string_equal(m->baseline, "/tmp/b.json"); /* relative to the config file */
    assert_int_equal(m->window_size, 10000);
    assert_string_equal(m->methods, "auto");
    assert_true(m->dataset_share == 0.5);
    assert_int_equal(m->consecutive, 2);
    assert_int_equal(m->retrain_cooldown_ms, 86400000);
    assert_int_equal(m->retrain_max_per_day, 2);
    config_free(cfg);
}

static void test_config_full_example_parses(void **state)
{
    char err[1024];
    setenv("DW_CFG_TEST_TOKEN", "tok-123456", 1);
    struct config *cfg = load_text(
        "agent:\n  listen: 0.0.0.0:9999\n  state_dir: /var/tmp/dw\n  auth_token: ${DW_CFG_TEST_TOKEN}\n"
        "  durability: {interval: 100ms}\n  log: {level: debug, format: logfmt}\n"
        "models:\n  - name: fraud\n    baseline: /data/b.json\n    window: {size: 500, every: 5m, mode: sliding}\n"
        "    drift: {methods: auto, correction: fdr, dataset_share: 0.3,\n"
        "            features: {amount: {method: psi, threshold: 0.2}}}\n"
        "    probes:\n      - {plugin: push}\n      - {plugin: tail, path: /x.jsonl}\n"
        "    sampling: {plugin: sampler, policy: rate, rate: 0.1}\n"
        "    on_drift:\n      consecutive: 3\n      alerts: [am]\n"
        "      retrain: {plugin: command, cooldown: 1h, max_per_day: 1, dry_run: true}\n"
        "alerts:\n  - {name: am, plugin: alertmanager, url: http://127.0.0.1:9093}\n"
        "schedules:\n  - {cron: \"*/15 * * * *\", model: fraud}\n",
        err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    assert_int_equal(cfg->agent.listen_port, 9999);
    assert_string_equal(cfg->agent.auth_token, "tok-123456");
    assert_int_equal(cfg->agent.durability_sync, 0);
    assert_int_equal(cfg->agent.durability_interval_ms, 100);
    const struct model_config *m = &cfg->models[0];
    assert_int_equal(m->window_size, 500);
    assert_int_equal(m->window_every_ms, 300000);
    assert_int_equal(m->window_sliding, 1);
    assert_string_equal(m->correction, "fdr");
    assert_int_equal(m->n_features, 1);
    assert_string_equal(m->features[0].method, "psi");
    assert_true(fabs(m->features[0].threshold - 0.2) < 1e-15);
    assert_int_equal(m->n_probes, 2);
    assert_string_equal(m->probes[1].plugin, "tail");
    assert_string_equal(m->sampling->plugin, "sampler");
    assert_int_equal(m->consecutive, 3);
    assert_string_equal(m->alerts[0], "am");
    assert_int_equal(m->retrain_cooldown_ms, 3600000);
    assert_int_equal(m->retrain_dry_run, 1);
    assert_string_equal(cfg->schedules[0].cron, "*/15 * * * *");
    config_free(cfg);
    log_clear_secrets();
}

static void test_config_unknown_top_level_key(void **state)
{
    expect_error("agent: {}\nmodel:\n  - name: x\n", "2:1: unknown key 'model' in the config file");
}

static void test_config_bad_listen(void **state)
{
    expect_error("agent:\n  listen: localhost\n", "2:11: listen must be HOST:PORT (e.g. 127.0.0.1:9464)");
}

static void test_config_model_without_name(void **state)
{
    expect_error("models:\n  - baseline: b.json\n", "2:5: model: missing 'name'");
}

static void test_config_duplicate_model(void **state)
{
    expect_error("models:\n  - {name: a, baseline: b}\n  - {name: a, baseline: c}\n", "3:5: duplicate model name 'a'");
}

static void test_config_unknown_alert_reference(void **state)
{
    expect_error("models:\n  - name: a\n    baseline: b\n    on_drift: {alerts: [pager]}\n",
                 "4:25: model 'a': on_drift.alerts names 'pager', which is not in 'alerts'");
}

static void test_config_schedule_for_unknown_model(void **state)
{
    expect_error("models: []\nschedules:\n  - {every: 5m, model: ghost}\n", "3:24: schedule for unknown model 'ghost'");
}

static void test_config_wrong_types(void **state)
{
    expect_error("models:\n  - name: a\n    baseline: b\n    window: {size: big}\n",
                 "4:20: size must be an integer in [0, 100000000], not 'big'");
    expect_error("models:\n  - name: a\n    baseline: b\n    drift: {dataset_share: 2}\n",
                 "4:28: dataset_share must be a number in [0, 1], not '2'");
    expect_error("agent: [1]\n", "1:8: agent must be a mapping, found a list");
    expect_error("models:\n  - name: a\n    baseline: b\n    drift: {correction: holm}\n",
                 "4:25: correction must be none, bonferroni or fdr");
}

/* metrics.bins (docs/configuration.md): on unless a model turns it off; its mistakes are positioned. */
static void test_config_metrics_bins(void **state)
{
    char err[1024];
    struct config *cfg = load_text("models:\n  - {name: a, baseline: b}\n  - name: c\n    baseline: d\n"
                                   "    metrics: {bins: false}\n",
                                   err, sizeof err);
    assert_non_null(cfg);
    assert_int_equal(config_find_model(cfg, "a")->bin_metrics_off, 0);
    assert_int_equal(config_find_model(cfg, "c")->bin_metrics_off, 1);
    config_free(cfg);
    expect_error("models:\n  - name: a\n    baseline: b\n    metrics: {bins: maybe}\n",
                 "4:21: bins must be true or false, not 'maybe'");
    expect_error("models:\n  - name: a\n    baseline: b\n    metrics: {bin: false}\n",
                 "4:15: unknown key 'bin' in metrics");
    expect_error("models:\n  - name: a\n    baseline: b\n    metrics: false\n",
                 "4:14: metrics must be a mapping, found a scalar");
}

static void test_config_missing_env_var(void **state)
{
    unsetenv("DW_CFG_TEST_UNSET");
    expect_error("agent:\n  auth_token: ${DW_CFG_TEST_UNSET}\n",
                 "2:15: auth_token: environment variable DW_CFG_TEST_UNSET is not set");
}

static void test_config_plugin_entry_without_plugin(void **state)
{
    expect_error("alerts:\n  - {name: am, url: http://x}\n",
                 "2:5: an alert sink: missing 'plugin' (the plugin's name, e.g. plugin: log)");
}

static void test_config_connection_limits(void **state)
{
    char err[1024];
    struct config *cfg = load_text("agent: {}\n", err, sizeof err);
    assert_non_null(cfg);
    /* The documented defaults: 256 in all, no per-address limit, 30 s idle timeout, plain HTTP. */
    assert_int_equal(cfg->agent.max_connections, 256);
    assert_int_equal(cfg->agent.max_connections_per_ip, 0);
    assert_int_equal(cfg->agent.connection_timeout_ms, 30000);
    assert_null(cfg->agent.tls_cert_file);
    assert_null(cfg->agent.tls.cert_pem);
    config_free(cfg);
    cfg = load_text("agent: {max_connections: 8, max_connections_per_ip: 2, connection_timeout: 2m}\n", err,
                    sizeof err);
    assert_non_null(cfg);
    assert_int_equal(cfg->agent.max_connections, 8);
    assert_int_equal(cfg->agent.max_connections_per_ip, 2);
    assert_int_equal(cfg->agent.connection_timeout_ms, 120000);
    config_free(cfg);
    expect_error("agent:\n  connection_timeout: 500ms\n", "2:23: connection_timeout must be between 1s and 24h");
    expect_error("agent:\n  max_connections_per_ip: -1\n",
                 "2:27: max_connections_per_ip must be an integer in [0, 65536], not '-1'");
}

static void test_config_tls_errors(void **state)
{
    expect_error("agent:\n  tls: {cert_file: c.pem}\n", "2:8: agent.tls needs both cert_file and key_file (PEM files)");
    expect_error("agent:\n  tls: {cert_file: c.pem, key: k.pem}\n", "2:27: unknown key 'key' in agent.tls");
    expect_error("agent:\n  tls: [c.pem]\n", "2:8: agent.tls must be a mapping, found a list");
    expect_error("agent:\n  tls:\n    cert_file: /nonexistent/c.pem\n    key_file: /nonexistent/k.pem\n",
                 "3:16: agent.tls.cert_file: cannot read certificate file /nonexistent/c.pem: No such file or directory");
}

static void test_config_missing_file(void **state)
{
    char err[512];
    struct config *cfg = NULL;
    assert_int_equal(config_load("/nonexistent/driftwatch.yaml", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/driftwatch.yaml: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_full_example_parses),
        cmocka_unit_test(test_config_unknown_top_level_key),
        cmocka_unit_test(test_config_bad_listen),
        cmocka_unit_test(test_config_model_without_name),
        cmocka_unit_test(test_config_duplicate_model),
        cmocka_unit_test(test_config_unknown_alert_reference),
        cmocka_unit_test(test_config_schedule_for_unknown_model),
        cmocka_unit_test(test_config_wrong_types),
        cmocka_unit_test(test_config_metrics_bins),
        cmocka_unit_test(test_config_missing_env_var),
        cmocka_unit_test(test_config_plugin_entry_without_plugin),
        cmocka_unit_test(test_config_connection_limits),
        cmocka_unit_test(test_config_tls_errors),
        cmocka_unit_test(test_config_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
