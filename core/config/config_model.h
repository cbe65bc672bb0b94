/* What the one-shot commands (`check -c`, `baseline -c`) take from a model's config entry: the
 * model itself, its drift settings as analyzer options, and the data version its versioning plugin
 * reports. The agent's model runtime uses the same functions. */
#ifndef DW_CONFIG_MODEL_H
#define DW_CONFIG_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"
#include "analyze/analyze.h"

/* The model named `name`, or the only model when name is NULL. Returns NULL with err. */
const struct model_config *config_pick_model(const struct config *cfg, const char *name, char *err, size_t errlen);

/* What the config can only be checked against with the model's baseline loaded: every
 * drift.features and quality_checks.features key names a feature of the baseline (else "FILE:LINE:COL: model 'm':
 * drift.features: the baseline has no feature 'mean_aera' (did you mean 'mean_area'?)"). validate,
 * check -c, report -c and the agent's start all call it. Returns 0 or -1 with err. */
int config_check_baseline(const struct model_config *mc, const struct profile *p, char *err, size_t errlen);

/* The feature of p closest to name (see suggest.h), or NULL. */
const char *config_nearest_feature(const struct profile *p, const char *name);

/* drift: {methods, correction, dataset_share, features} and quality_checks as analyzer options (o is initialised
 * here; free with analyze_options_free). Returns 0 or -1 with err. */
int config_analyze_options(const struct model_config *mc, struct analyze_options *o, char *err, size_t errlen);

#endif
