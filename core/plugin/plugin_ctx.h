/* The per-instance context handle of plugin ABI 2 (struct dw_ctx): which plugin and instance a host
 * call comes from, so logs are attributed to it and its routes go with it. */
#ifndef DW_PLUGIN_CTX_H
#define DW_PLUGIN_CTX_H

#include "driftwatch/plugin.h"

struct dw_ctx {
    char *plugin;
    char *instance;
};

/* A context for one instance of plugin (both names copied); NULL when out of memory. */
struct dw_ctx *plugin_ctx_new(const char *plugin, const char *instance);
/* Removes the instance's routes (waiting for calls in progress) without freeing the context: call it
 * before the instance's stop. Accepts NULL. */
void plugin_ctx_remove_routes(struct dw_ctx *ctx);
/* Removes the routes and frees the context; call after the instance's destroy. Accepts NULL. */
void plugin_ctx_free(struct dw_ctx *ctx);

#endif
