/* Times the realized performance metrics of docs/statistics.md on a generated window and prints
 * figures (asserts nothing): every binary metric (roc_auc's sort included), every regression metric
 * and the macro multiclass ones over N pairs, and the 10 reference chunks with their thresholds;
 * the best of 20 runs each.
 *   bench_perf [N] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/prng.h"
#include "stats/perf_chunks.h"
#include "stats/perf_eval.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double uniform(struct prng *g)
{
    return (double)(prng_next(g) >> 11) * 0x1p-53;
}

/* Best of 20 runs of perf_evaluate over all rows (ms). */
static double time_eval(const struct perf_rows *r)
{
    double best = INFINITY, v[PM_COUNT];
    for (int k = 0; k < 20; k++) {
        double t0 = now();
        if (perf_evaluate(r, 0, r->n, v) < 0)
            return NAN;
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return best * 1e3;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    if (n == 0)
        n = 100000;
    struct prng g;
    prng_seed(&g, 42, 0);
    struct perf_rows bin = {.task = PERF_BINARY, .n = n, .nclasses = 2};
    struct perf_rows multi = {.task = PERF_MULTICLASS, .n = n, .nclasses = 5};
    struct perf_rows reg = {.task = PERF_REGRESSION, .n = n};
    bin.y = malloc(n * sizeof *bin.y);
    bin.yhat = malloc(n * sizeof *bin.yhat);
    bin.score = malloc(n * sizeof *bin.score);
    multi.y = malloc(n * sizeof *multi.y);
    multi.yhat = malloc(n * sizeof *multi.yhat);
    reg.ry = malloc(n * sizeof *reg.ry);
    reg.ryhat = malloc(n * sizeof *reg.ryhat);
    if (!bin.y || !bin.yhat || !bin.score || !multi.y || !multi.yhat || !reg.ry || !reg.ryhat)
        return 1;
    /* scores with ties at 4 decimals, targets drawn with probability = score (a calibrated model) */
    for (size_t i = 0; i < n; i++) {
        bin.score[i] = (double)(long)(uniform(&g) * 10000) / 10000;
        bin.y[i] = uniform(&g) < bin.score[i];
        bin.yhat[i] = bin.score[i] >= 0.5;
        multi.y[i] = (int)(uniform(&g) * 5);
        multi.yhat[i] = uniform(&g) < 0.7 ? multi.y[i] : (int)(uniform(&g) * 5);
        reg.ry[i] = 100 * uniform(&g);
        reg.ryhat[i] = reg.ry[i] + 10 * (uniform(&g) - 0.5);
    }
    printf("pairs: %zu\n", n);
    printf("binary (7 metrics, roc_auc sort included): %.2f ms\n", time_eval(&bin));
    printf("multiclass (accuracy + 3 macro metrics, 5 classes): %.2f ms\n", time_eval(&multi));
    printf("regression (4 metrics): %.2f ms\n", time_eval(&reg));
    /* the reference's work at baseline: 10 chunks, then a band per metric */
    double best = INFINITY;
    for (int k = 0; k < 20; k++) {
        double t0 = now(), per[10][PM_COUNT], vals[10], lo, hi;
        for (size_t c = 0; c < 10; c++) {
            size_t a, b;
            perf_chunk_rows(n, 10, c, &a, &b);
            perf_evaluate(&bin, a, b, per[c]);
        }
        for (int m = 0; m < PM_COUNT; m++) {
            for (size_t c = 0; c < 10; c++)
                vals[c] = per[c][m];
            perf_thresholds((enum perf_metric)m, vals, 10, &lo, &hi);
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("binary reference: 10 chunks + thresholds: %.2f ms\n", best * 1e3);
    perf_rows_release(&bin);
    perf_rows_release(&multi);
    perf_rows_release(&reg);
    return 0;
}
