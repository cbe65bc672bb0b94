/* MLflow tracking plugin: shared types of its parts (options and instance, REST calls, the run of
 * one event, its tags/metrics/params, the queue of events not yet recorded). Internal to
 * plugins/mlflow; only mlflow.c exports a symbol. */
#ifndef DW_MLFLOW_H
#define DW_MLFLOW_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"

/* Tags every run carries (README.md of the plugin and docs/plugins.md list them). */
/* driftwatch_tracking_runs_total{plugin, event, result} (docs/metrics.md) */
#define ML_METRIC "driftwatch_tracking_runs_total"
#define ML_METRIC_HELP "Runs the mlflow plugin recorded, by event and result (created, found: recorded before, " \
                       "error: kept and retried, refused: dropped)."

#define ML_TAG_MODEL "driftwatch.model"
#define ML_TAG_DATA_VERSION "driftwatch.data_version"
#define ML_TAG_GIT_COMMIT "driftwatch.git_commit"
#define ML_TAG_BASELINE_MD5 "driftwatch.baseline_md5"
#define ML_TAG_KEY "driftwatch.key"
#define ML_TAG_JOB_ID "driftwatch.job_id"
#define ML_TAG_EVENT "driftwatch.event"

/* The options (plugin.h DW_OPT_*), filled by the loader through the option table in mlflow.c. */
struct ml_config {
    const char *tracking_uri;
    const char *experiment;
    const char *token;
    const char *username;
    const char *password;
    int log_checks;
    int64_t timeout;
    int64_t deadline;
    int64_t max_attempts;
    int64_t retry_delay;
    int64_t retry_interval;
};

struct ml {
    const struct dw_host *host;
    struct dw_ctx *ctx;     /* the instance's, for every host call */
    char *name;             /* instance name: the label of metrics, messages and the queue file */
    char *base;             /* tracking_uri without a trailing '/' */
    char *base_desc;        /* base without userinfo (messages) */
    char *experiment;       /* experiment name; "{model}" in it stands for the model */
    char *auth_header;      /* "Authorization: Bearer ..." / "Basic ...", or NULL; cleansed on free */
    int log_checks;
    int64_t timeout_ms;
    int64_t deadline_ms;
    int max_attempts;
    int64_t retry_delay_ms;
    int64_t retry_interval_ms;

    /* `lock` guards the queue, `stopping` and `thread_running`; cond (on CLOCK_MONOTONIC) wakes the
     * thread for a new event and cuts its waits short at stop. Only the thread records, so two
     * records of one key never race inside the process. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int thread_running;
    int stopping;
    unsigned failures;      /* passes in a row that ended on a failure that may pass (thread only) */
    /* Events not yet recorded: <state_dir>/mlflow-<instance>.jobs.json (plugin_common.h), each
     * {"name": <run key>, "event": {...params of the event...}}. */
    struct pu_pending_jobs *queue;
};

/* ---- mlflow_api.c: REST calls under /api/2.0/mlflow/ ---- */

/* One call to {base}/api/2.0/mlflow/{endpoint} (GET with query: already encoded; POST with body).
 * attempts: the host client's attempts (retried on network errors, 429 and 5xx). On PU_HTTP_OK *out
 * (may be NULL when not wanted) holds the answer. Else *status is the HTTP status (0: no answer),
 * *error_code the MLflow error_code when the answer had one (malloc'd, or NULL), and err says
 * "mlflow <instance>: <METHOD> <url> <what happened>". */
int ml_call(struct ml *m, const char *method, const char *endpoint, const char *query, json_t *body, int attempts,
            long *status, char **error_code, json_t **out, char *err, size_t errlen);

/* The id of experiment `name`, made when missing (RESOURCE_ALREADY_EXISTS from a racing writer:
 * asked again). Malloc'd in *id. Returns an enum pu_http_result. */
int ml_experiment_id(struct ml *m, const char *name, char **id, char *err, size_t errlen);

/* ---- mlflow_run_data.c: what a run holds ---- */

/* The run's key for an event: retrain.triggered its trigger key, drift.checked
 * "check-<model>-<time_ms>". Malloc'd; NULL when the event lacks what it needs. */
char *ml_event_key(const json_t *event);
/* The run's name, tags, and log-batch items for an event; NULL when out of memory. */
char *ml_run_name(const json_t *event);
json_t *ml_run_tags(const json_t *event, const char *key);
json_t *ml_run_metrics(const json_t *event);
json_t *ml_run_params(const json_t *event);
/* A metric or param key with every character MLflow does not allow (alphanumerics, '_', '-', '.',
 * ' ', '/') replaced by '_', at most 250 bytes. */
void ml_sanitize_key(const char *s, char *out, size_t outlen);

/* ---- mlflow_record.c: one event as one run ---- */

/* Records the event as a run: the experiment, a run tagged with the key (found by runs/search, else
 * created), log-batch in chunks within MLflow's limits, runs/update to FINISHED. Called by the
 * queue's thread only. Returns an enum pu_http_result; *run_id (malloc'd) on PU_HTTP_OK. */
int ml_record(struct ml *m, const json_t *event, char **run_id, char *err, size_t errlen);

/* ---- mlflow_queue.c: events kept until recorded, by the plugin's thread ---- */

/* Opens the queue file (events left by the previous process are recorded at once) and starts the
 * thread that records events as they come and retries every retry_interval after a failure. */
int ml_queue_start(struct ml *m, char *err, size_t errlen);
void ml_queue_stop(struct ml *m);
void ml_queue_free(struct ml *m);
/* Queues the event for the thread (written to the queue file first) and returns at once:
 * PU_HTTP_OK; PU_HTTP_REFUSED for an event without a key; PU_HTTP_TRANSIENT when the plugin is not
 * started or out of memory (nothing kept). */
int ml_queue_add(struct ml *m, const json_t *event, char *err, size_t errlen);

/* driftwatch_tracking_runs_total{plugin, event, result}. */
void ml_count(struct ml *m, const char *event, const char *result);

#endif
