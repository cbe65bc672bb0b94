/* Checked samples to the core (see sample_emit.h). The checked path is the fast one: the core
 * neither splits the body nor validates the samples again. */
#include "sample_emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sample_emit_checked(const struct dw_host *host, const char *model, const char *probe,
                        const struct dw_sample_text *samples, size_t n, struct dw_ingest_result *res)
{
    memset(res, 0, sizeof *res);
    if (host->size > offsetof(struct dw_host, emit_checked_samples) && host->emit_checked_samples) {
        struct dw_checked_batch batch = {.model = model, .probe = probe, .samples = samples, .n = n};
        return host->emit_checked_samples(&batch, res);
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += samples[i].len + 1;
    char *ndjson = malloc(len ? len : 1);
    if (!ndjson) {
        snprintf(res->error, sizeof res->error, "out of memory");
        return DW_INGEST_UNAVAILABLE;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(ndjson + at, samples[i].text, samples[i].len);
        at += samples[i].len;
        ndjson[at++] = '\n';
    }
    struct dw_sample_batch batch = {.model = model, .probe = probe, .json = ndjson, .json_len = at};
    int rc = host->emit_samples(&batch, res);
    free(ndjson);
    return rc;
}
