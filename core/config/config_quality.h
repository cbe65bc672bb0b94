/* A model's `quality` config entry (docs/configuration.md): the task, the positive label, the
 * delayed-label settings (label_ttl, max_pending, window), which metrics to report, the error-stream
 * detectors and the protected attributes. Parsed and validated at load with the position of a
 * bad value; check -c and baseline -c use task, positive, metrics and fairness. */
#ifndef DW_CONFIG_QUALITY_H
#define DW_CONFIG_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "data/quality_profile.h"
#include "util/yaml_tree.h"

#define QUALITY_LABEL_TTL_DEFAULT_MS (7LL * 24 * 3600 * 1000)
#define QUALITY_MAX_PENDING_DEFAULT 1000000

enum quality_detector { QD_DDM = 1u << 0, QD_PAGE_HINKLEY = 1u << 1 };

struct model_quality {
    const struct ynode *node;  /* the `quality` mapping, for positions (borrowed from the config's tree) */
    enum perf_task task;
    char *positive;            /* binary: the positive label (NULL: "1") */
    int64_t label_ttl_ms;      /* how long an unmatched prediction or label waits */
    int64_t max_pending;       /* unmatched entries kept at most */
    int64_t window_size;       /* the joined pairs' window: samples (0: by time only) */
    int64_t window_every_ms;   /* ... and duration (0: by size only) */
    int window_sliding;
    unsigned metrics;          /* bit per enum perf_metric; 0: every metric of the task */
    unsigned detectors;        /* enum quality_detector bits */
    struct fairness_spec *fairness;
    size_t nfairness;
};

/* Parses n (the `quality` mapping) into a new *out. Returns 0, or -1 with why and *at the node at
 * fault (for its file:line:col). */
int config_quality_parse(const struct ynode *n, struct model_quality **out, const struct ynode **at, char *why,
                         size_t whylen);
void model_quality_free(struct model_quality *q);

#endif
