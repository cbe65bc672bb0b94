/* The join of predictions and delayed labels (see label_join.h): a chained hash table by
 * request_id for the lookup, and a list in arrival order for the time to live and for dropping the
 * oldest beyond max_pending. One allocation per waiting entry holds its texts. */
#include "util/label_join.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *bucket_next;
    struct entry *older, *newer; /* arrival order */
    uint64_t hash;
    int64_t arrived_ms;
    double number, score;
    int is_label;
    size_t rid_len, text_len;
    char data[];                 /* rid NUL text NUL */
};

struct label_join {
    struct entry **buckets;
    size_t nbuckets, n;
    struct entry *oldest, *newest;
    int64_t ttl_ms;
    size_t max_pending;
    uint64_t dropped;
    struct entry *joined;        /* the entry of the last join, freed at the next call */
};

static uint64_t hash_of(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

struct label_join *label_join_new(int64_t ttl_ms, size_t max_pending)
{
    struct label_join *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->nbuckets = 1024;
    j->buckets = calloc(j->nbuckets, sizeof *j->buckets);
    if (!j->buckets) {
        free(j);
        return NULL;
    }
    j->ttl_ms = ttl_ms;
    j->max_pending = max_pending ? max_pending : 1;
    return j;
}

void label_join_free(struct label_join *j)
{
    if (!j)
        return;
    for (struct entry *e = j->oldest, *next; e; e = next) {
        next = e->newer;
        free(e);
    }
    free(j->joined);
    free(j->buckets);
    free(j);
}

static struct entry **slot_of(struct label_join *j, const char *rid, size_t len, uint64_t h)
{
    struct entry **at = &j->buckets[h & (j->nbuckets - 1)];
    while (*at && ((*at)->hash != h || (*at)->rid_len != len || memcmp((*at)->data, rid, len) != 0))
        at = &(*at)->bucket_next;
    return at;
}

/* Takes e out of its bucket and the arrival list (not freed). */
static void unlink_entry(struct label_join *j, struct entry *e)
{
    struct entry **at = slot_of(j, e->data, e->rid_len, e->hash);
    *at = e->bucket_next;
    if (e->older)
        e->older->newer = e->newer;
    else
        j->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        j->newest = e->older;
    j->n--;
}

static void grow(struct label_join *j)
{
    size_t nb = j->nbuckets * 2;
    struct entry **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (struct entry *e = j->oldest; e; e = e->newer) {
        e->bucket_next = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
    }
    free(j->buckets);
    j->buckets = b;
    j->nbuckets = nb;
}

static void drop_oldest(struct label_join *j)
{
    struct entry *e = j->oldest;
    unlink_entry(j, e);
    free(e);
    j->dropped++;
}

/* One side of rid: joins with the other side when it waits, else waits. */
static int offer(struct label_join *j, const char *rid, int is_label, struct join_value v, double score,
                 int64_t now_ms, struct label_pair *pair)
{
    free(j->joined);
    j->joined = NULL;
    size_t rlen = strlen(rid), tlen = v.text ? strlen(v.text) : 0;
    uint64_t h = hash_of(rid, rlen);
    struct entry **at = slot_of(j, rid, rlen, h);
    struct entry *other = *at;
    if (other && other->is_label != is_label) {
        unlink_entry(j, other);
        j->joined = other; /* its texts stay valid until the next call */
        struct join_value theirs = {other->data + other->rid_len + 1, other->number};
        pair->prediction = is_label ? theirs : v;
        pair->label = is_label ? v : theirs;
        pair->score = is_label ? other->score : score;
        pair->predicted_ms = is_label ? other->arrived_ms : now_ms;
        return JOIN_JOINED;
    }
    struct entry *e = malloc(sizeof *e + rlen + tlen + 2);
    if (!e)
        return -1;
    if (other) { /* the same side again: the later one waits */
        unlink_entry(j, other);
        free(other);
    }
    e->hash = h;
    e->arrived_ms = now_ms;
    e->number = v.number;
    e->score = score;
    e->is_label = is_label;
    e->rid_len = rlen;
    e->text_len = tlen;
    memcpy(e->data, rid, rlen + 1);
    memcpy(e->data + rlen + 1, v.text ? v.text : "", tlen + 1);
    while (j->n >= j->max_pending)
        drop_oldest(j);
    at = slot_of(j, rid, rlen, h); /* the chain may have changed */
    e->bucket_next = *at;
    *at = e;
    e->older = j->newest;
    e->newer = NULL;
    if (j->newest)
        j->newest->newer = e;
    else
        j->oldest = e;
    j->newest = e;
    if (++j->n > j->nbuckets)
        grow(j);
    return JOIN_PENDING;
}

int label_join_prediction(struct label_join *j, const char *rid, struct join_value prediction, double score,
                          int64_t now_ms, struct label_pair *pair)
{
    return offer(j, rid, 0, prediction, score, now_ms, pair);
}

int label_join_label(struct label_join *j, const char *rid, struct join_value label, int64_t now_ms,
                     struct label_pair *pair)
{
    return offer(j, rid, 1, label, NAN, now_ms, pair);
}

size_t label_join_expire(struct label_join *j, int64_t now_ms)
{
    size_t n = 0;
    while (j->oldest && j->oldest->arrived_ms <= now_ms - j->ttl_ms) {
        drop_oldest(j);
        n++;
    }
    return n;
}

size_t label_join_pending(const struct label_join *j)
{
    return j->n;
}

uint64_t label_join_dropped(const struct label_join *j)
{
    return j->dropped;
}

int label_join_walk(const struct label_join *j, label_join_fn fn, void *ctx)
{
    for (const struct entry *e = j->oldest; e; e = e->newer) {
        struct join_value v = {e->data + e->rid_len + 1, e->number};
        int rc = fn(ctx, e->data, e->is_label, v, e->score, e->arrived_ms);
        if (rc)
            return rc;
    }
    return 0;
}
