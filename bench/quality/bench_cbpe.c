/* Times the model-quality statistics of docs/statistics.md on generated data and prints figures
 * (asserts nothing): the isotonic calibration fit on N reference scores, the CBPE estimate of a
 * window of N scores (the best of 20 runs each), and DDM and Page-Hinkley updates per second.
 *   bench_cbpe [N] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/prng.h"
#include "stats/cbpe.h"
#include "stats/ddm.h"
#include "stats/isotonic.h"
#include "stats/page_hinkley.h"

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

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    if (n == 0)
        n = 100000;
    struct prng g;
    prng_seed(&g, 42, 0);
    double *score = malloc(n * sizeof *score), *target = malloc(n * sizeof *target);
    double *window = malloc(n * sizeof *window);
    if (!score || !target || !window)
        return 1;
    /* scores with ties at 4 decimals, targets drawn with probability = score (a calibrated model) */
    for (size_t i = 0; i < n; i++) {
        score[i] = (double)(long)(uniform(&g) * 10000) / 10000;
        target[i] = uniform(&g) < score[i];
        window[i] = uniform(&g);
    }
    struct isotonic_curve curve = {0};
    char err[256];
    double best_fit = 1e9, best_est = 1e9;
    struct cbpe_estimate est;
    for (int r = 0; r < 20; r++) {
        double t0 = now();
        if (isotonic_curve_fit(&curve, score, target, n, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t1 = now();
        if (cbpe_estimate(&curve, window, NULL, n, &est) != 0)
            return 1;
        double t2 = now();
        best_fit = t1 - t0 < best_fit ? t1 - t0 : best_fit;
        best_est = t2 - t1 < best_est ? t2 - t1 : best_est;
    }
    printf("isotonic fit, %zu scores: %.2f ms (%zu points)\n", n, best_fit * 1e3, curve.n);
    printf("cbpe estimate, %zu scores: %.2f ms (accuracy %.4f)\n", n, best_est * 1e3,
           est.value[CBPE_ACCURACY]);

    size_t pairs = 10 * n;
    struct ddm ddm;
    ddm_reset(&ddm);
    struct page_hinkley ph;
    page_hinkley_init(&ph, PAGE_HINKLEY_DEFAULTS);
    size_t drifts = 0;
    double t0 = now();
    for (size_t i = 0; i < pairs; i++)
        drifts += ddm_update(&ddm, uniform(&g) < 0.2) == DETECTOR_DRIFT;
    double t1 = now();
    for (size_t i = 0; i < pairs; i++)
        drifts += page_hinkley_update(&ph, 0.2 * uniform(&g)) == DETECTOR_DRIFT;
    double t2 = now();
    printf("ddm: %.1f M pairs/s; page_hinkley: %.1f M pairs/s (%zu drifts in %zu pairs each)\n",
           pairs / (t1 - t0) / 1e6, pairs / (t2 - t1) / 1e6, drifts, pairs);
    isotonic_curve_clear(&curve);
    free(score);
    free(target);
    free(window);
    return 0;
}
