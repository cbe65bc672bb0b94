/* Per-instance context handles (see plugin_ctx.h). */
#include "plugin/plugin_ctx.h"

#include <stdlib.h>
#include <string.h>

#include "http/routes.h"

struct dw_ctx *plugin_ctx_new(const char *plugin, const char *instance)
{
    struct dw_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->plugin = strdup(plugin);
    ctx->instance = strdup(instance);
    if (!ctx->plugin || !ctx->instance) {
        plugin_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void plugin_ctx_remove_routes(struct dw_ctx *ctx)
{
    if (ctx)
        routes_remove_owner(ctx);
}

void plugin_ctx_free(struct dw_ctx *ctx)
{
    if (!ctx)
        return;
    routes_remove_owner(ctx);
    free(ctx->plugin);
    free(ctx->instance);
    free(ctx);
}
