/* Follows Kubeflow Pipelines runs to a final state in a background thread: GET
 * /apis/v2beta1/runs/{run_id} every poll_interval, the state exported as
 * driftwatch_trainer_job_state{plugin,job,state} (job: the run's display name, as Vertex's job id) and the
 * final state logged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfp.h"

struct kfp_tracked {
    struct kfp_tracked *next;
    char *run_id;
    char *display_name;
    char state[32];
    int64_t next_poll_ms;
};

/* v2beta1 RuntimeState values: a bounded label set (anything else is exported as UNKNOWN). */
static const char *const known_states[] = {"PENDING", "RUNNING", "SUCCEEDED", "SKIPPED", "FAILED",
                                           "CANCELING", "CANCELED", "PAUSED", "UNKNOWN"};

int kfp_state_is_final(const char *state)
{
    return strcmp(state, "SUCCEEDED") == 0 || strcmp(state, "SKIPPED") == 0 || strcmp(state, "FAILED") == 0 ||
           strcmp(state, "CANCELED") == 0;
}

static const char *label_state(const char *state)
{
    for (size_t i = 0; i < sizeof known_states / sizeof known_states[0]; i++)
        if (strcmp(state, known_states[i]) == 0)
            return known_states[i];
    return "UNKNOWN";
}

void kfp_export_state(struct kfp *k, const char *job, const char *old_state, const char *state)
{
    pu_job_state_export(k->host, k->ctx, k->name, job, old_state && *old_state ? label_state(old_state) : NULL,
                        label_state(state));
}

static void tracked_free(struct kfp_tracked *t)
{
    if (!t)
        return;
    free(t->run_id);
    free(t->display_name);
    free(t);
}

/* Records t in the pending-runs file (or, once final, forgets it). Caller holds k->lock. A failed
 * write is logged: the run is still followed, only a restart would lose it. */
static void pending_save_locked(struct kfp *k, const struct kfp_tracked *t, int done)
{
    char err[512] = "";
    int rc = 0;
    if (!k->pending)
        return;
    if (done) {
        rc = pu_pending_jobs_remove(k->pending, t->run_id, err, sizeof err);
    } else {
        json_t *rec = json_pack("{s:s, s:s, s:s}", "name", t->run_id, "display_name", t->display_name, "state",
                                t->state);
        rc = rec ? pu_pending_jobs_put(k->pending, rec, err, sizeof err) : -1;
        if (!rec)
            snprintf(err, sizeof err, "out of memory");
        json_decref(rec);
    }
    if (rc < 0)
        k->host->log(k->ctx, DW_LOG_WARN, "kfp: pending runs: %s (run %s would not be followed after a restart)",
                     err, t->run_id);
}

/* Caller holds k->lock. */
static int track_locked(struct kfp *k, const char *run_id, const char *display_name, const char *state,
                        int64_t first_poll_ms)
{
    for (struct kfp_tracked *t = k->tracked; t; t = t->next)
        if (strcmp(t->run_id, run_id) == 0)
            return 0;
    struct kfp_tracked *t = calloc(1, sizeof *t);
    if (!t || !(t->run_id = strdup(run_id)) || !(t->display_name = strdup(display_name))) {
        tracked_free(t);
        return -1;
    }
    snprintf(t->state, sizeof t->state, "%s", state);
    t->next_poll_ms = first_poll_ms;
    t->next = k->tracked;
    k->tracked = t;
    pending_save_locked(k, t, 0);
    pthread_cond_broadcast(&k->cond);
    return 0;
}

int kfp_track(struct kfp *k, const char *run_id, const char *display_name, const char *state)
{
    pthread_mutex_lock(&k->lock);
    int rc = track_locked(k, run_id, display_name, state, pu_now_ms() + k->poll_interval_ms);
    pthread_mutex_unlock(&k->lock);
    return rc;
}

/* The runs the previous process left unfinished: followed again, the first GET at once. */
static void pending_load(struct kfp *k)
{
    char err[512] = "";
    if (k->pending)
        return;
    int rc = pu_pending_jobs_open(k->host->state_dir, "kfp", k->name, &k->pending, err, sizeof err);
    if (rc != 0) {
        k->host->log(k->ctx, DW_LOG_WARN, "kfp: pending runs: %s", rc < 0 ? "out of memory" : err);
        if (!k->pending)
            return;
    }
    pthread_mutex_lock(&k->lock);
    json_t *jobs = json_deep_copy(pu_pending_jobs_list(k->pending));
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job) {
        const char *id = json_string_value(json_object_get(job, "name"));
        const char *name = json_string_value(json_object_get(job, "display_name"));
        const char *state = json_string_value(json_object_get(job, "state"));
        if (track_locked(k, id, name ? name : id, state ? state : "", pu_now_ms()) < 0)
            k->host->log(k->ctx, DW_LOG_WARN, "kfp: out of memory: run %s will not be followed", id);
        else
            k->host->log(k->ctx, DW_LOG_INFO, "kfp: resuming the polling of run %s (%s), %s when last seen", id,
                         name ? name : id, state && *state ? state : "in an unknown state");
    }
    json_decref(jobs);
    pthread_mutex_unlock(&k->lock);
}

