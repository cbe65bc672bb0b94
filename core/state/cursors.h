/* Source cursors of one model (where each probe's source stands, and the idempotency keys it has
 * taken) and the journal record that carries a batch together with its cursor, all or nothing. */
#ifndef DW_CURSORS_H
#define DW_CURSORS_H

#include <stddef.h>
#include <stdint.h>

#include "driftwatch/plugin.h"
#include "util/strbuf.h"

/*
 * Batch record payload (journal record type 'B' in model.c; integers little-endian):
 *   u8  format (1)
 *   u32 source length, source bytes
 *   u32 key length, key bytes        (0: the source's single cursor)
 *   u32 value length, value bytes
 *   i64 expires_unix_ms              (0: never)
 *   u64 max_keys                     (0: no bound)
 *   then the batch's own records to the end: [u8 type][u32 length][payload] ...
 * The journal's CRC covers the whole payload, so a torn record loses the samples and the cursor
 * together. A snapshot writes each live cursor as a batch record without inner records.
 */

/* One entry (pointers borrowed; lengths exclude any NUL). */
struct cursor_entry {
    const char *source;
    size_t source_len;
    const char *key;     /* "" (key_len 0): the source's single cursor */
    size_t key_len;
    const char *value;
    size_t value_len;
    int64_t expires_ms;  /* unix ms, 0: never */
    uint64_t max_keys;
};

struct cursor_table;

/* NULL when out of memory. */
struct cursor_table *cursors_new(void);
void cursors_free(struct cursor_table *t);

/* The live value of (source, key) at now_ms (an expired one is absent), NUL-terminated and
 * borrowed until the table next changes; NULL when absent. */
const char *cursors_get(struct cursor_table *t, const char *source, size_t source_len, const char *key,
                        size_t key_len, int64_t now_ms);

/* Sets (source, key) to value as the newest entry of its source; first drops the source's expired
 * entries from the oldest on, then the oldest ones beyond e->max_keys - 1. 0, or -1 out of memory. */
int cursors_put(struct cursor_table *t, const struct cursor_entry *e, int64_t now_ms);

/* Calls fn(ctx, key, value) for each live entry of source, oldest first; returns how many. */
int cursors_foreach(struct cursor_table *t, const char *source, int64_t now_ms, dw_cursor_fn fn, void *ctx);

/* Calls fn for each live entry of every source (snapshots); stops at and returns a nonzero return. */
int cursors_walk(struct cursor_table *t, int64_t now_ms, int (*fn)(void *ctx, const struct cursor_entry *e),
                 void *ctx);

/* Appends one inner record to an inner-record buffer (sb->failed on out of memory). */
void cursor_inner_add(struct strbuf *sb, uint8_t type, const void *data, size_t len);

/* Encodes a batch record: e's cursor, then inner (n bytes built by cursor_inner_add). */
void cursor_record_encode(struct strbuf *sb, const struct cursor_entry *e, const void *inner, size_t n);

/* Bytes cursor_record_encode adds to the inner records for e. */
size_t cursor_record_overhead(const struct cursor_entry *e);

/* Decodes a batch record: e points into data; *inner and *inner_len the inner records. 0, or -1 when
 * the payload is malformed. */
int cursor_record_decode(const void *data, size_t len, struct cursor_entry *e, const unsigned char **inner,
                         size_t *inner_len);

/* Next inner record: 1 (type/data/len set, *p and *left advanced), 0 at the end, -1 malformed. */
int cursor_inner_next(const unsigned char **p, size_t *left, uint8_t *type, const void **data, size_t *len);


#endif
