/* perf_evaluate: gathers the complete rows a metric needs, then calls the metric (perf_eval.h). */
#include "stats/perf_eval.h"

#include <math.h>
#include <stdlib.h>

static int eval_classes(const struct perf_rows *r, size_t lo, size_t hi, double *v)
{
    size_t n = hi - lo;
    int *y = malloc((n ? n : 1) * sizeof *y), *yhat = malloc((n ? n : 1) * sizeof *yhat);
    double *s = malloc((n ? n : 1) * sizeof *s);
    int rc = -1;
    if (!y || !yhat || !s)
        goto out;
    size_t m = 0;
    for (size_t i = lo; i < hi; i++) {
        if (r->y[i] < 0 || r->yhat[i] < 0)
            continue;
        y[m] = r->y[i];
        yhat[m++] = r->yhat[i];
    }
    v[PM_ACCURACY] = perf_accuracy(y, yhat, m);
    if (r->task == PERF_MULTICLASS) {
        rc = perf_macro_prf(y, yhat, m, r->nclasses, &v[PM_PRECISION_MACRO], &v[PM_RECALL_MACRO], &v[PM_F1_MACRO]);
        goto out;
    }
    perf_binary_prf(y, yhat, m, &v[PM_PRECISION], &v[PM_RECALL], &v[PM_F1]);
    rc = 0;
    if (!r->score)
        goto out;
    /* the score metrics need target and score, not the prediction */
    m = 0;
    for (size_t i = lo; i < hi; i++) {
        if (r->y[i] < 0 || isnan(r->score[i]))
            continue;
        y[m] = r->y[i];
        s[m++] = r->score[i];
    }
    rc = perf_roc_auc(y, s, m, &v[PM_ROC_AUC]);
    v[PM_LOG_LOSS] = perf_log_loss(y, s, m);
    v[PM_BRIER] = perf_brier(y, s, m);
out:
    free(y);
    free(yhat);
    free(s);
    return rc;
}

static int eval_regression(const struct perf_rows *r, size_t lo, size_t hi, double *v)
{
    size_t n = hi - lo;
    double *y = malloc((n ? n : 1) * sizeof *y), *yhat = malloc((n ? n : 1) * sizeof *yhat);
    if (!y || !yhat) {
        free(y);
        free(yhat);
        return -1;
    }
    size_t m = 0;
    for (size_t i = lo; i < hi; i++) {
        if (isnan(r->ry[i]) || isnan(r->ryhat[i]))
            continue;
        y[m] = r->ry[i];
        yhat[m++] = r->ryhat[i];
    }
    v[PM_MAE] = perf_mae(y, yhat, m);
    v[PM_RMSE] = perf_rmse(y, yhat, m);
    v[PM_MAPE] = perf_mape(y, yhat, m);
    v[PM_R2] = perf_r2(y, yhat, m);
    free(y);
    free(yhat);
    return 0;
}

int perf_evaluate(const struct perf_rows *r, size_t lo, size_t hi, double values[PM_COUNT])
{
    for (int m = 0; m < PM_COUNT; m++)
        values[m] = NAN;
    if (hi > r->n)
        hi = r->n;
    if (lo >= hi)
        return 0;
    return r->task == PERF_REGRESSION ? eval_regression(r, lo, hi, values) : eval_classes(r, lo, hi, values);
}

void perf_rows_release(struct perf_rows *r)
{
    free(r->y);
    free(r->yhat);
    free(r->score);
    free(r->ry);
    free(r->ryhat);
    r->y = r->yhat = NULL;
    r->score = r->ry = r->ryhat = NULL;
}
