/* The reference half of pca_reconstruction — the PCA of a baseline's standardised row sample and
 * its chunk thresholds — depends on the baseline alone. A pca_reference kept with a loaded
 * baseline (the agent's shared baselines) computes it at the first check and hands the same fit
 * to every later check of every model on that baseline: for a 2000-feature baseline that fit is
 * about 90 s of GSL's eigensolver. Thread-safe: a check waits only for a fit of its own baseline. */
#ifndef DW_DRIFT_PCA_REFERENCE_H
#define DW_DRIFT_PCA_REFERENCE_H

#include <stddef.h>

#include "stats/multivariate.h"

struct pca_reference;

struct pca_reference *pca_reference_new(void); /* NULL when out of memory */
void pca_reference_free(struct pca_reference *r);

/* The fit of zs (ns x nf: the baseline's row sample, standardised), computed by the first call and
 * returned as it is by the later ones (they must pass the same rows): *fit (owned by r) and the
 * chunk thresholds. Returns 0, or -1 out of memory (nothing kept: a later call tries again). */
int pca_reference_get(struct pca_reference *r, const double *zs, size_t ns, size_t nf, const struct pca_model **fit,
                      double *lower, double *upper);

/* Fits computed by every pca_reference so far (tests: one per baseline, however many checks). */
unsigned long pca_reference_fits(void);

#endif
