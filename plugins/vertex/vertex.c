/* Vertex AI trainer plugin: retrains through pipelineJobs or customJobs when drift is confirmed,
 * follows the jobs, and offers model upload / deploy / undeploy / rollback as CLI actions. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vertex.h"

#define VX_VERSION "0.1.0"

static void vertex_destroy(void *instance);

/* ---- config: copied, so the instance never depends on the loader's buffers ---- */

static const char *own_str(struct vertex *v, const char *s, int *failed)
{
    if (!s)
        return NULL;
    char **owned = realloc(v->owned, (v->n_owned + 1) * sizeof *owned);
    char *copy = strdup(s);
    if (!owned || !copy) {
        if (owned)
            v->owned = owned;
        free(copy);
        *failed = 1;
        return NULL;
    }
    v->owned = owned;
    v->owned[v->n_owned++] = copy;
    return copy;
}

static struct dw_list own_list(struct vertex *v, struct dw_list in, int *failed)
{
    struct dw_list out = {0, NULL};
    if (!in.n)
        return out;
    const char **items = calloc(in.n + 1, sizeof *items);
    char **owned = items ? realloc(v->owned, (v->n_owned + 1) * sizeof *owned) : NULL;
    if (!owned) {
        free(items);
        *failed = 1;
        return out;
    }
    v->owned = owned;
    v->owned[v->n_owned++] = (char *)items;
    for (size_t i = 0; i < in.n; i++)
        items[i] = own_str(v, in.items[i] ? in.items[i] : "", failed);
    out.n = in.n;
    out.items = items;
    return out;
}

static int copy_config(struct vertex *v, const struct vertex_config *in)
{
    int failed = 0;
    v->cfg = *in;
    struct vertex_config *c = &v->cfg;
    const char **strings[] = {&c->project, &c->location, &c->api_endpoint, &c->action, &c->template_uri,
                              &c->pipeline_spec_path, &c->gcs_output_directory, &c->service_account,
                              &c->display_name, &c->image_uri, &c->machine_type, &c->base_output_directory,
                              &c->access_token, &c->credentials_file, &c->quota_project};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        *strings[i] = own_str(v, *strings[i], &failed);
    c->parameter_values = own_list(v, in->parameter_values, &failed);
    c->labels = own_list(v, in->labels, &failed);
    c->args = own_list(v, in->args, &failed);
    return failed ? -1 : 0;
}

static int is_set(const char *s)
{
    return s && *s;
}

/* Project and location go into URL paths: keep them to the characters resource ids use. */
static int valid_segment(const char *s)
{
    if (!is_set(s))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.' || *p == ':'))
            return 0;
    return 1;
}

static int check_kv_list(const struct dw_list *l, const char *opt, char *err, size_t errlen)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *eq = strchr(l->items[i], '=');
        if (!eq || eq == l->items[i] || eq - l->items[i] > 255) {
            snprintf(err, errlen, "vertex: option '%s': item '%s' is not key=value", opt, l->items[i]);
            return -1;
        }
    }
    return 0;
}

static int load_pipeline_spec(struct vertex *v, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_load_file(v->cfg.pipeline_spec_path, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "vertex: option 'pipeline_spec_path': %s:%d:%d: %s (compile the pipeline to JSON, "
                 "e.g. kfp's Compiler().compile(p, 'pipeline.json'))", v->cfg.pipeline_spec_path, jerr.line,
                 jerr.column, root ? "not a JSON object" : jerr.text);
        json_decref(root);
        return -1;
    }
    /* A PipelineJob JSON (older compilers) wraps the spec; a PipelineSpec is used as it is. */
    json_t *spec = json_object_get(root, "pipelineSpec");
    spec = json_is_object(spec) ? spec : root;
    if (!json_object_get(spec, "pipelineInfo") || !json_object_get(spec, "root")) {
        snprintf(err, errlen, "vertex: option 'pipeline_spec_path': %s is not a compiled pipeline (no pipelineInfo "
                 "or root)", v->cfg.pipeline_spec_path);
        json_decref(root);
        return -1;
    }
    v->pipeline_spec = json_incref(spec);
    json_decref(root);
    return 0;
}

