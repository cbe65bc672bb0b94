/* Models and endpoints for the CLI actions: models.upload, endpoints.deployModel / undeployModel
 * and a rollback built on them, each following its long-running operation to done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vertex.h"

/* ---- long-running operations ---- */

int vx_wait_operation(struct vertex *v, const char *op, const char *resource, json_t *operation,
                      json_t **response, char *err, size_t errlen)
{
    int ret = -1;
    json_t *cur = json_incref(operation);
    const char *name = json_string_value(json_object_get(operation, "name"));
    char *opname = name ? strdup(name) : NULL;
    int64_t start = pu_now_ms();
    /* Google's SDKs poll an operation from 1 s, ×1.5, capped at 20 s. */
    int64_t interval = v->cfg.operation_poll_interval;
    *response = NULL;
    for (;;) {
        if (json_is_true(json_object_get(cur, "done"))) {
            json_t *e = json_object_get(cur, "error");
            if (json_is_object(e)) {
                char why[1024];
                vx_status_text(e, why, sizeof why);
                snprintf(err, errlen, "vertex: %s %s: operation %s failed: %s", op, resource,
                         opname ? opname : "(unnamed)", why);
                goto out;
            }
            json_t *r = json_object_get(cur, "response");
            *response = json_is_object(r) ? json_incref(r) : json_object();
            ret = *response ? 0 : -1;
            goto out;
        }
        if (!opname) {
            snprintf(err, errlen, "vertex: %s %s: the answer is neither a finished nor a named operation", op,
                     resource);
            goto out;
        }
        int64_t left = v->cfg.operation_timeout - (pu_now_ms() - start);
        if (left <= 0) {
            snprintf(err, errlen, "vertex: %s %s: operation %s not done after %.0f s (it goes on; look it up later)",
                     op, resource, opname, (double)v->cfg.operation_timeout / 1000);
            goto out;
        }
        if (pu_sleep(&v->lock, &v->cond, &v->stopping, interval < left ? interval : left)) {
            snprintf(err, errlen, "vertex: %s %s: stopped while waiting for operation %s", op, resource, opname);
            goto out;
        }
        interval = interval * 3 / 2 > v->cfg.operation_poll_max_interval ? v->cfg.operation_poll_max_interval
                                                                          : interval * 3 / 2;
        json_decref(cur);
        cur = NULL;
        long status = 0;
        char why[1024];
        if (vx_call(v, "operations.get", opname, "GET", opname, NULL, NULL, VX_RETRY, &status, &cur, why,
                    sizeof why) < 0) {
            snprintf(err, errlen, "vertex: %s %s: following operation %s: %s", op, resource, opname, why);
            goto out;
        }
    }
out:
    json_decref(cur);
    free(opname);
    return ret;
}

/* ---- helpers ---- */

static const char *param_str(json_t *params, const char *key)
{
    const char *s = json_string_value(json_object_get(params, key));
    return s && *s ? s : NULL;
}

static int param_int(json_t *params, const char *key, int64_t def, int64_t *out, char *err, size_t errlen)
{
    json_t *j = json_object_get(params, key);
    if (!j) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(j)) {
        snprintf(err, errlen, "vertex: param \"%s\" must be an integer", key);
        return -1;
    }
    *out = (int64_t)json_integer_value(j);
    return 0;
}

/* A resource given as a full name or as an id under the instance's project and location. */
static char *resource_name(struct vertex *v, const char *collection, const char *s)
{
    if (strncmp(s, "projects/", 9) == 0)
        return strdup(s);
    return pu_strf("%s/%s/%s", v->parent, collection, s);
}

static char *required(struct vertex *v, json_t *params, const char *key, const char *collection, char *err,
                      size_t errlen)
{
    const char *s = param_str(params, key);
    if (!s) {
        snprintf(err, errlen, "vertex: params need \"%s\"", key);
        return NULL;
    }
    char *name = collection ? resource_name(v, collection, s) : strdup(s);
    if (!name)
        snprintf(err, errlen, "vertex: out of memory");
    return name;
}

/* Percentages as integers: the API sends int32 values, tolerate strings. Clamped to 0..100, so
 * sums and products of a server's numbers cannot overflow (tests/fuzz/corpus/vertex_response/split_*). */
