/* Reference chunks and performance thresholds (docs/statistics.md, NannyML's rule): N rows in file
 * order cut into K chunks of floor(N/K) rows with the remainder joining the last; a metric's band
 * is mean -/+ 3 std (ddof 0) of its defined chunk values, clipped to the metric's range. */
#ifndef DW_DRIFT_PERF_CHUNKS_H
#define DW_DRIFT_PERF_CHUNKS_H

#include <stddef.h>

#include "stats/perf_metrics.h"

#define PERF_DEFAULT_CHUNKS 10

/* Rows [*lo, *hi) of chunk i (0 <= i < k) of n rows; k >= 1. A chunk is empty when n < k. */
void perf_chunk_rows(size_t n, size_t k, size_t i, size_t *lo, size_t *hi);

/* The band of metric m from its k chunk values (NAN = undefined, skipped): *lower, *upper, both
 * NAN when fewer than 2 values are defined. Returns 0 or -1 when out of memory. */
int perf_thresholds(enum perf_metric m, const double *chunk_values, size_t k, double *lower, double *upper);

/* A window's metric against its band. */
struct perf_metric_report {
    double value, lower, upper; /* NAN: null */
    int side;                   /* perf_band_side: -1 low, +1 high, 0 inside */
};

/* Where a value stands against its band: 0 inside (or when value or band is NAN), -1 below
 * lower ("low"), +1 above upper ("high"). */
int perf_band_side(double value, double lower, double upper);

#endif
