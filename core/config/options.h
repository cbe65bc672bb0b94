/* Applies a plugin's option table (plugin.h struct dw_option) to a config mapping: defaults,
 * type checks, required options, unknown keys; errors as "file:line:col: plugin 'x': ...". */
#ifndef DW_OPTIONS_H
#define DW_OPTIONS_H

#include <stddef.h>

#include "driftwatch/plugin.h"
#include "util/yaml_tree.h"

/* A plugin instance's parsed options: `data` is the plugin's config struct; the strings and lists
 * it points to are owned here. */
struct plugin_config {
    void *data;
    void **owned;
    size_t n_owned;
};

/* map may be NULL (all defaults). Keys listed in `reserved` (NULL-terminated; the core's own keys
 * such as "plugin" or "name") are skipped. Returns 0 or -1 with err filled. */
int options_apply(const struct dw_plugin *plugin, const struct ynode *map, const char *const *reserved,
                  const char *file, struct plugin_config *out, char *err, size_t errlen);
/* options_apply, plus values the entry's place in the config implies for options it leaves out
 * (a probe listed under a model takes that model as its `model`): implied is NULL or a
 * NULL-terminated list of name, value pairs; a pair whose name the plugin has no option for is
 * ignored. An implied value satisfies a required option. */
int options_apply_implied(const struct dw_plugin *plugin, const struct ynode *map, const char *const *reserved,
                          const char *const *implied, const char *file, struct plugin_config *out, char *err,
                          size_t errlen);
void plugin_config_free(struct plugin_config *cfg);

/* Human-readable name of an option type ("string", "duration", ...). */
const char *options_type_name(enum dw_opt_type type);

#endif
