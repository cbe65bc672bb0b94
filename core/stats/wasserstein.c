/* First Wasserstein distance between two samples (drift_wasserstein, as scipy 1.10's
 * wasserstein_distance) and the same divided by the baseline's spread (drift_wasserstein_normed). */
#include "stats/drift.h"
#include "stats/pooled_walk.h"

#include <math.h>

/* Evidently's floor on the baseline's standard deviation, so constant baselines do not divide by 0 */
#define WASSERSTEIN_MIN_STD 0.001

int drift_wasserstein(const double *r, size_t n, const double *c, size_t m, struct drift_result *out)
{
    out->statistic = NAN;
    out->p_value = NAN;
    if (n == 0 || m == 0)
        return -1;
    /* W1 = integral |F_R - F_C| dx: between consecutive pooled values z_k < z_k+1 both ECDFs
     * are constant (scipy's _cdf_distance with p = 1: sum |u_cdf - v_cdf| * diff(all_values)). */
    long double w = 0; /* extended precision: the sum keeps ~1e-16 relative accuracy */
    struct pooled_walk pw = {.r = r, .c = c, .n = n, .m = m};
    double prev = 0.0, v;
    size_t i0, j0;
    while (pooled_next(&pw, &v, &i0, &j0)) {
        if (i0 + j0 > 0)
            w += fabs((double)i0 / (double)n - (double)j0 / (double)m) * (v - prev);
        prev = v;
    }
    out->statistic = (double)w;
    return 0;
}

int drift_wasserstein_normed(const double *r, size_t n, const double *c, size_t m, struct drift_result *out)
{
    if (drift_wasserstein(r, n, c, m, out) < 0)
        return -1;
    /* population standard deviation of R, two passes as numpy.std(ddof=0) */
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += r[i];
    double mean = (double)(s / n);
    for (size_t i = 0; i < n; i++)
        ss += (r[i] - mean) * (r[i] - mean);
    double sd = sqrt((double)(ss / n));
    out->statistic /= fmax(sd, WASSERSTEIN_MIN_STD);
    return 0;
}
