/* Retraining runs on Kubeflow Pipelines: one run per trigger key, named driftwatch-<key>. KFP has
 * no client-chosen run id, so runs are listed by that display name before every create: a retry
 * (after a 503, a timeout whose create went through, a restart) reuses the run instead of adding one.
 * First of all, a run of this model created within the cooldown (another replica's, docs/operations.md)
 * is joined instead of creating one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfp.h"

#define KFP_RUNS_PATH "/apis/v2beta1/runs"
#define KFP_RETRY_CAP_MS 60000
/* Reads are safe to retry: the host does, within the trigger's deadline. */
#define KFP_READ_ATTEMPTS 4
/* Time kept back for the list that precedes each create: sleeping closer to the deadline than this
 * would end in a list timing out, whose error hides the create's (a 503 says more than a timeout). */
#define KFP_ROUND_RESERVE_MS 250
/* Pages of the fleet lookup read at most (100 runs each). */
#define KFP_LOOKUP_MAX_PAGES 50

static int set_str(json_t *obj, const char *key, const char *val)
{
    json_t *s = json_string(val ? val : "");
    return s ? json_object_set_new(obj, key, s) : -1;
}

/* The CreateRun body: {"display_name", "experiment_id", "pipeline_version_reference": {"pipeline_id",
 * "pipeline_version_id"}, "runtime_config": {"parameters", "pipeline_root"}}. */
static json_t *run_body(struct kfp *k, const struct dw_trigger_event *ev, const char *display_name)
{
    json_t *body = json_object(), *ref = json_object(), *rc = json_object(), *params = json_object();
    char *features = pu_join_features(ev);
    int bad = !body || !ref || !rc || !params || !features;
    if (!bad)
        bad |= set_str(body, "display_name", display_name) < 0;
    if (!bad && k->experiment_id)
        bad |= set_str(body, "experiment_id", k->experiment_id) < 0;
    if (!bad)
        bad |= set_str(ref, "pipeline_id", k->pipeline_id) < 0;
    if (!bad && k->pipeline_version_id)
        bad |= set_str(ref, "pipeline_version_id", k->pipeline_version_id) < 0;
    if (!bad && k->drift_parameters) {
        /* Named so a pipeline can declare them as string inputs; configured values win. */
        bad |= set_str(params, "model", ev->model) < 0;
        bad |= set_str(params, "data_version", ev->data_version) < 0;
        bad |= set_str(params, "window_end", ev->window_end) < 0;
        bad |= set_str(params, "drifted_features", features) < 0;
    }
    if (!bad)
        bad |= json_object_update(params, k->parameters) < 0;
    if (!bad)
        bad |= json_object_set(rc, "parameters", params) < 0;
    if (!bad && k->pipeline_root)
        bad |= set_str(rc, "pipeline_root", k->pipeline_root) < 0;
    if (!bad) {
        bad |= json_object_set(body, "pipeline_version_reference", ref) < 0;
        bad |= json_object_set(body, "runtime_config", rc) < 0;
    }
    json_decref(ref);
    json_decref(rc);
    json_decref(params);
    free(features);
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* The ListRuns query for runs with this exact display name (v2beta1 filter.proto: a url-encoded,
 * JSON-serialised Filter), oldest first, in the configured experiment / namespace. */
static char *list_query(struct kfp *k, const char *display_name)
{
    json_t *filter = json_pack("{s:[{s:s, s:s, s:s}]}", "predicates", "key", "display_name", "operation", "EQUALS",
                               "string_value", display_name);
    char *text = filter ? json_dumps(filter, JSON_COMPACT) : NULL;
    char *enc = text ? pu_query_escape(text) : NULL;
    char *exp = k->experiment_id ? pu_query_escape(k->experiment_id) : NULL;
    char *ns = k->namespace_ ? pu_query_escape(k->namespace_) : NULL;
    char *q = NULL;
    if (enc && (!k->experiment_id || exp) && (!k->namespace_ || ns))
        q = pu_strf("filter=%s&page_size=10&sort_by=created_at%%20asc%s%s%s%s", enc, exp ? "&experiment_id=" : "",
                     exp ? exp : "", ns ? "&namespace=" : "", ns ? ns : "");
    free(ns);
    free(exp);
    free(enc);
    free(text);
    json_decref(filter);
    return q;
}

/* 1: a run with this display name exists (*run set, new reference), 0: none, -1: error. */
static int find_run(struct kfp *k, const char *display_name, int64_t budget_ms, json_t **run, char *err,
                    size_t errlen)
{
    long status;
    json_t *list = NULL;
    *run = NULL;
    char *query = list_query(k, display_name);
    if (!query) {
        snprintf(err, errlen, "kfp: out of memory");
        return -1;
    }
    int rc = kfp_call(k, "GET", KFP_RUNS_PATH, query, NULL, KFP_READ_ATTEMPTS, budget_ms, &status, &list, err, errlen);
    free(query);
    if (rc < 0) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, " (listing runs named %s before creating one)", display_name);
        return -1;
    }
    size_t i;
    json_t *r;
    /* Compared here as well: the name must match exactly, whatever the server's filter did. */
    json_array_foreach(json_object_get(list, "runs"), i, r) {
        const char *name = json_string_value(json_object_get(r, "display_name"));
        if (name && strcmp(name, display_name) == 0 && json_string_value(json_object_get(r, "run_id"))) {
            *run = json_incref(r);
            break;
        }
    }
    json_decref(list);
    return *run ? 1 : 0;
}

