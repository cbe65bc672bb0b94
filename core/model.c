/* Model runtime (see model.h): ingest → sampler → window → journal on the request thread, checks
 * on a worker thread fed by a small job queue, verdicts → metrics, API answers and the policy. */
#include "model.h"

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

#include "baseline_cache.h"
#include "bin_metrics.h"
#include "config_model.h"
#include "cursors.h"
#include "data/profile.h"
#include "drift/analyze.h"
#include "drift/cbpe.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "quality_runtime.h"
#include "sample/sample_batch.h"
#include "sample/rfc3339.h"
#include "sample/sample_row.h"
#include "strbuf.h"
#include "window.h"
#include "window_replay.h"

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

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The model takes delayed labels when its baseline knows its task (baseline --task) or its config
 * has a quality entry (which then must agree with the baseline: checked at load): the task, positive
 * label and reference bands from the profile; label_ttl, max_pending, window and detectors from the
 * config, else their defaults. Returns 1 with *s, or 0 when the model has no quality. */
static int quality_settings_of(const struct model_runtime *m, struct quality_settings *s)
{
    const struct quality_profile *qp = m->profile->quality;
    const struct model_quality *qc = m->mc->quality;
    if (!qp && !qc)
        return 0;
    memset(s, 0, sizeof *s);
    const char *positive = qc && qc->positive ? qc->positive : qp && qp->positive ? qp->positive : "1";
    s->ref.task = qc ? qc->task : qp->task;
    snprintf(s->ref.positive, sizeof s->ref.positive, "%s", positive);
    for (int i = 0; i < PM_COUNT; i++) {
        s->ref.lower[i] = qp ? qp->lower[i] : NAN;
        s->ref.upper[i] = qp ? qp->upper[i] : NAN;
    }
    s->label_ttl_ms = qc ? qc->label_ttl_ms : QUALITY_LABEL_TTL_DEFAULT_MS;
    s->max_pending = qc ? (size_t)qc->max_pending : QUALITY_MAX_PENDING_DEFAULT;
    s->window_size = qc && qc->window_size > 0 ? (size_t)qc->window_size : QUALITY_WINDOW_DEFAULT;
    s->window_every_ms = qc ? qc->window_every_ms : 0;
    if (qc && qc->window_size == 0 && qc->window_every_ms > 0)
        s->window_size = 100000000; /* by time only: the size is the config's bound */
    s->detect = qc && qc->detectors != 0;
    return 1;
}

/* A quality window closed (under the quality's lock): realized performance outside its reference
 * band counts as drift for the policy when on_drift.on names performance, and its metrics go with
 * the policy's next events. */
static void on_quality_result(void *ctx, const struct quality_result *r)
{
    struct model_runtime *m = ctx;
    policy_set_performance(m->policy, r->alerts > 0);
    policy_set_realized(m->policy, r);
}

/* Time-based windows count monotonic time: a wall-clock jump neither closes one early nor holds it
 * open. */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *model_name(const struct model_runtime *m)
{
    return m->mc->name;
}

/* ---- jobs ---- */

static void job_free(struct check_job *j)
{
    if (!j)
        return;
    if (j->closed) {
        window_free(j->closed);
        free(j->closed);
    }
    free(j->json);
    free(j);
}

static void publish_pending_bytes(struct model_runtime *m, size_t bytes)
{
    const char *labels[] = {"model", m->mc->name, NULL};
    metrics_gauge_set("driftwatch_check_queue_bytes", "Bytes of closed windows waiting for or in a check.", labels,
                      (double)bytes);
}

/* Queues a job. An async job beyond MAX_PENDING_JOBS, or a closed window that would take the
 * pending bytes past window.max_pending, is dropped (returns -1, job freed, counted) — except that
 * a closed window is always taken when none is pending, so a window larger than the bound is still
 * checked. */
static int job_enqueue(struct model_runtime *m, struct check_job *j)
{
    pthread_mutex_lock(&m->jobs_lock);
    if (j->closed)
        j->bytes = window_bytes(j->closed);
    uint64_t bound = (uint64_t)m->mc->window_max_pending_bytes;
    int too_many = !j->wait && m->n_jobs >= MAX_PENDING_JOBS;
    int too_big = j->closed && m->pending_bytes > 0 && (uint64_t)m->pending_bytes + j->bytes > bound;
    if (too_many || too_big) {
        size_t pending = m->pending_bytes;
        pthread_mutex_unlock(&m->jobs_lock);
        const char *labels[] = {"model", m->mc->name, "result", "skipped", NULL};
        metrics_counter_add("driftwatch_checks_total", "Drift checks by model and result.", labels, 1);
        const char *dl[] = {"model", m->mc->name, "reason", "check_queue_full", NULL};
        metrics_counter_add("driftwatch_samples_dropped_total",
                            "Samples of closed windows dropped unchecked, by model and reason.", dl, (double)j->n);
        log_warn("model", "model=%s checks are behind: a closed window of %zu samples (%zu bytes) was skipped "
                 "(%zu bytes of closed windows pending, window.max_pending %llu)",
                 m->mc->name, j->n, j->bytes, pending, (unsigned long long)bound);
        job_free(j);
        return -1;
    }
    m->pending_bytes += j->bytes;
    size_t pending = m->pending_bytes, bytes = j->bytes; /* j may be gone once unlocked */
    if (m->jobs_tail)
        m->jobs_tail->next = j;
    else
        m->jobs_head = j;
    m->jobs_tail = j;
    m->n_jobs++;
    pthread_cond_broadcast(&m->jobs_cond);
    pthread_mutex_unlock(&m->jobs_lock);
    if (bytes)
        publish_pending_bytes(m, pending);
    return 0;
}

static void publish_window_size(struct model_runtime *m)
{
    const char *labels[] = {"model", m->mc->name, NULL};
    metrics_gauge_set("driftwatch_window_samples", "Samples held in the model's current window.", labels,
                      (double)m->window.n);
}

/* Journals one window record (caller holds m->lock): into the cursor batch being built, else as a
 * record of its own. */
