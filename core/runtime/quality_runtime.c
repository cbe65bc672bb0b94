/* Labels, the join and the quality window of a running model (see quality_runtime.h). The labels
 * journal holds the sides as they arrived ('P' a prediction, 'L' a label) and the window closes
 * ('C'); replay feeds them through the same join, so the state after a restart is the state
 * before it. A compaction writes the window's pairs (each as its two sides) and then the waiting
 * entries, oldest first. */
#include "runtime/quality_runtime.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats/ddm.h"
#include "stats/page_hinkley.h"
#include "runtime/labels_body.h"
#include "util/log.h"
#include "util/metrics.h"
#include "sample/sample_row.h"
#include "util/strbuf.h"
#include "util/wall_clock.h"

#define REC_PREDICTION 'P' /* t, score, number (8 bytes LE each), rid NUL, text NUL */
#define REC_LABEL 'L'      /* t, number, rid NUL, text NUL */
#define REC_CLOSE 'C'      /* the quality window closed */
#define COMPACT_MIN_BYTES (1u << 20)

#define LABELS_HELP "Delayed labels and predictions by what became of them (joined, pending, expired, rejected)."

struct quality_runtime {
    pthread_mutex_t lock;
    char *model;
    struct quality_settings s;
    struct label_join *join;
    struct quality_window window;
    struct journal *journal;
    quality_result_fn on_result;
    void *ctx;
    int replaying;
    int64_t window_first_ms; /* when the quality window's first pair joined */
    struct ddm ddm;        /* classification: errors of the joined pairs in arrival order */
    struct page_hinkley ph; /* regression: their absolute errors */
    uint64_t dropped_seen; /* label_join_dropped already counted */
    struct quality_result last;
    int has_last;
};

