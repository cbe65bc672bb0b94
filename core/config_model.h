/* What the one-shot commands (`check -c`, `baseline -c`) take from a model's config entry: the
 * model itself, its drift settings as analyzer options, and the data version its versioning plugin
 * reports. The agent's model runtime uses the same functions. */
#ifndef DW_CONFIG_MODEL_H
#define DW_CONFIG_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "drift/analyze.h"
#include "plugin_instance.h"

/* The model named `name`, or the only model when name is NULL. Returns NULL with err. */
const struct model_config *config_pick_model(const struct config *cfg, const char *name, char *err, size_t errlen);

/* drift: {methods, correction, dataset_share, features} as analyzer options (o is initialised
 * here; free with analyze_options_free). Returns 0 or -1 with err. */
int config_analyze_options(const struct model_config *mc, struct analyze_options *o, char *err, size_t errlen);

/* Asks a versioning plugin instance for the data version of path (NULL: its configured path).
 * Returns a new JSON object, or NULL with err. */
json_t *config_ask_data_version(struct plugin_instance *versioning, const char *path, char *err, size_t errlen);

/* Loads the model's versioning plugin (when it has one) and asks it about path. Returns 0 with *out
 * (NULL when the model has no versioning entry), or -1 with err. */
int config_data_version(const struct config *cfg, const struct model_config *mc, const char *path, json_t **out,
                        char *err, size_t errlen);

#endif
