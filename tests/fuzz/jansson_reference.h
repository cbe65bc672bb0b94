/* jansson's reading of a sample body (a JSON array, one object, or NDJSON), of one sample's shape and
 * of a sample into a row of a column table:
 * the reference the one sample reader (core/sample/) is fuzzed against. Not linked into driftwatch. */
#ifndef DW_FUZZ_JANSSON_REFERENCE_H
#define DW_FUZZ_JANSSON_REFERENCE_H

#include <jansson.h>
#include <stddef.h>

#include "data/columns.h"

/* Called for each valid sample object (borrowed). text/len is the sample's own text when the body
 * had it on a line of its own (NDJSON), NULL otherwise. Returning non-zero stops the walk. */
typedef int (*ref_sample_fn)(void *ctx, json_t *sample, const char *text, size_t len);

struct ref_stats {
    size_t accepted;
    size_t rejected;
    char first_error[256];
};

/* 0 when the body was parsed (some samples may be rejected), -1 when it is not JSON at all (the body
 * counts as one rejected sample). */
int ref_parse_body(const char *body, size_t len, ref_sample_fn fn, void *ctx, struct ref_stats *stats);

/* One sample's shape: 0 ok, -1 with why. */
int ref_validate_sample(const json_t *sample, char *why, size_t whylen);

/* The core's former reading of a sample object into one row of t (columns_add_row_json): a sample
 * `{"features": {...}, "prediction", "label", "timestamp"}` or a flat object whose keys are
 * features. Returns 0, -1 out of memory, -2 not an object. */
int ref_add_row(struct columns *t, const json_t *obj);

#endif
