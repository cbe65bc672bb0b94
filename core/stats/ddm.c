/* DDM (Gama, Medas, Castillo, Rodrigues: "Learning with Drift Detection", SBIA 2004), with the
 * running mean and minimum tracking of river's drift.binary.DDM. */
#include "stats/ddm.h"

#include <math.h>

void ddm_reset(struct ddm *d)
{
    *d = (struct ddm){0, 0.0, INFINITY, INFINITY, INFINITY};
}

enum detector_signal ddm_update(struct ddm *d, int error)
{
    d->n++;
    d->p += ((error ? 1.0 : 0.0) - d->p) / (double)d->n;
    double s = sqrt(d->p * (1.0 - d->p) / (double)d->n);
    double ps = d->p + s;
    if (d->n <= DDM_WARM_START)
        return DETECTOR_NONE;
    if (ps <= d->ps_min) {
        d->p_min = d->p;
        d->s_min = s;
        d->ps_min = ps;
    }
    /* Only a level above the minimum counts: with s_min == 0 (no error, or only errors, so far)
     * the paper's ">=" would otherwise hold at the minimum itself, on every pair. */
    if (ps <= d->ps_min)
        return DETECTOR_NONE;
    if (ps >= d->p_min + DDM_DRIFT_LEVEL * d->s_min) {
        ddm_reset(d);
        return DETECTOR_DRIFT;
    }
    if (ps >= d->p_min + DDM_WARNING_LEVEL * d->s_min)
        return DETECTOR_WARNING;
    return DETECTOR_NONE;
}
