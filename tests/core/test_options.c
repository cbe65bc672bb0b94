/* Tests for option tables applied to config mappings: defaults, types, required, unknown keys,
 * lists and secrets, each error naming file:line:col and the plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/options.h"

struct fake_config {
    const char *url;
    int64_t retries;
    double ratio;
    int enabled;
    int64_t timeout_ms;
    int64_t limit;
    struct dw_list labels;
    const char *token;
};

static const struct dw_option fake_options[] = {
    {.name = "url", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct fake_config, url),
     .description = "where"},
    {.name = "retries", .type = DW_OPT_INT, .def = "3", .offset = offsetof(struct fake_config, retries),
     .description = "how often"},
    {.name = "ratio", .type = DW_OPT_DOUBLE, .def = "0.5", .offset = offsetof(struct fake_config, ratio),
     .description = "share"},
    {.name = "enabled", .type = DW_OPT_BOOL, .def = "true", .offset = offsetof(struct fake_config, enabled),
     .description = "on/off"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "10s", .offset = offsetof(struct fake_config, timeout_ms),
     .description = "per attempt"},
    {.name = "limit", .type = DW_OPT_SIZE, .def = "1M", .offset = offsetof(struct fake_config, limit),
     .description = "bytes"},
    {.name = "labels", .type = DW_OPT_LIST, .offset = offsetof(struct fake_config, labels), .description = "k=v"},
    {.name = "token", .type = DW_OPT_SECRET, .offset = offsetof(struct fake_config, token), .description = "bearer"},
    {0},
};

static const struct dw_plugin fake = {
    .abi = DW_PLUGIN_ABI,
    .name = "fake",
    .options = fake_options,
    .config_size = sizeof(struct fake_config),
};

static const char *const reserved[] = {"plugin", "name", NULL};

static int apply(const char *yaml, struct plugin_config *cfg, char *err, size_t errlen)
{
    struct ynode *root;
    char yerr[256];
    assert_int_equal(yaml_tree_load_string(yaml, strlen(yaml), "t.yaml", &root, yerr, sizeof yerr), 0);
    int rc = options_apply(&fake, root, reserved, "t.yaml", cfg, err, errlen);
    yaml_tree_free(root);
    return rc;
}

static void test_options_defaults_and_values_land_in_the_struct(void **state)
{
    struct plugin_config cfg;
    char err[512];
    assert_int_equal(apply("plugin: fake\nurl: http://x\nratio: 0.25\nlabels: [team=ml, env=prod]\n", &cfg, err,
                           sizeof err),
                     0);
    const struct fake_config *c = cfg.data;
    assert_string_equal(c->url, "http://x");
    assert_int_equal(c->retries, 3);
    assert_true(c->ratio == 0.25);
    assert_int_equal(c->enabled, 1);
    assert_int_equal(c->timeout_ms, 10000);
    assert_int_equal(c->limit, 1048576);
    assert_int_equal(c->labels.n, 2);
    assert_string_equal(c->labels.items[1], "env=prod");
    assert_null(c->token);
    plugin_config_free(&cfg);
}

static void test_options_unknown_option_names_plugin_and_position(void **state)
{
    struct plugin_config cfg;
    char err[512];
    assert_int_equal(apply("plugin: fake\nurl: http://x\nurll: typo\n", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:3:1: plugin 'fake': unknown option 'urll' (run 'driftwatch plugins' to list "
                             "the options of fake)");
}

static void test_options_wrong_type_names_option_and_value(void **state)
{
    struct plugin_config cfg;
    char err[512];
    assert_int_equal(apply("url: http://x\nretries: many\n", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:2:10: plugin 'fake': option 'retries' must be an integer, not 'many'");
    assert_int_equal(apply("url: http://x\ntimeout: soon\n", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "t.yaml:2:10: plugin 'fake': option 'timeout' must be a duration"));
    assert_int_equal(apply("url: [a, b]\n", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:1:6: plugin 'fake': option 'url' must be a scalar, found a list");
}

static void test_options_missing_required_option(void **state)
{
    struct plugin_config cfg;
    char err[512];
    assert_int_equal(apply("plugin: fake\nretries: 2\n", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:1:1: plugin 'fake': missing required option 'url' (where)");
}

static void test_options_secret_from_env_and_from_file(void **state)
{
    struct plugin_config cfg;
    char err[512];
    setenv("DW_OPT_TEST_TOKEN", "s3cr3t-from-env", 1);
    assert_int_equal(apply("url: http://x\ntoken: ${DW_OPT_TEST_TOKEN}\n", &cfg, err, sizeof err), 0);
    assert_string_equal(((struct fake_config *)cfg.data)->token, "s3cr3t-from-env");
    plugin_config_free(&cfg);

    char path[] = "/tmp/dw-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("s3cr3t-from-file\n", f);
    fclose(f);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "url: http://x\ntoken_file: %s\n", path);
    assert_int_equal(apply(yaml, &cfg, err, sizeof err), 0);
    assert_string_equal(((struct fake_config *)cfg.data)->token, "s3cr3t-from-file");
    plugin_config_free(&cfg);
    unlink(path);

    assert_int_equal(apply("url: http://x\ntoken: ${DW_OPT_TEST_UNSET_VAR}\n", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:2:8: plugin 'fake': environment variable DW_OPT_TEST_UNSET_VAR is not set");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_defaults_and_values_land_in_the_struct),
        cmocka_unit_test(test_options_unknown_option_names_plugin_and_position),
        cmocka_unit_test(test_options_wrong_type_names_option_and_value),
        cmocka_unit_test(test_options_missing_required_option),
        cmocka_unit_test(test_options_secret_from_env_and_from_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
