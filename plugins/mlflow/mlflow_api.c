/* MLflow tracking REST API 2.0 calls through the host's HTTP client: URL and headers, JSON in and
 * out, MLflow's error answers ({"error_code", "message"}) as text, and the experiment by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlflow.h"

#define ML_API "/api/2.0/mlflow/"

/* The error_code of an MLflow error answer, malloc'd, or NULL when the body is not one. */
static char *error_code_of(const char *body, size_t len)
{
    json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(j, "error_code"));
    char *out = code ? pu_strdup(code) : NULL;
    json_decref(j);
    return out;
}

/* What to do about a refusal, for the statuses a user can fix. */
static const char *hint_for(long status)
{
    if (status == 401)
        return "; check the token or username/password (token_file, password_file)";
    if (status == 403)
        return "; the credentials are not allowed to write to this experiment";
    if (status == 404)
        return "; is tracking_uri the MLflow server's base URL?";
    return "";
}

int ml_call(struct ml *m, const char *method, const char *endpoint, const char *query, json_t *body, int attempts,
            long *status, char **error_code, json_t **out, char *err, size_t errlen)
{
    int ret = PU_HTTP_TRANSIENT;
    char *payload = NULL, herr[512] = "", detail[PU_HTTP_DETAIL_MAX];
    const char *headers[4];
    int nh = 0;
    struct dw_http_client_response resp = {.size = sizeof resp};
    *status = 0;
    *error_code = NULL;
    if (out)
        *out = NULL;
    char *url = pu_strf("%s" ML_API "%s%s%s", m->base, endpoint, query ? "?" : "", query ? query : "");
    payload = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (!url || (body && !payload)) {
        snprintf(err, errlen, "mlflow %s: %s %s" ML_API "%s: out of memory", m->name, method, m->base_desc,
                 endpoint);
        goto out;
    }
    if (m->auth_header)
        headers[nh++] = m->auth_header;
    headers[nh++] = "Accept: application/json";
    if (payload)
        headers[nh++] = "Content-Type: application/json";
    headers[nh] = NULL;
    struct dw_http_client_request req = {
        .size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .body = payload,
        .body_len = payload ? strlen(payload) : 0,
        .timeout_ms = m->timeout_ms,
        .max_attempts = attempts >= 1 ? attempts : 1,
        .deadline_ms = m->deadline_ms,
    };
    int rc = m->host->http_request(m->ctx, &req, &resp, herr, sizeof herr);
    ret = pu_http_outcome(rc, &resp, herr, detail, sizeof detail);
    *status = rc < 0 ? 0 : resp.status;
    if (ret == PU_HTTP_OK) {
        json_t *parsed = resp.body_len ? json_loadb(resp.body, resp.body_len, 0, NULL) : json_object();
        if (!json_is_object(parsed)) {
            /* A 2xx that is not MLflow's JSON (a proxy's page): the request may not have reached it. */
            snprintf(err, errlen, "mlflow %s: %s %s" ML_API "%s: HTTP %ld with %s", m->name, method, m->base_desc,
                     endpoint, resp.status, parsed ? "a JSON answer that is not an object" : "an answer that is not JSON");
            json_decref(parsed);
            ret = PU_HTTP_TRANSIENT;
            goto out;
        }
        if (out)
            *out = parsed;
        else
            json_decref(parsed);
        goto out;
    }
    if (rc >= 0)
        *error_code = error_code_of(resp.body, resp.body_len);
    snprintf(err, errlen, "mlflow %s: %s %s" ML_API "%s %s%s", m->name, method, m->base_desc, endpoint, detail,
             ret == PU_HTTP_REFUSED ? hint_for(*status) : "");
out:
    if (resp.body)
        m->host->free(resp.body);
    free(payload);
    free(url);
    return ret;
}

static int is_code(const char *code, const char *want)
{
    return code && strcmp(code, want) == 0;
}

/* GET experiments/get-by-name: PU_HTTP_OK with *id, 1 when there is none, or a failure. */
static int get_by_name(struct ml *m, const char *name, char **id, char *err, size_t errlen)
{
    long status;
    char *code = NULL;
    json_t *answer = NULL;
    char *q = pu_query_escape(name);
    char *query = q ? pu_strf("experiment_name=%s", q) : NULL;
    free(q);
    if (!query) {
        snprintf(err, errlen, "mlflow %s: out of memory", m->name);
        return PU_HTTP_TRANSIENT;
    }
    int rc = ml_call(m, "GET", "experiments/get-by-name", query, NULL, m->max_attempts, &status, &code, &answer, err,
                     errlen);
    free(query);
    if (rc == PU_HTTP_REFUSED && status == 404 && is_code(code, "RESOURCE_DOES_NOT_EXIST"))
        rc = 1;
    free(code);
    if (rc == PU_HTTP_OK) {
        const char *eid = json_string_value(json_object_get(json_object_get(answer, "experiment"), "experiment_id"));
        if (!eid || !*eid) {
            snprintf(err, errlen, "mlflow %s: GET %s" ML_API "experiments/get-by-name: the answer has no "
                     "experiment.experiment_id", m->name, m->base_desc);
            rc = PU_HTTP_REFUSED;
        } else if (!(*id = pu_strdup(eid))) {
            snprintf(err, errlen, "mlflow %s: out of memory", m->name);
            rc = PU_HTTP_TRANSIENT;
        }
    }
    json_decref(answer);
    return rc;
}

int ml_experiment_id(struct ml *m, const char *name, char **id, char *err, size_t errlen)
{
    *id = NULL;
    int rc = get_by_name(m, name, id, err, errlen);
    if (rc != 1)
        return rc;
    long status;
    char *code = NULL;
    json_t *answer = NULL;
    json_t *body = json_pack("{s:s}", "name", name);
    /* A create is safe to retry: a second one is RESOURCE_ALREADY_EXISTS, answered below. */
    rc = body ? ml_call(m, "POST", "experiments/create", NULL, body, m->max_attempts, &status, &code, &answer, err,
                        errlen)
              : PU_HTTP_TRANSIENT;
    json_decref(body);
    if (rc == PU_HTTP_OK) {
        const char *eid = json_string_value(json_object_get(answer, "experiment_id"));
        if (eid && *eid && (*id = pu_strdup(eid))) {
            m->host->log(m->ctx, DW_LOG_INFO, "mlflow: created experiment %s (id %s) at %s", name, eid,
                         m->base_desc);
        } else {
            snprintf(err, errlen, "mlflow %s: POST %s" ML_API "experiments/create: the answer has no experiment_id",
                     m->name, m->base_desc);
            rc = PU_HTTP_REFUSED;
        }
    } else if (rc == PU_HTTP_REFUSED && is_code(code, "RESOURCE_ALREADY_EXISTS")) {
        rc = get_by_name(m, name, id, err, errlen); /* another writer made it meanwhile */
        if (rc == 1) {
            snprintf(err, errlen, "mlflow %s: experiment %s exists (RESOURCE_ALREADY_EXISTS) but get-by-name does "
                     "not find it (a deleted experiment of that name?)", m->name, name);
            rc = PU_HTTP_REFUSED;
        }
    }
    free(code);
    json_decref(answer);
    return rc;
}
