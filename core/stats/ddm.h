/* DDM, the drift detection method of Gama et al. (2004), over a classifier's stream of errors
 * (prediction != target) in arrival order; the exact recurrence is in docs/statistics.md. */
#ifndef DW_DRIFT_DDM_H
#define DW_DRIFT_DDM_H

#include <stdint.h>

#include "stats/detector.h"

/* Pairs seen before the minimum is tracked and the tests apply (they apply from pair 31 on). */
#define DDM_WARM_START 30
#define DDM_WARNING_LEVEL 2.0 /* warning when p + s >= p_min + 2 s_min */
#define DDM_DRIFT_LEVEL 3.0   /* drift when p + s >= p_min + 3 s_min */

struct ddm {
    uint64_t n;    /* pairs since the last reset */
    double p;      /* their error rate */
    double p_min;  /* p and s where p + s was smallest (after the warm start) */
    double s_min;
    double ps_min; /* p_min + s_min */
};

/* Starts (or restarts) the detector with no pairs seen. */
void ddm_reset(struct ddm *d);

/* Adds one pair (error: nonzero when the prediction was wrong). On DETECTOR_DRIFT the detector
 * has reset itself. */
enum detector_signal ddm_update(struct ddm *d, int error);

#endif
