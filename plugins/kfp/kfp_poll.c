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
    if (!k->host->metrics || !k->host->metrics->gauge_set)
        return;
    static const char help[] = "1 for the current state of a retraining job started by a trainer plugin, 0 for "
                               "states it left.";
    const char *current = label_state(state);
    if (old_state && *old_state && strcmp(label_state(old_state), current) != 0) {
        const char *old_labels[] = {"plugin", k->name, "job", job, "state", label_state(old_state), NULL};
        k->host->metrics->gauge_set("driftwatch_trainer_job_state", help, old_labels, 0);
    }
    const char *labels[] = {"plugin", k->name, "job", job, "state", current, NULL};
    k->host->metrics->gauge_set("driftwatch_trainer_job_state", help, labels, 1);
}

static void tracked_free(struct kfp_tracked *t)
{
    if (!t)
        return;
    free(t->run_id);
    free(t->display_name);
    free(t);
}

int kfp_track(struct kfp *k, const char *run_id, const char *display_name, const char *state)
{
    pthread_mutex_lock(&k->lock);
    for (struct kfp_tracked *t = k->tracked; t; t = t->next)
        if (strcmp(t->run_id, run_id) == 0) {
            pthread_mutex_unlock(&k->lock);
            return 0;
        }
    struct kfp_tracked *t = calloc(1, sizeof *t);
    if (!t || !(t->run_id = strdup(run_id)) || !(t->display_name = strdup(display_name))) {
        pthread_mutex_unlock(&k->lock);
        tracked_free(t);
        return -1;
    }
    snprintf(t->state, sizeof t->state, "%s", state);
    t->next_poll_ms = pu_now_ms() + k->poll_interval_ms;
    t->next = k->tracked;
    k->tracked = t;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    return 0;
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
        k->host->log(status == 404 ? DW_LOG_ERROR : DW_LOG_WARN, k->name, "%s (following run %s%s)", err, t->run_id,
                     status == 404 ? "; giving up on it" : "; trying again later");
        if (status == 404)
            snprintf(t->state, sizeof t->state, "UNKNOWN");
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
            k->host->log(ok ? DW_LOG_INFO : DW_LOG_ERROR, k->name, "kfp: run %s (%s) finished: %s%s%s", t->run_id,
                         t->display_name, state, msg && *msg ? ": " : "", msg && *msg ? msg : "");
        } else {
            k->host->log(DW_LOG_INFO, k->name, "kfp: run %s (%s): %s", t->run_id, t->display_name, state);
        }
        snprintf(t->state, sizeof t->state, "%s", state);
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
}
