/* The host function table handed to every plugin instance (plugin.h struct dw_host).
 * Tests use the same table: it needs no running agent, only what the agent sets below. */
#ifndef DW_HOST_H
#define DW_HOST_H

#include "driftwatch/plugin.h"

/* One batch for the core's sample pipeline, from either door: a body to split and check
 * (emit_samples: a JSON array, an object or NDJSON), or samples a probe checked one by one
 * (emit_checked_samples: texts). probe is never NULL. */
struct ingest_batch {
    const char *model;
    const char *probe;
    const char *body;                   /* NULL when texts are given */
    size_t body_len;
    const struct dw_sample_text *texts;
    size_t n;
};

typedef int (*host_ingest_fn)(const struct ingest_batch *batch, struct dw_ingest_result *res);

const struct dw_host *host_table(void);

/* The agent's sample pipeline, for emit_samples and emit_checked_samples alike; until set, both
 * refuse everything as unavailable with an error. */
void host_set_ingest(host_ingest_fn fn);
typedef int (*host_cursor_ingest_fn)(const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                                     struct dw_ingest_result *res, char **stored);
typedef int (*host_cursor_read_fn)(const char *model, const char *source, dw_cursor_fn fn, void *ctx);
/* The pipeline for batches with a source cursor and the read-back of cursors; until set,
 * emit_checked_cursor and read_cursors answer DW_INGEST_NO_CURSORS (probes then keep their own
 * position files). */
void host_set_cursor_pipeline(host_cursor_ingest_fn ingest, host_cursor_read_fn read);
/* The state directory plugins see (copied). */
void host_set_state_dir(const char *dir);

#endif
