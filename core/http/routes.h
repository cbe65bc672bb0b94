/* HTTP routes that plugins (and the core's /v1 API) add to the agent's server.
 * A path ending in '*' matches every path with that prefix. Thread-safe. */
#ifndef DW_ROUTES_H
#define DW_ROUTES_H

#include "driftwatch/plugin.h"

/* A route of the core (no owner). Returns 0 or -1. */
int routes_register(const char *method, const char *path, dw_route_fn fn, void *ctx);
/* A route that belongs to owner (a plugin instance's context), removed with routes_remove_owner. */
int routes_register_owned(const void *owner, const char *method, const char *path, dw_route_fn fn, void *ctx);
/* Finds the handler and calls it with req and resp; returns 0 when it ran, -1 when no path matches,
 * -2 when the path matches another method. */
int routes_dispatch(const char *method, const char *path, const struct dw_http_request *req,
                    struct dw_http_response *resp);
/* Removes owner's routes and returns once no call of them is running (never from inside a route). */
void routes_remove_owner(const void *owner);
void routes_clear(void);

#endif
