/* Tests for the journal: round trip, torn tails at every byte, corruption, snapshot order,
 * compaction crash states, wrong files, disk full (RLIMIT_FSIZE), locking and threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include "util/crc32.h"
#include "state/journal.h"
#include "journal_test_util.h"

#define HDR 48 /* file header size, journal.h */
#define RECHDR 9

static char errbuf[1024];

static struct journal *open_ok(const char *dir, enum journal_sync mode)
{
    struct journal *j = NULL;
    errbuf[0] = 0;
    int rc = journal_open(dir, "state", mode, 10, &j, errbuf, sizeof(errbuf));
    if (rc != 0)
        print_error("journal_open: %d %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
    assert_non_null(j);
    return j;
}

static void append_ok(struct journal *j, uint8_t type, const void *data, size_t len)
{
    int rc = journal_append(j, type, data, len, errbuf, sizeof(errbuf));
    if (rc != 0)
        print_error("journal_append: %d %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
}

static void commit_ok(struct journal *j)
{
    int rc = journal_commit(j, errbuf, sizeof(errbuf));
    if (rc != 0)
        print_error("journal_commit: %d %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
}

static void replay_ok(struct journal *j, struct recs *out, struct journal_stats *st)
{
    int rc = journal_replay(j, recs_collect, out, st, errbuf, sizeof(errbuf));
    if (rc != 0)
        print_error("journal_replay: %d %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
}

/* Record i of the standard test sequence: type i % 7, i * 13 % 300 bytes of a pattern. */
static size_t test_payload(unsigned i, unsigned char *buf)
{
    size_t n = (i * 13u) % 300u;
    for (size_t k = 0; k < n; k++)
        buf[k] = (unsigned char)(i * 31u + k);
    return n;
}

static void append_seq(struct journal *j, unsigned from, unsigned to)
{
    unsigned char buf[300];
    for (unsigned i = from; i < to; i++)
        append_ok(j, (uint8_t)(i % 7), buf, test_payload(i, buf));
}

static void check_seq(const struct recs *r, size_t at, unsigned from, unsigned to)
{
    unsigned char buf[300];
    assert_true(r->n >= at + (to - from));
    for (unsigned i = from; i < to; i++) {
        const struct rec *e = &r->v[at + (i - from)];
        size_t n = test_payload(i, buf);
        assert_int_equal(e->type, i % 7);
        assert_int_equal(e->len, n);
        assert_memory_equal(e->data, buf, n);
    }
}

static void test_journal_round_trip_and_modes(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    append_seq(j, 0, 100);
    append_ok(j, 200, NULL, 0); /* empty payload */
    static unsigned char big[200000];
    for (size_t k = 0; k < sizeof(big); k++)
        big[k] = (unsigned char)(k * 7);
    append_ok(j, 201, big, sizeof(big));
    commit_ok(j);
    assert_int_equal(journal_size(j), file_size(path_in(dir, "state.journal")));
    journal_close(j);

    struct stat st;
    assert_int_equal(stat(path_in(dir, "state.journal"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(path_in(dir, "state.lock"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    j = open_ok(dir, JOURNAL_SYNC_INTERVAL);
    struct recs r = {0};
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 102);
    check_seq(&r, 0, 0, 100);
    assert_int_equal(r.v[100].type, 200);
    assert_int_equal(r.v[100].len, 0);
    assert_int_equal(r.v[101].len, sizeof(big));
    assert_memory_equal(r.v[101].data, big, sizeof(big));
    assert_int_equal(js.journal_records, 102);
    assert_int_equal(js.snapshot_records, 0);
    assert_int_equal(js.bytes_discarded, 0);
    assert_int_equal(js.tail, JOURNAL_TAIL_CLEAN);
    assert_int_equal(js.generation, 1);
    recs_free(&r);
    /* INTERVAL mode: commit writes through to the file at once */
    append_seq(j, 100, 110);
    long long before = file_size(path_in(dir, "state.journal"));
    commit_ok(j);
    assert_true(file_size(path_in(dir, "state.journal")) > before);
    journal_close(j);

    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    replay_ok(j, &r, NULL);
    assert_int_equal(r.n, 112);
    check_seq(&r, 102, 100, 110);
    recs_free(&r);
    /* records appended but not committed are committed by close */
    append_seq(j, 110, 115);
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    replay_ok(j, &r, NULL);
    assert_int_equal(r.n, 117);
    check_seq(&r, 112, 110, 115);
    recs_free(&r);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

/* Cut the file inside the last record at every byte: earlier records replay, the torn one is
 * skipped, and the file is cut back to the last good record (then appends continue there). */
static void test_journal_torn_final_record_at_every_offset(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    append_seq(j, 0, 20);
    commit_ok(j);
    long long good = file_size(path_in(dir, "state.journal"));
    unsigned char buf[300];
    size_t last_len = test_payload(20, buf);
    assert_true(last_len > 20);
    append_seq(j, 20, 21);
    commit_ok(j);
    journal_close(j);
    size_t full_len = 0;
    unsigned char *full = read_file(path_in(dir, "state.journal"), &full_len);
    assert_int_equal((long long)full_len, good + RECHDR + (long long)last_len);

    for (size_t cut = (size_t)good; cut < full_len; cut++) {
        char *d = make_tmpdir();
        write_file(path_in(d, "state.journal"), full, cut);
        j = open_ok(d, JOURNAL_SYNC_ALWAYS);
        struct recs r = {0};
        struct journal_stats js;
        replay_ok(j, &r, &js);
        assert_int_equal(r.n, 20);
        check_seq(&r, 0, 0, 20);
        assert_int_equal(js.bytes_discarded, cut - (size_t)good);
        assert_int_equal(js.tail, cut == (size_t)good ? JOURNAL_TAIL_CLEAN
                                  : cut - (size_t)good < RECHDR ? JOURNAL_TAIL_SHORT_HEADER
                                                                : JOURNAL_TAIL_SHORT_PAYLOAD);
        if (cut > (size_t)good)
            assert_int_equal(js.tail_offset, good);
        assert_int_equal(file_size(path_in(d, "state.journal")), good);
        recs_free(&r);
        append_seq(j, 20, 22);
        commit_ok(j);
        journal_close(j);
        j = open_ok(d, JOURNAL_SYNC_ALWAYS);
        replay_ok(j, &r, &js);
        assert_int_equal(r.n, 22);
        check_seq(&r, 0, 0, 22);
        assert_int_equal(js.bytes_discarded, 0);
        recs_free(&r);
        journal_close(j);
        rm_rf(d);
        free(d);
    }
    free(full);
    rm_rf(dir);
    free(dir);
}

/* A flipped bit anywhere in record 10 (length, CRC, type or payload) stops replay before it;
 * everything from there on is cut. */
static void test_journal_flipped_bit_stops_there(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    append_seq(j, 0, 10);
    commit_ok(j);
    long long at = file_size(path_in(dir, "state.journal"));
    append_seq(j, 10, 16);
    commit_ok(j);
    journal_close(j);
    size_t len = 0;
    unsigned char *orig = read_file(path_in(dir, "state.journal"), &len);
    unsigned char buf[300];
    size_t rec_len = RECHDR + test_payload(10, buf);
    int seen_crc = 0, seen_other = 0;
    for (size_t k = 0; k < rec_len; k++) {
        for (int bit = 0; bit < 8; bit += 3) {
            unsigned char *copy = malloc(len);
            memcpy(copy, orig, len);
            copy[(size_t)at + k] ^= (unsigned char)(1u << bit);
            char *d = make_tmpdir();
            write_file(path_in(d, "state.journal"), copy, len);
            j = open_ok(d, JOURNAL_SYNC_ALWAYS);
            struct recs r = {0};
            struct journal_stats js;
            replay_ok(j, &r, &js);
            assert_int_equal(r.n, 10);
            check_seq(&r, 0, 0, 10);
            assert_int_equal(js.tail_offset, at);
            assert_int_equal(js.bytes_discarded, len - (size_t)at);
            assert_int_not_equal(js.tail, JOURNAL_TAIL_CLEAN);
            if (js.tail == JOURNAL_TAIL_BAD_CRC)
                seen_crc++;
            else
                seen_other++;
            assert_int_equal(file_size(path_in(d, "state.journal")), at);
            recs_free(&r);
            journal_close(j);
            rm_rf(d);
            free(d);
            free(copy);
        }
    }
    assert_true(seen_crc > 0); /* payload, type and CRC flips */
    assert_true(seen_other > 0); /* length flips: short payload or impossible length */
    free(orig);
    rm_rf(dir);
    free(dir);
}

struct model {
    unsigned from, to; /* the state: records from..to-1 of the test sequence */
};

static int write_model(void *ctx, struct journal_writer *w)
{
    const struct model *m = ctx;
    unsigned char buf[300];
    for (unsigned i = m->from; i < m->to; i++) {
        int rc = journal_writer_put(w, (uint8_t)(i % 7), buf, test_payload(i, buf));
        if (rc)
            return rc;
    }
    return 0;
}

static void compact_ok(struct journal *j, struct model *m)
{
    int rc = journal_compact(j, write_model, m, errbuf, sizeof(errbuf));
    if (rc != 0)
        print_error("journal_compact: %d %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
}

static void test_journal_snapshot_then_journal_order(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct model m = {0, 30};
    append_seq(j, 0, 30);
    commit_ok(j);
    long long before = (long long)journal_size(j);
    compact_ok(j, &m);
    assert_int_equal(journal_size(j), HDR);
    assert_true(before > HDR);
    append_seq(j, 30, 40);
    commit_ok(j);
    journal_close(j);

    struct stat st;
    assert_int_equal(stat(path_in(dir, "state.snapshot"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct recs r = {0};
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 40);
    check_seq(&r, 0, 0, 40);
    assert_int_equal(js.snapshot_records, 30);
    assert_int_equal(js.journal_records, 10);
    assert_int_equal(js.generation, 2);
    recs_free(&r);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

/* Several compactions mixed with appends, including uncommitted records at compaction time
 * (they are part of the state, so the snapshot carries them). */
static void test_journal_compaction_then_more_appends(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_INTERVAL);
    struct model m = {0, 0};
    for (int round = 0; round < 5; round++) {
        append_seq(j, m.to, m.to + 25);
        m.to += 25;
        commit_ok(j);
        append_seq(j, m.to, m.to + 3); /* not committed */
        m.to += 3;
        compact_ok(j, &m);
        append_seq(j, m.to, m.to + 7);
        m.to += 7;
        commit_ok(j);
    }
    /* a model that dropped old records: the snapshot replaces, it does not add */
    m.from = 100;
    compact_ok(j, &m);
    append_seq(j, m.to, m.to + 5);
    m.to += 5;
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct recs r = {0};
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, m.to - m.from);
    check_seq(&r, 0, m.from, m.to);
    assert_int_equal(js.generation, 7);
    recs_free(&r);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

/* The on-disk states a crash inside compaction can leave, built by hand:
 * (1) a half-written snapshot.tmp and journal.tmp: ignored and removed;
 * (2) the new snapshot renamed, the old journal still there: the journal is stale, not replayed. */
static void test_journal_compaction_crash_states_load(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct model m = {0, 20};
    append_seq(j, 0, 20);
    commit_ok(j);
    journal_close(j);
    size_t old_len = 0;
    unsigned char *old_journal = read_file(path_in(dir, "state.journal"), &old_len);

    /* (1) */
    write_file(path_in(dir, "state.snapshot.tmp"), "DWSNAPSH garbage", 16);
    write_file(path_in(dir, "state.journal.tmp"), "DWJ", 3);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    assert_int_equal(file_size(path_in(dir, "state.snapshot.tmp")), -1);
    assert_int_equal(file_size(path_in(dir, "state.journal.tmp")), -1);
    struct recs r = {0};
    replay_ok(j, &r, NULL);
    assert_int_equal(r.n, 20);
    recs_free(&r);

    /* (2) */
    compact_ok(j, &m);
    journal_close(j);
    write_file(path_in(dir, "state.journal"), old_journal, old_len);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 20); /* not 40 */
    check_seq(&r, 0, 0, 20);
    assert_int_equal(js.snapshot_records, 20);
    assert_int_equal(js.journal_records, 0);
    assert_int_equal(js.stale_bytes, old_len - HDR);
    assert_int_equal(js.generation, 2);
    assert_int_equal(file_size(path_in(dir, "state.journal")), HDR);
    recs_free(&r);
    append_seq(j, 20, 25);
    commit_ok(j);
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 25);
    check_seq(&r, 0, 0, 25);
    recs_free(&r);
    journal_close(j);
    free(old_journal);
    rm_rf(dir);
    free(dir);
}

static void test_journal_empty_and_missing_files(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS); /* nothing there */
    struct recs r = {0};
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 0);
    assert_int_equal(js.generation, 1);
    assert_int_equal(file_size(path_in(dir, "state.journal")), HDR);
    journal_close(j);
    write_file(path_in(dir, "state.journal"), "", 0); /* empty file */
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 0);
    journal_close(j);

    char missing[1100];
    snprintf(missing, sizeof(missing), "%s/nope", dir);
    j = NULL;
    assert_int_equal(journal_open(missing, "state", JOURNAL_SYNC_ALWAYS, 0, &j, errbuf, sizeof(errbuf)), -ENOENT);
    assert_null(j);
    assert_non_null(strstr(errbuf, "No such file or directory"));
    assert_non_null(strstr(errbuf, missing));
    assert_int_equal(journal_open(dir, "../x", JOURNAL_SYNC_ALWAYS, 0, &j, errbuf, sizeof(errbuf)), -EINVAL);
    assert_int_equal(journal_open(dir, ".hidden", JOURNAL_SYNC_ALWAYS, 0, &j, errbuf, sizeof(errbuf)), -EINVAL);
    assert_int_equal(journal_open(dir, "x", JOURNAL_SYNC_INTERVAL, 0, &j, errbuf, sizeof(errbuf)), -EINVAL);
    assert_non_null(strstr(errbuf, "sync interval"));
    rm_rf(dir);
    free(dir);
}

static int open_err(const char *dir)
{
    struct journal *j = NULL;
    errbuf[0] = 0;
    int rc = journal_open(dir, "state", JOURNAL_SYNC_ALWAYS, 0, &j, errbuf, sizeof(errbuf));
    assert_null(j);
    return rc;
}

static void make_header(unsigned char *h, const char *magic, uint32_t version, uint64_t gen)
{
    memset(h, 0, HDR);
    memcpy(h, magic, 8);
    h[8] = (unsigned char)version;
    for (int i = 0; i < 8; i++)
        h[16 + i] = (unsigned char)(gen >> (8 * i));
    uint32_t c = crc32_ieee(h, 40);
    for (int i = 0; i < 4; i++)
        h[40 + i] = (unsigned char)(c >> (8 * i));
}

static void test_journal_wrong_files_are_clear_errors(void **state)
{
    char *dir = make_tmpdir();
    const char *jpath = path_in(dir, "state.journal");
    unsigned char h[HDR];

    write_file(jpath, "hello, I am a text file that someone put here by mistake\n", 58);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "state.journal: bad magic: not a driftwatch journal"));
    assert_int_equal(file_size(jpath), 58); /* never "repaired" */

    make_header(h, "DWSNAPSH", 1, 1);
    write_file(jpath, h, HDR);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "this is a driftwatch snapshot, not a journal"));

    make_header(h, "DWJOURNL", 2, 1);
    write_file(jpath, h, HDR);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "format version 2, this build reads version 1"));

    make_header(h, "DWJOURNL", 1, 1);
    h[20] ^= 1;
    write_file(jpath, h, HDR);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "header checksum mismatch"));

    make_header(h, "DWJOURNL", 1, 1);
    write_file(jpath, h, 20);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "truncated header (20 of 48 bytes)"));

    make_header(h, "DWJOURNL", 1, 3); /* generation 3 needs a snapshot of generation 2 */
    write_file(jpath, h, HDR);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "generation 3 follows a snapshot, but"));
    assert_non_null(strstr(errbuf, "state.snapshot is missing"));

    unlink(jpath);
    mkdir(jpath, 0700);
    assert_int_equal(open_err(dir), -EISDIR);
    assert_non_null(strstr(errbuf, "state.journal: cannot open: Is a directory"));
    rmdir(jpath);

    /* damaged snapshots: truncated (size check at open), flipped bit (CRC check at replay) */
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct model m = {0, 10};
    append_seq(j, 0, 10);
    compact_ok(j, &m);
    journal_close(j);
    size_t slen = 0;
    unsigned char *snap = read_file(path_in(dir, "state.snapshot"), &slen);
    write_file(path_in(dir, "state.snapshot"), snap, slen - 1);
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "the snapshot is damaged"));
    snap[slen - 5] ^= 0x10;
    write_file(path_in(dir, "state.snapshot"), snap, slen);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct recs r = {0};
    assert_int_equal(journal_replay(j, recs_collect, &r, NULL, errbuf, sizeof(errbuf)), -EBADMSG);
    assert_non_null(strstr(errbuf, "CRC mismatch"));
    assert_non_null(strstr(errbuf, "snapshot is damaged"));
    assert_int_equal(r.n, 9);
    recs_free(&r);
    journal_close(j);
    unlink(path_in(dir, "state.snapshot"));
    assert_int_equal(open_err(dir), -EBADMSG);
    assert_non_null(strstr(errbuf, "state.snapshot is missing"));
    free(snap);
    rm_rf(dir);
    free(dir);
}

