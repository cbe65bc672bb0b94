/* Host function table for plugins (ABI 2): wires plugin.h's callbacks to the core's logger, metrics
 * registry, route table, HTTP client and sample pipeline. What a plugin hands in is copied into a
 * zeroed struct of the core's size first (abi_copy.h), so a plugin built against an older ABI 2
 * header reads as one whose appended fields are 0; what the core hands back is copied out no further
 * than the plugin's struct reaches. */
#include "plugin/host.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"
#include "http/routes.h"
#include "plugin/abi_copy.h"
#include "plugin/plugin_ctx.h"
#include "util/log.h"
#include "util/metrics.h"

static host_ingest_fn ingest;
static host_cursor_ingest_fn cursor_ingest;
static host_cursor_read_fn cursor_read;
static char state_dir[4096] = ".";

static void host_log(struct dw_ctx *ctx, enum dw_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg_instance(level, ctx ? ctx->plugin : "plugin", ctx ? ctx->instance : NULL, fmt, ap);
    va_end(ap);
}

static void host_counter_add(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels,
                             double delta)
{
    (void)ctx;
    metrics_counter_add(name, help, labels, delta);
}

static void host_gauge_set(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels,
                           double value)
{
    (void)ctx;
    metrics_gauge_set(name, help, labels, value);
}

static void host_histogram_observe(struct dw_ctx *ctx, const char *name, const char *help,
                                   const char *const *labels, double value)
{
    (void)ctx;
    metrics_histogram_observe(name, help, labels, value);
}

static void host_metric_forget(struct dw_ctx *ctx, const char *name, const char *key, const char *value)
{
    (void)ctx;
    metrics_forget(name, key, value);
}

static int host_register_route(struct dw_ctx *ctx, const char *method, const char *path, dw_route_fn fn,
                               void *route_ctx)
{
    return ctx ? routes_register_owned(ctx, method, path, fn, route_ctx) : -1;
}

static int host_http_request(struct dw_ctx *ctx, const struct dw_http_client_request *req,
                             struct dw_http_client_response *resp, char *err, size_t errlen)
{
    (void)ctx;
    struct dw_http_client_request full;
    struct dw_http_client_response out = {.size = sizeof out};
    if (!resp || resp->size < sizeof *resp || ABI_COPY_IN(&full, req) < 0) {
        snprintf(err, errlen, "plugin error: http_request needs sized request and response structs (.size = sizeof)");
        return -1;
    }
    int rc = http_client_request(&full, &out, err, errlen);
    ABI_COPY_OUT(resp, &out);
    return rc;
}

/* The probe name a batch is counted under: its own, else the instance's. */
static const char *probe_name(struct dw_ctx *ctx, const char *probe)
{
    return probe ? probe : ctx ? ctx->instance : "plugin";
}

static int bad_call(struct dw_ingest_result *res, const char *what)
{
    if (res && res->size >= offsetof(struct dw_ingest_result, error) + sizeof res->error) {
        memset((char *)res + sizeof res->size, 0, res->size - sizeof res->size);
        snprintf(res->error, sizeof res->error, "plugin error: %s needs sized structs (.size = sizeof)", what);
    }
    return DW_INGEST_BAD_CALL;
}

static int pipeline(const struct ingest_batch *batch, struct dw_ingest_result *res)
{
    if (!ingest) {
        snprintf(res->error, sizeof res->error, "the agent has no sample pipeline");
        return DW_INGEST_UNAVAILABLE;
    }
    return ingest(batch, res);
}

static int host_emit_samples(struct dw_ctx *ctx, const struct dw_sample_batch *batch, struct dw_ingest_result *res)
{
    struct dw_sample_batch full;
    struct dw_ingest_result out = {.size = sizeof out};
    if (!res || res->size < sizeof *res || ABI_COPY_IN(&full, batch) < 0)
        return bad_call(res, "emit_samples");
    struct ingest_batch b = {
        .model = full.model, .probe = probe_name(ctx, full.probe), .body = full.json ? full.json : "",
        .body_len = full.json ? full.json_len : 0};
    int rc = pipeline(&b, &out);
    ABI_COPY_OUT(res, &out);
    return rc;
}

static int host_emit_checked_samples(struct dw_ctx *ctx, const struct dw_checked_batch *batch,
                                     struct dw_ingest_result *res)
{
    struct dw_checked_batch full;
    struct dw_ingest_result out = {.size = sizeof out};
    if (!res || res->size < sizeof *res || ABI_COPY_IN(&full, batch) < 0)
        return bad_call(res, "emit_checked_samples");
    struct ingest_batch b = {
        .model = full.model, .probe = probe_name(ctx, full.probe), .texts = full.samples, .n = full.n};
    int rc = pipeline(&b, &out);
    ABI_COPY_OUT(res, &out);
    return rc;
}

static int host_emit_checked_cursor(struct dw_ctx *ctx, const struct dw_checked_batch *batch,
                                    const struct dw_cursor *cursor, struct dw_ingest_result *res, char **stored)
{
    if (stored)
        *stored = NULL;
    struct dw_checked_batch full;
    struct dw_cursor full_cursor;
    struct dw_ingest_result out = {.size = sizeof out};
    if (!res || res->size < sizeof *res || ABI_COPY_IN(&full, batch) < 0 || ABI_COPY_IN(&full_cursor, cursor) < 0)
        return bad_call(res, "emit_checked_cursor");
    full.probe = probe_name(ctx, full.probe);
    int rc;
    if (cursor_ingest) {
        rc = cursor_ingest(&full, &full_cursor, &out, stored);
    } else {
        snprintf(out.error, sizeof out.error, "the agent keeps no source cursors");
        rc = DW_INGEST_NO_CURSORS;
    }
    ABI_COPY_OUT(res, &out);
    return rc;
}

static int host_read_cursors(struct dw_ctx *ctx, const char *model, const char *source, dw_cursor_fn fn,
                             void *fn_ctx)
{
    (void)ctx;
    return cursor_read ? cursor_read(model, source, fn, fn_ctx) : DW_INGEST_NO_CURSORS;
}

static void host_add_secret(struct dw_ctx *ctx, const char *secret)
{
    (void)ctx;
    log_add_secret(secret);
}

static void *host_alloc(size_t n)
{
    return malloc(n ? n : 1);
}

static void host_free(void *p)
{
    free(p);
}

static const struct dw_host table = {
    .size = sizeof(struct dw_host),
    .abi = DW_PLUGIN_ABI,
    .log = host_log,
    .counter_add = host_counter_add,
    .gauge_set = host_gauge_set,
    .histogram_observe = host_histogram_observe,
    .metric_forget = host_metric_forget,
    .register_route = host_register_route,
    .http_request = host_http_request,
    .emit_samples = host_emit_samples,
    .emit_checked_samples = host_emit_checked_samples,
    .emit_checked_cursor = host_emit_checked_cursor,
    .read_cursors = host_read_cursors,
    .add_secret = host_add_secret,
    .alloc = host_alloc,
    .free = host_free,
    .state_dir = state_dir,
};

const struct dw_host *host_table(void)
{
    return &table;
}

void host_set_ingest(host_ingest_fn fn)
{
    ingest = fn;
}

void host_set_cursor_pipeline(host_cursor_ingest_fn ingest_fn, host_cursor_read_fn read_fn)
{
    cursor_ingest = ingest_fn;
    cursor_read = read_fn;
}

void host_set_state_dir(const char *dir)
{
    snprintf(state_dir, sizeof state_dir, "%s", dir);
}
