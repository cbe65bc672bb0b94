/* Retraining jobs on Vertex AI: pipelineJobs.create (idempotent through pipelineJobId = the trigger
 * key) or customJobs.create (no client id: found again by a label before any re-create), each after
 * the fleet lookup (vertex_fleet.c) found no job of the model to join, and a background poller that
 * follows each job to a final state and exports it as a gauge. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vertex.h"

#define VX_KEY_LABEL "driftwatch-key"
#define VX_JOB_ID_MAX 128     /* pipelineJobId: [a-z][-a-z0-9]{0,127} */
#define VX_RETRY_CAP_MS 60000

struct vx_tracked_job {
    struct vx_tracked_job *next;
    char *name;           /* resource name */
    int pipeline;         /* 1 pipelineJob, 0 customJob */
    char state[64];
    int64_t next_poll_ms;
    int64_t interval_ms;
};

/* ---- names ---- */

/* First 8 hex digits of SHA-256(s): keeps sanitized names of different keys apart. */
static void short_hash(const char *s, char out[9])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hex[] = "0123456789abcdef";
    if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n < 4)
        memset(md, 0, 4);
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[8] = '\0';
}

void vx_pipeline_job_id(const char *key, char *out, size_t outlen)
{
    size_t n = strlen(key);
    int valid = n >= 1 && n <= VX_JOB_ID_MAX && key[0] >= 'a' && key[0] <= 'z';
    for (size_t i = 1; valid && i < n; i++)
        valid = (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') || key[i] == '-';
    if (valid) {
        snprintf(out, outlen, "%s", key);
        return;
    }
    /* Not usable as is: a readable part plus a hash of the whole key, so the id stays unique and
     * the same for the same key (a retry or a restart finds the job again). */
    char base[VX_JOB_ID_MAX + 1], hash[9];
    pu_slug(key, 0, base, sizeof base);
    short_hash(key, hash);
    const char *prefix = (base[0] >= 'a' && base[0] <= 'z') ? "" : "dw-";
    int room = VX_JOB_ID_MAX - 9 - (int)strlen(prefix);
    int blen = (int)strlen(base);
    if (blen > room)
        blen = room;
    while (blen > 0 && base[blen - 1] == '-')
        blen--;
    snprintf(out, outlen, "%s%.*s%s%s", prefix, blen, base, blen ? "-" : "", hash);
}

void vx_label_value(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    int valid = n <= VX_LABEL_MAX;
    for (size_t i = 0; valid && i < n; i++)
        valid = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_';
    if (valid) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    char base[VX_LABEL_MAX + 1], hash[9];
    pu_slug(s, 1, base, sizeof base);
    int blen = (int)strlen(base);
    if (blen > VX_LABEL_MAX - 9)
        blen = VX_LABEL_MAX - 9;
    short_hash(s, hash);
    snprintf(out, outlen, "%.*s%s%s", blen, base, blen ? "-" : "", hash);
}

static int state_is_final(const char *state)
{
    static const char *const finals[] = {"_SUCCEEDED", "_FAILED", "_CANCELLED", "_PAUSED", "_EXPIRED"};
    size_t n = strlen(state);
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++) {
        size_t m = strlen(finals[i]);
        if (n >= m && strcmp(state + n - m, finals[i]) == 0)
            return 1;
    }
    return 0;
}

static int state_is_success(const char *state)
{
    return strcmp(state, "PIPELINE_STATE_SUCCEEDED") == 0 || strcmp(state, "JOB_STATE_SUCCEEDED") == 0;
}

static const char *last_segment(const char *name)
{
    const char *s = strrchr(name, '/');
    return s ? s + 1 : name;
}

/* ---- metrics ---- */

static void export_state(struct vertex *v, const char *name, const char *old_state, const char *state)
{
    pu_job_state_export(v->host, v->ctx, v->name, last_segment(name), old_state, state);
}

/* ---- request bodies ---- */

static int set_str(json_t *obj, const char *key, const char *val)
{
    json_t *s = val ? json_string(val) : NULL;
    return s ? json_object_set_new(obj, key, s) : -1;
}

