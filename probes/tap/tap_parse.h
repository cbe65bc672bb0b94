/* Turns one predict request/response pair into samples (docs/data-formats.md): Vertex AI / KServe v1
 * (`instances` → `predictions`) and KServe v2 open inference (`inputs` → `outputs`). Shared by
 * the proxy, canary and kserve probes (the dw_probe_tap library). */
#ifndef DW_PROBE_TAP_PARSE_H
#define DW_PROBE_TAP_PARSE_H

#include <stddef.h>

enum tap_protocol { TAP_AUTO = 0, TAP_V1, TAP_V2 };

/* The protocol names, NULL-terminated (the choices of a probe's `protocol` option). */
extern const char *const tap_protocol_names[];

/* Parses "v1", "v2" or "auto"; returns 0 or -1. */
int tap_protocol_parse(const char *s, enum tap_protocol *out);

struct tap_pair {
    const char *request;
    size_t request_len;
    const char *response;
    size_t response_len;
    const char *request_id;   /* from a header (X-Request-Id, ce-id); NULL: the v2 body's "id" if any */
    const char *timestamp;    /* RFC 3339, or NULL */
};

/* Builds a JSON array of samples, one per instance/row: {"features": {...}, "prediction": ...,
 * "timestamp", "request_id"}. Positional instances (v1 lists, v2 tensors of several columns) are
 * named by feature_names (n_names of them) when given, else by position ("0", "1", ... for v1;
 * "<input>_<j>" for v2). Returns the number of samples (*json malloc'd, NUL-terminated), or -1 with
 * the reason in why (the pair is not a predict call this parser understands, or is inconsistent). */
int tap_build_samples(enum tap_protocol protocol, const char *const *feature_names, size_t n_names,
                      const struct tap_pair *pair, char **json, size_t *json_len, char *why, size_t whylen);

#endif
