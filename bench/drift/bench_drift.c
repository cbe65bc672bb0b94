/* bench_drift: wall time of the drift battery (ks, cramervonmises, anderson, wasserstein(_normed),
 * psi, jensenshannon, hellinger) on (a) 100 features of 100k vs 100k rows, (b) 1 feature 1M vs 1M. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "stats/drift.h"

/* The data generator, mirrored bit for bit by scipy_battery.py: value i of stream s is
 * sqrt(3) * (u1 + u2 + u3 + u4 - 2) * scale + shift, with u_k uniforms from a counter-based
 * splitmix64 (so numpy computes the same doubles, vectorised). */
static uint64_t splitmix(uint64_t x)
{
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static double uniform(uint64_t stream, uint64_t i)
{
    return (double)(splitmix(stream * UINT64_C(0x100000000) + i * UINT64_C(0x9e3779b97f4a7c15)) >> 11) * 0x1p-53;
}

static void generate(double *v, size_t n, uint64_t stream, double scale, double shift)
{
    for (size_t i = 0; i < n; i++) {
        double s = uniform(stream, 4 * i) + uniform(stream, 4 * i + 1) + uniform(stream, 4 * i + 2) +
                   uniform(stream, 4 * i + 3);
        v[i] = (s - 2.0) * 1.7320508075688772 * scale + shift;
    }
}

/* feature f of scenario (a): most features unchanged, some shifted a little, some a lot */
static double feature_shift(int f)
{
    return f % 10 == 0 ? 0.5 : (f % 5 == 0 ? 0.02 : 0.0);
}

enum { M_SORT, M_KS, M_CVM, M_AD, M_W, M_WN, M_BINS, M_PSI, M_JS, M_HEL, M_COUNT };
static const char *names[M_COUNT] = { "sort", "ks", "cramervonmises", "anderson", "wasserstein",
                                      "wasserstein_normed", "bins", "psi", "jensenshannon", "hellinger" };

struct tally {
    double seconds[M_COUNT];
    double stat_sum[M_COUNT], p_sum[M_COUNT];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*method_fn)(const double *, size_t, const double *, size_t, struct drift_result *);

static int run_feature(double *r, size_t n, double *c, size_t m, struct tally *t)
{
    static const method_fn fns[] = { [M_KS] = drift_ks, [M_CVM] = drift_cramervonmises, [M_AD] = drift_anderson,
                                     [M_W] = drift_wasserstein, [M_WN] = drift_wasserstein_normed };
    double t0 = now();
    if (drift_sort(r, n) < 0 || drift_sort(c, m) < 0)
        return -1;
    t->seconds[M_SORT] += now() - t0;
    for (int k = M_KS; k <= M_WN; k++) {
        struct drift_result res;
        t0 = now();
        if (fns[k](r, n, c, m, &res) < 0)
            return -1;
        t->seconds[k] += now() - t0;
        t->stat_sum[k] += res.statistic;
        t->p_sum[k] += isnan(res.p_value) ? 0.0 : res.p_value;
    }
    double edges[9], p[10], q[10];
    t0 = now();
    size_t ne = drift_quantile_edges(r, n, 10, edges);
    drift_bin_shares(r, n, edges, ne, p);
    drift_bin_shares(c, m, edges, ne, q);
    t->seconds[M_BINS] += now() - t0;
    double (*dist[])(const double *, const double *, size_t) = { drift_psi, drift_jensenshannon, drift_hellinger };
    for (int k = 0; k < 3; k++) {
        t0 = now();
        double d = dist[k](p, q, ne + 1);
        t->seconds[M_PSI + k] += now() - t0;
        t->stat_sum[M_PSI + k] += d;
    }
    return 0;
}

static void print_tally(const char *scenario, const struct tally *t)
{
    double total = 0;
    for (int k = 0; k < M_COUNT; k++) {
        printf("time %s %s %.6f\n", scenario, names[k], t->seconds[k]);
        total += t->seconds[k];
    }
    printf("time %s total %.6f\n", scenario, total);
    for (int k = M_KS; k < M_COUNT; k++)
        if (k != M_BINS)
            printf("check %s %s %.12g %.12g\n", scenario, names[k], t->stat_sum[k], t->p_sum[k]);
}

int main(int argc, char **argv)
{
    int features = argc > 1 ? atoi(argv[1]) : 100;
    size_t rows = argc > 2 ? (size_t)atol(argv[2]) : 100000, big = 1000000;
    double *r = malloc(big * sizeof *r), *c = malloc(big * sizeof *c);
    if (!r || !c)
        return 1;

    struct tally a;
    memset(&a, 0, sizeof a);
    for (int f = 0; f < features; f++) {
        double scale = 1.0 + f % 4;
        generate(r, rows, 2 * (uint64_t)f + 1, scale, 0.0);
        generate(c, rows, 2 * (uint64_t)f + 2, scale, feature_shift(f) * scale);
        if (run_feature(r, rows, c, rows, &a) < 0)
            return 1;
    }
    printf("# scenario a: %d features, %zu vs %zu rows\n", features, rows, rows);
    print_tally("a", &a);

    struct tally b;
    memset(&b, 0, sizeof b);
    generate(r, big, 1001, 1.0, 0.0);
    generate(c, big, 1002, 1.0, 0.01);
    if (run_feature(r, big, c, big, &b) < 0)
        return 1;
    printf("# scenario b: 1 feature, %zu vs %zu rows\n", big, big);
    print_tally("b", &b);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    free(r);
    free(c);
    return 0;
}
