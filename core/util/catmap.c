/* Open-addressing hash (linear probing over entry indices) with FNV-1a keys; see catmap.h. */
#include "util/catmap.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t hash;
    size_t off; /* into arena */
    size_t len;
    uint64_t count;
};

struct catmap {
    struct entry *e;
    size_t n, cap;
    int32_t *slots; /* -1 empty, else entry index */
    size_t nslots;  /* power of two */
    char *arena;
    size_t alen, acap;
    size_t limit;
    uint64_t overflow;
    uint64_t total;
};

static uint64_t hash_key(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h ^ (h >> 29);
}

struct catmap *catmap_new(size_t limit)
{
    struct catmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->limit = limit;
    m->nslots = 16;
    m->slots = malloc(m->nslots * sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    memset(m->slots, 0xff, m->nslots * sizeof *m->slots);
    return m;
}

void catmap_free(struct catmap *m)
{
    if (!m)
        return;
    free(m->e);
    free(m->slots);
    free(m->arena);
    free(m);
}

void catmap_clear(struct catmap *m)
{
    m->n = 0;
    m->alen = 0;
    m->overflow = 0;
    m->total = 0;
    memset(m->slots, 0xff, m->nslots * sizeof *m->slots);
}

static long lookup(const struct catmap *m, uint64_t h, const char *key, size_t len, size_t *slot)
{
    size_t mask = m->nslots - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        int32_t idx = m->slots[i];
        if (idx < 0) {
            *slot = i;
            return -1;
        }
        const struct entry *e = &m->e[idx];
        if (e->hash == h && e->len == len && memcmp(m->arena + e->off, key, len) == 0) {
            *slot = i;
            return idx;
        }
        i = (i + 1) & mask;
    }
}

static int grow_slots(struct catmap *m)
{
    size_t ns = m->nslots * 2;
    int32_t *s = malloc(ns * sizeof *s);
    if (!s)
        return -1;
    memset(s, 0xff, ns * sizeof *s);
    for (size_t k = 0; k < m->n; k++) {
        size_t i = (size_t)m->e[k].hash & (ns - 1);
        while (s[i] >= 0)
            i = (i + 1) & (ns - 1);
        s[i] = (int32_t)k;
    }
    free(m->slots);
    m->slots = s;
    m->nslots = ns;
    return 0;
}

long catmap_add(struct catmap *m, const char *key, size_t len, uint64_t n)
{
    uint64_t h = hash_key(key, len);
    size_t slot;
    long idx = lookup(m, h, key, len, &slot);
    if (idx >= 0) {
        m->e[idx].count += n;
        m->total += n;
        return idx;
    }
    if ((m->limit && m->n >= m->limit) || m->n >= INT32_MAX) {
        m->overflow += n;
        m->total += n;
        return -2;
    }
    /* Keep the load factor at most 1/2 (grow first, so a failure leaves the map unchanged). */
    if ((m->n + 1) * 2 > m->nslots) {
        if (grow_slots(m) < 0)
            return -1;
        lookup(m, h, key, len, &slot);
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct entry *e = realloc(m->e, cap * sizeof *e);
        if (!e)
            return -1;
        m->e = e;
        m->cap = cap;
    }
    if (m->alen + len + 1 > m->acap) {
        size_t cap = m->acap ? m->acap : 256;
        while (cap < m->alen + len + 1)
            cap *= 2;
        char *a = realloc(m->arena, cap);
        if (!a)
            return -1;
        m->arena = a;
        m->acap = cap;
    }
    memcpy(m->arena + m->alen, key, len);
    m->arena[m->alen + len] = '\0';
    m->e[m->n] = (struct entry){.hash = h, .off = m->alen, .len = len, .count = n};
    m->alen += len + 1;
    m->slots[slot] = (int32_t)m->n;
    idx = (long)m->n++;
    m->total += n;
    return idx;
}

long catmap_find(const struct catmap *m, const char *key, size_t len)
{
    size_t slot;
    return lookup(m, hash_key(key, len), key, len, &slot);
}

size_t catmap_size(const struct catmap *m)
{
    return m->n;
}

const char *catmap_key(const struct catmap *m, size_t i, size_t *len)
{
    if (len)
        *len = m->e[i].len;
    return m->arena + m->e[i].off;
}

uint64_t catmap_count(const struct catmap *m, size_t i)
{
    return m->e[i].count;
}

uint64_t catmap_overflow(const struct catmap *m)
{
    return m->overflow;
}

uint64_t catmap_total(const struct catmap *m)
{
    return m->total;
}