static int validate(struct vertex *v, char *err, size_t errlen)
{
    struct vertex_config *c = &v->cfg;
    if (!valid_segment(c->project) || !valid_segment(c->location)) {
        snprintf(err, errlen, "vertex: options 'project' and 'location' are required (e.g. my-project, "
                 "europe-west4)");
        return -1;
    }
    /* The loader has checked action against its choices. */
    if (strcmp(c->action, "custom_job") == 0)
        v->action = VX_CUSTOM_JOB;
    else if (strcmp(c->action, "none") == 0)
        v->action = VX_ACTIONS_ONLY;
    else
        v->action = VX_PIPELINE;
    if (v->action == VX_ACTIONS_ONLY) {
        /* Deploys and rollbacks need no retraining options. */
    } else if (v->action == VX_PIPELINE) {
        if (is_set(c->template_uri) == is_set(c->pipeline_spec_path)) {
            snprintf(err, errlen, "vertex: action pipeline needs exactly one of 'template_uri' (Artifact Registry) "
                     "and 'pipeline_spec_path' (compiled pipeline JSON sent inline)");
            return -1;
        }
        if (is_set(c->template_uri) && strncmp(c->template_uri, "gs://", 5) == 0) {
            snprintf(err, errlen, "vertex: option 'template_uri': %s: a gs:// template must be sent inline; copy it "
                     "locally and set 'pipeline_spec_path'", c->template_uri);
            return -1;
        }
        if (!is_set(c->gcs_output_directory)) {
            snprintf(err, errlen, "vertex: action pipeline needs 'gcs_output_directory' (the pipeline root, "
                     "gs://bucket/path)");
            return -1;
        }
        if (is_set(c->pipeline_spec_path) && load_pipeline_spec(v, err, errlen) < 0)
            return -1;
    } else if (!is_set(c->image_uri)) {
        snprintf(err, errlen, "vertex: action custom_job needs 'image_uri' (the training container)");
        return -1;
    }
    if (check_kv_list(&c->parameter_values, "parameter_values", err, errlen) < 0 ||
        check_kv_list(&c->labels, "labels", err, errlen) < 0)
        return -1;

    /* The loader has kept the durations and max_attempts to their bounds (at least 1ms, 1). */
    if (c->deadline < c->timeout)
        c->deadline = c->timeout;

    if (is_set(c->api_endpoint)) {
        if (strncmp(c->api_endpoint, "https://", 8) != 0 && strncmp(c->api_endpoint, "http://", 7) != 0) {
            snprintf(err, errlen, "vertex: option 'api_endpoint' must start with https:// (or http:// for a local "
                     "fake), not '%s'", c->api_endpoint);
            return -1;
        }
        v->base_url = strdup(c->api_endpoint);
    } else if (strcmp(c->location, "global") == 0) {
        v->base_url = strdup("https://aiplatform.googleapis.com");
    } else {
        v->base_url = pu_strf("https://%s-aiplatform.googleapis.com", c->location);
    }
    v->parent = pu_strf("projects/%s/locations/%s", c->project, c->location);
    if (!v->base_url || !v->parent) {
        snprintf(err, errlen, "vertex: out of memory");
        return -1;
    }
    size_t n = strlen(v->base_url);
    while (n > 0 && v->base_url[n - 1] == '/')
        v->base_url[--n] = '\0';
    return 0;
}

/* ---- callbacks ---- */

static int vertex_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                       void **instance, char *err, size_t errlen)
{
    *instance = NULL;
    struct vertex *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "vertex: out of memory");
        return -1;
    }
    v->host = host;
    v->ctx = ctx;
    pthread_mutex_init(&v->lock, NULL);
    pu_cond_init_monotonic(&v->cond);
    v->name = strdup(instance_name);
    if (!v->name || copy_config(v, config) < 0) {
        snprintf(err, errlen, "vertex: out of memory");
        goto fail;
    }
    if (vx_auth_init(v, err, errlen) < 0 || validate(v, err, errlen) < 0)
        goto fail;
    *instance = v;
    return 0;
fail:
    vertex_destroy(v);
    return -1;
}