static int64_t pct_value(json_t *j)
{
    double v = json_is_string(j) ? (double)strtoll(json_string_value(j), NULL, 10) : json_number_value(j);
    return v >= 100 ? 100 : v > 0 ? (int64_t)v : 0;
}

/* Scales the shares in `shares` (id → pct) to sum to `total`, proportionally, with the largest
 * remainder method so the integers add up exactly. 0, or -1 when all shares are 0. */
static int scale_split(json_t *shares, int64_t total, json_t *out)
{
    const char *id;
    json_t *val;
    int64_t sum = 0;
    size_t n = json_object_size(shares), i = 0;
    json_object_foreach(shares, id, val) sum += pct_value(val);
    if (n == 0)
        return total == 0 ? 0 : -1;
    if (sum <= 0)
        return total == 0 ? 0 : -1;
    int64_t *base = calloc(n, sizeof *base), *rem = calloc(n, sizeof *rem);
    const char **ids = calloc(n, sizeof *ids);
    if (!base || !rem || !ids) {
        free(base);
        free(rem);
        free(ids);
        return -1;
    }
    int64_t given = 0;
    json_object_foreach(shares, id, val) {
        int64_t num = pct_value(val) * total;
        ids[i] = id;
        base[i] = num / sum;
        rem[i] = num % sum;
        given += base[i];
        i++;
    }
    for (int64_t left = total - given; left > 0; left--) {
        size_t best = 0;
        for (size_t k = 1; k < n; k++)
            if (rem[k] > rem[best])
                best = k;
        base[best]++;
        rem[best] = -1;
    }
    for (size_t k = 0; k < n; k++)
        json_object_set_new(out, ids[k], json_integer(base[k]));
    free(base);
    free(rem);
    free(ids);
    return 0;
}

static int split_sum(json_t *split, int64_t *sum)
{
    const char *id;
    json_t *val;
    *sum = 0;
    json_object_foreach(split, id, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > 100)
            return -1;
        *sum += (int64_t)json_integer_value(val);
    }
    return 0;
}

static int get_endpoint(struct vertex *v, const char *op, const char *endpoint, json_t **ep, char *err,
                        size_t errlen)
{
    long status = 0;
    char why[1024];
    if (vx_call(v, "endpoints.get", endpoint, "GET", endpoint, NULL, NULL, VX_RETRY, &status, ep, why, sizeof why) < 0) {
        json_decref(*ep);
        *ep = NULL;
        snprintf(err, errlen, "%s (needed for %s)", why, op);
        return -1;
    }
    return 0;
}

static json_t *find_deployed(json_t *ep, const char *id)
{
    size_t i;
    json_t *dm;
    json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
        const char *dmid = json_string_value(json_object_get(dm, "id"));
        if (dmid && strcmp(dmid, id) == 0)
            return dm;
    }
    return NULL;
}

static void deployed_ids(json_t *ep, char *out, size_t outlen)
{
    size_t i, used = 0;
    json_t *dm;
    out[0] = '\0';
    json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
        const char *dmid = json_string_value(json_object_get(dm, "id"));
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", dmid ? dmid : "?");
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
    if (!out[0])
        snprintf(out, outlen, "none");
}

/* The current split restricted to the deployed models except `skip` (0 for absent entries). */
static json_t *others_split(json_t *ep, const char *skip)
{
    json_t *split = json_object_get(ep, "trafficSplit");
    json_t *out = json_object();
    size_t i;
    json_t *dm;
    json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
        const char *dmid = json_string_value(json_object_get(dm, "id"));
        if (out && dmid && (!skip || strcmp(dmid, skip) != 0))
            json_object_set_new(out, dmid, json_integer(pct_value(json_object_get(split, dmid))));
    }
    return out;
}

/* RFC 3339 timestamps compared in time order (fractions of differing length included). */
static int time_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    int c = strncmp(a, b, 19);
    if (c)
        return c;
    char fa[10] = "000000000", fb[10] = "000000000";
    if (strlen(a) > 19 && a[19] == '.')
        for (size_t i = 0; i < 9 && a[20 + i] >= '0' && a[20 + i] <= '9'; i++)
            fa[i] = a[20 + i];
    if (strlen(b) > 19 && b[19] == '.')
        for (size_t i = 0; i < 9 && b[20 + i] >= '0' && b[20 + i] <= '9'; i++)
            fb[i] = b[20 + i];
    return strcmp(fa, fb);
}

