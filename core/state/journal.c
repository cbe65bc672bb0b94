/* Append-only journal with CRC-checked records and snapshot compaction (format and durability
 * contract in journal.h): buffered appends, one write per commit, group fdatasync, torn-tail repair. */
#include "state/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/crc32.h"

#define HEADER_SIZE 48
#define RECORD_HEADER 9 /* u32 length, u32 crc, u8 type */
#define FORMAT_VERSION 1
#define NAME_MAX_LEN 200
/* An emptied append buffer larger than this is freed: one big batch would otherwise pin its
 * size per model for good (100 models x a 1000-sample batch = 50 MB). */
#define KEEP_BUFFER_BYTES 65536

static const char journal_magic[8] = {'D', 'W', 'J', 'O', 'U', 'R', 'N', 'L'};
static const char snapshot_magic[8] = {'D', 'W', 'S', 'N', 'A', 'P', 'S', 'H'};

struct file_header {
    uint64_t generation;
    uint64_t data_bytes;
    uint64_t records;
};

struct journal {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* a sync finished, or the thread must stop */
    int dirfd;
    int lockfd;
    int fd; /* the current journal file */
    char dir[512];
    char jfile[NAME_MAX_LEN + 16], sfile[NAME_MAX_LEN + 16], lfile[NAME_MAX_LEN + 16];
    char jtmp[NAME_MAX_LEN + 16], stmp[NAME_MAX_LEN + 16];
    enum journal_sync mode;
    int64_t interval_ms;

    uint64_t gen;      /* the journal file's generation */
    uint64_t file_end; /* bytes of valid records in the journal file (header included) */
    int need_rotate;   /* the snapshot covers `gen`: a new journal must replace this one */

    unsigned char *buf; /* appended, not yet written */
    size_t len, cap;
    /* Logical byte counters, monotone across compactions: commit waits for synced >= written. */
    uint64_t appended, written, synced;
    int syncing; /* an fdatasync runs outside the mutex */

    int failed; /* negative errno: the journal refuses writes until reopened */
    char failmsg[1024];

    pthread_t thread;
    int thread_started, stop;
    struct journal_stats open_stats;
};

