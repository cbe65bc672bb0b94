/* Model performance metrics of docs/statistics.md ("Model quality"), each computed as scikit-learn
 * 1.2 computes it on the same arrays. Pure functions over arrays; NAN where scikit-learn raises or
 * the metric is undefined (the JSON null of the outputs). */
#ifndef DW_DRIFT_PERF_METRICS_H
#define DW_DRIFT_PERF_METRICS_H

#include <stddef.h>

enum perf_task { PERF_BINARY = 1, PERF_MULTICLASS = 2, PERF_REGRESSION = 3 };

/* Every metric of every task; a task uses the subset perf_task_metrics lists. */
enum perf_metric {
    PM_ACCURACY,
    PM_PRECISION,
    PM_RECALL,
    PM_F1,
    PM_ROC_AUC,
    PM_LOG_LOSS,
    PM_BRIER,
    PM_PRECISION_MACRO,
    PM_RECALL_MACRO,
    PM_F1_MACRO,
    PM_MAE,
    PM_RMSE,
    PM_MAPE,
    PM_R2,
    PM_COUNT
};

/* "binary" | "multiclass" | "regression"; NULL for another value. */
const char *perf_task_name(enum perf_task t);
/* The task called name, or 0. */
enum perf_task perf_task_parse(const char *name);
/* The metrics of task t in output order; returns how many (pointer into a static table). */
size_t perf_task_metrics(enum perf_task t, const enum perf_metric **list);
/* The JSON key of a metric ("accuracy", "precision_macro", "r2", ...). */
const char *perf_metric_name(enum perf_metric m);
/* The metric called name, or -1. */
int perf_metric_parse(const char *name);
/* The values a metric can take (thresholds are clipped to it): e.g. [0, 1], [0, +inf), (-inf, 1]. */
void perf_metric_range(enum perf_metric m, double *lo, double *hi);
/* 1 for metrics that need the score column (roc_auc, log_loss, brier). */
int perf_metric_needs_score(enum perf_metric m);

/* accuracy_score(y, yhat): share of equal labels; NAN when n == 0. */
double perf_accuracy(const int *y, const int *yhat, size_t n);

/* precision_score / recall_score / f1_score(y, yhat, zero_division=0) of the class 1 against the
 * rest (y, yhat in {0, 1}); NAN when n == 0. */
void perf_binary_prf(const int *y, const int *yhat, size_t n, double *precision, double *recall, double *f1);

/* average='macro' precision, recall and f1 (zero_division=0) over the classes 0..k-1 that occur in
 * y or yhat (labels = their sorted union: class ids are assigned in label order); NAN when n == 0.
 * Returns 0 or -1 when out of memory. */
int perf_macro_prf(const int *y, const int *yhat, size_t n, size_t k, double *precision, double *recall,
                   double *f1);

/* roc_auc_score(y, s) by the Mann-Whitney rank formula (tied scores get their average rank), equal
 * to scikit-learn's trapezoid over the ROC curve; NAN when one class is absent. Returns 0 or -1
 * when out of memory. */
int perf_roc_auc(const int *y, const double *s, size_t n, double *out);

/* log_loss(y, s, labels=[0, 1]) with scores clipped to [eps, 1 - eps], eps = 2^-52; NAN when n == 0. */
double perf_log_loss(const int *y, const double *s, size_t n);

/* brier_score_loss(y, s); NAN when n == 0 or a score lies outside [0, 1] (scikit-learn raises). */
double perf_brier(const int *y, const double *s, size_t n);

/* Regression over y (true) and yhat (predicted), n pairs; NAN when n == 0. mape as
 * mean_absolute_percentage_error: |y - yhat| / max(|y|, 2^-52). r2 as r2_score: NAN when n < 2; a
 * constant y gives 1 when every prediction is exact, else 0 (force_finite). */
double perf_mae(const double *y, const double *yhat, size_t n);
double perf_rmse(const double *y, const double *yhat, size_t n);
double perf_mape(const double *y, const double *yhat, size_t n);
double perf_r2(const double *y, const double *yhat, size_t n);

#endif
