/* Trainer-plugin test harness (see trig_harness.h): plugin loading by dlopen, options from YAML,
 * stderr capture, files; the fake KFP server is started with tests/support/fake_server.c. */
#include "trig_harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/host.h"
#include "plugin/plugin_ctx.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/yaml_tree.h"

const struct dw_plugin *trig_plugin(const char *name)
{
    static struct {
        char name[32];
        const struct dw_plugin *p;
    } loaded[4];
    for (size_t i = 0; i < 4; i++)
        if (loaded[i].p && strcmp(loaded[i].name, name) == 0)
            return loaded[i].p;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", DW_TEST_PLUGIN_DIR, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return NULL;
    }
    const struct dw_plugin *p = dlsym(h, DW_PLUGIN_SYMBOL);
    for (size_t i = 0; p && i < 4; i++)
        if (!loaded[i].p) {
            snprintf(loaded[i].name, sizeof loaded[i].name, "%s", name);
            loaded[i].p = p;
            break;
        }
    return p;
}

int trig_open(struct trig_instance *ti, const char *plugin, const char *instance_name, const char *yaml, char *err,
              size_t errlen)
{
    struct ynode *tree = NULL;
    memset(ti, 0, sizeof *ti);
    ti->p = trig_plugin(plugin);
    if (!ti->p) {
        snprintf(err, errlen, "cannot load %s.so", plugin);
        return -1;
    }
    if (yaml_tree_load_string(yaml, strlen(yaml), "test.yaml", &tree, err, errlen) < 0)
        return -1;
    int rc = options_apply(ti->p, tree, NULL, "test.yaml", &ti->cfg, err, errlen);
    yaml_tree_free(tree);
    log_clear_secrets();
    if (rc < 0)
        return -1;
    ti->ctx = plugin_ctx_new(plugin, instance_name);
    if (!ti->ctx) {
        snprintf(err, errlen, "out of memory");
        plugin_config_free(&ti->cfg);
        return -1;
    }
    if (ti->p->init(host_table(), ti->ctx, instance_name, ti->cfg.data, &ti->inst, err, errlen) < 0) {
        plugin_ctx_free(ti->ctx);
        plugin_config_free(&ti->cfg);
        ti->ctx = NULL;
        ti->inst = NULL;
        return -1;
    }
    return 0;
}

int trig_start(struct trig_instance *ti, char *err, size_t errlen)
{
    int rc = ti->p->start ? ti->p->start(ti->inst, err, errlen) : 0;
    ti->started = rc == 0;
    return rc;
}

void trig_close(struct trig_instance *ti)
{
    if (ti->inst) {
        if (ti->started && ti->p->stop)
            ti->p->stop(ti->inst);
        ti->p->destroy(ti->inst);
    }
    if (ti->ctx)
        plugin_ctx_free(ti->ctx);
    plugin_config_free(&ti->cfg);
    memset(ti, 0, sizeof *ti);
}

int trig_fire(struct trig_instance *ti, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
              size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->size = sizeof *res;
    err[0] = '\0';
    return ti->p->trigger(ti->inst, ev, res, err, errlen);
}

struct dw_trigger_event trig_event(const char *key, int dry_run)
{
    static const struct dw_feature_score features[] = {
        {"amount", "ks", 0.41, 0.001},
        {"country", "chisquare", 37.5, 0.0002},
    };
    struct dw_trigger_event ev = {.size = sizeof ev,
                                  .model = "fraud", .key = key, .data_version = "0f3e8a1b2c4d",
                                  .window_end = "2024-05-01T12:00:00Z", .n_features = 2, .features = features,
                                  .dry_run = dry_run};
    return ev;
}

/* ---- stderr capture ---- */

static int saved_stderr = -1;
static char capture_path[4096];

void capture_start(void)
{
    fflush(stderr);
    snprintf(capture_path, sizeof capture_path, "%s/stderr.XXXXXX", trig_tmp_dir());
    int fd = mkstemp(capture_path);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

char *capture_stop(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    char *buf = trig_read_file(capture_path);
    unlink(capture_path);
    if (buf)
        fputs(buf, stderr);
    return buf ? buf : calloc(1, 1);
}

/* ---- files ---- */

const char *trig_tmp_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/dw-trig-test.XXXXXX");
        if (!mkdtemp(dir))
            snprintf(dir, sizeof dir, "/tmp");
    }
    return dir;
}

char *trig_new_dir(const char *name)
{
    static int n;
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/%s.%d", trig_tmp_dir(), name, ++n);
    mkdir(path, 0700);
    return path;
}

void trig_state_dir(const char *dir)
{
    host_set_state_dir(dir);
}

void trig_write_file(const char *path, const char *content, int exec)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return;
    fputs(content, fp);
    fclose(fp);
    chmod(path, exec ? 0755 : 0644);
}

char *trig_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1024 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, 1024, fp);
        if (n == 0)
            break;
        len += n;
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

char *metrics_text(void)
{
    char *out = NULL;
    size_t len = 0;
    metrics_render(&out, &len);
    return out;
}
