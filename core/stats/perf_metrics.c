/* Performance metrics as scikit-learn 1.2 computes them (see perf_metrics.h): sums in numpy's
 * pairwise order (drift_np_sum) and divisions in the order scikit-learn writes them, so results
 * agree with it to the last few bits. */
#include "stats/perf_metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/drift.h"

static const char *const metric_names[PM_COUNT] = {
    [PM_ACCURACY] = "accuracy",
    [PM_PRECISION] = "precision",
    [PM_RECALL] = "recall",
    [PM_F1] = "f1",
    [PM_ROC_AUC] = "roc_auc",
    [PM_LOG_LOSS] = "log_loss",
    [PM_BRIER] = "brier",
    [PM_PRECISION_MACRO] = "precision_macro",
    [PM_RECALL_MACRO] = "recall_macro",
    [PM_F1_MACRO] = "f1_macro",
    [PM_MAE] = "mae",
    [PM_RMSE] = "rmse",
    [PM_MAPE] = "mape",
    [PM_R2] = "r2",
};

static const enum perf_metric binary_metrics[] = {PM_ACCURACY, PM_PRECISION, PM_RECALL, PM_F1,
                                                  PM_ROC_AUC,  PM_LOG_LOSS,  PM_BRIER};
static const enum perf_metric multiclass_metrics[] = {PM_ACCURACY, PM_PRECISION_MACRO, PM_RECALL_MACRO, PM_F1_MACRO};
static const enum perf_metric regression_metrics[] = {PM_MAE, PM_RMSE, PM_MAPE, PM_R2};

const char *perf_task_name(enum perf_task t)
{
    switch (t) {
    case PERF_BINARY: return "binary";
    case PERF_MULTICLASS: return "multiclass";
    case PERF_REGRESSION: return "regression";
    }
    return NULL;
}

enum perf_task perf_task_parse(const char *name)
{
    for (int t = PERF_BINARY; t <= PERF_REGRESSION; t++)
        if (strcmp(name, perf_task_name((enum perf_task)t)) == 0)
            return (enum perf_task)t;
    return 0;
}

size_t perf_task_metrics(enum perf_task t, const enum perf_metric **list)
{
    switch (t) {
    case PERF_BINARY:
        *list = binary_metrics;
        return sizeof binary_metrics / sizeof binary_metrics[0];
    case PERF_MULTICLASS:
        *list = multiclass_metrics;
        return sizeof multiclass_metrics / sizeof multiclass_metrics[0];
    case PERF_REGRESSION:
        *list = regression_metrics;
        return sizeof regression_metrics / sizeof regression_metrics[0];
    }
    *list = NULL;
    return 0;
}

const char *perf_metric_name(enum perf_metric m)
{
    return (unsigned)m < PM_COUNT ? metric_names[m] : NULL;
}

int perf_metric_parse(const char *name)
{
    for (int m = 0; m < PM_COUNT; m++)
        if (strcmp(name, metric_names[m]) == 0)
            return m;
    return -1;
}

void perf_metric_range(enum perf_metric m, double *lo, double *hi)
{
    switch (m) {
    case PM_LOG_LOSS:
    case PM_MAE:
    case PM_RMSE:
    case PM_MAPE:
        *lo = 0;
        *hi = INFINITY;
        return;
    case PM_R2:
        *lo = -INFINITY;
        *hi = 1;
        return;
    default:
        *lo = 0;
        *hi = 1;
        return;
    }
}

int perf_metric_needs_score(enum perf_metric m)
{
    return m == PM_ROC_AUC || m == PM_LOG_LOSS || m == PM_BRIER;
}

double perf_accuracy(const int *y, const int *yhat, size_t n)
{
    if (n == 0)
        return NAN;
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += y[i] == yhat[i];
    /* numpy.average of booleans: an integer count (exact) over n */
    return (double)same / (double)n;
}

/* scikit-learn's _prf_divide with zero_division=0, then F-beta with beta = 1:
 * (1 + 1) * p * r / (p + r), a zero denominator replaced by 1. */
static void prf_from_counts(size_t tp, size_t pred, size_t truth, double *p, double *r, double *f)
{
    *p = pred ? (double)tp / (double)pred : 0.0;
    *r = truth ? (double)tp / (double)truth : 0.0;
    double denom = *p + *r;
    if (denom == 0.0)
        denom = 1;
    *f = 2.0 * *p * *r / denom;
}

void perf_binary_prf(const int *y, const int *yhat, size_t n, double *precision, double *recall, double *f1)
{
    if (n == 0) {
        *precision = *recall = *f1 = NAN;
        return;
    }
    size_t tp = 0, pred = 0, truth = 0;
    for (size_t i = 0; i < n; i++) {
        tp += y[i] == 1 && yhat[i] == 1;
        pred += yhat[i] == 1;
        truth += y[i] == 1;
    }
    prf_from_counts(tp, pred, truth, precision, recall, f1);
}

static double term_value(const void *ctx, size_t i)
{
    return ((const double *)ctx)[i];
}

