/* Append-only journal with checksummed records, plus snapshots for compaction: the agent's
 * durable state (accepted samples survive a crash; a restart replays snapshot, then journal). */
#ifndef DW_JOURNAL_H
#define DW_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Files, in the state directory: <name>.journal and <name>.snapshot (mode 0600), an empty
 * <name>.lock (flock()ed while open: the journal file itself is replaced by compaction), and
 * transient <name>.journal.tmp / <name>.snapshot.tmp during compaction (removed by the next open).
 * Both files start with a 48-byte header (all integers little-endian):
 *   0  magic "DWJOURNL" (journal) or "DWSNAPSH" (snapshot)
 *   8  u32 format version (1)          12 u32 zero
 *   16 u64 generation: the journal's; for a snapshot, that of the journal whose records it includes
 *   24 u64 snapshot: bytes of records after the header (journal: 0)
 *   32 u64 snapshot: number of records (journal: 0)
 *   40 u32 CRC-32 of bytes 0-39         44 u32 zero
 * then records: [u32 payload length][u32 CRC-32 of type byte + payload][u8 type][payload].
 * Compaction writes a snapshot covering generation G, then replaces the journal (new file, rename)
 * by an empty one of generation G+1; a journal whose generation the snapshot already covers is
 * stale (a crash between the two renames) and is discarded instead of replayed twice.
 *
 * Durability. journal_append only buffers in memory; journal_commit writes the buffer with one
 * write() and, in JOURNAL_SYNC_ALWAYS mode, fdatasync()s before returning.
 * - ALWAYS: once journal_commit returns 0, every record appended before the call survives a
 *   process crash, a kernel crash and a power loss (given a disk that honours flushes).
 *   Concurrent commits share one fdatasync (group commit).
 * - INTERVAL: journal_commit returns once the records are written to the kernel (page cache); a
 *   background thread fdatasync()s every interval_ms. A process crash (SIGKILL, abort, OOM kill)
 *   loses nothing that was committed, since the kernel still holds the pages. A kernel crash or
 *   power loss loses at most the records committed during the last interval_ms before it (plus
 *   the time the fdatasync calls themselves take, which a stalled disk can stretch); never an
 *   older record, and never the file's consistency (a torn tail is cut at the next open).
 *   Compaction is always synchronous: what a compaction covered survives in either mode.
 * - In both modes, records appended but not yet committed live only in this process's memory.
 * A failed write (disk full: -ENOSPC; or -EFBIG past RLIMIT_FSIZE, when SIGXFSZ is ignored)
 * cuts the partial write off the file and keeps the whole batch buffered: the commit fails,
 * nothing is lost from the buffer, and the next commit retries it. Callers therefore must not acknowledge after a failed commit;
 * the unacknowledged records may still reach the journal later (at-least-once). The buffer is
 * capped (JOURNAL_MAX_PENDING); past it journal_append fails with -ENOBUFS until a commit succeeds.
 * A failed fdatasync (-EIO ...) cannot be retried safely (the kernel may have dropped the dirty
 * pages), so the journal then refuses every write with that error until it is reopened.
 *
 * Threads: every function may be called from any thread (one mutex; fdatasync runs outside it).
 * One process (and one handle) at a time: journal_open takes an exclusive flock() on <name>.lock.
 */

struct journal;
struct journal_writer;

enum journal_sync {
    JOURNAL_SYNC_ALWAYS,   /* fdatasync in every journal_commit */
    JOURNAL_SYNC_INTERVAL, /* journal_commit writes; a thread fdatasyncs every interval_ms */
};

/* How the journal's tail looked at open. */
enum journal_tail {
    JOURNAL_TAIL_CLEAN,         /* ended on a record boundary */
    JOURNAL_TAIL_SHORT_HEADER,  /* fewer than 9 bytes of a record header */
    JOURNAL_TAIL_SHORT_PAYLOAD, /* a header whose payload runs past the end of the file */
    JOURNAL_TAIL_BAD_CRC,       /* a record whose CRC does not match */
    JOURNAL_TAIL_BAD_LENGTH,    /* a length above JOURNAL_MAX_RECORD */
};

struct journal_stats {
    uint64_t snapshot_records; /* records replayed from the snapshot */
    uint64_t journal_records;  /* records replayed from the journal */
    uint64_t bytes_discarded;  /* torn or corrupt journal tail cut off at open */
    uint64_t stale_bytes;      /* a stale journal (already in the snapshot) dropped at open */
    uint64_t generation;       /* the journal's generation now */
    enum journal_tail tail;    /* what ended the journal at open */
    uint64_t tail_offset;      /* journal file offset of the first discarded byte (if any) */
};