static int vertex_start(void *instance, char *err, size_t errlen)
{
    return vx_poller_start(instance, err, errlen);
}

static void vertex_stop(void *instance)
{
    vx_poller_stop(instance);
}

static void vertex_destroy(void *instance)
{
    struct vertex *v = instance;
    if (!v)
        return;
    vx_poller_stop(v);
    vx_poller_free(v);
    vx_auth_free(&v->auth);
    json_decref(v->pipeline_spec);
    if (v->cfg.access_token)
        explicit_bzero((char *)v->cfg.access_token, strlen(v->cfg.access_token));
    for (size_t i = 0; i < v->n_owned; i++)
        free(v->owned[i]);
    free(v->owned);
    free(v->base_url);
    free(v->parent);
    free(v->name);
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

static int vertex_trigger(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                          char *err, size_t errlen)
{
    return vx_trigger(instance, ev, res, err, errlen);
}

/* How an action parameter may be given. Ids are numbers at Vertex (19 digits, beyond int64 for
 * some), so a text parameter also takes a JSON integer, written back digit for digit, never
 * through a double; an integer parameter also takes a string of digits ("10" from --param). */
enum vx_param_kind { VX_P_TEXT, VX_P_INT, VX_P_NUMBER, VX_P_OBJECT };

struct vx_param_spec {
    const char *key;
    enum vx_param_kind kind;
};

#define VX_MAX_PARAMS 10

static const struct {
    const char *name;
    int (*fn)(struct vertex *v, json_t *params, json_t **result, char *err, size_t errlen);
    struct vx_param_spec params[VX_MAX_PARAMS];
} actions[] = {
    {"upload_model", vx_action_upload_model,
     {{"display_name", VX_P_TEXT}, {"image_uri", VX_P_TEXT}, {"artifact_uri", VX_P_TEXT},
      {"predict_route", VX_P_TEXT}, {"health_route", VX_P_TEXT}, {"port", VX_P_INT}, {"parent_model", VX_P_TEXT},
      {"model_id", VX_P_TEXT}}},
    {"deploy", vx_action_deploy,
     {{"endpoint", VX_P_TEXT}, {"model", VX_P_TEXT}, {"traffic_percent", VX_P_INT}, {"traffic_split", VX_P_OBJECT},
      {"machine_type", VX_P_TEXT}, {"min_replicas", VX_P_INT}, {"max_replicas", VX_P_INT},
      {"display_name", VX_P_TEXT}, {"service_account", VX_P_TEXT}}},
    {"undeploy", vx_action_undeploy,
     {{"endpoint", VX_P_TEXT}, {"deployed_model_id", VX_P_TEXT}, {"traffic_split", VX_P_OBJECT}}},
    {"rollback", vx_action_rollback, {{"endpoint", VX_P_TEXT}, {"deployed_model_id", VX_P_TEXT}, {"to", VX_P_TEXT}}},
    {"get_job", vx_action_get_job, {{"job", VX_P_TEXT}}},
    {"wait_job", vx_action_wait_job, {{"job", VX_P_TEXT}, {"timeout", VX_P_NUMBER}}},
};

/* A string of decimal digits, optionally signed, as an int64; 0 or -1 (not one, or out of range). */
static int digits_int(const char *s, json_int_t *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p || strspn(p, "0123456789") != strlen(p))
        return -1;
    errno = 0;
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return -1;
    *out = (json_int_t)n;
    return 0;
}

/* A copy of params with every value in the form the action reads (text as strings, integers as
 * integers), or NULL with err naming the parameter that is unknown, empty or of the wrong type:
 * nothing is silently dropped. */
