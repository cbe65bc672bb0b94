/* Chunks and thresholds of the reference's performance (see perf_chunks.h). */
#include "stats/perf_chunks.h"

#include <math.h>
#include <stdlib.h>

#include "stats/drift.h"

void perf_chunk_rows(size_t n, size_t k, size_t i, size_t *lo, size_t *hi)
{
    size_t size = n / k;
    *lo = i * size;
    *hi = i + 1 == k ? n : (i + 1) * size;
}

int perf_thresholds(enum perf_metric m, const double *chunk_values, size_t k, double *lower, double *upper)
{
    *lower = *upper = NAN;
    double *defined = malloc((k ? k : 1) * sizeof *defined);
    if (!defined)
        return -1;
    size_t nd = 0;
    for (size_t i = 0; i < k; i++)
        if (!isnan(chunk_values[i]))
            defined[nd++] = chunk_values[i];
    if (nd < 2) {
        free(defined);
        return 0;
    }
    double mean, std, lo, hi;
    drift_mean_std(defined, nd, &mean, &std);
    perf_metric_range(m, &lo, &hi);
    *lower = fmin(fmax(mean - 3 * std, lo), hi);
    *upper = fmin(fmax(mean + 3 * std, lo), hi);
    free(defined);
    return 0;
}

int perf_band_side(double value, double lower, double upper)
{
    if (!isnan(value) && !isnan(lower) && value < lower)
        return -1;
    if (!isnan(value) && !isnan(upper) && value > upper)
        return 1;
    return 0;
}
