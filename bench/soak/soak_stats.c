/* Latency series, nearest-rank percentiles and least-squares slope for the soak bench
 * (see soak_stats.h). */
#include "soak_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int soak_series_add(struct soak_series *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 0;
}

int soak_series_merge(struct soak_series *dst, const struct soak_series *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (soak_series_add(dst, src->v[i]) < 0)
            return -1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double soak_series_quantile(struct soak_series *s, double q)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof s->v[0], cmp_double);
    /* Nearest rank: the smallest value with at least q of the values at or below it. */
    size_t rank = (size_t)ceil(q * (double)s->n);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

void soak_series_free(struct soak_series *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

double soak_slope(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return 0;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    /* Centred sums: the textbook one-pass form loses digits when x is large (seconds since boot). */
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx > 0 ? sxy / sxx : 0;
}
