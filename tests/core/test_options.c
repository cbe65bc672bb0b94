/* Tests for option tables applied to config mappings: defaults, types, limits and choices, required,
 * unknown keys, lists and secrets, each error naming file:line:col and the plugin. */
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

/* Limits of every numeric type and choices of a string and of list items. */
struct limited_config {
    int64_t attempts;
    double share;
    int64_t timeout_ms;
    int64_t buffer;
    const char *mode;
    struct dw_list sides;
};

static const char *const modes[] = {"pipeline", "custom_job", "none", NULL};
static const char *const sides[] = {"left", "right", NULL};

static const struct dw_option limited_options[] = {
    {.name = "attempts", .type = DW_OPT_INT, .def = "5", .offset = offsetof(struct limited_config, attempts),
     .description = "tries", .min = "1", .max = "100"},
    {.name = "share", .type = DW_OPT_DOUBLE, .def = "0.5", .offset = offsetof(struct limited_config, share),
     .description = "a share", .min = "0", .max = "1"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "10s", .offset = offsetof(struct limited_config, timeout_ms),
     .description = "per attempt", .min = "100ms", .max = "5m"},
    {.name = "buffer", .type = DW_OPT_SIZE, .def = "64K", .offset = offsetof(struct limited_config, buffer),
     .description = "bytes", .min = "4K"},
    {.name = "mode", .type = DW_OPT_STRING, .def = "pipeline", .offset = offsetof(struct limited_config, mode),
     .description = "what to start", .choices = modes},
    {.name = "sides", .type = DW_OPT_LIST, .offset = offsetof(struct limited_config, sides), .description = "sides",
     .choices = sides},
    {0},
};

static const struct dw_plugin limited = {
    .abi = DW_PLUGIN_ABI,
    .name = "limited",
    .options = limited_options,
    .config_size = sizeof(struct limited_config),
};

/* The error of applying yaml to the limited plugin ("" when it applied). */
static const char *limited_error(const char *yaml)
{
    static char err[512];
    struct ynode *root;
    struct plugin_config cfg;
    assert_int_equal(yaml_tree_load_string(yaml, strlen(yaml), "t.yaml", &root, err, sizeof err), 0);
    if (options_apply(&limited, root, reserved, "t.yaml", &cfg, err, sizeof err) == 0) {
        err[0] = '\0';
        plugin_config_free(&cfg);
    }
    yaml_tree_free(root);
    return err;
}

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

static void test_options_limits_and_choices(void **state)
{
    /* bounds are inclusive and read as the option's type */
    assert_string_equal(limited_error("attempts: 1\nshare: 1\ntimeout: 100ms\nbuffer: 4096\nmode: none\n"), "");
    assert_string_equal(limited_error("attempts: 5m\ntimeout: 300s\n"),
                        "t.yaml:1:11: plugin 'limited': option 'attempts' must be an integer, not '5m'");
    assert_string_equal(limited_error("attempts: 0\n"),
                        "t.yaml:1:11: plugin 'limited': option 'attempts' must be at least 1 (got '0')");
    assert_string_equal(limited_error("attempts: 101\n"),
                        "t.yaml:1:11: plugin 'limited': option 'attempts' must be at most 100 (got '101')");
    assert_string_equal(limited_error("share: 1.0001\n"),
                        "t.yaml:1:8: plugin 'limited': option 'share' must be at most 1 (got '1.0001')");
    assert_string_equal(limited_error("timeout: 99ms\n"),
                        "t.yaml:1:10: plugin 'limited': option 'timeout' must be at least 100ms (got '99ms')");
    assert_string_equal(limited_error("timeout: 5m\n"), "");
    assert_string_equal(limited_error("timeout: 301\n"),
                        "t.yaml:1:10: plugin 'limited': option 'timeout' must be at most 5m (got '301')");
    assert_string_equal(limited_error("buffer: 4095\n"),
                        "t.yaml:1:9: plugin 'limited': option 'buffer' must be at least 4K (got '4095')");
    assert_string_equal(limited_error("mode: Pipeline\n"),
                        "t.yaml:1:7: plugin 'limited': option 'mode' must be one of pipeline, custom_job, none (got "
                        "'Pipeline')");
    assert_string_equal(limited_error("sides: [left, up]\n"),
                        "t.yaml:1:15: plugin 'limited': option 'sides' must be one of left, right (got 'up')");
    assert_string_equal(limited_error("sides: right\n"), "");
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
        cmocka_unit_test(test_options_limits_and_choices),
        cmocka_unit_test(test_options_missing_required_option),
        cmocka_unit_test(test_options_secret_from_env_and_from_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
