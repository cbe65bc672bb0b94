/* Test fixture: claims to be an alert sink but has no alert_send, which the loader must catch. */
#include <stddef.h>

#include "driftwatch/plugin.h"

static int wrongkind_init(const struct dw_host *host, struct dw_ctx *ctx, const char *name, const void *config,
                          void **instance, char *err, size_t errlen)
{
    return 0;
}

static void wrongkind_destroy(void *instance)
{
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "wrongkind",
    .kind = DW_KIND_ALERT,
    .init = wrongkind_init,
    .destroy = wrongkind_destroy,
};
