/* The fleet metrics of a model (docs/metrics.md, "Fleet-wide drift"): driftwatch_window_bin_count,
 * the last checked window's values per baseline bin, and driftwatch_baseline_bin_share, the
 * baseline's share per bin, from which recording rules compute PSI and Jensen-Shannon over all
 * replicas of the model. */
#ifndef DW_BIN_METRICS_H
#define DW_BIN_METRICS_H

#include "data/columns.h"
#include "analyze/analyze.h"
#include "analyze/bin_counts.h"

/* Replaces the model's series of both families by those of window w, for the features verdict v
 * tested (the same ones as the other per-feature metrics). Returns 0 or -1 (out of memory: the
 * previous check's series stay). */
int bin_metrics_publish(const char *model, const struct bin_layout *l, const struct verdict *v,
                        const struct columns *w);

/* Drops the model's series of both families (a model started with another baseline, or with the
 * families turned off, must not keep exporting the old bins). */
void bin_metrics_forget(const char *model);

#endif
