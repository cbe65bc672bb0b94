/* Isotonic calibration, step for step as scikit-learn 1.2.1 computes it (isotonic.py _build_y,
 * _isotonic.pyx _make_unique and _inplace_contiguous_isotonic_regression, numpy.interp), so the
 * fitted points and the predictions round exactly as sklearn's do. */
#include "stats/isotonic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* numpy.finfo(float64).resolution: sklearn's _make_unique treats scores closer than this to the
 * first score of a run as the same score. */
#define SAME_SCORE_BELOW 1e-15

struct pair {
    double score;
    double target;
    size_t index;
};

/* numpy.lexsort((target, score)) order; the index makes qsort as stable as lexsort. */
static int pair_cmp(const void *a, const void *b)
{
    const struct pair *p = a, *q = b;
    if (p->score != q->score)
        return p->score < q->score ? -1 : 1;
    if (p->target != q->target)
        return p->target < q->target ? -1 : 1;
    return (p->index > q->index) - (p->index < q->index);
}

/* _make_unique: one point per run of equal scores, its target the mean of the run's; returns
 * the number of points written to x, y and weight. */
static size_t merge_equal_scores(const struct pair *pairs, size_t n, double *x, double *y,
                                 double *weight)
{
    size_t out = 0;
    double current_x = pairs[0].score, sum_y = 0.0, sum_w = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (pairs[j].score - current_x >= SAME_SCORE_BELOW) {
            x[out] = current_x;
            weight[out] = sum_w;
            y[out] = sum_y / sum_w;
            out++;
            current_x = pairs[j].score;
            sum_w = 1.0;
            sum_y = pairs[j].target;
        } else {
            sum_w += 1.0;
            sum_y += pairs[j].target;
        }
    }
    x[out] = current_x;
    weight[out] = sum_w;
    y[out] = sum_y / sum_w;
    return out + 1;
}

/* _inplace_contiguous_isotonic_regression: pool adjacent violators, searching each time for the
 * longest non-increasing run to pool, and backtracking one block so one pass suffices. block[i]
 * holds the last index of the block starting at i and block[last] its first. */
static void pool_adjacent_violators(double *y, double *w, size_t *block, size_t n)
{
    for (size_t i = 0; i < n; i++)
        block[i] = i;
    size_t i = 0;
    while (i < n) {
        size_t k = block[i] + 1;
        if (k == n)
            break;
        if (y[i] < y[k]) {
            i = k;
            continue;
        }
        double sum_wy = w[i] * y[i], sum_w = w[i];
        for (;;) {
            double prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = block[k] + 1;
            if (k == n || prev_y < y[k]) {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                block[i] = k - 1;
                block[k - 1] = i;
                if (i > 0)
                    i = block[i - 1];
                break;
            }
        }
    }
    for (i = 0; i < n;) {
        size_t k = block[i] + 1;
        for (size_t j = i + 1; j < k; j++)
            y[j] = y[i];
        i = k;
    }
}

/* keep_data in _build_y: the first and last points, and those whose y differs from a neighbour's. */
static size_t drop_flat_points(double *x, double *y, size_t n)
{
    if (n <= 2)
        return n;
    size_t out = 1;
    double prev_y = y[0];
    for (size_t i = 1; i + 1 < n; i++) {
        int keep = y[i] != prev_y || y[i] != y[i + 1];
        prev_y = y[i];
        if (keep) {
            x[out] = x[i];
            y[out] = y[i];
            out++;
        }
    }
    x[out] = x[n - 1];
    y[out] = y[n - 1];
    return out + 1;
}

int isotonic_curve_fit(struct isotonic_curve *curve, const double *score, const double *target,
                       size_t n, char *err, size_t errlen)
{
    isotonic_curve_clear(curve);
    if (n == 0) {
        snprintf(err, errlen, "isotonic calibration: no (score, target) pairs");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i]) || !isfinite(target[i])) {
            snprintf(err, errlen, "isotonic calibration: pair %zu is not finite (score %g, target %g)",
                     i, score[i], target[i]);
            return -1;
        }
    }
    int rc = -1;
    struct pair *pairs = malloc(n * sizeof *pairs);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    size_t *block = malloc(n * sizeof *block);
    if (!pairs || !x || !y || !w || !block) {
        snprintf(err, errlen, "isotonic calibration: out of memory for %zu pairs", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        pairs[i] = (struct pair){score[i], target[i], i};
    qsort(pairs, n, sizeof *pairs, pair_cmp);
    size_t m = merge_equal_scores(pairs, n, x, y, w);
    pool_adjacent_violators(y, w, block, m);
    for (size_t i = 0; i < m; i++) /* np.clip(y, y_min=0, y_max=1) */
        y[i] = y[i] < 0.0 ? 0.0 : (y[i] > 1.0 ? 1.0 : y[i]);
    curve->n = drop_flat_points(x, y, m);
    curve->x = x;
    curve->y = y;
    x = y = NULL;
    rc = 0;
out:
    free(pairs);
    free(x);
    free(y);
    free(w);
    free(block);
    return rc;
}

double isotonic_curve_predict(const struct isotonic_curve *curve, double s)
{
    if (curve->n == 0 || isnan(s))
        return NAN;
    const double *x = curve->x, *y = curve->y;
    size_t last = curve->n - 1;
    if (s <= x[0])
        return y[0];
    if (s >= x[last])
        return y[last];
    /* x[lo] < s < x[lo + 1] after the search (s equal to an x returns its y, as numpy.interp) */
    size_t lo = 0, hi = last;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    if (x[lo] == s)
        return y[lo];
    double slope = (y[lo + 1] - y[lo]) / (x[lo + 1] - x[lo]);
    return slope * (s - x[lo]) + y[lo];
}

int isotonic_curve_adopt(struct isotonic_curve *curve, double *x, double *y, size_t n, char *err,
                         size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "calibration: no points");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || y[i] < 0.0 || y[i] > 1.0) {
            snprintf(err, errlen, "calibration: point %zu (%g, %g) is not finite with y in [0, 1]",
                     i, x[i], y[i]);
            return -1;
        }
        if (i > 0 && (x[i] <= x[i - 1] || y[i] < y[i - 1])) {
            snprintf(err, errlen,
                     "calibration: point %zu (%g, %g) does not follow (%g, %g): x must increase "
                     "and y must not decrease", i, x[i], y[i], x[i - 1], y[i - 1]);
            return -1;
        }
    }
    isotonic_curve_clear(curve);
    curve->n = n;
    curve->x = x;
    curve->y = y;
    return 0;
}

void isotonic_curve_clear(struct isotonic_curve *curve)
{
    if (!curve)
        return;
    free(curve->x);
    free(curve->y);
    curve->x = curve->y = NULL;
    curve->n = 0;
}
