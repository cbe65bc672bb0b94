/* A request body as samples (docs/data-formats.md): a JSON array of samples, one sample, or NDJSON
 * (one sample per line), each sample validated by sample_check and reported with where it was. */
#ifndef DW_SAMPLE_BATCH_H
#define DW_SAMPLE_BATCH_H

#include <stddef.h>

#include "sample/sample_check.h"

/* One sample of a body, or why it is not one. */
struct sample_item {
    size_t index;                         /* 0-based among the body's samples */
    size_t line;                          /* NDJSON: the 1-based line; a JSON body: 0 */
    size_t column0;                       /* NDJSON: 0-based column of text in its line */
    const char *text;                     /* the sample's own text in the body, blanks trimmed */
    size_t len;
    const struct sample_problem *problem; /* NULL for a sample; a syntax problem's offset is
                                             relative to text (only NDJSON items have one) */
};

typedef void (*sample_item_fn)(void *ctx, const struct sample_item *item);

/* NDJSON: calls fn for every line that is not blank, in order. Returns the number of such lines. */
size_t sample_read_ndjson(const char *body, size_t len, sample_item_fn fn, void *ctx);

/* 1 when the body has a line break followed by something other than blanks: when it is not one
 * JSON value, it is then read as NDJSON (the labels route shares the rule). */
int sample_body_has_lines(const char *body, size_t len);

/* A JSON array of samples or one sample (sample_check_batch); a body that is not one JSON value but
 * holds several non-blank lines is read as NDJSON, where one bad line must not lose the others.
 * Returns the number of items given to fn, or -1 with *prob (offset relative to body) when the body
 * is neither; then fn saw nothing. */
long sample_read_body(const char *body, size_t len, sample_item_fn fn, void *ctx, struct sample_problem *prob);

/* Where and why an item is refused, for people: "line 3, column 7: why" for a line that is not
 * JSON, "line 3: $.features.amount: why" for an NDJSON sample of the wrong shape, "$[2].features:
 * why" in a JSON body. */
void sample_item_describe(const struct sample_item *item, char *out, size_t outlen);

/* The same for a body sample_read_body refused: "line 1, column 9: why". */
void sample_body_describe(const char *body, const struct sample_problem *prob, char *out, size_t outlen);

#endif
