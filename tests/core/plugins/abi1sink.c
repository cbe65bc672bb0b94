/* Test fixture: an alert sink written and built against plugin ABI 1 (the frozen header in abi1/),
 * as a user's old plugin would be. The loader must refuse it, naming both ABI numbers. */
#include <stdio.h>

#include "driftwatch/plugin.h"

static int abi1_init(const struct dw_host *host, const char *name, const void *config, void **instance, char *err,
                     size_t errlen)
{
    (void)config;
    (void)err;
    (void)errlen;
    host->log(DW_LOG_INFO, "abi1sink", "instance %s ready", name);
    *instance = (void *)host;
    return 0;
}

static void abi1_destroy(void *instance)
{
    (void)instance;
}

static int abi1_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    const struct dw_host *host = instance;
    host->log(DW_LOG_WARN, "abi1sink", "model %s drifted", ev->model);
    snprintf(err, errlen, "unused");
    return 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .name = "abi1sink",
    .kind = DW_KIND_ALERT,
    .version = "1.0.0",
    .description = "an ABI 1 alert sink",
    .init = abi1_init,
    .destroy = abi1_destroy,
    .alert_send = abi1_send,
};
