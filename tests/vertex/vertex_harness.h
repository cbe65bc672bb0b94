/* Test harness for the Vertex AI plugin and the HTTP client: starts the Python fakes
 * (tests/fakes/vertex, tests/fakes/metadata) on free loopback ports, talks to their control
 * endpoints, loads vertex.so with dlopen and builds its config from YAML like the agent does. */
#ifndef DW_TEST_VERTEX_HARNESS_H
#define DW_TEST_VERTEX_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "driftwatch/plugin.h"
#include "fake_server.h"
#include "config/options.h"

/* The plugin, loaded once per process with dlopen, as the agent does. */
const struct dw_plugin *vx_plugin(void);

struct vx_instance {
    struct plugin_config cfg;
    struct dw_ctx *ctx; /* the instance's context, as the agent's loader makes one */
    void *inst;
    int started;
};

/* Parses yaml (a mapping of the plugin's options) through the plugin's option table and calls
 * init. Secrets registered for redaction by the option parser are forgotten again, so a test can
 * prove the plugin itself never prints them. 0, or -1 with err. */
int vx_open(struct vx_instance *vi, const char *yaml, char *err, size_t errlen);
/* The same with another instance name than "vx". */
int vx_open_named(struct vx_instance *vi, const char *name, const char *yaml, char *err, size_t errlen);
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