#define JOURNAL_MAX_RECORD (64u * 1024 * 1024) /* payload bytes in one record */
#define JOURNAL_MAX_PENDING (256u * 1024 * 1024) /* appended, not yet written */

/* Opens (creating when missing; the directory must exist) <dir>/<name>.journal and
 * <name>.snapshot. Checks both headers, cuts a torn or corrupt journal tail (see journal_replay's
 * stats), drops a stale journal, removes leftover temporary files, and starts the sync thread in
 * INTERVAL mode (interval_ms >= 1). `name` is a plain file name (no '/', not starting with '.').
 * An empty journal file (0 bytes) is taken as a new one. Returns 0 and *out, or a negative errno
 * with a message: a wrong magic, a newer version, a corrupt header or a snapshot whose size does
 * not match its header are errors (-EBADMSG), never silently repaired; so is a journal whose
 * generation says a snapshot is missing; another process holding the journal gives -EBUSY. */
int journal_open(const char *dir, const char *name, enum journal_sync mode, int64_t interval_ms,
                 struct journal **out, char *err, size_t errlen);

/* Calls fn for every record of the snapshot, then of the journal, in the order written; fn gets
 * a pointer valid only during the call, and must not call journal functions (the journal's mutex
 * is held). Stops at the first nonzero return from fn and returns it
 * (as -ECANCELED when it was positive). May be called again (it re-reads the files); call it
 * before appending, since records appended in this session are replayed too once committed.
 * stats (may be NULL) also reports what journal_open cut. A snapshot record failing its CRC is an
 * error (-EBADMSG): snapshots are fsynced before they are renamed into place, so that is damage,
 * not a crash. */
int journal_replay(struct journal *j, int (*fn)(void *ctx, uint8_t type, const void *data, size_t len),
                   void *ctx, struct journal_stats *stats, char *err, size_t errlen);

/* Buffers one record (len <= JOURNAL_MAX_RECORD; data may be NULL when len is 0). Durable only
 * after a successful journal_commit. Returns 0, -EMSGSIZE, -ENOBUFS (see JOURNAL_MAX_PENDING),
 * or the error that made the journal unusable. */
int journal_append(struct journal *j, uint8_t type, const void *data, size_t len, char *err, size_t errlen);

/* Makes every record appended before the call durable as the mode promises (see above): writes
 * the buffer (one write() per batch) and in ALWAYS mode waits for fdatasync. Returns 0, or a
 * negative errno (-ENOSPC, -EFBIG, -EIO ...) when the disk refused; then nothing may be
 * acknowledged, and a later commit retries. */
int journal_commit(struct journal *j, char *err, size_t errlen);

/* Compaction. write_fn must write, through journal_writer_put, records that reproduce the
 * caller's whole state, and that state must include exactly the records appended so far: hold
 * the lock that orders your own state updates with journal_append across this call (lock order:
 * yours, then the journal's). write_fn must not call other journal functions (the journal's mutex
 * is held) and returns 0 or a negative errno. Steps: write <name>.snapshot.tmp, fsync, rename over
 * <name>.snapshot, fsync the directory; then an empty journal of the next generation goes through
 * the same temp-file-and-rename. A crash at any point leaves a state that opens and replays to
 * the same records (old snapshot + old journal, or new snapshot + stale or new journal). Records
 * appended but not committed are included (they are in your state), so they are durable after a
 * successful compaction. On failure before the snapshot's rename nothing changes; after it, the
 * journal is replaced on the next append, commit or compaction. */
int journal_compact(struct journal *j, int (*write_fn)(void *ctx, struct journal_writer *w), void *ctx,
                    char *err, size_t errlen);

/* Writes one snapshot record; returns 0 or a negative errno (then compaction fails). */
int journal_writer_put(struct journal_writer *w, uint8_t type, const void *data, size_t len);

/* Bytes of the journal file plus appended records not yet written: the basis for deciding when
 * to compact. */
uint64_t journal_size(const struct journal *j);

/* Commits (write and fdatasync, in either mode; errors are dropped: call journal_commit first
 * when they matter), stops the sync thread, closes the files and frees j. NULL is a no-op. */
void journal_close(struct journal *j);

#endif
