/* Tests for the batch record that carries a probe's source cursor with its samples (core/state/cursors.c
 * on the real journal): a torn record loses the samples and the cursor together, a snapshot keeps
 * the live cursors, and the cursor table forgets keys by age and by count. The replay here applies
 * records by model.c's rules ('A' one sample, 'B' its inner records and then its cursor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "state/cursors.h"
#include "state/journal.h"
#include "journal_test_util.h"
#include "util/wall_clock.h"

#define REC_APPEND 'A'
#define REC_BATCH 'B'
#define RECHDR 9 /* journal.h: u32 length, u32 CRC, u8 type */

/* What a replay rebuilt: the samples' texts, in order, and the cursors. */
struct state {
    char samples[64][32];
    size_t n;
    struct cursor_table *cursors;
};

static int apply(void *ctx, uint8_t type, const void *data, size_t len)
{
    struct state *s = ctx;
    if (type == REC_APPEND) {
        assert_true(s->n < 64 && len < 32);
        memcpy(s->samples[s->n], data, len);
        s->samples[s->n++][len] = '\0';
        return 0;
    }
    assert_int_equal(type, REC_BATCH);
    struct cursor_entry e;
    const unsigned char *inner;
    size_t left;
    assert_int_equal(cursor_record_decode(data, len, &e, &inner, &left), 0);
    uint8_t t;
    const void *d;
    size_t n;
    int more;
    while ((more = cursor_inner_next(&inner, &left, &t, &d, &n)) == 1)
        apply(ctx, t, d, n);
    assert_int_equal(more, 0);
    return cursors_put(s->cursors, &e, wall_clock_ms());
}

static void state_init(struct state *s)
{
    memset(s, 0, sizeof *s);
    s->cursors = cursors_new();
    assert_non_null(s->cursors);
}

static struct cursor_entry entry(const char *source, const char *key, const char *value, int64_t expires,
                                 uint64_t max_keys)
{
    return (struct cursor_entry){.source = source, .source_len = strlen(source), .key = key, .key_len = strlen(key),
                                 .value = value, .value_len = strlen(value), .expires_ms = expires,
                                 .max_keys = max_keys};
}

/* Appends one batch record: samples first..last ("s<i>") with the cursor e. */
static void append_batch(struct journal *j, int first, int last, const struct cursor_entry *e)
{
    struct strbuf inner, rec;
    strbuf_init(&inner);
    strbuf_init(&rec);
    for (int i = first; i <= last; i++) {
        char text[16];
        int len = snprintf(text, sizeof text, "s%d", i);
        cursor_inner_add(&inner, REC_APPEND, text, (size_t)len);
    }
    cursor_record_encode(&rec, e, inner.data, inner.len);
    assert_false(inner.failed || rec.failed);
    assert_int_equal(rec.len, cursor_record_overhead(e) + inner.len);
    char err[256];
    assert_int_equal(journal_append(j, REC_BATCH, rec.data, rec.len, err, sizeof err), 0);
    assert_int_equal(journal_commit(j, err, sizeof err), 0);
    strbuf_free(&inner);
    strbuf_free(&rec);
}

static struct journal *open_ok(const char *dir)
{
    struct journal *j = NULL;
    char err[512];
    if (journal_open(dir, "state", JOURNAL_SYNC_ALWAYS, 0, &j, err, sizeof err) < 0)
        fail_msg("journal_open: %s", err);
    return j;
}

static void replay_into(struct journal *j, struct state *s)
{
    char err[512];
    if (journal_replay(j, apply, s, NULL, err, sizeof err) < 0)
        fail_msg("journal_replay: %s", err);
}

static const char *tail_cursor(struct state *s)
{
    return cursors_get(s->cursors, "tail:/p.jsonl", 13, "", 0, wall_clock_ms());
}

/* A SIGKILL can cut the write of the last batch record anywhere: at every cut, the replay has the
 * first batch's samples and cursor and nothing of the second (neither a sample nor its cursor). */
