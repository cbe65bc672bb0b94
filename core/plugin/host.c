/* Host function table for plugins: wires plugin.h's callbacks to the core's logger, metrics
 * registry, route table, HTTP client and sample pipeline. */
#include "plugin/host.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "http/routes.h"

static host_ingest_fn ingest;
static host_checked_ingest_fn checked_ingest;
static host_cursor_ingest_fn cursor_ingest;
static host_cursor_read_fn cursor_read;
static char state_dir[4096] = ".";

static void host_log(enum dw_log_level level, const char *plugin, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_msg(level, plugin, "%s", msg);
}

static int host_emit_samples(const struct dw_sample_batch *batch, struct dw_ingest_result *res)
{
    if (!ingest) {
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "the agent has no sample pipeline");
        return DW_INGEST_UNAVAILABLE;
    }
    return ingest(batch, res);
}

static int host_emit_checked_samples(const struct dw_checked_batch *batch, struct dw_ingest_result *res)
{
    if (checked_ingest)
        return checked_ingest(batch, res);
    size_t len = 0;
    for (size_t i = 0; i < batch->n; i++)
        len += batch->samples[i].len + 1;
    char *ndjson = malloc(len ? len : 1);
    if (!ndjson) {
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "out of memory");
        return DW_INGEST_UNAVAILABLE;
    }
    size_t at = 0;
    for (size_t i = 0; i < batch->n; i++) {
        memcpy(ndjson + at, batch->samples[i].text, batch->samples[i].len);
        at += batch->samples[i].len;
        ndjson[at++] = '\n';
    }
    struct dw_sample_batch plain = {.model = batch->model, .probe = batch->probe, .json = ndjson, .json_len = at};
    int rc = host_emit_samples(&plain, res);
    free(ndjson);
    return rc;
}

static int host_emit_checked_cursor(const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                                    struct dw_ingest_result *res, char **stored)
{
    if (stored)
        *stored = NULL;
    if (cursor_ingest)
        return cursor_ingest(batch, cursor, res, stored);
    memset(res, 0, sizeof *res);
    snprintf(res->error, sizeof res->error, "the agent keeps no source cursors");
    return DW_INGEST_NO_CURSORS;
}

static int host_read_cursors(const char *model, const char *source, dw_cursor_fn fn, void *ctx)
{
    return cursor_read ? cursor_read(model, source, fn, ctx) : DW_INGEST_NO_CURSORS;
}

static void host_free(void *p)
{
    free(p);
}

static struct dw_host table = {
    .size = sizeof(struct dw_host),
    .abi = DW_PLUGIN_ABI,
    .log = host_log,
    .register_route = routes_register,
    .http_request = http_client_request,
    .emit_samples = host_emit_samples,
    .state_dir = state_dir,
    .free = host_free,
    .add_secret = log_add_secret,
    .emit_checked_samples = host_emit_checked_samples,
    .emit_checked_cursor = host_emit_checked_cursor,
    .read_cursors = host_read_cursors,
    .trigger_event_size = sizeof(struct dw_trigger_event),
    .trigger_result_size = sizeof(struct dw_trigger_result),
    .http_request_size = sizeof(struct dw_http_request),
    .alert_event_size = sizeof(struct dw_alert_event),
};

static void table_init(void)
{
    table.metrics = metrics_api();
}

/* The table is filled once: a plugin's thread may read it while another instance is created (the
 * proxy test host starts one proxy before creating the next), and rewriting it then is a data race. */
const struct dw_host *host_table(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, table_init);
    return &table;
}

void host_set_ingest(host_ingest_fn fn)
{
    ingest = fn;
}

void host_set_checked_ingest(host_checked_ingest_fn fn)
{
    checked_ingest = fn;
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
