/* Kubeflow Pipelines trainer plugin: shared types of its parts (options and instance, REST calls,
 * run creation, the poller). Internal to plugins/kfp; only kfp.c exports a symbol. */
#ifndef DW_KFP_H
#define DW_KFP_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"

/* The options (plugin.h DW_OPT_*), filled by the loader through the option table in kfp.c. */
struct kfp_config {
    const char *host;
    const char *pipeline_id;
    const char *pipeline_version_id;
    const char *experiment_id;
    const char *namespace_;
    const char *pipeline_root;
    struct dw_list parameters;
    int drift_parameters;
    const char *token;
    int64_t timeout;
    int64_t deadline;
    int64_t retry_delay;
    int poll;
    int64_t poll_interval;
};

struct kfp_tracked;

struct kfp {
    const struct dw_host *host;
    struct dw_ctx *ctx;     /* the instance's, for every host call */
    char *name;             /* instance name: the plugin label of metrics, the pending-runs file */
    char *base;             /* host without a trailing '/' */
    char *pipeline_id;
    char *pipeline_version_id;
    char *experiment_id;
    char *namespace_;
    char *pipeline_root;
    json_t *parameters;     /* configured parameters, typed */
    int drift_parameters;
    char *auth_header;      /* "Authorization: Bearer ..." or NULL; cleansed on free */
    int64_t timeout_ms;
    int64_t deadline_ms;
    int64_t retry_delay_ms;
    int poll;
    int64_t poll_interval_ms;

    /* Poller: runs created (or found) by trigger() until they reach a final state. */
    pthread_mutex_t lock;
    pthread_cond_t cond;    /* on CLOCK_MONOTONIC */
    pthread_t thread;
    int thread_running;
    int stopping;
    struct kfp_tracked *tracked;
    /* The runs in `tracked`, kept in <state_dir>/kfp-<instance>.jobs.json (plugin_common.h) so a
     * restart follows them again; opened by start, under `lock`. */
    struct pu_pending_jobs *pending;
};

/* ---- kfp_api.c: REST calls ---- */

/* One call to {host}{path}. query: already encoded, or NULL; body: NULL for none. attempts > 1
 * only for reads (the host retries network errors, 429 and 5xx). On a 2xx answer with a JSON
 * object returns 0 and *out (new reference, may be NULL when not wanted). Otherwise -1: *status is
 * the HTTP status (0: no answer) and err names the method, the URL (query left out) and the
 * server's message. */
int kfp_call(struct kfp *k, const char *method, const char *path, const char *query, json_t *body, int attempts,
             int64_t deadline_ms, long *status, json_t **out, char *err, size_t errlen);

/* ---- kfp_runs.c: trigger ---- */

int kfp_trigger(struct kfp *k, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                size_t errlen);

/* ---- kfp_poll.c: following runs ---- */

/* Final states of a v2beta1 RuntimeState. */
int kfp_state_is_final(const char *state);
/* Sets driftwatch_trainer_job_state{plugin,job,state} to 1 for state and, when the job leaves
 * old_state (may be NULL), to 0 for old_state: the same series as the vertex plugin's. */
void kfp_export_state(struct kfp *k, const char *job, const char *old_state, const char *state);
/* Adds a run to follow (copies run_id) and records it in the pending-runs file before returning,
 * so a crash right after the create still leaves it to the next start. 0 or -1 (out of memory). */
int kfp_track(struct kfp *k, const char *run_id, const char *display_name, const char *state);
/* Loads the pending-runs file (runs left by the previous process are polled at once) and starts
 * the poller thread. */
int kfp_poller_start(struct kfp *k, char *err, size_t errlen);
/* Wakes and joins the poller; an HTTP call in flight ends within the `timeout` option. */
void kfp_poller_stop(struct kfp *k);
void kfp_poller_free(struct kfp *k);

#endif