static void test_cursor_batch_torn_at_every_offset_keeps_neither_samples_nor_cursor(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir);
    struct cursor_entry first = entry("tail:/p.jsonl", "", "1:2:30:4:0", 0, 0);
    struct cursor_entry second = entry("tail:/p.jsonl", "", "1:2:50:6:0", 0, 0);
    append_batch(j, 1, 3, &first);
    long long good = file_size(path_in(dir, "state.journal"));
    append_batch(j, 4, 5, &second);
    journal_close(j);
    size_t full_len = 0;
    unsigned char *full = read_file(path_in(dir, "state.journal"), &full_len);
    assert_true((long long)full_len > good + RECHDR);

    for (size_t cut = (size_t)good; cut <= full_len; cut++) {
        char *d = make_tmpdir();
        write_file(path_in(d, "state.journal"), full, cut);
        j = open_ok(d);
        struct state s;
        state_init(&s);
        replay_into(j, &s);
        int whole = cut == full_len;
        assert_int_equal(s.n, whole ? 5 : 3);
        for (size_t i = 0; i < s.n; i++) {
            char want[32];
            snprintf(want, sizeof want, "s%d", (int)i + 1);
            assert_string_equal(s.samples[i], want);
        }
        assert_string_equal(tail_cursor(&s), whole ? "1:2:50:6:0" : "1:2:30:4:0");
        cursors_free(s.cursors);
        journal_close(j);
        rm_rf(d);
        free(d);
    }
    free(full);
    rm_rf(dir);
    free(dir);
}

static int write_cursor(void *ctx, const struct cursor_entry *e)
{
    struct strbuf sb;
    strbuf_init(&sb);
    cursor_record_encode(&sb, e, NULL, 0);
    int rc = sb.failed ? -ENOMEM : journal_writer_put(ctx, REC_BATCH, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}

static int write_state(void *ctx, struct journal_writer *w)
{
    struct state *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        int rc = journal_writer_put(w, REC_APPEND, s->samples[i], strlen(s->samples[i]));
        if (rc)
            return rc;
    }
    return cursors_walk(s->cursors, wall_clock_ms(), write_cursor, w);
}

/* Compaction writes the live cursors into the snapshot (model.c's write_snapshot does the same):
 * after it the journal is empty and a replay still has every sample and every live key, but not a
 * key whose horizon has passed. */
static void test_snapshot_keeps_live_cursors(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir);
    int64_t now = wall_clock_ms();
    struct cursor_entry tail = entry("tail:/p.jsonl", "", "1:2:30:4:0", 0, 0);
    struct cursor_entry key1 = entry("push:idempotency-key", "k1", "202 {\"accepted\":2}", now + 3600000, 10);
    struct cursor_entry old = entry("push:idempotency-key", "k0", "202 {\"accepted\":9}", now - 1, 10);
    append_batch(j, 1, 3, &tail);
    append_batch(j, 4, 5, &old);
    append_batch(j, 6, 7, &key1);
    struct state s;
    state_init(&s);
    replay_into(j, &s);
    assert_int_equal(s.n, 7);
    char err[512];
    assert_int_equal(journal_compact(j, write_state, &s, err, sizeof err), 0);
    cursors_free(s.cursors);
    journal_close(j);
    assert_int_equal(file_size(path_in(dir, "state.journal")), 48); /* the header only */

    j = open_ok(dir);
    state_init(&s);
    replay_into(j, &s);
    assert_int_equal(s.n, 7);
    assert_string_equal(tail_cursor(&s), "1:2:30:4:0");
    assert_string_equal(cursors_get(s.cursors, "push:idempotency-key", 20, "k1", 2, now), "202 {\"accepted\":2}");
    assert_null(cursors_get(s.cursors, "push:idempotency-key", 20, "k0", 2, now - 10)); /* not in the snapshot */
    cursors_free(s.cursors);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