static void set_fsize_limit(rlim_t lim)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = lim;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* A full disk, simulated with RLIMIT_FSIZE (writes past it fail with EFBIG once SIGXFSZ is
 * ignored): the commit fails with an error, the file keeps only whole records, and once space
 * returns the same records commit (nothing lost, nothing doubled). Same for compaction. */
static void test_journal_disk_full_then_recovers(void **state)
{
    char *dir = make_tmpdir();
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*old)(int) = signal(SIGXFSZ, SIG_IGN);

    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    append_seq(j, 0, 10);
    commit_ok(j);
    long long good = file_size(path_in(dir, "state.journal"));
    set_fsize_limit((rlim_t)good + 100);
    append_seq(j, 10, 20); /* about 1.4 KB: a partial write, then EFBIG */
    int rc = journal_commit(j, errbuf, sizeof(errbuf));
    assert_int_equal(rc, -EFBIG);
    assert_non_null(strstr(errbuf, "kept for the next commit"));
    assert_int_equal(file_size(path_in(dir, "state.journal")), good); /* partial write cut */
    rc = journal_commit(j, errbuf, sizeof(errbuf)); /* still full */
    assert_int_equal(rc, -EFBIG);
    struct model m = {0, 20};
    rc = journal_compact(j, write_model, &m, errbuf, sizeof(errbuf));
    assert_int_equal(rc, -EFBIG);
    assert_non_null(strstr(errbuf, "compaction failed writing the snapshot"));
    assert_int_equal(file_size(path_in(dir, "state.snapshot")), -1);
    assert_int_equal(file_size(path_in(dir, "state.snapshot.tmp")), -1);

    set_fsize_limit(saved.rlim_cur); /* space is back */
    append_seq(j, 20, 22);
    commit_ok(j);
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct recs r = {0};
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 22);
    check_seq(&r, 0, 0, 22);
    assert_int_equal(js.bytes_discarded, 0);
    recs_free(&r);

    journal_close(j);
    signal(SIGXFSZ, old);
    rm_rf(dir);
    free(dir);
}

