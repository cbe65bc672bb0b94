/* Tests for the dvc plugin through its ABI (dlopen dvc.so, driftwatch_plugin, options set via the table).
 * Expected hashes: md5sum / Python (independent_hashes.sh); git commit: `git rev-parse HEAD` if git exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <driftwatch/plugin.h>

#include "dvc_fixtures.h"

static void *so_handle;
static const struct dw_plugin *plugin;

/* The instance's context as the fake host hands it to init: every host call must pass it back. */
static int ctx_token;
#define TEST_CTX ((struct dw_ctx *)&ctx_token)

__attribute__((format(printf, 3, 4)))
static void host_log(struct dw_ctx *ctx, enum dw_log_level level, const char *fmt, ...)
{
    assert_ptr_equal(ctx, TEST_CTX);
    (void)level;
    (void)fmt;
}

/* What the plugin hands the host must come from host->alloc: blocks carry a tag that host_free
 * checks, so a malloc'd answer fails the test (and trips ASan) instead of passing silently. */
#define ALLOC_TAG 0x64766321u
static void *host_alloc(size_t n)
{
    max_align_t *block = malloc(sizeof(max_align_t) + n);
    if (!block)
        return NULL;
    *(unsigned *)block = ALLOC_TAG;
    return block + 1;
}

static void host_free(void *p)
{
    if (!p)
        return;
    max_align_t *block = (max_align_t *)p - 1;
    assert_int_equal(*(unsigned *)block, ALLOC_TAG);
    *(unsigned *)block = 0;
    free(block);
}

static const struct dw_host host = {
    .size = sizeof(struct dw_host),
    .abi = DW_PLUGIN_ABI,
    .log = host_log,
    .state_dir = "/tmp",
    .alloc = host_alloc,
    .free = host_free,
};

static int load_plugin(void **state)
{
    (void)state;
    so_handle = dlopen(DW_TEST_PLUGIN_DIR "/dvc.so", RTLD_NOW | RTLD_LOCAL);
    if (!so_handle) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    plugin = dlsym(so_handle, DW_PLUGIN_SYMBOL);
    return plugin ? 0 : -1;
}

static int unload_plugin(void **state)
{
    (void)state;
    dlclose(so_handle);
    return 0;
}

static const struct dw_option *option(const char *name)
{
    for (const struct dw_option *o = plugin->options; o->name; o++) {
        if (strcmp(o->name, name) == 0)
            return o;
    }
    fail_msg("no option %s", name);
    return NULL;
}

/* Builds the config struct through the option table, as the agent's loader does. */
static void *make_config(const char *repo, const char *path, int cache_check)
{
    char *cfg = calloc(1, plugin->config_size);
    assert_non_null(cfg);
    *(const char **)(cfg + option("repo")->offset) = repo;
    *(const char **)(cfg + option("path")->offset) = path;
    *(int *)(cfg + option("cache_check")->offset) = cache_check;
    return cfg;
}

static void *instance_for(const char *repo, const char *path, int cache_check)
{
    void *cfg = make_config(repo, path, cache_check);
    void *inst = NULL;
    char err[512] = "";
    if (plugin->init(&host, TEST_CTX, "dvc-test", cfg, &inst, err, sizeof err) != 0)
        fail_msg("init: %s", err);
    free(cfg);
    return inst;
}

static json_t *data_version(void *inst, const char *path)
{
    char *out = NULL;
    char err[1024] = "";
    if (plugin->data_version(inst, path, &out, err, sizeof err) != 0)
        fail_msg("data_version(%s): %s", path ? path : "(null)", err);
    json_error_t jerr;
    json_t *v = json_loads(out, 0, &jerr);
    assert_non_null(v);
    host.free(out);
    return v;
}