static json_t *normalize_params(const char *action, const struct vx_param_spec *specs, json_t *params, char *err,
                                size_t errlen)
{
    json_t *out = json_object();
    const char *key;
    json_t *val;
    char known[512] = "";
    for (size_t i = 0; i < VX_MAX_PARAMS && specs[i].key; i++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", specs[i].key);
    }
    json_object_foreach(params, key, val) {
        const struct vx_param_spec *spec = NULL;
        for (size_t i = 0; i < VX_MAX_PARAMS && specs[i].key && !spec; i++)
            if (strcmp(specs[i].key, key) == 0)
                spec = &specs[i];
        if (!spec) {
            snprintf(err, errlen, "vertex: %s: unknown param \"%s\" (%s takes %s)", action, key, action, known);
            goto fail;
        }
        json_t *norm = NULL;
        json_int_t n;
        const char *want = "";
        switch (spec->kind) {
        case VX_P_TEXT:
            want = "a string or an integer id";
            if (json_is_string(val) && json_string_length(val) > 0)
                norm = json_incref(val);
            else if (json_is_integer(val) && json_integer_value(val) >= 0)
                norm = json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(val));
            else if (json_is_string(val))
                want = "not empty";
            break;
        case VX_P_INT:
            want = "an integer";
            if (json_is_integer(val))
                norm = json_incref(val);
            else if (json_is_string(val) && digits_int(json_string_value(val), &n) == 0)
                norm = json_integer(n);
            break;
        case VX_P_NUMBER:
            want = "a number";
            if (json_is_number(val))
                norm = json_incref(val);
            else if (json_is_string(val) && digits_int(json_string_value(val), &n) == 0)
                norm = json_integer(n);
            break;
        case VX_P_OBJECT:
            want = "a JSON object";
            if (json_is_object(val))
                norm = json_incref(val);
            break;
        }
        if (!norm) {
            snprintf(err, errlen, "vertex: %s: param \"%s\" must be %s", action, key, want);
            goto fail;
        }
        if (json_object_set_new(out, key, norm) < 0) {
            snprintf(err, errlen, "vertex: %s: out of memory", action);
            goto fail;
        }
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static int vertex_action(void *instance, const char *action, const char *params_json, char **result_json,
                         char *err, size_t errlen)
{
    struct vertex *v = instance;
    *result_json = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(actions[i].name, action) != 0)
            continue;
        json_error_t jerr;
        json_t *given = params_json && *params_json ? json_loads(params_json, 0, &jerr) : json_object();
        if (!json_is_object(given)) {
            snprintf(err, errlen, "vertex: %s: params must be a JSON object (%s at line %d column %d)", action,
                     given ? "not an object" : jerr.text, jerr.line, jerr.column);
            json_decref(given);
            return -1;
        }
        json_t *params = normalize_params(action, actions[i].params, given, err, errlen);
        json_decref(given);
        if (!params)
            return -1;
        json_t *result = NULL;
        int rc = actions[i].fn(v, params, &result, err, errlen);
        json_decref(params);
        if (rc == 0) {
            *result_json = pu_json_dump_for_host(v->host, result, JSON_COMPACT);
            if (!*result_json) {
                snprintf(err, errlen, "vertex: %s: out of memory", action);
                rc = -1;
            }
        }
        json_decref(result);
        return rc;
    }
    snprintf(err, errlen, "vertex: unknown action '%s' (upload_model, deploy, undeploy, rollback, get_job, wait_job)",
             action);
    return DW_ACTION_UNKNOWN;
}

#define OPT(n, t, d, req, field, desc) \
    {.name = n, .type = t, .def = d, .required = req, .offset = offsetof(struct vertex_config, field),       \
     .description = desc}
/* An option the loader keeps at lo or above. */
#define OPT_MIN(n, t, d, field, desc, lo) \
    {.name = n, .type = t, .def = d, .offset = offsetof(struct vertex_config, field), .description = desc, .min = lo}

static const char *const action_choices[] = {"pipeline", "custom_job", "none", NULL};

