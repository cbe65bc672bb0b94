/* What the parts of a running model share (model.c: start, stop and the window's durable state;
 * model_ingest.c: samples into the window; model_check.c: the check worker and what a check
 * publishes): the model's runtime struct and the functions one part calls in another. Private to
 * those three files; everything else uses model.h. */
#ifndef DW_MODEL_INTERNAL_H
#define DW_MODEL_INTERNAL_H

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "analyze/baseline_cache.h"
#include "runtime/bin_metrics.h"
#include "config/config_model.h"
#include "state/cursors.h"
#include "data/profile.h"
#include "analyze/analyze.h"
#include "stats/cbpe.h"
#include "state/journal.h"
#include "util/log.h"
#include "util/metrics.h"
#include "runtime/policy.h"
#include "runtime/quality_runtime.h"
#include "sample/sample_batch.h"
#include "sample/rfc3339.h"
#include "sample/sample_row.h"
#include "util/strbuf.h"
#include "util/wall_clock.h"
#include "state/window.h"
#include "state/window_replay.h"

/* Jobs waiting for the worker; beyond this, or beyond window.max_pending bytes of closed windows,
 * a closed window is dropped (and counted) rather than letting memory grow when checks cannot keep
 * up with ingest. */
#define MAX_PENDING_JOBS 4
/* Journal size beyond 4x the window's bytes that triggers a compaction. */
#define COMPACT_MIN_BYTES (16u << 20)
/* Upper bound of a window defined by time only (no size): 1M samples. */
#define TIME_WINDOW_MAX_ITEMS 1000000

struct check_job {
    struct check_job *next;
    struct window *closed; /* a closed window handed over, or NULL: check the live window */
    size_t n;
    size_t bytes;     /* the closed window's, counted in the model's pending_bytes until it is checked */
    int wait;         /* a caller waits on done */
    int done;
    int rc;
    char *json;
    char err[512];
};

struct model_runtime {
    const struct model_config *mc;
    struct model_links links;
    const struct profile *profile; /* shared with the models naming the same file (baseline_cache) */
    struct analyze_options aopts;
    int aopts_ready;
    char *data_version; /* "md5:..." or "unknown", for driftwatch_baseline_info */

    struct columns *columns;   /* the profile's columns, empty: names and types for the window */
    struct row_schema schema;
    pthread_mutex_t lock; /* window, journal, counters, row */
    struct window window;
    struct sample_row row;     /* the sample being read */
    int64_t window_opened_ms;  /* CLOCK_MONOTONIC */
    int64_t time_start_ms;     /* time: sample: the open window covers [start, start + every) */
    int time_open;             /* ... once a timestamped sample opened it */
    struct journal *journal;
    uint64_t refused_batches; /* pushes refused in a row because the journal could not write */
    struct cursor_table *cursors; /* the probes' source cursors (under lock) */
    struct strbuf *group;      /* while a cursor batch is offered: its records, journaled as one */

    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_cond;
    struct check_job *jobs_head, *jobs_tail;
    size_t n_jobs;
    size_t pending_bytes;  /* closed windows queued or being checked */
    int stopping;
    pthread_t worker;
    int worker_started;

    pthread_mutex_t verdict_lock;
    char *last_json;
    unsigned char *last_report; /* HTML of the last checked window, rendered when it was checked
                                   (keeping the window's columns for a report nobody may ask for
                                   costs far more), zlib-compressed: ~180 KB of HTML for 20
                                   features is ~25 KB, times the models an agent watches */
    size_t last_report_zlen, last_report_len;

    struct policy *policy;
    struct bin_layout *bins; /* the fleet metrics' bins; NULL when metrics.bins is false */
    struct quality_runtime *quality; /* labels and realized performance (NULL: no quality) */
};

/* The monotonic clock in ms (time-based windows count monotonic time: a wall-clock jump neither
 * closes one early nor holds it open); the wall clock is util/wall_clock.h. */
int64_t model_mono_ms(void);

/* ---- model_check.c ---- */
void model_job_free(struct check_job *j);
/* Queues a job for the worker, or drops it (freed, counted) beyond MAX_PENDING_JOBS or the bytes
 * bound; returns -1 then. */
int model_job_enqueue(struct model_runtime *m, struct check_job *j);
void model_publish_pending_bytes(struct model_runtime *m, size_t bytes);
/* The baseline's reference band of each realized metric (driftwatch_performance_threshold). */
void model_publish_thresholds(const struct model_runtime *m);
/* The model's check thread (pthread_create's start routine; arg: the model). */
void *model_worker_main(void *arg);

/* ---- model.c ---- */
/* Journals one window record (caller holds m->lock): into the cursor batch being built, else as a
 * record of its own. */
int model_journal_record_locked(struct model_runtime *m, uint8_t type, const void *data, size_t len, char *err,
                                size_t errlen);
/* Closes a tumbling window (caller holds m->lock): journals the close, hands the samples to the
 * worker. Returns -1 when the close could not be journaled. */
int model_close_window_locked(struct model_runtime *m, char *err, size_t errlen);
/* Compacts the window's journal once it is several times what the window holds (caller holds m->lock). */
void model_maybe_compact_locked(struct model_runtime *m);

/* ---- model_ingest.c ---- */
/* Start of the window of `every` that holds t: windows are aligned on the epoch (UTC). */
int64_t model_window_start_of(int64_t t, int64_t every);

#endif
