/* The window of joined prediction/label pairs of a model (docs/statistics.md, "Model quality"),
 * and its evaluation when it closes: the task's realized metrics, as the performance library
 * computes them, against the reference thresholds. */
#ifndef DW_QUALITY_WINDOW_H
#define DW_QUALITY_WINDOW_H

#include <stddef.h>

#include "stats/perf_metrics.h"
#include "util/label_join.h"

/* What a model's quality is measured against (from the baseline profile's quality section). */
struct quality_reference {
    enum perf_task task;
    char positive[128];                      /* binary: the positive class's text */
    double lower[PM_COUNT], upper[PM_COUNT]; /* NAN: no bound */
};

struct quality_window {
    struct label_pair *pairs; /* texts owned by the window */
    size_t n, cap;
};

/* The realized metrics of a closed window. */
struct quality_result {
    size_t n;
    double value[PM_COUNT];  /* NAN: undefined or not of the task */
    int side[PM_COUNT];      /* -1 below lower, +1 above upper, 0 inside or no bound */
    int alerts;              /* metrics outside their band */
};

/* A side's number: the JSON number it came as, else its text parsed, else NAN. */
double quality_pair_number(const struct join_value *v);

void quality_window_init(struct quality_window *w, size_t cap);
void quality_window_free(struct quality_window *w);
/* Copies the pair in. Returns 1 when the window is now full, 0, or -1 when out of memory. */
int quality_window_add(struct quality_window *w, const struct label_pair *p);
void quality_window_clear(struct quality_window *w);

/* The metrics of the pairs: binary: y = [label is positive], ŷ = [prediction is positive], or
 * [score >= 0.5] for a pair without a prediction label; multiclass: the labels' and predictions'
 * texts as classes (their sorted union); regression: the numbers (texts parsed when a side came as
 * text). Returns 0, or -1 when out of memory. */
int quality_window_evaluate(const struct quality_window *w, const struct quality_reference *ref,
                            struct quality_result *out);

#endif
