/* A configured model at run time: its baseline, window, sampler, journal, check worker, last
 * verdict and action policy. Samples arrive from any thread through model_ingest; checks run on
 * the model's own worker thread, so a slow check never blocks ingest. */
#ifndef DW_MODEL_H
#define DW_MODEL_H

#include <stddef.h>

#include "config/config.h"
#include "driftwatch/plugin.h"
#include "plugin/host.h"
#include "plugin/plugin_instance.h"
#include "runtime/quality_runtime.h"

struct model_runtime;

/* Collaborators the agent hands over (borrowed; they outlive the model). */
struct model_links {
    struct plugin_instance *sampler;     /* NULL: keep every sample */
    struct plugin_instance *versioning;  /* NULL: none */
    struct plugin_instance *trainer;     /* NULL: no retraining */
    struct plugin_instance **sinks;      /* the model's alert sinks, in on_drift.alerts order */
    const char *const *sink_names;
    size_t n_sinks;
    const char *state_dir;
    int durability_sync;
    int64_t durability_interval_ms;
    const char *public_url;              /* base URL for report links, e.g. http://127.0.0.1:9464 */
};

/* Loads the baseline, replays the journal (reporting what was recovered) and starts the worker. */
int model_start(const struct model_config *mc, const struct model_links *links, struct model_runtime **out,
                char *err, size_t errlen);
void model_stop(struct model_runtime *m);

const char *model_name(const struct model_runtime *m);

/* Samples, windows and journals a batch of either door (see dw_host.emit_samples for the codes): a
 * body is split and checked first, a probe's checked texts are taken as they are. While the journal
 * holds a batch it could not write (disk full), every batch is refused as unavailable before it
 * touches the window; the held batch is written by the first push after space returns. */
int model_ingest(struct model_runtime *m, const struct ingest_batch *batch, struct dw_ingest_result *res);

/* The same with the batch's source cursor in the same journal record (dw_host.emit_checked_cursor):
 * a keyed cursor whose key is live answers DW_INGEST_DUPLICATE (a copy of its value in
 * *stored_value, malloc'd) and stores nothing. */
int model_ingest_cursor(struct model_runtime *m, const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                        struct dw_ingest_result *res, char **stored_value);
/* Calls fn for each live cursor of source (dw_host.read_cursors); returns how many. */
int model_read_cursors(struct model_runtime *m, const char *source, dw_cursor_fn fn, void *ctx);

/* Runs a check on the current window now and waits for it; *json_out is the verdict JSON
 * (malloc'd). Returns 0, or -1 with err (e.g. an empty window). */
int model_check_now(struct model_runtime *m, char **json_out, char *err, size_t errlen);

/* Asks the worker for a check without waiting (schedules, time-based window closes). close_window:
 * a tumbling window is emptied after it is handed to the check. */
void model_request_check(struct model_runtime *m, int close_window);

/* POST /v1/models/{model}/labels: the body's labels joined or waiting (see quality_runtime.h for
 * the answer). Returns the HTTP status: 202, 400, 503, or 404 when the model has no quality config. */
int model_labels(struct model_runtime *m, const char *body, size_t len, struct quality_labels_answer *a);

/* The last verdict as JSON (malloc'd), or NULL when no check has completed yet. */
char *model_last_verdict(struct model_runtime *m);

/* The HTML report of the last checked window (malloc'd), or NULL with err. */
char *model_report_html(struct model_runtime *m, size_t *len, char *err, size_t errlen);

/* Called about once a second by the scheduler with CLOCK_MONOTONIC milliseconds: closes a
 * time-based window when due. */
void model_tick(struct model_runtime *m, int64_t now_ms);

#endif
