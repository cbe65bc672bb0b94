/* Ring buffer of sample texts for a model's window (see window.h). */
#include "window.h"

#include <stdlib.h>
#include <string.h>

int window_init(struct window *w, size_t max_items, int sliding)
{
    memset(w, 0, sizeof *w);
    w->max_items = max_items;
    w->sliding = sliding;
    return 0;
}

void window_clear(struct window *w)
{
    for (size_t i = 0; i < w->n; i++) {
        char **slot = &w->items[(w->head + i) % w->cap];
        free(*slot);
        *slot = NULL;
    }
    w->head = 0;
    w->n = 0;
    w->bytes = 0;
    w->seen = 0;
}

void window_free(struct window *w)
{
    window_clear(w);
    free(w->items);
    memset(w, 0, sizeof *w);
}

int window_full(const struct window *w)
{
    return w->n >= w->max_items;
}

/* Grows the ring geometrically up to max_items, unrolling it so head is 0. */
static int window_grow(struct window *w)
{
    size_t cap = w->cap ? w->cap * 2 : 256;
    if (cap > w->max_items)
        cap = w->max_items;
    char **items = calloc(cap, sizeof *items);
    if (!items)
        return -1;
    for (size_t i = 0; i < w->n; i++)
        items[i] = w->items[(w->head + i) % w->cap];
    free(w->items);
    w->items = items;
    w->cap = cap;
    w->head = 0;
    return 0;
}

int window_append(struct window *w, char *text)
{
    if (window_full(w)) {
        if (!w->sliding || w->n == 0) {
            free(text);
            return -1;
        }
        char **oldest = &w->items[w->head];
        w->bytes -= strlen(*oldest);
        free(*oldest);
        *oldest = text;
        w->bytes += strlen(text);
        w->head = (w->head + 1) % w->cap;
        return 0;
    }
    if (w->n == w->cap && window_grow(w) < 0) {
        free(text);
        return -2;
    }
    w->items[(w->head + w->n) % w->cap] = text;
    w->n++;
    w->bytes += strlen(text);
    return 0;
}

void window_replace(struct window *w, size_t i, char *text)
{
    char **slot = &w->items[(w->head + i) % w->cap];
    w->bytes -= strlen(*slot);
    free(*slot);
    *slot = text;
    w->bytes += strlen(text);
}

const char *window_get(const struct window *w, size_t i)
{
    return w->items[(w->head + i) % w->cap];
}
