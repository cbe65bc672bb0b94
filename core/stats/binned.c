/* Binned drift measures: the baseline's quantile bins, shares per bin, and the distances between
 * two share vectors (PSI, Jensen-Shannon, Hellinger, L-infinity) as docs/statistics.md defines them. */
#include "stats/drift.h"

#include <math.h>

/* PSI's floor on a share, so empty bins give a finite log ratio (no renormalising after it) */
#define PSI_MIN_SHARE 1e-4

/* The two share vectors and their totals, the context of the summed terms below. */
struct shares {
    const double *p, *q;
    double sp, sq;
};

size_t drift_quantile_edges(const double *r, size_t n, int bins, double *edges)
{
    if (n == 0 || bins < 2)
        return 0;
    size_t k = 0;
    for (int b = 1; b < bins; b++) {
        /* numpy.quantile(method='linear'): virtual index (n-1)*q, interpolated between its
         * neighbours with numpy's _lerp (computed from the upper end when the weight >= 0.5,
         * which keeps the result monotone). */
        double q = (double)b / (double)bins;
        double vi = (double)(n - 1) * q;
        double v;
        if (vi >= (double)(n - 1)) {
            v = r[n - 1];
        } else {
            double fl = floor(vi), gamma = vi - fl;
            size_t lo = (size_t)fl;
            double diff = r[lo + 1] - r[lo];
            v = gamma >= 0.5 ? r[lo + 1] - diff * (1 - gamma) : r[lo] + diff * gamma;
        }
        /* numpy.unique: sorted, equal values kept once (insertion into a short sorted list) */
        size_t pos = k;
        while (pos > 0 && edges[pos - 1] > v)
            pos--;
        if (pos > 0 && edges[pos - 1] == v)
            continue;
        for (size_t i = k; i > pos; i--)
            edges[i] = edges[i - 1];
        edges[pos] = v;
        k++;
    }
    return k;
}

/* number of x[0..n) strictly below e (x sorted) */
static size_t count_below(const double *x, size_t n, double e)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void drift_bin_shares(const double *x, size_t n, const double *edges, size_t nedges, double *shares)
{
    /* x lies in bin b when edges[b-1] <= x < edges[b] (numpy.searchsorted(edges, x, 'right')) */
    size_t before = 0;
    for (size_t b = 0; b < nedges; b++) {
        size_t upto = count_below(x, n, edges[b]);
        shares[b] = (double)(upto - before) / (double)n;
        before = upto;
    }
    shares[nedges] = (double)(n - before) / (double)n;
}

static double psi_term(const void *ctx, size_t i)
{
    const struct shares *t = ctx;
    double p = fmax(t->p[i], PSI_MIN_SHARE), q = fmax(t->q[i], PSI_MIN_SHARE);
    return (q - p) * log(q / p);
}

double drift_psi(const double *p, const double *q, size_t k)
{
    struct shares t = { p, q, 1.0, 1.0 };
    return drift_np_sum(psi_term, &t, k);
}

/* scipy.special.rel_entr(x, y) for finite non-negative x, y */
static double rel_entr(double x, double y)
{
    if (x > 0 && y > 0)
        return x * log(x / y);
    if (x == 0 && y >= 0)
        return 0.0;
    return INFINITY;
}

static double share_p(const void *ctx, size_t i)
{
    return ((const struct shares *)ctx)->p[i];
}

static double share_q(const void *ctx, size_t i)
{
    return ((const struct shares *)ctx)->q[i];
}

static double js_left(const void *ctx, size_t i)
{
    const struct shares *t = ctx;
    double p = t->p[i] / t->sp, q = t->q[i] / t->sq;
    return rel_entr(p, (p + q) / 2.0);
}

static double js_right(const void *ctx, size_t i)
{
    const struct shares *t = ctx;
    double p = t->p[i] / t->sp, q = t->q[i] / t->sq;
    return rel_entr(q, (p + q) / 2.0);
}

double drift_jensenshannon(const double *p, const double *q, size_t k)
{
    /* scipy.spatial.distance.jensenshannon(p, q, base=2): both vectors renormalised to sum 1,
     * m = (p+q)/2, sqrt((KL(p||m) + KL(q||m)) / ln 2 / 2). Rounding can leave the divergence a
     * hair below 0 for identical inputs, where scipy's sqrt gives NaN; it is clamped to 0. */
    struct shares t = { p, q, 1.0, 1.0 };
    t.sp = drift_np_sum(share_p, &t, k);
    t.sq = drift_np_sum(share_q, &t, k);
    double left = drift_np_sum(js_left, &t, k);
    double right = drift_np_sum(js_right, &t, k);
    double js = (left + right) / log(2.0);
    return sqrt(fmax(js / 2.0, 0.0));
}

static double hellinger_term(const void *ctx, size_t i)
{
    const struct shares *t = ctx;
    return sqrt(t->p[i] * t->q[i]);
}

double drift_hellinger(const double *p, const double *q, size_t k)
{
    /* sqrt(1 - Bhattacharyya coefficient); clamped at 0 when rounding lifts the coefficient
     * of identical distributions a hair above 1 */
    struct shares t = { p, q, 1.0, 1.0 };
    return sqrt(fmax(1.0 - drift_np_sum(hellinger_term, &t, k), 0.0));
}

double drift_linf(const double *p, const double *q, size_t k)
{
    double d = 0.0;
    for (size_t i = 0; i < k; i++)
        d = fmax(d, fabs(p[i] - q[i]));
    return d;
}
