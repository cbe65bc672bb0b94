/* HTTP routes that plugins (and the core's /v1 API) add to the agent's server.
 * A path ending in '*' matches every path with that prefix. Thread-safe. */
#ifndef DW_ROUTES_H
#define DW_ROUTES_H

#include "driftwatch/plugin.h"

int routes_register(const char *method, const char *path, dw_route_fn fn, void *ctx);
/* Finds the handler; returns 0, -1 when no path matches, -2 when the path matches another method. */
int routes_find(const char *method, const char *path, dw_route_fn *fn, void **ctx);
void routes_clear(void);

#endif
