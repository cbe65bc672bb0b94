/* Two-sample Cramer-von Mises test (drift_cramervonmises), as scipy 1.10's cramervonmises_2samp:
 * Anderson's (1962) T from pooled midranks; exact p-value up to 20 values a sample, else asymptotic. */
#include "stats/drift.h"
#include "stats/pooled_walk.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_gamma.h>

/* cramervonmises_2samp(method='auto') is exact when max(nx, ny) <= 20 */
#define CVM_MAX_EXACT_N 20

/* numpy's floor_divide for doubles (npy_divmod), which scipy's exact p-value relies on */
static double np_floor_divide(double a, double b)
{
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0 && ((b < 0) != (mod < 0)))
        div -= 1.0;
    if (div == 0.0)
        return copysign(0.0, a / b);
    double fl = floor(div);
    if (div - fl > 0.5)
        fl += 1.0;
    return fl;
}

/* A frequency table of the statistic's values: value[i] occurs freq[i] times, values sorted. */
struct cvm_table {
    uint64_t *value, *freq;
    size_t len, cap;
};

static int table_reserve(struct cvm_table *t, size_t cap)
{
    if (cap <= t->cap)
        return 0;
    uint64_t *v = realloc(t->value, cap * sizeof *v);
    if (!v)
        return -1;
    t->value = v;
    uint64_t *f = realloc(t->freq, cap * sizeof *f);
    if (!f)
        return -1;
    t->freq = f;
    t->cap = cap;
    return 0;
}

/* out = (x merged with y, frequencies of equal values added), then every value + shift */
static int table_merge_shift(const struct cvm_table *x, const struct cvm_table *y, uint64_t shift,
                             struct cvm_table *out)
{
    if (table_reserve(out, x->len + y->len) < 0)
        return -1;
    size_t i = 0, j = 0, k = 0;
    while (i < x->len || j < y->len) {
        if (j >= y->len || (i < x->len && x->value[i] < y->value[j])) {
            out->value[k] = x->value[i];
            out->freq[k++] = x->freq[i++];
        } else if (i >= x->len || y->value[j] < x->value[i]) {
            out->value[k] = y->value[j];
            out->freq[k++] = y->freq[j++];
        } else {
            out->value[k] = x->value[i];
            out->freq[k++] = x->freq[i++] + y->freq[j++];
        }
    }
    out->len = k;
    for (size_t l = 0; l < k; l++)
        out->value[l] += shift;
    return 0;
}

static uint64_t choose(uint64_t n, uint64_t k)
{
    uint64_t c = 1;
    for (uint64_t i = 1; i <= k; i++)
        c = c * (n - k + i) / i; /* exact: c * (n-k+i) is divisible by i; fits for n <= 60 */
    return c;
}

/* Exact P(U >= u) for sample sizes m and n (scipy's _pval_cvm_2samp_exact): the frequency
 * tables g+_{u,v} of Xiao, Gordon & Yakovlev (2006), "A C++ Program for the Cramer-von Mises
 * Two-Sample Test", J. Stat. Softw. 17(8), eq. 11 (Algorithm 1), with zeta from eq. 9 of
 * Anderson (1962). Returns -1 when out of memory. */
static int cvm_exact_pvalue(double u, uint64_t m, uint64_t n, double *p)
{
    uint64_t g = m, r = n;
    while (r) {
        uint64_t t = g % r;
        g = r;
        r = t;
    }
    uint64_t lcm = m / g * n, a = lcm / m, b = lcm / n, mn = m * n;
    double zeta = np_floor_divide((double)(lcm * lcm * (m + n)) * (6 * u - (double)(mn * (4 * mn - 1))),
                                  (double)(6 * mn * mn));

    int rc = -1;
    struct cvm_table *gs = calloc(2 * (m + 1), sizeof *gs);
    if (!gs)
        return -1;
    struct cvm_table *cur = gs, *next = gs + m + 1;
    if (table_reserve(&cur[0], 1) < 0)
        goto out;
    cur[0].value[0] = 0;
    cur[0].freq[0] = 1;
    cur[0].len = 1;
    const struct cvm_table empty = { 0 };
    for (uint64_t uu = 0; uu <= n; uu++) {
        for (uint64_t v = 0; v <= m; v++) {
            int64_t dev = (int64_t)(a * v) - (int64_t)(b * uu);
            if (table_merge_shift(v ? &next[v - 1] : &empty, &cur[v], (uint64_t)(dev * dev), &next[v]) < 0)
                goto out;
        }
        struct cvm_table *t = cur;
        cur = next;
        next = t;
    }
    uint64_t count = 0;
    for (size_t i = 0; i < cur[m].len; i++)
        if ((double)cur[m].value[i] >= zeta)
            count += cur[m].freq[i];
    *p = (double)count / (double)choose(m + n, m);
    rc = 0;
out:
    for (uint64_t v = 0; v < 2 * (m + 1); v++) {
        free(gs[v].value);
        free(gs[v].freq);
    }
    free(gs);
    return rc;
}

