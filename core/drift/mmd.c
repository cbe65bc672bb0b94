/* mmd (DESIGN.md §9; Gretton et al., "A Kernel Two-Sample Test", JMLR 2012): unbiased MMD^2
 * with a Gaussian kernel at the median-heuristic bandwidth and a seeded permutation p-value.
 * The kernel matrix of the pooled sample is computed once; a permutation only re-sums it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/prng.h"
#include "drift.h"
#include "multivariate.h"

/* The permutation stream of the seed (other streams seed the reservoirs). */
#define MMD_STREAM UINT64_C(0x6d6d64)

size_t mmd_take(size_t n, size_t m, size_t i)
{
    return (size_t)(((unsigned __int128)i * n) / m);
}

/* Upper triangle without the diagonal, row by row: pair (i, j), i < j, of N rows is at
 * tri_row(i, N) + (j - i - 1). */
static inline size_t tri_row(size_t i, size_t N)
{
    return i * N - i * (i + 1) / 2;
}

/* Sum of k over the pairs i < j of the sorted index list a (na entries). */
static double pair_sum(const double *k, size_t N, const size_t *a, size_t na)
{
    double s = 0;
    for (size_t x = 0; x < na; x++) {
        const double *row = k + tri_row(a[x], N);
        double rs = 0;
        size_t off = a[x] + 1;
        for (size_t y = x + 1; y < na; y++)
            rs += row[a[y] - off];
        s += rs;
    }
    return s;
}

int mmd_test(const double *x, size_t n, const double *y, size_t m, size_t p, size_t max_rows, unsigned permutations,
             uint64_t seed, struct mmd_result *r)
{
    r->statistic = r->p_value = r->sigma2 = NAN;
    r->n = r->m = 0;
    if (n < 2 || m < 2)
        return -2;
    size_t nx = max_rows && n > max_rows ? max_rows : n;
    size_t ny = max_rows && m > max_rows ? max_rows : m;
    size_t N = nx + ny;
    size_t npairs = N * (N - 1) / 2;
    int rc = -1;
    const double **rows = malloc(N * sizeof *rows);
    double *k = malloc(npairs * sizeof *k);
    double *sorted = malloc(npairs * sizeof *sorted);
    double *rowsum = calloc(N, sizeof *rowsum);
    size_t *idx = malloc(N * sizeof *idx), *a = malloc(N * sizeof *a);
    unsigned char *in_a = malloc(N);
    if (!rows || !k || !sorted || !rowsum || !idx || !a || !in_a)
        goto out;
    for (size_t i = 0; i < nx; i++)
        rows[i] = x + mmd_take(n, nx, i) * p;
    for (size_t i = 0; i < ny; i++)
        rows[nx + i] = y + mmd_take(m, ny, i) * p;

    /* squared distances, then their median (numpy's: the mean of the two middle values) */
    for (size_t i = 0; i < N; i++) {
        double *out = k + tri_row(i, N);
        const double *ri = rows[i];
        for (size_t j = i + 1; j < N; j++) {
            const double *rj = rows[j];
            double d = 0;
            for (size_t c = 0; c < p; c++) {
                double t = ri[c] - rj[c];
                d += t * t;
            }
            out[j - i - 1] = d;
        }
    }
    memcpy(sorted, k, npairs * sizeof *k);
    if (drift_sort(sorted, npairs) < 0)
        goto out;
    double med = npairs % 2 ? sorted[npairs / 2] : (sorted[npairs / 2 - 1] + sorted[npairs / 2]) / 2;
    free(sorted);
    sorted = NULL;
    r->sigma2 = med > 0 ? med : 1.0;
    double scale = -1.0 / (2.0 * r->sigma2);
    double total = 0;
    for (size_t i = 0; i < N; i++) {
        double *row = k + tri_row(i, N);
        for (size_t j = i + 1; j < N; j++) {
            double v = exp(row[j - i - 1] * scale);
            row[j - i - 1] = v;
            rowsum[i] += v;
            rowsum[j] += v;
            total += v;
        }
    }

    /* the observed statistic, each block summed directly */
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < N; i++) {
        const double *row = k + tri_row(i, N);
        for (size_t j = i + 1; j < N; j++) {
            double v = row[j - i - 1];
            if (j < nx)
                sxx += v;
            else if (i >= nx)
                syy += v;
            else
                sxy += v;
        }
    }
    double cx = 2.0 / ((double)nx * (double)(nx - 1)), cy = 2.0 / ((double)ny * (double)(ny - 1));
    double cxy = 2.0 / ((double)nx * (double)ny);
    double stat = cx * sxx + cy * syy - cxy * sxy;

    /* permutations: with S_AA the within-A pair sum, the cross sum is sum_{i in A} rowsum_i - 2 S_AA
     * and the within-B sum total - S_AA - S_AB, so one pass over A's pairs per shuffle */
    struct prng g;
    prng_seed(&g, seed, MMD_STREAM);
    size_t exceed = 0;
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    for (unsigned b = 0; b < permutations; b++) {
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)prng_below(&g, i + 1);
            size_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        memset(in_a, 0, N);
        for (size_t i = 0; i < nx; i++)
            in_a[idx[i]] = 1;
        size_t na = 0;
        double ra = 0;
        for (size_t i = 0; i < N; i++)
            if (in_a[i]) {
                a[na++] = i;
                ra += rowsum[i];
            }
        double saa = pair_sum(k, N, a, na);
        double sab = ra - 2 * saa;
        double sbb = total - saa - sab;
        double s = cx * saa + cy * sbb - cxy * sab;
        if (s >= stat)
            exceed++;
    }
    r->statistic = stat;
    r->p_value = (1.0 + (double)exceed) / ((double)permutations + 1.0);
    r->n = nx;
    r->m = ny;
    rc = 0;
out:
    free(rows);
    free(k);
    free(sorted);
    free(rowsum);
    free(idx);
    free(a);
    free(in_a);
    return rc;
}
