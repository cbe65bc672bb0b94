/* Trainer-plugin test harness (see trig_harness.h): plugin loading by dlopen, options from YAML,
 * the fake KFP server as a child process driven through the core's HTTP client, stderr capture. */
#include "trig_harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "http_client.h"
#include "log.h"
#include "metrics.h"
#include "yaml_tree.h"

#ifndef DW_PYTHON3
#define DW_PYTHON3 "/usr/bin/python3"
#endif

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
    if (ti->p->init(host_table(), instance_name, ti->cfg.data, &ti->inst, err, errlen) < 0) {
        plugin_config_free(&ti->cfg);
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
    plugin_config_free(&ti->cfg);
    memset(ti, 0, sizeof *ti);
}

int trig_fire(struct trig_instance *ti, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
              size_t errlen)
{
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    return ti->p->trigger(ti->inst, ev, res, err, errlen);
}

struct dw_trigger_event trig_event(const char *key, int dry_run)
{
    static const struct dw_feature_score features[] = {
        {"amount", "ks", 0.41, 0.001},
        {"country", "chisquare", 37.5, 0.0002},
    };
    struct dw_trigger_event ev = {.model = "fraud", .key = key, .data_version = "0f3e8a1b2c4d",
                                  .window_end = "2024-05-01T12:00:00Z", .n_features = 2, .features = features,
                                  .dry_run = dry_run};
    return ev;
}

/* ---- fake KFP server ---- */

int fake_start(struct fake *f)
{
    char path[4096];
    int fds[2];
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "%s/tests/triggers/fake_kfp.py", DW_TEST_SOURCE_DIR);
    if (pipe(fds) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(DW_PYTHON3, DW_PYTHON3, path, "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[128] = "";
    size_t len = 0;
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    while (len + 1 < sizeof line && !strchr(line, '\n')) {
        if (poll(&pfd, 1, 10000) <= 0)
            break;
        ssize_t r = read(fds[0], line + len, sizeof line - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        line[len] = '\0';
    }
    close(fds[0]);
    if (sscanf(line, "PORT %d", &f->port) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fprintf(stderr, "fake_kfp.py did not start (got '%s')\n", line);
        return -1;
    }
    f->pid = pid;
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
    return 0;
}

void fake_stop(struct fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    f->pid = 0;
}

static json_t *fake_call(const struct fake *f, const char *method, const char *path, const char *body, long *status)
{
    char url[512], err[512];
    const char *headers[] = {"Content-Type: application/json", NULL};
    snprintf(url, sizeof url, "%s%s", f->url, path);
    struct dw_http_client_request req = {.method = method, .url = url, .headers = headers, .body = body,
                                         .body_len = body ? strlen(body) : 0, .timeout_ms = 5000, .max_attempts = 1};
    struct dw_http_client_response resp;
    *status = 0;
    if (http_client_request(&req, &resp, err, sizeof err) < 0)
        return NULL;
    *status = resp.status;
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    free(resp.body);
    return j;
}

json_t *fake_get(const struct fake *f, const char *path)
{
    long status;
    return fake_call(f, "GET", path, NULL, &status);
}

int fake_post(const struct fake *f, const char *path, const char *json)
{
    long status;
    json_t *j = fake_call(f, "POST", path, json, &status);
    json_decref(j);
    return status == 200 ? 0 : -1;
}

json_t *fake_request(const struct fake *f, const char *method, const char *path, size_t n)
{
    json_t *reqs = fake_get(f, "/_fake/requests"), *it, *found = NULL;
    size_t i, seen = 0;
    json_array_foreach(reqs, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "method")), method) == 0 &&
            strcmp(json_string_value(json_object_get(it, "path")), path) == 0 && seen++ == n) {
            found = json_incref(it);
            break;
        }
    }
    json_decref(reqs);
    return found;
}

size_t fake_count(const struct fake *f, const char *method, const char *path)
{
    json_t *reqs = fake_get(f, "/_fake/requests"), *it;
    size_t i, count = 0;
    json_array_foreach(reqs, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "method")), method) == 0 &&
            strcmp(json_string_value(json_object_get(it, "path")), path) == 0)
            count++;
    }
    json_decref(reqs);
    return count;
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