/* The ListRuns query for the runs whose display name holds prefix, created after `since`
 * (RFC 3339), one page (token: the previous answer's next_page_token, or NULL). v2beta1's
 * filter.proto has no prefix operation: IS_SUBSTRING, the prefix itself checked by the caller. */
static char *episode_query(struct kfp *k, const char *prefix, const char *since, const char *token)
{
    json_t *filter = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "predicates", "key", "display_name",
                               "operation", "IS_SUBSTRING", "string_value", prefix, "key", "created_at", "operation",
                               "GREATER_THAN", "timestamp_value", since);
    char *text = filter ? json_dumps(filter, JSON_COMPACT) : NULL;
    char *enc = text ? pu_query_escape(text) : NULL;
    char *tok = token ? pu_query_escape(token) : NULL;
    char *exp = k->experiment_id ? pu_query_escape(k->experiment_id) : NULL;
    char *ns = k->namespace_ ? pu_query_escape(k->namespace_) : NULL;
    char *q = NULL;
    if (enc && (!token || tok) && (!k->experiment_id || exp) && (!k->namespace_ || ns))
        q = pu_strf("filter=%s&page_size=100&sort_by=created_at%%20asc%s%s%s%s%s%s", enc, tok ? "&page_token=" : "",
                    tok ? tok : "", exp ? "&experiment_id=" : "", exp ? exp : "", ns ? "&namespace=" : "", ns ? ns : "");
    free(ns);
    free(exp);
    free(tok);
    free(enc);
    free(text);
    json_decref(filter);
    return q;
}

/* Whether a run's display name is prefix + "<data version>-<bucket>": the key of the same model,
 * not of a model whose name merely starts the same ("fraud" and "fraud-v2"). */
static int name_of_model(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!name || strncmp(name, prefix, n) != 0)
        return 0;
    const char *rest = name + n, *dash = strchr(rest, '-');
    if (!dash || dash == rest || !dash[1])
        return 0;
    return strspn(dash + 1, "0123456789") == strlen(dash + 1);
}

/* 1: a run of the event's model created within its cooldown exists (*run set, new reference),
 * 0: none (or a cooldown of 0, or the key is not a fleet key), -1: error. */
static int find_episode_run(struct kfp *k, const struct dw_trigger_event *ev, int64_t deadline, json_t **run,
                            char *err, size_t errlen)
{
    int64_t cooldown = ev->cooldown_ms;
    char *model = cooldown > 0 ? pu_key_model_part(ev->key) : NULL;
    char *prefix = model ? pu_strf("driftwatch-%s-", model) : NULL;
    char *token = NULL, since[32];
    int ret = 0;
    *run = NULL;
    free(model);
    if (!prefix)
        return 0;
    int64_t cutoff = pu_lookup_cutoff(cooldown);
    pu_rfc3339(cutoff, since, sizeof since);
    for (int page = 0; page < KFP_LOOKUP_MAX_PAGES; page++) {
        char *query = episode_query(k, prefix, since, token);
        json_t *list = NULL;
        long status;
        int64_t left = deadline - pu_now_ms();
        if (!query) {
            snprintf(err, errlen, "kfp: out of memory");
            ret = -1;
            break;
        }
        int rc = kfp_call(k, "GET", KFP_RUNS_PATH, query, NULL, KFP_READ_ATTEMPTS, left > 0 ? left : 1, &status, &list,
                          err, errlen);
        free(query);
        if (rc < 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (looking for runs named %s* created since %s before creating one)",
                     prefix, since);
            ret = -1;
            break;
        }
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(list, "runs"), i, r) {
            int64_t created = 0;
            const char *at = json_string_value(json_object_get(r, "created_at"));
            if (name_of_model(json_string_value(json_object_get(r, "display_name")), prefix) &&
                json_string_value(json_object_get(r, "run_id")) &&
                (!at || pu_parse_rfc3339(at, &created) < 0 || created > cutoff)) {
                *run = json_incref(r);
                break;
            }
        }
        free(token);
        const char *next = json_string_value(json_object_get(list, "next_page_token"));
        token = next && *next ? pu_strdup(next) : NULL;
        json_decref(list);
        if (*run || !token)
            break;
    }
    if (*run)
        ret = 1;
    free(token);
    free(prefix);
    return ret;
}

