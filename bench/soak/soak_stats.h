/* Figures for the soak bench: growable latency series with percentiles, and the least-squares
 * slope used to tell a flat RSS from a growing one. */
#ifndef DW_SOAK_STATS_H
#define DW_SOAK_STATS_H

#include <stddef.h>

struct soak_series {
    double *v;
    size_t n, cap;
};

/* Appends x; returns 0, or -1 when memory runs out (the value is then not kept). */
int soak_series_add(struct soak_series *s, double x);
/* Appends every value of src to dst; returns 0 or -1 (out of memory). */
int soak_series_merge(struct soak_series *dst, const struct soak_series *src);
/* Sorts the values and returns the q-quantile by nearest rank (0 for an empty series). */
double soak_series_quantile(struct soak_series *s, double q);
void soak_series_free(struct soak_series *s);

/* Least-squares slope of y over x for n points (0 when fewer than two distinct x). */
double soak_slope(const double *x, const double *y, size_t n);

#endif
