/* Events kept until MLflow has them: each is written to <state_dir>/mlflow-<instance>.jobs.json
 * (plugin_common.h's pending store) before it is sent and forgotten once recorded or refused, so a
 * tracking server that is down, or a restart, loses no run. A thread retries what is left every
 * retry_interval, and at start what the previous process left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlflow.h"

#define ML_METRIC "driftwatch_tracking_runs_total"
#define ML_METRIC_HELP "Runs the mlflow plugin recorded, by event and result (created, found: recorded before, " \
                       "error: kept and retried, refused: dropped)."

void ml_count(struct ml *m, const char *event, const char *result)
{
    const char *labels[] = {"plugin", m->name, "event", event, "result", result, NULL};
    if (m->host->metrics && m->host->metrics->counter_add)
        m->host->metrics->counter_add(ML_METRIC, ML_METRIC_HELP, labels, 1);
}

/* Forgets the queued event of key (under lock); a failed write is logged: the event may then be
 * recorded again after a restart, which its key makes harmless. */
static void forget(struct ml *m, const char *key)
{
    char err[512];
    pthread_mutex_lock(&m->lock);
    if (pu_pending_jobs_remove(m->queue, key, err, sizeof err) < 0)
        m->host->log(DW_LOG_WARN, m->name, "mlflow: %s", err);
    pthread_mutex_unlock(&m->lock);
}

/* Records one event already in the queue, with record_lock held, and forgets it unless it failed
 * transiently. */
static int record_queued(struct ml *m, const char *key, const json_t *event, char *err, size_t errlen)
{
    char *run_id = NULL;
    const char *what = json_string_value(json_object_get(event, "event"));
    int rc = ml_record(m, event, &run_id, err, errlen);
    free(run_id);
    if (rc == PU_HTTP_TRANSIENT) {
        ml_count(m, what ? what : "unknown", "error");
        return rc;
    }
    if (rc == PU_HTTP_REFUSED)
        ml_count(m, what ? what : "unknown", "refused");
    forget(m, key);
    return rc;
}

int ml_queue_record(struct ml *m, const json_t *event, char *err, size_t errlen)
{
    char *key = ml_event_key(event);
    if (!key) {
        snprintf(err, errlen, "mlflow %s: an event without a key (event, model, key or time_ms missing): not "
                 "recorded", m->name);
        return PU_HTTP_REFUSED;
    }
    json_t *entry = json_pack("{s:s, s:O}", "name", key, "event", event);
    char werr[512] = "";
    pthread_mutex_lock(&m->record_lock);
    pthread_mutex_lock(&m->lock);
    /* No queue before start (a command that never starts plugins): recorded now or not at all. */
    if (entry && m->queue && pu_pending_jobs_put(m->queue, entry, werr, sizeof werr) < 0)
        m->host->log(DW_LOG_WARN, m->name, "mlflow: %s (the event is kept in memory only)", werr);
    pthread_mutex_unlock(&m->lock);
    int rc = record_queued(m, key, event, err, errlen);
    pthread_mutex_unlock(&m->record_lock);
    if (rc == PU_HTTP_TRANSIENT) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, "; kept, tried again every %g s", (double)m->retry_interval_ms / 1000);
    }
    json_decref(entry);
    free(key);
    return rc;
}

/* One pass over the queue: each event left is tried once, oldest first, until one fails
 * transiently (the server is still down: the rest would only wait out their retries too). A copy
 * of the list, so the lock is not held across HTTP calls. */
static void retry_pass(struct ml *m)
{
    pthread_mutex_lock(&m->lock);
    json_t *jobs = json_deep_copy(pu_pending_jobs_list(m->queue));
    pthread_mutex_unlock(&m->lock);
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job) {
        const char *key = json_string_value(json_object_get(job, "name"));
        const json_t *event = json_object_get(job, "event");
        char err[1024] = "";
        pthread_mutex_lock(&m->lock);
        int stopping = m->stopping;
        pthread_mutex_unlock(&m->lock);
        if (stopping)
            break;
        pthread_mutex_lock(&m->record_lock);
        int rc = json_is_object(event) ? record_queued(m, key, event, err, sizeof err) : PU_HTTP_REFUSED;
        pthread_mutex_unlock(&m->record_lock);
        if (!json_is_object(event)) {
            m->host->log(DW_LOG_ERROR, m->name, "mlflow: queued entry %s has no event object: dropped", key);
            forget(m, key);
        } else if (rc == PU_HTTP_TRANSIENT) {
            m->host->log(DW_LOG_WARN, m->name, "%s (kept, %zu more queued behind it; tried again in %g s)", err,
                         json_array_size(jobs) - i - 1, (double)m->retry_interval_ms / 1000);
            break;
        } else if (rc == PU_HTTP_REFUSED) {
            m->host->log(DW_LOG_ERROR, m->name, "%s (dropped)", err);
        }
    }
    json_decref(jobs);
}

static void *queue_main(void *arg)
{
    struct ml *m = arg;
    for (int64_t wait = 0;; wait = m->retry_interval_ms) {
        if (pu_sleep(&m->lock, &m->cond, &m->stopping, wait))
            break;
        retry_pass(m);
    }
    return NULL;
}

int ml_queue_start(struct ml *m, char *err, size_t errlen)
{
    char why[512] = "";
    pthread_mutex_lock(&m->lock);
    m->stopping = 0;
    int rc = m->queue ? 0 : pu_pending_jobs_open(m->host->state_dir, "mlflow", m->name, &m->queue, why, sizeof why);
    size_t left = m->queue ? json_array_size(pu_pending_jobs_list(m->queue)) : 0;
    pthread_mutex_unlock(&m->lock);
    if (rc < 0) {
        snprintf(err, errlen, "mlflow %s: out of memory", m->name);
        return -1;
    }
    if (rc == 1)
        m->host->log(DW_LOG_WARN, m->name, "mlflow: %s (starting with an empty queue)", why);
    if (left)
        m->host->log(DW_LOG_INFO, m->name, "mlflow: %zu event(s) left by the previous run are recorded now", left);
    if (pthread_create(&m->thread, NULL, queue_main, m) != 0) {
        snprintf(err, errlen, "mlflow %s: cannot start the retry thread", m->name);
        return -1;
    }
    m->thread_running = 1;
    return 0;
}

void ml_queue_stop(struct ml *m)
{
    if (!m->thread_running)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = 1;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    m->thread_running = 0;
}

void ml_queue_free(struct ml *m)
{
    ml_queue_stop(m);
    pu_pending_jobs_free(m->queue);
    m->queue = NULL;
}