static void data_version_fails(void *inst, const char *path, const char *expected)
{
    char *out = NULL;
    char err[1024] = "";
    assert_int_equal(plugin->data_version(inst, path, &out, err, sizeof err), -1);
    assert_null(out);
    if (!strstr(err, expected))
        fail_msg("error '%s' does not contain '%s'", err, expected);
}

static char *run_action(void *inst, const char *action, const char *params)
{
    char *out = NULL;
    char err[1024] = "";
    if (plugin->action(inst, action, params, &out, err, sizeof err) != 0)
        fail_msg("action %s %s: %s", action, params, err);
    return out;
}

static void action_fails(void *inst, const char *action, const char *params, const char *expected)
{
    char *out = NULL;
    char err[1024] = "";
    assert_int_equal(plugin->action(inst, action, params, &out, err, sizeof err), -1);
    assert_null(out);
    if (!strstr(err, expected))
        fail_msg("error '%s' does not contain '%s'", err, expected);
}

static void assert_str_field(json_t *v, const char *key, const char *expected)
{
    json_t *f = json_object_get(v, key);
    if (!expected) {
        assert_true(json_is_null(f));
        return;
    }
    if (!json_is_string(f))
        fail_msg("%s is not a string", key);
    assert_string_equal(json_string_value(f), expected);
}

static void assert_int_field(json_t *v, const char *key, long long expected)
{
    json_t *f = json_object_get(v, key);
    assert_true(json_is_integer(f));
    assert_int_equal(json_integer_value(f), expected);
}

static void assert_bool_field(json_t *v, const char *key, int expected)
{
    json_t *f = json_object_get(v, key);
    assert_true(json_is_boolean(f));
    assert_int_equal(json_is_true(f), expected);
}

