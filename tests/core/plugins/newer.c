/* Test fixture: a plugin built against a later ABI 2 header, one that appended a field to
 * struct dw_option and an operation to struct dw_plugin. The loader must step through the option
 * table by the plugin's option_size, keep the fields it knows, and ignore the rest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "driftwatch/plugin.h"

struct newer_option {
    struct dw_option known;
    const char *appended; /* what a later header might add */
};

struct newer_plugin {
    struct dw_plugin known;
    void (*appended_op)(void *instance);
};

struct newer_config {
    int64_t level;
    const char *mode;
};

static const char *const modes[] = {"fast", "safe", NULL};

static const struct newer_option newer_options[] = {
    {.known = {.name = "level", .type = DW_OPT_INT, .def = "2", .offset = offsetof(struct newer_config, level),
               .description = "a bounded integer", .min = "1", .max = "5"},
     .appended = "ignored"},
    {.known = {.name = "mode", .type = DW_OPT_STRING, .def = "safe", .offset = offsetof(struct newer_config, mode),
               .description = "one of two words", .choices = modes},
     .appended = "ignored"},
    {.known = {0}},
};

static int newer_init(const struct dw_host *host, struct dw_ctx *ctx, const char *name, const void *config,
                      void **instance, char *err, size_t errlen)
{
    (void)name;
    const struct newer_config *cfg = config;
    if (cfg->level < 1 || cfg->level > 5) { /* the loader promised this */
        snprintf(err, errlen, "level %lld reached init", (long long)cfg->level);
        return -1;
    }
    host->log(ctx, DW_LOG_INFO, "level %lld, mode %s", (long long)cfg->level, cfg->mode);
    *instance = (void *)host;
    return 0;
}

static void newer_destroy(void *instance)
{
    (void)instance;
}

static int newer_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    (void)instance;
    (void)ev;
    (void)err;
    (void)errlen;
    return 0;
}

static void newer_appended_op(void *instance)
{
    (void)instance;
}

DW_EXPORT const struct newer_plugin driftwatch_plugin = {
    .known =
        {
            .abi = DW_PLUGIN_ABI,
            .size = sizeof(struct newer_plugin),
            .option_size = sizeof(struct newer_option),
            .name = "newer",
            .kind = DW_KIND_ALERT,
            .version = "2.1.0",
            .description = "built against a later ABI 2 header",
            .options = &newer_options[0].known,
            .config_size = sizeof(struct newer_config),
            .init = newer_init,
            .destroy = newer_destroy,
            .alert_send = newer_send,
        },
    .appended_op = newer_appended_op,
};
