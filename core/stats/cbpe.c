/* CBPE: confusion-matrix counts expected under the calibrated scores, summed as numpy.sum does
 * (so the estimate equals the definition computed with numpy and sklearn to the last bit). */
#include "stats/cbpe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/drift.h"

static const char *const metric_names[CBPE_COUNT] = {"accuracy", "precision", "recall", "f1"};

const char *cbpe_metric_name(int metric)
{
    return metric >= 0 && metric < CBPE_COUNT ? metric_names[metric] : NULL;
}

int cbpe_metric_parse(const char *name)
{
    for (int m = 0; m < CBPE_COUNT; m++)
        if (strcmp(name, metric_names[m]) == 0)
            return m;
    return -1;
}

/* The calibrated scores and 0/1 predicted labels the four sums run over. */
struct terms {
    const double *c;
    const double *yhat;
};

static double term_tp(const void *ctx, size_t i)
{
    const struct terms *t = ctx;
    return t->c[i] * t->yhat[i];
}

static double term_fp(const void *ctx, size_t i)
{
    const struct terms *t = ctx;
    return (1.0 - t->c[i]) * t->yhat[i];
}

static double term_fn(const void *ctx, size_t i)
{
    const struct terms *t = ctx;
    return t->c[i] * (1.0 - t->yhat[i]);
}

static double term_tn(const void *ctx, size_t i)
{
    const struct terms *t = ctx;
    return (1.0 - t->c[i]) * (1.0 - t->yhat[i]);
}

static double ratio(double num, double den)
{
    return den == 0.0 ? NAN : num / den;
}

int cbpe_estimate(const struct isotonic_curve *calibration, const double *score,
                  const unsigned char *predicted, size_t n, struct cbpe_estimate *out)
{
    *out = (struct cbpe_estimate){NAN, NAN, NAN, NAN, {NAN, NAN, NAN, NAN}};
    if (calibration->n == 0)
        return -1;
    double *c = malloc((n ? n : 1) * 2 * sizeof *c);
    if (!c)
        return -1;
    double *yhat = c + n;
    for (size_t i = 0; i < n; i++) {
        c[i] = isotonic_curve_predict(calibration, score[i]);
        yhat[i] = (predicted ? predicted[i] != 0 : score[i] >= 0.5) ? 1.0 : 0.0;
    }
    struct terms t = {c, yhat};
    out->tp = drift_np_sum(term_tp, &t, n);
    out->fp = drift_np_sum(term_fp, &t, n);
    out->fn = drift_np_sum(term_fn, &t, n);
    out->tn = drift_np_sum(term_tn, &t, n);
    free(c);
    out->value[CBPE_ACCURACY] = ratio(out->tp + out->tn, (double)n);
    out->value[CBPE_PRECISION] = ratio(out->tp, out->tp + out->fp);
    out->value[CBPE_RECALL] = ratio(out->tp, out->tp + out->fn);
    out->value[CBPE_F1] = ratio(2.0 * out->tp, 2.0 * out->tp + out->fp + out->fn);
    return 0;
}
