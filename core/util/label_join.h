/* Delayed labels joined to their predictions by request_id (docs/statistics.md, "Model quality"):
 * either side may come first and waits, bounded by a time to live and a number of entries (beyond
 * it the oldest are dropped). A pure data structure: the model's quality runtime journals the
 * sides it offers and replays them through the same calls after a restart. Not thread-safe. */
#ifndef DW_LABEL_JOIN_H
#define DW_LABEL_JOIN_H

#include <stddef.h>
#include <stdint.h>

/* One side's value: a class label as text (a number as %g, an integer exactly) and, when it is a
 * number, the number (regression); NAN otherwise. */
struct join_value {
    const char *text;
    double number;
};

/* A prediction and its label, joined. Texts are valid until the next call on the join. */
struct label_pair {
    struct join_value prediction, label;
    double score;        /* the prediction's score (binary), NAN when none */
    int64_t predicted_ms; /* when the prediction arrived */
};

enum join_outcome { JOIN_PENDING = 0, JOIN_JOINED = 1 };

struct label_join *label_join_new(int64_t ttl_ms, size_t max_pending);
void label_join_free(struct label_join *j);

/* A prediction, or a label, for request_id rid at now_ms. When the other side waits, both leave the
 * join and *pair is filled: JOIN_JOINED. Otherwise this side waits (a second wait for the same side
 * of one rid replaces the first: the later one counts): JOIN_PENDING. Returns -1 when out of memory. */
int label_join_prediction(struct label_join *j, const char *rid, struct join_value prediction, double score,
                          int64_t now_ms, struct label_pair *pair);
int label_join_label(struct label_join *j, const char *rid, struct join_value label, int64_t now_ms,
                     struct label_pair *pair);

/* Drops the entries that arrived at or before now_ms - ttl, oldest first. Returns how many. */
size_t label_join_expire(struct label_join *j, int64_t now_ms);

size_t label_join_pending(const struct label_join *j);
/* Entries dropped so far, by the time to live or by max_pending (the oldest first). */
uint64_t label_join_dropped(const struct label_join *j);

/* Every waiting entry, oldest first: is_label 0 for a prediction. Stops at fn's nonzero return
 * and returns it. */
typedef int (*label_join_fn)(void *ctx, const char *rid, int is_label, struct join_value v, double score,
                             int64_t arrived_ms);
int label_join_walk(const struct label_join *j, label_join_fn fn, void *ctx);

#endif