static const struct dw_option vertex_options[] = {
    OPT("project", DW_OPT_STRING, NULL, 1, project, "Google Cloud project id"),
    OPT("location", DW_OPT_STRING, NULL, 1, location, "Vertex AI region, e.g. europe-west4 (or global)"),
    OPT("api_endpoint", DW_OPT_STRING, NULL, 0, api_endpoint,
        "API base URL; default https://{location}-aiplatform.googleapis.com"),
    {.name = "action", .type = DW_OPT_STRING, .def = "pipeline", .offset = offsetof(struct vertex_config, action),
     .description = "what a retrain starts: pipeline or custom_job; none: no retraining, only the driftwatch vertex "
                    "actions",
     .choices = action_choices},
    OPT("template_uri", DW_OPT_STRING, NULL, 0, template_uri,
        "pipeline template in Artifact Registry (https://{region}-kfp.pkg.dev/...)"),
    OPT("pipeline_spec_path", DW_OPT_STRING, NULL, 0, pipeline_spec_path,
        "compiled pipeline JSON, sent inline as pipelineSpec"),
    OPT("gcs_output_directory", DW_OPT_STRING, NULL, 0, gcs_output_directory, "pipeline root, gs://bucket/path"),
    OPT("parameter_values", DW_OPT_LIST, NULL, 0, parameter_values,
        "pipeline parameters as key=value (JSON values are sent typed)"),
    OPT("drift_parameters", DW_OPT_BOOL, "true", 0, drift_parameters,
        "add model, drift_window_end, data_version, drifted_features to the pipeline parameters"),
    OPT("service_account", DW_OPT_STRING, NULL, 0, service_account, "service account the job runs as"),
    OPT("labels", DW_OPT_LIST, NULL, 0, labels, "job labels as key=value (driftwatch-key/-model are added)"),
    OPT("display_name", DW_OPT_STRING, NULL, 0, display_name, "job display name; default driftwatch-retrain-{model}"),
    OPT("image_uri", DW_OPT_STRING, NULL, 0, image_uri, "custom_job: training container image"),
    OPT("machine_type", DW_OPT_STRING, "n1-standard-4", 0, machine_type, "custom_job: machine type"),
    OPT("args", DW_OPT_LIST, NULL, 0, args, "custom_job: container arguments"),
    OPT("base_output_directory", DW_OPT_STRING, NULL, 0, base_output_directory, "custom_job: gs:// output prefix"),
    OPT("access_token", DW_OPT_SECRET, NULL, 0, access_token, "OAuth2 access token (else credentials_file, else "
        "the metadata server)"),
    OPT("credentials_file", DW_OPT_STRING, NULL, 0, credentials_file, "service-account key JSON file"),
    OPT("quota_project", DW_OPT_STRING, NULL, 0, quota_project, "project billed for quota (x-goog-user-project)"),
    OPT_MIN("timeout", DW_OPT_DURATION, "30s", timeout, "per HTTP attempt", "1ms"),
    OPT_MIN("deadline", DW_OPT_DURATION, "2m", deadline, "overall, for one call and its retries", "1ms"),
    OPT_MIN("max_attempts", DW_OPT_INT, "8", max_attempts, "HTTP attempts per retryable call", "1"),
    OPT_MIN("retry_delay", DW_OPT_DURATION, "1s", retry_delay,
            "first delay before a custom job re-create (doubles, full jitter, capped at 60s)", "1ms"),
    OPT("poll", DW_OPT_BOOL, "true", 0, poll, "follow created jobs to a final state in the background"),
    OPT_MIN("poll_interval", DW_OPT_DURATION, "5s", poll_interval, "first job poll delay (doubles)", "1ms"),
    OPT_MIN("poll_max_interval", DW_OPT_DURATION, "5m", poll_max_interval, "cap of the job poll delay", "1ms"),
    OPT_MIN("operation_poll_interval", DW_OPT_DURATION, "1s", operation_poll_interval,
            "first operation poll delay (x1.5)", "1ms"),
    OPT_MIN("operation_poll_max_interval", DW_OPT_DURATION, "20s", operation_poll_max_interval,
            "cap of the operation poll delay", "1ms"),
    OPT_MIN("operation_timeout", DW_OPT_DURATION, "1h", operation_timeout, "give up waiting for an operation",
            "1ms"),
    {0},
};

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = VX_NAME,
    .kind = DW_KIND_TRAINER,
    .version = VX_VERSION,
    .description = "Vertex AI: retrain with pipelineJobs/customJobs; upload, deploy, roll back models",
    .options = vertex_options,
    .config_size = sizeof(struct vertex_config),
    .init = vertex_init,
    .start = vertex_start,
    .stop = vertex_stop,
    .destroy = vertex_destroy,
    .trigger = vertex_trigger,
    .action = vertex_action,
};
