/* Samples into a model's window (see model.h): a body split and checked by the sample library, each
 * sample offered to the delayed-label join, the sampler and the window, journaled as it came, a
 * batch committed before it is acknowledged, with its source cursor for the tail probe. */
#include "runtime/model.h"
#include "runtime/model_internal.h"

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
        .size = sizeof info,
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
        rc = model_journal_record_locked(m, WINDOW_REC_REPLACE, rec, len + 8, c->err, sizeof c->err);
        free(rec);
        if (rc == 0)
            rc = window_replace(&m->window, (size_t)replace, &m->row);
    } else {
        rc = model_journal_record_locked(m, WINDOW_REC_APPEND, text, len, c->err, sizeof c->err);
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
int64_t model_window_start_of(int64_t t, int64_t every)
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
        m->time_start_ms = model_window_start_of(t, every);
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
        if (m->window.n > 0 && model_close_window_locked(m, c->err, sizeof c->err) < 0)
            return -1;
        m->time_start_ms = model_window_start_of(t, every);
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
    if (m->quality && quality_runtime_sample(m->quality, text, len, wall_clock_ms(), c->err, sizeof c->err) < 0)
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
        model_close_window_locked(m, c->err, sizeof c->err) < 0)
        return -1;
    return store_sample(c, d, replace, text, len);
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
    if (full && committed == 0 && model_close_window_locked(m, cerr, sizeof cerr) == 0)
        journal_commit(m->journal, cerr, sizeof cerr);
    *window_n = m->window.n;
    if (committed == 0)
        model_maybe_compact_locked(m);
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

int model_ingest(struct model_runtime *m, const struct ingest_batch *batch, struct dw_ingest_result *res)
{
    struct dw_checked_batch checked = {
        .size = sizeof checked, .model = batch->model, .probe = batch->probe, .samples = batch->texts, .n = batch->n};
    if (!batch->body) {
        struct ingest_stats st = {0};
        return ingest_checked(m, &checked, &st, 0, res);
    }
    struct body_split s = {0};
    struct sample_problem prob;
    int parsed = sample_read_body(batch->body, batch->body_len, split_item, &s, &prob) < 0 ? -1 : 0;
    if (parsed < 0) {
        /* not samples at all: the body counts as one rejected sample, final, never "retry later" */
        s.st.rejected = 1;
        sample_body_describe(batch->body, &prob, s.st.first_error, sizeof s.st.first_error);
    }
    if (s.failed) {
        free(s.texts);
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "out of memory");
        return DW_INGEST_UNAVAILABLE;
    }
    checked.samples = s.texts;
    checked.n = s.n;
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
        struct dw_ingest_result r = {
            .size = sizeof r, .accepted = st->accepted - c->rejected, .rejected = c->rejected};
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
    if (rc == 0 && cursors_put(m->cursors, &e, wall_clock_ms()) < 0)
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
                                               wall_clock_ms()))) {
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
    int n = cursors_foreach(m->cursors, source, wall_clock_ms(), fn, ctx);
    pthread_mutex_unlock(&m->lock);
    return n;
}
