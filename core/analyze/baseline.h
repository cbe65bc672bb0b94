/* Building a baseline profile from a training file: the inference pass (types, MD5), the
 * column choices (--categorical, --exclude, --target, --prediction) and the reading pass into a
 * reservoir-sampled column table. Memory is bounded by the sample size, not the file size. */
#ifndef DW_DATA_BASELINE_H
#define DW_DATA_BASELINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/profile.h"
#include "data/quality_profile.h"

struct baseline_options {
    const char *data_path;
    const char *const *categorical; /* force these columns categorical */
    size_t ncategorical;
    const char *const *exclude;     /* leave these columns out */
    size_t nexclude;
    const char *target;             /* column with the label (role target) */
    const char *prediction;         /* column with the model output (role prediction) */
    size_t sample_size;             /* default PROFILE_DEFAULT_SAMPLE_SIZE */
    int bins;                       /* default PROFILE_DEFAULT_BINS */
    uint64_t seed;                  /* default PROFILE_DEFAULT_SEED */
    size_t row_sample;              /* whole rows kept (docs/statistics.md); default PROFILE_DEFAULT_ROW_SAMPLE, 0 none */
    int strict;                     /* bad rows are fatal */
    /* model quality (docs/statistics.md): task 0 = none; else prediction and target are required */
    enum perf_task task;
    const char *score;              /* binary: the positive class's probability column, or NULL */
    const char *positive;           /* binary: the positive label (NULL: "1") */
    size_t chunks;                  /* reference chunks (default PERF_DEFAULT_CHUNKS) */
    const struct fairness_spec *fairness; /* protected attributes (favorable NULL: the positive label) */
    size_t nfairness;
    json_t *data_version;           /* borrowed; source.data_version (NULL: null) */
    void (*on_bad_row)(void *ud, const char *msg);
    void (*on_progress)(void *ud, const char *phase, uint64_t done, uint64_t total);
    void *ud;
};

void baseline_options_init(struct baseline_options *o);

/* Builds the profile of o->data_path. Errors: unreadable/empty file, no data rows, a named column
 * that does not exist, a strict bad row. Returns 0 or -1 with err. */
int baseline_build(const struct baseline_options *o, struct profile **out, char *err, size_t errlen);

#endif