/* Limiting distribution of the one-sample statistic, eq. 1.2-1.3 of Csorgo & Faraway (1996),
 * "The exact and asymptotic distributions of Cramer-von Mises statistics", JRSS B 58(1):
 *   V(x) = sum_k Gamma(k+1/2) / (Gamma(k+1) pi^1.5 sqrt(x)) sqrt(4k+1) e^(-q) K_1/4(q),
 *   q = (4k+1)^2 / (16x),
 * summed, as scipy's _cdf_cvm_inf, until a term falls below 1e-7. e^(-q) K(q) is taken as
 * e^(-2q) times GSL's exponentially scaled K, which cannot underflow inside GSL. */
static double cvm_cdf_inf(double x)
{
    double tot = 0.0, z;
    int k = 0;
    do {
        double u = exp(gsl_sf_lngamma(k + 0.5) - gsl_sf_lngamma(k + 1.0)) / (pow(M_PI, 1.5) * sqrt(x));
        double y = 4.0 * k + 1.0;
        double q = y * y / (16 * x);
        z = u * sqrt(y) * exp(-2 * q) * gsl_sf_bessel_Knu_scaled(0.25, q);
        tot += z;
        k++;
    } while (fabs(z) >= 1e-7);
    return tot;
}

int drift_cramervonmises(const double *r, size_t n, const double *c, size_t m, struct drift_result *out)
{
    out->statistic = NAN;
    out->p_value = NAN;
    if (n < 2 || m < 2) /* scipy: "x and y must contain at least two observations" */
        return -1;

    /* U = n sum (rank(r_i) - i)^2 + m sum (rank(c_j) - j)^2 (Anderson 1962, eq. 10) with pooled
     * midranks for ties. 2*(rank - i) is an integer, so the sums are accumulated exactly. */
    unsigned __int128 sr = 0, sc = 0;
    struct pooled_walk pw = {.r = r, .c = c, .n = n, .m = m};
    double v;
    size_t i0, j0;
    while (pooled_next(&pw, &v, &i0, &j0)) {
        size_t i = pw.i, j = pw.j;
        /* the tie group holds pooled ranks i0+j0+1 .. i+j; twice its midrank: */
        int64_t mid2 = (int64_t)(i0 + j0 + i + j + 1);
        for (size_t k = i0; k < i; k++) {
            int64_t dv = mid2 - 2 * (int64_t)(k + 1);
            sr += (unsigned __int128)(dv * dv);
        }
        for (size_t k = j0; k < j; k++) {
            int64_t dv = mid2 - 2 * (int64_t)(k + 1);
            sc += (unsigned __int128)(dv * dv);
        }
    }
    double nx = (double)n, ny = (double)m;
    double u = nx * ((double)sr / 4.0) + ny * ((double)sc / 4.0);

    /* T (eq. 9): k = nx*ny and N = nx+ny are exact integers, as in Python */
    uint64_t k = (uint64_t)n * m, N = (uint64_t)n + m;
    double t = u / (double)(k * N) - (double)(4 * k - 1) / (double)(6 * N);
    out->statistic = t;

    if ((n > m ? n : m) <= CVM_MAX_EXACT_N) {
        if (cvm_exact_pvalue(u, n, m, &out->p_value) < 0)
            return -1;
        return 0;
    }

    /* Mean and variance of T (eqs. 11 and 14), the variance an exact integer ratio. */
    double et = (1 + 1.0 / (double)N) / 6;
    unsigned __int128 num = (unsigned __int128)(N + 1) *
        ((unsigned __int128)4 * k * N - 3 * ((unsigned __int128)n * n + (unsigned __int128)m * m) - 2 * (unsigned __int128)k);
    unsigned __int128 den = (unsigned __int128)45 * N * N * 4 * k;
    double vt = (double)((long double)num / (long double)den);
    /* normalised statistic (eq. 15), referred to the limiting one-sample distribution */
    double tn = 1.0 / 6 + (t - et) / sqrt(45 * vt);
    if (tn < 0.003) /* scipy: V(0.003) < 1.3e-18, p = 1 */
        out->p_value = 1.0;
    else
        out->p_value = fmax(0.0, 1.0 - cvm_cdf_inf(tn));
    return 0;
}
