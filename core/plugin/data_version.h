/* The data version of a file, asked of a model's versioning plugin (e.g. dvc): for the profile's
 * source at `baseline -c`, the check's comparison at `check -c`, and the agent's baseline info. */
#ifndef DW_DATA_VERSION_H
#define DW_DATA_VERSION_H

#include <jansson.h>

#include "config/config.h"
#include "plugin/plugin_instance.h"

/* Asks a versioning plugin instance for the data version of path (NULL: its configured path).
 * Returns a new JSON object, or NULL with err. */
json_t *data_version_ask(struct plugin_instance *versioning, const char *path, char *err, size_t errlen);

/* Loads the model's versioning plugin (when it has one) and asks it about path. Returns 0 with *out
 * (NULL when the model has no versioning entry), or -1 with err. */
int data_version_of_model(const struct config *cfg, const struct model_config *mc, const char *path, json_t **out,
                          char *err, size_t errlen);

#endif