struct journal_writer {
    int fd;
    uint64_t off;
    unsigned char *buf;
    size_t len, cap;
    uint64_t records, bytes;
    int err;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- little-endian encoding ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static void encode_header(unsigned char *h, const char magic[8], const struct file_header *fh)
{
    memset(h, 0, HEADER_SIZE);
    memcpy(h, magic, 8);
    put_u32(h + 8, FORMAT_VERSION);
    put_u64(h + 16, fh->generation);
    put_u64(h + 24, fh->data_bytes);
    put_u64(h + 32, fh->records);
    put_u32(h + 40, crc32_ieee(h, 40));
}

/* Checks a header read from `path`; `what` names the expected kind for messages. */
static int decode_header(const unsigned char *h, size_t n, const char magic[8], const char *path,
                         struct file_header *fh, char *err, size_t errlen)
{
    const char *other = magic == journal_magic ? "a driftwatch snapshot" : "a driftwatch journal";
    const char *want = magic == journal_magic ? "journal" : "snapshot";
    if (n >= 8 && memcmp(h, magic == journal_magic ? snapshot_magic : journal_magic, 8) == 0) {
        set_err(err, errlen, "%s: bad magic: this is %s, not a %s", path, other, want);
        return -EBADMSG;
    }
    if (n < 8 || memcmp(h, magic, 8) != 0) {
        set_err(err, errlen, "%s: bad magic: not a driftwatch %s (move it aside to start empty)", path, want);
        return -EBADMSG;
    }
    if (n < HEADER_SIZE) {
        set_err(err, errlen, "%s: truncated header (%zu of %d bytes)", path, n, HEADER_SIZE);
        return -EBADMSG;
    }
    uint32_t version = get_u32(h + 8);
    if (get_u32(h + 40) != crc32_ieee(h, 40)) {
        set_err(err, errlen, "%s: header checksum mismatch (the file is damaged)", path);
        return -EBADMSG;
    }
    if (version != FORMAT_VERSION) {
        set_err(err, errlen, "%s: format version %u, this build reads version %d", path, version, FORMAT_VERSION);
        return -EBADMSG;
    }
    fh->generation = get_u64(h + 16);
    fh->data_bytes = get_u64(h + 24);
    fh->records = get_u64(h + 32);
    return 0;
}

static size_t encode_record_header(unsigned char *p, uint8_t type, const void *data, size_t len)
{
    put_u32(p, (uint32_t)len);
    put_u32(p + 4, crc32_ieee_update(crc32_ieee(&type, 1), data, len));
    p[8] = type;
    return RECORD_HEADER;
}

/* ---- file helpers ---- */

static int write_all_at(int fd, const void *buf, size_t len, uint64_t off)
{
    const unsigned char *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Reads up to len bytes at off; returns the count (short only at end of file) or -errno. */
static ssize_t read_full_at(int fd, void *buf, size_t len, uint64_t off)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int fsync_retry(int fd, int data_only)
{
    for (;;) {
        int r = data_only ? fdatasync(fd) : fsync(fd);
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* ---- buffered record reader (open-time scan and replay) ---- */

struct reader {
    int fd;
    uint64_t base; /* file offset of buf[0] */
    uint64_t end;  /* read no further than this offset */
    unsigned char *buf;
    size_t cap, len, pos;
};

/* Makes n bytes available at r->pos: 1, 0 at end of data, or -errno. */
static int reader_need(struct reader *r, size_t n)
{
    if (r->len - r->pos >= n)
        return 1;
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    size_t want = n > 65536 ? n : 65536;
    if (r->cap < want) {
        unsigned char *nb = realloc(r->buf, want);
        if (!nb)
            return -ENOMEM;
        r->buf = nb;
        r->cap = want;
    }
    while (r->len < n) {
        uint64_t at = r->base + r->len;
        if (at >= r->end)
            return 0;
        size_t room = r->cap - r->len;
        if (room > r->end - at)
            room = (size_t)(r->end - at);
        ssize_t got = read_full_at(r->fd, r->buf + r->len, room, at);
        if (got < 0)
            return (int)got;
        if (got == 0)
            return 0;
        r->len += (size_t)got;
    }
    return 1;
}

/* Next record: 1 (fields set), 0 at a clean end, 2 at a bad tail (*tail says why), or -errno. */
static int reader_next(struct reader *r, uint8_t *type, const unsigned char **payload, uint32_t *len,
                       enum journal_tail *tail)
{
    int rc = reader_need(r, RECORD_HEADER);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (r->len - r->pos == 0)
            return 0;
        *tail = JOURNAL_TAIL_SHORT_HEADER;
        return 2;
    }
    const unsigned char *h = r->buf + r->pos;
    uint32_t n = get_u32(h);
    if (n > JOURNAL_MAX_RECORD) {
        *tail = JOURNAL_TAIL_BAD_LENGTH;
        return 2;
    }
    rc = reader_need(r, RECORD_HEADER + (size_t)n);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        *tail = JOURNAL_TAIL_SHORT_PAYLOAD;
        return 2;
    }
    h = r->buf + r->pos;
    if (crc32_ieee(h + 8, 1 + (size_t)n) != get_u32(h + 4)) {
        *tail = JOURNAL_TAIL_BAD_CRC;
        return 2;
    }
    *type = h[8];
    *payload = h + RECORD_HEADER;
    *len = n;
    r->pos += RECORD_HEADER + (size_t)n;
    return 1;
}

static uint64_t reader_offset(const struct reader *r)
{
    return r->base + r->pos;
}

static const char *tail_name(enum journal_tail t)
{
    switch (t) {
    case JOURNAL_TAIL_SHORT_HEADER: return "short record header";
    case JOURNAL_TAIL_SHORT_PAYLOAD: return "short payload";
    case JOURNAL_TAIL_BAD_CRC: return "CRC mismatch";
    case JOURNAL_TAIL_BAD_LENGTH: return "impossible record length";
    default: return "clean";
    }
}

/* ---- journal files ---- */

/* Replaces the journal file by an empty one of generation gen: temp file, fsync, rename, fsync
 * the directory. Caller holds the mutex (or is journal_open). */
static int journal_create(struct journal *j, uint64_t gen, char *err, size_t errlen)
{
    unsigned char h[HEADER_SIZE];
    struct file_header fh = {.generation = gen};
    encode_header(h, journal_magic, &fh);
    int fd = openat(j->dirfd, j->jtmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = -errno;
        set_err(err, errlen, "%s/%s: cannot create: %s", j->dir, j->jtmp, strerror(-e));
        return e;
    }
    int rc = write_all_at(fd, h, sizeof(h), 0);
    if (rc == 0)
        rc = fsync_retry(fd, 0);
    if (rc == 0 && renameat(j->dirfd, j->jtmp, j->dirfd, j->jfile) < 0)
        rc = -errno;
    if (rc == 0)
        rc = fsync_retry(j->dirfd, 0);
    if (rc < 0) {
        set_err(err, errlen, "%s/%s: cannot create a new journal: %s", j->dir, j->jfile, strerror(-rc));
        close(fd);
        unlinkat(j->dirfd, j->jtmp, 0);
        return rc;
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->gen = gen;
    j->file_end = HEADER_SIZE;
    j->need_rotate = 0;
    return 0;
}

/* Reads and checks the snapshot's header: 0 (has=1), 0 with has=0 when missing, or -errno. */
static int snapshot_probe(struct journal *j, int *has, struct file_header *fh, char *err, size_t errlen)
{
    *has = 0;
    int fd = openat(j->dirfd, j->sfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        int e = -errno;
        set_err(err, errlen, "%s/%s: cannot open: %s", j->dir, j->sfile, strerror(-e));
        return e;
    }
    char path[sizeof(j->dir) + sizeof(j->sfile) + 2];
    snprintf(path, sizeof(path), "%s/%s", j->dir, j->sfile);
    unsigned char h[HEADER_SIZE];
    struct stat st;
    int rc = 0;
    ssize_t n = read_full_at(fd, h, sizeof(h), 0);
    if (n < 0 || fstat(fd, &st) < 0) {
        rc = n < 0 ? (int)n : -errno;
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
    } else {
        rc = decode_header(h, (size_t)n, snapshot_magic, path, fh, err, errlen);
        if (rc == 0 && (uint64_t)st.st_size != HEADER_SIZE + fh->data_bytes) {
            set_err(err, errlen, "%s: %lld bytes, its header says %llu: the snapshot is damaged "
                    "(move it aside to start from the journal alone)", path, (long long)st.st_size,
                    (unsigned long long)(HEADER_SIZE + fh->data_bytes));
            rc = -EBADMSG;
        }
    }
    close(fd);
    if (rc == 0)
        *has = 1;
    return rc;
}

/* Opens the journal file, checks its generation against the snapshot's, and cuts a bad tail. */
static int journal_load(struct journal *j, int has_snap, uint64_t snap_gen, char *err, size_t errlen)
{
    struct journal_stats *st = &j->open_stats;
    char path[sizeof(j->dir) + sizeof(j->jfile) + 2];
    snprintf(path, sizeof(path), "%s/%s", j->dir, j->jfile);
    int fd = openat(j->dirfd, j->jfile, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            int e = -errno;
            set_err(err, errlen, "%s: cannot open: %s", path, strerror(-e));
            return e;
        }
        return journal_create(j, snap_gen + 1, err, errlen);
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0) {
        int e = -errno;
        set_err(err, errlen, "%s: cannot stat: %s", path, strerror(-e));
        close(fd);
        return e;
    }
    if (!S_ISREG(sb.st_mode)) {
        set_err(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -EINVAL;
    }
    if (sb.st_size == 0) {
        close(fd);
        return journal_create(j, snap_gen + 1, err, errlen);
    }
    unsigned char h[HEADER_SIZE];
    struct file_header fh;
    ssize_t n = read_full_at(fd, h, sizeof(h), 0);
    if (n < 0) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror((int)-n));
        close(fd);
        return (int)n;
    }
    int rc = decode_header(h, (size_t)n, journal_magic, path, &fh, err, errlen);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    if (fh.generation <= snap_gen) {
        /* Crash between the snapshot's rename and the new journal's: all of it is in the snapshot. */
        st->stale_bytes = (uint64_t)sb.st_size - HEADER_SIZE;
        close(fd);
        return journal_create(j, snap_gen + 1, err, errlen);
    }
    if (fh.generation != snap_gen + 1) {
        if (has_snap)
            set_err(err, errlen, "%s: generation %llu, but the snapshot covers generation %llu: "
                    "snapshots in between are missing", path, (unsigned long long)fh.generation,
                    (unsigned long long)snap_gen);
        else
            set_err(err, errlen, "%s: generation %llu follows a snapshot, but %s/%s is missing "
                    "(restore it, or move the journal aside to start empty)", path,
                    (unsigned long long)fh.generation, j->dir, j->sfile);
        close(fd);
        return -EBADMSG;
    }

    struct reader r = {.fd = fd, .base = HEADER_SIZE, .end = (uint64_t)sb.st_size};
    enum journal_tail tail = JOURNAL_TAIL_CLEAN;
    uint8_t type;
    const unsigned char *payload;
    uint32_t len;
    for (;;) {
        rc = reader_next(&r, &type, &payload, &len, &tail);
        if (rc != 1)
            break;
    }
    uint64_t good = reader_offset(&r);
    free(r.buf);
    if (rc < 0) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
        close(fd);
        return rc;
    }
    if (good < (uint64_t)sb.st_size) {
        st->tail = tail;
        st->tail_offset = good;
        st->bytes_discarded = (uint64_t)sb.st_size - good;
        rc = ftruncate(fd, (off_t)good) < 0 ? -errno : fsync_retry(fd, 1);
        if (rc < 0) {
            set_err(err, errlen, "%s: cannot cut the bad tail (%s at offset %llu): %s", path,
                    tail_name(tail), (unsigned long long)good, strerror(-rc));
            close(fd);
            return rc;
        }
    }
    j->fd = fd;
    j->gen = fh.generation;
    j->file_end = good;
    return 0;
}