static int add_kv_list(json_t *obj, const struct dw_list *list, int typed)
{
    for (size_t i = 0; i < list->n; i++) {
        const char *eq = strchr(list->items[i], '=');
        if (!eq)
            return -1;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - list->items[i]), list->items[i]);
        json_t *val = typed ? pu_param_value(eq + 1) : json_string(eq + 1);
        if (!val || json_object_set_new(obj, key, val) < 0)
            return -1;
    }
    return 0;
}

static json_t *job_labels(struct vertex *v, const struct dw_trigger_event *ev)
{
    char key_label[VX_LABEL_MAX + 1], model_label[VX_LABEL_MAX + 1];
    json_t *labels = json_object();
    if (!labels || add_kv_list(labels, &v->cfg.labels, 0) < 0)
        goto fail;
    vx_label_value(ev->key, key_label, sizeof key_label);
    vx_label_value(ev->model ? ev->model : "", model_label, sizeof model_label);
    if (set_str(labels, VX_KEY_LABEL, key_label) < 0 || set_str(labels, VX_MODEL_LABEL, model_label) < 0)
        goto fail;
    return labels;
fail:
    json_decref(labels);
    return NULL;
}

/* displayName: at most 128 UTF-8 characters (Vertex's limit), cut on a character boundary. */
static json_t *display_name(struct vertex *v, const struct dw_trigger_event *ev)
{
    char buf[512];
    if (v->cfg.display_name && *v->cfg.display_name)
        snprintf(buf, sizeof buf, "%s", v->cfg.display_name);
    else
        snprintf(buf, sizeof buf, "driftwatch-retrain-%s", ev->model ? ev->model : "model");
    size_t chars = 0, i = 0;
    while (buf[i]) {
        if (((unsigned char)buf[i] & 0xC0) != 0x80 && ++chars > 128)
            break;
        i++;
    }
    return json_stringn(buf, i);
}

