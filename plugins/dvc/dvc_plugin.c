/* dvc: the data-versioning plugin. Answers which DVC data version a training file or directory has
 * (from .dvc files and dvc.lock, DVC 3 and DVC 2 hashes) without DVC installed. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <driftwatch/plugin.h>

#include "dir_hash.h"
#include "dvc_cache.h"
#include "dvc_lookup.h"
#include "dvc_path.h"
#include "git_head.h"
#include "plugin_common.h"

/* Insertion order kept, compact: what data_version and actions return. */
#define DVC_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

struct dvc_config {
    const char *repo;
    const char *path;
    int cache_check;
    const char *cache_dir;
};

static const struct dw_option dvc_options[] = {
    {.name = "repo", .type = DW_OPT_STRING, .def = ".", .offset = offsetof(struct dvc_config, repo),
     .description = "DVC repository root (the directory holding .dvc/), relative to the agent's working directory"},
    {.name = "path", .type = DW_OPT_STRING, .offset = offsetof(struct dvc_config, path),
     .description = "tracked training data (file or directory), relative to repo; used when a caller names none"},
    {.name = "cache_check", .type = DW_OPT_BOOL, .def = "false", .offset = offsetof(struct dvc_config, cache_check),
     .description = "also report whether the recorded version is in the local DVC cache"},
    {.name = "cache_dir", .type = DW_OPT_STRING, .offset = offsetof(struct dvc_config, cache_dir),
     .description = "DVC cache directory, relative to repo (default .dvc/cache)"},
    {.name = NULL},
};

struct dvc_instance {
    const struct dw_host *host;
    char *repo;      /* realpath of the repo root */
    char *path;      /* default tracked path, NULL when unset */
    char *cache_dir; /* absolute */
    int cache_check;
};

/* The hash of what is on disk at an output's path. */
struct actual {
    int exists;
    char md5[DVC_DIR_HEX];
    uint64_t size;
    int64_t nfiles; /* -1 for a file */
};

static void dvc_destroy(void *instance)
{
    struct dvc_instance *inst = instance;
    if (!inst)
        return;
    free(inst->repo);
    free(inst->path);
    free(inst->cache_dir);
    free(inst);
}

