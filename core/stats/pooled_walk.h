/* Walking two sorted samples by the distinct values of their pooled sample, in order, each with its
 * tie group: the step the ECDF- and rank-based two-sample statistics (KS, Cramér-von Mises,
 * Anderson-Darling, Wasserstein) all take. */
#ifndef DW_STATS_POOLED_WALK_H
#define DW_STATS_POOLED_WALK_H

#include <stddef.h>

struct pooled_walk {
    const double *r, *c; /* both sorted ascending */
    size_t n, m;
    size_t i, j;         /* values of r and of c walked past so far */
};

/* The next distinct pooled value: 0 when both samples are walked; else 1 with *v, *i0 and *j0 the
 * positions in r and c where v's copies start, and w->i, w->j just past them. */
static inline int pooled_next(struct pooled_walk *w, double *v, size_t *i0, size_t *j0)
{
    if (w->i >= w->n && w->j >= w->m)
        return 0;
    double x = (w->j >= w->m || (w->i < w->n && w->r[w->i] <= w->c[w->j])) ? w->r[w->i] : w->c[w->j];
    *i0 = w->i;
    *j0 = w->j;
    while (w->i < w->n && w->r[w->i] == x)
        w->i++;
    while (w->j < w->m && w->c[w->j] == x)
        w->j++;
    *v = x;
    return 1;
}

#endif
