/* One event as one MLflow run, idempotent by its key: the run is looked up by its driftwatch.key tag
 * (runs/search) before every create, so a retry after a create whose answer was lost, a restart, or
 * another replica's run of the same trigger key reuses the run instead of adding one. MLflow has no
 * client-chosen run id; two writers racing between search and create can still both create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlflow.h"

/* log-batch limits (MLflow REST API): per request at most 1000 metrics, 100 params, 100 tags and
 * 1000 items in all. */
#define ML_BATCH_METRICS 1000
#define ML_BATCH_PARAMS 100
#define ML_RETRY_CAP_MS 60000

/* The experiment name with each "{model}" replaced by the model; malloc'd or NULL. */
static char *experiment_name(const struct ml *m, const char *model)
{
    const char *tpl = m->experiment;
    size_t n = strlen(tpl) + 1, mlen = strlen(model);
    for (const char *p = strstr(tpl, "{model}"); p; p = strstr(p + 7, "{model}"))
        n += mlen;
    char *out = malloc(n), *o = out;
    for (const char *p = tpl; out && *p;) {
        if (strncmp(p, "{model}", 7) == 0) {
            memcpy(o, model, mlen);
            o += mlen;
            p += 7;
        } else {
            *o++ = *p++;
        }
    }
    if (out)
        *o = '\0';
    return out;
}

/* The key goes between single quotes of a search filter: it must not end the string. */
static int filter_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == '\'' || *p == '\\' || *p == '`' || *p == 0x7f)
            return 0;
    return 1;
}

/* runs/search for the run tagged with key: 1 with *run (new reference), 0 none, or a failure. */
static int find_run(struct ml *m, const char *experiment_id, const char *key, json_t **run, char *err,
                    size_t errlen)
{
    long status;
    char *code = NULL;
    json_t *answer = NULL;
    char *filter = pu_strf("tags.`" ML_TAG_KEY "` = '%s'", key);
    json_t *body = filter ? json_pack("{s:[s], s:s, s:i, s:s}", "experiment_ids", experiment_id, "filter", filter,
                                      "max_results", 1, "run_view_type", "ACTIVE_ONLY")
                          : NULL;
    free(filter);
    *run = NULL;
    int rc = body ? ml_call(m, "POST", "runs/search", NULL, body, m->max_attempts, &status, &code, &answer, err,
                            errlen)
                  : PU_HTTP_TRANSIENT;
    json_decref(body);
    free(code);
    if (rc == PU_HTTP_OK) {
        /* An empty result is {} (protobuf JSON leaves an empty list out). */
        json_t *first = json_array_get(json_object_get(answer, "runs"), 0);
        if (first) {
            *run = json_incref(first);
            rc = 1;
        }
    }
    json_decref(answer);
    return rc;
}

/* runs/create, one attempt (see ml_record). PU_HTTP_OK with *run_id. */
static int create_run(struct ml *m, const char *experiment_id, const json_t *event, const char *key, char **run_id,
                      long *status, char *err, size_t errlen)
{
    char *code = NULL, *name = ml_run_name(event);
    json_t *answer = NULL, *tags = ml_run_tags(event, key);
    json_t *body = name && tags ? json_pack("{s:s, s:s, s:I, s:O}", "experiment_id", experiment_id, "run_name", name,
                                            "start_time", json_integer_value(json_object_get(event, "time_ms")),
                                            "tags", tags)
                                : NULL;
    int rc = PU_HTTP_TRANSIENT;
    if (!body)
        snprintf(err, errlen, "mlflow %s: out of memory", m->name);
    else
        rc = ml_call(m, "POST", "runs/create", NULL, body, 1, status, &code, &answer, err, errlen);
    if (rc == PU_HTTP_OK) {
        const char *id = json_string_value(json_object_get(json_object_get(json_object_get(answer, "run"), "info"),
                                                           "run_id"));
        if (!id || !*id) {
            snprintf(err, errlen, "mlflow %s: POST %s/api/2.0/mlflow/runs/create: the answer has no run.info.run_id",
                     m->name, m->base_desc);
            rc = PU_HTTP_REFUSED;
        } else if (!(*run_id = pu_strdup(id))) {
            rc = PU_HTTP_TRANSIENT;
        }
    }
    free(code);
    free(name);
    json_decref(tags);
    json_decref(body);
    json_decref(answer);
    return rc;
}

/* The keys of the params a found run holds already, as a JSON object used as a set; NULL when out
 * of memory. */
