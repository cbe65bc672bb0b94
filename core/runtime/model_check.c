/* A model's checks (see model.h): the worker thread and its job queue, a check of a closed or the
 * live window, and what a check publishes (metrics, the last verdict, the report, the policy). */
#include "runtime/model.h"
#include "runtime/model_internal.h"

/* ---- jobs ---- */

void model_job_free(struct check_job *j)
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

void model_publish_pending_bytes(struct model_runtime *m, size_t bytes)
{
    const char *labels[] = {"model", m->mc->name, NULL};
    metrics_gauge_set("driftwatch_check_queue_bytes", "Bytes of closed windows waiting for or in a check.", labels,
                      (double)bytes);
}

/* Queues a job. An async job beyond MAX_PENDING_JOBS, or a closed window that would take the
 * pending bytes past window.max_pending, is dropped (returns -1, job freed, counted) — except that
 * a closed window is always taken when none is pending, so a window larger than the bound is still
 * checked. */
int model_job_enqueue(struct model_runtime *m, struct check_job *j)
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
        model_job_free(j);
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
        model_publish_pending_bytes(m, pending);
    return 0;
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
void model_publish_thresholds(const struct model_runtime *m)
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

void *model_worker_main(void *arg)
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
            model_publish_pending_bytes(m, pending);
            pthread_mutex_lock(&m->jobs_lock);
        }
        if (j->wait) {
            j->done = 1;
            pthread_cond_broadcast(&m->jobs_cond);
        } else {
            model_job_free(j);
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
    model_job_enqueue(m, j);
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
    model_job_free(j);
    return rc;
}

void model_request_check(struct model_runtime *m, int close_window)
{
    if (close_window && !m->window.sliding) {
        char err[256];
        pthread_mutex_lock(&m->lock);
        if (m->window.n > 0 && model_close_window_locked(m, err, sizeof err) == 0)
            journal_commit(m->journal, err, sizeof err);
        pthread_mutex_unlock(&m->lock);
        return;
    }
    struct check_job *j = calloc(1, sizeof *j);
    if (j)
        model_job_enqueue(m, j);
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
    return quality_runtime_labels(m->quality, body, len, wall_clock_ms(), a);
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
