/* Two-sample drift statistics, defined exactly as docs/statistics.md (the same as scipy's).
 * Pure functions over arrays: no I/O, no allocation visible to the caller. */
#ifndef DW_DRIFT_H
#define DW_DRIFT_H

#include <stddef.h>

/* statistic and p_value; p_value is NAN for methods without one. */
struct drift_result {
    double statistic;
    double p_value;
};

/* Sorts ascending (LSD radix sort on the IEEE-754 bits; -0.0 sorts before +0.0).
 * v must hold no NaN. Allocates a scratch buffer; returns 0 or -1 when out of memory. */
int drift_sort(double *v, size_t n);

/* Numeric tests. r (n values) and c (m values) are sorted ascending and finite.
 * Each returns 0 on success, -1 when a sample is empty (n == 0 or m == 0) or memory runs out;
 * on -1, out holds NAN, NAN. Further cases, where scipy raises instead:
 *  - drift_cramervonmises returns -1 when a sample has a single value (scipy needs two).
 *  - drift_anderson returns -1 when the pooled sample has fewer than 4 values or a single
 *    distinct value (scipy raises or divides by zero). Its p-value is scipy's interpolated
 *    significance level, capped to [0.001, 0.25]. */
int drift_ks(const double *r, size_t n, const double *c, size_t m, struct drift_result *out);
int drift_cramervonmises(const double *r, size_t n, const double *c, size_t m, struct drift_result *out);
int drift_anderson(const double *r, size_t n, const double *c, size_t m, struct drift_result *out);
int drift_wasserstein(const double *r, size_t n, const double *c, size_t m, struct drift_result *out);
int drift_wasserstein_normed(const double *r, size_t n, const double *c, size_t m, struct drift_result *out);

/* Quantile bins of the baseline: writes up to bins-1 interior edges (type-7 quantiles at k/bins,
 * duplicates removed) into edges and returns how many were written. r sorted, n >= 1. */
size_t drift_quantile_edges(const double *r, size_t n, int bins, double *edges);

/* Shares per bin (nedges + 1 bins; bin = number of edges <= x). x sorted; n >= 1. */
void drift_bin_shares(const double *x, size_t n, const double *edges, size_t nedges, double *shares);

/* Distances over two share vectors of length k (each summing to 1; zero shares allowed).
 * psi floors every share at 1e-4 (so an empty bin gives a finite term); jensenshannon is
 * scipy's distance with base 2, in [0, 1], with 0*log(0) = 0; hellinger = sqrt(1 - sum
 * sqrt(p q)); linf = max |p - q|. Rounding that would put jensenshannon's or hellinger's
 * radicand a hair below 0 (identical inputs) gives 0, where scipy would give NaN. */
double drift_psi(const double *p, const double *q, size_t k);
double drift_jensenshannon(const double *p, const double *q, size_t k);
double drift_hellinger(const double *p, const double *q, size_t k);
double drift_linf(const double *p, const double *q, size_t k);

/* Chi-square homogeneity test on the 2 x k table of counts (no continuity correction).
 * Categories with a zero count in both rows are left out (scipy raises on them); with a single
 * remaining category the result is statistic 0, p-value 1 (scipy's dof == 0 case).
 * Returns -1 when either row sums to 0 or memory runs out. */
int drift_chisquare(const double *count_r, const double *count_c, size_t k, struct drift_result *out);

/* scipy.stats.kstwo.sf(d, n): P(D_n >= d) for the one-sample two-sided Kolmogorov-Smirnov
 * statistic of n >= 1 observations, as drift_ks uses it for its asymptotic p-value (with
 * n = round(|R||C| / (|R|+|C|))). Relative accuracy ~1e-10 down to 1e-300; NAN for n == 0. */
double drift_kstwo_sf(double d, unsigned long n);

/* numpy.mean(x) and numpy.std(x) (ddof 0) over n values (pairwise sums as numpy's, in the order
 * given); NAN, NAN when n == 0. */
void drift_mean_std(const double *x, size_t n, double *mean, double *std);
/* numpy.percentile(x, pct) with its default linear interpolation; x sorted ascending, NAN when n == 0. */
double drift_percentile(const double *x, size_t n, double pct);

/* Sum of term(ctx, i), i = 0..n-1, in numpy's pairwise order, so the result rounds exactly as
 * numpy.sum over the same terms does. */
typedef double (*drift_term_fn)(const void *ctx, size_t i);
double drift_np_sum(drift_term_fn term, const void *ctx, size_t n);

#endif
