/* CBPE over a table's rows (see perf_estimate.h): the rows with a score become the score and
 * predicted-label arrays cbpe_estimate reads; thresholds as the realized metrics' (perf_chunks). */
#include "analyze/perf_estimate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats/perf_chunks.h"

static const enum perf_metric as_realized[CBPE_COUNT] = {
    [CBPE_ACCURACY] = PM_ACCURACY, [CBPE_PRECISION] = PM_PRECISION, [CBPE_RECALL] = PM_RECALL, [CBPE_F1] = PM_F1};

enum perf_metric perf_estimate_metric(int cbpe_metric)
{
    return as_realized[cbpe_metric];
}

/* The estimate of rows [lo, hi) of r that have a score; scratch holds hi - lo scores and labels. */
static int estimate_rows(const struct isotonic_curve *cal, const struct perf_rows *r, size_t lo, size_t hi,
                         double *score, unsigned char *predicted, struct cbpe_estimate *est, size_t *rows)
{
    size_t n = 0;
    for (size_t i = lo; i < hi; i++) {
        if (!isfinite(r->score[i]))
            continue;
        score[n] = r->score[i];
        predicted[n] = r->yhat[i] >= 0 ? r->yhat[i] == 1 : r->score[i] >= 0.5;
        n++;
    }
    *rows = n;
    return cbpe_estimate(cal, score, predicted, n, est);
}

static int fit_calibration(struct quality_profile *q, const struct perf_rows *r, char *err, size_t errlen)
{
    double *score = malloc((r->n ? r->n : 1) * 2 * sizeof *score);
    if (!score) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double *target = score + r->n;
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!isfinite(r->score[i]) || r->y[i] < 0)
            continue;
        score[n] = r->score[i];
        target[n++] = r->y[i];
    }
    int rc = 0;
    if (n == 0) {
        snprintf(err, errlen, "--score %s: no row has both a score and a target value to calibrate on", q->score);
        rc = -1;
    } else {
        rc = isotonic_curve_fit(&q->calibration, score, target, n, err, errlen);
    }
    free(score);
    return rc;
}

int perf_estimate_reference(struct quality_profile *q, const struct perf_rows *r, char *err, size_t errlen)
{
    if (q->task != PERF_BINARY || !r->score)
        return 0;
    if (fit_calibration(q, r, err, errlen) < 0)
        return -1;
    double *score = malloc((r->n ? r->n : 1) * sizeof *score);
    unsigned char *predicted = malloc(r->n ? r->n : 1);
    int rc = -1;
    for (int m = 0; m < CBPE_COUNT && score && predicted; m++) {
        free(q->estimated_chunks[m]);
        if (!(q->estimated_chunks[m] = malloc((q->nchunks ? q->nchunks : 1) * sizeof *q->estimated_chunks[m])))
            goto out;
    }
    if (!score || !predicted)
        goto out;
    for (size_t k = 0; k < q->nchunks; k++) {
        size_t lo, hi, rows;
        struct cbpe_estimate est;
        perf_chunk_rows(r->n, q->nchunks, k, &lo, &hi);
        if (estimate_rows(&q->calibration, r, lo, hi, score, predicted, &est, &rows) < 0)
            goto out;
        for (int m = 0; m < CBPE_COUNT; m++)
            q->estimated_chunks[m][k] = est.value[m];
    }
    for (int m = 0; m < CBPE_COUNT; m++)
        if (perf_thresholds(perf_estimate_metric(m), q->estimated_chunks[m], q->nchunks, &q->estimated_lower[m],
                            &q->estimated_upper[m]) < 0)
            goto out;
    rc = 0;
out:
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    free(score);
    free(predicted);
    return rc;
}

int perf_estimate_window(const struct quality_profile *q, const struct perf_rows *r,
                         struct perf_metric_report est[CBPE_COUNT], size_t *rows)
{
    *rows = 0;
    if (!q->calibration.n || !r->score)
        return 0;
    double *score = malloc((r->n ? r->n : 1) * sizeof *score);
    unsigned char *predicted = malloc(r->n ? r->n : 1);
    struct cbpe_estimate e;
    int rc = -1;
    if (score && predicted && estimate_rows(&q->calibration, r, 0, r->n, score, predicted, &e, rows) == 0) {
        for (int m = 0; m < CBPE_COUNT; m++) {
            est[m].value = e.value[m];
            est[m].lower = q->estimated_lower[m];
            est[m].upper = q->estimated_upper[m];
            est[m].side = perf_band_side(est[m].value, est[m].lower, est[m].upper);
        }
        rc = 0;
    }
    free(score);
    free(predicted);
    return rc;
}
