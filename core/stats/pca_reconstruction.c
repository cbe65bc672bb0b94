/* pca_reconstruction (docs/statistics.md, NannyML's data reconstruction drift): PCA of the reference
 * row sample through GSL, the mean residual norm of a set of rows, and its chunk thresholds. */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/multivariate.h"

void pca_clear(struct pca_model *m)
{
    if (!m)
        return;
    free(m->mu);
    free(m->w);
    memset(m, 0, sizeof *m);
}

/* Fewest leading components (eigenvalues descending) whose share of total reaches min_ratio. */
static size_t choose_k(const double *lambda, size_t r, double total, double min_ratio, double *explained)
{
    *explained = NAN;
    if (!(total > 0))
        return 0;
    double cum = 0;
    for (size_t i = 0; i < r; i++) {
        cum += lambda[i] > 0 ? lambda[i] : 0;
        if (cum / total >= min_ratio) {
            *explained = cum / total;
            return i + 1;
        }
    }
    *explained = cum / total;
    return r;
}

/* Keeps the fewest leading components reaching min_ratio of the variance: m->k and m->w (p x k,
 * row-major) from the first k columns of dirs (the directions, sorted by eigenvalue lambda, count
 * of them). Returns 0, or -1 out of memory. */
static int keep_components(const double *lambda, size_t count, double total, double min_ratio, const gsl_matrix *dirs,
                           size_t p, struct pca_model *m)
{
    m->k = choose_k(lambda, count, total, min_ratio, &m->explained);
    if (!m->k)
        return 0;
    m->w = malloc(p * m->k * sizeof *m->w);
    if (!m->w)
        return -1;
    for (size_t j = 0; j < p; j++)
        for (size_t l = 0; l < m->k; l++)
            m->w[j * m->k + l] = gsl_matrix_get(dirs, j, l);
    return 0;
}

/* n >= p: eigenvectors of X^T X (p x p), X the centred rows. The covariance is accumulated as
 * outer products row by row (an axpy per entry row, which the compiler vectorises). */
static int fit_eigen(const double *x, size_t n, size_t p, double min_ratio, struct pca_model *m)
{
    int rc = -1;
    gsl_matrix *c = gsl_matrix_calloc(p, p), *evec = gsl_matrix_alloc(p, p);
    gsl_vector *eval = gsl_vector_alloc(p);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(p);
    double *lambda = malloc(p * sizeof *lambda);
    if (!c || !evec || !eval || !ws || !lambda)
        goto out;
    double *cd = c->data; /* tda == p for a freshly allocated matrix */
    for (size_t i = 0; i < n; i++) {
        const double *row = x + i * p;
        for (size_t a = 0; a < p; a++) {
            double xa = row[a];
            double *ca = cd + a * p;
            for (size_t b = a; b < p; b++)
                ca[b] += xa * row[b];
        }
    }
    double total = 0;
    for (size_t a = 0; a < p; a++) {
        total += cd[a * p + a]; /* trace = the sum of squared centred values = sum of eigenvalues */
        for (size_t b = a + 1; b < p; b++)
            cd[b * p + a] = cd[a * p + b];
    }
    if (gsl_eigen_symmv(c, eval, evec, ws) != 0)
        goto out;
    gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC);
    for (size_t i = 0; i < p; i++)
        lambda[i] = gsl_vector_get(eval, i);
    rc = keep_components(lambda, p, total, min_ratio, evec, p, m);
out:
    gsl_matrix_free(c);
    gsl_matrix_free(evec);
    gsl_vector_free(eval);
    if (ws)
        gsl_eigen_symmv_free(ws);
    free(lambda);
    return rc;
}

/* n < p: X^T = U S V^T (p x n, so rows >= columns as GSL needs); the principal directions are U's
 * columns, the eigenvalues S^2. */