/* A create whose outcome is unknown may have made the run: list again before trying once more. */
static int create_retryable(long status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

static void use_run(struct kfp *k, json_t *run, const char *display_name, struct dw_trigger_result *res)
{
    const char *id = json_string_value(json_object_get(run, "run_id"));
    const char *state = json_string_value(json_object_get(run, "state"));
    if (!state || !*state)
        state = "PENDING";
    snprintf(res->job_id, sizeof res->job_id, "%s", id ? id : "");
    snprintf(res->state, sizeof res->state, "%s", state);
    if (!id)
        return;
    kfp_export_state(k, display_name, NULL, state);
    if (k->poll && !kfp_state_is_final(state) && kfp_track(k, id, display_name, state) < 0)
        k->host->log(k->ctx, DW_LOG_WARN, "kfp: out of memory: run %s will not be followed", id);
}

int kfp_trigger(struct kfp *k, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                size_t errlen)
{
    int ret = -1;
    char *display_name = NULL, *text = NULL;
    json_t *body = NULL, *run = NULL;

    if (!ev || !ev->key || !*ev->key) {
        snprintf(err, errlen, "kfp: trigger without an idempotency key");
        return -1;
    }
    display_name = pu_strf("driftwatch-%s", ev->key);
    body = display_name ? run_body(k, ev, display_name) : NULL;
    if (!body) {
        snprintf(err, errlen, "kfp: cannot build the CreateRun request (out of memory or text that is not UTF-8)");
        goto out;
    }
    if (ev->dry_run) {
        text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        k->host->log(k->ctx, DW_LOG_INFO, "kfp: dry run: would look for a run named %s, else POST %s%s %s",
                     display_name, k->base, KFP_RUNS_PATH, text ? text : "(body)");
        snprintf(res->job_id, sizeof res->job_id, "%s", display_name);
        snprintf(res->state, sizeof res->state, "DRY_RUN");
        ret = 0;
        goto out;
    }

    int64_t deadline = pu_now_ms() + k->deadline_ms;
    int64_t delay = k->retry_delay_ms;
    /* The fleet's drift episode: a run of this model created within the cooldown is this trigger's. */
    int found = find_episode_run(k, ev, deadline, &run, err, errlen);
    if (found < 0)
        goto out;
    if (found) {
        const char *name = json_string_value(json_object_get(run, "display_name"));
        const char *at = json_string_value(json_object_get(run, "created_at"));
        k->host->log(k->ctx, DW_LOG_INFO, "kfp: run %s (%s) of model %s was created at %s, within the cooldown: "
                     "joining it, not creating another (key %s)", json_string_value(json_object_get(run, "run_id")),
                     name, ev->model ? ev->model : "?", at ? at : "?", ev->key);
        use_run(k, run, name, res);
        res->joined = 1;
        ret = 0;
        goto out;
    }
    for (int attempt = 1;; attempt++) {
        int64_t left = deadline - pu_now_ms();
        found = find_run(k, display_name, left > 0 ? left : 1, &run, err, errlen);
        if (found < 0)
            goto out;
        if (found) {
            k->host->log(k->ctx, DW_LOG_INFO, "kfp: run %s (%s) exists already for key %s: using it, not creating "
                         "another", json_string_value(json_object_get(run, "run_id")), display_name, ev->key);
            use_run(k, run, display_name, res);
            if (attempt == 1) /* there before this trigger created anything */
                res->joined = 1;
            ret = 0;
            goto out;
        }
        long status = 0;
        /* One attempt only: a create carries no client id, so only a fresh list may decide to retry. */
        if (kfp_call(k, "POST", KFP_RUNS_PATH, NULL, body, 1, 0, &status, &run, err, errlen) == 0) {
            if (!json_string_value(json_object_get(run, "run_id"))) {
                snprintf(err, errlen, "kfp: POST %s%s: the answer has no run_id", k->base, KFP_RUNS_PATH);
                goto out;
            }
            k->host->log(k->ctx, DW_LOG_INFO, "kfp: created run %s (%s) for model %s, key %s",
                         json_string_value(json_object_get(run, "run_id")), display_name,
                         ev->model ? ev->model : "?", ev->key);
            use_run(k, run, display_name, res);
            ret = 0;
            goto out;
        }
        json_decref(run);
        run = NULL;
        if (!create_retryable(status))
            goto out;
        int64_t wait = pu_random_upto(delay);
        if (pu_now_ms() + wait + KFP_ROUND_RESERVE_MS >= deadline) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (gave up after %d attempt%s; the next trigger lists runs named "
                     "%s before creating one)", attempt, attempt == 1 ? "" : "s", display_name);
            goto out;
        }
        k->host->log(k->ctx, DW_LOG_WARN, "%s; listing runs again before another create in %lld ms", err,
                     (long long)wait);
        if (pu_sleep(&k->lock, &k->cond, &k->stopping, wait)) {
            snprintf(err, errlen, "kfp: stopping before run %s was created", display_name);
            goto out;
        }
        delay = delay * 2 > KFP_RETRY_CAP_MS ? KFP_RETRY_CAP_MS : delay * 2;
    }
out:
    json_decref(run);
    json_decref(body);
    free(text);
    free(display_name);
    return ret;
}
