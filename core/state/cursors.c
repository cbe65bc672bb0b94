/* Cursor table and batch-record encoding (see cursors.h). Each source is an insertion-ordered
 * jansson object (key -> [value, expires_ms]), so the oldest key is the first one: forgetting by
 * age or by count takes it from the front. */
#include "state/cursors.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

#define FORMAT 1
#define FIXED (1 + 4 + 4 + 4 + 8 + 8) /* the header without its three strings */

struct cursor_table {
    json_t *sources; /* source -> {key -> [value, expires_ms]} */
};

struct cursor_table *cursors_new(void)
{
    struct cursor_table *t = calloc(1, sizeof *t);
    if (t && !(t->sources = json_object())) {
        free(t);
        return NULL;
    }
    return t;
}

void cursors_free(struct cursor_table *t)
{
    if (!t)
        return;
    json_decref(t->sources);
    free(t);
}

static int expired(const json_t *entry, int64_t now_ms)
{
    json_int_t exp = json_integer_value(json_array_get(entry, 1));
    return exp != 0 && exp <= now_ms;
}

const char *cursors_get(struct cursor_table *t, const char *source, size_t source_len, const char *key,
                        size_t key_len, int64_t now_ms)
{
    json_t *src = json_object_getn(t->sources, source, source_len);
    json_t *entry = src ? json_object_getn(src, key, key_len) : NULL;
    if (!entry || expired(entry, now_ms))
        return NULL;
    return json_string_value(json_array_get(entry, 0));
}

/* Drops the oldest entry of src. */
static void drop_oldest(json_t *src)
{
    void *it = json_object_iter(src);
    if (it)
        json_object_deln(src, json_object_iter_key(it), json_object_iter_key_len(it));
}

int cursors_put(struct cursor_table *t, const struct cursor_entry *e, int64_t now_ms)
{
    json_t *src = json_object_getn(t->sources, e->source, e->source_len);
    if (!src) {
        src = json_object();
        if (!src || json_object_setn_new_nocheck(t->sources, e->source, e->source_len, src) < 0)
            return -1;
    }
    /* Re-setting a key keeps its old place in the order: delete it so it becomes the newest. */
    json_object_deln(src, e->key, e->key_len);
    for (void *it = json_object_iter(src); it && expired(json_object_iter_value(it), now_ms);
         it = json_object_iter(src))
        drop_oldest(src);
    while (e->max_keys && json_object_size(src) >= e->max_keys)
        drop_oldest(src);
    json_t *entry = json_pack("[s%,I]", e->value, e->value_len, (json_int_t)e->expires_ms);
    if (!entry) /* a value that is not UTF-8: kept as it is */
        entry = json_pack("[o,I]", json_stringn_nocheck(e->value, e->value_len), (json_int_t)e->expires_ms);
    if (!entry || json_object_setn_new_nocheck(src, e->key, e->key_len, entry) < 0)
        return -1;
    return 0;
}

int cursors_foreach(struct cursor_table *t, const char *source, int64_t now_ms, dw_cursor_fn fn, void *ctx)
{
    json_t *src = json_object_get(t->sources, source);
    int n = 0;
    const char *key;
    json_t *entry;
    json_object_foreach(src, key, entry) {
        if (expired(entry, now_ms))
            continue;
        fn(ctx, key, json_string_value(json_array_get(entry, 0)));
        n++;
    }
    return n;
}

int cursors_walk(struct cursor_table *t, int64_t now_ms, int (*fn)(void *ctx, const struct cursor_entry *e),
                 void *ctx)
{
    for (void *si = json_object_iter(t->sources); si; si = json_object_iter_next(t->sources, si)) {
        json_t *src = json_object_iter_value(si);
        for (void *ki = json_object_iter(src); ki; ki = json_object_iter_next(src, ki)) {
            json_t *entry = json_object_iter_value(ki);
            if (expired(entry, now_ms))
                continue;
            json_t *value = json_array_get(entry, 0);
            struct cursor_entry e = {
                .source = json_object_iter_key(si),
                .source_len = json_object_iter_key_len(si),
                .key = json_object_iter_key(ki),
                .key_len = json_object_iter_key_len(ki),
                .value = json_string_value(value),
                .value_len = json_string_length(value),
                .expires_ms = json_integer_value(json_array_get(entry, 1)),
                /* The bound travels with each put; a snapshot's entries are within it already. */
                .max_keys = 0,
            };
            int rc = fn(ctx, &e);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- encoding ---- */

static void put_le(struct strbuf *sb, uint64_t v, int bytes)
{
    char b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (char)(v >> (8 * i));
    strbuf_append(sb, b, (size_t)bytes);
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void cursor_inner_add(struct strbuf *sb, uint8_t type, const void *data, size_t len)
{
    put_le(sb, type, 1);
    put_le(sb, len, 4);
    if (len)
        strbuf_append(sb, data, len);
}

size_t cursor_record_overhead(const struct cursor_entry *e)
{
    return FIXED + e->source_len + e->key_len + e->value_len;
}

void cursor_record_encode(struct strbuf *sb, const struct cursor_entry *e, const void *inner, size_t n)
{
    put_le(sb, FORMAT, 1);
    put_le(sb, e->source_len, 4);
    strbuf_append(sb, e->source, e->source_len);
    put_le(sb, e->key_len, 4);
    strbuf_append(sb, e->key, e->key_len);
    put_le(sb, e->value_len, 4);
    strbuf_append(sb, e->value, e->value_len);
    put_le(sb, (uint64_t)e->expires_ms, 8);
    put_le(sb, e->max_keys, 8);
    if (n)
        strbuf_append(sb, inner, n);
}

/* Takes a u32-length-prefixed string at *p. */
static int take_string(const unsigned char **p, size_t *left, const char **s, size_t *n)
{
    if (*left < 4)
        return -1;
    uint64_t len = get_le(*p, 4);
    if (len > *left - 4)
        return -1;
    *s = (const char *)*p + 4;
    *n = (size_t)len;
    *p += 4 + len;
    *left -= 4 + len;
    return 0;
}

int cursor_record_decode(const void *data, size_t len, struct cursor_entry *e, const unsigned char **inner,
                         size_t *inner_len)
{
    const unsigned char *p = data;
    size_t left = len;
    if (left < 1 || p[0] != FORMAT)
        return -1;
    p++;
    left--;
    if (take_string(&p, &left, &e->source, &e->source_len) < 0 || take_string(&p, &left, &e->key, &e->key_len) < 0 ||
        take_string(&p, &left, &e->value, &e->value_len) < 0 || left < 16)
        return -1;
    if (e->source_len == 0 || memchr(e->source, '\0', e->source_len) || memchr(e->key, '\0', e->key_len))
        return -1;
    e->expires_ms = (int64_t)get_le(p, 8);
    e->max_keys = get_le(p + 8, 8);
    *inner = p + 16;
    *inner_len = left - 16;
    return 0;
}

int cursor_inner_next(const unsigned char **p, size_t *left, uint8_t *type, const void **data, size_t *len)
{
    if (*left == 0)
        return 0;
    if (*left < 5)
        return -1;
    uint64_t n = get_le(*p + 1, 4);
    if (n > *left - 5)
        return -1;
    *type = (*p)[0];
    *data = *p + 5;
    *len = (size_t)n;
    *p += 5 + n;
    *left -= 5 + n;
    return 1;
}
