/* Test harness for the Vertex AI plugin and the HTTP client: starts the Python fakes
 * (tests/fakes/vertex, tests/fakes/metadata) on free loopback ports, talks to their control
 * endpoints, loads vertex.so with dlopen and builds its config from YAML like the agent does. */
#ifndef DW_TEST_VERTEX_HARNESS_H
#define DW_TEST_VERTEX_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "driftwatch/plugin.h"
#include "options.h"

struct fake {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT */
};

/* script: path under the source tree; args: NULL-terminated extra arguments. 0 or -1. */
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

/* The plugin, loaded once per process with dlopen, as the agent does. */
const struct dw_plugin *vx_plugin(void);

struct vx_instance {
    struct plugin_config cfg;
    void *inst;
    int started;
};

/* Parses yaml (a mapping of the plugin's options) through the plugin's option table and calls
 * init. Secrets registered for redaction by the option parser are forgotten again, so a test can
 * prove the plugin itself never prints them. 0, or -1 with err. */
int vx_open(struct vx_instance *vi, const char *yaml, char *err, size_t errlen);
int vx_start(struct vx_instance *vi, char *err, size_t errlen);
void vx_close(struct vx_instance *vi);

/* stderr capture: everything written to fd 2 between start and stop; stop returns it (malloc'd). */
void capture_start(void);
char *capture_stop(void);

/* A temporary directory (created on first use, removed with everything in it by tmp_cleanup)
 * and a file in it. */
const char *tmp_dir(void);
void tmp_cleanup(void);
char *tmp_file(const char *name, const char *content);

/* The rendered /metrics text (malloc'd). */
char *metrics_text(void);

#endif
