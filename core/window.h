/* A model's window of kept samples: compact JSON texts in a ring. Tumbling windows are emptied
 * when they close; sliding ones overwrite their oldest sample once full. Not thread-safe: the
 * model runtime holds its lock around every call. */
#ifndef DW_WINDOW_H
#define DW_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct window {
    char **items;      /* ring; items[(head + i) % cap] is the i-th oldest */
    size_t head, n, cap;
    size_t max_items;  /* hard cap (the configured size, or a memory bound when size is 0) */
    size_t bytes;      /* sum of the texts' lengths */
    uint64_t seen;     /* samples offered since the window opened (kept or not) */
    int sliding;
};

int window_init(struct window *w, size_t max_items, int sliding);
void window_free(struct window *w);

/* Takes ownership of text. A full tumbling window refuses (-1: the caller closes it first); a full
 * sliding window drops its oldest sample. Returns 0, -1 full, -2 out of memory (text freed). */
int window_append(struct window *w, char *text);
/* Replaces the i-th oldest sample (reservoir sampling); takes ownership of text. */
void window_replace(struct window *w, size_t i, char *text);
const char *window_get(const struct window *w, size_t i);
/* Empties the window and its seen counter (a tumbling window closed). */
void window_clear(struct window *w);
int window_full(const struct window *w);

#endif
