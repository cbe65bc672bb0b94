/* Test fixture: a probe that registers one route in init and counts the calls it answered; the host
 * must remove the route with the instance. */
#include <stdio.h>
#include <string.h>

#include "driftwatch/plugin.h"

struct routed {
    const struct dw_host *host;
    struct dw_ctx *ctx;
};

static struct routed the_instance;

static void routed_answer(void *route_ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    struct routed *r = route_ctx;
    (void)req;
    const char body[] = "{\"routed\":true}\n";
    resp->body = r->host->alloc(sizeof body);
    if (!resp->body)
        return;
    memcpy(resp->body, body, sizeof body);
    resp->body_len = sizeof body - 1;
    resp->status = 200;
    r->host->counter_add(r->ctx, "routed_calls_total", "Calls the routed fixture answered.", NULL, 1);
}

static int routed_init(const struct dw_host *host, struct dw_ctx *ctx, const char *name, const void *config,
                       void **instance, char *err, size_t errlen)
{
    (void)name;
    (void)config;
    the_instance.host = host;
    the_instance.ctx = ctx;
    if (host->register_route(ctx, "GET", "/routed", routed_answer, &the_instance) < 0) {
        snprintf(err, errlen, "cannot register /routed");
        return -1;
    }
    *instance = &the_instance;
    return 0;
}

static void routed_destroy(void *instance)
{
    (void)instance;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "routed",
    .kind = DW_KIND_PROBE,
    .init = routed_init,
    .destroy = routed_destroy,
};