static json_t *logged_params(const json_t *run)
{
    json_t *keys = json_object();
    size_t i;
    json_t *param;
    json_array_foreach(json_object_get(json_object_get(run, "data"), "params"), i, param) {
        const char *k = json_string_value(json_object_get(param, "key"));
        if (keys && k && json_object_set_new(keys, k, json_true()) < 0) {
            json_decref(keys);
            return NULL;
        }
    }
    return keys;
}

/* The run of key in the experiment, found or created; a create whose outcome is unknown (no answer,
 * 429, 5xx) is retried only after another search. Sets *found, and *have_params to the keys of the
 * params the run holds (new reference). */
static int find_or_create(struct ml *m, const char *experiment_id, const json_t *event, const char *key,
                          char **run_id, int *finished, int *found, json_t **have_params, char *err, size_t errlen)
{
    int64_t deadline = pu_now_ms() + m->deadline_ms;
    int64_t delay = m->retry_delay_ms;
    for (int attempt = 1;; attempt++) {
        json_t *run = NULL;
        int rc = find_run(m, experiment_id, key, &run, err, errlen);
        if (rc == 1) {
            json_t *info = json_object_get(run, "info");
            const char *id = json_string_value(json_object_get(info, "run_id"));
            const char *st = json_string_value(json_object_get(info, "status"));
            *finished = st && strcmp(st, "FINISHED") == 0;
            *found = attempt == 1; /* a later round finds the run this record's own create made */
            *run_id = id ? pu_strdup(id) : NULL;
            *have_params = logged_params(run);
            json_decref(run);
            if (!*run_id) {
                snprintf(err, errlen, "mlflow %s: runs/search answered a run without info.run_id", m->name);
                return PU_HTTP_REFUSED;
            }
            if (!*have_params) {
                snprintf(err, errlen, "mlflow %s: out of memory", m->name);
                return PU_HTTP_TRANSIENT;
            }
            return PU_HTTP_OK;
        }
        if (rc != 0)
            return rc;
        long status = 0;
        rc = create_run(m, experiment_id, event, key, run_id, &status, err, errlen);
        if (rc == PU_HTTP_OK && !(*have_params = json_object())) {
            snprintf(err, errlen, "mlflow %s: out of memory", m->name);
            return PU_HTTP_TRANSIENT;
        }
        if (rc != PU_HTTP_TRANSIENT)
            return rc;
        int64_t wait = pu_random_upto(delay);
        if (pu_now_ms() + wait >= deadline) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (gave up after %d attempt%s)", attempt, attempt == 1 ? "" : "s");
            return rc;
        }
        m->host->log(m->ctx, DW_LOG_WARN, "%s; searching for the run again before another create in %lld ms", err,
                     (long long)wait);
        if (pu_sleep(&m->lock, &m->cond, &m->stopping, wait)) {
            snprintf(err, errlen, "mlflow %s: stopping before the run of %s was created", m->name, key);
            return PU_HTTP_TRANSIENT;
        }
        delay = delay * 2 > ML_RETRY_CAP_MS ? ML_RETRY_CAP_MS : delay * 2;
    }
}

/* The slice [from, from + n) of arr as a new array (borrowing nothing). */
static json_t *slice(const json_t *arr, size_t from, size_t n)
{
    json_t *out = json_array();
    for (size_t i = from; out && i < from + n && i < json_array_size(arr); i++)
        if (json_array_append(out, json_array_get(arr, i)) < 0) {
            json_decref(out);
            return NULL;
        }
    return out;
}

