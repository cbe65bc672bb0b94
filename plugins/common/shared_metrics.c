/* Metric families shared by several plugins (see shared_metrics.h). */
#include <string.h>

#include "shared_metrics.h"

#define RECEIVED "driftwatch_samples_received_total"
#define RECEIVED_HELP "Samples received by a probe, valid or not."
#define REJECTED "driftwatch_samples_rejected_total"
#define REJECTED_HELP "Samples rejected by model and reason."
#define JOB_STATE "driftwatch_trainer_job_state"
#define JOB_STATE_HELP "1 for the current state of a retraining job started by a trainer plugin, 0 for states it left."

void pu_count_received(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *probe,
                       size_t n)
{
    const char *labels[] = {"model", model, "probe", probe, NULL};
    host->counter_add(ctx, RECEIVED, RECEIVED_HELP, labels, (double)n);
}

void pu_count_rejected(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *reason,
                       size_t n)
{
    if (!n)
        return;
    const char *labels[] = {"model", model, "reason", reason, NULL};
    host->counter_add(ctx, REJECTED, REJECTED_HELP, labels, (double)n);
}

void pu_job_state_export(const struct dw_host *host, struct dw_ctx *ctx, const char *plugin, const char *job,
                         const char *old_state, const char *state)
{
    if (old_state && *old_state && strcmp(old_state, state) != 0) {
        const char *old_labels[] = {"plugin", plugin, "job", job, "state", old_state, NULL};
        host->gauge_set(ctx, JOB_STATE, JOB_STATE_HELP, old_labels, 0);
    }
    const char *labels[] = {"plugin", plugin, "job", job, "state", state, NULL};
    host->gauge_set(ctx, JOB_STATE, JOB_STATE_HELP, labels, 1);
}
