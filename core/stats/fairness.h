/* Bias across groups (docs/statistics.md, the AIF360/TrustyAI definitions): statistical parity
 * difference, disparate impact ratio, equal opportunity and average odds differences between the
 * unprivileged and privileged rows of a protected attribute. Pure computation over flags. */
#ifndef DW_DRIFT_FAIRNESS_H
#define DW_DRIFT_FAIRNESS_H

#include <stddef.h>

#define FAIRNESS_MAX_SPD 0.1  /* alert when |spd| is above */
#define FAIRNESS_DIR_LOW 0.8  /* ... or dir outside [low, high] */
#define FAIRNESS_DIR_HIGH 1.2

/* The metrics of one attribute (NAN: null). */
struct fairness_values {
    double spd, dir, eod, aod;
    int alert; /* |spd| > 0.1 or dir outside [0.8, 1.2] */
};

/* Over n rows: group[i] 1 privileged, 0 unprivileged, -1 attribute missing (row left out);
 * outcome[i] 1 when the outcome (prediction, or the target at baseline) is the favorable value,
 * 0 not, -1 missing; truth NULL, or the same for the target (eod and aod need it; NAN without).
 * spd = P(fav | u) - P(fav | p); dir = P(fav | u) / P(fav | p), NAN when P(fav | p) = 0;
 * eod = TPR_u - TPR_p; aod = ((FPR_u - FPR_p) + (TPR_u - TPR_p)) / 2, with y = [target = favorable].
 * A rate over an empty set is undefined, and so is every metric that uses it. */
void fairness_compute(const signed char *group, const signed char *outcome, const signed char *truth, size_t n,
                      struct fairness_values *out);

#endif