static json_t *pipeline_body(struct vertex *v, const struct dw_trigger_event *ev)
{
    json_t *body = json_object(), *rc = json_object(), *params = json_object();
    char *features = pu_join_features(ev);
    int bad = !body || !rc || !params || !features;
    if (!bad)
        bad |= json_object_set_new(body, "displayName", display_name(v, ev)) < 0;
    if (!bad && v->pipeline_spec)
        bad |= json_object_set(body, "pipelineSpec", v->pipeline_spec) < 0;
    else if (!bad)
        bad |= set_str(body, "templateUri", v->cfg.template_uri) < 0;
    if (!bad && v->cfg.drift_parameters) {
        /* Named so a KFP pipeline can declare them as string inputs; config values win. */
        bad |= set_str(params, "model", ev->model ? ev->model : "") < 0;
        bad |= set_str(params, "drift_window_end", ev->window_end ? ev->window_end : "") < 0;
        bad |= set_str(params, "data_version", ev->data_version ? ev->data_version : "") < 0;
        bad |= set_str(params, "drifted_features", features) < 0;
    }
    if (!bad)
        bad |= add_kv_list(params, &v->cfg.parameter_values, 1) < 0;
    if (!bad)
        bad |= set_str(rc, "gcsOutputDirectory", v->cfg.gcs_output_directory) < 0;
    if (!bad) {
        bad |= json_object_set(rc, "parameterValues", params) < 0;
        bad |= json_object_set(body, "runtimeConfig", rc) < 0;
        bad |= json_object_set_new(body, "labels", job_labels(v, ev)) < 0;
    }
    if (!bad && v->cfg.service_account && *v->cfg.service_account)
        bad |= set_str(body, "serviceAccount", v->cfg.service_account) < 0;
    json_decref(rc);
    json_decref(params);
    free(features);
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static json_t *env_var(const char *name, const char *value)
{
    return json_pack("{s:s, s:s}", "name", name, "value", value ? value : "");
}

static json_t *custom_job_body(struct vertex *v, const struct dw_trigger_event *ev)
{
    char *features = pu_join_features(ev);
    json_t *args = json_array();
    for (size_t i = 0; args && i < v->cfg.args.n; i++)
        if (json_array_append_new(args, json_string(v->cfg.args.items[i])) < 0) {
            json_decref(args);
            args = NULL;
        }
    json_t *env = features ? json_pack("[o, o, o, o, o]", env_var("DRIFTWATCH_MODEL", ev->model),
                                       env_var("DRIFTWATCH_KEY", ev->key),
                                       env_var("DRIFTWATCH_WINDOW_END", ev->window_end),
                                       env_var("DRIFTWATCH_DATA_VERSION", ev->data_version),
                                       env_var("DRIFTWATCH_DRIFTED_FEATURES", features))
                           : NULL;
    free(features);
    json_t *container = args && env ? json_pack("{s:s, s:o, s:o}", "imageUri", v->cfg.image_uri, "args", args, "env", env)
                                    : NULL;
    if (!container) {
        json_decref(args);
        json_decref(env);
        return NULL;
    }
    /* int64 fields travel as strings in proto3 JSON: "replicaCount": "1". */
    json_t *pool = json_pack("{s:{s:s}, s:s, s:o}", "machineSpec", "machineType", v->cfg.machine_type,
                             "replicaCount", "1", "containerSpec", container);
    json_t *spec = pool ? json_pack("{s:[o]}", "workerPoolSpecs", pool) : NULL;
    json_t *body = json_object();
    if (!spec || !body || json_object_set_new(body, "jobSpec", spec) < 0) {
        if (!body)
            json_decref(spec); /* else owned (and on failure released) by body */
        json_decref(body);
        return NULL;
    }
    int bad = 0;
    if (v->cfg.service_account && *v->cfg.service_account)
        bad |= set_str(spec, "serviceAccount", v->cfg.service_account) < 0;
    if (v->cfg.base_output_directory && *v->cfg.base_output_directory)
        bad |= json_object_set_new(spec, "baseOutputDirectory",
                                   json_pack("{s:s}", "outputUriPrefix", v->cfg.base_output_directory)) < 0;
    bad |= json_object_set_new(body, "displayName", display_name(v, ev)) < 0;
    bad |= json_object_set_new(body, "labels", job_labels(v, ev)) < 0;
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static void log_dry_run(struct vertex *v, const char *method, const char *path, const char *query, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: dry run: would %s %s/v1/%s%s%s %s", method, v->base_url, path,
                 query ? "?" : "", query ? query : "", text ? text : "(body)");
    free(text);
}

/* The job found by the fleet lookup, named in the log before it becomes this trigger's outcome. */
static void log_joining(struct vertex *v, const char *kind, json_t *job, const struct dw_trigger_event *ev)
{
    const char *created = json_string_value(json_object_get(job, "createTime"));
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: %s job %s of model %s was created at %s, within the cooldown: "
                 "joining it, not creating another (key %s)", kind, json_string_value(json_object_get(job, "name")),
                 ev->model ? ev->model : "?", created ? created : "?", ev->key);
}

static void fill_result(struct dw_trigger_result *res, const char *name, const char *state)
{
    snprintf(res->job_id, sizeof res->job_id, "%s", name ? name : "");
    snprintf(res->state, sizeof res->state, "%s", state ? state : "");
}

/* ---- pipelineJobs ---- */

