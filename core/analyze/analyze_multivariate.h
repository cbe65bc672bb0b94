/* The multivariate step of analyze_window (docs/statistics.md): runs pca_reconstruction and mmd on the
 * profile's row sample and the window's rows. Internal to core/drift; it knows the profile and
 * the window, not the verdict it is part of, so analyze.h includes it and not the other way. */
#ifndef DW_DRIFT_ANALYZE_MULTIVARIATE_H
#define DW_DRIFT_ANALYZE_MULTIVARIATE_H

#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/profile.h"

struct pca_reference;

/* Multivariate methods, as bits of analyze_options.multivariate. */
enum { MV_PCA_RECONSTRUCTION = 1u << 0, MV_MMD = 1u << 1 };
#define MV_DEFAULT MV_PCA_RECONSTRUCTION

/* A multivariate method's outcome. ran = 0: not asked for (absent from the JSON); asked for but
 * unable to run (note says why: a version 1 profile without rows, too few rows): drift 0 and
 * the numbers NAN. */
struct mv_pca_verdict {
    int ran, ok, drift;
    double value, lower, upper; /* window's mean reconstruction error and the reference band */
    size_t components;
    const char *note;
};

struct mv_mmd_verdict {
    int ran, ok, drift;
    double statistic, p_value, sigma2, threshold; /* drift when p_value < threshold (0.05) */
    const char *note;
};

/* Fills *pca and *mmd for the methods in `methods` (MV_* bits); seed drives mmd's permutations;
 * ref (NULL: fit at this call) keeps p's PCA fit for later calls with the same profile.
 * A method that cannot run (a profile without rows, a window whose rows cannot be lined up, too
 * few rows) says why in its note and does not drift. Returns 1 when either drifted, 0 when
 * neither did, -1 out of memory. */
int analyze_multivariate(const struct profile *p, const struct columns *w, unsigned methods, uint64_t seed,
                         struct pca_reference *ref, struct mv_pca_verdict *pca, struct mv_mmd_verdict *mmd);

#endif
