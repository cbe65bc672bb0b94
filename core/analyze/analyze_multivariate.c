/* Multivariate drift of a window (docs/statistics.md): the profile's row sample and the window's rows,
 * both standardised with the profile's per-feature mean/std, into pca_reconstruction and mmd. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/multivariate.h"
#include "analyze/analyze_multivariate.h"
#include "analyze/pca_reference.h"

#define MMD_P_THRESHOLD 0.05

/* The window's rows over the row sample's features (NAN = missing or absent), n = w->rows.
 * Rows come from the table's kept rows (a file read with opt.row_sample), or, for a table built
 * column by column (the live window), from the columns themselves when each is complete or
 * empty: only then is the k-th value of every column the k-th row's. *aligned = 0 otherwise. */
static double *window_rows(const struct profile_rows *rs, const struct columns *w, int *aligned)
{
    size_t nf = rs->nfeatures, n = (size_t)w->rows;
    *aligned = 1;
    int *idx = malloc((nf ? nf : 1) * sizeof *idx);
    size_t cells = n * nf;
    double *x = malloc((cells ? cells : 1) * sizeof *x);
    if (!idx || !x)
        goto nomem;
    for (size_t j = 0; j < nf; j++) {
        idx[j] = columns_find(w, rs->names[j]);
        if (idx[j] >= 0 && w->cols[idx[j]].type != COL_NUMERIC)
            idx[j] = -1;
    }
    if (w->row_vals && w->nrows_kept == n) {
        size_t *order = malloc((n ? n : 1) * sizeof *order);
        if (!order || columns_kept_row_order(w, order) < 0) {
            free(order);
            goto nomem;
        }
        for (size_t k = 0; k < n; k++) {
            const double *row = w->row_vals + order[k] * w->row_width;
            for (size_t j = 0; j < nf; j++)
                x[k * nf + j] = idx[j] >= 0 && (size_t)idx[j] < w->row_width ? row[idx[j]] : NAN;
        }
        free(order);
    } else {
        for (size_t j = 0; j < nf; j++) {
            const struct column *c = idx[j] >= 0 ? &w->cols[idx[j]] : NULL;
            int complete = c && c->nvalues == n && c->count == n;
            int empty = !c || c->nvalues == 0;
            if (!complete && !empty) {
                *aligned = 0;
                break;
            }
            for (size_t k = 0; k < n; k++)
                x[k * nf + j] = complete ? c->values[k] : NAN;
        }
    }
    free(idx);
    return x;
nomem:
    free(idx);
    free(x);
    return NULL;
}

int analyze_multivariate(const struct profile *p, const struct columns *w, unsigned methods, uint64_t seed,
                         struct pca_reference *ref, struct mv_pca_verdict *pv, struct mv_mmd_verdict *mv)
{
    memset(pv, 0, sizeof *pv);
    memset(mv, 0, sizeof *mv);
    pv->value = pv->lower = pv->upper = NAN;
    mv->statistic = mv->p_value = mv->sigma2 = NAN;
    mv->threshold = MMD_P_THRESHOLD;
    pv->ran = (methods & MV_PCA_RECONSTRUCTION) != 0;
    mv->ran = (methods & MV_MMD) != 0;
    if (!pv->ran && !mv->ran)
        return 0;
    const struct profile_rows *rs = &p->rows_sample;
    const char *why = NULL;
    if (!p->has_rows)
        why = "the baseline profile has no row sample (a version 1 profile, or built with --row-sample 0): "
              "rebuild it with 'driftwatch baseline' to use the multivariate methods";
    else if (rs->nfeatures == 0)
        why = "the baseline has no numeric features";
    else if (rs->nrows == 0)
        why = "the baseline's row sample is empty";
    if (why) {
        pv->note = mv->note = why;
        return 0;
    }
    size_t nf = rs->nfeatures, ns = rs->nrows, nw = (size_t)w->rows;
    int rc = -1, aligned = 1;
    double *mean = malloc(nf * sizeof *mean), *std = malloc(nf * sizeof *std);
    double *zs = malloc(ns * nf * sizeof *zs);
    double *zw = window_rows(rs, w, &aligned);
    struct pca_model m = {0};
    if (!mean || !std || !zs || !zw)
        goto out;
    if (!aligned) {
        pv->note = mv->note = "the window's rows cannot be lined up (a live window with missing values keeps "
                              "columns, not rows); the multivariate methods need whole rows";
        rc = 0;
        goto out;
    }
    for (size_t j = 0; j < nf; j++) {
        const struct profile_feature *f = &p->features[rs->feature[j]];
        mean[j] = f->count ? f->mean : NAN;
        std[j] = f->std;
    }
    mv_standardise(rs->values, ns, nf, mean, std, zs);
    mv_standardise(zw, nw, nf, mean, std, zw);
    if (pv->ran) {
        const struct pca_model *fit = &m;
        if (ref) {
            if (pca_reference_get(ref, zs, ns, nf, &fit, &pv->lower, &pv->upper) < 0)
                goto out;
        } else {
            if (pca_fit(zs, ns, nf, PCA_VARIANCE_RATIO, &m) < 0)
                goto out;
            pca_thresholds(&m, zs, ns, PCA_CHUNKS, &pv->lower, &pv->upper);
        }
        pv->ok = 1;
        pv->components = fit->k;
        pv->value = pca_error(fit, zw, nw);
        if (isnan(pv->lower))
            pv->note = "fewer than 2 non-empty chunks in the row sample (under 10 rows): no thresholds";
        else
            pv->drift = pv->value < pv->lower || pv->value > pv->upper;
    }
    if (mv->ran) {
        struct mmd_result r;
        int e = mmd_test(zs, ns, zw, nw, nf, MMD_MAX_ROWS, MMD_PERMUTATIONS, seed, &r);
        if (e == -1)
            goto out;
        if (e == -2) {
            mv->note = "needs at least 2 rows in the row sample and in the window";
        } else {
            mv->ok = 1;
            mv->statistic = r.statistic;
            mv->p_value = r.p_value;
            mv->sigma2 = r.sigma2;
            mv->drift = r.p_value < mv->threshold;
        }
    }
    rc = pv->drift || mv->drift;
out:
    pca_clear(&m);
    free(mean);
    free(std);
    free(zs);
    free(zw);
    return rc;
}
