/* Baselines shared by the agent's models: a baseline file named by several models is loaded once
 * and its profile shared (read-only) by reference count. Safe to use from any thread. */
#ifndef DW_BASELINE_CACHE_H
#define DW_BASELINE_CACHE_H

#include <stddef.h>

#include "data/profile.h"
#include "analyze/pca_reference.h"

/* The profile of the baseline at path: the loaded one when the same file (its real path, inode,
 * size and modification time) is already held, else loaded now (profile_load's errors).
 * *loaded says which (1: read from disk now). Returns NULL with err. Release with baseline_cache_put. */
const struct profile *baseline_cache_get(const char *path, int *loaded, char *err, size_t errlen);

/* The kept PCA fit of a profile baseline_cache_get returned (for analyze_options.pca_reference):
 * shared by every model holding that profile, freed with it. */
struct pca_reference *baseline_cache_pca(const struct profile *p);

/* Drops one reference; the last frees the profile. NULL is ignored. */
void baseline_cache_put(const struct profile *p);

#endif