int perf_macro_prf(const int *y, const int *yhat, size_t n, size_t k, double *precision, double *recall, double *f1)
{
    *precision = *recall = *f1 = NAN;
    if (n == 0)
        return 0;
    /* per class: tp, predicted, true counts; then the per-class scores of the classes present */
    size_t *counts = calloc(3 * (k ? k : 1), sizeof *counts);
    double *scores = malloc(3 * (k ? k : 1) * sizeof *scores);
    if (!counts || !scores) {
        free(counts);
        free(scores);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        counts[3 * (size_t)y[i] + 2]++;
        counts[3 * (size_t)yhat[i] + 1]++;
        if (y[i] == yhat[i])
            counts[3 * (size_t)y[i]]++;
    }
    size_t present = 0;
    double *ps = scores, *rs = scores + k, *fs = scores + 2 * k;
    for (size_t c = 0; c < k; c++) {
        const size_t *cc = &counts[3 * c];
        if (cc[1] == 0 && cc[2] == 0)
            continue; /* not in the union of labels of these rows */
        prf_from_counts(cc[0], cc[1], cc[2], &ps[present], &rs[present], &fs[present]);
        present++;
    }
    /* numpy.average over the classes */
    *precision = drift_np_sum(term_value, ps, present) / (double)present;
    *recall = drift_np_sum(term_value, rs, present) / (double)present;
    *f1 = drift_np_sum(term_value, fs, present) / (double)present;
    free(counts);
    free(scores);
    return 0;
}

int perf_roc_auc(const int *y, const double *s, size_t n, double *out)
{
    *out = NAN;
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += y[i] == 1;
    size_t nneg = n - npos;
    if (npos == 0 || nneg == 0)
        return 0; /* scikit-learn: "Only one class present in y_true" */
    double *pos = malloc(npos * sizeof *pos), *neg = malloc(nneg * sizeof *neg);
    if (!pos || !neg) {
        free(pos);
        free(neg);
        return -1;
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1)
            pos[a++] = s[i];
        else
            neg[b++] = s[i];
    }
    if (drift_sort(pos, npos) < 0 || drift_sort(neg, nneg) < 0) {
        free(pos);
        free(neg);
        return -1;
    }
    /* Mann-Whitney: U = sum over positives of (#negatives below + half the tied negatives), the
     * positives' rank sum less n+(n+ + 1)/2 with tied scores at their mean rank. 2U is an integer
     * (exact in a double up to 2^53), so the only rounding is the final division. The two sorted
     * classes are walked together: j = negatives below the current score, k = not above it. */
    double twice_u = 0;
    size_t j = 0, k = 0;
    for (size_t i = 0; i < npos;) {
        double v = pos[i];
        size_t same = 0;
        while (i < npos && pos[i] == v) {
            same++;
            i++;
        }
        while (j < nneg && neg[j] < v)
            j++;
        if (k < j)
            k = j;
        while (k < nneg && neg[k] <= v)
            k++;
        twice_u += (double)same * (double)(2 * j + (k - j));
    }
    free(pos);
    free(neg);
    *out = twice_u / (2.0 * (double)npos * (double)nneg);
    return 0;
}

struct scored_rows {
    const int *y;
    const double *s;
};

static double term_log_loss(const void *ctx, size_t i)
{
    const struct scored_rows *r = ctx;
    /* np.clip(s, eps, 1 - eps); the two columns [1 - p, p] renormalised by their sum; -log of the
     * true class's column (xlogy(0, .) = 0 for the other) */
    double p = fmin(fmax(r->s[i], DBL_EPSILON), 1 - DBL_EPSILON);
    double q0 = 1 - p, sum = q0 + p;
    return -log((r->y[i] == 1 ? p : q0) / sum);
}

double perf_log_loss(const int *y, const double *s, size_t n)
{
    if (n == 0)
        return NAN;
    struct scored_rows r = {y, s};
    return drift_np_sum(term_log_loss, &r, n) / (double)n;
}

static double term_brier(const void *ctx, size_t i)
{
    const struct scored_rows *r = ctx;
    double d = (double)(r->y[i] == 1) - r->s[i];
    return d * d;
}

double perf_brier(const int *y, const double *s, size_t n)
{
    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 0 && s[i] <= 1))
            return NAN; /* "y_prob contains values greater than 1." / "less than 0." */
    struct scored_rows r = {y, s};
    return drift_np_sum(term_brier, &r, n) / (double)n;
}

struct pairs {
    const double *y, *yhat;
    double mean; /* of y, for r2's denominator */
};

static double term_abs(const void *ctx, size_t i)
{
    const struct pairs *p = ctx;
    return fabs(p->yhat[i] - p->y[i]);
}

static double term_square(const void *ctx, size_t i)
{
    const struct pairs *p = ctx;
    double d = p->y[i] - p->yhat[i];
    return d * d;
}

static double term_ape(const void *ctx, size_t i)
{
    const struct pairs *p = ctx;
    return fabs(p->yhat[i] - p->y[i]) / fmax(fabs(p->y[i]), DBL_EPSILON);
}

static double term_centred_square(const void *ctx, size_t i)
{
    const struct pairs *p = ctx;
    double d = p->y[i] - p->mean;
    return d * d;
}

double perf_mae(const double *y, const double *yhat, size_t n)
{
    struct pairs p = {y, yhat, 0};
    return n ? drift_np_sum(term_abs, &p, n) / (double)n : NAN;
}

double perf_rmse(const double *y, const double *yhat, size_t n)
{
    struct pairs p = {y, yhat, 0};
    return n ? sqrt(drift_np_sum(term_square, &p, n) / (double)n) : NAN;
}

double perf_mape(const double *y, const double *yhat, size_t n)
{
    struct pairs p = {y, yhat, 0};
    return n ? drift_np_sum(term_ape, &p, n) / (double)n : NAN;
}

double perf_r2(const double *y, const double *yhat, size_t n)
{
    if (n < 2)
        return NAN; /* "R^2 score is not well-defined with less than two samples." */
    struct pairs p = {y, yhat, 0};
    p.mean = drift_np_sum(term_value, y, n) / (double)n;
    double num = drift_np_sum(term_square, &p, n);
    double den = drift_np_sum(term_centred_square, &p, n);
    /* _assemble_r2_explained_variance with force_finite=True */
    if (num == 0)
        return 1.0;
    if (den == 0)
        return 0.0;
    return 1 - num / den;
}