/* `git rev-parse HEAD` in dir, or "" when git or the repository is unavailable. */
static void git_rev_parse(const char *dir, char *out, size_t len)
{
    char cmd[4096];
    out[0] = '\0';
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse HEAD 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(out, (int)len, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    if (pclose(p) != 0)
        out[0] = '\0';
}

static void test_plugin_exports_versioning_abi_and_documented_options(void **state)
{
    (void)state;
    assert_int_equal(plugin->abi, DW_PLUGIN_ABI);
    assert_int_equal(plugin->size, sizeof(struct dw_plugin));
    assert_int_equal(plugin->option_size, sizeof(struct dw_option));
    assert_string_equal(plugin->name, "dvc");
    assert_int_equal(plugin->kind, DW_KIND_VERSIONING);
    assert_non_null(plugin->init);
    assert_non_null(plugin->destroy);
    assert_non_null(plugin->data_version);
    assert_non_null(plugin->action);
    assert_null(plugin->trigger);
    assert_null(plugin->alert_send);
    assert_int_equal(option("repo")->type, DW_OPT_STRING);
    assert_string_equal(option("repo")->def, ".");
    assert_int_equal(option("path")->type, DW_OPT_STRING);
    assert_int_equal(option("cache_check")->type, DW_OPT_BOOL);
    assert_string_equal(option("cache_check")->def, "false");
    assert_int_equal(option("cache_dir")->type, DW_OPT_STRING);
    for (const struct dw_option *o = plugin->options; o->name; o++) {
        assert_non_null(o->description);
        assert_false(o->required);
        assert_true(o->offset < plugin->config_size);
    }
}

static void test_data_version_of_dvc_tracked_csv(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    json_t *v = data_version(inst, "data/train.csv");
    assert_str_field(v, "tool", "dvc");
    assert_str_field(v, "path", "data/train.csv");
    assert_str_field(v, "md5", "b89fdfd6f9ba4aff460d22babc6b5652"); /* md5sum */
    assert_int_field(v, "size", 61);
    assert_null(json_object_get(v, "nfiles"));
    assert_null(json_object_get(v, "member"));
    assert_null(json_object_get(v, "in_cache"));
    assert_str_field(v, "hash", "md5");
    assert_str_field(v, "stage", NULL);
    assert_str_field(v, "dvc_file", "data/train.csv.dvc");
    assert_bool_field(v, "matches", 1);
    assert_str_field(v, "actual_md5", "b89fdfd6f9ba4aff460d22babc6b5652");
    char head[128];
    git_rev_parse(DVC_PROJECTS "/basic", head, sizeof head);
    if (head[0])
        assert_str_field(v, "git_commit", head);
    json_decref(v);
    plugin->destroy(inst);
}

static void test_data_version_uses_configured_path_and_accepts_absolute_paths(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", "./data/../data/train.csv", 0);
    json_t *v = data_version(inst, NULL);
    assert_str_field(v, "dvc_file", "data/train.csv.dvc");
    json_decref(v);
    char *real = realpath(DVC_PROJECTS "/basic/data/train.csv", NULL);
    assert_non_null(real);
    v = data_version(inst, real);
    assert_str_field(v, "path", "data/train.csv");
    json_decref(v);
    free(real);
    plugin->destroy(inst);
}

/* .dir md5: printf '%s' "<listing of md5sum hashes>" | md5sum, cross-checked with json.dumps */
static void test_data_version_of_tracked_directory(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    json_t *v = data_version(inst, "data/images");
    assert_str_field(v, "md5", "e7afe69d389a8defd88d983314e54268.dir");
    assert_int_field(v, "size", 72);
    assert_int_field(v, "nfiles", 8);
    assert_bool_field(v, "matches", 1);
    assert_str_field(v, "actual_md5", "e7afe69d389a8defd88d983314e54268.dir");
    assert_str_field(v, "dvc_file", "data/images.dvc");
    json_decref(v);
    plugin->destroy(inst);
}

static void test_data_version_of_file_inside_tracked_directory_names_member(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    json_t *v = data_version(inst, "data/images/donn\xc3\xa9" "es/\xf0\x9d\x84\x9e.txt");
    assert_str_field(v, "path", "data/images");
    assert_str_field(v, "member", "donn\xc3\xa9" "es/\xf0\x9d\x84\x9e.txt");
    assert_str_field(v, "md5", "e7afe69d389a8defd88d983314e54268.dir");
    json_decref(v);
    plugin->destroy(inst);
}

static void test_data_version_of_stage_output_names_stage_and_lockfile(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    json_t *v = data_version(inst, "model/model.bin");
    assert_str_field(v, "stage", "train");
    assert_str_field(v, "dvc_file", "dvc.lock");
    assert_str_field(v, "md5", "1f0913b6e3ec845c5170dc1b1c306d6b"); /* md5sum */
    assert_int_field(v, "size", 20);
    assert_bool_field(v, "matches", 1);
    json_decref(v);
    v = data_version(inst, "data/prepared.csv");
    assert_str_field(v, "stage", "prepare");
    assert_str_field(v, "md5", "4b8df2d412982426e1f70054f6febad2");
    json_decref(v);
    plugin->destroy(inst);
}

/* perl -0777 -pe 's/\r\n/\n/g' data/text.csv | md5sum */
static void test_data_version_of_legacy_crlf_file_uses_md5_dos2unix(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/legacy", NULL, 0);
    json_t *v = data_version(inst, "data/text.csv");
    assert_str_field(v, "hash", "md5-dos2unix");
    assert_str_field(v, "md5", "2b2889bf22971a126d3ae2366e134287");
    assert_bool_field(v, "matches", 1);
    json_decref(v);
    v = data_version(inst, "data/mixed");
    assert_str_field(v, "md5", "83d32ff73be75b8b706036eb30fdada6.dir");
    assert_bool_field(v, "matches", 1);
    json_decref(v);
    plugin->destroy(inst);
}

static void test_data_version_of_modified_file_does_not_match(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/modified", NULL, 0);
    json_t *v = data_version(inst, "data/train.csv");
    assert_str_field(v, "md5", "b89fdfd6f9ba4aff460d22babc6b5652");
    assert_bool_field(v, "matches", 0);
    assert_str_field(v, "actual_md5", "af093be501c75765fa745e871a5e1267"); /* md5sum of the new bytes */
    json_decref(v);
    plugin->destroy(inst);
}

static void test_data_version_of_deleted_file_reports_no_actual_md5(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/modified", NULL, 0);
    json_t *v = data_version(inst, "data/gone.csv");
    assert_str_field(v, "md5", "b1304b81a2e029bff466f2c245f1dbfd");
    assert_bool_field(v, "matches", 0);
    assert_str_field(v, "actual_md5", NULL);
    json_decref(v);
    plugin->destroy(inst);
}

/* Found by the repo walk, not by name: a renamed .dvc file with a `..` path, a dvc.lock in a
 * subdirectory (status key "sub/dvc.yaml:make", as `dvc status` prints it); an empty directory on
 * the way; a nested DVC repo is not part of this one. md5sum of "x\n1\n": dc3ba59b... */
static void test_data_version_walks_repo_for_renamed_dvc_files_and_nested_lockfiles(void **state)
{
    (void)state;
    char *repo = fx_tempdir();
    fx_write_str(repo, ".dvc/config", "");
    fx_write_str(repo, "data/x.csv", "x\n1\n");
    fx_write_str(repo, "meta/renamed.dvc", "outs:\n- md5: dc3ba59be5d893be2c69ea202014fe78\n  size: 4\n"
                                           "  hash: md5\n  path: ../data/x.csv\n");
    fx_write_str(repo, "sub/out.csv", "x\n2\n");
    fx_write_str(repo, "sub/dvc.lock", "schema: '2.0'\nstages:\n  make:\n    cmd: make\n    outs:\n"
                                       "    - path: out.csv\n      hash: md5\n"
                                       "      md5: dc3ba59be5d893be2c69ea202014fe78\n      size: 4\n");
    fx_write_str(repo, "nested/.dvc/config", "");
    fx_write_str(repo, "nested/y.csv", "x\n1\n");
    fx_write_str(repo, "nested/meta.dvc", "outs:\n- md5: dc3ba59be5d893be2c69ea202014fe78\n  hash: md5\n"
                                          "  path: y.csv\n");
    char *empty = fx_path(repo, "aaa-empty");
    assert_int_equal(mkdir(empty, 0755), 0);

    void *inst = instance_for(repo, NULL, 0);
    json_t *v = data_version(inst, "data/x.csv");
    assert_str_field(v, "dvc_file", "meta/renamed.dvc");
    assert_bool_field(v, "matches", 1);
    json_decref(v);
    v = data_version(inst, "sub/out.csv");
    assert_str_field(v, "dvc_file", "sub/dvc.lock");
    assert_str_field(v, "stage", "make");
    assert_bool_field(v, "matches", 0);
    json_decref(v);
    char *out = run_action(inst, "status", "{\"path\": \"sub/out.csv\"}");
    assert_string_equal(out, "{\"sub/dvc.yaml:make\":[{\"changed outs\":{\"sub/out.csv\":\"modified\"}}]}");
    host.free(out);
    data_version_fails(inst, "nested/y.csv", "'nested/y.csv' is not tracked by DVC");
    plugin->destroy(inst);
    free(empty);
    fx_remove(repo);
}

static void test_data_version_errors_say_what_and_where(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    data_version_fails(inst, "data/nothere.csv", "'data/nothere.csv' is not tracked by DVC");
    data_version_fails(inst, "src/prepare.py", "only a dependency of stage 'prepare' in dvc.lock");
    data_version_fails(inst, "../legacy/data/text.csv", "outside the DVC repo");
    data_version_fails(inst, NULL, "no path given and option 'path' is not set");
    plugin->destroy(inst);
    inst = instance_for(DVC_PROJECTS "/badyaml", NULL, 0);
    data_version_fails(inst, "data.csv", "/badyaml/data.csv.dvc:5:17: mapping values are not allowed");
    plugin->destroy(inst);
    inst = instance_for(DVC_PROJECTS "/badschema", NULL, 0);
    data_version_fails(inst, "out.csv", "/badschema/dvc.lock:1:9: unsupported dvc.lock schema '3.0'");
    plugin->destroy(inst);
}

static void test_init_rejects_missing_dir_and_non_dvc_repo(void **state)
{
    (void)state;
    void *inst = NULL;
    char err[512] = "";
    void *cfg = make_config(DVC_PROJECTS "/does-not-exist", NULL, 0);
    assert_int_equal(plugin->init(&host, TEST_CTX, "dvc", cfg, &inst, err, sizeof err), -1);
    assert_non_null(strstr(err, "does-not-exist': No such file or directory"));
    free(cfg);
    cfg = make_config(DVC_PROJECTS, NULL, 0);
    assert_int_equal(plugin->init(&host, TEST_CTX, "dvc", cfg, &inst, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a DVC repository (no .dvc/ directory"));
    assert_null(inst);
    free(cfg);
}

static void test_cache_check_finds_dvc3_and_legacy_objects(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 1);
    json_t *v = data_version(inst, "data/train.csv"); /* .dvc/cache/files/md5/b8/9fdf... */
    assert_bool_field(v, "in_cache", 1);
    json_decref(v);
    v = data_version(inst, "model/model.bin");
    assert_bool_field(v, "in_cache", 0);
    json_decref(v);
    plugin->destroy(inst);
    inst = instance_for(DVC_PROJECTS "/legacy", NULL, 1);
    v = data_version(inst, "data/text.csv"); /* .dvc/cache/2b/2889... */
    assert_bool_field(v, "in_cache", 1);
    json_decref(v);
    plugin->destroy(inst);
}

/* A directory is in the cache when its .dir listing and every file object it lists are. */
static void test_cache_check_of_directory_needs_listing_and_every_file(void **state)
{
    (void)state;
    char *repo = fx_copy_project("basic");
    static const char *const objects[][2] = {
        {"a5/09306ed7889e444236b4a8b78d4866", "data/images/B.csv"},
        {"b5/3243cf3e46fb66ecc9075617cc59e4", "data/images/a.csv"},
        {"50/b1ee1f88fcc8f106990a17a31d92ff", "data/images/donn\xc3\xa9" "es/\xc3\xa9.csv"},
        {"09/1eda934300fdfd7750f748a6fbc102", "data/images/donn\xc3\xa9" "es/\xef\xbd\x9a.txt"},
        {"a3/db14c42fb252f041dafe325b65e646", "data/images/donn\xc3\xa9" "es/\xf0\x9d\x84\x9e.txt"},
        {"50/ec4bff85d8b635a5a1104b319d8ec5", "data/images/x-1.csv"},
        {"e7/0517a67966f25cf09815c20abe7bd2", "data/images/x.csv"},
        {"a6/9165f33ba5bf5f83fec0b62c4d5eef", "data/images/x/y.csv"},
    };
    char rel[256];
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        snprintf(rel, sizeof rel, ".dvc/cache/files/md5/%s", objects[i][0]);
        fx_write_str(repo, rel, objects[i][1]); /* content does not matter for presence */
    }
    fx_write_str(repo, ".dvc/cache/files/md5/e7/afe69d389a8defd88d983314e54268.dir",
                 "[{\"md5\": \"a509306ed7889e444236b4a8b78d4866\", \"relpath\": \"B.csv\"}, "
                 "{\"md5\": \"b53243cf3e46fb66ecc9075617cc59e4\", \"relpath\": \"a.csv\"}, "
                 "{\"md5\": \"50b1ee1f88fcc8f106990a17a31d92ff\", \"relpath\": \"donn\\u00e9es/\\u00e9.csv\"}, "
                 "{\"md5\": \"091eda934300fdfd7750f748a6fbc102\", \"relpath\": \"donn\\u00e9es/\\uff5a.txt\"}, "
                 "{\"md5\": \"a3db14c42fb252f041dafe325b65e646\", \"relpath\": \"donn\\u00e9es/\\ud834\\udd1e.txt\"}, "
                 "{\"md5\": \"50ec4bff85d8b635a5a1104b319d8ec5\", \"relpath\": \"x-1.csv\"}, "
                 "{\"md5\": \"e70517a67966f25cf09815c20abe7bd2\", \"relpath\": \"x.csv\"}, "
                 "{\"md5\": \"a69165f33ba5bf5f83fec0b62c4d5eef\", \"relpath\": \"x/y.csv\"}]");
    void *inst = instance_for(repo, NULL, 1);
    json_t *v = data_version(inst, "data/images");
    assert_bool_field(v, "in_cache", 1);
    json_decref(v);
    char *obj = fx_path(repo, ".dvc/cache/files/md5/e7/0517a67966f25cf09815c20abe7bd2");
    assert_int_equal(unlink(obj), 0);
    v = data_version(inst, "data/images");
    assert_bool_field(v, "in_cache", 0);
    json_decref(v);
    free(obj);
    plugin->destroy(inst);
    fx_remove(repo);
}

static void test_action_hash_of_file_and_directory(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    char *out = run_action(inst, "hash", "{\"path\": \"data/images\"}");
    assert_string_equal(out, "{\"path\":\"data/images\",\"md5\":\"e7afe69d389a8defd88d983314e54268.dir\","
                             "\"size\":72,\"nfiles\":8,\"hash\":\"md5\"}");
    host.free(out);
    out = run_action(inst, "hash", "{\"path\": \"data/train.csv\"}");
    assert_string_equal(out, "{\"path\":\"data/train.csv\",\"md5\":\"b89fdfd6f9ba4aff460d22babc6b5652\","
                             "\"size\":61,\"hash\":\"md5\"}");
    host.free(out);
    plugin->destroy(inst);
    inst = instance_for(DVC_PROJECTS "/legacy", NULL, 0);
    out = run_action(inst, "hash", "{\"path\": \"data/text.csv\", \"hash\": \"md5-dos2unix\"}");
    assert_string_equal(out, "{\"path\":\"data/text.csv\",\"md5\":\"2b2889bf22971a126d3ae2366e134287\","
                             "\"size\":27,\"hash\":\"md5-dos2unix\"}");
    host.free(out);
    plugin->destroy(inst);
}

static void test_action_errors_name_the_problem(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 0);
    action_fails(inst, "hash", "{\"path\": \"data/missing.csv\"}", "data/missing.csv: No such file or directory");
    action_fails(inst, "hash", "{}", "hash: params need \"path\"");
    action_fails(inst, "hash", "{\"path\": \"data/train.csv\", \"hash\": \"sha1\"}", "unknown \"hash\" 'sha1'");
    action_fails(inst, "hash", "{\"path\": 3}", "\"path\" must be a string");
    action_fails(inst, "hash", "{\"path\": ", "params: invalid JSON at line 1");
    action_fails(inst, "hash", "[]", "params: expected a JSON object");
    action_fails(inst, "push", "{}", "unknown action 'push' (dvc supports: hash, status)");
    plugin->destroy(inst);
}

/* `dvc status --json` prints {} when the target is up to date. */
static void test_action_status_of_up_to_date_output_is_empty_object(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", "data/train.csv", 0);
    char *out = run_action(inst, "status", NULL);
    assert_string_equal(out, "{}");
    host.free(out);
    out = run_action(inst, "status", "{\"path\": \"model/model.bin\"}");
    assert_string_equal(out, "{}");
    host.free(out);
    plugin->destroy(inst);
}

static void test_action_status_reports_modified_and_deleted_outputs(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/modified", NULL, 0);
    char *out = run_action(inst, "status", "{\"path\": \"data/train.csv\"}");
    assert_string_equal(out, "{\"data/train.csv.dvc\":[{\"changed outs\":{\"data/train.csv\":\"modified\"}}]}");
    host.free(out);
    out = run_action(inst, "status", "{\"path\": \"data/gone.csv\"}");
    assert_string_equal(out, "{\"data/gone.csv.dvc\":[{\"changed outs\":{\"data/gone.csv\":\"deleted\"}}]}");
    host.free(out);
    plugin->destroy(inst);
}

static void test_action_status_of_stage_output_reports_changed_deps(void **state)
{
    (void)state;
    char *repo = fx_copy_project("basic");
    fx_write_str(repo, "data/train.csv", "amount,country,label\n1,FR,0\n");
    fx_write_str(repo, "data/images/new.csv", "n\n");
    void *inst = instance_for(repo, NULL, 0);
    char *out = run_action(inst, "status", "{\"path\": \"data/prepared.csv\"}");
    assert_string_equal(out, "{\"prepare\":[{\"changed deps\":{\"data/train.csv\":\"modified\"}}]}");
    host.free(out);
    out = run_action(inst, "status", "{\"path\": \"model/model.bin\"}");
    assert_string_equal(out, "{\"train\":[{\"changed deps\":{\"data/images\":\"modified\"}}]}");
    host.free(out);
    plugin->destroy(inst);
    fx_remove(repo);
}

static void test_action_status_with_cache_check_reports_not_in_cache(void **state)
{
    (void)state;
    void *inst = instance_for(DVC_PROJECTS "/basic", NULL, 1);
    char *out = run_action(inst, "status", "{\"path\": \"model/model.bin\"}");
    assert_string_equal(out, "{\"train\":[{\"changed outs\":{\"model/model.bin\":\"not in cache\"}}]}");
    host.free(out);
    out = run_action(inst, "status", "{\"path\": \"data/train.csv\"}");
    assert_string_equal(out, "{}");
    host.free(out);
    plugin->destroy(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_exports_versioning_abi_and_documented_options),
        cmocka_unit_test(test_data_version_of_dvc_tracked_csv),
        cmocka_unit_test(test_data_version_uses_configured_path_and_accepts_absolute_paths),
        cmocka_unit_test(test_data_version_of_tracked_directory),
        cmocka_unit_test(test_data_version_of_file_inside_tracked_directory_names_member),
        cmocka_unit_test(test_data_version_of_stage_output_names_stage_and_lockfile),
        cmocka_unit_test(test_data_version_of_legacy_crlf_file_uses_md5_dos2unix),
        cmocka_unit_test(test_data_version_of_modified_file_does_not_match),
        cmocka_unit_test(test_data_version_of_deleted_file_reports_no_actual_md5),
        cmocka_unit_test(test_data_version_walks_repo_for_renamed_dvc_files_and_nested_lockfiles),
        cmocka_unit_test(test_data_version_errors_say_what_and_where),
        cmocka_unit_test(test_init_rejects_missing_dir_and_non_dvc_repo),
        cmocka_unit_test(test_cache_check_finds_dvc3_and_legacy_objects),
        cmocka_unit_test(test_cache_check_of_directory_needs_listing_and_every_file),
        cmocka_unit_test(test_action_hash_of_file_and_directory),
        cmocka_unit_test(test_action_errors_name_the_problem),
        cmocka_unit_test(test_action_status_of_up_to_date_output_is_empty_object),
        cmocka_unit_test(test_action_status_reports_modified_and_deleted_outputs),
        cmocka_unit_test(test_action_status_of_stage_output_reports_changed_deps),
        cmocka_unit_test(test_action_status_with_cache_check_reports_not_in_cache),
    };
    return cmocka_run_group_tests(tests, load_plugin, unload_plugin);
}