static int trigger_pipeline(struct vertex *v, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                            char *err, size_t errlen)
{
    int ret = -1;
    char id[VX_JOB_ID_MAX + 1];
    char *path = NULL, *name = NULL, *query = NULL;
    json_t *body = NULL, *job = NULL;
    long status = 0;
    int attempts = 0;

    vx_pipeline_job_id(ev->key, id, sizeof id);
    path = pu_strf("%s/pipelineJobs", v->parent);
    name = pu_strf("%s/pipelineJobs/%s", v->parent, id);
    query = pu_strf("pipelineJobId=%s", id);
    body = pipeline_body(v, ev);
    if (!path || !name || !query || !body) {
        snprintf(err, errlen, "vertex: pipelineJobs.create %s: cannot build the request (out of memory or text "
                 "that is not UTF-8)", v->parent);
        goto out;
    }
    if (ev->dry_run) {
        log_dry_run(v, "POST", path, query, body);
        fill_result(res, name, "DRY_RUN");
        ret = 0;
        goto out;
    }
    /* The fleet's drift episode: a pipeline job of this model created within the cooldown (another
     * replica's, or this agent's before a restart) is this trigger's job. */
    int joined = vx_find_recent_job(v, 1, ev, &job, err, errlen);
    if (joined < 0)
        goto out;
    if (joined) {
        log_joining(v, "pipeline", job, ev);
    } else if (vx_call_counted(v, "pipelineJobs.create", v->parent, "POST", path, query, body, VX_RETRY, &status,
                               &attempts, &job, err, errlen) < 0) {
        /* The create carries a client id, so retrying it is safe: a retry after a lost answer, or
         * another replica with the same key, gets 409 ALREADY_EXISTS: the same job. A 409 to the
         * first attempt is a job that was there before (another replica's, or this agent's before
         * a restart): joined. After a lost answer or a 5xx it may be this call's own. */
        if (status != 409)
            goto out;
        json_decref(job);
        job = NULL;
        joined = attempts <= 1;
        v->host->log(v->ctx, DW_LOG_INFO, "vertex: pipeline job %s exists already (same trigger key %s%s): %s it",
                     name, ev->key, joined ? "" : ", an earlier attempt of this create went through",
                     joined ? "joining" : "using");
        if (vx_call(v, "pipelineJobs.get", name, "GET", name, NULL, NULL, VX_RETRY, &status, &job, err, errlen) < 0)
            goto out;
    }
    const char *got = json_string_value(json_object_get(job, "name"));
    fill_result(res, got ? got : name, json_string_value(json_object_get(job, "state")));
    if (!res->state[0])
        snprintf(res->state, sizeof res->state, "PIPELINE_STATE_UNSPECIFIED");
    if (joined)
        res->joined = 1;
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: pipeline job %s for model %s: %s%s", res->job_id,
                 ev->model ? ev->model : "?", res->state, joined ? " (joined)" : "");
    err[0] = '\0';
    ret = 0;
out:
    json_decref(job);
    json_decref(body);
    free(query);
    free(name);
    free(path);
    return ret;
}

/* ---- customJobs ---- */

/* Finds the custom job labelled with this key. 1 found (*job set), 0 none, -1 error. */
static int find_custom_job(struct vertex *v, const char *label, json_t **job, char *err, size_t errlen)
{
    int ret = -1;
    char *filter = pu_strf("labels.%s=\"%s\"", VX_KEY_LABEL, label);
    char *fq = filter ? pu_query_escape(filter) : NULL;
    char *path = pu_strf("%s/customJobs", v->parent);
    char *token = NULL;
    *job = NULL;
    if (!fq || !path) {
        snprintf(err, errlen, "vertex: customJobs.list %s: out of memory", v->parent);
        goto out;
    }
    for (int page = 0; page < 100; page++) {
        char *tq = token ? pu_query_escape(token) : NULL;
        char *query = pu_strf("filter=%s&pageSize=100%s%s", fq, tq ? "&pageToken=" : "", tq ? tq : "");
        free(tq);
        json_t *list = NULL;
        long status = 0;
        int rc = query ? vx_call(v, "customJobs.list", v->parent, "GET", path, query, NULL, VX_RETRY, &status, &list,
                                 err, errlen)
                       : -1;
        free(query);
        if (rc < 0) {
            json_decref(list);
            goto out;
        }
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(list, "customJobs"), i, it) {
            /* The filter should have done this; check anyway, a loose filter must not adopt a stranger. */
            const char *l = json_string_value(json_object_get(json_object_get(it, "labels"), VX_KEY_LABEL));
            if (l && strcmp(l, label) == 0 && json_string_value(json_object_get(it, "name"))) {
                *job = json_incref(it);
                break;
            }
        }
        free(token);
        const char *next = json_string_value(json_object_get(list, "nextPageToken"));
        token = next && *next ? strdup(next) : NULL;
        json_decref(list);
        if (*job) {
            ret = 1;
            goto out;
        }
        if (!token) {
            ret = 0;
            goto out;
        }
    }
    ret = 0;
out:
    free(token);
    free(path);
    free(fq);
    free(filter);
    return ret;
}

