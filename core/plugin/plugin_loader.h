/* Opens plugin shared objects (`<dir>/<name>.so`), finds the `driftwatch_plugin` symbol and checks
 * the ABI before anything else in it is trusted; the core then uses a zero-padded copy of it. */
#ifndef DW_PLUGIN_LOADER_H
#define DW_PLUGIN_LOADER_H

#include <stddef.h>

#include "driftwatch/plugin.h"

struct loaded_plugin {
    void *handle;
    const struct dw_plugin *def; /* &ops once loaded */
    struct dw_plugin ops;        /* the plugin's struct, zero-padded to this core's size */
    struct dw_option *options;   /* its option table, each entry zero-padded likewise */
    char *path;
};

/* Returns 0, or -1 with err saying what failed: missing file, not a shared object, missing symbol,
 * wrong ABI, truncated struct, missing callbacks for its kind. */
int loader_open(const char *dir, const char *name, struct loaded_plugin **out, char *err, size_t errlen);
void loader_close(struct loaded_plugin *lp);

/* Names of the `*.so` files in dir, sorted; *names malloc'd (free with loader_free_names). */
int loader_list(const char *dir, char ***names, size_t *n, char *err, size_t errlen);
void loader_free_names(char **names, size_t n);

const char *loader_kind_name(enum dw_kind kind);

/* Whether the plugin can serve where `kind` is needed: its own kind, or another kind whose
 * operation it also implements (the `webhook` plugin is an alert sink that can also trigger a
 * retrain, so both uses share one webhook.so). */
int loader_serves_kind(const struct dw_plugin *p, enum dw_kind kind);

/* Whether the plugin has an `action` callback. */
int loader_has_action(const struct dw_plugin *p);

#endif
