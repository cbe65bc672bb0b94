/* Events kept until MLflow has them, recorded by the plugin's own thread so that a check never
 * waits for the tracking server: each event is written to <state_dir>/mlflow-<instance>.jobs.json
 * (plugin_common.h's pending store) when the policy hands it over, and forgotten once recorded or
 * refused, so a tracking server that is slow or down, or a restart, loses no run. After a failure
 * that may pass (no answer, 429, 5xx after the retries) the thread waits retry_interval before the
 * next pass; at start it records what the previous process left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlflow.h"


void ml_count(struct ml *m, const char *event, const char *result)
{
    const char *labels[] = {"plugin", m->name, "event", event, "result", result, NULL};
    m->host->counter_add(m->ctx, ML_METRIC, ML_METRIC_HELP, labels, 1);
}

/* Forgets the queued event of key; a failed write is logged: the event may then be recorded again
 * after a restart, which its key makes harmless. */
static void forget(struct ml *m, const char *key)
{
    char err[512];
    pthread_mutex_lock(&m->lock);
    if (pu_pending_jobs_remove(m->queue, key, err, sizeof err) < 0)
        m->host->log(m->ctx, DW_LOG_WARN, "mlflow: %s", err);
    pthread_mutex_unlock(&m->lock);
}

/* A failure that keeps repeating (MLflow down for hours) is logged the 1st, 2nd, 4th, 8th ... pass
 * in a row, not at every retry_interval; the recovery is logged once. */
static int worth_logging(unsigned n)
{
    return (n & (n - 1)) == 0;
}

/* One pass over the queue, oldest first, until an event fails in a way that may pass (the server
 * is still down: the others would only wait out their retries too). A copy of the list, so the lock
 * is not held across HTTP calls. Returns 1 when the pass stopped on such a failure. */
static int record_pass(struct ml *m)
{
    pthread_mutex_lock(&m->lock);
    json_t *jobs = json_deep_copy(pu_pending_jobs_list(m->queue));
    pthread_mutex_unlock(&m->lock);
    int failed = 0;
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job) {
        const char *key = json_string_value(json_object_get(job, "name"));
        const json_t *event = json_object_get(job, "event");
        const char *what = json_string_value(json_object_get(event, "event"));
        const char *model = json_string_value(json_object_get(event, "model"));
        char err[1024] = "", *run_id = NULL;
        pthread_mutex_lock(&m->lock);
        int stopping = m->stopping;
        pthread_mutex_unlock(&m->lock);
        if (stopping)
            break;
        int rc = json_is_object(event) ? ml_record(m, event, &run_id, err, sizeof err) : PU_HTTP_REFUSED;
        free(run_id);
        if (rc == PU_HTTP_TRANSIENT) {
            ml_count(m, what ? what : "unknown", "error");
            if (worth_logging(++m->failures))
                m->host->log(m->ctx, DW_LOG_WARN, "%s; the %s event of model %s is kept (%zu more queued behind it) "
                             "and tried again in %g s, %u failed pass(es) in a row", err, what ? what : "?",
                             model ? model : "?", json_array_size(jobs) - i - 1,
                             (double)m->retry_interval_ms / 1000, m->failures);
            failed = 1;
            break;
        }
        if (m->failures) {
            m->host->log(m->ctx, DW_LOG_INFO, "mlflow: the tracking server takes events again after %u failed "
                         "pass(es)", m->failures);
            m->failures = 0;
        }
        if (rc == PU_HTTP_REFUSED) {
            ml_count(m, what ? what : "unknown", "refused");
            m->host->log(m->ctx, DW_LOG_ERROR, "%s; the %s event of model %s (key %s) is dropped",
                         json_is_object(event) ? err : "mlflow: a queued entry without its event", what ? what : "?",
                         model ? model : "?", key);
        }
        forget(m, key);
    }
    json_decref(jobs);
    return failed;
}

static void *queue_main(void *arg)
{
    struct ml *m = arg;
    int64_t next_pass = 0; /* CLOCK_MONOTONIC ms; after a failure, retry_interval later */
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        int64_t now = pu_now_ms();
        int pending = json_array_size(pu_pending_jobs_list(m->queue)) > 0;
        if (!pending || now < next_pass) {
            pu_cond_wait_ms(&m->cond, &m->lock, pending ? next_pass - now : m->retry_interval_ms);
            continue;
        }
        pthread_mutex_unlock(&m->lock);
        int failed = record_pass(m);
        pthread_mutex_lock(&m->lock);
        next_pass = failed ? pu_now_ms() + m->retry_interval_ms : 0;
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

int ml_queue_add(struct ml *m, const json_t *event, char *err, size_t errlen)
{
    char *key = ml_event_key(event);
    if (!key) {
        snprintf(err, errlen, "mlflow %s: an event without a key (event, model, key or time_ms missing): not "
                 "recorded", m->name);
        return PU_HTTP_REFUSED;
    }
    json_t *entry = json_pack("{s:s, s:O}", "name", key, "event", event);
    free(key);
    int rc = PU_HTTP_OK;
    char werr[512] = "";
    pthread_mutex_lock(&m->lock);
    if (!m->thread_running) {
        snprintf(err, errlen, "mlflow %s: not started: the event is not recorded", m->name);
        rc = PU_HTTP_TRANSIENT;
    } else if (!entry) {
        snprintf(err, errlen, "mlflow %s: out of memory: the event is not recorded", m->name);
        rc = PU_HTTP_TRANSIENT;
    } else {
        /* Kept in memory even when the file cannot be written: recorded unless the agent stops first. */
        if (pu_pending_jobs_put(m->queue, entry, werr, sizeof werr) < 0)
            m->host->log(m->ctx, DW_LOG_WARN, "mlflow: %s (the event is kept in memory only)", werr);
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
    json_decref(entry);
    return rc;
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
        m->host->log(m->ctx, DW_LOG_WARN, "mlflow: %s (starting with an empty queue)", why);
    if (left)
        m->host->log(m->ctx, DW_LOG_INFO, "mlflow: %zu event(s) left by the previous run are recorded now", left);
    pthread_mutex_lock(&m->lock);
    int started = pthread_create(&m->thread, NULL, queue_main, m) == 0;
    m->thread_running = started;
    pthread_mutex_unlock(&m->lock);
    if (!started) {
        snprintf(err, errlen, "mlflow %s: cannot start its thread", m->name);
        return -1;
    }
    return 0;
}

void ml_queue_stop(struct ml *m)
{
    pthread_mutex_lock(&m->lock);
    int running = m->thread_running;
    m->stopping = 1;
    m->thread_running = 0;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (running)
        pthread_join(m->thread, NULL);
}

void ml_queue_free(struct ml *m)
{
    ml_queue_stop(m);
    pu_pending_jobs_free(m->queue);
    m->queue = NULL;
}