static int dvc_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                    void **instance, char *err, size_t errlen)
{
    (void)instance_name; /* the host names the instance in its log lines */
    const struct dvc_config *cfg = config;
    struct dvc_instance *inst = calloc(1, sizeof *inst);
    const char *repo = cfg->repo;
    char *dotdvc = NULL;
    struct stat st;
    int rc = -1;

    *instance = NULL;
    if (!inst) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    inst->host = host;
    inst->cache_check = cfg->cache_check;
    inst->repo = realpath(repo, NULL);
    if (!inst->repo) {
        snprintf(err, errlen, "repo '%s': %s", repo, strerror(errno));
        goto out;
    }
    dotdvc = dvc_path_join(inst->repo, ".dvc");
    if (!dotdvc) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (stat(dotdvc, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen,
                 "repo '%s' is not a DVC repository (no .dvc/ directory in %s); set repo: to the directory "
                 "where `dvc init` was run",
                 repo, inst->repo);
        goto out;
    }
    inst->cache_dir = dvc_path_join(inst->repo, cfg->cache_dir ? cfg->cache_dir : ".dvc/cache");
    inst->path = cfg->path ? strdup(cfg->path) : NULL;
    if (!inst->cache_dir || (cfg->path && !inst->path)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    host->log(ctx, DW_LOG_INFO, "DVC repo %s, cache %s%s", inst->repo, inst->cache_dir,
              inst->cache_check ? " (checked)" : "");
    *instance = inst;
    inst = NULL;
    rc = 0;
out:
    free(dotdvc);
    dvc_destroy(inst);
    return rc;
}

/* Hashes what is at repo/rel with the entry's algorithm; a missing path is not an error. */
static int hash_on_disk(const struct dvc_instance *inst, const char *rel, enum dvc_hash hash,
                        struct actual *a, char *err, size_t errlen)
{
    int rc = -1;
    char *abs = dvc_path_join(inst->repo, rel);
    struct stat st;

    memset(a, 0, sizeof *a);
    a->nfiles = -1;
    if (!abs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (stat(abs, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(err, errlen, "cannot stat %s: %s", abs, strerror(errno));
            goto out;
        }
        rc = 0;
        goto out;
    }
    a->exists = 1;
    if (S_ISDIR(st.st_mode)) {
        uint64_t nfiles = 0;
        if (dvc_dir_hash(abs, hash, a->md5, &a->size, &nfiles, err, errlen) != 0)
            goto out;
        a->nfiles = (int64_t)nfiles;
    } else if (dvc_md5_file(abs, hash, a->md5, &a->size, err, errlen) != 0) {
        goto out;
    }
    rc = 0;
out:
    free(abs);
    return rc;
}

static int is_dir_md5(const char *md5)
{
    size_t n = strlen(md5);
    return n > 4 && strcmp(md5 + n - 4, ".dir") == 0;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Adds key: v (v may be NULL after a failed allocation); *bad records any failure. */
static void put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (json_object_set_new(obj, key, v) != 0)
        *bad = 1;
}

static int finish(const struct dvc_instance *inst, json_t *obj, int bad, char **json_out, char *err, size_t errlen)
{
    char *s = !bad && obj ? pu_json_dump_for_host(inst->host, obj, DVC_JSON_FLAGS) : NULL;
    json_decref(obj);
    if (!s) {
        /* jansson refuses strings that are not UTF-8; file names can be any bytes */
        snprintf(err, errlen, "cannot build the JSON answer (out of memory or a path that is not UTF-8)");
        return -1;
    }
    *json_out = s;
    return 0;
}

/* Resolves the path a caller asked about (or the configured one) and finds what tracks it. */
static int find_tracked(const struct dvc_instance *inst, const char *path, struct dvc_match *m, char *err,
                        size_t errlen)
{
    char *rel = NULL;
    int rc = -1;
    if (!path || !path[0])
        path = inst->path;
    if (!path) {
        snprintf(err, errlen, "no path given and option 'path' is not set");
        return -1;
    }
    if (dvc_path_to_repo(inst->repo, path, &rel, err, errlen) != 0)
        return -1;
    rc = dvc_lookup(inst->repo, rel, m, err, errlen);
    if (rc == 0 && !m->out->md5) {
        snprintf(err, errlen, "%s/%s:%lu:%lu: output '%s' records no md5 (run `dvc commit` for it)", inst->repo,
                 m->doc->file, m->out->line, m->out->col, m->out->path);
        dvc_match_release(m);
        rc = -1;
    }
    free(rel);
    return rc;
}

/* The version recorded for path (or the configured one) and whether the workspace still has it; a
 * path inside a tracked directory answers for that directory and names the rest as "member". */
static int dvc_data_version(void *instance, const char *path, char **json_out, char *err, size_t errlen)
{
    const struct dvc_instance *inst = instance;
    struct dvc_match m = {0};
    struct actual a;
    json_t *obj = NULL;
    int bad = 0, rc = -1, in_cache = 0;
    char oid[DVC_GIT_OID_MAX];

    *json_out = NULL;
    if (find_tracked(inst, path, &m, err, errlen) != 0)
        goto out;
    const struct dvc_entry *e = m.out;
    if (hash_on_disk(inst, e->path, e->hash, &a, err, errlen) != 0)
        goto out;
    if (inst->cache_check && dvc_cache_has(inst->cache_dir, e->hash, e->md5, &in_cache, err, errlen) != 0)
        goto out;
    int have_oid = dvc_git_head(inst->repo, oid);

    obj = json_object();
    put(obj, "tool", json_string("dvc"), &bad);
    put(obj, "path", json_string(e->path), &bad);
    if (m.member)
        put(obj, "member", json_string(m.member), &bad);
    put(obj, "md5", json_string(e->md5), &bad);
    put(obj, "size", e->size >= 0 ? json_integer(e->size) : json_null(), &bad);
    if (is_dir_md5(e->md5))
        put(obj, "nfiles", e->nfiles >= 0 ? json_integer(e->nfiles) : json_null(), &bad);
    put(obj, "hash", json_string(dvc_hash_name(e->hash)), &bad);
    put(obj, "stage", string_or_null(e->stage), &bad);
    put(obj, "dvc_file", json_string(m.doc->file), &bad);
    put(obj, "git_commit", string_or_null(have_oid ? oid : NULL), &bad);
    put(obj, "matches", json_boolean(a.exists && strcmp(a.md5, e->md5) == 0), &bad);
    put(obj, "actual_md5", string_or_null(a.exists ? a.md5 : NULL), &bad);
    if (inst->cache_check)
        put(obj, "in_cache", json_boolean(in_cache), &bad);
    rc = finish(inst, obj, bad, json_out, err, errlen);
out:
    dvc_match_release(&m);
    return rc;
}

/* `dvc status` names a .dvc file by its path, a stage by its name ("sub/dvc.yaml:name" below the root). */
static char *status_key(const struct dvc_doc *doc, const char *stage)
{
    if (!doc->is_lock || !stage)
        return strdup(doc->file);
    char *dir = dvc_path_dirname(doc->file);
    if (!dir)
        return NULL;
    size_t n = strlen(dir) + strlen(stage) + 12;
    char *key = malloc(n);
    if (key && strcmp(dir, ".") == 0)
        snprintf(key, n, "%s", stage);
    else if (key)
        snprintf(key, n, "%s/dvc.yaml:%s", dir, stage);
    free(dir);
    return key;
}

/* "modified", "deleted" or NULL (unchanged) for one recorded entry. */
static int entry_change(const struct dvc_instance *inst, const struct dvc_entry *e, const char **change,
                        char *err, size_t errlen)
{
    struct actual a;
    *change = NULL;
    if (hash_on_disk(inst, e->path, e->hash, &a, err, errlen) != 0)
        return -1;
    if (!a.exists)
        *change = "deleted";
    else if (strcmp(a.md5, e->md5) != 0)
        *change = "modified";
    return 0;
}

/* Like `dvc status --json <target>` for the output tracking path: {} when up to date, else
 * {"<dvc file or stage>": [{"changed deps": {...}}, {"changed outs": {"<path>": "modified"}}]}. */
static int action_status(const struct dvc_instance *inst, const char *path, char **json_out, char *err,
                         size_t errlen)
{
    struct dvc_match m = {0};
    json_t *obj = json_object(), *changes = json_array(), *deps = json_object();
    char *key = NULL;
    int bad = !obj || !changes || !deps, rc = -1;
    const char *change = NULL;

    if (find_tracked(inst, path, &m, err, errlen) != 0)
        goto out;
    const struct dvc_entry *e = m.out;
    for (size_t i = 0; e->stage && i < m.doc->n_entries; i++) {
        const struct dvc_entry *d = &m.doc->entries[i];
        if (!d->is_dep || d->stage != e->stage || !d->md5)
            continue;
        if (entry_change(inst, d, &change, err, errlen) != 0)
            goto out;
        if (change)
            put(deps, d->path, json_string(change), &bad);
    }
    if (json_object_size(deps) > 0) {
        json_t *item = json_object();
        put(item, "changed deps", json_incref(deps), &bad);
        if (json_array_append_new(changes, item) != 0)
            bad = 1;
    }
    if (entry_change(inst, e, &change, err, errlen) != 0)
        goto out;
    if (!change && inst->cache_check) {
        int present = 0;
        if (dvc_cache_has(inst->cache_dir, e->hash, e->md5, &present, err, errlen) != 0)
            goto out;
        change = present ? NULL : "not in cache";
    }
    if (change) {
        json_t *outs = json_object(), *item = json_object();
        put(outs, e->path, json_string(change), &bad);
        put(item, "changed outs", outs, &bad);
        if (json_array_append_new(changes, item) != 0)
            bad = 1;
    }
    if (json_array_size(changes) > 0) {
        key = status_key(m.doc, e->stage);
        if (key)
            put(obj, key, json_incref(changes), &bad);
        else
            bad = 1;
    }
    rc = finish(inst, obj, bad, json_out, err, errlen);
    obj = NULL;
out:
    json_decref(obj);
    json_decref(changes);
    json_decref(deps);
    free(key);
    dvc_match_release(&m);
    return rc;
}

/* {"path", "md5", "size", "nfiles" (directories), "hash"} for any file or directory in the repo. */
static int action_hash(const struct dvc_instance *inst, const char *path, const char *hash_name, char **json_out,
                       char *err, size_t errlen)
{
    char *rel = NULL;
    struct actual a;
    enum dvc_hash hash = DVC_HASH_MD5;
    int bad = 0, rc = -1;

    if (!path || !path[0]) {
        snprintf(err, errlen, "hash: params need \"path\" (a file or directory relative to the repo)");
        goto out;
    }
    if (hash_name && strcmp(hash_name, "md5-dos2unix") == 0) {
        hash = DVC_HASH_MD5_DOS2UNIX;
    } else if (hash_name && strcmp(hash_name, "md5") != 0) {
        snprintf(err, errlen, "hash: unknown \"hash\" '%s' (md5 or md5-dos2unix)", hash_name);
        goto out;
    }
    if (dvc_path_to_repo(inst->repo, path, &rel, err, errlen) != 0)
        goto out;
    if (hash_on_disk(inst, rel, hash, &a, err, errlen) != 0)
        goto out;
    if (!a.exists) {
        snprintf(err, errlen, "hash: %s/%s: %s", inst->repo, rel, strerror(ENOENT));
        goto out;
    }
    json_t *obj = json_object();
    put(obj, "path", json_string(rel), &bad);
    put(obj, "md5", json_string(a.md5), &bad);
    put(obj, "size", json_integer((json_int_t)a.size), &bad);
    if (a.nfiles >= 0)
        put(obj, "nfiles", json_integer(a.nfiles), &bad);
    put(obj, "hash", json_string(dvc_hash_name(hash)), &bad);
    rc = finish(inst, obj, bad, json_out, err, errlen);
out:
    free(rel);
    return rc;
}

static int dvc_action(void *instance, const char *action, const char *params_json, char **result_json,
                      char *err, size_t errlen)
{
    const struct dvc_instance *inst = instance;
    json_t *params = NULL;
    json_error_t jerr;
    int rc = -1;

    *result_json = NULL;
    params = params_json && params_json[0] ? json_loads(params_json, 0, &jerr) : json_object();
    if (!params) {
        snprintf(err, errlen, "params: invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(params)) {
        snprintf(err, errlen, "params: expected a JSON object");
        goto out;
    }
    json_t *pv = json_object_get(params, "path");
    if (pv && !json_is_string(pv)) {
        snprintf(err, errlen, "params: \"path\" must be a string");
        goto out;
    }
    const char *path = json_string_value(pv);
    if (action && strcmp(action, "hash") == 0) {
        json_t *hv = json_object_get(params, "hash");
        if (hv && !json_is_string(hv)) {
            snprintf(err, errlen, "params: \"hash\" must be a string");
            goto out;
        }
        rc = action_hash(inst, path, json_string_value(hv), result_json, err, errlen);
    } else if (action && strcmp(action, "status") == 0) {
        rc = action_status(inst, path, result_json, err, errlen);
    } else {
        snprintf(err, errlen, "unknown action '%s' (dvc supports: hash, status)", action ? action : "");
    }
out:
    json_decref(params);
    return rc;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "dvc",
    .kind = DW_KIND_VERSIONING,
    .version = DVC_PLUGIN_VERSION,
    .description = "DVC data versions (.dvc files, dvc.lock) of training data, hashed as DVC 3 does",
    .options = dvc_options,
    .config_size = sizeof(struct dvc_config),
    .init = dvc_init,
    .destroy = dvc_destroy,
    .data_version = dvc_data_version,
    .action = dvc_action,
};
