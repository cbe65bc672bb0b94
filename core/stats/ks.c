/* Two-sample Kolmogorov-Smirnov test (drift_ks): D = sup |F_R - F_C| and its p-value exactly as
 * scipy 1.10's ks_2samp(R, C, method='auto'): exact lattice-path counting up to 10000 values. */
#include "stats/drift.h"
#include "stats/pooled_walk.h"

#include <math.h>
#include <stdlib.h>

/* ks_2samp's MAX_AUTO_N: 'auto' is exact when both samples have at most this many values */
#define KS_MAX_EXACT_N 10000

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* P(D_{n,n} >= h/n) for two samples of equal size n, 0 < h <= n (scipy's
 * _compute_prob_outside_square). The alternating sum
 *   2 * sum_k (-1)^(k-1) C(2n, n - kh) / C(2n, n)
 * is evaluated as 2*A0*(1 - A1*(1 - A2*(...))) with each A_k a product of h ratios, which
 * avoids the subtractive cancellation of the plain sum. */
static double ks_prob_outside_square(long n, long h)
{
    double P = 0.0;
    for (long k = (long)floor((double)n / (double)h); k >= 0; k--) {
        double p1 = 1.0;
        for (long j = 0; j < h; j++)
            p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
        P = p1 * (1.0 - P);
    }
    return 2 * P;
}

/* P(D_{m,n} >= h/lcm(m,n)) for m != n: the share of monotone lattice paths from (0,0) to (m,n)
 * that leave the band |x/m - y/n| < h/lcm (Hodges 1958, "inside method"), computed with
 * Viehmann's recursion (arXiv:2102.08037) for 1 - p, which keeps every entry a probability
 * in [0, 1] so nothing overflows and small p-values keep their relative precision. Port of
 * scipy's _compute_outer_prob_inside_method; a is scratch of n + 1 doubles. */
static double ks_outer_prob_inside(long m, long n, long g, long h, double *a)
{
    if (m < n) {
        long t = m;
        m = n;
        n = t;
    }
    long mg = m / g, ng = n / g;
    /* Only a sliding window [minj, maxj) of one column of the path table is kept. */
    long minj = 0, maxj = (long)ceil((double)h / (double)mg);
    if (maxj > n + 1)
        maxj = n + 1;
    long curlen = maxj - minj;
    long lena = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    for (long j = 0; j < lena; j++)
        a[j] = j < maxj ? 0.0 : 1.0;
    for (long i = 1; i <= m; i++) {
        long lastminj = minj, lastlen = curlen;
        minj = (long)floor((double)(ng * i - h) / (double)mg) + 1;
        if (minj < 0)
            minj = 0;
        if (minj > n)
            minj = n;
        maxj = (long)ceil((double)(ng * i + h) / (double)mg);
        if (maxj > n + 1)
            maxj = n + 1;
        if (maxj <= minj)
            return 1.0;
        double val = minj == 0 ? 0.0 : 1.0;
        for (long jj = 0; jj < maxj - minj; jj++) {
            long j = jj + minj;
            val = (a[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + j);
            a[jj] = val;
        }
        curlen = maxj - minj;
        /* entries carried over past the shrunken window are paths already outside */
        for (long j = curlen; j < curlen + (lastlen - curlen) && j < lena; j++)
            a[j] = 1.0;
    }
    return a[maxj - minj - 1];
}

/* scipy's _attempt_exact_2kssamp (two-sided): rounds d to the lattice h/lcm(n,m), writes it
 * to *d, and returns 0 with *p set, or -1 when the result is not a probability (scipy then
 * falls back to the asymptotic distribution). */
static int ks_exact(size_t n, size_t m, double *d, double *p)
{
    size_t g = gcd(n, m);
    size_t lcm = (n / g) * m;
    long h = (long)nearbyint(*d * (double)lcm); /* numpy.round: half to even */
    *d = (double)h / (double)lcm;
    if (h == 0) {
        *p = 1.0;
        return 0;
    }
    double prob;
    if (n == m) {
        prob = ks_prob_outside_square((long)n, h);
    } else {
        double *a = malloc(((n < m ? n : m) + 1) * sizeof *a);
        if (!a)
            return -2;
        prob = ks_outer_prob_inside((long)n, (long)m, (long)g, h, a);
        free(a);
    }
    if (!(prob >= 0.0 && prob <= 1.0))
        return -1;
    *p = prob;
    return 0;
}

int drift_ks(const double *r, size_t n, const double *c, size_t m, struct drift_result *out)
{
    out->statistic = NAN;
    out->p_value = NAN;
    if (n == 0 || m == 0)
        return -1;

    /* Walk the pooled distinct values; at each, F_R - F_C with both ECDFs right-continuous
     * (scipy: searchsorted(..., side='right') / size). */
    double maxs = 0.0, mins = 0.0;
    struct pooled_walk pw = {.r = r, .c = c, .n = n, .m = m};
    double v;
    size_t i0, j0;
    while (pooled_next(&pw, &v, &i0, &j0)) {
        double diff = (double)pw.i / (double)n - (double)pw.j / (double)m;
        if (diff > maxs)
            maxs = diff;
        if (-diff > mins)
            mins = -diff;
    }
    double d = mins > maxs ? mins : maxs;

    double p = NAN;
    int exact = -1;
    if ((n > m ? n : m) <= KS_MAX_EXACT_N) {
        exact = ks_exact(n, m, &d, &p);
        if (exact == -2)
            return -1;
    }
    if (exact != 0) {
        /* asymptotic: the one-sample distribution at the effective size n*m/(n+m), rounded
         * half to even as numpy.round does */
        double big = (double)(n > m ? n : m), small = (double)(n > m ? m : n);
        double en = big * small / (big + small);
        p = drift_kstwo_sf(d, (unsigned long)nearbyint(en));
    }
    out->statistic = d;
    out->p_value = p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
    return 0;
}
