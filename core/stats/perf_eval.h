/* A task's metrics over rows of (target, prediction[, score]): the rows a metric needs are those
 * with its inputs present (a missing target, prediction or score leaves a row out of the metrics
 * that need it), and ranges of rows give the reference chunks. */
#ifndef DW_DRIFT_PERF_EVAL_H
#define DW_DRIFT_PERF_EVAL_H

#include <stddef.h>

#include "stats/perf_metrics.h"

struct perf_rows {
    enum perf_task task;
    size_t n;
    /* binary and multiclass: class ids, -1 missing (binary: 1 = the positive class, 0 any other;
     * multiclass: 0..nclasses-1 in sorted label order) */
    int *y, *yhat;
    size_t nclasses;
    double *score; /* binary, may be NULL: the positive class's probability, NAN missing */
    double *ry, *ryhat; /* regression: true and predicted values, NAN missing */
};

/* values[m] for every metric m of the task over rows [lo, hi) (NAN: undefined, or a metric of
 * another task or that needs the absent score). Returns 0 or -1 when out of memory. */
int perf_evaluate(const struct perf_rows *r, size_t lo, size_t hi, double values[PM_COUNT]);

/* Frees the arrays of r (not r). */
void perf_rows_release(struct perf_rows *r);

#endif