static char *dumps_or_null(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

/* Looks whether an earlier attempt of a call went through after all. 1: it did (*response set as
 * the operation's response would be), 0: it did not, -1: the look failed (err). */
typedef int (*vx_recheck_fn)(struct vertex *v, void *ctx, json_t **response, char *err, size_t errlen);

/* A call whose outcome is unknown (no answer, 408, 429, 5xx) may have started an operation. */
static int outcome_unknown(long status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* POST an operation-returning call, then follow the operation. These calls carry no client id
 * (deployModel and undeployModel have none; upload's modelId is optional), so they are retried by
 * read-before-retry: after a failure whose outcome is unknown, recheck reads what the call would
 * have changed, and only when nothing changed is the POST sent again (full-jitter back-off from
 * retry_delay, at most max_attempts and deadline). */
static int call_lro(struct vertex *v, const char *op, const char *resource, const char *path, json_t *body,
                    vx_recheck_fn recheck, void *ctx, json_t **response, char *err, size_t errlen)
{
    json_t *operation = NULL;
    int64_t start = pu_now_ms(), delay = v->cfg.retry_delay;
    *response = NULL;
    for (int attempt = 1;; attempt++) {
        long status = 0;
        if (vx_call(v, op, resource, "POST", path, NULL, body, VX_NO_RETRY, &status, &operation, err, errlen) == 0)
            break;
        json_decref(operation);
        operation = NULL;
        if (!outcome_unknown(status))
            return -1;
        int64_t wait = pu_random_upto(delay);
        if (attempt >= v->cfg.max_attempts || pu_now_ms() - start + wait >= v->cfg.deadline) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, "; gave up after %d attempt%s", attempt, attempt == 1 ? "" : "s");
            return -1;
        }
        v->host->log(v->ctx, DW_LOG_WARN, "%s; looking whether it went through before trying again in %lld ms", err,
                     (long long)wait);
        if (pu_sleep(&v->lock, &v->cond, &v->stopping, wait)) {
            snprintf(err, errlen, "vertex: %s %s: stopped", op, resource);
            return -1;
        }
        delay = delay * 2 > 60000 ? 60000 : delay * 2;
        int found = recheck(v, ctx, response, err, errlen);
        if (found < 0)
            return -1;
        if (found) {
            v->host->log(v->ctx, DW_LOG_INFO, "vertex: %s %s: the earlier attempt went through; not sending it again",
                         op, resource);
            return 0;
        }
    }
    const char *opname = json_string_value(json_object_get(operation, "name"));
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: %s %s: operation %s started", op, resource, opname ? opname : "?");
    int rc = vx_wait_operation(v, op, resource, operation, response, err, errlen);
    json_decref(operation);
    return rc;
}

/* ---- upload_model ---- */

#define VX_UPLOAD_LABEL "driftwatch-upload"

struct upload_ctx {
    const char *token; /* value of the driftwatch-upload label of this upload */
};

/* An upload went through when a model carries its label. */
static int upload_recheck(struct vertex *v, void *arg, json_t **response, char *err, size_t errlen)
{
    struct upload_ctx *ctx = arg;
    long status = 0;
    json_t *list = NULL;
    char *filter = pu_strf("labels.%s=\"%s\"", VX_UPLOAD_LABEL, ctx->token);
    char *fq = filter ? pu_query_escape(filter) : NULL;
    char *query = fq ? pu_strf("filter=%s", fq) : NULL;
    char *path = pu_strf("%s/models", v->parent);
    int rc = -1;
    if (!query || !path) {
        snprintf(err, errlen, "vertex: models.list %s: out of memory", v->parent);
        goto out;
    }
    if (vx_call(v, "models.list", v->parent, "GET", path, query, NULL, VX_RETRY, &status, &list, err, errlen) < 0)
        goto out;
    json_t *model = json_array_get(json_object_get(list, "models"), 0);
    const char *name = json_string_value(json_object_get(model, "name"));
    rc = 0;
    if (name) {
        json_t *version = json_object_get(model, "versionId");
        *response = json_pack("{s:s, s:O}", "model", name, "modelVersionId", version ? version : json_null());
        rc = *response ? 1 : -1;
    }
out:
    json_decref(list);
    free(path);
    free(query);
    free(fq);
    free(filter);
    return rc;
}

int vx_action_upload_model(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int ret = -1;
    json_t *body = NULL, *response = NULL;
    char *path = NULL, *parent_model = NULL;
    const char *display = param_str(params, "display_name");
    const char *image = param_str(params, "image_uri");
    const char *artifact = param_str(params, "artifact_uri");
    const char *model_id = param_str(params, "model_id");
    int64_t port = 8080;
    if (!display || !image) {
        snprintf(err, errlen, "vertex: upload_model params need \"display_name\" and \"image_uri\"");
        return -1;
    }
    if (param_int(params, "port", 8080, &port, err, errlen) < 0)
        return -1;
    json_t *container = json_pack("{s:s, s:[{s:I}]}", "imageUri", image, "ports", "containerPort", (json_int_t)port);
    json_t *model = json_pack("{s:s}", "displayName", display);
    body = json_object();
    if (!container || !model || !body) {
        json_decref(container);
        json_decref(model);
        snprintf(err, errlen, "vertex: upload_model: cannot build the request (text that is not UTF-8?)");
        goto out;
    }
    if (param_str(params, "predict_route"))
        json_object_set_new(container, "predictRoute", json_string(param_str(params, "predict_route")));
    if (param_str(params, "health_route"))
        json_object_set_new(container, "healthRoute", json_string(param_str(params, "health_route")));
    if (artifact)
        json_object_set_new(model, "artifactUri", json_string(artifact));
    json_object_set_new(model, "containerSpec", container);
    /* A label only this upload carries: how a retry finds out that a lost attempt went through. */
    char token[17];
    snprintf(token, sizeof token, "%08llx%08llx", (unsigned long long)pu_random_upto(0xffffffffLL),
             (unsigned long long)pu_random_upto(0xffffffffLL));
    struct upload_ctx ctx = {token};
    json_object_set_new(model, "labels", json_pack("{s:s}", VX_UPLOAD_LABEL, token));
    json_object_set_new(body, "model", model);
    if (param_str(params, "parent_model")) {
        parent_model = resource_name(v, "models", param_str(params, "parent_model"));
        if (!parent_model || json_object_set_new(body, "parentModel", json_string(parent_model)) < 0)
            goto oom;
    }
    if (model_id)
        json_object_set_new(body, "modelId", json_string(model_id));
    path = pu_strf("%s/models:upload", v->parent);
    if (!path)
        goto oom;
    if (call_lro(v, "models.upload", v->parent, path, body, upload_recheck, &ctx, &response, err, errlen) < 0)
        goto out;
    const char *name = json_string_value(json_object_get(response, "model"));
    if (!name) {
        snprintf(err, errlen, "vertex: models.upload %s: the operation's response names no model", v->parent);
        goto out;
    }
    json_t *version = json_object_get(response, "modelVersionId");
    *result = json_pack("{s:s, s:O}", "model", name, "modelVersionId", version ? version : json_null());
    if (!*result)
        goto oom;
    ret = 0;
    goto out;
oom:
    snprintf(err, errlen, "vertex: upload_model: out of memory");
out:
    json_decref(response);
    json_decref(body);
    free(parent_model);
    free(path);
    return ret;
}

/* ---- deploy ---- */

struct deploy_ctx {
    const char *endpoint;
    const char *model;
    json_t *before; /* the endpoint as read before the first attempt */
};

/* A deploy went through when the endpoint has a deployed model of this model that it did not have
 * before. */
static int deploy_recheck(struct vertex *v, void *arg, json_t **response, char *err, size_t errlen)
{
    struct deploy_ctx *ctx = arg;
    json_t *ep = NULL;
    if (get_endpoint(v, "endpoints.deployModel", ctx->endpoint, &ep, err, errlen) < 0)
        return -1;
    size_t i;
    json_t *dm;
    int rc = 0;
    json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
        const char *id = json_string_value(json_object_get(dm, "id"));
        const char *model = json_string_value(json_object_get(dm, "model"));
        if (id && model && strcmp(model, ctx->model) == 0 && !find_deployed(ctx->before, id)) {
            *response = json_pack("{s:{s:s, s:s}}", "deployedModel", "id", id, "model", model);
            rc = *response ? 1 : -1;
            break;
        }
    }
    json_decref(ep);
    return rc;
}