static void count_key(void *ctx, const char *key, const char *value)
{
    (void)value;
    char *seen = ctx;
    strcat(seen, key);
    strcat(seen, ",");
}

/* A keyed source keeps at most max_keys keys, forgetting the oldest first; an expired key is absent
 * and forgotten when newer keys arrive; a source's single cursor ("") is replaced by each batch. */
static void test_cursor_table_forgets_by_count_and_age(void **state)
{
    (void)state;
    struct cursor_table *t = cursors_new();
    int64_t now = 1000000;
    const char *src = "push:idempotency-key";
    struct cursor_entry e;
    char key[8];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "k%d", i);
        e = entry(src, key, "v", now + 100 * (i + 1), 3);
        assert_int_equal(cursors_put(t, &e, now), 0);
    }
    char seen[64] = "";
    assert_int_equal(cursors_foreach(t, src, now, count_key, seen), 3);
    assert_string_equal(seen, "k2,k3,k4,");
    /* At now + 450, k2 (expires at now + 300) and k3 (now + 400) have expired: absent, and dropped
     * by the next put. */
    assert_null(cursors_get(t, src, strlen(src), "k2", 2, now + 450));
    assert_non_null(cursors_get(t, src, strlen(src), "k4", 2, now + 450));
    e = entry(src, "k5", "v", now + 10000, 3);
    assert_int_equal(cursors_put(t, &e, now + 450), 0);
    seen[0] = '\0';
    assert_int_equal(cursors_foreach(t, src, now + 450, count_key, seen), 2);
    assert_string_equal(seen, "k4,k5,");
    /* The single cursor of another source. */
    e = entry("tail:/p.jsonl", "", "a", 0, 0);
    assert_int_equal(cursors_put(t, &e, now), 0);
    e = entry("tail:/p.jsonl", "", "b", 0, 0);
    assert_int_equal(cursors_put(t, &e, now), 0);
    assert_string_equal(cursors_get(t, "tail:/p.jsonl", 13, "", 0, now + 1000000), "b");
    cursors_free(t);
}

/* A damaged payload (valid CRC, wrong lengths) is refused, never read past its end. */
static void test_cursor_record_decode_refuses_malformed_payloads(void **state)
{
    (void)state;
    struct cursor_entry e = entry("tail:/p.jsonl", "", "1:2:3:4:0", 0, 0), out;
    struct strbuf sb;
    strbuf_init(&sb);
    cursor_record_encode(&sb, &e, "A\x02\x00\x00\x00s1", 7);
    const unsigned char *inner;
    size_t left;
    for (size_t cut = 0; cut < cursor_record_overhead(&e); cut++)
        assert_int_equal(cursor_record_decode(sb.data, cut, &out, &inner, &left), -1);
    assert_int_equal(cursor_record_decode(sb.data, sb.len, &out, &inner, &left), 0);
    assert_int_equal(left, 7);
    uint8_t type;
    const void *d;
    size_t n;
    size_t short_left = 5; /* an inner header whose payload is missing */
    const unsigned char *p = inner;
    assert_int_equal(cursor_inner_next(&p, &short_left, &type, &d, &n), -1);
    assert_int_equal(cursor_inner_next(&inner, &left, &type, &d, &n), 1);
    assert_int_equal(type, 'A');
    assert_int_equal(n, 2);
    assert_int_equal(cursor_inner_next(&inner, &left, &type, &d, &n), 0);
    sb.data[0] = 9; /* an unknown format */
    assert_int_equal(cursor_record_decode(sb.data, sb.len, &out, &inner, &left), -1);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_batch_torn_at_every_offset_keeps_neither_samples_nor_cursor),
        cmocka_unit_test(test_snapshot_keeps_live_cursors),
        cmocka_unit_test(test_cursor_table_forgets_by_count_and_age),
        cmocka_unit_test(test_cursor_record_decode_refuses_malformed_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
