/* A Python fake API server (tests/triggers/fake_kfp.py, tests/fakes/...) as a child process on a
 * free loopback port, with its control endpoints (/_fake/...) called through the core's HTTP client. */
#ifndef DW_TEST_FAKE_SERVER_H
#define DW_TEST_FAKE_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct fake {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT */
};

/* script: path under the source tree, run with python3; it prints "PORT <n>" once listening.
 * args: NULL-terminated extra arguments (NULL for none). 0 or -1. */
int fake_start(struct fake *f, const char *script, const char *const *args);
void fake_stop(struct fake *f);
/* GET path on the fake; the parsed JSON answer (caller decrefs) or NULL. */
json_t *fake_get(const struct fake *f, const char *path);
/* POST a JSON text to a control path; 0 when answered 200. */
int fake_post(const struct fake *f, const char *path, const char *json);
/* Requests the fake received with this method and exact path (query excluded). */
size_t fake_count(const struct fake *f, const char *method, const char *path);
/* The n-th (0-based) such request as a new reference, or NULL. */
json_t *fake_request(const struct fake *f, const char *method, const char *path, size_t n);

#endif