static int trigger_custom_job(struct vertex *v, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                              char *err, size_t errlen)
{
    int ret = -1;
    char label[VX_LABEL_MAX + 1];
    char *path = pu_strf("%s/customJobs", v->parent);
    json_t *body = custom_job_body(v, ev), *job = NULL;
    vx_label_value(ev->key, label, sizeof label);
    if (!path || !body) {
        snprintf(err, errlen, "vertex: customJobs.create %s: cannot build the request (out of memory or text that "
                 "is not UTF-8)", v->parent);
        goto out;
    }
    if (ev->dry_run) {
        log_dry_run(v, "POST", path, NULL, body);
        fill_result(res, "", "DRY_RUN");
        ret = 0;
        goto out;
    }

    /* The fleet's drift episode: a custom job of this model created within the cooldown is this
     * trigger's job. */
    int joined = vx_find_recent_job(v, 0, ev, &job, err, errlen);
    if (joined < 0)
        goto out;
    if (joined)
        log_joining(v, "custom", job, ev);

    /* customJobs.create has no client-chosen id: a blind retry after a lost answer would start a
     * second job. So every (re-)create is preceded by a list by the key's label. */
    int64_t start = pu_now_ms();
    int64_t delay = v->cfg.retry_delay;
    for (int attempt = 1; !joined; attempt++) {
        int found = find_custom_job(v, label, &job, err, errlen);
        if (found < 0)
            goto out;
        if (found) {
            v->host->log(v->ctx, DW_LOG_INFO, "vertex: custom job %s with label %s=%s exists already: using it",
                         json_string_value(json_object_get(job, "name")), VX_KEY_LABEL, label);
            joined = attempt == 1; /* there before this trigger created anything */
            break;
        }
        long status = 0;
        if (vx_call(v, "customJobs.create", v->parent, "POST", path, NULL, body, VX_NO_RETRY, &status, &job, err,
                    errlen) == 0)
            break;
        json_decref(job);
        job = NULL;
        /* A 4xx other than 429 means the create was refused: nothing to find, no point retrying.
         * No answer, 429 or 5xx: it may or may not exist; look again before trying again. */
        int ambiguous = status == 0 || status == 408 || status == 429 || status >= 500;
        if (!ambiguous)
            goto out;
        int64_t wait = pu_random_upto(delay);
        if (attempt >= v->cfg.max_attempts || pu_now_ms() - start + wait >= v->cfg.deadline) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, "; gave up after %d create attempt%s (a job may still appear with "
                     "label %s=%s)", attempt, attempt == 1 ? "" : "s", VX_KEY_LABEL, label);
            goto out;
        }
        v->host->log(v->ctx, DW_LOG_WARN, "%s; looking for the job by label before trying again", err);
        if (pu_sleep(&v->lock, &v->cond, &v->stopping, wait)) {
            snprintf(err, errlen, "vertex: customJobs.create %s: stopped", v->parent);
            goto out;
        }
        delay = delay * 2 > VX_RETRY_CAP_MS ? VX_RETRY_CAP_MS : delay * 2;
    }
    const char *name = json_string_value(json_object_get(job, "name"));
    if (!name) {
        snprintf(err, errlen, "vertex: customJobs.create %s: the answer has no job name", v->parent);
        goto out;
    }
    fill_result(res, name, json_string_value(json_object_get(job, "state")));
    if (!res->state[0])
        snprintf(res->state, sizeof res->state, "JOB_STATE_UNSPECIFIED");
    if (joined)
        res->joined = 1;
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: custom job %s for model %s: %s%s", res->job_id,
                 ev->model ? ev->model : "?", res->state, joined ? " (joined)" : "");
    err[0] = '\0';
    ret = 0;
out:
    json_decref(job);
    json_decref(body);
    free(path);
    return ret;
}

/* ---- poller ---- */

/* Records j in the pending-jobs file <state_dir>/vertex-<instance>.jobs.json (plugin_common.h),
 * or forgets it once done. Caller holds v->lock. A failed write is logged: polling goes on, only a
 * restart would forget the job. */
static void pending_save_locked(struct vertex *v, const struct vx_tracked_job *j, int done)
{
    char err[512] = "";
    int rc = 0;
    if (!v->pending)
        return;
    if (done) {
        rc = pu_pending_jobs_remove(v->pending, j->name, err, sizeof err);
    } else {
        json_t *rec = json_pack("{s:s, s:b, s:s}", "name", j->name, "pipeline", j->pipeline, "state", j->state);
        rc = rec ? pu_pending_jobs_put(v->pending, rec, err, sizeof err) : -1;
        if (!rec)
            snprintf(err, sizeof err, "out of memory");
        json_decref(rec);
    }
    if (rc < 0)
        v->host->log(v->ctx, DW_LOG_WARN, "vertex: pending jobs: %s (job %s would not be polled after a restart)",
                     err, j->name);
}