/* One GET of a run; updates t->state, logs a change and a final state. Runs without k->lock. */
static void poll_run(struct kfp *k, struct kfp_tracked *t)
{
    char err[1024];
    long status;
    json_t *run = NULL;
    char *run_esc = pu_query_escape(t->run_id);
    char *path = run_esc ? pu_strf("/apis/v2beta1/runs/%s", run_esc) : NULL;
    free(run_esc);
    if (!path)
        return;
    /* One attempt: the poller tries again at the next interval, and stop() never waits on backoff. */
    if (kfp_call(k, "GET", path, NULL, NULL, 1, 0, &status, &run, err, sizeof err) < 0) {
        k->host->log(k->ctx, status == 404 ? DW_LOG_ERROR : DW_LOG_WARN, "%s (following run %s%s)", err, t->run_id,
                     status == 404 ? "; giving up on it" : "; trying again later");
        if (status == 404) {
            pthread_mutex_lock(&k->lock);
            snprintf(t->state, sizeof t->state, "UNKNOWN");
            pthread_mutex_unlock(&k->lock);
        }
        free(path);
        json_decref(run);
        return;
    }
    free(path);
    const char *state = json_string_value(json_object_get(run, "state"));
    if (!state || !*state)
        state = "PENDING";
    char old_state[sizeof t->state];
    snprintf(old_state, sizeof old_state, "%s", t->state);
    if (strcmp(state, t->state) != 0) {
        if (kfp_state_is_final(state)) {
            int ok = strcmp(state, "SUCCEEDED") == 0 || strcmp(state, "SKIPPED") == 0;
            const char *msg = json_string_value(json_object_get(json_object_get(run, "error"), "message"));
            k->host->log(k->ctx, ok ? DW_LOG_INFO : DW_LOG_ERROR, "kfp: run %s (%s) finished: %s%s%s", t->run_id,
                         t->display_name, state, msg && *msg ? ": " : "", msg && *msg ? msg : "");
        } else {
            k->host->log(k->ctx, DW_LOG_INFO, "kfp: run %s (%s): %s", t->run_id, t->display_name, state);
        }
        pthread_mutex_lock(&k->lock);
        snprintf(t->state, sizeof t->state, "%s", state);
        if (!kfp_state_is_final(state))
            pending_save_locked(k, t, 0);
        pthread_mutex_unlock(&k->lock);
    }
    kfp_export_state(k, t->display_name, old_state, state);
    json_decref(run);
}

static void *poller_main(void *arg)
{
    struct kfp *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stopping) {
        int64_t now = pu_now_ms(), next = now + k->poll_interval_ms;
        struct kfp_tracked *due = NULL;
        for (struct kfp_tracked *t = k->tracked; t; t = t->next) {
            if (t->next_poll_ms <= now && !due)
                due = t;
            if (t->next_poll_ms < next)
                next = t->next_poll_ms;
        }
        if (due) {
            /* Only this thread removes entries, so `due` stays valid while the lock is dropped. */
            due->next_poll_ms = now + k->poll_interval_ms;
            pthread_mutex_unlock(&k->lock);
            poll_run(k, due);
            pthread_mutex_lock(&k->lock);
            if (kfp_state_is_final(due->state) || strcmp(due->state, "UNKNOWN") == 0) {
                pending_save_locked(k, due, 1);
                for (struct kfp_tracked **pp = &k->tracked; *pp; pp = &(*pp)->next)
                    if (*pp == due) {
                        *pp = due->next;
                        break;
                    }
                tracked_free(due);
            }
            continue;
        }
        pu_cond_wait_ms(&k->cond, &k->lock, next - now);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int kfp_poller_start(struct kfp *k, char *err, size_t errlen)
{
    if (k->poll)
        pending_load(k);
    pthread_mutex_lock(&k->lock);
    k->stopping = 0;
    pthread_mutex_unlock(&k->lock);
    if (!k->poll || k->thread_running)
        return 0;
    int rc = pthread_create(&k->thread, NULL, poller_main, k);
    if (rc != 0) {
        snprintf(err, errlen, "kfp: cannot start the poller thread: %s", strerror(rc));
        return -1;
    }
    k->thread_running = 1;
    return 0;
}

void kfp_poller_stop(struct kfp *k)
{
    pthread_mutex_lock(&k->lock);
    k->stopping = 1;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    if (k->thread_running) {
        pthread_join(k->thread, NULL);
        k->thread_running = 0;
    }
}

void kfp_poller_free(struct kfp *k)
{
    struct kfp_tracked *t = k->tracked;
    while (t) {
        struct kfp_tracked *next = t->next;
        tracked_free(t);
        t = next;
    }
    k->tracked = NULL;
    pu_pending_jobs_free(k->pending);
    k->pending = NULL;
}
