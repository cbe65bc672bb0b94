/* One configured use of a plugin: the loaded .so, its validated options and its instance.
 * Creating one loads, validates and calls init; failures name the config position. */
#ifndef DW_PLUGIN_INSTANCE_H
#define DW_PLUGIN_INSTANCE_H

#include <stddef.h>

#include "config/config.h"
#include "config/options.h"
#include "plugin/plugin_loader.h"

struct plugin_instance {
    struct loaded_plugin *lp;
    struct plugin_config cfg;
    void *inst;
    struct dw_ctx *ctx;   /* the instance's context handle (plugin_ctx.h) */
    char *name;
    int optional;
    int started;
};

/* extra_reserved: keys of the entry the core reads itself (besides plugin/name/optional), or NULL.
 * expected_kind: the kind this place in the config needs. Returns 0 or -1 with err set to
 * "file:line:col: ...". */
int plugin_instance_create(const char *plugin_dir, const char *file, const struct plugin_ref *ref,
                           const char *const *extra_reserved, enum dw_kind expected_kind,
                           struct plugin_instance **out, char *err, size_t errlen);
int plugin_instance_start(struct plugin_instance *pi, char *err, size_t errlen);
/* Stops a started instance (idempotent); accepts NULL. */
void plugin_instance_stop(struct plugin_instance *pi);
/* Stops (when started) and destroys; accepts NULL. */
void plugin_instance_free(struct plugin_instance *pi);

/* Publishes driftwatch_plugin_up{plugin,kind}. */
void plugin_instance_report_up(const char *plugin, enum dw_kind kind, int up);

#endif