/* The snapshot is in place but the new, empty journal cannot be created (here: a directory sits
 * where its temp file goes). Compaction reports it; the records are safe in the snapshot; the
 * next commits retry the creation, and once it works appends land in the new journal. */
static void test_journal_new_journal_failure_after_snapshot(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct model m = {0, 12};
    append_seq(j, 0, 10);
    commit_ok(j);
    append_seq(j, 10, 12); /* not committed: carried by the snapshot */
    assert_int_equal(mkdir(path_in(dir, "state.journal.tmp"), 0700), 0);
    int rc = journal_compact(j, write_model, &m, errbuf, sizeof(errbuf));
    assert_int_equal(rc, -EISDIR);
    assert_non_null(strstr(errbuf, "cannot create"));
    struct recs r = {0};
    replay_ok(j, &r, NULL); /* snapshot only: the old journal is covered by it */
    assert_int_equal(r.n, 12);
    check_seq(&r, 0, 0, 12);
    recs_free(&r);
    append_seq(j, 12, 14);
    assert_int_equal(journal_commit(j, errbuf, sizeof(errbuf)), -EISDIR);
    assert_int_equal(rmdir(path_in(dir, "state.journal.tmp")), 0);
    commit_ok(j);
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct journal_stats js;
    replay_ok(j, &r, &js);
    assert_int_equal(r.n, 14);
    check_seq(&r, 0, 0, 14);
    assert_int_equal(js.snapshot_records, 12);
    assert_int_equal(js.generation, 2);
    recs_free(&r);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

static void test_journal_second_open_is_busy(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct journal *k = NULL;
    assert_int_equal(journal_open(dir, "state", JOURNAL_SYNC_ALWAYS, 0, &k, errbuf, sizeof(errbuf)), -EBUSY);
    assert_non_null(strstr(errbuf, "in use"));
    assert_null(k);
    struct journal *other = NULL; /* another name in the same directory is independent */
    assert_int_equal(journal_open(dir, "other", JOURNAL_SYNC_ALWAYS, 0, &other, errbuf, sizeof(errbuf)), 0);
    journal_close(other);
    journal_close(j);
    k = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    journal_close(k);
    journal_close(NULL);
    rm_rf(dir);
    free(dir);
}

static int stop_after_three(void *ctx, uint8_t type, const void *data, size_t len)
{
    int *n = ctx;
    return ++*n == 3 ? *(n + 1) : 0;
}

static void test_journal_replay_callback_error_stops(void **state)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    append_seq(j, 0, 10);
    commit_ok(j);
    int ctx[2] = {0, -42};
    assert_int_equal(journal_replay(j, stop_after_three, ctx, NULL, errbuf, sizeof(errbuf)), -42);
    assert_int_equal(ctx[0], 3);
    assert_non_null(strstr(errbuf, "replay stopped by the caller at record 2"));
    ctx[0] = 0;
    ctx[1] = 1;
    assert_int_equal(journal_replay(j, stop_after_three, ctx, NULL, errbuf, sizeof(errbuf)), -ECANCELED);
    assert_int_equal(journal_append(j, 1, NULL, (size_t)JOURNAL_MAX_RECORD + 1, errbuf, sizeof(errbuf)), -EMSGSIZE);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

struct thread_arg {
    struct journal *j;
    unsigned id;
};

#define THREADS 4
#define PER_THREAD 300

static void *appender(void *p)
{
    struct thread_arg *a = p;
    char err[256];
    for (unsigned i = 0; i < PER_THREAD; i++) {
        uint32_t v[2] = {a->id, i};
        if (journal_append(a->j, (uint8_t)a->id, v, sizeof(v), err, sizeof(err)) != 0 ||
            journal_commit(a->j, err, sizeof(err)) != 0)
            return (void *)1;
    }
    return NULL;
}

/* Several threads append and commit at once (the sidecar's HTTP threads): every record arrives
 * once, each thread's in its own order. Run under -DDW_TSAN=ON too. */
static void run_threads(enum journal_sync mode)
{
    char *dir = make_tmpdir();
    struct journal *j = open_ok(dir, mode);
    pthread_t t[THREADS];
    struct thread_arg a[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        a[i] = (struct thread_arg){j, i};
        assert_int_equal(pthread_create(&t[i], NULL, appender, &a[i]), 0);
    }
    /* journal_size from yet another thread */
    for (int k = 0; k < 100; k++)
        assert_true(journal_size(j) >= HDR);
    for (unsigned i = 0; i < THREADS; i++) {
        void *res;
        pthread_join(t[i], &res);
        assert_null(res);
    }
    journal_close(j);
    j = open_ok(dir, JOURNAL_SYNC_ALWAYS);
    struct recs r = {0};
    replay_ok(j, &r, NULL);
    assert_int_equal(r.n, THREADS * PER_THREAD);
    unsigned next[THREADS] = {0};
    for (size_t k = 0; k < r.n; k++) {
        uint32_t v[2];
        assert_int_equal(r.v[k].len, sizeof(v));
        memcpy(v, r.v[k].data, sizeof(v));
        assert_true(v[0] < THREADS);
        assert_int_equal(r.v[k].type, v[0]);
        assert_int_equal(v[1], next[v[0]]);
        next[v[0]]++;
    }
    recs_free(&r);
    journal_close(j);
    rm_rf(dir);
    free(dir);
}

static void test_journal_threads_always(void **state)
{
    run_threads(JOURNAL_SYNC_ALWAYS);
}

static void test_journal_threads_interval(void **state)
{
    run_threads(JOURNAL_SYNC_INTERVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_round_trip_and_modes),
        cmocka_unit_test(test_journal_torn_final_record_at_every_offset),
        cmocka_unit_test(test_journal_flipped_bit_stops_there),
        cmocka_unit_test(test_journal_snapshot_then_journal_order),
        cmocka_unit_test(test_journal_compaction_then_more_appends),
        cmocka_unit_test(test_journal_compaction_crash_states_load),
        cmocka_unit_test(test_journal_empty_and_missing_files),
        cmocka_unit_test(test_journal_wrong_files_are_clear_errors),
        cmocka_unit_test(test_journal_disk_full_then_recovers),
        cmocka_unit_test(test_journal_new_journal_failure_after_snapshot),
        cmocka_unit_test(test_journal_second_open_is_busy),
        cmocka_unit_test(test_journal_replay_callback_error_stops),
        cmocka_unit_test(test_journal_threads_always),
        cmocka_unit_test(test_journal_threads_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
