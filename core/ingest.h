/* Splits an ingest body (a JSON array, one object, or NDJSON; docs/data-formats.md) into validated sample
 * objects, naming each rejected one by NDJSON line or JSON path. */
#ifndef DW_INGEST_H
#define DW_INGEST_H

#include <jansson.h>
#include <stddef.h>

/* Called for each valid sample object (borrowed; the callee takes a reference if it keeps it).
 * text/len is the sample's own JSON text when the body had it on a line of its own (NDJSON), so the
 * callee can keep it without re-encoding; NULL otherwise. Returning non-zero stops the walk. */
typedef int (*ingest_sample_fn)(void *ctx, json_t *sample, const char *text, size_t len);

struct ingest_stats {
    size_t accepted;
    size_t rejected;
    char first_error[256];  /* "line 3: ..." or "$[2].features: ..." */
};

/* Returns 0 when the body was parsed (some samples may be rejected), -1 when it is not JSON at all
 * (first_error says where; the body counts as one rejected sample). */
int ingest_parse(const char *body, size_t len, ingest_sample_fn fn, void *ctx, struct ingest_stats *stats);

/* Checks one sample's shape; 0 ok, -1 with why (relative to the sample, e.g. ".features: must be an object"). */
int ingest_validate_sample(const json_t *sample, char *why, size_t whylen);

#endif
