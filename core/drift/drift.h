/* Two-sample drift statistics, defined exactly as DESIGN.md §4 (the same as scipy's).
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
 * Each returns 0 on success, -1 when a sample is empty (n == 0 or m == 0). */
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

/* Distances over two share vectors of length k (each summing to 1). */
double drift_psi(const double *p, const double *q, size_t k);
double drift_jensenshannon(const double *p, const double *q, size_t k);
double drift_hellinger(const double *p, const double *q, size_t k);
double drift_linf(const double *p, const double *q, size_t k);

/* Chi-square homogeneity test on the 2 x k table of counts (no continuity correction).
 * Returns -1 when either row sums to 0. */
int drift_chisquare(const double *count_r, const double *count_c, size_t k, struct drift_result *out);

#endif
