/* Checked samples to the core (see sample_emit.h). The checked path is the fast one: the core
 * neither splits the body nor validates the samples again. */
#include "sample_emit.h"

#include <string.h>

int sample_emit_checked(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *probe,
                        const struct dw_sample_text *samples, size_t n, struct dw_ingest_result *res)
{
    memset(res, 0, sizeof *res);
    res->size = sizeof *res;
    struct dw_checked_batch batch = {
        .size = sizeof batch, .model = model, .probe = probe, .samples = samples, .n = n};
    return host->emit_checked_samples(ctx, &batch, res);
}
