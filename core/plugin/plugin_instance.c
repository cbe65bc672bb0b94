/* Plugin instances: load + validate options + init + start/stop (see plugin_instance.h). */
#include "plugin/plugin_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/host.h"
#include "plugin/plugin_ctx.h"
#include "util/metrics.h"

void plugin_instance_report_up(const char *plugin, enum dw_kind kind, int up)
{
    const char *labels[] = {"plugin", plugin, "kind", loader_kind_name(kind), NULL};
    metrics_gauge_set("driftwatch_plugin_up", "1 when the plugin instance loaded, initialised and started.", labels,
                      up);
}

static int count_keys(const char *const *keys)
{
    int n = 0;
    while (keys && keys[n])
        n++;
    return n;
}

int plugin_instance_create(const char *plugin_dir, const char *file, const struct plugin_ref *ref,
                           const char *const *extra_reserved, enum dw_kind expected_kind,
                           struct plugin_instance **out, char *err, size_t errlen)
{
    char why[768];
    *out = NULL;
    struct plugin_instance *pi = calloc(1, sizeof *pi);
    if (!pi || !(pi->name = strdup(ref->name)) || !(pi->ctx = plugin_ctx_new(ref->plugin, ref->name))) {
        if (pi)
            free(pi->name);
        free(pi);
        snprintf(err, errlen, "%s: out of memory", file);
        return -1;
    }
    pi->optional = ref->optional;
    const char *reserved[32] = {"plugin", "name", "optional"};
    int n = count_keys(extra_reserved);
    for (int i = 0; i < n && i + 3 < 31; i++)
        reserved[i + 3] = extra_reserved[i];

    if (loader_open(plugin_dir, ref->plugin, &pi->lp, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s:%zu:%zu: %s", file, ref->node->line, ref->node->col, why);
        goto error;
    }
    if (!loader_serves_kind(pi->lp->def, expected_kind)) {
        snprintf(err, errlen, "%s:%zu:%zu: plugin '%s' is of kind %s, but this place needs a %s plugin", file,
                 ref->node->line, ref->node->col, ref->plugin, loader_kind_name(pi->lp->def->kind),
                 loader_kind_name(expected_kind));
        goto error;
    }
    const char *implied[] = {"model", ref->model, NULL};
    if (options_apply_implied(pi->lp->def, ref->node, reserved, ref->model ? implied : NULL, file, &pi->cfg, err,
                              errlen) < 0)
        goto error;
    why[0] = '\0';
    if (pi->lp->def->init(host_table(), pi->ctx, pi->name, pi->cfg.data, &pi->inst, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s:%zu:%zu: plugin '%s' (instance '%s') failed to initialise: %s", file,
                 ref->node->line, ref->node->col, ref->plugin, pi->name, why[0] ? why : "no reason given");
        pi->inst = NULL;
        goto error;
    }
    *out = pi;
    return 0;
error:
    plugin_instance_free(pi);
    return -1;
}

int plugin_instance_start(struct plugin_instance *pi, char *err, size_t errlen)
{
    if (!pi->lp->def->start) {
        pi->started = 1;
        return 0;
    }
    char why[512] = "";
    if (pi->lp->def->start(pi->inst, why, sizeof why) < 0) {
        snprintf(err, errlen, "plugin '%s' (instance '%s') failed to start: %s", pi->lp->def->name, pi->name,
                 why[0] ? why : "no reason given");
        return -1;
    }
    pi->started = 1;
    return 0;
}

void plugin_instance_stop(struct plugin_instance *pi)
{
    if (!pi || !pi->started)
        return;
    /* No request reaches the instance once it begins to stop. */
    plugin_ctx_remove_routes(pi->ctx);
    if (pi->lp->def->stop)
        pi->lp->def->stop(pi->inst);
    pi->started = 0;
}

void plugin_instance_free(struct plugin_instance *pi)
{
    if (!pi)
        return;
    plugin_instance_stop(pi);
    plugin_ctx_remove_routes(pi->ctx);
    if (pi->inst)
        pi->lp->def->destroy(pi->inst);
    plugin_ctx_free(pi->ctx);
    plugin_config_free(&pi->cfg);
    loader_close(pi->lp);
    free(pi->name);
    free(pi);
}
