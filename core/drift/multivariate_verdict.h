/* The multivariate part of a verdict (DESIGN.md §9): analyze_window's step that runs
 * pca_reconstruction and mmd on the profile's row sample and the window's rows. Internal to
 * core/drift. */
#ifndef DW_DRIFT_MULTIVARIATE_VERDICT_H
#define DW_DRIFT_MULTIVARIATE_VERDICT_H

#include "analyze.h"

/* Fills v->pca, v->mmd and v->multivariate_drift for the methods o->multivariate asks for. A
 * method that cannot run (a profile without rows, a window whose rows cannot be lined up, too
 * few rows) says why in its note and does not drift. Returns 0, or -1 out of memory. */
int analyze_multivariate(const struct profile *p, const struct columns *w, const struct analyze_options *o,
                         struct verdict *v);

#endif
