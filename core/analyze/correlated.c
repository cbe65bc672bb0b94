/* Correlated feature groups of a baseline's row sample (see correlated.h). */
#include "analyze/correlated.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    /* the smaller index is the root, so a group's root is its first feature */
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* z = (x - mean) / std over the feature's non-missing values of the chosen rows, 0 for a missing
 * value; column-major (k features x m rows). Returns 0 for a constant or empty feature. */
static int standardise_column(const struct profile_rows *rs, size_t j, const size_t *rows, size_t m, double *z)
{
    double sum = 0;
    size_t n = 0;
    for (size_t r = 0; r < m; r++) {
        double x = rs->values[rows[r] * rs->nfeatures + j];
        if (!isnan(x)) {
            sum += x;
            n++;
        }
    }
    if (n < 2)
        return 0;
    double mean = sum / (double)n, ss = 0;
    for (size_t r = 0; r < m; r++) {
        double x = rs->values[rows[r] * rs->nfeatures + j];
        if (!isnan(x))
            ss += (x - mean) * (x - mean);
    }
    double sd = sqrt(ss / (double)m); /* over every row: Pearson's r of the mean-imputed column */
    if (!(sd > 0) || !isfinite(sd))
        return 0;
    for (size_t r = 0; r < m; r++) {
        double x = rs->values[rows[r] * rs->nfeatures + j];
        z[r] = isnan(x) ? 0.0 : (x - mean) / sd;
    }
    return 1;
}

static int collect_groups(const struct profile_rows *rs, size_t *parent, struct correlated_groups *out)
{
    size_t k = rs->nfeatures;
    size_t *size = calloc(k, sizeof *size);
    if (!size)
        return -1;
    for (size_t j = 0; j < k; j++)
        size[uf_find(parent, j)]++;
    for (size_t j = 0; j < k; j++)
        if (parent[j] == j && size[j] >= 2)
            out->n++;
    out->groups = calloc(out->n ? out->n : 1, sizeof *out->groups);
    if (!out->groups) {
        free(size);
        return -1;
    }
    size_t g = 0;
    for (size_t root = 0; root < k; root++) {
        if (parent[root] != root || size[root] < 2)
            continue;
        struct correlated_group *grp = &out->groups[g++];
        if (!(grp->names = calloc(size[root], sizeof *grp->names))) {
            free(size);
            return -1;
        }
        for (size_t j = root; j < k; j++) {
            if (uf_find(parent, j) != root)
                continue;
            if (!(grp->names[grp->n] = strdup(rs->names[j]))) {
                free(size);
                return -1;
            }
            grp->n++;
        }
    }
    free(size);
    return 0;
}

int correlated_groups_find(const struct profile *p, struct correlated_groups *out)
{
    memset(out, 0, sizeof *out);
    const struct profile_rows *rs = &p->rows_sample;
    if (!p->has_rows)
        return 0;
    out->computed = 1;
    size_t k = rs->nfeatures, n = rs->nrows;
    if (k < 2 || n < 3)
        return 0;
    size_t m = n < CORRELATED_MAX_ROWS ? n : CORRELATED_MAX_ROWS;
    size_t *rows = malloc(m * sizeof *rows);
    size_t *parent = malloc(k * sizeof *parent);
    double *z = malloc(k * m * sizeof *z);
    int *usable = malloc(k * sizeof *usable);
    int rc = -1;
    if (!rows || !parent || !z || !usable)
        goto out;
    for (size_t r = 0; r < m; r++)
        rows[r] = (size_t)((double)r * (double)n / (double)m); /* evenly spaced, as mmd takes rows */
    for (size_t j = 0; j < k; j++) {
        parent[j] = j;
        usable[j] = standardise_column(rs, j, rows, m, z + j * m);
    }
    for (size_t a = 0; a < k; a++) {
        if (!usable[a])
            continue;
        const double *za = z + a * m;
        for (size_t b = a + 1; b < k; b++) {
            if (!usable[b] || uf_find(parent, a) == uf_find(parent, b))
                continue;
            const double *zb = z + b * m;
            double dot = 0;
            for (size_t r = 0; r < m; r++)
                dot += za[r] * zb[r];
            if (fabs(dot / (double)m) >= CORRELATED_MIN_ABS_R)
                uf_union(parent, a, b);
        }
    }
    rc = collect_groups(rs, parent, out);
out:
    free(rows);
    free(parent);
    free(z);
    free(usable);
    if (rc < 0)
        correlated_groups_clear(out);
    return rc;
}

void correlated_groups_clear(struct correlated_groups *g)
{
    if (!g)
        return;
    for (size_t i = 0; g->groups && i < g->n; i++) {
        for (size_t j = 0; j < g->groups[i].n; j++)
            free(g->groups[i].names[j]);
        free(g->groups[i].names);
    }
    free(g->groups);
    memset(g, 0, sizeof *g);
}
