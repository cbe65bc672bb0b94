/* Hand-over of checked samples from the ingest probes (push, tail) to the core: the texts as they
 * are through emit_checked_samples, or as NDJSON through emit_samples for a host without it. */
#ifndef DW_PROBE_SAMPLE_EMIT_H
#define DW_PROBE_SAMPLE_EMIT_H

#include <stddef.h>

#include "driftwatch/plugin.h"

/* Hands n samples, each checked by sample_check_text, to host. Returns a DW_INGEST_* code. */
int sample_emit_checked(const struct dw_host *host, const char *model, const char *probe,
                        const struct dw_sample_text *samples, size_t n, struct dw_ingest_result *res);

#endif
