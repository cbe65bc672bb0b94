/* Validation of one ingest sample against the shape of DESIGN.md §3, shared by the push and tail
 * probes so both report the same problems with the same JSON paths. */
#ifndef DW_PROBE_SAMPLE_CHECK_H
#define DW_PROBE_SAMPLE_CHECK_H

#include <jansson.h>
#include <stddef.h>

/* Checks `v` as one sample: an object with an object `features` (scalar values), optional
 * `prediction`/`label` (any JSON), `timestamp` (RFC 3339 string) and `request_id` (string or
 * integer); or a flat, non-empty object whose values are all scalars (every key a feature).
 * `prefix` is the sample's own JSON path ("$" or "$[3]"). Returns 0 when valid; else -1 with the
 * offending JSON path in `path` (e.g. "$[3].features.amount") and the reason in `why`. */
int sample_check(const json_t *v, const char *prefix, char *path, size_t pathlen, char *why, size_t whylen);

/* 1 when s is an RFC 3339 date-time ("2024-05-01T12:00:00Z", fraction and offset optional). */
int sample_is_rfc3339(const char *s);

/* Appends ".key" (or "[\"key\"]" when key is not a plain identifier) to path. */
void sample_path_append_key(char *path, size_t pathlen, const char *key);

#endif
