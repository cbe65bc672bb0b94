/* The notification counter every alert sink keeps: its name, help text and labels in one place
 * (sink_common.h; the series are a contract, docs/metrics.md). */
#include "sink_common.h"

#define SINK_METRIC "driftwatch_alerts_sent_total"
#define SINK_METRIC_HELP "Alert notifications by sink instance and result (ok, error: transient failure " \
                         "after retries, dropped: rejected by the receiver or not sendable)."

static void sink_counter_add(const struct dw_host *host, struct dw_ctx *ctx, const char *sink, const char *result,
                             double delta)
{
    const char *labels[] = {"sink", sink, "result", result, NULL};
    host->counter_add(ctx, SINK_METRIC, SINK_METRIC_HELP, labels, delta);
}

void pu_sink_count(const struct dw_host *host, struct dw_ctx *ctx, const char *sink, const char *result)
{
    sink_counter_add(host, ctx, sink, result, 1);
}

void pu_sink_count_init(const struct dw_host *host, struct dw_ctx *ctx, const char *sink)
{
    static const char *const results[] = {"ok", "error", "dropped"};
    for (size_t i = 0; i < sizeof results / sizeof *results; i++)
        sink_counter_add(host, ctx, sink, results[i], 0);
}
