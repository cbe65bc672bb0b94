/* Validation of samples against the shape of docs/data-formats.md: the one check every door uses
 * (the push and tail probes on what they receive, the core on the batches the proxy, canary and
 * kserve probes emit, the data file reader). A single pass over the text, without building a
 * document, that knows the line and the JSON path of what it refuses. */
#ifndef DW_SAMPLE_CHECK_H
#define DW_SAMPLE_CHECK_H

#include <stddef.h>

/* What is wrong with a sample or a batch. */
struct sample_problem {
    int syntax;          /* 1: not valid JSON (why says what, offset where); 0: JSON but not a sample */
    size_t offset;       /* byte offset of the problem in the checked text */
    char path[256];      /* JSON path of a shape problem, e.g. "$[3].features.amount" */
    char why[256];
    int empty;           /* 1: the one problem is a sample without any feature value ({} or "features": {}):
                            the data file reader reads it as a row of missing values */
};

/* Checks that text[0, len) is exactly one JSON value (whitespace around it allowed) and that it is
 * a sample: an object with an object `features` of scalar values (number, string, boolean, null),
 * optional `prediction` and `label` (any JSON), `timestamp` (RFC 3339 string or null) and
 * `request_id` (string, integer or null); or a flat, non-empty object of scalar values (each key a
 * feature). JSON follows RFC 8259 plus the limits of the core's parser (no \u0000, integers within
 * 64 bits, finite reals, no key twice in one object). `prefix` is the value's own path ("$"). Returns 0 or -1 with *prob. */
int sample_check_text(const char *text, size_t len, const char *prefix, struct sample_problem *prob);

/* One element of a JSON batch: its index, its text, and its problem (NULL when it is a sample). */
typedef void (*sample_each_fn)(void *ctx, size_t index, const char *start, size_t len,
                               const struct sample_problem *problem);

/* Checks a JSON body: an array of samples (paths "$[i]...") or one sample ("$"). When the body is
 * valid JSON, calls fn for every element in order and returns the number of elements; otherwise
 * returns -1 with the syntax problem in *prob and calls fn for nothing. */
long sample_check_batch(const char *text, size_t len, sample_each_fn fn, void *ctx, struct sample_problem *prob);

/* 1-based line and column (in bytes) of offset in text. */
void sample_line_col(const char *text, size_t offset, size_t *line, size_t *col);


/* Appends ".key" (or "[\"key\"]" when key is not a plain identifier) to path. */
void sample_path_append_key(char *path, size_t pathlen, const char *key);

#endif
