/* Test harness for alert sinks: loads a plugin .so the way the agent does (dlopen + the
 * driftwatch_plugin symbol) and fills its config struct from "key=value" text through its option table. */
#ifndef DW_TEST_ALERT_HARNESS_H
#define DW_TEST_ALERT_HARNESS_H

#include <stddef.h>

#include "driftwatch/plugin.h"

struct harness {
    void *dl;
    const struct dw_plugin *plugin;
    void *config;    /* plugin->config_size bytes, defaults applied */
    void **owned;    /* strings and arrays the config points into */
    size_t n_owned;
};

/* Opens path (a .so), checks ABI, size and kind, and applies the option table's defaults.
 * Returns 0 or -1 with err filled. */
int harness_open(struct harness *h, const char *path, enum dw_kind kind, char *err, size_t errlen);

/* Sets one option from text as the config loader would (durations "250ms|5s|5m|24h|1d" or seconds,
 * ints, doubles, bools, strings, secrets). A DW_OPT_LIST option gains one item per call.
 * Returns 0 or -1 (unknown option, bad value). */
int harness_set(struct harness *h, const char *key, const char *value, char *err, size_t errlen);

/* "key=value" form of harness_set. */
int harness_set_kv(struct harness *h, const char *kv, char *err, size_t errlen);

/* Checks that every required option has a value. Returns 0 or -1. */
int harness_check_required(const struct harness *h, char *err, size_t errlen);

/* Frees the config and closes the plugin. Accepts a zeroed struct. */
void harness_close(struct harness *h);

/* Path of a built plugin: DW_TEST_PLUGIN_DIR/<name>.so (static buffer). */
const char *harness_plugin_path(const char *name);

#endif
