/* mmd (docs/statistics.md; Gretton et al., "A Kernel Two-Sample Test", JMLR 2012): unbiased MMD^2
 * with a Gaussian kernel at the median-heuristic bandwidth and a seeded permutation p-value.
 * The kernel matrix of the pooled sample is computed once; a permutation only re-sums it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/prng.h"
#include "stats/drift.h"
#include "stats/multivariate.h"

/* The permutation stream of the seed (other streams seed the reservoirs). */
#define MMD_STREAM UINT64_C(0x6d6d64)

size_t mmd_take(size_t n, size_t m, size_t i)
{
    return (size_t)(((unsigned __int128)i * n) / m);
}

/* Sum of k over the pairs x < y of the sorted index list a (na entries) of the N x N matrix k:
 * each row's part is a gather along one contiguous row. */
static double pair_sum(const double *k, size_t N, const size_t *a, size_t na)
{
    double s = 0;
    for (size_t x = 0; x < na; x++) {
        const double *row = k + a[x] * N;
        double r0 = 0, r1 = 0;
        size_t y = x + 1;
        for (; y + 2 <= na; y += 2) {
            r0 += row[a[y]];
            r1 += row[a[y + 1]];
        }
        if (y < na)
            r0 += row[a[y]];
        s += r0 + r1;
    }
    return s;
}

/* Squared Euclidean distance with four accumulators: breaks the add chain so the loop runs at
 * throughput without -ffast-math. */
static double dist2(const double *a, const double *b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double t0 = a[i] - b[i], t1 = a[i + 1] - b[i + 1], t2 = a[i + 2] - b[i + 2], t3 = a[i + 3] - b[i + 3];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
    }
    for (; i < n; i++)
        s0 += (a[i] - b[i]) * (a[i] - b[i]);
    return (s0 + s1) + (s2 + s3);
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
    double *k = malloc(N * N * sizeof *k); /* the full kernel matrix, diagonal 0 (pairs i != j only) */
    double *sorted = malloc(npairs * sizeof *sorted);
    double *rowsum = calloc(N, sizeof *rowsum);
    double *mask = malloc(N * sizeof *mask);
    size_t *idx = malloc(N * sizeof *idx), *a = malloc(N * sizeof *a);
    if (!rows || !k || !sorted || !rowsum || !mask || !idx || !a)
        goto out;
    for (size_t i = 0; i < nx; i++)
        rows[i] = x + mmd_take(n, nx, i) * p;
    for (size_t i = 0; i < ny; i++)
        rows[nx + i] = y + mmd_take(m, ny, i) * p;

    /* squared distances (upper triangle), then their median (numpy's: the mean of the two middle
     * values for an even count) */
    size_t q = 0;
    for (size_t i = 0; i < N; i++) {
        double *row = k + i * N;
        row[i] = 0;
        for (size_t j = i + 1; j < N; j++) {
            row[j] = dist2(rows[i], rows[j], p);
            sorted[q++] = row[j];
        }
    }
    if (drift_sort(sorted, npairs) < 0)
        goto out;
    double med = npairs % 2 ? sorted[npairs / 2] : (sorted[npairs / 2 - 1] + sorted[npairs / 2]) / 2;
    r->sigma2 = med > 0 ? med : 1.0;
    double scale = -1.0 / (2.0 * r->sigma2);
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < N; i++) {
        double *row = k + i * N;
        for (size_t j = i + 1; j < N; j++) {
            double v = exp(row[j] * scale);
            row[j] = v;
            k[j * N + i] = v;
            /* the observed statistic's blocks, summed directly */
            if (j < nx)
                sxx += v;
            else if (i >= nx)
                syy += v;
            else
                sxy += v;
        }
    }
    double total = sxx + syy + sxy;
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        const double *row = k + i * N;
        for (size_t j = 0; j < N; j++)
            s += row[j];
        rowsum[i] = s;
    }
    double cx = 2.0 / ((double)nx * (double)(nx - 1)), cy = 2.0 / ((double)ny * (double)(ny - 1));
    double cxy = 2.0 / ((double)nx * (double)ny);
    double stat = cx * sxx + cy * syy - cxy * sxy;

    /* permutations: with S_AA the within-A pair sum, the cross sum is sum_{i in A} rowsum_i - 2 S_AA
     * (rowsum over j != i) and the within-B sum total - S_AA - S_AB: one pass over A's pairs per
     * shuffle (nx^2 / 2 kernel values), the kernel matrix never recomputed */
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
        /* A = the first nx shuffled rows, as a sorted list (a pass over membership flags) */
        for (size_t i = 0; i < N; i++)
            mask[i] = 0;
        for (size_t i = 0; i < nx; i++)
            mask[idx[i]] = 1;
        size_t na = 0;
        double ra = 0;
        for (size_t i = 0; i < N; i++)
            if (mask[i] != 0) {
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
    free(mask);
    free(idx);
    free(a);
    return rc;
}
