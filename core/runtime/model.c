/* A configured model at run time (see model.h): start and stop, the baseline and its quality, and
 * the window's durable state (journal records, snapshots, compaction). Samples arrive through
 * model_ingest.c; checks run in model_check.c. */
#include "runtime/model.h"
#include "runtime/model_internal.h"
#include "plugin/data_version.h"

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
int64_t model_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *model_name(const struct model_runtime *m)
{
    return m->mc->name;
}

static void publish_window_size(struct model_runtime *m)
{
    const char *labels[] = {"model", m->mc->name, NULL};
    metrics_gauge_set("driftwatch_window_samples", "Samples held in the model's current window.", labels,
                      (double)m->window.n);
}

/* Journals one window record (caller holds m->lock): into the cursor batch being built, else as a
 * record of its own. */
int model_journal_record_locked(struct model_runtime *m, uint8_t type, const void *data, size_t len, char *err,
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
int model_close_window_locked(struct model_runtime *m, char *err, size_t errlen)
{
    struct check_job *j = calloc(1, sizeof *j);
    if (!j || !(j->closed = window_take(&m->window))) {
        model_job_free(j);
        snprintf(err, errlen, "out of memory closing the window");
        return -1;
    }
    j->n = j->closed->n;
    m->window_opened_ms = model_mono_ms();
    struct plugin_instance *s = m->links.sampler;
    if (s && s->lp->def->window_reset)
        s->lp->def->window_reset(s->inst, m->mc->name);
    int rc = model_journal_record_locked(m, WINDOW_REC_CLOSE, NULL, 0, err, errlen);
    model_job_enqueue(m, j);
    publish_window_size(m);
    return rc;
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
    return rc ? rc : cursors_walk(m->cursors, wall_clock_ms(), write_cursor, w);
}

/* The journal grows with every append, replace and close; once it is several times what the window
 * holds, the window is written as a snapshot and the journal starts over (caller holds m->lock). */
void model_maybe_compact_locked(struct model_runtime *m)
{
    uint64_t limit = 4 * (uint64_t)window_bytes(&m->window) + COMPACT_MIN_BYTES;
    if (journal_size(m->journal) <= limit)
        return;
    char err[256];
    if (journal_compact(m->journal, write_snapshot, m, err, sizeof err) < 0)
        log_warn("model", "model=%s journal compaction failed (will retry): %s", m->mc->name, err);
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
            m->time_start_ms = model_window_start_of(t, m->mc->window_every_ms);
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
    json_t *dv = data_version_ask(m->links.versioning, NULL, err, sizeof err);
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
    m->window_opened_ms = model_mono_ms();

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
    m->aopts.pca_reference = baseline_cache_pca(m->profile); /* one PCA fit per baseline, not per check */
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
    model_publish_thresholds(m);
    if (pthread_create(&m->worker, NULL, model_worker_main, m) != 0) {
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
        model_job_free(j);
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
