/* The body of POST /v1/models/{model}/labels (docs/http-api.md): a JSON array of
 * {"request_id", "label"} objects, one such object, or NDJSON of them. */
#ifndef DW_LABELS_BODY_H
#define DW_LABELS_BODY_H

#include <stddef.h>

/* One label: request_id a string or an integer (as text); label a string, number or boolean as
 * text (a number as %g, an integer exactly), number its value when it is a JSON number, else NAN. */
struct label_item {
    const char *request_id;
    const char *label;
    double number;
};

/* Called for each valid label, in order (texts valid during the call). */
typedef int (*label_item_fn)(void *ctx, const struct label_item *item);

struct labels_read {
    size_t accepted, rejected;
    char first_error[256]; /* "line 3: $.label: ..." or "$[2].request_id: ..." */
};

/* Reads the body; returns 0 (some labels may be rejected), -1 when it is not JSON (first_error says
 * where: "line L, column C: why"), or fn's negative return (stops the walk). */
int labels_body_read(const char *body, size_t len, label_item_fn fn, void *ctx, struct labels_read *st);

#endif
