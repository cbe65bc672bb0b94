/* A model's quality at run time (docs/statistics.md, "Model quality"): every sample's prediction
 * with a request_id and every delayed label are joined, journaled in <state_dir>/<model>.labels.*
 * so that a restart loses no acknowledged label or waiting prediction, and the joined pairs fill the
 * quality window, whose close gives the realized metrics, their metrics and alerts. Thread-safe. */
#ifndef DW_QUALITY_RUNTIME_H
#define DW_QUALITY_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "state/journal.h"
#include "analyze/quality_window.h"

#define QUALITY_WINDOW_DEFAULT 1000 /* joined pairs, when the config gives no window */

struct quality_settings {
    struct quality_reference ref;
    int64_t label_ttl_ms;  /* default 7 days */
    size_t max_pending;    /* default 1,000,000 */
    size_t window_size;    /* joined pairs per quality window */
    int64_t window_every_ms; /* also closes at the first join this long after its first pair (0: never) */
    int detect;            /* feed the task's error-stream detector (DDM / Page-Hinkley) */
};

/* Called with each closed window's result (not while replaying), under the quality's lock. */
typedef void (*quality_result_fn)(void *ctx, const struct quality_result *r);

struct quality_runtime;

int quality_runtime_open(const char *model, const struct quality_settings *s, const char *state_dir,
                       enum journal_sync mode, int64_t interval_ms, quality_result_fn on_result, void *ctx,
                       struct quality_runtime **out, char *err, size_t errlen);
void quality_runtime_close(struct quality_runtime *q);

/* A sample the model received (every one, kept by the sampler or not): its prediction waits for
 * its label, or joins it (a sample may carry both). Journaled, durable after quality_runtime_commit.
 * Returns 0, or -1 with err when the journal refused. */
int quality_runtime_sample(struct quality_runtime *q, const char *text, size_t len, int64_t now_ms, char *err,
                         size_t errlen);
int quality_runtime_commit(struct quality_runtime *q, char *err, size_t errlen);

/* The answer to a labels body, journaled and committed before it is given. */
struct quality_labels_answer {
    size_t joined, pending, rejected;
    char error[256]; /* where the first rejected label is and why */
};

/* Returns 202 (some labels taken), 400 (none: the body or every label is bad) or 503 (the journal
 * refused: nothing acknowledged). */
int quality_runtime_labels(struct quality_runtime *q, const char *body, size_t len, int64_t now_ms,
                         struct quality_labels_answer *a);

/* The last closed window's result; 0, or -1 when no window closed yet. */
int quality_runtime_last(struct quality_runtime *q, struct quality_result *r);
size_t quality_runtime_pending(struct quality_runtime *q);

#endif
