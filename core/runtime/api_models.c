/* /v1/models/{model}/{drift,check,report,labels} handlers (see api_models.h). */
#include "runtime/api_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"
#include "http/routes.h"
#include "util/strbuf.h"

struct api_ctx {
    struct model_runtime **models;
    size_t n;
};

static struct api_ctx ctx_storage;

static void json_error(struct dw_http_response *resp, int status, const char *msg)
{
    struct strbuf sb;
    strbuf_init(&sb);
    jsonw_error(&sb, msg, status);
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = strbuf_detach(&sb, &resp->body_len);
}

/* Splits "/v1/models/{model}/{action}"; returns the model or NULL (resp filled with the error). */
static struct model_runtime *find_model(const struct api_ctx *c, const char *path, char *action, size_t alen,
                                        struct dw_http_response *resp)
{
    const char *rest = path + strlen("/v1/models/");
    const char *slash = strchr(rest, '/');
    if (!slash || strchr(slash + 1, '/')) {
        json_error(resp, 404, "no such route: use /v1/models/{model}/drift, /check, /report, /samples or /labels");
        return NULL;
    }
    snprintf(action, alen, "%s", slash + 1);
    size_t len = (size_t)(slash - rest);
    for (size_t i = 0; i < c->n; i++) {
        const char *name = model_name(c->models[i]);
        if (strlen(name) == len && strncmp(name, rest, len) == 0)
            return c->models[i];
    }
    char msg[300];
    snprintf(msg, sizeof msg, "unknown model '%.*s'", (int)(len < 200 ? len : 200), rest);
    json_error(resp, 404, msg);
    return NULL;
}

static void on_get(void *ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    char action[64], err[512];
    struct model_runtime *m = find_model(ctx, req->path, action, sizeof action, resp);
    if (!m)
        return;
    if (strcmp(action, "drift") == 0) {
        char *json = model_last_verdict(m);
        if (!json) {
            json_error(resp, 404, "no check has completed yet for this model");
            return;
        }
        resp->status = 200;
        resp->content_type = "application/json";
        resp->body = json;
        resp->body_len = strlen(json);
    } else if (strcmp(action, "report") == 0) {
        size_t len = 0;
        char *html = model_report_html(m, &len, err, sizeof err);
        if (!html) {
            json_error(resp, 404, err);
            return;
        }
        resp->status = 200;
        resp->content_type = "text/html; charset=utf-8";
        resp->body = html;
        resp->body_len = len;
    } else if (strcmp(action, "check") == 0 || strcmp(action, "samples") == 0 || strcmp(action, "labels") == 0) {
        json_error(resp, 405, "use POST for this route");
    } else {
        json_error(resp, 404, "no such route: use /v1/models/{model}/drift, /check, /report, /samples or /labels");
    }
}

/* 202 {"joined", "pending", "rejected"[, "error"]}, or the error with its status. */
static void labels_answer(struct model_runtime *m, const struct dw_http_request *req, struct dw_http_response *resp)
{
    struct quality_labels_answer a;
    int status = model_labels(m, req->body ? req->body : "", req->body ? req->body_len : 0, &a);
    if (status != 202) {
        json_error(resp, status, a.error);
        return;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_printf(&sb, "{\"joined\": %zu, \"pending\": %zu, \"rejected\": %zu", a.joined, a.pending, a.rejected);
    if (a.error[0]) {
        strbuf_puts(&sb, ", \"error\": ");
        jsonw_string(&sb, a.error, strlen(a.error));
    }
    strbuf_puts(&sb, "}\n");
    resp->status = 202;
    resp->content_type = "application/json";
    resp->body = strbuf_detach(&sb, &resp->body_len);
}

static void on_post(void *ctx, const struct dw_http_request *req, struct dw_http_response *resp)
{
    char action[64], err[512];
    struct model_runtime *m = find_model(ctx, req->path, action, sizeof action, resp);
    if (!m)
        return;
    if (strcmp(action, "check") == 0) {
        char *json = NULL;
        if (model_check_now(m, &json, err, sizeof err) < 0) {
            json_error(resp, 409, err);
            return;
        }
        resp->status = 200;
        resp->content_type = "application/json";
        resp->body = json;
        resp->body_len = strlen(json);
    } else if (strcmp(action, "labels") == 0) {
        labels_answer(m, req, resp);
    } else if (strcmp(action, "samples") == 0) {
        json_error(resp, 404, "this model has no push probe (add {plugin: push} to its probes)");
    } else {
        json_error(resp, 405, "use GET for this route");
    }
}

int api_models_register(struct model_runtime **models, size_t n)
{
    ctx_storage.models = models;
    ctx_storage.n = n;
    if (routes_register("GET", "/v1/models/*", on_get, &ctx_storage) < 0 ||
        routes_register("POST", "/v1/models/*", on_post, &ctx_storage) < 0)
        return -1;
    return 0;
}
