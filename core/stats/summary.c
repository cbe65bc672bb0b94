/* Magnitude and direction next to a test (docs/statistics.md "Summary"): mean, std (ddof 0) and
 * the 5th/50th/95th percentiles of a sample, as numpy.mean, numpy.std and numpy.percentile compute them. */
#include "stats/drift.h"

#include <math.h>

struct centred {
    const double *x;
    double mean;
};

static double term_value(const void *ctx, size_t i)
{
    return ((const double *)ctx)[i];
}

static double term_square(const void *ctx, size_t i)
{
    const struct centred *c = ctx;
    double d = c->x[i] - c->mean;
    return d * d;
}

void drift_mean_std(const double *x, size_t n, double *mean, double *std)
{
    if (n == 0) {
        *mean = *std = NAN;
        return;
    }
    /* numpy.mean: the pairwise sum / n; numpy.std: sqrt(pairwise sum of (x - mean)^2 / n) */
    double m = drift_np_sum(term_value, x, n) / (double)n;
    struct centred c = {x, m};
    *mean = m;
    *std = sqrt(drift_np_sum(term_square, &c, n) / (double)n);
}

double drift_percentile(const double *x, size_t n, double pct)
{
    if (n == 0)
        return NAN;
    /* numpy.percentile(method='linear'): q = pct / 100, virtual index (n-1)*q, numpy's _lerp
     * between its neighbours (from the upper end when the weight >= 0.5), as drift_quantile_edges */
    double q = pct / 100.0;
    double vi = (double)(n - 1) * q;
    if (vi >= (double)(n - 1))
        return x[n - 1];
    if (vi <= 0)
        return x[0];
    double fl = floor(vi), gamma = vi - fl;
    size_t lo = (size_t)fl;
    double diff = x[lo + 1] - x[lo];
    return gamma >= 0.5 ? x[lo + 1] - diff * (1 - gamma) : x[lo] + diff * gamma;
}