static void put_u64(struct strbuf *sb, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    strbuf_append(sb, (const char *)b, 8);
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void put_double(struct strbuf *sb, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    put_u64(sb, v);
}

static double get_double(const unsigned char *b)
{
    uint64_t v = get_u64(b);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

static void encode_side(struct strbuf *sb, int is_label, int64_t t, double score, double number, const char *rid,
                        const char *text)
{
    put_u64(sb, (uint64_t)t);
    if (!is_label)
        put_double(sb, score);
    put_double(sb, number);
    strbuf_append(sb, rid, strlen(rid) + 1);
    strbuf_append(sb, text, strlen(text) + 1);
}

static void count(struct quality_runtime *q, const char *result, size_t n)
{
    if (q->replaying || !n)
        return;
    const char *labels[] = {"model", q->model, "result", result, NULL};
    metrics_counter_add("driftwatch_labels_total", LABELS_HELP, labels, (double)n);
}

static void export_result(struct quality_runtime *q, const struct quality_result *r)
{
    const enum perf_metric *list;
    size_t n = perf_task_metrics(q->s.ref.task, &list);
    for (size_t i = 0; i < n; i++) {
        const char *labels[] = {"model", q->model, "metric", perf_metric_name(list[i]), NULL};
        /* an undefined metric (one class in the window) is not exported as a number */
        if (!isnan(r->value[list[i]]))
            metrics_gauge_set("driftwatch_performance", "Realized performance of the last closed quality window.",
                              labels, r->value[list[i]]);
        metrics_gauge_set("driftwatch_performance_alert",
                          "1 when the realized metric is outside its reference band (last quality window).", labels,
                          r->side[list[i]] != 0);
    }
}

/* The window is full: its metrics, then it starts empty (caller holds the lock). */
static void close_window(struct quality_runtime *q)
{
    struct quality_result r;
    if (!q->replaying) {
        if (quality_window_evaluate(&q->window, &q->s.ref, &r) == 0) {
            q->last = r;
            q->has_last = 1;
            export_result(q, &r);
            log_info("quality", "model=%s quality window closed: %zu joined pairs, %d metric(s) outside their band",
                     q->model, r.n, r.alerts);
            if (q->on_result)
                q->on_result(q->ctx, &r);
        } else {
            log_error("quality", "model=%s quality window: out of memory evaluating it", q->model);
        }
        char err[256];
        if (journal_append(q->journal, REC_CLOSE, NULL, 0, err, sizeof err) < 0)
            log_error("quality", "model=%s cannot journal the window's close: %s", q->model, err);
    }
    quality_window_clear(&q->window);
}

/* The joined pair's error for the task's detector: 1/0 (a class that differs from the label's, in
 * binary by positivity, the score deciding when there is no predicted label), the absolute error
 * (regression), or -1 / NAN when the pair cannot say. */
static void feed_detector(struct quality_runtime *q, const struct label_pair *p)
{
    const char *name;
    enum detector_signal s;
    if (q->s.ref.task == PERF_REGRESSION) {
        double e = fabs(quality_pair_number(&p->label) - quality_pair_number(&p->prediction));
        if (isnan(e))
            return;
        s = page_hinkley_update(&q->ph, e);
        name = "page_hinkley";
    } else {
        int wrong;
        if (q->s.ref.task == PERF_BINARY) {
            int pos = p->prediction.text[0] ? strcmp(p->prediction.text, q->s.ref.positive) == 0
                      : !isnan(p->score)     ? p->score >= 0.5
                                             : -1;
            if (pos < 0)
                return;
            wrong = pos != (strcmp(p->label.text, q->s.ref.positive) == 0);
        } else {
            if (!p->prediction.text[0])
                return;
            wrong = strcmp(p->prediction.text, p->label.text) != 0;
        }
        s = ddm_update(&q->ddm, wrong);
        name = "ddm";
    }
    if (s == DETECTOR_NONE || q->replaying)
        return;
    if (s == DETECTOR_DRIFT) {
        const char *labels[] = {"model", q->model, "detector", name, NULL};
        metrics_counter_add("driftwatch_concept_drift_total",
                            "Concept drift signalled by the error-stream detector on joined pairs.", labels, 1);
    }
    log_info("quality", "model=%s %s signals %s in the stream of joined pairs", q->model, name,
             s == DETECTOR_DRIFT ? "concept drift (the detector starts over)" : "a warning");
}

/* A joined pair into the window; a full window closes (while replaying it stays full until its
 * close record, or until replay ends: a close the crash cut off is done then). */
static int take_pair(struct quality_runtime *q, const struct label_pair *p, int64_t t)
{
    if (q->window.n >= q->window.cap) { /* a close record missing (its append failed): close now */
        if (q->replaying)
            quality_window_clear(&q->window);
        else
            close_window(q);
    }
    if (q->window.n == 0)
        q->window_first_ms = t;
    int full = quality_window_add(&q->window, p);
    if (full < 0)
        return -1;
    count(q, "joined", 1);
    if (q->s.detect)
        feed_detector(q, p);
    /* by time: the first join `every` after the window's first pair closes it, that pair included */
    if (q->s.window_every_ms > 0 && t - q->window_first_ms >= q->s.window_every_ms)
        full = 1;
    if (full && !q->replaying)
        close_window(q);
    return 0;
}

/* One side into the join (caller holds the lock): JOIN_JOINED, JOIN_PENDING, or -1 out of memory. */
static int offer_side(struct quality_runtime *q, int is_label, const char *rid, struct join_value v, double score,
                      int64_t t)
{
    label_join_expire(q->join, t);
    struct label_pair pair;
    int rc = is_label ? label_join_label(q->join, rid, v, t, &pair)
                      : label_join_prediction(q->join, rid, v, score, t, &pair);
    uint64_t dropped = label_join_dropped(q->join);
    count(q, "expired", (size_t)(dropped - q->dropped_seen));
    q->dropped_seen = dropped;
    if (rc == JOIN_JOINED)
        return take_pair(q, &pair, t) < 0 ? -1 : JOIN_JOINED;
    if (rc == JOIN_PENDING)
        count(q, "pending", 1);
    return rc;
}

static int journal_side(struct quality_runtime *q, int is_label, int64_t t, double score, double number,
                        const char *rid, const char *text, char *err, size_t errlen)
{
    struct strbuf sb;
    strbuf_init(&sb);
    encode_side(&sb, is_label, t, score, number, rid, text);
    int rc = sb.failed ? -1
                       : journal_append(q->journal, is_label ? REC_LABEL : REC_PREDICTION, sb.data, sb.len, err,
                                        errlen);
    if (sb.failed)
        snprintf(err, errlen, "out of memory");
    strbuf_free(&sb);
    return rc < 0 ? -1 : 0;
}

static void set_pending_gauge(struct quality_runtime *q)
{
    const char *labels[] = {"model", q->model, NULL};
    metrics_gauge_set("driftwatch_labels_pending", "Predictions and labels waiting for their other side.", labels,
                      (double)label_join_pending(q->join));
}

int quality_runtime_sample(struct quality_runtime *q, const char *text, size_t len, int64_t now_ms, char *err,
                         size_t errlen)
{
    struct sample_envelope e;
    if (sample_read_envelope(text, len, &e) < 0)
        return 0; /* the sample check refused it already */
    const char *why = !e.request_id[0] ? "no_request_id" : !e.prediction[0] && isnan(e.score) ? "no_prediction" : NULL;
    if (why) {
        const char *labels[] = {"model", q->model, "reason", why, NULL};
        metrics_counter_add("driftwatch_quality_unjoinable_total",
                            "Samples whose prediction cannot be joined to a label, by reason.", labels, 1);
        return 0;
    }
    pthread_mutex_lock(&q->lock);
    int rc = journal_side(q, 0, now_ms, e.score, e.prediction_value, e.request_id, e.prediction, err, errlen);
    if (rc == 0)
        rc = offer_side(q, 0, e.request_id, (struct join_value){e.prediction, e.prediction_value}, e.score, now_ms);
    if (rc >= 0 && e.label[0]) {
        rc = journal_side(q, 1, now_ms, NAN, e.label_value, e.request_id, e.label, err, errlen);
        if (rc == 0)
            rc = offer_side(q, 1, e.request_id, (struct join_value){e.label, e.label_value}, NAN, now_ms);
    }
    rc = rc < 0 ? -1 : 0;
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "out of memory");
    set_pending_gauge(q);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

static void maybe_compact(struct quality_runtime *q);

struct labels_ctx {
    struct quality_runtime *q;
    int64_t now_ms;
    size_t joined, pending;
    char err[256];
};

static int on_label(void *ctx, const struct label_item *it)
{
    struct labels_ctx *c = ctx;
    struct quality_runtime *q = c->q;
    if (journal_side(q, 1, c->now_ms, NAN, it->number, it->request_id, it->label, c->err, sizeof c->err) < 0)
        return -1;
    int rc = offer_side(q, 1, it->request_id, (struct join_value){it->label, it->number}, NAN, c->now_ms);
    if (rc < 0) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    if (rc == JOIN_JOINED)
        c->joined++;
    else
        c->pending++;
    return 0;
}

int quality_runtime_labels(struct quality_runtime *q, const char *body, size_t len, int64_t now_ms,
                         struct quality_labels_answer *a)
{
    memset(a, 0, sizeof *a);
    struct labels_ctx c = {.q = q, .now_ms = now_ms};
    struct labels_read st;
    pthread_mutex_lock(&q->lock);
    int rc = labels_body_read(body, len, on_label, &c, &st);
    char cerr[256] = "";
    int committed = rc < -1 ? -1 : journal_commit(q->journal, cerr, sizeof cerr);
    if (committed == 0)
        maybe_compact(q);
    set_pending_gauge(q);
    pthread_mutex_unlock(&q->lock);
    count(q, "rejected", st.rejected);
    a->joined = c.joined;
    a->pending = c.pending;
    a->rejected = st.rejected;
    snprintf(a->error, sizeof a->error, "%s", st.first_error);
    if (rc < -1 || committed < 0) {
        snprintf(a->error, sizeof a->error, "cannot store labels durably: %.200s", c.err[0] ? c.err : cerr);
        a->joined = a->pending = 0;
        return 503;
    }
    return rc < 0 || st.accepted == 0 ? 400 : 202;
}

int quality_runtime_commit(struct quality_runtime *q, char *err, size_t errlen)
{
    pthread_mutex_lock(&q->lock);
    int rc = journal_commit(q->journal, err, errlen);
    if (rc == 0)
        maybe_compact(q);
    pthread_mutex_unlock(&q->lock);
    return rc < 0 ? -1 : 0;
}

int quality_runtime_last(struct quality_runtime *q, struct quality_result *r)
{
    pthread_mutex_lock(&q->lock);
    int has = q->has_last;
    if (has)
        *r = q->last;
    pthread_mutex_unlock(&q->lock);
    return has ? 0 : -1;
}

size_t quality_runtime_pending(struct quality_runtime *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = label_join_pending(q->join);
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* ---- replay and compaction ---- */

static int replay_record(void *ctx, uint8_t type, const void *data, size_t len)
{
    struct quality_runtime *q = ctx;
    const unsigned char *b = data;
    if (type == REC_CLOSE) {
        quality_window_clear(&q->window);
        return 0;
    }
    size_t fixed = type == REC_PREDICTION ? 24 : 16;
    if ((type != REC_PREDICTION && type != REC_LABEL) || len < fixed + 2 || b[len - 1] != '\0')
        return 0; /* not ours or damaged: skipped, as the window's replay does */
    const char *rid = (const char *)b + fixed;
    size_t rlen = strnlen(rid, len - fixed);
    if (fixed + rlen + 1 >= len)
        return 0;
    const char *text = rid + rlen + 1;
    int64_t t = (int64_t)get_u64(b);
    double score = type == REC_PREDICTION ? get_double(b + 8) : NAN;
    double number = get_double(b + fixed - 8);
    return offer_side(q, type == REC_LABEL, rid, (struct join_value){text, number}, score, t) < 0 ? -ENOMEM : 0;
}

struct snapshot_ctx {
    struct journal_writer *w;
    struct strbuf sb;
};

static int put_side(struct snapshot_ctx *c, int is_label, int64_t t, double score, double number, const char *rid,
                    const char *text)
{
    c->sb.len = 0;
    encode_side(&c->sb, is_label, t, score, number, rid, text);
    return c->sb.failed ? -1 : journal_writer_put(c->w, is_label ? REC_LABEL : REC_PREDICTION, c->sb.data, c->sb.len);
}

static int snapshot_entry(void *ctx, const char *rid, int is_label, struct join_value v, double score,
                          int64_t arrived_ms)
{
    return put_side(ctx, is_label, arrived_ms, score, v.number, rid, v.text);
}

static int write_snapshot(void *ctx, struct journal_writer *w)
{
    struct quality_runtime *q = ctx;
    struct snapshot_ctx c = {.w = w};
    strbuf_init(&c.sb);
    int rc = 0;
    /* the window's pairs: each as its two sides under an id of its own, so replay joins them again */
    for (size_t i = 0; i < q->window.n && rc == 0; i++) {
        const struct label_pair *p = &q->window.pairs[i];
        char rid[48];
        snprintf(rid, sizeof rid, "\x01window-%zu", i); /* \x01: no request_id from outside has it */
        rc = put_side(&c, 0, p->predicted_ms, p->score, p->prediction.number, rid, p->prediction.text);
        if (rc == 0)
            rc = put_side(&c, 1, p->predicted_ms, NAN, p->label.number, rid, p->label.text);
    }
    if (rc == 0)
        rc = label_join_walk(q->join, snapshot_entry, &c);
    strbuf_free(&c.sb);
    return rc;
}

/* Compacts once the journal is several times what the state holds (caller holds the lock). */
static void maybe_compact(struct quality_runtime *q)
{
    uint64_t state = 128 * (uint64_t)(label_join_pending(q->join) + 2 * q->window.n);
    if (journal_size(q->journal) <= 4 * state + COMPACT_MIN_BYTES)
        return;
    char err[256];
    if (journal_compact(q->journal, write_snapshot, q, err, sizeof err) < 0)
        log_warn("quality", "model=%s labels journal compaction failed (will retry): %s", q->model, err);
}

int quality_runtime_open(const char *model, const struct quality_settings *s, const char *state_dir,
                       enum journal_sync mode, int64_t interval_ms, quality_result_fn on_result, void *ctx,
                       struct quality_runtime **out, char *err, size_t errlen)
{
    *out = NULL;
    struct quality_runtime *q = calloc(1, sizeof *q);
    char name[300];
    if (!q || !(q->model = strdup(model)) || !(q->join = label_join_new(s->label_ttl_ms, s->max_pending))) {
        snprintf(err, errlen, "out of memory");
        goto error;
    }
    pthread_mutex_init(&q->lock, NULL);
    q->s = *s;
    q->on_result = on_result;
    q->ctx = ctx;
    quality_window_init(&q->window, s->window_size);
    ddm_reset(&q->ddm);
    page_hinkley_init(&q->ph, PAGE_HINKLEY_DEFAULTS);
    snprintf(name, sizeof name, "%s.labels", model);
    char why[256];
    if (journal_open(state_dir, name, mode, interval_ms, &q->journal, why, sizeof why) < 0) {
        snprintf(err, errlen, "labels state: %s", why);
        goto error;
    }
    q->replaying = 1;
    int rc = journal_replay(q->journal, replay_record, q, NULL, why, sizeof why);
    q->replaying = 0;
    q->dropped_seen = label_join_dropped(q->join);
    if (rc < 0) {
        snprintf(err, errlen, "replaying the labels state: %s", why);
        goto error;
    }
    log_info("quality", "model=%s recovered %zu waiting prediction(s)/label(s) and %zu joined pair(s)", model,
             label_join_pending(q->join), q->window.n);
    pthread_mutex_lock(&q->lock);
    if (q->window.n >= q->window.cap ||
        (q->window.n && q->s.window_every_ms > 0 && wall_clock_ms() - q->window_first_ms >= q->s.window_every_ms))
        close_window(q); /* it filled (or its time ran out) just before the crash */
    maybe_compact(q);
    set_pending_gauge(q);
    pthread_mutex_unlock(&q->lock);
    *out = q;
    return 0;
error:
    quality_runtime_close(q);
    return -1;
}

void quality_runtime_close(struct quality_runtime *q)
{
    if (!q)
        return;
    journal_close(q->journal);
    label_join_free(q->join);
    quality_window_free(&q->window);
    if (q->model)
        pthread_mutex_destroy(&q->lock);
    free(q->model);
    free(q);
}
