/* Isotonic calibration of a binary model's scores (docs/statistics.md): the fit and the prediction
 * of scikit-learn 1.2's IsotonicRegression(out_of_bounds='clip', y_min=0, y_max=1), kept as the
 * curve's fitted points so a profile can store it and a check can apply it. */
#ifndef DW_DRIFT_ISOTONIC_H
#define DW_DRIFT_ISOTONIC_H

#include <stddef.h>

/* The fitted points: x strictly increasing, y non-decreasing within [0, 1] (sklearn's
 * X_thresholds_ and y_thresholds_). Zero-initialise before use; isotonic_curve_clear frees. */
struct isotonic_curve {
    size_t n;
    double *x;
    double *y;
};

/* Fits target on score over n >= 1 pairs (both finite): sort by (score, target), average the
 * targets of scores less than 1e-15 apart (numpy's float64 resolution, as sklearn merges them),
 * pool adjacent violators, clip to [0, 1], and drop interior points whose y equals both
 * neighbours'. Replaces what *curve held. Returns 0, or -1 with a message in err (no pairs, a
 * non-finite value, out of memory); curve is then empty. */
int isotonic_curve_fit(struct isotonic_curve *curve, const double *score, const double *target,
                       size_t n, char *err, size_t errlen);

/* The calibrated value of s: s clipped to [x[0], x[n-1]], then linear interpolation between the
 * two fitted points around it (numpy.interp's arithmetic, as sklearn's scipy interp1d uses);
 * y[0] when the curve has a single point. NAN when s is NaN or the curve is empty. */
double isotonic_curve_predict(const struct isotonic_curve *curve, double s);

/* Takes ownership of x and y (malloc'd, n values each) after checking them: n >= 1, all finite,
 * x strictly increasing, y non-decreasing within [0, 1]. On -1 (message in err naming the index)
 * frees neither and leaves curve unchanged; on 0 frees what curve held before. For curves read
 * back from a profile. */
int isotonic_curve_adopt(struct isotonic_curve *curve, double *x, double *y, size_t n, char *err,
                         size_t errlen);

/* Frees the points; the curve is then empty. NULL is allowed. */
void isotonic_curve_clear(struct isotonic_curve *curve);

#endif
