/* Test harness for the trainer plugins `command` and `kfp`: loads a plugin with dlopen as the agent
 * does, builds its config from YAML through the real option parser, runs the fake KFP server as a
 * child process, captures stderr (the agent's log) and renders the metrics registry. */
#ifndef DW_TEST_TRIG_HARNESS_H
#define DW_TEST_TRIG_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "driftwatch/plugin.h"
#include "fake_server.h"
#include "config/options.h"

/* name: "command" or "kfp"; loaded once per process from DW_TEST_PLUGIN_DIR. */
const struct dw_plugin *trig_plugin(const char *name);

struct trig_instance {
    const struct dw_plugin *p;
    struct plugin_config cfg;
    struct dw_ctx *ctx; /* the instance's context, as the agent's loader makes one */
    void *inst;
    int started;
};

/* Parses yaml (a mapping of the plugin's options) and calls init with instance_name. Secrets the
 * option parser registered for redaction are forgotten again, so a test can prove the plugin itself
 * never prints them. 0, or -1 with err. */
int trig_open(struct trig_instance *ti, const char *plugin, const char *instance_name, const char *yaml, char *err,
              size_t errlen);
int trig_start(struct trig_instance *ti, char *err, size_t errlen);
void trig_close(struct trig_instance *ti);
/* Calls trigger with res zeroed and sized, as the host does. */
int trig_fire(struct trig_instance *ti, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
              size_t errlen);

/* A trigger event for model "fraud" with two drifted features and the given key. */
struct dw_trigger_event trig_event(const char *key, int dry_run);

/* stderr capture: everything written to fd 2 between start and stop; stop returns it (malloc'd)
 * and echoes it, so a failing test still shows the log. */
void capture_start(void);
char *capture_stop(void);

/* A fresh directory per call under this process's temp dir (also set as the host's state_dir
 * by trig_state_dir). */
const char *trig_tmp_dir(void);
char *trig_new_dir(const char *name);
void trig_state_dir(const char *dir);
/* Writes content to path (mode 0755 when exec). */
void trig_write_file(const char *path, const char *content, int exec);
/* The whole file (malloc'd) or NULL. */
char *trig_read_file(const char *path);

/* The rendered /metrics text (malloc'd). */
char *metrics_text(void);

#endif
