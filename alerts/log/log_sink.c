/* The `log` alert sink: writes each drift notification as a structured line in the agent's log.
 * The simplest sink, and the one that exercises the whole plugin path without a network. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driftwatch/plugin.h"
#include "sink_common.h"

struct log_sink_config {
    const char *level;
    int repeats;
};

struct log_sink {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    enum dw_log_level level;
    int repeats;
};

static const char *const log_sink_levels[] = {"info", "warn", "error", NULL};

static const struct dw_option log_sink_options[] = {
    {.name = "level", .type = DW_OPT_STRING, .def = "warn", .choices = log_sink_levels,
     .offset = offsetof(struct log_sink_config, level),
     .description = "log level of firing notifications: info, warn or error (resolutions are logged at info)"},
    {.name = "repeats", .type = DW_OPT_BOOL, .def = "false", .offset = offsetof(struct log_sink_config, repeats),
     .description = "also log the periodic re-sends of a firing alert"},
    {0},
};

static int log_sink_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name,
                         const void *config, void **instance, char *err, size_t errlen)
{
    const struct log_sink_config *cfg = config;
    /* The loader let only log_sink_levels through. */
    enum dw_log_level level = strcmp(cfg->level, "info") == 0    ? DW_LOG_INFO
                              : strcmp(cfg->level, "error") == 0 ? DW_LOG_ERROR
                                                                 : DW_LOG_WARN;
    struct log_sink *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->host = host;
    s->ctx = ctx;
    s->level = level;
    s->repeats = cfg->repeats;
    snprintf(s->name, sizeof s->name, "%s", instance_name);
    pu_sink_count_init(host, ctx, s->name);
    *instance = s;
    return 0;
}

static void log_sink_destroy(void *instance)
{
    free(instance);
}

static int log_sink_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    struct log_sink *s = instance;
    if (ev->repeat && !s->repeats)
        return 0;
    char features[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < ev->n_features && used < sizeof features; i++) {
        const struct dw_feature_score *f = &ev->features[i];
        int n = snprintf(features + used, sizeof features - used, "%s%s:%s=%.4g", i ? "," : "", f->name, f->method,
                         f->score);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    s->host->log(s->ctx, ev->firing ? s->level : DW_LOG_INFO,
                 "drift %s model=%s severity=%s drift_share=%.3f features=%s%s%s",
                 ev->firing ? (ev->repeat ? "still firing" : "firing") : "resolved", ev->model,
                 ev->severity ? ev->severity : "warning", ev->drift_share, features,
                 ev->report_url ? " report=" : "", ev->report_url ? ev->report_url : "");
    pu_sink_count(s->host, s->ctx, s->name, "ok");
    (void)err;
    (void)errlen;
    return 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "log",
    .kind = DW_KIND_ALERT,
    .version = "1.0.0",
    .description = "Writes drift notifications to the agent's log (logfmt on stderr).",
    .options = log_sink_options,
    .config_size = sizeof(struct log_sink_config),
    .init = log_sink_init,
    .destroy = log_sink_destroy,
    .alert_send = log_sink_send,
};