/* Caller holds v->lock. */
static int track_locked(struct vertex *v, const char *name, int pipeline, const char *state)
{
    for (struct vx_tracked_job *j = v->jobs; j; j = j->next)
        if (strcmp(j->name, name) == 0)
            return 0;
    struct vx_tracked_job *j = calloc(1, sizeof *j);
    if (j)
        j->name = strdup(name);
    if (!j || !j->name) {
        free(j);
        return -1;
    }
    j->pipeline = pipeline;
    snprintf(j->state, sizeof j->state, "%s", state ? state : "");
    j->interval_ms = v->cfg.poll_interval;
    j->next_poll_ms = pu_now_ms() + j->interval_ms;
    j->next = v->jobs;
    v->jobs = j;
    pending_save_locked(v, j, 0);
    pthread_cond_broadcast(&v->cond);
    return 0;
}

/* The jobs the previous process left unfinished (files written before the store kept a "state"
 * read the same): polled again, the first time at once. Their state starts empty, so the first
 * answer is exported whatever it is. */
static void jobs_load(struct vertex *v)
{
    char err[512] = "";
    if (v->pending)
        return;
    int rc = pu_pending_jobs_open(v->host->state_dir, VX_NAME, v->name, &v->pending, err, sizeof err);
    if (rc != 0) {
        v->host->log(v->ctx, DW_LOG_WARN, "vertex: pending jobs: %s", rc < 0 ? "out of memory" : err);
        if (!v->pending)
            return;
    }
    pthread_mutex_lock(&v->lock);
    json_t *arr = json_deep_copy(pu_pending_jobs_list(v->pending));
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
        const char *name = json_string_value(json_object_get(it, "name"));
        if (track_locked(v, name, json_is_true(json_object_get(it, "pipeline")), "") == 0)
            v->host->log(v->ctx, DW_LOG_INFO, "vertex: resuming the polling of job %s", name);
    }
    for (struct vx_tracked_job *j = v->jobs; j; j = j->next)
        j->next_poll_ms = pu_now_ms();
    pthread_mutex_unlock(&v->lock);
    json_decref(arr);
}

static void log_final(struct vertex *v, const char *name, const char *state, json_t *job)
{
    if (state_is_success(state)) {
        v->host->log(v->ctx, DW_LOG_INFO, "vertex: job %s finished: %s", name, state);
        return;
    }
    char why[1024] = "no error details";
    json_t *e = json_object_get(job, "error");
    if (json_is_object(e))
        vx_status_text(e, why, sizeof why);
    v->host->log(v->ctx, DW_LOG_ERROR, "vertex: job %s finished: %s: %s", name, state, why);
}

static void poll_one(struct vertex *v, const char *name, int pipeline)
{
    char err[1024];
    long status = 0;
    json_t *job = NULL;
    const char *op = pipeline ? "pipelineJobs.get" : "customJobs.get";
    int rc = vx_call(v, op, name, "GET", name, NULL, NULL, VX_POLL, &status, &job, err, sizeof err);
    const char *state = json_string_value(json_object_get(job, "state"));

    pthread_mutex_lock(&v->lock);
    struct vx_tracked_job **pp = &v->jobs;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    struct vx_tracked_job *j = *pp;
    if (!j)
        goto out;
    if (rc < 0 || !state) {
        if (status == 404) {
            v->host->log(v->ctx, DW_LOG_WARN, "%s: no longer exists; stopped following it", err);
            *pp = j->next;
            pending_save_locked(v, j, 1);
            free(j->name);
            free(j);
            goto out;
        }
        v->host->log(v->ctx, DW_LOG_WARN, "%s", rc < 0 ? err : "vertex: job answer without a state");
    } else {
        if (strcmp(j->state, state) != 0) {
            export_state(v, name, j->state, state);
            v->host->log(v->ctx, DW_LOG_INFO, "vertex: job %s: %s", name, state);
            snprintf(j->state, sizeof j->state, "%s", state);
            if (!state_is_final(state))
                pending_save_locked(v, j, 0);
        }
        if (state_is_final(state)) {
            log_final(v, name, state, job);
            const char *labels[] = {"plugin", v->name, "state", state, NULL};
            v->host->counter_add(v->ctx, "driftwatch_trainer_jobs_finished_total",
                                 "Retraining jobs that reached a final state.", labels, 1);
            *pp = j->next;
            pending_save_locked(v, j, 1);
            free(j->name);
            free(j);
            goto out;
        }
    }
    j->interval_ms = j->interval_ms * 2 > v->cfg.poll_max_interval ? v->cfg.poll_max_interval : j->interval_ms * 2;
    j->next_poll_ms = pu_now_ms() + j->interval_ms;
out:
    pthread_mutex_unlock(&v->lock);
    json_decref(job);
}

