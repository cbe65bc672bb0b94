/* Metric families more than one bundled plugin publishes (docs/metrics.md): their names and help
 * texts in one place, and the counters every probe keeps. A family one plugin owns stays in it. */
#ifndef DW_PLUGIN_SHARED_METRICS_H
#define DW_PLUGIN_SHARED_METRICS_H

#include <stddef.h>

#include "driftwatch/plugin.h"

/* probes that call a model server (canary, proxy) */
#define PU_PROBE_DURATION "driftwatch_probe_request_duration_seconds"
#define PU_PROBE_DURATION_HELP "Time the probe's upstream took to answer, in seconds."
#define PU_PROBE_REQUESTS "driftwatch_probe_requests_total"
#define PU_PROBE_REQUESTS_HELP "Requests a probe made or forwarded, by result."
#define PU_PROBE_SUCCESS "driftwatch_probe_success"
#define PU_PROBE_SUCCESS_HELP "1 when the probe's last check succeeded, else 0."

/* driftwatch_samples_received_total{model, probe}: n samples a probe received, valid or not. */
void pu_count_received(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *probe,
                       size_t n);

/* driftwatch_samples_rejected_total{model, reason}: n samples the probe refused (nothing when 0). */
void pu_count_rejected(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *reason,
                       size_t n);

/* driftwatch_trainer_job_state{plugin, job, state}: 1 for a trainer's job's current state, 0 for
 * old_state when the job left it (old_state NULL or "": a new job). */
void pu_job_state_export(const struct dw_host *host, struct dw_ctx *ctx, const char *plugin, const char *job,
                         const char *old_state, const char *state);

#endif
