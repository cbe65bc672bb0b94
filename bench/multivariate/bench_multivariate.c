/* Times docs/statistics.md's multivariate methods on generated data and prints figures (asserts
 * nothing): PCA fit on the reference rows + chunk thresholds, reconstruction error of a window,
 * and MMD (1000 + 1000 rows, B = 200). Writes the rows as raw doubles when given a directory, for
 * numpy_pca.py to time numpy's SVD path on the same data.
 *   bench_multivariate [REF_ROWS] [WINDOW_ROWS] [FEATURES] [OUT_DIR] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/prng.h"
#include "stats/multivariate.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double normal(struct prng *g)
{
    double u = ((double)(prng_next(g) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(prng_next(g) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* n rows of p features from 10 latent factors plus noise (a realistic correlation structure). */
static double *rows(struct prng *g, const double *load, size_t n, size_t p, double shift)
{
    double *x = malloc(n * p * sizeof *x), z[10];
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < 10; f++)
            z[f] = normal(g);
        for (size_t j = 0; j < p; j++) {
            double v = 0.5 * normal(g) + shift;
            for (int f = 0; f < 10; f++)
                v += z[f] * load[f * p + j];
            x[i * p + j] = v;
        }
    }
    return x;
}

static void dump(const char *dir, const char *name, const double *x, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(x, sizeof *x, n, f);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    size_t nr = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000, nw = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
    size_t p = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
    struct prng g;
    prng_seed(&g, 1, 0);
    double *load = malloc(10 * p * sizeof *load);
    for (size_t i = 0; i < 10 * p; i++)
        load[i] = normal(&g);
    double *r = rows(&g, load, nr, p, 0), *w = rows(&g, load, nw, p, 0.05);
    if (argc > 4) {
        dump(argv[4], "ref.f64", r, nr * p);
        dump(argv[4], "win.f64", w, nw * p);
    }
    /* the profile's moments: standardise both (as analyze does) */
    double *mean = calloc(p, sizeof *mean), *sd = calloc(p, sizeof *sd);
    for (size_t j = 0; j < p; j++) {
        for (size_t i = 0; i < nr; i++)
            mean[j] += r[i * p + j];
        mean[j] /= (double)nr;
        for (size_t i = 0; i < nr; i++)
            sd[j] += (r[i * p + j] - mean[j]) * (r[i * p + j] - mean[j]);
        sd[j] = sqrt(sd[j] / (double)nr);
    }
    double t0 = now();
    mv_standardise(r, nr, p, mean, sd, r);
    mv_standardise(w, nw, p, mean, sd, w);
    double t1 = now();
    struct pca_model m;
    pca_fit(r, nr, p, PCA_VARIANCE_RATIO, &m);
    double t2 = now();
    double lo, hi;
    pca_thresholds(&m, r, nr, PCA_CHUNKS, &lo, &hi);
    double t3 = now();
    double err = pca_error(&m, w, nw);
    double t4 = now();
    printf("time standardise %zux%zu+%zux%zu %.4f\n", nr, p, nw, p, t1 - t0);
    printf("time pca_fit %zux%zu %.4f (components %zu)\n", nr, p, t2 - t1, m.k);
    printf("time pca_thresholds %.4f\n", t3 - t2);
    printf("time pca_error %zux%zu %.4f (error %.6f band [%.6f, %.6f])\n", nw, p, t4 - t3, err, lo, hi);
    printf("time pca_total %.4f\n", t4 - t1);
    struct mmd_result res;
    double t5 = now();
    mmd_test(r, nr, w, nw, p, MMD_MAX_ROWS, MMD_PERMUTATIONS, 42, &res);
    double t6 = now();
    mmd_test(r, nr, w, nw, p, MMD_MAX_ROWS, 0, 42, &res);
    double t7 = now();
    printf("time mmd %zu+%zu rows x %zu, B=%d %.4f (statistic %.6g p %.4g sigma2 %.6g)\n", res.n, res.m, p,
           MMD_PERMUTATIONS, t6 - t5, res.statistic, res.p_value, res.sigma2);
    printf("time mmd_without_permutations %.4f (so the %d permutations take %.4f)\n", t7 - t6, MMD_PERMUTATIONS,
           (t6 - t5) - (t7 - t6));
    pca_clear(&m);
    free(r);
    free(w);
    free(load);
    free(mean);
    free(sd);
    return 0;
}
