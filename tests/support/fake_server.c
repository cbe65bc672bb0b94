/* Python fake API servers for the tests (see fake_server.h): started as child processes, their
 * control endpoints called through the core's own HTTP client. */
#include "fake_server.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http/http_client.h"

#ifndef DW_PYTHON3
#define DW_PYTHON3 "/usr/bin/python3"
#endif

int fake_start(struct fake *f, const char *script, const char *const *args)
{
    char path[4096];
    int fds[2];
    const char *python = DW_PYTHON3[0] ? DW_PYTHON3 : "/usr/bin/python3";
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "%s/%s", DW_TEST_SOURCE_DIR, script);
    if (pipe(fds) < 0)
        return -1;
    const char *argv[32] = {python, path};
    int n = 2;
    for (const char *const *a = args; a && *a && n < 30; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(python, (char *const *)argv);
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
        fprintf(stderr, "fake %s did not start (got '%s')\n", script, line);
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
