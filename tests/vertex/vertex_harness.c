/* Vertex test harness (see vertex_harness.h): plugin loading by dlopen, stderr capture, temporary
 * files; the Python fakes are started with tests/support/fake_server.c. */
#include "vertex_harness.h"

#include <dlfcn.h>
#include <ftw.h>
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

const struct dw_plugin *vx_plugin(void)
{
    static const struct dw_plugin *p;
    if (!p) {
        void *h = dlopen(DW_TEST_PLUGIN_DIR "/vertex.so", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return NULL;
        }
        p = dlsym(h, DW_PLUGIN_SYMBOL);
    }
    return p;
}

int vx_open(struct vx_instance *vi, const char *yaml, char *err, size_t errlen)
{
    return vx_open_named(vi, "vx", yaml, err, errlen);
}

int vx_open_named(struct vx_instance *vi, const char *name, const char *yaml, char *err, size_t errlen)
{
    struct ynode *tree = NULL;
    const struct dw_plugin *p = vx_plugin();
    memset(vi, 0, sizeof *vi);
    if (!p) {
        snprintf(err, errlen, "cannot load vertex.so");
        return -1;
    }
    if (yaml_tree_load_string(yaml, strlen(yaml), "test.yaml", &tree, err, errlen) < 0)
        return -1;
    int rc = options_apply(p, tree, NULL, "test.yaml", &vi->cfg, err, errlen);
    yaml_tree_free(tree);
    log_clear_secrets();
    if (rc < 0)
        return -1;
    vi->ctx = plugin_ctx_new("vertex", name);
    if (!vi->ctx) {
        snprintf(err, errlen, "out of memory");
        plugin_config_free(&vi->cfg);
        return -1;
    }
    if (p->init(host_table(), vi->ctx, name, vi->cfg.data, &vi->inst, err, errlen) < 0) {
        plugin_ctx_free(vi->ctx);
        plugin_config_free(&vi->cfg);
        vi->ctx = NULL;
        vi->inst = NULL;
        return -1;
    }
    return 0;
}

int vx_start(struct vx_instance *vi, char *err, size_t errlen)
{
    int rc = vx_plugin()->start(vi->inst, err, errlen);
    vi->started = rc == 0;
    return rc;
}

void vx_close(struct vx_instance *vi)
{
    if (vi->inst) {
        if (vi->started)
            vx_plugin()->stop(vi->inst);
        vx_plugin()->destroy(vi->inst);
    }
    if (vi->ctx)
        plugin_ctx_free(vi->ctx);
    plugin_config_free(&vi->cfg);
    memset(vi, 0, sizeof *vi);
}

static int saved_stderr = -1;
static char capture_path[4096];

void capture_start(void)
{
    fflush(stderr);
    snprintf(capture_path, sizeof capture_path, "%s/stderr.XXXXXX", tmp_dir());
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
    FILE *fp = fopen(capture_path, "rb");
    char *buf = calloc(1, 1 << 20);
    if (fp && buf)
        fread(buf, 1, (1 << 20) - 1, fp);
    if (fp)
        fclose(fp);
    unlink(capture_path);
    /* Echo it, so a failing test still shows what the plugin said. */
    if (buf)
        fputs(buf, stderr);
    return buf;
}

static char dir[256];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void tmp_cleanup(void)
{
    if (dir[0] && strcmp(dir, "/tmp") != 0)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}

const char *tmp_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/dw-vertex-test.XXXXXX");
        if (!mkdtemp(dir))
            snprintf(dir, sizeof dir, "/tmp");
    }
    return dir;
}

char *tmp_file(const char *name, const char *content)
{
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/%s", tmp_dir(), name);
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(content, fp);
        fclose(fp);
    }
    return path;
}

char *metrics_text(void)
{
    char *out = NULL;
    size_t len = 0;
    metrics_render(&out, &len);
    return out;
}
