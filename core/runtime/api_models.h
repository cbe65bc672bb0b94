/* The core's model API routes (docs/http-api.md): GET /v1/models/{m}/drift, POST /v1/models/{m}/check,
 * GET /v1/models/{m}/report. Sample ingest (POST .../samples) belongs to the push probe. */
#ifndef DW_API_MODELS_H
#define DW_API_MODELS_H

#include <stddef.h>

#include "runtime/model.h"

/* Registers the routes over the given models (borrowed; they outlive the routes). */
int api_models_register(struct model_runtime **models, size_t n);

#endif