static int journal_record_locked(struct model_runtime *m, uint8_t type, const void *data, size_t len, char *err,
                                 size_t errlen)
{
    if (!m->group)
        return journal_append(m->journal, type, data, len, err, errlen);
    cursor_inner_add(m->group, type, data, len);
    if (m->group->failed) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Closes a tumbling window (caller holds m->lock): journals the close, hands the samples to the
 * worker. Returns -1 when the close could not be journaled. */
static int close_window_locked(struct model_runtime *m, char *err, size_t errlen)
{
    struct check_job *j = calloc(1, sizeof *j);
    if (!j || !(j->closed = window_take(&m->window))) {
        job_free(j);
        snprintf(err, errlen, "out of memory closing the window");
        return -1;
    }
    j->n = j->closed->n;
    m->window_opened_ms = mono_ms();
    struct plugin_instance *s = m->links.sampler;
    if (s && s->lp->def->window_reset)
        s->lp->def->window_reset(s->inst, m->mc->name);
    int rc = journal_record_locked(m, WINDOW_REC_CLOSE, NULL, 0, err, errlen);
    job_enqueue(m, j);
    publish_window_size(m);
    return rc;
}

/* ---- ingest ---- */

/* What happened to a batch's samples before the model read them: split from a body and checked. */
struct ingest_stats {
    size_t accepted;       /* valid samples offered */
    size_t rejected;       /* refused by the sample check */
    char first_error[256]; /* "line 3: $.features: why", "$[2]...", "line 1, column 9: why" */
};

struct ingest_ctx {
    struct model_runtime *m;
    size_t kept;
    size_t index;         /* of the sample being offered, in the batch */
    size_t rejected;      /* samples the core could not read, or late ones */
    size_t late;          /* of which late: before the open window (time: sample) */
    char first_error[256];
    int failed;           /* journal refused: stop */
    char err[256];
};

/* cls: the sample's prediction class when the sampler asked for it, else NULL. */
static enum dw_sample_decision sampler_decide(struct model_runtime *m, const char *cls, uint64_t *replace)
{
    struct plugin_instance *s = m->links.sampler;
    if (!s)
        return DW_SAMPLE_APPEND;
    struct dw_sample_info info = {
        .model = m->mc->name,
        .prediction_class = cls,
        .seen_in_window = m->window.seen,
        .kept_in_window = m->window.n,
        .window_capacity = m->window.max_items,
    };
    return s->lp->def->sample(s->inst, &info, replace);
}

/* A sample the core could not read (a probe let through something it should not have): counted
 * with the batch's rejections, the first one described. */
static int reject_sample(struct ingest_ctx *c, const char *why)
{
    if (!c->rejected++)
        snprintf(c->first_error, sizeof c->first_error, "sample %zu: %s", c->index + 1, why);
    return 0;
}

/* Whether the sampler can decide on a sample before it is read: it does not ask for the class. */
static int sampler_decides_unread(const struct model_runtime *m)
{
    const struct plugin_instance *s = m->links.sampler;
    return !s || !s->lp->def->sample_needs_class || !s->lp->def->sample_needs_class(s->inst);
}

/* Journals a kept sample's text and stores its row (caller holds m->lock). */
static int store_sample(struct ingest_ctx *c, enum dw_sample_decision d, uint64_t replace, const char *text,
                        size_t len)
{
    struct model_runtime *m = c->m;
    int rc;
    if (d == DW_SAMPLE_REPLACE) {
        char *rec = malloc(len + 8);
        if (!rec) {
            snprintf(c->err, sizeof c->err, "out of memory");
            return -1;
        }
        for (int i = 0; i < 8; i++)
            rec[i] = (char)((replace >> (8 * i)) & 0xff);
        memcpy(rec + 8, text, len);
        rc = journal_record_locked(m, WINDOW_REC_REPLACE, rec, len + 8, c->err, sizeof c->err);
        free(rec);
        if (rc == 0)
            rc = window_replace(&m->window, (size_t)replace, &m->row);
    } else {
        rc = journal_record_locked(m, WINDOW_REC_APPEND, text, len, c->err, sizeof c->err);
        if (rc == 0)
            rc = window_append(&m->window, &m->row);
    }
    if (rc < 0) {
        if (!c->err[0])
            snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    c->kept++;
    return 0;
}

/* Start of the window of `every` that holds t: windows are aligned on the epoch (UTC). */
static int64_t window_start_of(int64_t t, int64_t every)
{
    int64_t q = t / every;
    if (t % every < 0)
        q--;
    return q * every;
}

/* time: sample. Places the row just read by its timestamp (caller holds m->lock): a later window
 * closes the open one; an earlier one makes the sample late. A sample without an RFC 3339
 * timestamp goes into the open window, as under arrival time. Returns 0 to keep offering it, 1
 * when it is late (rejected), -1 when the close could not be journaled. */
static int place_by_time(struct ingest_ctx *c)
{
    struct model_runtime *m = c->m;
    int64_t every = m->mc->window_every_ms, t;
    size_t len;
    const char *ts = sample_row_timestamp(&m->row, &len);
    if (!ts || rfc3339_to_ms(ts, len, &t) < 0)
        return 0;
    if (!m->time_open) {
        m->time_start_ms = window_start_of(t, every);
        m->time_open = 1;
        return 0;
    }
    if (t < m->time_start_ms) {
        char why[192];
        snprintf(why, sizeof why, "late: its timestamp %.*s is before the open window (%lld s of every %lld s)",
                 (int)(len < 64 ? len : 64), ts, (long long)(m->time_start_ms / 1000), (long long)(every / 1000));
        c->late++;
        reject_sample(c, why);
        return 1;
    }
    if (t >= m->time_start_ms + every) {
        if (m->window.n > 0 && close_window_locked(m, c->err, sizeof c->err) < 0)
            return -1;
        m->time_start_ms = window_start_of(t, every);
    }
    return 0;
}

/* Offers one sample (its JSON text, already validated) to the sampler and keeps it (caller holds
 * m->lock). The sampler decides first when it can (it needs neither the class nor, for time:
 * sample, the timestamp), so a dropped sample is never read; a kept one is read once, into the
 * window's cells, and journaled as the text it came as. */
static int offer_sample(struct ingest_ctx *c, const char *text, size_t len)
{
    struct model_runtime *m = c->m;
    /* every sample's prediction waits for its label, whatever the sampler keeps */
    if (m->quality && quality_runtime_sample(m->quality, text, len, wall_ms(), c->err, sizeof c->err) < 0)
        return -1;
    int unread = sampler_decides_unread(m) && !m->mc->window_time_sample;
    char why[192];
    if (!unread && sample_row_parse(&m->schema, text, len, &m->row, why, sizeof why) < 0)
        return reject_sample(c, why);
    if (m->mc->window_time_sample) {
        int placed = place_by_time(c);
        if (placed)
            return placed < 0 ? -1 : 0;
    }
    m->window.seen++;
    uint64_t replace = 0;
    enum dw_sample_decision d = sampler_decide(m, unread ? NULL : m->row.cls, &replace);
    if (d == DW_SAMPLE_DROP)
        return 0;
    if (unread && sample_row_parse(&m->schema, text, len, &m->row, why, sizeof why) < 0)
        return reject_sample(c, why);
    if (d == DW_SAMPLE_REPLACE && replace >= m->window.n)
        d = DW_SAMPLE_APPEND;
    if (d == DW_SAMPLE_APPEND && window_full(&m->window) && !m->window.sliding &&
        close_window_locked(m, c->err, sizeof c->err) < 0)
        return -1;
    return store_sample(c, d, replace, text, len);
}

/* A live cursor in a snapshot: a batch record without samples. */
static int write_cursor(void *ctx, const struct cursor_entry *e)
{
    struct strbuf sb;
    strbuf_init(&sb);
    cursor_record_encode(&sb, e, NULL, 0);
    int rc = sb.failed ? -ENOMEM : journal_writer_put(ctx, WINDOW_REC_BATCH, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}

/* Snapshot = the live window as APPEND records, each row written back as a sample text that
 * reads into the same cells, then the live cursors. Runs under m->lock (the journal's rule: the snapshot reflects exactly
 * the records appended so far). */
static int write_snapshot(void *ctx, struct journal_writer *w)
{
    struct model_runtime *m = ctx;
    struct strbuf sb;
    strbuf_init(&sb);
    int rc = 0;
    for (size_t i = 0; i < m->window.n && rc == 0; i++) {
        sb.len = 0;
        window_row_json(&m->window, i, &sb);
        rc = sb.failed ? -1 : journal_writer_put(w, WINDOW_REC_APPEND, sb.data, sb.len);
    }
    strbuf_free(&sb);
    return rc ? rc : cursors_walk(m->cursors, cursors_now_ms(), write_cursor, w);
}

/* The journal grows with every append, replace and close; once it is several times what the window
 * holds, the window is written as a snapshot and the journal starts over (caller holds m->lock). */
static void maybe_compact_locked(struct model_runtime *m)
{
    uint64_t limit = 4 * (uint64_t)window_bytes(&m->window) + COMPACT_MIN_BYTES;
    if (journal_size(m->journal) <= limit)
        return;
    char err[256];
    if (journal_compact(m->journal, write_snapshot, m, err, sizeof err) < 0)
        log_warn("model", "model=%s journal compaction failed (will retry): %s", m->mc->name, err);
}

/* After a batch was offered (caller holds m->lock): commits the journal, closes a full tumbling
 * window, compacts. Returns 0, or -1 when the samples could not be stored durably (c->err). */
/* A batch whose commit failed (disk full) is still buffered in the journal and already in the
 * window: until it can be written, new samples are refused before they touch either, so a full
 * disk keeps one batch in memory and a client's retries do not pile up duplicates. 0 when the
 * journal has nothing unwritten (or just wrote it), else -1 with c->err. */
static int journal_ready_locked(struct model_runtime *m, struct ingest_ctx *c)
{
    return journal_commit(m->journal, c->err, sizeof c->err);
}

static int finish_batch_locked(struct model_runtime *m, struct ingest_ctx *c, size_t *window_n)
{
    char cerr[256] = "";
    /* The predictions waiting for labels first: a crash between the two commits leaves them stored
     * with the batch unacknowledged (sent again: the later copy of a prediction replaces the first),
     * never a batch (or a tail cursor) acknowledged without its predictions. */
    int committed = c->failed ? -1 : 0;
    if (committed == 0 && m->quality && quality_runtime_commit(m->quality, cerr, sizeof cerr) < 0)
        committed = -1;
    if (committed == 0)
        committed = journal_commit(m->journal, cerr, sizeof cerr);
    if (!c->failed && committed < 0)
        snprintf(c->err, sizeof c->err, "%s", cerr);
    int full = window_full(&m->window) && !m->window.sliding;
    /* The close is journaled and committed too: otherwise a crash replays the full window and it
     * is checked a second time. */
    if (full && committed == 0 && close_window_locked(m, cerr, sizeof cerr) == 0)
        journal_commit(m->journal, cerr, sizeof cerr);
    *window_n = m->window.n;
    if (committed == 0)
        maybe_compact_locked(m);
    return committed;
}

/* Counts a batch's outcome and fills res (see dw_host.emit_samples for the codes). */
static int report_batch(struct model_runtime *m, const struct ingest_ctx *c, int stored, int parsed,
                        const struct ingest_stats *st, size_t window_n, uint64_t refused_before,
                        struct dw_ingest_result *res)
{
    /* driftwatch_samples_received_total{model,probe} is the probes' to count: they see what arrived
     * before anything reaches the core. */
    const char *kept[] = {"model", m->mc->name, NULL};
    metrics_counter_add("driftwatch_samples_kept_total", "Samples kept in the model's window after sampling.", kept,
                        (double)c->kept);
    if (st->rejected + c->rejected - c->late) {
        const char *rej[] = {"model", m->mc->name, "reason", "invalid", NULL};
        metrics_counter_add("driftwatch_samples_rejected_total", "Samples rejected by model and reason.", rej,
                            (double)(st->rejected + c->rejected - c->late));
    }
    if (c->late) {
        const char *rej[] = {"model", m->mc->name, "reason", "late", NULL};
        metrics_counter_add("driftwatch_samples_rejected_total", "Samples rejected by model and reason.", rej,
                            (double)c->late);
    }
    const char *labels[] = {"model", m->mc->name, NULL};
    metrics_gauge_set("driftwatch_window_samples", "Samples held in the model's current window.", labels,
                      (double)window_n);
    res->accepted = st->accepted - c->rejected;
    res->rejected = st->rejected + c->rejected;
    snprintf(res->error, sizeof res->error, "%s", st->first_error[0] ? st->first_error : c->first_error);
    if (stored < 0) {
        const char *rej[] = {"model", m->mc->name, "reason", "unavailable", NULL};
        metrics_counter_add("driftwatch_samples_rejected_total", "Samples rejected by model and reason.", rej,
                            (double)(st->accepted - c->rejected));
        snprintf(res->error, sizeof res->error, "cannot store samples durably: %.200s", c->err);
        /* A full disk refuses every push: log the 1st, 2nd, 4th, 8th ... refusal in a row. */
        uint64_t n = refused_before + 1;
        if ((n & (n - 1)) == 0)
            log_error("model", "model=%s %s (refused batch %llu in a row)", m->mc->name, res->error,
                      (unsigned long long)n);
        res->accepted = 0;
        return DW_INGEST_UNAVAILABLE;
    }
    if (refused_before)
        log_info("model", "model=%s samples are stored again after %llu refused batch(es)", m->mc->name,
                 (unsigned long long)refused_before);
    if (parsed < 0 || res->accepted == 0)
        return DW_INGEST_INVALID;
    return DW_INGEST_OK;
}

/* Offers a checked batch's samples (caller holds m->lock and found the journal ready). */
static void offer_checked_locked(struct ingest_ctx *c, const struct dw_checked_batch *batch, struct ingest_stats *st)
{
    for (size_t i = 0; i < batch->n && !c->failed; i++) {
        st->accepted++;
        c->index = i;
        if (offer_sample(c, batch->samples[i].text, batch->samples[i].len) < 0)
            c->failed = 1;
    }
}

/* The one ingest path: checked samples, st holding what the check refused before (if anything);
 * parsed < 0 when the whole body was refused. */
static int ingest_checked(struct model_runtime *m, const struct dw_checked_batch *batch, struct ingest_stats *st,
                          int parsed, struct dw_ingest_result *res)
{
    memset(res, 0, sizeof *res);
    struct ingest_ctx c = {.m = m};
    size_t window_n;
    pthread_mutex_lock(&m->lock);
    int stored;
    if (journal_ready_locked(m, &c) < 0) {
        st->accepted = batch->n;
        stored = -1;
        window_n = m->window.n;
    } else {
        offer_checked_locked(&c, batch, st);
        stored = finish_batch_locked(m, &c, &window_n);
    }
    uint64_t refused_before = m->refused_batches;
    m->refused_batches = stored < 0 ? refused_before + 1 : 0;
    pthread_mutex_unlock(&m->lock);
    return report_batch(m, &c, stored, parsed, st, window_n, refused_before, res);
}

int model_ingest_checked(struct model_runtime *m, const struct dw_checked_batch *batch, struct dw_ingest_result *res)
{
    struct ingest_stats st = {0};
    return ingest_checked(m, batch, &st, 0, res);
}

/* A body split into the texts of its valid samples (pointing into the body), and what was refused. */
struct body_split {
    struct dw_sample_text *texts;
    size_t n, cap;
    struct ingest_stats st;
    int failed; /* out of memory */
};

static void split_item(void *ctx, const struct sample_item *it)
{
    struct body_split *s = ctx;
    if (it->problem) {
        if (!s->st.rejected++)
            sample_item_describe(it, s->st.first_error, sizeof s->st.first_error);
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct dw_sample_text *t = realloc(s->texts, cap * sizeof *t);
        if (!t) {
            s->failed = 1;
            return;
        }
        s->texts = t;
        s->cap = cap;
    }
    s->texts[s->n].text = it->text;
    s->texts[s->n++].len = it->len;
}

int model_ingest(struct model_runtime *m, const struct dw_sample_batch *batch, struct dw_ingest_result *res)
{
    struct body_split s = {0};
    struct sample_problem prob;
    int parsed = sample_read_body(batch->json, batch->json_len, split_item, &s, &prob) < 0 ? -1 : 0;
    if (parsed < 0) {
        /* not samples at all: the body counts as one rejected sample, final, never "retry later" */
        s.st.rejected = 1;
        sample_body_describe(batch->json, &prob, s.st.first_error, sizeof s.st.first_error);
    }
    if (s.failed) {
        free(s.texts);
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "out of memory");
        return DW_INGEST_UNAVAILABLE;
    }
    struct dw_checked_batch checked = {.model = batch->model, .probe = batch->probe, .samples = s.texts, .n = s.n};
    int rc = ingest_checked(m, &checked, &s.st, parsed, res);
    free(s.texts);
    return rc;
}

/* Journals the cursor batch built in *inner as one record and sets the cursor (caller holds
 * m->lock and has offered the samples). */
static int journal_cursor_batch_locked(struct ingest_ctx *c, const struct dw_cursor *cursor,
                                       const struct ingest_stats *st, const struct strbuf *inner)
{
    struct model_runtime *m = c->m;
    char *made = NULL;
    if (cursor->value_fn) {
        struct dw_ingest_result r = {.accepted = st->accepted - c->rejected, .rejected = c->rejected};
        snprintf(r.error, sizeof r.error, "%s", c->first_error);
        if (!(made = cursor->value_fn(cursor->value_ctx, &r))) {
            snprintf(c->err, sizeof c->err, "out of memory");
            return -1;
        }
    }
    const char *value = made ? made : cursor->value;
    const char *key = cursor->key ? cursor->key : "";
    struct cursor_entry e = {
        .source = cursor->source, .source_len = strlen(cursor->source),
        .key = key, .key_len = strlen(key),
        .value = value, .value_len = strlen(value),
        .expires_ms = key[0] ? cursor->expires_unix_ms : 0,
        .max_keys = key[0] ? cursor->max_keys : 0,
    };
    struct strbuf rec;
    strbuf_init(&rec);
    cursor_record_encode(&rec, &e, inner->data, inner->len);
    int rc = rec.failed || inner->failed ? -1 : journal_append(m->journal, WINDOW_REC_BATCH, rec.data, rec.len, c->err,
                                                               sizeof c->err);
    if (rc == 0 && cursors_put(m->cursors, &e, cursors_now_ms()) < 0)
        rc = -1;
    if (rc < 0 && !c->err[0])
        snprintf(c->err, sizeof c->err, "out of memory");
    strbuf_free(&rec);
    free(made);
    return rc;
}

int model_ingest_cursor(struct model_runtime *m, const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                        struct dw_ingest_result *res, char **stored_value)
{
    memset(res, 0, sizeof *res);
    if (stored_value)
        *stored_value = NULL;
    if (!cursor || !cursor->source || !cursor->source[0] || (!cursor->value && !cursor->value_fn)) {
        snprintf(res->error, sizeof res->error, "a cursor needs a source and a value");
        return DW_INGEST_INVALID;
    }
    /* The batch is one journal record: refuse what cannot fit before anything changes. Inner
     * records take 5 bytes each (+8 for a replacement), a window close between samples 5 more. */
    size_t need = strlen(cursor->source) + (cursor->key ? strlen(cursor->key) : 0) + 4096 + 18 * (batch->n + 1);
    for (size_t i = 0; i < batch->n; i++)
        need += batch->samples[i].len;
    if (need > JOURNAL_MAX_RECORD) {
        snprintf(res->error, sizeof res->error, "a batch of %zu bytes does not fit in one journal record (%u bytes): "
                 "send smaller batches", need, JOURNAL_MAX_RECORD);
        return DW_INGEST_UNAVAILABLE;
    }
    struct ingest_ctx c = {.m = m};
    struct ingest_stats st;
    memset(&st, 0, sizeof st);
    size_t window_n;
    const char *key = cursor->key ? cursor->key : "";
    pthread_mutex_lock(&m->lock);
    int stored;
    const char *taken;
    if (journal_ready_locked(m, &c) < 0) {
        st.accepted = batch->n;
        stored = -1;
        window_n = m->window.n;
    } else if (key[0] && (taken = cursors_get(m->cursors, cursor->source, strlen(cursor->source), key, strlen(key),
                                               cursors_now_ms()))) {
        /* Taken before (and durable: the journal has nothing unwritten): nothing is stored again. */
        char *copy = stored_value ? strdup(taken) : NULL;
        pthread_mutex_unlock(&m->lock);
        if (stored_value && !copy) {
            snprintf(res->error, sizeof res->error, "out of memory");
            return DW_INGEST_UNAVAILABLE;
        }
        if (stored_value)
            *stored_value = copy;
        snprintf(res->error, sizeof res->error, "key '%.200s' was taken before", key);
        return DW_INGEST_DUPLICATE;
    } else {
        struct strbuf inner;
        strbuf_init(&inner);
        m->group = &inner;
        offer_checked_locked(&c, batch, &st);
        m->group = NULL;
        if (!c.failed && journal_cursor_batch_locked(&c, cursor, &st, &inner) < 0)
            c.failed = 1;
        strbuf_free(&inner);
        stored = finish_batch_locked(m, &c, &window_n);
    }
    uint64_t refused_before = m->refused_batches;
    m->refused_batches = stored < 0 ? refused_before + 1 : 0;
    pthread_mutex_unlock(&m->lock);
    int rc = report_batch(m, &c, stored, 0, &st, window_n, refused_before, res);
    /* A cursor-only batch (nothing to store, the source moved on) is a success. */
    if (rc == DW_INGEST_INVALID && batch->n == 0)
        rc = DW_INGEST_OK;
    return rc;
}

int model_read_cursors(struct model_runtime *m, const char *source, dw_cursor_fn fn, void *ctx)
{
    pthread_mutex_lock(&m->lock);
    int n = cursors_foreach(m->cursors, source, cursors_now_ms(), fn, ctx);
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* ---- checks ---- */

static void publish_verdict(struct model_runtime *m, const struct verdict *v)
{
    const char *name = m->mc->name;
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *f = &v->features[i];
        const char *method = drift_method_name(f->method);
        const char *fm[] = {"model", name, "feature", f->name, "method", method ? method : "none", NULL};
        const char *fl[] = {"model", name, "feature", f->name, NULL};
        if (method) {
            metrics_gauge_set("driftwatch_feature_drift_score", "Drift statistic of the feature's deciding test.", fm,
                              f->statistic);
            metrics_gauge_set("driftwatch_feature_drift_p_value", "p-value of the feature's deciding test (NaN: none).",
                              fm, f->p_value);
        }
        metrics_gauge_set("driftwatch_feature_drifted", "1 when the feature drifted in the last check.", fl, f->drift);
        metrics_gauge_set("driftwatch_feature_missing_ratio", "Share of missing values in the last checked window.",
                          fl, f->missing_share);
        /* docs/statistics.md: each quality share that applies, and its threshold (the DataQuality rule
         * compares the two; an "off" threshold is not exported) */
        for (int q = 0; q < QP_COUNT; q++) {
            if (isnan(f->quality.share[q]))
                continue;
            const char *ql[] = {"model", name, "feature", f->name, "problem", quality_problem_name(q), NULL};
            metrics_gauge_set("driftwatch_feature_quality_ratio",
                              "Data quality share of the feature in the last checked window (out_of_range, "
                              "unseen_categories, type_mismatch, missing_share).",
                              ql, f->quality.share[q]);
            if (isfinite(f->quality.limit[q]))
                metrics_gauge_set("driftwatch_feature_quality_threshold",
                                  "Share above which the data quality problem is an alert (quality_checks).", ql,
                                  f->quality.limit[q]);
        }
    }
    const char *ml[] = {"model", name, NULL};
    metrics_gauge_set("driftwatch_dataset_drift_share", "Share of drifted features in the last check.", ml,
                      v->drift_share);
    metrics_gauge_set("driftwatch_dataset_drifted", "1 when the last check found dataset drift.", ml, v->dataset_drift);
    metrics_gauge_set("driftwatch_schema_missing_columns",
                      "Baseline feature columns missing from the last checked data.", ml, (double)v->schema.nmissing);
    metrics_gauge_set("driftwatch_schema_unexpected_columns",
                      "Columns of the last checked data that the baseline lacks (at most 100 counted).", ml,
                      (double)v->schema.nunexpected);
    const struct {
        int ran, ok, drift;
        const char *name;
        double score;
    } mv[2] = {{v->pca.ran, v->pca.ok, v->pca.drift, "pca_reconstruction", v->pca.value},
               {v->mmd.ran, v->mmd.ok, v->mmd.drift, "mmd", v->mmd.statistic}};
    for (int k = 0; k < 2; k++) {
        const char *mvl[] = {"model", name, "method", mv[k].name, NULL};
        if (!mv[k].ran)
            continue;
        if (mv[k].ok)
            metrics_gauge_set("driftwatch_multivariate_drift_score",
                              "Multivariate drift score: reconstruction error (pca_reconstruction) or MMD^2 (mmd).", mvl,
                              mv[k].score);
        metrics_gauge_set("driftwatch_multivariate_drifted", "1 when the multivariate method found drift in the last check.",
                          mvl, mv[k].drift);
    }
}

/* What the check measured of the model's performance without labels (CBPE, binary with scores:
 * driftwatch_performance_estimated) and its bias (the protected attributes of quality.fairness:
 * driftwatch_fairness and driftwatch_fairness_alert). The realized metrics come from the joined
 * labels' quality window (quality_runtime.c), not from here. */
static void publish_performance(struct model_runtime *m, const struct verdict *v)
{
    const struct perf_report *r = v->performance;
    if (!r)
        return;
    for (int k = 0; r->estimated_rows && k < CBPE_COUNT; k++) {
        if (!(r->estimated_metrics & (1u << k)) || isnan(r->estimated[k].value))
            continue;
        const char *labels[] = {"model", m->mc->name, "metric", cbpe_metric_name(k), NULL};
        metrics_gauge_set("driftwatch_performance_estimated",
                          "Label-free estimate (CBPE) of the checked window's performance.", labels,
                          r->estimated[k].value);
    }
    static const char *const names[4] = {"spd", "dir", "eod", "aod"};
    for (size_t i = 0; i < r->nfairness; i++) {
        const struct quality_fairness *f = &r->fairness[i];
        const double vals[4] = {f->values.spd, f->values.dir, f->values.eod, f->values.aod};
        for (int k = 0; k < 4; k++) {
            const char *labels[] = {"model", m->mc->name, "attribute", f->spec.attribute, "metric", names[k], NULL};
            if (!isnan(vals[k]))
                metrics_gauge_set("driftwatch_fairness",
                                  "Bias metric of a protected attribute in the last checked window.", labels, vals[k]);
        }
        const char *labels[] = {"model", m->mc->name, "attribute", f->spec.attribute, NULL};
        metrics_gauge_set("driftwatch_fairness_alert",
                          "1 when the attribute's |spd| > 0.1 or dir is outside [0.8, 1.2] in the last check.",
                          labels, f->values.alert != 0);
    }
}

/* The reference band of each realized metric of the model's task (the baseline's quality section),
 * for dashboards to draw next to driftwatch_performance. */
static void publish_thresholds(const struct model_runtime *m)
{
    const struct quality_profile *q = m->profile->quality;
    if (!q)
        return;
    const enum perf_metric *list;
    size_t n = perf_task_metrics(q->task, &list);
    for (size_t i = 0; i < n; i++) {
        const double bound[2] = {q->lower[list[i]], q->upper[list[i]]};
        for (int b = 0; b < 2; b++) {
            const char *labels[] = {"model", m->mc->name, "metric", perf_metric_name(list[i]), "bound",
                                    b ? "upper" : "lower", NULL};
            if (!isnan(bound[b]))
                metrics_gauge_set("driftwatch_performance_threshold",
                                  "Reference band of a realized performance metric (the baseline's chunks).", labels,
                                  bound[b]);
        }
    }
}

/* The check's table from a window; consume: a closed window's cells become the table's. */
static struct columns *columns_from_window(const struct profile *p, const struct perf_options *po,
                                           struct window *win, int consume, char *err, size_t errlen)
{
    struct columns *w = columns_new_for_profile(p, NULL);
    /* the performance columns (prediction, score, target) row by row, for the label-free estimate */
    if (w && p->quality && perf_table_keep_cells(p->quality, po, w, err, errlen) < 0) {
        columns_free(w);
        return NULL;
    }
    if (!w || window_fill_columns(win, w, consume) < 0) {
        columns_free(w);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return w;
}

/* The log line's drifted features: names (target/prediction too) joined by ',', each cut to
 * DRIFTED_NAME_MAX bytes with control characters, ' ' and ',' as '?', at most DRIFTED_NAMES_SHOWN of
 * them, then "+N" for the rest: a line a person can act on, bounded whatever the data's names. */
#define DRIFTED_NAMES_SHOWN 8
#define DRIFTED_NAME_MAX 48
#define DRIFTED_NAMES_MAX (DRIFTED_NAMES_SHOWN * (DRIFTED_NAME_MAX + 3) + 24)
static void drifted_names(const struct verdict *v, char *buf, size_t len)
{
    size_t n = 0, shown = 0, more = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        if (!fv->drift)
            continue;
        if (shown == DRIFTED_NAMES_SHOWN) {
            more++;
            continue;
        }
        if (shown)
            buf[n++] = ',';
        size_t k = 0;
        for (const unsigned char *c = (const unsigned char *)fv->name; *c && k < DRIFTED_NAME_MAX; c++, k++)
            buf[n++] = (char)(*c < 0x20 || *c == 0x7f || *c == ' ' || *c == ',' ? '?' : *c);
        if (k == DRIFTED_NAME_MAX && fv->name[k]) {
            buf[n++] = '.';
            buf[n++] = '.';
        }
        shown++;
    }
    buf[n] = '\0';
    if (more)
        snprintf(buf + n, len - n, ",+%zu", more);
}

/* text zlib-compressed (malloc'd, *zlen bytes), or NULL when out of memory. */
static unsigned char *compress_text(const struct strbuf *text, size_t *zlen)
{
    uLongf n = compressBound((uLong)text->len);
    unsigned char *z = malloc(n);
    if (!z || compress2(z, &n, (const Bytef *)text->data, (uLong)text->len, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z);
        return NULL;
    }
    unsigned char *tight = realloc(z, n);
    *zlen = n;
    return tight ? tight : z;
}

static void run_job(struct model_runtime *m, struct check_job *j)
{
    struct columns *w = NULL;
    if (j->closed) {
        w = columns_from_window(m->profile, &m->aopts.perf, j->closed, 1, j->err, sizeof j->err);
        window_free(j->closed);
        free(j->closed);
        j->closed = NULL;
    } else {
        /* The live window: its cells are copied into the table under the lock (no parsing, a few
         * ms for a million values), so ingest waits only for that. */
        pthread_mutex_lock(&m->lock);
        j->n = m->window.n;
        if (j->n)
            w = columns_from_window(m->profile, &m->aopts.perf, &m->window, 0, j->err, sizeof j->err);
        pthread_mutex_unlock(&m->lock);
    }
    if (!w && j->n) {
        j->rc = -1;
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *result = "error";
    struct verdict *v = NULL;
    if (j->n == 0) {
        snprintf(j->err, sizeof j->err, "model '%s': the window is empty, nothing to check", m->mc->name);
        j->rc = -1;
        result = "empty";
        goto out;
    }
    if (analyze_window(m->profile, w, &m->aopts, &v, j->err, sizeof j->err) < 0 ||
        verdict_set_model(v, m->mc->name) < 0 ||
        (m->profile->quality &&
         perf_table_measure(m->profile->quality, &m->aopts.perf, w, &v->performance, j->err, sizeof j->err) < 0)) {
        j->rc = -1;
        goto out;
    }
    publish_performance(m, v);
    /* the CLI's JSON writer: shortest round-trip numbers (json_dumps prints 17 digits: 0.05 would
     * read 0.050000000000000003) */
    struct strbuf jtext;
    strbuf_init(&jtext);
    if (verdict_render(v, VERDICT_JSON, &jtext) == 0)
        j->json = strbuf_detach(&jtext, NULL);
    strbuf_free(&jtext);
    struct strbuf report;
    strbuf_init(&report);
    size_t zlen = 0;
    unsigned char *z = NULL;
    if (j->json && report_render_html(m->profile, w, v, &report) == 0)
        z = compress_text(&report, &zlen);
    size_t html_len = report.len;
    strbuf_free(&report);
    if (!z) {
        snprintf(j->err, sizeof j->err, "out of memory rendering the verdict");
        j->rc = -1;
        goto out;
    }
    publish_verdict(m, v);
    if (m->bins && bin_metrics_publish(m->mc->name, m->bins, v, w) < 0)
        log_warn("model", "model=%s out of memory publishing the window's bin counts; the previous ones stay",
                 m->mc->name);
    /* A schema error (a baseline column missing from the data) is reported like any verdict, but
     * the check did not run as configured: like a failed check, it is not drift evidence for the
     * policy (retraining cannot fix an input pipeline that dropped a column). */
    if (!v->schema_error)
        policy_on_verdict(m->policy, v);
    result = v->schema_error ? "schema_error" : v->dataset_drift ? "dataset_drift" : v->drifted ? "feature_drift" : "ok";
    char names[DRIFTED_NAMES_MAX];
    drifted_names(v, names, sizeof names);
    log_info("model", "model=%s check rows=%llu drifted=%zu/%zu share=%.3f dataset_drift=%s quality_alerts=%zu "
             "missing_columns=%zu%s%s", m->mc->name, (unsigned long long)v->window_rows, v->drifted, v->nfeatures,
             v->drift_share, v->dataset_drift ? "true" : "false", v->quality_alerts, v->schema.nmissing,
             names[0] ? " drifted_features=" : "", names);
    if (v->schema_error)
        log_warn("model", "model=%s schema error: %zu baseline column(s) missing from the window, first '%s'%s%s%s",
                 m->mc->name, v->schema.nmissing, v->schema.missing[0].name,
                 v->schema.missing[0].suggestion ? " (did you mean '" : "",
                 v->schema.missing[0].suggestion ? v->schema.missing[0].suggestion : "",
                 v->schema.missing[0].suggestion ? "'?)" : "");
    pthread_mutex_lock(&m->verdict_lock);
    free(m->last_json);
    m->last_json = strdup(j->json);
    free(m->last_report);
    m->last_report = z;
    m->last_report_zlen = zlen;
    m->last_report_len = html_len;
    pthread_mutex_unlock(&m->verdict_lock);
out:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const char *hl[] = {"model", m->mc->name, NULL};
    metrics_histogram_observe("driftwatch_check_duration_seconds", "Time a drift check took.", hl, secs);
    const char *cl[] = {"model", m->mc->name, "result", result, NULL};
    metrics_counter_add("driftwatch_checks_total", "Drift checks by model and result.", cl, 1);
    if (j->rc < 0 && strcmp(result, "empty") != 0)
        log_error("model", "model=%s check failed: %s", m->mc->name, j->err);
    verdict_free(v);
    columns_free(w);
    /* A check allocates and frees the window's columns (tens of MB for wide models): hand the
     * freed pages back instead of keeping them as the process's high-water mark. */
    malloc_trim(0);
}

static void *worker_main(void *arg)
{
    struct model_runtime *m = arg;
    pthread_mutex_lock(&m->jobs_lock);
    for (;;) {
        while (!m->jobs_head && !m->stopping)
            pthread_cond_wait(&m->jobs_cond, &m->jobs_lock);
        if (m->stopping && !m->jobs_head)
            break;
        struct check_job *j = m->jobs_head;
        m->jobs_head = j->next;
        if (!m->jobs_head)
            m->jobs_tail = NULL;
        m->n_jobs--;
        pthread_mutex_unlock(&m->jobs_lock);
        run_job(m, j);
        pthread_mutex_lock(&m->jobs_lock);
        m->pending_bytes -= j->bytes;
        if (j->bytes) {
            size_t pending = m->pending_bytes;
            pthread_mutex_unlock(&m->jobs_lock);
            publish_pending_bytes(m, pending);
            pthread_mutex_lock(&m->jobs_lock);
        }
        if (j->wait) {
            j->done = 1;
            pthread_cond_broadcast(&m->jobs_cond);
        } else {
            job_free(j);
        }
    }
    pthread_mutex_unlock(&m->jobs_lock);
    return NULL;
}

int model_check_now(struct model_runtime *m, char **json_out, char *err, size_t errlen)
{
    struct check_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->wait = 1;
    job_enqueue(m, j);
    pthread_mutex_lock(&m->jobs_lock);
    while (!j->done)
        pthread_cond_wait(&m->jobs_cond, &m->jobs_lock);
    pthread_mutex_unlock(&m->jobs_lock);
    int rc = j->rc;
    if (rc < 0) {
        snprintf(err, errlen, "%s", j->err);
    } else {
        *json_out = j->json;
        j->json = NULL;
    }
    job_free(j);
    return rc;
}

void model_request_check(struct model_runtime *m, int close_window)
{
    if (close_window && !m->window.sliding) {
        char err[256];
        pthread_mutex_lock(&m->lock);
        if (m->window.n > 0 && close_window_locked(m, err, sizeof err) == 0)
            journal_commit(m->journal, err, sizeof err);
        pthread_mutex_unlock(&m->lock);
        return;
    }
    struct check_job *j = calloc(1, sizeof *j);
    if (j)
        job_enqueue(m, j);
}

void model_tick(struct model_runtime *m, int64_t now)
{
    int64_t every = m->mc->window_every_ms;
    if (every <= 0 || m->mc->window_time_sample)
        return; /* time: sample windows close when a later sample arrives, not by the clock */
    pthread_mutex_lock(&m->lock);
    int due = now - m->window_opened_ms >= every;
    if (due)
        m->window_opened_ms = now;
    pthread_mutex_unlock(&m->lock);
    if (due)
        model_request_check(m, 1);
}

int model_labels(struct model_runtime *m, const char *body, size_t len, struct quality_labels_answer *a)
{
    if (!m->quality) {
        memset(a, 0, sizeof *a);
        snprintf(a->error, sizeof a->error, "model '%s' takes no labels: give it a quality: {task: ...} entry",
                 m->mc->name);
        return 404;
    }
    return quality_runtime_labels(m->quality, body, len, wall_ms(), a);
}

char *model_last_verdict(struct model_runtime *m)
{
    pthread_mutex_lock(&m->verdict_lock);
    char *s = m->last_json ? strdup(m->last_json) : NULL;
    pthread_mutex_unlock(&m->verdict_lock);
    return s;
}

char *model_report_html(struct model_runtime *m, size_t *len, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->verdict_lock);
    char *html = m->last_report ? malloc(m->last_report_len + 1) : NULL;
    uLongf n = m->last_report_len;
    if (html && uncompress((Bytef *)html, &n, m->last_report, (uLong)m->last_report_zlen) == Z_OK &&
        n == m->last_report_len) {
        html[n] = '\0';
        *len = n;
    } else {
        free(html);
        html = NULL;
    }
    pthread_mutex_unlock(&m->verdict_lock);
    if (!html)
        snprintf(err, errlen, m->last_report ? "out of memory" : "model '%s': no check has completed yet", m->mc->name);
    return html;
}

/* ---- start / stop ---- */

/* time: sample after a restart: the open window is the one its samples' timestamps fall in (they
 * all fall in one). An empty window opens with the next timestamped sample. */
static void resume_time_window(struct model_runtime *m)
{
    for (size_t i = 0; i < m->window.n; i++) {
        const char *ts = m->window.ts[(m->window.head + i) % m->window.cap];
        int64_t t;
        if (ts && rfc3339_to_ms(ts, strlen(ts), &t) == 0) {
            m->time_start_ms = window_start_of(t, m->mc->window_every_ms);
            m->time_open = 1;
            return;
        }
    }
}

/* What the versioning plugin (e.g. DVC) says of the tracked training data now, or NULL (logged). */
static json_t *current_data_version(struct model_runtime *m)
{
    if (!m->links.versioning)
        return NULL;
    char err[768];
    json_t *dv = config_ask_data_version(m->links.versioning, NULL, err, sizeof err);
    if (!dv)
        log_warn("model", "model=%s cannot tell the training data's version: %s", m->mc->name, err);
    return dv;
}

/* The baseline's data version (the profile's source.data_version, else what the versioning plugin
 * says now) for driftwatch_baseline_info, with a warning when the tracked data has moved on since
 * the baseline was built or the file on disk no longer matches its tracked version. */
static void resolve_data_version(struct model_runtime *m)
{
    const json_t *recorded = json_object_get(m->profile->source, "data_version");
    json_t *now = current_data_version(m);
    const char *rec_md5 = json_string_value(json_object_get(recorded, "md5"));
    const char *now_md5 = json_string_value(json_object_get(now, "md5"));
    if (rec_md5 && now_md5 && strcmp(rec_md5, now_md5) != 0)
        log_warn("model", "model=%s the baseline was built from data version %s, but the tracked data is now %s: "
                 "rebuild the baseline (driftwatch baseline) after retraining",
                 m->mc->name, rec_md5, now_md5);
    if (now && json_is_false(json_object_get(now, "matches")))
        log_warn("model", "model=%s the training data on disk no longer matches its tracked version %s",
                 m->mc->name, now_md5 ? now_md5 : "?");
    /* Without a versioning plugin, the md5 of the training file the baseline was built from is
     * the data version. */
    const char *file_md5 = json_string_value(json_object_get(m->profile->source, "md5"));
    char buf[128];
    snprintf(buf, sizeof buf, "%s", rec_md5 ? rec_md5 : now_md5 ? now_md5 : file_md5 ? file_md5 : "unknown");
    json_decref(now);
    m->data_version = strdup(buf);
    const char *labels[] = {"model", m->mc->name, "data_version", buf, NULL};
    metrics_gauge_set("driftwatch_baseline_info", "The model's baseline and the data version it was built from.",
                      labels, 1);
}

int model_start(const struct model_config *mc, const struct model_links *links, struct model_runtime **out,
                char *err, size_t errlen)
{
    *out = NULL;
    struct model_runtime *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->mc = mc;
    m->links = *links;
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->jobs_lock, NULL);
    pthread_cond_init(&m->jobs_cond, NULL);
    pthread_mutex_init(&m->verdict_lock, NULL);
    m->window_opened_ms = mono_ms();

    char why[768];
    int loaded;
    if (!(m->profile = baseline_cache_get(mc->baseline, &loaded, why, sizeof why))) {
        snprintf(err, errlen, "model '%s': baseline: %s", mc->name, why);
        goto error;
    }
    log_info("model", "model=%s baseline %s %s (%zu features)", mc->name, mc->baseline,
             loaded ? "loaded" : "shared with a model already holding it", m->profile->nfeatures);
    size_t cap = mc->window_size > 0 ? (size_t)mc->window_size : TIME_WINDOW_MAX_ITEMS;
    if (!(m->columns = columns_new_for_profile(m->profile, NULL)) ||
        (columns_row_schema(&m->schema, m->columns), 0) || sample_row_init(&m->row, m->columns->ncols) < 0 ||
        window_init(&m->window, &m->schema, cap, mc->window_sliding) < 0 || !(m->cursors = cursors_new())) {
        snprintf(err, errlen, "model '%s': out of memory", mc->name);
        goto error;
    }
    if (config_check_baseline(mc, m->profile, err, errlen) < 0 ||
        config_analyze_options(mc, &m->aopts, err, errlen) < 0)
        goto error;
    m->aopts_ready = 1;
    /* a restarted model (SIGHUP) may have another baseline, or the families turned off */
    bin_metrics_forget(mc->name);
    if (!mc->bin_metrics_off && !(m->bins = bin_layout_new(m->profile, analyze_bins(&m->aopts, m->profile)))) {
        snprintf(err, errlen, "model '%s': out of memory", mc->name);
        goto error;
    }
    resolve_data_version(m);
    struct policy_links pl = {.state_dir = links->state_dir, .public_url = links->public_url, .sinks = links->sinks,
                              .sink_names = links->sink_names, .n_sinks = links->n_sinks,
                              .trainer = links->trainer};
    if (policy_open(mc, &pl, m->data_version, &m->policy, err, errlen) < 0)
        goto error;
    if (journal_open(links->state_dir, mc->name, links->durability_sync ? JOURNAL_SYNC_ALWAYS : JOURNAL_SYNC_INTERVAL,
                     links->durability_interval_ms, &m->journal, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': state: %s", mc->name, why);
        goto error;
    }
    struct journal_stats js;
    struct window_replay wr = {.schema = &m->schema, .row = &m->row, .window = &m->window, .cursors = m->cursors,
                               .log_model = mc->name};
    if (journal_replay(m->journal, window_replay_record, &wr, &js, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': replaying state: %s", mc->name, why);
        goto error;
    }
    if (mc->window_time_sample)
        resume_time_window(m);
    struct quality_settings qs;
    if (quality_settings_of(m, &qs) &&
        quality_runtime_open(mc->name, &qs, links->state_dir,
                             links->durability_sync ? JOURNAL_SYNC_ALWAYS : JOURNAL_SYNC_INTERVAL,
                             links->durability_interval_ms, on_quality_result, m, &m->quality, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': %s", mc->name, why);
        goto error;
    }
    log_info("model", "model=%s recovered %zu sample(s) in the window from %llu snapshot + %llu journal record(s)%s",
             mc->name, m->window.n, (unsigned long long)js.snapshot_records, (unsigned long long)js.journal_records,
             js.bytes_discarded ? " (a torn final record was cut off)" : "");
    if (journal_compact(m->journal, write_snapshot, m, why, sizeof why) < 0)
        log_warn("model", "model=%s compaction after replay failed: %s", mc->name, why);
    publish_window_size(m);
    publish_thresholds(m);
    if (pthread_create(&m->worker, NULL, worker_main, m) != 0) {
        snprintf(err, errlen, "model '%s': cannot start its check thread", mc->name);
        goto error;
    }
    m->worker_started = 1;
    *out = m;
    return 0;
error:
    model_stop(m);
    return -1;
}

void model_stop(struct model_runtime *m)
{
    if (!m)
        return;
    if (m->worker_started) {
        pthread_mutex_lock(&m->jobs_lock);
        m->stopping = 1;
        pthread_cond_broadcast(&m->jobs_cond);
        pthread_mutex_unlock(&m->jobs_lock);
        pthread_join(m->worker, NULL);
    }
    while (m->jobs_head) {
        struct check_job *j = m->jobs_head;
        m->jobs_head = j->next;
        job_free(j);
    }
    journal_close(m->journal);
    quality_runtime_close(m->quality);
    cursors_free(m->cursors);
    policy_close(m->policy);
    window_free(&m->window);
    sample_row_free(&m->row);
    columns_free(m->columns);
    free(m->last_report);
    free(m->last_json);
    free(m->data_version);
    if (m->aopts_ready)
        analyze_options_free(&m->aopts);
    bin_layout_free(m->bins);
    baseline_cache_put(m->profile);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->jobs_lock);
    pthread_cond_destroy(&m->jobs_cond);
    pthread_mutex_destroy(&m->verdict_lock);
    free(m);
}
