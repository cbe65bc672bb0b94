/* Test fixture: an alert plugin whose init always fails with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "driftwatch/plugin.h"

struct initfail_config {
    const char *url;
    int64_t retries;
};

static const struct dw_option initfail_options[] = {
    {.name = "url", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct initfail_config, url),
     .description = "where to send"},
    {.name = "retries", .type = DW_OPT_INT, .def = "3", .offset = offsetof(struct initfail_config, retries),
     .description = "an integer option"},
    {0},
};

static int initfail_init(const struct dw_host *host, struct dw_ctx *ctx, const char *name, const void *config,
                         void **instance, char *err, size_t errlen)
{
    const struct initfail_config *cfg = config;
    snprintf(err, errlen, "cannot reach %s", cfg->url);
    return -1;
}

static void initfail_destroy(void *instance)
{
}

static int initfail_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    return -1;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "initfail",
    .kind = DW_KIND_ALERT,
    .version = "0.0.1",
    .description = "always fails init",
    .options = initfail_options,
    .config_size = sizeof(struct initfail_config),
    .init = initfail_init,
    .destroy = initfail_destroy,
    .alert_send = initfail_send,
};