static void *poller_main(void *arg)
{
    struct vertex *v = arg;
    pthread_mutex_lock(&v->lock);
    while (!v->stopping) {
        struct vx_tracked_job *due = NULL;
        int64_t next = -1;
        for (struct vx_tracked_job *j = v->jobs; j; j = j->next) {
            if (next < 0 || j->next_poll_ms < next) {
                next = j->next_poll_ms;
                due = j;
            }
        }
        int64_t now = pu_now_ms();
        if (due && next <= now) {
            char *name = strdup(due->name);
            int pipeline = due->pipeline;
            if (!name) {
                due->next_poll_ms = now + due->interval_ms;
                continue;
            }
            pthread_mutex_unlock(&v->lock);
            poll_one(v, name, pipeline);
            free(name);
            pthread_mutex_lock(&v->lock);
            continue;
        }
        if (!due) {
            pthread_cond_wait(&v->cond, &v->lock);
            continue;
        }
        pu_cond_wait_ms(&v->cond, &v->lock, next - now);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

int vx_poller_start(struct vertex *v, char *err, size_t errlen)
{
    if (!v->cfg.poll || v->thread_running)
        return 0;
    jobs_load(v);
    pthread_mutex_lock(&v->lock);
    v->stopping = 0;
    int rc = pthread_create(&v->thread, NULL, poller_main, v);
    v->thread_running = rc == 0;
    pthread_mutex_unlock(&v->lock);
    if (rc != 0) {
        snprintf(err, errlen, "vertex: cannot start the job poller thread");
        return -1;
    }
    return 0;
}

void vx_poller_stop(struct vertex *v)
{
    pthread_mutex_lock(&v->lock);
    int running = v->thread_running;
    v->stopping = 1;
    v->thread_running = 0;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    if (running)
        pthread_join(v->thread, NULL);
}

void vx_poller_free(struct vertex *v)
{
    while (v->jobs) {
        struct vx_tracked_job *j = v->jobs;
        v->jobs = j->next;
        free(j->name);
        free(j);
    }
    pu_pending_jobs_free(v->pending);
    v->pending = NULL;
}

/* ---- trigger ---- */

int vx_trigger(struct vertex *v, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
               size_t errlen)
{
    if (!ev || !ev->key || !*ev->key) {
        snprintf(err, errlen, "vertex: trigger without an idempotency key");
        return -1;
    }
    if (v->action == VX_ACTIONS_ONLY) {
        snprintf(err, errlen, "vertex: action none: this instance does not retrain (set action: pipeline or "
                 "custom_job)");
        return -1;
    }
    int pipeline = v->action == VX_PIPELINE;
    int rc = pipeline ? trigger_pipeline(v, ev, res, err, errlen) : trigger_custom_job(v, ev, res, err, errlen);
    if (rc < 0 || ev->dry_run)
        return rc;
    export_state(v, res->job_id, NULL, res->state);
    if (state_is_final(res->state))
        return 0;
    pthread_mutex_lock(&v->lock);
    if (v->thread_running && track_locked(v, res->job_id, pipeline, res->state) < 0)
        v->host->log(v->ctx, DW_LOG_WARN, "vertex: out of memory: job %s will not be polled", res->job_id);
    pthread_mutex_unlock(&v->lock);
    return 0;
}

/* ---- actions get_job / wait_job ---- */

/* A job given as a full resource name, or as an id: digits are a custom job, else a pipeline job. */
static char *job_name(struct vertex *v, json_t *params, int *pipeline, char *err, size_t errlen)
{
    const char *job = json_string_value(json_object_get(params, "job"));
    if (!job || !*job) {
        snprintf(err, errlen, "vertex: params need \"job\": a job resource name or id");
        return NULL;
    }
    if (strncmp(job, "projects/", 9) == 0) {
        *pipeline = strstr(job, "/pipelineJobs/") != NULL;
        if (!*pipeline && !strstr(job, "/customJobs/")) {
            snprintf(err, errlen, "vertex: job %s is neither a pipelineJob nor a customJob name", job);
            return NULL;
        }
        return strdup(job);
    }
    *pipeline = strspn(job, "0123456789") != strlen(job);
    return pu_strf("%s/%s/%s", v->parent, *pipeline ? "pipelineJobs" : "customJobs", job);
}

static json_t *job_summary(json_t *job)
{
    static const char *const keys[] = {"name", "displayName", "state", "createTime", "startTime", "endTime",
                                       "updateTime", "error", "labels"};
    json_t *out = json_object();
    for (size_t i = 0; out && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *val = json_object_get(job, keys[i]);
        if (val)
            json_object_set(out, keys[i], val);
    }
    return out;
}

static int get_job(struct vertex *v, const char *name, int pipeline, json_t **job, char *err, size_t errlen)
{
    long status = 0;
    int rc = vx_call(v, pipeline ? "pipelineJobs.get" : "customJobs.get", name, "GET", name, NULL, NULL, VX_RETRY,
                     &status, job, err, errlen);
    if (rc == 0 && !json_string_value(json_object_get(*job, "state"))) {
        snprintf(err, errlen, "vertex: %s %s: the answer has no state", pipeline ? "pipelineJobs.get" : "customJobs.get",
                 name);
        rc = -1;
    }
    if (rc < 0) {
        json_decref(*job);
        *job = NULL;
    }
    return rc;
}

int vx_action_get_job(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int pipeline = 0;
    json_t *job = NULL;
    char *name = job_name(v, params, &pipeline, err, errlen);
    int rc = name ? get_job(v, name, pipeline, &job, err, errlen) : -1;
    if (rc == 0)
        *result = job_summary(job);
    json_decref(job);
    free(name);
    return rc;
}

int vx_action_wait_job(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int pipeline = 0, ret = -1;
    json_t *job = NULL;
    char *name = job_name(v, params, &pipeline, err, errlen);
    json_t *t = json_object_get(params, "timeout");
    int64_t limit = json_is_number(t) ? (int64_t)(json_number_value(t) * 1000) : 24 * 3600 * 1000LL;
    int64_t start = pu_now_ms(), interval = v->cfg.poll_interval;
    if (!name)
        return -1;
    for (;;) {
        if (get_job(v, name, pipeline, &job, err, errlen) < 0)
            goto out;
        const char *state = json_string_value(json_object_get(job, "state"));
        if (state_is_final(state)) {
            if (!state_is_success(state)) {
                char why[1024] = "no error details";
                json_t *e = json_object_get(job, "error");
                if (json_is_object(e))
                    vx_status_text(e, why, sizeof why);
                snprintf(err, errlen, "vertex: job %s ended %s: %s", name, state, why);
                goto out;
            }
            *result = job_summary(job);
            ret = *result ? 0 : -1;
            goto out;
        }
        int64_t left = limit - (pu_now_ms() - start);
        if (left <= 0) {
            snprintf(err, errlen, "vertex: job %s still %s after the %.0f s timeout", name, state, (double)limit / 1000);
            goto out;
        }
        json_decref(job);
        job = NULL;
        if (pu_sleep(&v->lock, &v->cond, &v->stopping, interval < left ? interval : left)) {
            snprintf(err, errlen, "vertex: waiting for job %s: stopped", name);
            goto out;
        }
        interval = interval * 2 > v->cfg.poll_max_interval ? v->cfg.poll_max_interval : interval * 2;
    }
out:
    json_decref(job);
    free(name);
    return ret;
}