/* ---- writing ---- */

static int fail_result(struct journal *j, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", j->failmsg);
    return j->failed;
}

static void poison(struct journal *j, int e, const char *what)
{
    if (j->failed)
        return;
    j->failed = e;
    snprintf(j->failmsg, sizeof(j->failmsg), "%s/%s: %s: %s; the journal refuses writes until it is reopened",
             j->dir, j->jfile, what, strerror(-e));
}

/* The buffered records are written (or covered by a snapshot): empty the buffer, freeing it when a
 * large batch grew it (caller holds mu). */
static void buffer_emptied(struct journal *j)
{
    j->len = 0;
    if (j->cap > KEEP_BUFFER_BYTES) {
        free(j->buf);
        j->buf = NULL;
        j->cap = 0;
    }
}

/* Writes the buffered records with one write at the end of the valid data. Caller holds mu. */
static int flush_locked(struct journal *j, char *err, size_t errlen)
{
    if (j->failed)
        return fail_result(j, err, errlen);
    if (j->need_rotate) {
        while (j->syncing) /* it still uses the old file */
            pthread_cond_wait(&j->cond, &j->mu);
        if (j->failed)
            return fail_result(j, err, errlen);
        int rc = journal_create(j, j->gen + 1, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (!j->len)
        return 0;
    int rc = write_all_at(j->fd, j->buf, j->len, j->file_end);
    if (rc < 0) {
        /* Cut what part of the batch made it, so later records never follow a torn one; the
         * batch stays buffered for the next commit. */
        if (ftruncate(j->fd, (off_t)j->file_end) < 0) {
            poison(j, rc, "write failed and the partial write could not be cut");
            return fail_result(j, err, errlen);
        }
        set_err(err, errlen, "%s/%s: write of %zu bytes failed: %s%s (kept for the next commit)", j->dir,
                j->jfile, j->len, strerror(-rc),
                rc == -ENOSPC ? ": the state directory is full, free space there" : "");
        return rc;
    }
    j->file_end += j->len;
    j->written += j->len;
    buffer_emptied(j);
    return 0;
}

/* Runs one fdatasync of everything written so far outside the mutex. Caller holds mu and has
 * checked !syncing. */
static int sync_locked(struct journal *j)
{
    j->syncing = 1;
    uint64_t upto = j->written;
    int fd = j->fd;
    pthread_mutex_unlock(&j->mu);
    int rc = fsync_retry(fd, 1);
    pthread_mutex_lock(&j->mu);
    j->syncing = 0;
    if (rc < 0)
        poison(j, rc, "fdatasync failed");
    else if (upto > j->synced)
        j->synced = upto;
    pthread_cond_broadcast(&j->cond);
    return rc;
}

/* Waits until everything written so far is synced (joining a running fdatasync). Holds mu. */
static int wait_synced_locked(struct journal *j, char *err, size_t errlen)
{
    uint64_t target = j->written;
    while (j->synced < target) {
        if (j->failed)
            return fail_result(j, err, errlen);
        if (j->syncing) {
            pthread_cond_wait(&j->cond, &j->mu);
            continue;
        }
        sync_locked(j);
    }
    return 0;
}

static void *sync_thread(void *arg)
{
    struct journal *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += j->interval_ms / 1000;
        deadline.tv_nsec += (long)(j->interval_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (!j->stop && pthread_cond_timedwait(&j->cond, &j->mu, &deadline) != ETIMEDOUT)
            ;
        if (j->stop)
            break;
        if (!j->failed && !j->syncing && j->written > j->synced)
            sync_locked(j);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- public API ---- */

int journal_open(const char *dir, const char *name, enum journal_sync mode, int64_t interval_ms,
                 struct journal **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!dir || !name || !*name || strchr(name, '/') || name[0] == '.' || strlen(name) > NAME_MAX_LEN) {
        set_err(err, errlen, "journal: invalid name \"%s\" (a plain file name is needed)", name ? name : "");
        return -EINVAL;
    }
    if (mode != JOURNAL_SYNC_ALWAYS && mode != JOURNAL_SYNC_INTERVAL) {
        set_err(err, errlen, "journal %s: unknown sync mode %d", name, (int)mode);
        return -EINVAL;
    }
    if (mode == JOURNAL_SYNC_INTERVAL && (interval_ms < 1 || interval_ms > 3600 * 1000)) {
        set_err(err, errlen, "journal %s: sync interval %lld ms is outside 1 ms - 1 h", name, (long long)interval_ms);
        return -EINVAL;
    }
    struct journal *j = calloc(1, sizeof(*j));
    if (!j) {
        set_err(err, errlen, "journal %s: out of memory", name);
        return -ENOMEM;
    }
    j->dirfd = j->lockfd = j->fd = -1;
    j->mode = mode;
    j->interval_ms = interval_ms;
    snprintf(j->dir, sizeof(j->dir), "%s", dir);
    snprintf(j->jfile, sizeof(j->jfile), "%s.journal", name);
    snprintf(j->sfile, sizeof(j->sfile), "%s.snapshot", name);
    snprintf(j->lfile, sizeof(j->lfile), "%s.lock", name);
    snprintf(j->jtmp, sizeof(j->jtmp), "%s.journal.tmp", name);
    snprintf(j->stmp, sizeof(j->stmp), "%s.snapshot.tmp", name);
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);

    int rc;
    j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0) {
        rc = -errno;
        set_err(err, errlen, "journal state directory %s: %s", dir, strerror(-rc));
        goto fail;
    }
    /* A separate lock file, because compaction replaces the journal file itself. */
    j->lockfd = openat(j->dirfd, j->lfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lockfd < 0) {
        rc = -errno;
        set_err(err, errlen, "%s/%s: cannot create: %s", dir, j->lfile, strerror(-rc));
        goto fail;
    }
    if (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        set_err(err, errlen, "%s/%s: the journal is in use by another process or handle", dir, j->jfile);
        goto fail;
    }
    unlinkat(j->dirfd, j->jtmp, 0);
    unlinkat(j->dirfd, j->stmp, 0);

    int has_snap;
    struct file_header sh = {0};
    rc = snapshot_probe(j, &has_snap, &sh, err, errlen);
    if (rc < 0)
        goto fail;
    rc = journal_load(j, has_snap, has_snap ? sh.generation : 0, err, errlen);
    if (rc < 0)
        goto fail;
    j->open_stats.generation = j->gen;

    if (mode == JOURNAL_SYNC_INTERVAL) {
        rc = -pthread_create(&j->thread, NULL, sync_thread, j);
        if (rc < 0) {
            set_err(err, errlen, "journal %s: cannot start the sync thread: %s", name, strerror(-rc));
            goto fail;
        }
        j->thread_started = 1;
    }
    *out = j;
    return 0;
fail:
    journal_close(j);
    return rc;
}

static int replay_file(struct journal *j, int fd, uint64_t end, const char *path, int snapshot,
                       int (*fn)(void *, uint8_t, const void *, size_t), void *ctx, uint64_t *count,
                       char *err, size_t errlen)
{
    struct reader r = {.fd = fd, .base = HEADER_SIZE, .end = end};
    enum journal_tail tail = JOURNAL_TAIL_CLEAN;
    int rc;
    for (;;) {
        uint8_t type;
        const unsigned char *payload;
        uint32_t len;
        rc = reader_next(&r, &type, &payload, &len, &tail);
        if (rc == 0)
            break;
        if (rc < 0) {
            set_err(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
            break;
        }
        if (rc == 2) {
            set_err(err, errlen, "%s: %s at offset %llu: the %s is damaged%s", path, tail_name(tail),
                    (unsigned long long)reader_offset(&r), snapshot ? "snapshot" : "journal",
                    snapshot ? " (move it aside to start from the journal alone)" : "");
            rc = -EBADMSG;
            break;
        }
        rc = fn(ctx, type, payload, len);
        if (rc != 0) {
            if (rc > 0)
                rc = -ECANCELED;
            set_err(err, errlen, "%s: replay stopped by the caller at record %llu (offset %llu)", path,
                    (unsigned long long)*count, (unsigned long long)(reader_offset(&r) - RECORD_HEADER - len));
            break;
        }
        (*count)++;
    }
    free(r.buf);
    return rc;
}

int journal_replay(struct journal *j, int (*fn)(void *ctx, uint8_t type, const void *data, size_t len),
                   void *ctx, struct journal_stats *stats, char *err, size_t errlen)
{
    struct journal_stats st;
    pthread_mutex_lock(&j->mu);
    st = j->open_stats;
    st.generation = j->gen;
    st.snapshot_records = st.journal_records = 0;
    char path[sizeof(j->dir) + sizeof(j->jfile) + 16];
    int rc = 0;

    int has_snap;
    struct file_header sh;
    rc = snapshot_probe(j, &has_snap, &sh, err, errlen);
    if (rc == 0 && has_snap) {
        snprintf(path, sizeof(path), "%s/%s", j->dir, j->sfile);
        int fd = openat(j->dirfd, j->sfile, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            set_err(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        } else {
            rc = replay_file(j, fd, HEADER_SIZE + sh.data_bytes, path, 1, fn, ctx, &st.snapshot_records,
                             err, errlen);
            close(fd);
            if (rc == 0 && st.snapshot_records != sh.records) {
                set_err(err, errlen, "%s: %llu records, its header says %llu: the snapshot is damaged",
                        path, (unsigned long long)st.snapshot_records, (unsigned long long)sh.records);
                rc = -EBADMSG;
            }
        }
    }
    /* A snapshot that covers the current journal (compaction whose journal replacement failed)
     * already holds the journal's records. */
    if (rc == 0 && !j->need_rotate) {
        snprintf(path, sizeof(path), "%s/%s", j->dir, j->jfile);
        rc = replay_file(j, j->fd, j->file_end, path, 0, fn, ctx, &st.journal_records, err, errlen);
    }
    pthread_mutex_unlock(&j->mu);
    if (stats)
        *stats = st;
    return rc;
}

int journal_append(struct journal *j, uint8_t type, const void *data, size_t len, char *err, size_t errlen)
{
    if (len > JOURNAL_MAX_RECORD) {
        set_err(err, errlen, "journal %s: record of %zu bytes is over the limit of %u", j->jfile, len,
                JOURNAL_MAX_RECORD);
        return -EMSGSIZE;
    }
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    if (j->failed) {
        rc = fail_result(j, err, errlen);
        goto out;
    }
    size_t need = j->len + RECORD_HEADER + len;
    if (need > JOURNAL_MAX_PENDING) {
        set_err(err, errlen, "journal %s: %zu bytes appended but not written (commit failing?); "
                "refusing more", j->jfile, j->len);
        rc = -ENOBUFS;
        goto out;
    }
    if (need > j->cap) {
        size_t cap = j->cap ? j->cap : 4096;
        while (cap < need)
            cap *= 2;
        unsigned char *nb = realloc(j->buf, cap);
        if (!nb) {
            set_err(err, errlen, "journal %s: out of memory", j->jfile);
            rc = -ENOMEM;
            goto out;
        }
        j->buf = nb;
        j->cap = cap;
    }
    encode_record_header(j->buf + j->len, type, data, len);
    if (len)
        memcpy(j->buf + j->len + RECORD_HEADER, data, len);
    j->len = need;
    j->appended += RECORD_HEADER + len;
out:
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int journal_commit(struct journal *j, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->mu);
    int rc = flush_locked(j, err, errlen);
    if (rc == 0 && j->mode == JOURNAL_SYNC_ALWAYS)
        rc = wait_synced_locked(j, err, errlen);
    pthread_mutex_unlock(&j->mu);
    return rc;
}

static int writer_flush(struct journal_writer *w)
{
    if (w->err)
        return w->err;
    if (w->len) {
        int rc = write_all_at(w->fd, w->buf, w->len, w->off);
        if (rc < 0)
            return w->err = rc;
        w->off += w->len;
        w->len = 0;
    }
    return 0;
}

int journal_writer_put(struct journal_writer *w, uint8_t type, const void *data, size_t len)
{
    if (w->err)
        return w->err;
    if (len > JOURNAL_MAX_RECORD)
        return w->err = -EMSGSIZE;
    size_t rec = RECORD_HEADER + len;
    if (w->len + rec > w->cap && writer_flush(w) < 0)
        return w->err;
    if (rec > w->cap) {
        unsigned char *nb = realloc(w->buf, rec);
        if (!nb)
            return w->err = -ENOMEM;
        w->buf = nb;
        w->cap = rec;
    }
    encode_record_header(w->buf + w->len, type, data, len);
    if (len)
        memcpy(w->buf + w->len + RECORD_HEADER, data, len);
    w->len += rec;
    w->records++;
    w->bytes += rec;
    return 0;
}

int journal_compact(struct journal *j, int (*write_fn)(void *ctx, struct journal_writer *w), void *ctx,
                    char *err, size_t errlen)
{
    pthread_mutex_lock(&j->mu);
    while (j->syncing)
        pthread_cond_wait(&j->cond, &j->mu);
    int rc = 0;
    if (j->failed) {
        rc = fail_result(j, err, errlen);
        goto out;
    }
    struct journal_writer w = {.fd = -1, .off = HEADER_SIZE};
    w.cap = 65536;
    w.buf = malloc(w.cap);
    if (!w.buf) {
        set_err(err, errlen, "journal %s: out of memory", j->jfile);
        rc = -ENOMEM;
        goto out;
    }
    w.fd = openat(j->dirfd, j->stmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w.fd < 0) {
        rc = -errno;
        set_err(err, errlen, "%s/%s: cannot create: %s", j->dir, j->stmp, strerror(-rc));
        free(w.buf);
        goto out;
    }
    const char *step = "writing";
    rc = write_fn(ctx, &w);
    if (rc > 0)
        rc = -ECANCELED;
    if (rc == 0)
        rc = writer_flush(&w);
    else if (w.err)
        rc = w.err;
    if (rc == 0) {
        unsigned char h[HEADER_SIZE];
        struct file_header fh = {.generation = j->gen, .data_bytes = w.bytes, .records = w.records};
        encode_header(h, snapshot_magic, &fh);
        rc = write_all_at(w.fd, h, sizeof(h), 0);
    }
    if (rc == 0) {
        step = "syncing";
        rc = fsync_retry(w.fd, 0);
    }
    close(w.fd);
    free(w.buf);
    if (rc == 0) {
        step = "renaming";
        if (renameat(j->dirfd, j->stmp, j->dirfd, j->sfile) < 0)
            rc = -errno;
    }
    if (rc < 0) {
        set_err(err, errlen, "%s/%s: compaction failed %s the snapshot: %s (the journal is unchanged)",
                j->dir, j->sfile, step, strerror(-rc));
        unlinkat(j->dirfd, j->stmp, 0);
        goto out;
    }
    /* From here the new snapshot is in place: it holds every record appended so far. */
    j->need_rotate = 1;
    buffer_emptied(j);
    j->written = j->synced = j->appended;
    rc = fsync_retry(j->dirfd, 0);
    if (rc < 0) {
        poison(j, rc, "fsync of the state directory failed after writing a snapshot");
        rc = fail_result(j, err, errlen);
        goto out;
    }
    rc = journal_create(j, j->gen + 1, err, errlen);
out:
    pthread_mutex_unlock(&j->mu);
    return rc;
}

uint64_t journal_size(const struct journal *j)
{
    struct journal *mj = (struct journal *)j; /* the mutex is not part of the logical state */
    pthread_mutex_lock(&mj->mu);
    uint64_t n = mj->file_end + mj->len;
    pthread_mutex_unlock(&mj->mu);
    return n;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    if (j->thread_started) {
        pthread_mutex_lock(&j->mu);
        j->stop = 1;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->thread, NULL);
    }
    if (j->fd >= 0) {
        pthread_mutex_lock(&j->mu);
        if (flush_locked(j, NULL, 0) == 0)
            wait_synced_locked(j, NULL, 0);
        pthread_mutex_unlock(&j->mu);
        close(j->fd);
    }
    if (j->lockfd >= 0)
        close(j->lockfd);
    if (j->dirfd >= 0)
        close(j->dirfd);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->mu);
    free(j->buf);
    free(j);
}
