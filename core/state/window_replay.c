/* Replaying a window's journal records (see window_replay.h). */
#include "state/window_replay.h"

#include "util/log.h"
#include "util/wall_clock.h"

/* Reads a journaled sample text into r->row; one that does not read is counted and skipped. */
static int replay_row(struct window_replay *r, const char *text, size_t len)
{
    char why[192];
    if (sample_row_parse(r->schema, text, len, r->row, why, sizeof why) == 0)
        return 0;
    r->unreadable++;
    if (r->log_model)
        log_warn("model", "model=%s a journaled sample does not read (%s): skipped", r->log_model, why);
    return -1;
}

/* A batch record: its window records, then its cursor. */
static int replay_batch(struct window_replay *r, const void *data, size_t len)
{
    struct cursor_entry e;
    const unsigned char *inner;
    size_t left;
    if (cursor_record_decode(data, len, &e, &inner, &left) < 0) {
        if (r->log_model)
            log_warn("model", "model=%s a journaled batch record does not read: skipped", r->log_model);
        return 0;
    }
    uint8_t type;
    const void *d;
    size_t n;
    int more;
    while ((more = cursor_inner_next(&inner, &left, &type, &d, &n)) == 1) {
        if (type == WINDOW_REC_BATCH)
            continue; /* batches do not nest */
        int rc = window_replay_record(r, type, d, n);
        if (rc)
            return rc;
    }
    if (more < 0 && r->log_model)
        log_warn("model", "model=%s a journaled batch record ends early: its cursor is kept", r->log_model);
    if (!r->cursors)
        return 0;
    return cursors_put(r->cursors, &e, wall_clock_ms()) < 0 ? -1 : 0;
}

int window_replay_record(void *ctx, uint8_t type, const void *data, size_t len)
{
    struct window_replay *r = ctx;
    const char *p = data;
    if (type == WINDOW_REC_BATCH)
        return replay_batch(r, data, len);
    if (type == WINDOW_REC_CLOSE) {
        window_clear(r->window);
        return 0;
    }
    if (type == WINDOW_REC_APPEND) {
        if (replay_row(r, p, len) < 0)
            return 0;
        return window_append(r->window, r->row) != -2 ? 0 : -1;
    }
    if (type == WINDOW_REC_REPLACE && len >= 8) {
        uint64_t idx = 0;
        for (int i = 0; i < 8; i++)
            idx |= (uint64_t)(unsigned char)p[i] << (8 * i);
        if (idx >= r->window->n || replay_row(r, p + 8, len - 8) < 0)
            return 0;
        return window_replace(r->window, (size_t)idx, r->row) == 0 ? 0 : -1;
    }
    return 0; /* unknown record types from a newer version are skipped */
}
