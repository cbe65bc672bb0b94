/* Standardising rows against a reference's per-feature mean and std (docs/statistics.md), the common
 * first step of the multivariate methods. See multivariate.h. */
#include <math.h>

#include "stats/multivariate.h"

void mv_standardise(const double *x, size_t n, size_t p, const double *mean, const double *std, double *z)
{
    for (size_t j = 0; j < p; j++) {
        double mu = mean[j];
        double s = isfinite(std[j]) && std[j] != 0.0 ? std[j] : 1.0;
        int none = !isfinite(mu);
        for (size_t i = 0; i < n; i++) {
            double v = x[i * p + j];
            /* imputing the mean gives (mean - mean) / s = 0 */
            z[i * p + j] = none || isnan(v) ? 0.0 : (v - mu) / s;
        }
    }
}
