/* Route table for the HTTP server: a small array, searched in registration order. A route call
 * holds calls_lock for reading, so removing an owner's routes can wait for the calls in progress. */
#include "http/routes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct route {
    const void *owner;
    char *method;
    char *path;
    dw_route_fn fn;
    void *ctx;
};

static pthread_mutex_t routes_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t calls_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct route *routes;
static size_t n_routes;

int routes_register(const char *method, const char *path, dw_route_fn fn, void *ctx)
{
    return routes_register_owned(NULL, method, path, fn, ctx);
}

int routes_register_owned(const void *owner, const char *method, const char *path, dw_route_fn fn, void *ctx)
{
    if (!method || !path || path[0] != '/' || !fn)
        return -1;
    pthread_mutex_lock(&routes_lock);
    int rc = -1;
    struct route *r = realloc(routes, (n_routes + 1) * sizeof *r);
    if (r) {
        routes = r;
        r = &routes[n_routes];
        r->owner = owner;
        r->method = strdup(method);
        r->path = strdup(path);
        r->fn = fn;
        r->ctx = ctx;
        if (r->method && r->path) {
            n_routes++;
            rc = 0;
        } else {
            free(r->method);
            free(r->path);
        }
    }
    pthread_mutex_unlock(&routes_lock);
    return rc;
}

static int path_matches(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, path, n - 1) == 0;
    return strcmp(pattern, path) == 0;
}

static int is_prefix(const char *pattern)
{
    size_t n = strlen(pattern);
    return n > 0 && pattern[n - 1] == '*';
}

/* Exact paths win over prefixes, so a plugin's /v1/models/fraud/samples is not shadowed by the
 * core's /v1/models/ prefix route whatever the registration order. */
static int routes_find(const char *method, const char *path, dw_route_fn *fn, void **ctx)
{
    int rc = -1;
    pthread_mutex_lock(&routes_lock);
    for (size_t k = 0; k < 2 * n_routes && rc != 0; k++) {
        size_t i = k % n_routes;
        if (is_prefix(routes[i].path) != (k >= n_routes) || !path_matches(routes[i].path, path))
            continue;
        if (strcmp(routes[i].method, method) != 0) {
            rc = -2;
            continue;
        }
        *fn = routes[i].fn;
        *ctx = routes[i].ctx;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&routes_lock);
    return rc;
}

int routes_dispatch(const char *method, const char *path, const struct dw_http_request *req,
                    struct dw_http_response *resp)
{
    pthread_rwlock_rdlock(&calls_lock);
    dw_route_fn fn;
    void *ctx;
    int rc = routes_find(method, path, &fn, &ctx);
    if (rc == 0)
        fn(ctx, req, resp);
    pthread_rwlock_unlock(&calls_lock);
    return rc;
}

void routes_remove_owner(const void *owner)
{
    if (!owner)
        return;
    pthread_mutex_lock(&routes_lock);
    size_t kept = 0;
    for (size_t i = 0; i < n_routes; i++) {
        if (routes[i].owner == owner) {
            free(routes[i].method);
            free(routes[i].path);
        } else {
            routes[kept++] = routes[i];
        }
    }
    n_routes = kept;
    pthread_mutex_unlock(&routes_lock);
    /* No new call can find the routes now; taking the lock for writing waits out the ones running. */
    pthread_rwlock_wrlock(&calls_lock);
    pthread_rwlock_unlock(&calls_lock);
}

void routes_clear(void)
{
    pthread_mutex_lock(&routes_lock);
    for (size_t i = 0; i < n_routes; i++) {
        free(routes[i].method);
        free(routes[i].path);
    }
    free(routes);
    routes = NULL;
    n_routes = 0;
    pthread_mutex_unlock(&routes_lock);
}
