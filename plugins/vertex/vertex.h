/* Vertex AI trainer plugin: shared types of its parts (options and instance, REST calls, auth,
 * jobs, models and endpoints). Internal to plugins/vertex; only vertex.c exports a symbol. */
#ifndef DW_VERTEX_H
#define DW_VERTEX_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"

#define VX_NAME "vertex"
#define VX_MODEL_LABEL "driftwatch-model" /* on every job: the model, as vx_label_value writes it */
#define VX_LABEL_MAX 63                   /* label values: [-_a-z0-9], at most 63 characters */

/* The options (plugin.h DW_OPT_*), filled by the loader through the option table in vertex.c. */
struct vertex_config {
    const char *project;
    const char *location;
    const char *api_endpoint;
    const char *action;
    /* pipeline */
    const char *template_uri;
    const char *pipeline_spec_path;
    const char *gcs_output_directory;
    struct dw_list parameter_values;
    int drift_parameters;
    const char *service_account;
    struct dw_list labels;
    const char *display_name;
    /* custom job */
    const char *image_uri;
    const char *machine_type;
    struct dw_list args;
    const char *base_output_directory;
    /* auth */
    const char *access_token;
    const char *credentials_file;
    const char *quota_project;
    /* HTTP and polling */
    int64_t timeout;
    int64_t deadline;
    int64_t max_attempts;
    int64_t retry_delay;
    int poll;
    int64_t poll_interval;
    int64_t poll_max_interval;
    int64_t operation_poll_interval;
    int64_t operation_poll_max_interval;
    int64_t operation_timeout;
};

/* VX_ACTIONS_ONLY (action: none): no retraining, the instance serves `driftwatch vertex` actions. */
enum vx_action { VX_PIPELINE, VX_CUSTOM_JOB, VX_ACTIONS_ONLY };

/* Cached OAuth2 access token and where it comes from. */
struct vx_auth {
    pthread_mutex_t lock;
    enum { VX_AUTH_TOKEN, VX_AUTH_SA_KEY, VX_AUTH_METADATA } source;
    char *token;            /* current token (explicit or cached) */
    int64_t refresh_at;     /* unix seconds after which a fetched token is renewed */
    /* service-account key */
    char *client_email;
    char *private_key_id;
    char *token_uri;
    void *pkey;             /* EVP_PKEY * */
    /* metadata server */
    char *metadata_url;
    int64_t fetches;        /* tokens fetched so far (tests, debug log) */
};

struct vx_tracked_job;

struct vertex {
    const struct dw_host *host;
    struct dw_ctx *ctx;             /* the instance's, for every host call */
    char *name;                     /* instance name: the plugin label of metrics, the pending-jobs file */
    struct vertex_config cfg;       /* scalars copied; strings point into `owned` */
    char **owned;
    size_t n_owned;
    enum vx_action action;
    char *base_url;                 /* api endpoint without trailing '/' */
    char *parent;                   /* projects/P/locations/L */
    json_t *pipeline_spec;          /* loaded from pipeline_spec_path */
    struct vx_auth auth;

    /* Background poller: jobs created by trigger() until they reach a final state. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int thread_running;
    int stopping;
    struct vx_tracked_job *jobs;
    struct pu_pending_jobs *pending; /* `jobs` on disk (plugin_common.h), opened by start, under `lock` */
};

/* ---- vertex_api.c: REST calls ---- */

/* How a call may be retried: a read or a create carrying a client id may be; a create without one
 * (customJobs.create, models.upload, deployModel) never blindly. VX_POLL: one short attempt, for
 * the background poller, which tries again on its own schedule and must stop promptly. */
enum vx_retry { VX_NO_RETRY = 0, VX_RETRY = 1, VX_POLL = 2 };
#define VX_POLL_TIMEOUT_MS 10000

/* One REST call. `op` names the method ("pipelineJobs.create"), `resource` what it acts on; both
 * open every error message. path is relative to /v1/ (a resource name), query may be NULL
 * (already encoded). body may be NULL. On a 2xx answer with a JSON body returns 0 and *out (may be
 * NULL when not wanted). Otherwise returns -1, err says what happened, *status is the HTTP status
 * (0: no answer) and *out holds the parsed error body when it was JSON. */
int vx_call(struct vertex *v, const char *op, const char *resource, const char *method, const char *path,
            const char *query, json_t *body, enum vx_retry retry, long *status, json_t **out, char *err,
            size_t errlen);

/* vx_call that also reports in *attempts (may be NULL) how many HTTP attempts the answer took
 * (0: none answered): a 409 to the first attempt means the resource was there before this call. */
int vx_call_counted(struct vertex *v, const char *op, const char *resource, const char *method, const char *path,
                    const char *query, json_t *body, enum vx_retry retry, long *status, int *attempts, json_t **out,
                    char *err, size_t errlen);

/* Error text of a google.rpc.Status object: "9 FAILED_PRECONDITION: message". */
void vx_status_text(json_t *status, char *out, size_t outlen);
void vx_count_request(struct vertex *v, const char *op, long status);

/* ---- vertex_auth.c ---- */

/* Prepares the auth source from the options (reads and checks a key file). 0 or -1 with err. */
int vx_auth_init(struct vertex *v, char *err, size_t errlen);
void vx_auth_free(struct vx_auth *a);
/* A malloc'd "Authorization: Bearer ..." header (cleanse and free with vx_auth_header_free). */
int vx_auth_header(struct vertex *v, char **header, char *err, size_t errlen);
void vx_auth_header_free(char *header);
/* The API refused the token (401): forget a fetched token so the next call gets a new one. */
void vx_auth_invalidate(struct vertex *v);

/* ---- vertex_jobs.c: trainer jobs ---- */

int vx_trigger(struct vertex *v, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
               size_t errlen);
int vx_poller_start(struct vertex *v, char *err, size_t errlen);
void vx_poller_stop(struct vertex *v);
void vx_poller_free(struct vertex *v);
/* Actions get_job / wait_job. */
int vx_action_get_job(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);
int vx_action_wait_job(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);

/* ---- vertex_fleet.c: the job to join ---- */

/* Before a create: a pipeline (pipeline = 1) or custom job labelled driftwatch-model=<ev's model>
 * created within the event's cooldown, read page by page. 1 found (*job: a new reference), 0 none
 * (also when the cooldown is 0), -1 the list failed (err says which call and why). */
int vx_find_recent_job(struct vertex *v, int pipeline, const struct dw_trigger_event *ev, json_t **job, char *err,
                       size_t errlen);

/* Sanitizers (exposed for tests through the plugin's behaviour only). */
void vx_pipeline_job_id(const char *key, char *out, size_t outlen);
void vx_label_value(const char *s, char *out, size_t outlen);

/* ---- vertex_models.c: models and endpoints ---- */

int vx_action_upload_model(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);
int vx_action_deploy(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);
int vx_action_undeploy(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);
int vx_action_rollback(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);

/* Follows a long-running operation to done (operation polling options). On success *response is
 * the operation's `response` (new reference, may be an empty object). */
int vx_wait_operation(struct vertex *v, const char *op, const char *resource, json_t *operation,
                      json_t **response, char *err, size_t errlen);

#endif
