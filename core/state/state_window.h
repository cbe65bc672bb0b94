/* A model's current window read from the agent's state directory (its journal and snapshot), for
 * the one-shot `check -c` / `report -c` when no data file is given. Read-only: the agent's files
 * are never written, and its lock is not taken, so this works while the agent runs. */
#ifndef DW_STATE_WINDOW_H
#define DW_STATE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "data/columns.h"
#include "data/profile.h"

/* 1 when state_dir holds a journal or a snapshot of the model, else 0. */
int state_window_exists(const char *state_dir, const char *model);

struct state_window_info {
    uint64_t snapshot_records, journal_records; /* records read */
    uint64_t torn_bytes;  /* an unfinished final record (a write in flight) left out */
    uint64_t unreadable;  /* journaled samples that no longer read for the baseline: skipped */
};

/* Reads the model's window as the agent would rebuild it on a restart (the samples since the last
 * close of a tumbling window; the last `size` of a sliding one) into a table for p (the model's
 * baseline). How, without touching the agent's files or its lock: the journal is copied first,
 * then the snapshot, into a private temporary directory (TMPDIR or /tmp), where journal.c opens
 * and replays the copy. Compaction renames a new snapshot into place before it replaces the
 * journal, so a journal copied before a snapshot is either older than that snapshot (then the
 * snapshot holds all of it and it is dropped as stale) or continues it; a record being written
 * while the journal is copied is a torn tail, cut in the copy. Samples still in the agent's memory
 * (not yet committed) and closed windows waiting for the agent's own check are not included.
 * Returns 0 with *out (rows may be 0: an empty window), or -1 with err. */
int state_window_read(const char *state_dir, const struct model_config *mc, const struct profile *p,
                      struct columns **out, struct state_window_info *info, char *err, size_t errlen);

#endif
