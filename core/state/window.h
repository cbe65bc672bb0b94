/* A model's window of kept samples, column by column: 8 bytes per value (a double, or the id of a
 * categorical text interned per column) plus each sample's timestamp text, in a ring. Tumbling
 * windows are emptied when they close; sliding ones overwrite their oldest sample once full. Not
 * thread-safe: the model runtime holds its lock around every call. */
#ifndef DW_WINDOW_H
#define DW_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "util/catmap.h"
#include "data/columns.h"
#include "sample/sample_row.h"
#include "util/strbuf.h"

struct window {
    const struct row_schema *schema; /* borrowed: the model's columns */
    size_t ncols;
    uint64_t **cells;      /* cells[c][slot]: a double's bits, a text id, CELL_MISSING, CELL_ABSENT or
                              CELL_INVALID */
    struct catmap **texts; /* per categorical column: its interned texts (NULL for numeric columns) */
    char **ts;             /* per slot: the sample's "timestamp" text, or NULL */
    size_t ts_bytes;       /* their sizes */
    size_t head, n, cap;   /* slot (head + i) % cap holds the i-th oldest sample */
    size_t max_items;      /* hard cap (the configured size, or a memory bound when size is 0) */
    uint64_t seen;         /* samples offered since the window opened (kept or not) */
    int sliding;
    struct catmap *unknown; /* sample keys no column has (docs/statistics.md's unexpected columns), each with
                               the kept samples that carried it, since the window opened (a sliding
                               window: since it started); at most WINDOW_MAX_UNKNOWN names. Not in
                               snapshots: a restart after compaction forgets them */
};
#define WINDOW_MAX_UNKNOWN 256

/* Returns 0, or -1 when out of memory. */
int window_init(struct window *w, const struct row_schema *schema, size_t max_items, int sliding);
void window_free(struct window *w);

/* Copies row r in. A full tumbling window refuses (-1: the caller closes it first); a full sliding
 * window drops its oldest sample. Returns 0, -1 full, -2 out of memory. */
int window_append(struct window *w, const struct sample_row *r);
/* Replaces the i-th oldest sample (reservoir sampling). Returns 0 or -2 (out of memory). */
int window_replace(struct window *w, size_t i, const struct sample_row *r);
/* Empties the window and its seen counter (a tumbling window closed). */
void window_clear(struct window *w);
int window_full(const struct window *w);
/* Bytes the samples take (cells, interned texts, timestamps). */
size_t window_bytes(const struct window *w);

/* Moves the samples into a new window (a closed window handed to a check); w starts empty.
 * Returns NULL when out of memory (w unchanged). */
struct window *window_take(struct window *w);
/* Fills t (from columns_new_for_profile of the model's profile: the same columns in the same
 * order) with the window's rows in order, as columns_add_row_json would from the samples' texts
 * (absent keys counted in each column's absent, unknown keys in t->unknown_names).
 * consume: the numeric columns' cells become the table's values in place (no copy) and w is left
 * unusable but for window_free. Returns 0 or -1 (out of memory). */
int window_fill_columns(struct window *w, struct columns *t, int consume);
/* The i-th oldest sample as a JSON text that reads back into the same row (a snapshot record):
 * absent keys left out, missing ones as null. */
void window_row_json(const struct window *w, size_t i, struct strbuf *sb);

#endif
