/* The journal records of a model's window and their replay: one reader for the agent's restart
 * (core/runtime/model.c) and for `check -c` reading the agent's state (core/state/state_window.c), so the same
 * records always give the same window. */
#ifndef DW_WINDOW_REPLAY_H
#define DW_WINDOW_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "state/cursors.h"
#include "sample/sample_row.h"
#include "state/window.h"

/* Record types (journal.h gives the file format around them). */
#define WINDOW_REC_APPEND 'A'  /* payload: a kept sample's text */
#define WINDOW_REC_REPLACE 'R' /* payload: 8-byte little-endian index, then the sample text */
#define WINDOW_REC_CLOSE 'C'   /* the tumbling window closed: start empty */
#define WINDOW_REC_BATCH 'B'   /* a probe's batch with its source cursor, all or nothing: the cursor, then
                                  the batch's A/R/C records inside (format in cursors.h) */

struct window_replay {
    const struct row_schema *schema;
    struct sample_row *row;        /* scratch for the sample being read */
    struct window *window;         /* filled by the replay */
    struct cursor_table *cursors;  /* a batch's cursor goes here; NULL: cursors are not kept */
    const char *log_model;         /* non-NULL: each skipped record is logged as this model's warning */
    uint64_t unreadable;           /* journaled samples that did not read (other columns, damage): skipped */
};

/* journal_replay's callback, ctx a struct window_replay. Unknown record types (a newer version's)
 * are skipped. Returns 0, or -1 when the window or the cursor table ran out of memory. */
int window_replay_record(void *ctx, uint8_t type, const void *data, size_t len);

#endif