/* The event's params but those whose key the run holds already (new reference; NULL: out of memory). */
static json_t *params_to_log(const json_t *event, const json_t *have)
{
    json_t *all = ml_run_params(event), *out = json_array();
    size_t i;
    json_t *param;
    json_array_foreach(all, i, param) {
        const char *k = json_string_value(json_object_get(param, "key"));
        if (out && !json_object_get(have, k) && json_array_append(out, param) < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (!all) {
        json_decref(out);
        out = NULL;
    }
    json_decref(all);
    return out;
}

/* log-batch of the event's metrics and of its params the run does not hold yet (have), in requests
 * within MLflow's limits. Metrics carry the event's time and step 0: a repeat of this process's
 * event logs the same points again, which MLflow keeps as one. */
static int log_batches(struct ml *m, const char *run_id, const json_t *event, const json_t *have, char *err,
                       size_t errlen)
{
    json_t *metrics = ml_run_metrics(event), *params = params_to_log(event, have);
    int rc = PU_HTTP_OK;
    if (!metrics || !params) {
        snprintf(err, errlen, "mlflow %s: out of memory", m->name);
        rc = PU_HTTP_TRANSIENT;
    }
    size_t nm = json_array_size(metrics), np = json_array_size(params);
    for (size_t im = 0, ip = 0; rc == PU_HTTP_OK && (im < nm || ip < np);) {
        /* Params first (at most 100 a request), metrics fill the rest of the 1000 items. */
        size_t take_p = np - ip < ML_BATCH_PARAMS ? np - ip : ML_BATCH_PARAMS;
        size_t room = ML_BATCH_METRICS - take_p;
        size_t take_m = nm - im < room ? nm - im : room;
        json_t *mpart = slice(metrics, im, take_m), *ppart = slice(params, ip, take_p);
        json_t *body = mpart && ppart ? json_pack("{s:s, s:O, s:O}", "run_id", run_id, "metrics", mpart, "params",
                                                  ppart)
                                      : NULL;
        long status;
        char *code = NULL;
        rc = body ? ml_call(m, "POST", "runs/log-batch", NULL, body, m->max_attempts, &status, &code, NULL, err, errlen)
                  : PU_HTTP_TRANSIENT;
        free(code);
        json_decref(body);
        json_decref(mpart);
        json_decref(ppart);
        im += take_m;
        ip += take_p;
    }
    json_decref(metrics);
    json_decref(params);
    return rc;
}

static int finish_run(struct ml *m, const char *run_id, char *err, size_t errlen)
{
    long status;
    char *code = NULL;
    json_t *body = json_pack("{s:s, s:s, s:I}", "run_id", run_id, "status", "FINISHED", "end_time",
                             (json_int_t)((int64_t)time(NULL) * 1000));
    int rc = body ? ml_call(m, "POST", "runs/update", NULL, body, m->max_attempts, &status, &code, NULL, err, errlen)
                  : PU_HTTP_TRANSIENT;
    free(code);
    json_decref(body);
    return rc;
}

int ml_record(struct ml *m, const json_t *event, char **run_id, char *err, size_t errlen)
{
    int rc = PU_HTTP_REFUSED;
    char *experiment = NULL, *experiment_id = NULL;
    json_t *have_params = NULL;
    const char *what = json_string_value(json_object_get(event, "event"));
    const char *model = json_string_value(json_object_get(event, "model"));
    char *key = ml_event_key(event);
    *run_id = NULL;
    if (!key || !model || !what) {
        snprintf(err, errlen, "mlflow %s: an event without event, model, key or time_ms: not recorded", m->name);
        goto out;
    }
    if (!filter_safe(key)) {
        snprintf(err, errlen, "mlflow %s: key %s has a quote, backslash, backtick or control character: it cannot be "
                 "searched for, not recorded", m->name, key);
        goto out;
    }
    if (!(experiment = experiment_name(m, model))) {
        snprintf(err, errlen, "mlflow %s: out of memory", m->name);
        rc = PU_HTTP_TRANSIENT;
        goto out;
    }
    rc = ml_experiment_id(m, experiment, &experiment_id, err, errlen);
    if (rc != PU_HTTP_OK)
        goto out;
    int finished = 0, found = 0;
    rc = find_or_create(m, experiment_id, event, key, run_id, &finished, &found, &have_params, err, errlen);
    if (rc != PU_HTTP_OK)
        goto out;
    if (finished) {
        m->host->log(m->ctx, DW_LOG_INFO, "mlflow: run %s of %s %s (key %s) is recorded already in experiment %s: "
                     "not logging it again", *run_id, what, model, key, experiment);
        ml_count(m, what, "found");
        goto out;
    }
    /* A run found unfinished was left by a record cut short (a crash, an error), or another replica
     * of the model is recording the same key right now: completed now, leaving out the params it
     * holds already (MLflow never lets a param change, and replicas differ in their episode start
     * and the job's state). */
    if ((rc = log_batches(m, *run_id, event, have_params, err, errlen)) != PU_HTTP_OK ||
        (rc = finish_run(m, *run_id, err, errlen)) != PU_HTTP_OK)
        goto out;
    m->host->log(m->ctx, DW_LOG_INFO, "mlflow: %s run %s for %s of model %s (key %s) in experiment %s (id %s)",
                 found ? "completed" : "recorded", *run_id, what, model, key, experiment, experiment_id);
    ml_count(m, what, found ? "found" : "created");
out:
    if (rc != PU_HTTP_OK) {
        free(*run_id);
        *run_id = NULL;
    }
    json_decref(have_params);
    free(key);
    free(experiment);
    free(experiment_id);
    return rc;
}
