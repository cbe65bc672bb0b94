/* Hand-over of checked samples from the ingest probes (push, tail) to the core: the texts as they
 * are, through emit_checked_samples. */
#ifndef DW_PROBE_SAMPLE_EMIT_H
#define DW_PROBE_SAMPLE_EMIT_H

#include <stddef.h>

#include "driftwatch/plugin.h"

/* Hands n samples, each checked by sample_check_text, to host for the instance ctx. Returns a
 * DW_INGEST_* code (res zeroed and sized first). */
int sample_emit_checked(const struct dw_host *host, struct dw_ctx *ctx, const char *model, const char *probe,
                        const struct dw_sample_text *samples, size_t n, struct dw_ingest_result *res);

#endif