static int fit_svd(const double *x, size_t n, size_t p, double min_ratio, struct pca_model *m)
{
    int rc = -1;
    gsl_matrix *a = gsl_matrix_alloc(p, n), *v = gsl_matrix_alloc(n, n);
    gsl_vector *s = gsl_vector_alloc(n), *work = gsl_vector_alloc(n);
    double *lambda = malloc(n * sizeof *lambda);
    if (!a || !v || !s || !work || !lambda)
        goto out;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            gsl_matrix_set(a, j, i, x[i * p + j]);
            total += x[i * p + j] * x[i * p + j];
        }
    if (n == 1) {
        /* a single centred row is all zeros: nothing to decompose */
        gsl_vector_set_zero(s);
        gsl_matrix_set_zero(a);
    } else if (gsl_linalg_SV_decomp(a, v, s, work) != 0) {
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        lambda[i] = gsl_vector_get(s, i) * gsl_vector_get(s, i);
    rc = keep_components(lambda, n, total, min_ratio, a, p, m);
out:
    gsl_matrix_free(a);
    gsl_matrix_free(v);
    gsl_vector_free(s);
    gsl_vector_free(work);
    free(lambda);
    return rc;
}

int pca_fit(const double *z, size_t n, size_t p, double min_ratio, struct pca_model *m)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->explained = NAN;
    if (n == 0 || p == 0) {
        m->mu = calloc(p ? p : 1, sizeof *m->mu);
        return m->mu ? 0 : -1;
    }
    m->mu = calloc(p, sizeof *m->mu);
    double *x = malloc(n * p * sizeof *x);
    if (!m->mu || !x) {
        free(x);
        pca_clear(m);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            m->mu[j] += z[i * p + j];
    for (size_t j = 0; j < p; j++)
        m->mu[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            x[i * p + j] = z[i * p + j] - m->mu[j];
    int rc = n >= p ? fit_eigen(x, n, p, min_ratio, m) : fit_svd(x, n, p, min_ratio, m);
    free(x);
    if (rc < 0)
        pca_clear(m);
    return rc;
}

/* The residual norm of one row: d = z - mu, c = W^T d, r = d - W c. scratch holds p + k. */
static double row_error(const struct pca_model *m, const double *z, double *scratch)
{
    size_t p = m->p, k = m->k;
    double *d = scratch, *c = scratch + p;
    for (size_t j = 0; j < p; j++)
        d[j] = z[j] - m->mu[j];
    for (size_t l = 0; l < k; l++)
        c[l] = 0;
    for (size_t j = 0; j < p; j++) {
        const double *wj = m->w + j * k;
        double dj = d[j];
        for (size_t l = 0; l < k; l++)
            c[l] += dj * wj[l];
    }
    double ss = 0;
    for (size_t j = 0; j < p; j++) {
        const double *wj = m->w + j * k;
        double r = d[j];
        for (size_t l = 0; l < k; l++)
            r -= wj[l] * c[l];
        ss += r * r;
    }
    return sqrt(ss);
}

double pca_error(const struct pca_model *m, const double *z, size_t n)
{
    if (n == 0)
        return NAN;
    double stack[512];
    double *scratch = m->p + m->k <= 512 ? stack : malloc((m->p + m->k) * sizeof *scratch);
    if (!scratch)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += row_error(m, z + i * m->p, scratch);
    if (scratch != stack)
        free(scratch);
    return sum / (double)n;
}

void pca_thresholds(const struct pca_model *m, const double *z, size_t n, size_t chunks, double *lower,
                    double *upper)
{
    *lower = *upper = NAN;
    if (chunks == 0)
        return;
    size_t size = n / chunks;
    double sum = 0, sumsq = 0, vals[64];
    size_t defined = 0;
    if (chunks > sizeof vals / sizeof vals[0])
        chunks = sizeof vals / sizeof vals[0];
    for (size_t c = 0; c < chunks; c++) {
        size_t from = c * size, to = c + 1 == chunks ? n : from + size;
        if (to <= from)
            continue;
        vals[defined++] = pca_error(m, z + from * m->p, to - from);
    }
    if (defined < 2)
        return;
    for (size_t i = 0; i < defined; i++)
        sum += vals[i];
    double mean = sum / (double)defined;
    for (size_t i = 0; i < defined; i++)
        sumsq += (vals[i] - mean) * (vals[i] - mean);
    double sd = sqrt(sumsq / (double)defined);
    *lower = fmax(0.0, mean - 3 * sd);
    *upper = mean + 3 * sd;
}
