/* Chi-square test of homogeneity on the 2 x k table of category counts (drift_chisquare), as
 * scipy 1.10's chi2_contingency(table, correction=False): Pearson's statistic and its p-value. */
#include "stats/drift.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

/* the table restricted to its non-empty columns, with its margins */
struct table {
    const double *row[2];
    double rowsum[2], total;
    const size_t *col;
    size_t k;
};

/* (observed - expected)^2 / expected for cell i of the table flattened row by row, the order
 * in which scipy sums the terms; expected = row sum * column sum / total */
static double cell_term(const void *ctx, size_t i)
{
    const struct table *t = ctx;
    size_t r = i / t->k, c = t->col[i % t->k];
    double colsum = t->row[0][c] + t->row[1][c];
    double expected = t->rowsum[r] * colsum / t->total;
    double d = t->row[r][c] - expected;
    return d * d / expected;
}

int drift_chisquare(const double *count_r, const double *count_c, size_t k, struct drift_result *out)
{
    out->statistic = NAN;
    out->p_value = NAN;
    size_t *col = malloc(k ? k * sizeof *col : 1);
    if (!col)
        return -1;
    /* A category seen in neither sample has expected count 0 (scipy raises); it carries no
     * information, so it is left out of the table and of the degrees of freedom. */
    struct table t = { { count_r, count_c }, { 0, 0 }, 0, col, 0 };
    for (size_t i = 0; i < k; i++) {
        if (count_r[i] + count_c[i] > 0)
            col[t.k++] = i;
        t.rowsum[0] += count_r[i];
        t.rowsum[1] += count_c[i];
    }
    int rc = -1;
    if (t.rowsum[0] <= 0 || t.rowsum[1] <= 0)
        goto out;
    t.total = t.rowsum[0] + t.rowsum[1];
    size_t dof = t.k - 1; /* (2-1) * (k-1) */
    if (dof == 0) {
        /* one category: observed == expected (scipy's degenerate case) */
        out->statistic = 0.0;
        out->p_value = 1.0;
    } else {
        out->statistic = drift_np_sum(cell_term, &t, 2 * t.k);
        out->p_value = gsl_cdf_chisq_Q(out->statistic, (double)dof);
    }
    rc = 0;
out:
    free(col);
    return rc;
}
