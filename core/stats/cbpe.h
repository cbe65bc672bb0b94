/* Label-free performance estimate of a binary classifier (CBPE, docs/statistics.md): expected
 * confusion-matrix counts from calibrated scores, and the accuracy, precision, recall and f1 they
 * imply. */
#ifndef DW_DRIFT_CBPE_H
#define DW_DRIFT_CBPE_H

#include <stddef.h>

#include "stats/isotonic.h"

/* The metrics in the order of their names; CBPE_COUNT of them. */
enum cbpe_metric { CBPE_ACCURACY, CBPE_PRECISION, CBPE_RECALL, CBPE_F1, CBPE_COUNT };

/* "accuracy", "precision", "recall", "f1" (the JSON keys and the metric label); NULL for an invalid id. */
const char *cbpe_metric_name(int metric);
/* The id of a name, or -1. */
int cbpe_metric_parse(const char *name);

/* Expected counts and the metrics (NAN where a denominator is 0, or for every metric when n == 0). */
struct cbpe_estimate {
    double tp, fp, fn, tn;
    double value[CBPE_COUNT];
};

/* For n scores with c_i = isotonic_curve_predict(calibration, score_i) and predicted labels
 * yhat_i (predicted[i] != 0, or score_i >= 0.5 when predicted is NULL): TP = sum c*yhat,
 * FP = sum (1-c)*yhat, FN = sum c*(1-yhat), TN = sum (1-c)*(1-yhat), each summed in numpy's
 * pairwise order; accuracy = (TP+TN)/n, precision = TP/(TP+FP), recall = TP/(TP+FN),
 * f1 = 2TP/(2TP+FP+FN). Scores must be finite. Returns 0, or -1 when memory runs out or the
 * calibration is empty (out then holds NANs). */
int cbpe_estimate(const struct isotonic_curve *calibration, const double *score,
                  const unsigned char *predicted, size_t n, struct cbpe_estimate *out);

#endif
