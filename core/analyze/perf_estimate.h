/* The label-free performance estimate (CBPE, docs/statistics.md) of a binary model over the rows
 * of a column table: at `baseline` the isotonic calibration, the reference chunks' estimates and
 * their thresholds; at `check` a window's estimate against those thresholds. */
#ifndef DW_DRIFT_PERF_ESTIMATE_H
#define DW_DRIFT_PERF_ESTIMATE_H

#include <stddef.h>

#include "data/quality_profile.h"
#include "stats/perf_chunks.h"
#include "stats/perf_eval.h"

/* The realized metric of the same name as an estimated one (enum cbpe_metric): its range clips
 * the estimate's thresholds, and the config's `metrics` list selects both by that name. */
enum perf_metric perf_estimate_metric(int cbpe_metric);

/* Fits q->calibration on the rows of r with a score and a target, then estimates each of the
 * q->nchunks reference chunks (perf_chunk_rows over all r->n rows) and sets q's estimated chunks
 * and thresholds. Does nothing when the task is not binary or r has no score column. Returns 0,
 * or -1 with err (no row with both a score and a target, out of memory). */
int perf_estimate_reference(struct quality_profile *q, const struct perf_rows *r, char *err, size_t errlen);

/* The estimate over r's rows with a score (predicted label: the prediction where there is one,
 * else score >= 0.5) against q's estimated thresholds, into est (per enum cbpe_metric); *rows =
 * the rows estimated. *rows = 0 and est untouched when q has no calibration or r no score.
 * Returns 0 or -1 when out of memory. */
int perf_estimate_window(const struct quality_profile *q, const struct perf_rows *r,
                         struct perf_metric_report est[CBPE_COUNT], size_t *rows);

#endif
