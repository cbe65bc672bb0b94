/* String -> count map for categorical columns (and column-name lookup): entries kept in insertion
 * order in one dense array, strings in one arena, so counting a category allocates nothing once
 * the value has been seen. */
#ifndef DW_DATA_CATMAP_H
#define DW_DATA_CATMAP_H

#include <stddef.h>
#include <stdint.h>

struct catmap;

/* limit: most distinct keys kept (0 = no limit); values beyond it are counted in the overflow. */
struct catmap *catmap_new(size_t limit);
void catmap_free(struct catmap *m);
/* Forgets every key (keeps the memory). */
void catmap_clear(struct catmap *m);

/* Adds n to key's count, inserting it. Returns the entry index, -2 when the limit kept the key out
 * (its count went to the overflow), -1 when out of memory. */
long catmap_add(struct catmap *m, const char *key, size_t len, uint64_t n);
/* Entry index of key or -1. */
long catmap_find(const struct catmap *m, const char *key, size_t len);

size_t catmap_size(const struct catmap *m);
/* Entry i (0 <= i < size) in insertion order; the key is NUL-terminated and lives until clear/free. */
const char *catmap_key(const struct catmap *m, size_t i, size_t *len);
uint64_t catmap_count(const struct catmap *m, size_t i);
/* Sum of counts that the limit kept out. */
uint64_t catmap_overflow(const struct catmap *m);
/* Sum of all counts, overflow included. */
uint64_t catmap_total(const struct catmap *m);

#endif
