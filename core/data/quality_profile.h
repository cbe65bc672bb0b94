/* The profile's "quality" section (docs/data-formats.md): the model's task and columns, the
 * reference performance with its per-chunk values and thresholds, and the training data's own
 * bias per protected attribute. Written into and loaded from the baseline profile; keys this
 * version does not model are kept as loaded and written back. */
#ifndef DW_DATA_QUALITY_PROFILE_H
#define DW_DATA_QUALITY_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "stats/cbpe.h"
#include "stats/fairness.h"
#include "stats/isotonic.h"
#include "stats/perf_metrics.h"
#include "util/strbuf.h"

/* A protected attribute: its column, privileged values and favorable outcome. */
struct fairness_spec {
    char *attribute;
    char **privileged;
    size_t nprivileged;
    char *favorable; /* NULL: the task's positive label */
};

struct quality_fairness {
    struct fairness_spec spec;
    struct fairness_values values;
};

struct quality_profile {
    enum perf_task task;
    char *positive;                 /* binary: the positive label; NULL otherwise */
    char *prediction, *score, *target; /* column names; score may be NULL */
    size_t nchunks;                 /* K of the reference chunks */
    double reference[PM_COUNT];     /* NAN: null, or not a metric of the task */
    double *chunks[PM_COUNT];       /* nchunks values each for the task's metrics, else NULL */
    double lower[PM_COUNT], upper[PM_COUNT];
    struct quality_fairness *fairness;
    size_t nfairness;
    /* The label-free estimate (binary with a score; docs/statistics.md "CBPE"): the isotonic
     * calibration (n == 0: none, and no estimate), the reference chunks' estimates (nchunks
     * each) and their thresholds, per enum cbpe_metric. */
    struct isotonic_curve calibration;
    double *estimated_chunks[CBPE_COUNT];
    double estimated_lower[CBPE_COUNT], estimated_upper[CBPE_COUNT];
    json_t *extra;                  /* other keys of the section (owned; an object) */
};

/* An empty section (every number NAN) or NULL when out of memory. */
struct quality_profile *quality_profile_new(enum perf_task task);
void quality_profile_free(struct quality_profile *q);
void fairness_spec_clear(struct fairness_spec *s);
/* Deep copy of src into dst; 0 or -1 (memory). */
int fairness_spec_copy(struct fairness_spec *dst, const struct fairness_spec *src);

/* Appends the section's JSON object (one key a line, indented for the profile). */
void quality_profile_render(const struct quality_profile *q, struct strbuf *sb);

/* Parses a "quality" object; errors name the file and JSON path ("B.json: quality.thresholds.f1.lower:
 * expected a number or null"). Returns 0 or -1 with err. */
int quality_profile_from_json(const json_t *obj, const char *name, struct quality_profile **out, char *err,
                              size_t errlen);

#endif
