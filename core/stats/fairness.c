/* fairness_compute: group rates from counts (see fairness.h). */
#include "stats/fairness.h"

#include <math.h>

static double rate(size_t hits, size_t of)
{
    return of ? (double)hits / (double)of : NAN;
}

void fairness_compute(const signed char *group, const signed char *outcome, const signed char *truth, size_t n,
                      struct fairness_values *out)
{
    /* per group g (0 unprivileged, 1 privileged): rows and favorable outcomes; with labels,
     * outcomes among truly favorable rows (TPR) and among the others (FPR) */
    size_t rows[2] = {0, 0}, fav[2] = {0, 0}, pos[2] = {0, 0}, tp[2] = {0, 0}, neg[2] = {0, 0}, fp[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        int g = group[i];
        if (g < 0 || outcome[i] < 0)
            continue;
        rows[g]++;
        fav[g] += (size_t)outcome[i];
        if (!truth || truth[i] < 0)
            continue;
        if (truth[i]) {
            pos[g]++;
            tp[g] += (size_t)outcome[i];
        } else {
            neg[g]++;
            fp[g] += (size_t)outcome[i];
        }
    }
    double pu = rate(fav[0], rows[0]), pp = rate(fav[1], rows[1]);
    out->spd = pu - pp;
    out->dir = pp == 0 ? NAN : pu / pp;
    double tpr_diff = rate(tp[0], pos[0]) - rate(tp[1], pos[1]);
    double fpr_diff = rate(fp[0], neg[0]) - rate(fp[1], neg[1]);
    out->eod = truth ? tpr_diff : NAN;
    out->aod = truth ? (fpr_diff + tpr_diff) / 2 : NAN;
    out->alert = (!isnan(out->spd) && fabs(out->spd) > FAIRNESS_MAX_SPD) ||
                 (!isnan(out->dir) && (out->dir < FAIRNESS_DIR_LOW || out->dir > FAIRNESS_DIR_HIGH));
}