/* The model's own display name (models.get), malloc'd; NULL with err when it cannot be read. */
static char *model_display_name(struct vertex *v, const char *model, char *err, size_t errlen)
{
    long status = 0;
    json_t *m = NULL;
    char why[1024];
    if (vx_call(v, "models.get", model, "GET", model, NULL, NULL, VX_RETRY, &status, &m, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s (needed for the deployed model's display name; or pass display_name)", why);
        json_decref(m);
        return NULL;
    }
    const char *name = json_string_value(json_object_get(m, "displayName"));
    char *out = name && *name ? strdup(name) : strdup("driftwatch");
    json_decref(m);
    if (!out)
        snprintf(err, errlen, "vertex: deploy: out of memory");
    return out;
}

int vx_action_deploy(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int ret = -1;
    json_t *ep = NULL, *split = NULL, *body = NULL, *response = NULL;
    char *path = NULL, *display = NULL;
    char *endpoint = required(v, params, "endpoint", "endpoints", err, errlen);
    char *model = endpoint ? required(v, params, "model", "models", err, errlen) : NULL;
    int64_t pct = 100, min_rep = 1, max_rep = 0, sum = 0;
    if (!model)
        goto out;
    if (param_int(params, "traffic_percent", 100, &pct, err, errlen) < 0 ||
        param_int(params, "min_replicas", 1, &min_rep, err, errlen) < 0 ||
        param_int(params, "max_replicas", 0, &max_rep, err, errlen) < 0)
        goto out;
    if (pct < 0 || pct > 100 || min_rep < 1 || (max_rep && max_rep < min_rep)) {
        snprintf(err, errlen, "vertex: deploy: traffic_percent must be 0..100, min_replicas >= 1 and max_replicas >= "
                 "min_replicas");
        goto out;
    }
    if (!max_rep)
        max_rep = min_rep;
    /* Read the endpoint first: it must exist, and the models already there keep their share. */
    if (get_endpoint(v, "endpoints.deployModel", endpoint, &ep, err, errlen) < 0)
        goto out;
    json_t *given = json_object_get(params, "traffic_split");
    if (given) {
        if (!json_is_object(given) || split_sum(given, &sum) < 0 || sum != 100 || !json_object_get(given, "0")) {
            snprintf(err, errlen, "vertex: deploy: traffic_split must map \"0\" (the new model) and deployed model ids "
                     "to integer percentages summing to 100");
            goto out;
        }
        split = json_deep_copy(given);
    } else {
        json_t *others = others_split(ep, NULL);
        split = json_object();
        if (!others || !split) {
            json_decref(others);
            goto oom;
        }
        if (scale_split(others, 100 - pct, split) < 0) {
            json_decref(others);
            snprintf(err, errlen, "vertex: deploy to %s: %lld%% for the new model leaves %lld%% that no deployed model "
                     "can take (none has traffic now); pass traffic_split", endpoint, (long long)pct,
                     (long long)(100 - pct));
            goto out;
        }
        json_decref(others);
        json_object_set_new(split, "0", json_integer(pct));
    }
    /* The deployed model is named like the model unless told otherwise. */
    display = param_str(params, "display_name") ? strdup(param_str(params, "display_name"))
                                                 : model_display_name(v, model, err, errlen);
    if (!display)
        goto out;
    const char *machine = param_str(params, "machine_type");
    json_t *dm = json_pack("{s:s, s:s, s:{s:{s:s}, s:I, s:I}}", "model", model, "displayName",
                           display, "dedicatedResources", "machineSpec", "machineType",
                           machine ? machine : "n1-standard-2", "minReplicaCount", (json_int_t)min_rep,
                           "maxReplicaCount", (json_int_t)max_rep);
    if (dm && param_str(params, "service_account"))
        json_object_set_new(dm, "serviceAccount", json_string(param_str(params, "service_account")));
    if (!dm || !split) {
        json_decref(dm);
        goto oom;
    }
    body = json_pack("{s:o, s:O}", "deployedModel", dm, "trafficSplit", split);
    path = pu_strf("%s:deployModel", endpoint);
    if (!body || !path)
        goto oom;
    struct deploy_ctx ctx = {endpoint, model, ep};
    if (call_lro(v, "endpoints.deployModel", endpoint, path, body, deploy_recheck, &ctx, &response, err, errlen) < 0)
        goto out;
    const char *id = json_string_value(json_object_get(json_object_get(response, "deployedModel"), "id"));
    if (!id) {
        snprintf(err, errlen, "vertex: endpoints.deployModel %s: the operation's response has no deployedModel.id",
                 endpoint);
        goto out;
    }
    json_t *final = json_deep_copy(split);
    if (final) {
        json_object_set_new(final, id, json_integer(json_integer_value(json_object_get(split, "0"))));
        json_object_del(final, "0");
    }
    *result = final ? json_pack("{s:s, s:s, s:s, s:o}", "endpoint", endpoint, "deployedModelId", id, "model", model,
                                "trafficSplit", final)
                    : NULL;
    if (!*result)
        goto oom;
    ret = 0;
    goto out;
oom:
    snprintf(err, errlen, "vertex: deploy: out of memory");
out:
    json_decref(response);
    json_decref(body);
    json_decref(split);
    json_decref(ep);
    free(display);
    free(path);
    free(model);
    free(endpoint);
    return ret;
}

/* ---- undeploy / rollback ---- */

struct undeploy_ctx {
    const char *endpoint;
    const char *id;
};

/* An undeploy went through when the deployed model is no longer on the endpoint. */
static int undeploy_recheck(struct vertex *v, void *arg, json_t **response, char *err, size_t errlen)
{
    struct undeploy_ctx *ctx = arg;
    json_t *ep = NULL;
    if (get_endpoint(v, "endpoints.undeployModel", ctx->endpoint, &ep, err, errlen) < 0)
        return -1;
    int gone = !find_deployed(ep, ctx->id);
    json_decref(ep);
    if (!gone)
        return 0;
    *response = json_object();
    return *response ? 1 : -1;
}

static int undeploy(struct vertex *v, const char *endpoint, const char *id, json_t *split, char *err, size_t errlen)
{
    struct undeploy_ctx ctx = {endpoint, id};
    char *path = pu_strf("%s:undeployModel", endpoint);
    json_t *body = json_pack("{s:s}", "deployedModelId", id);
    json_t *response = NULL;
    int rc = -1;
    if (!path || !body) {
        snprintf(err, errlen, "vertex: undeploy: out of memory");
        goto out;
    }
    if (json_object_size(split))
        json_object_set(body, "trafficSplit", split);
    char *text = dumps_or_null(split);
    v->host->log(v->ctx, DW_LOG_INFO, "vertex: undeploying %s from %s, traffic split %s", id, endpoint,
                 text ? text : "{}");
    free(text);
    rc = call_lro(v, "endpoints.undeployModel", endpoint, path, body, undeploy_recheck, &ctx, &response, err, errlen);
out:
    json_decref(response);
    json_decref(body);
    free(path);
    return rc;
}

int vx_action_undeploy(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int ret = -1;
    json_t *ep = NULL, *split = NULL, *others = NULL;
    char ids[512];
    char *endpoint = required(v, params, "endpoint", "endpoints", err, errlen);
    char *id = endpoint ? required(v, params, "deployed_model_id", NULL, err, errlen) : NULL;
    if (!id)
        goto out;
    if (get_endpoint(v, "endpoints.undeployModel", endpoint, &ep, err, errlen) < 0)
        goto out;
    if (!find_deployed(ep, id)) {
        deployed_ids(ep, ids, sizeof ids);
        snprintf(err, errlen, "vertex: undeploy: %s is not deployed on %s (deployed: %s)", id, endpoint, ids);
        goto out;
    }
    json_t *given = json_object_get(params, "traffic_split");
    int64_t sum = 0;
    others = others_split(ep, id);
    if (!others)
        goto oom;
    if (given) {
        if (!json_is_object(given) || split_sum(given, &sum) < 0 || (sum != 100 && json_object_size(others))) {
            snprintf(err, errlen, "vertex: undeploy: traffic_split must map the remaining deployed model ids to integer "
                     "percentages summing to 100");
            goto out;
        }
        split = json_deep_copy(given);
    } else {
        /* The others keep their proportions, scaled back up to 100%. */
        split = json_object();
        if (!split)
            goto oom;
        if (scale_split(others, json_object_size(others) ? 100 : 0, split) < 0) {
            snprintf(err, errlen, "vertex: undeploy: %s takes all of %s's traffic and the other deployed models none; "
                     "pass traffic_split, or use rollback", id, endpoint);
            goto out;
        }
    }
    if (undeploy(v, endpoint, id, split, err, errlen) < 0)
        goto out;
    *result = json_pack("{s:s, s:s, s:O}", "endpoint", endpoint, "undeployedModelId", id, "trafficSplit", split);
    if (!*result)
        goto oom;
    ret = 0;
    goto out;
oom:
    snprintf(err, errlen, "vertex: undeploy: out of memory");
out:
    json_decref(others);
    json_decref(split);
    json_decref(ep);
    free(id);
    free(endpoint);
    return ret;
}

int vx_action_rollback(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen)
{
    int ret = -1;
    json_t *ep = NULL, *split = NULL;
    char ids[512];
    char *endpoint = required(v, params, "endpoint", "endpoints", err, errlen);
    if (!endpoint)
        goto out;
    if (get_endpoint(v, "rollback", endpoint, &ep, err, errlen) < 0)
        goto out;
    deployed_ids(ep, ids, sizeof ids);
    if (json_array_size(json_object_get(ep, "deployedModels")) < 2) {
        snprintf(err, errlen, "vertex: rollback on %s: nothing to roll back to (deployed: %s)", endpoint, ids);
        goto out;
    }
    /* The model to remove: given, or the most recently deployed. The one to restore: given, or the
     * most recently deployed of the others. */
    const char *bad = param_str(params, "deployed_model_id");
    const char *prev = param_str(params, "to");
    const char *bad_time = NULL, *prev_time = NULL;
    size_t i;
    json_t *dm;
    if (!bad) {
        json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
            const char *t = json_string_value(json_object_get(dm, "createTime"));
            if (!bad || time_cmp(t, bad_time) > 0) {
                bad = json_string_value(json_object_get(dm, "id"));
                bad_time = t;
            }
        }
    }
    if (!bad || !find_deployed(ep, bad)) {
        snprintf(err, errlen, "vertex: rollback: %s is not deployed on %s (deployed: %s)", bad ? bad : "?", endpoint,
                 ids);
        goto out;
    }
    if (!prev) {
        json_array_foreach(json_object_get(ep, "deployedModels"), i, dm) {
            const char *dmid = json_string_value(json_object_get(dm, "id"));
            const char *t = json_string_value(json_object_get(dm, "createTime"));
            if (dmid && strcmp(dmid, bad) != 0 && (!prev || time_cmp(t, prev_time) > 0)) {
                prev = dmid;
                prev_time = t;
            }
        }
    }
    if (!prev || !find_deployed(ep, prev) || strcmp(prev, bad) == 0) {
        snprintf(err, errlen, "vertex: rollback: cannot restore %s on %s (deployed: %s)", prev ? prev : "?", endpoint,
                 ids);
        goto out;
    }
    /* One undeployModel whose trafficSplit gives the previous model 100%: the traffic moves back and
     * the new model goes away in the same call, so no request is ever routed to a removed model. */
    split = others_split(ep, bad);
    if (!split)
        goto oom;
    const char *id;
    json_t *val;
    json_object_foreach(split, id, val) json_integer_set(val, strcmp(id, prev) == 0 ? 100 : 0);
    if (undeploy(v, endpoint, bad, split, err, errlen) < 0)
        goto out;
    *result = json_pack("{s:s, s:s, s:s, s:O}", "endpoint", endpoint, "undeployedModelId", bad, "restoredModelId",
                        prev, "trafficSplit", split);
    if (!*result)
        goto oom;
    ret = 0;
    goto out;
oom:
    snprintf(err, errlen, "vertex: rollback: out of memory");
out:
    json_decref(split);
    json_decref(ep);
    free(endpoint);
    return ret;
}
