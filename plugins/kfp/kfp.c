/* Kubeflow Pipelines trainer plugin: starts a run of a pipeline version (REST v2beta1) when drift
 * is confirmed, at most one per trigger key, and follows it to a final state. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfp.h"

static const struct dw_option kfp_options[] = {
    {.name = "host", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct kfp_config, host),
     .description = "KFP API server, e.g. http://127.0.0.1:8888 or https://kubeflow.example.com/pipeline"},
    {.name = "pipeline_id", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct kfp_config, pipeline_id),
     .description = "pipeline to run (pipeline_version_reference.pipeline_id)"},
    {.name = "pipeline_version_id", .type = DW_OPT_STRING, .offset = offsetof(struct kfp_config, pipeline_version_id),
     .description = "pipeline version to run (default: left to the server, which picks the latest)"},
    {.name = "experiment_id", .type = DW_OPT_STRING, .offset = offsetof(struct kfp_config, experiment_id),
     .description = "experiment of the runs (default: the server's default experiment); also scopes the run lookup"},
    {.name = "namespace", .type = DW_OPT_STRING, .offset = offsetof(struct kfp_config, namespace_),
     .description = "Kubernetes namespace for the run lookup in multi-user deployments"},
    {.name = "pipeline_root", .type = DW_OPT_STRING, .offset = offsetof(struct kfp_config, pipeline_root),
     .description = "runtime_config.pipeline_root (where artifacts go, e.g. s3://bucket/runs)"},
    {.name = "parameters", .type = DW_OPT_LIST, .offset = offsetof(struct kfp_config, parameters),
     .description = "pipeline parameters, k=v each; v is JSON when it parses (0.02, true, [1,2], \"007\"), else a string"},
    {.name = "drift_parameters", .type = DW_OPT_BOOL, .def = "true", .offset = offsetof(struct kfp_config, drift_parameters),
     .description = "also pass model, data_version, window_end and drifted_features as string parameters"},
    {.name = "token", .type = DW_OPT_SECRET, .offset = offsetof(struct kfp_config, token),
     .description = "bearer token sent as 'Authorization: Bearer ...' (never logged)"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "30s", .offset = offsetof(struct kfp_config, timeout),
     .description = "timeout of one HTTP request", .min = "1ms"},
    {.name = "deadline", .type = DW_OPT_DURATION, .def = "2m", .offset = offsetof(struct kfp_config, deadline),
     .description = "overall time one trigger may spend listing and creating (retries included)", .min = "1ms"},
    {.name = "retry_delay", .type = DW_OPT_DURATION, .def = "1s", .offset = offsetof(struct kfp_config, retry_delay),
     .description = "first wait before listing again after a failed create (doubles, full jitter, capped at 60s)",
     .min = "0"},
    {.name = "poll", .type = DW_OPT_BOOL, .def = "true", .offset = offsetof(struct kfp_config, poll),
     .description = "follow each run to a final state (SUCCEEDED, SKIPPED, FAILED, CANCELED) in a background thread"},
    {.name = "poll_interval", .type = DW_OPT_DURATION, .def = "10s", .offset = offsetof(struct kfp_config, poll_interval),
     .description = "time between two GETs of a run", .min = "1ms"},
    {0},
};

static int is_set(const char *s)
{
    return s && *s;
}

static char *dup_opt(const char *s, int *failed)
{
    if (!is_set(s))
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

static void kfp_free(struct kfp *k)
{
    if (!k)
        return;
    kfp_poller_free(k);
    if (k->auth_header) {
        volatile char *p = k->auth_header;
        while (*p)
            *p++ = '\0';
        free(k->auth_header);
    }
    json_decref(k->parameters);
    free(k->name);
    free(k->base);
    free(k->pipeline_id);
    free(k->pipeline_version_id);
    free(k->experiment_id);
    free(k->namespace_);
    free(k->pipeline_root);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

static int kfp_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                    void **instance, char *err, size_t errlen)
{
    const struct kfp_config *cfg = config;
    *instance = NULL;
    if (!is_set(cfg->host) || (strncmp(cfg->host, "http://", 7) != 0 && strncmp(cfg->host, "https://", 8) != 0)) {
        snprintf(err, errlen, "kfp: option 'host' must be an http:// or https:// URL of the KFP API server, e.g. "
                 "http://127.0.0.1:8888");
        return -1;
    }
    if (strchr(cfg->host, '?') || strchr(cfg->host, '#')) {
        snprintf(err, errlen, "kfp: option 'host' must not have a query or fragment");
        return -1;
    }
    if (!is_set(cfg->pipeline_id)) {
        snprintf(err, errlen, "kfp: option 'pipeline_id' is empty");
        return -1;
    }
    for (size_t i = 0; i < cfg->parameters.n; i++) {
        const char *kv = cfg->parameters.items[i];
        const char *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq || eq == kv) {
            snprintf(err, errlen, "kfp: option 'parameters': item %zu is not name=value", i + 1);
            return -1;
        }
    }
    if (cfg->token) {
        for (const char *p = cfg->token; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                snprintf(err, errlen, "kfp: option 'token' holds a control character (a trailing newline from a "
                         "file?)");
                return -1;
            }
    }

    struct kfp *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "kfp: out of memory");
        return -1;
    }
    pthread_mutex_init(&k->lock, NULL);
    pu_cond_init_monotonic(&k->cond);
    k->host = host;
    k->ctx = ctx;
    k->drift_parameters = cfg->drift_parameters;
    k->timeout_ms = cfg->timeout;
    k->deadline_ms = cfg->deadline;
    k->retry_delay_ms = cfg->retry_delay > 0 ? cfg->retry_delay : 1; /* a delay of 0 would never double */
    k->poll = cfg->poll;
    k->poll_interval_ms = cfg->poll_interval;

    int failed = 0;
    k->name = strdup(instance_name);
    k->base = strdup(cfg->host);
    failed |= !k->name || !k->base;
    if (k->base) {
        size_t n = strlen(k->base);
        while (n > 0 && k->base[n - 1] == '/')
            k->base[--n] = '\0';
    }
    k->pipeline_id = dup_opt(cfg->pipeline_id, &failed);
    k->pipeline_version_id = dup_opt(cfg->pipeline_version_id, &failed);
    k->experiment_id = dup_opt(cfg->experiment_id, &failed);
    k->namespace_ = dup_opt(cfg->namespace_, &failed);
    k->pipeline_root = dup_opt(cfg->pipeline_root, &failed);
    if (is_set(cfg->token))
        failed |= !(k->auth_header = pu_strf("Authorization: Bearer %s", cfg->token));
    k->parameters = json_object();
    failed |= !k->parameters;
    for (size_t i = 0; !failed && i < cfg->parameters.n; i++) {
        const char *kv = cfg->parameters.items[i];
        const char *eq = strchr(kv, '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        json_t *v = pu_param_value(eq + 1);
        if (!v) {
            kfp_free(k);
            snprintf(err, errlen, "kfp: option 'parameters': item %zu: the value is not UTF-8", i + 1);
            return -1;
        }
        failed |= json_object_set_new(k->parameters, key, v) < 0;
    }
    if (failed) {
        kfp_free(k);
        snprintf(err, errlen, "kfp: out of memory");
        return -1;
    }
    *instance = k;
    return 0;
}

static int kfp_start(void *instance, char *err, size_t errlen)
{
    return kfp_poller_start(instance, err, errlen);
}

static void kfp_stop(void *instance)
{
    kfp_poller_stop(instance);
}

static void kfp_destroy(void *instance)
{
    struct kfp *k = instance;
    if (!k)
        return;
    kfp_poller_stop(k);
    kfp_free(k);
}

static int kfp_trigger_op(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                          size_t errlen)
{
    return kfp_trigger(instance, ev, res, err, errlen);
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "kfp",
    .kind = DW_KIND_TRAINER,
    .version = "1.0.0",
    .description = "Retrains through a Kubeflow Pipelines run (REST v2beta1), one per trigger key, followed to a "
                   "final state.",
    .options = kfp_options,
    .config_size = sizeof(struct kfp_config),
    .init = kfp_init,
    .start = kfp_start,
    .stop = kfp_stop,
    .destroy = kfp_destroy,
    .trigger = kfp_trigger_op,
};
