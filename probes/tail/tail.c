/* The `tail` probe: follows a JSON Lines prediction log like `tail -F` (rotation by rename+create,
 * truncation, partial lines) and resumes after a restart from its position, which the core journals
 * in the same record as the lines it covers (a position file only on a host without cursors). */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "sample/sample_check.h"
#include "sample_emit.h"

/* Malformed lines are logged one by one up to this many per read, then summarised. */
#define MAX_LOGGED_PER_READ 10
/* Lines handed over in one batch, in bytes: a batch and its position are one journal record. */
#define MAX_BATCH_BYTES (16u << 20)

struct tail_config {
    const char *model;
    const char *path;
    int64_t poll_ms;
    const char *from;
    int64_t max_line;
};

/* Where reading stands in one file: its identity and the first byte/line not yet handed over. */
#define POSITION_WAIT_MS 5000 /* how long start waits for the reader thread to choose its position */

struct position {
    dev_t dev;
    ino_t ino;
    uint64_t offset;
    uint64_t line;       /* number of the line starting at offset (1-based) */
};

struct tail {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char name[128];
    char *model;
    char *path;
    char *state_path;
    int64_t poll_ms;
    int from_end;
    size_t max_line;

    char *buf;           /* read buffer: max_line + 1 bytes */
    size_t buf_cap;
    struct dw_sample_text *batch; /* the valid lines of one read, pointing into buf */
    size_t batch_cap;

    char *source;        /* "tail:<path>": the name of this file's cursor in the model's journal */
    int use_cursors;     /* the host journals the position with the lines (else: state_path) */

    int fd;              /* the file being read, -1 while the path does not exist */
    struct position pos;
    int skipping;        /* inside a line longer than max_line: drop bytes up to its newline */
    int pipeline_down;   /* the last hand-over failed (logged once until it works again) */
    int migrated;        /* cursors in use and the old position file removed */

    pthread_t thread;
    int running;
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int positioned;            /* the thread has chosen where to begin (under lock) */
    pthread_cond_t positioned_cv;
};

static const char *const from_choices[] = {"beginning", "end", NULL};

static const struct dw_option tail_options[] = {
    {.name = "model", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct tail_config, model),
     .description = "model the log's predictions belong to"},
    {.name = "path", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct tail_config, path),
     .description = "JSON Lines prediction log to follow (one sample per line, docs/data-formats.md)"},
    {.name = "poll", .type = DW_OPT_DURATION, .def = "500ms", .offset = offsetof(struct tail_config, poll_ms),
     .min = "1ms",
     .description = "how often to look for new lines, rotation and truncation"},
    {.name = "from", .type = DW_OPT_STRING, .def = "end", .offset = offsetof(struct tail_config, from),
     .choices = from_choices,
     .description = "where to start the first time (no saved offset): beginning or end; a file created later is read whole"},
    /* A line travels in one journal record with its position. */
    {.name = "max_line", .type = DW_OPT_SIZE, .def = "1M", .offset = offsetof(struct tail_config, max_line),
     .min = "16", .max = "32M",
     .description = "longest line accepted (at most 32M); longer ones are skipped and reported"},
    {0},
};

/* Fault injection for the crash tests: DW_FAULT_POINT=<name>[:stop] makes the process SIGKILL
 * itself (or SIGSTOP, so a test can act at that instant and then kill or continue it) when it
 * reaches the named point. Unset in production: one getenv per hand-over. */
static void fault_point(const char *name)
{
    const char *want = getenv("DW_FAULT_POINT");
    if (!want)
        return;
    size_t n = strlen(name);
    if (strncmp(want, name, n) != 0 || (want[n] != '\0' && want[n] != ':'))
        return;
    raise(strcmp(want + n, ":stop") == 0 ? SIGSTOP : SIGKILL);
}

/* ---- the position as a cursor: "dev:inode:offset:line:skipping" ---- */

static void position_format(const struct position *pos, int skipping, char *out, size_t outlen)
{
    snprintf(out, outlen, "%ju:%ju:%" PRIu64 ":%" PRIu64 ":%d", (uintmax_t)pos->dev, (uintmax_t)pos->ino,
             pos->offset, pos->line, skipping ? 1 : 0);
}

static int position_parse(const char *text, struct position *pos, int *skipping)
{
    uintmax_t dev, ino;
    uint64_t off, line;
    int skip, end = 0;
    if (sscanf(text, "%ju:%ju:%" SCNu64 ":%" SCNu64 ":%d%n", &dev, &ino, &off, &line, &skip, &end) != 5 ||
        text[end] != '\0' || line < 1)
        return -1;
    *pos = (struct position){.dev = (dev_t)dev, .ino = (ino_t)ino, .offset = off, .line = line};
    *skipping = skip != 0;
    return 0;
}

struct cursor_read {
    char value[128];
    int found;
};

static void on_cursor(void *fn_ctx, const char *key, const char *value)
{
    struct cursor_read *r = fn_ctx;
    (void)key;
    snprintf(r->value, sizeof r->value, "%s", value);
    r->found = 1;
}

/* The core's durable cursor of this file: 1 (value filled), 0 none, -1 the host keeps none. */
static int cursor_read_back(struct tail *t, struct cursor_read *r)
{
    memset(r, 0, sizeof *r);
    int n = t->host->read_cursors(t->ctx, t->model, t->source, on_cursor, r);
    if (n < 0)
        return -1;
    return r->found;
}

/* ---- saved position: written atomically (temp file, fsync, rename, fsync of the directory) ---- */

static int state_save(struct tail *t)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", t->state_path);
    json_t *doc = json_pack("{s:s, s:I, s:I, s:I, s:I}", "path", t->path, "dev", (json_int_t)t->pos.dev, "inode",
                            (json_int_t)t->pos.ino, "offset", (json_int_t)t->pos.offset, "line",
                            (json_int_t)t->pos.line);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return -1;
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        size_t len = strlen(text);
        if (write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
            rc = 0;
        close(fd);
    }
    free(text);
    if (rc == 0 && rename(tmp, t->state_path) < 0)
        rc = -1;
    if (rc == 0) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s", t->state_path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    if (rc < 0) {
        t->host->log(t->ctx, DW_LOG_ERROR, "cannot save the tail position to %s: %s", t->state_path,
                     strerror(errno));
        unlink(tmp);
    }
    return rc;
}

/* Returns 1 with *pos filled when a position for this path was saved, 0 otherwise. */
static int state_load(struct tail *t, struct position *pos)
{
    json_error_t jerr;
    json_t *doc = json_load_file(t->state_path, 0, &jerr);
    if (!doc)
        return 0;
    int ok = 0;
    const char *path = json_string_value(json_object_get(doc, "path"));
    json_t *dev = json_object_get(doc, "dev"), *ino = json_object_get(doc, "inode"),
           *off = json_object_get(doc, "offset"), *line = json_object_get(doc, "line");
    if (path && strcmp(path, t->path) == 0 && json_is_integer(dev) && json_is_integer(ino) && json_is_integer(off) &&
        json_is_integer(line) && json_integer_value(off) >= 0 && json_integer_value(line) >= 1) {
        pos->dev = (dev_t)json_integer_value(dev);
        pos->ino = (ino_t)json_integer_value(ino);
        pos->offset = (uint64_t)json_integer_value(off);
        pos->line = (uint64_t)json_integer_value(line);
        ok = 1;
    } else {
        t->host->log(t->ctx, DW_LOG_WARN, "ignoring the saved position in %s (another file or unreadable)",
                     t->state_path);
    }
    json_decref(doc);
    return ok;
}

/* ---- reading lines ---- */

static int batch_append(struct tail *t, size_t *n_batch, const char *line, size_t n)
{
    if (*n_batch == t->batch_cap) {
        size_t cap = t->batch_cap ? t->batch_cap * 2 : 256;
        struct dw_sample_text *grown = realloc(t->batch, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->batch = grown;
        t->batch_cap = cap;
    }
    t->batch[*n_batch].text = line;
    t->batch[(*n_batch)++].len = n;
    return 0;
}

struct malformed {
    uint64_t line;
    char why[600];
};

static void count(struct tail *t, const char *reason, size_t n)
{
    pu_count_rejected(t->host, t->ctx, t->model, reason, n);
}

/* Hands the n checked lines of t->batch over, with the position after them (next, skipping): the
 * core journals both in one record; on a host without cursors the position file is saved after.
 * 0: taken (or refused as invalid, which is final); -1: the pipeline could not take them now, keep
 * them for the next poll. */
static int hand_over(struct tail *t, size_t n, const struct position *next, int skipping)
{
    struct dw_ingest_result res = {.size = sizeof res};
    int rc;
    char value[128];
    position_format(next, skipping, value, sizeof value);
    if (t->use_cursors) {
        struct dw_checked_batch batch = {
            .size = sizeof batch, .model = t->model, .probe = t->name, .samples = t->batch, .n = n};
        struct dw_cursor cursor = {.size = sizeof cursor, .source = t->source, .value = value};
        rc = t->host->emit_checked_cursor(t->ctx, &batch, &cursor, &res, NULL);
        struct cursor_read back;
        /* Refused after the record was buffered (a commit failed): the core holds the lines and
         * writes them with its next commit, so they are handed over and must not be sent again. */
        if (rc == DW_INGEST_UNAVAILABLE && cursor_read_back(t, &back) == 1 && strcmp(back.value, value) == 0)
            rc = DW_INGEST_OK;
    } else if (n == 0) {
        rc = DW_INGEST_OK;
    } else {
        rc = sample_emit_checked(t->host, t->ctx, t->model, t->name, t->batch, n, &res);
    }
    /* Invalid lines are final (the position moves past them); anything else is the agent's
     * problem (storage unavailable, no such model, no pipeline yet): keep them for the next poll. */
    if (rc < 0 && !(rc == DW_INGEST_INVALID && res.rejected > 0)) {
        if (!t->pipeline_down)
            t->host->log(t->ctx, DW_LOG_WARN, "%s: the agent could not take the samples (%s); retrying", t->path,
                         res.error);
        t->pipeline_down = 1;
        return -1;
    }
    if (t->pipeline_down)
        t->host->log(t->ctx, DW_LOG_INFO, "%s: the agent takes samples again", t->path);
    t->pipeline_down = 0;
    if (res.rejected)
        t->host->log(t->ctx, DW_LOG_WARN, "%s: the agent rejected %zu sample(s): %s", t->path, res.rejected,
                     res.error);
    if (n > 0)
        fault_point("tail_after_handover");
    if (!t->use_cursors) {
        t->pos = *next;
        state_save(t);
    } else if (!t->migrated) {
        /* The position lives in the journal now: an older version's position file is done with. */
        unlink(t->state_path);
        t->migrated = 1;
    }
    return 0;
}

/* Records where reading stands without lines (a file switched to, a truncation, `from: end`).
 * Best effort: a restart before it is recorded finds the previous position and reaches the same
 * place (the rotated file is finished, the new one read whole). */
static void position_save(struct tail *t)
{
    struct position here = t->pos;
    hand_over(t, 0, &here, t->skipping);
}

/* Where reading stood: the core's cursor for this file, else (first start after an upgrade, or a
 * host without cursors) the position file. Returns 1 with *pos and *skipping filled, 0 for none. */
static int position_load(struct tail *t, struct position *pos, int *skipping)
{
    struct cursor_read r;
    int have = cursor_read_back(t, &r);
    t->use_cursors = have >= 0;
    *skipping = 0;
    if (have == 1) {
        if (position_parse(r.value, pos, skipping) == 0)
            return 1;
        t->host->log(t->ctx, DW_LOG_WARN, "%s: ignoring the journaled position '%s' (unreadable)", t->path, r.value);
    }
    return state_load(t, pos);
}

/* Reads what is complete after pos.offset in fd and hands it over, one buffer at a time.
 * final: the file will not grow any more (it was rotated away), so a last line without newline is
 * taken as complete. Returns 0, or -1 when the pipeline is down (position unchanged). */
static int read_available(struct tail *t, int final)
{
    for (;;) {
        ssize_t got = pread(t->fd, t->buf, t->buf_cap, (off_t)t->pos.offset);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            t->host->log(t->ctx, DW_LOG_ERROR, "%s: read failed: %s", t->path, strerror(errno));
            return 0;
        }
        if (got == 0)
            return 0;
        size_t n = (size_t)got, consumed = 0, batch_len = 0, batch_bytes = 0, received = 0, n_bad = 0, n_long = 0;
        int batch_full = 0;
        uint64_t line = t->pos.line;
        int skipping = t->skipping;
        struct malformed bad[MAX_LOGGED_PER_READ];
        size_t logged = 0;
        while (consumed < n) {
            char *start = t->buf + consumed;
            char *nl = memchr(start, '\n', n - consumed);
            size_t len;
            if (!nl) {
                if (skipping) {
                    consumed = n; /* still inside the long line */
                    break;
                }
                if (consumed == 0 && n == t->buf_cap) {
                    /* A whole buffer without a newline: the line is longer than max_line. */
                    n_long++;
                    if (logged < MAX_LOGGED_PER_READ) {
                        bad[logged].line = line;
                        snprintf(bad[logged].why, sizeof bad[logged].why, "line longer than max_line (%zu bytes)",
                                 t->max_line);
                        logged++;
                    }
                    skipping = 1;
                    consumed = n;
                    break;
                }
                if (!final)
                    break; /* a partial line: wait for its newline */
                len = n - consumed;
            } else {
                len = (size_t)(nl - start);
            }
            size_t advance = nl ? len + 1 : len;
            if (batch_bytes + len > MAX_BATCH_BYTES && batch_len > 0) {
                batch_full = 1; /* the rest goes in the next batch */
                break;
            }
            if (skipping) {
                skipping = 0;
                consumed += advance;
                line++;
                continue;
            }
            size_t trimmed = len;
            while (trimmed > 0 && (start[trimmed - 1] == '\r' || start[trimmed - 1] == ' ' ||
                                   start[trimmed - 1] == '\t'))
                trimmed--;
            if (trimmed > 0) {
                received++;
                struct sample_problem prob;
                char path[256] = "", why[300] = "";
                if (sample_check_text(start, trimmed, "$", &prob) == 0) {
                    if (batch_append(t, &batch_len, start, trimmed) < 0) {
                        t->host->log(t->ctx, DW_LOG_ERROR, "%s: out of memory", t->path);
                        return -1;
                    }
                    batch_bytes += trimmed;
                } else if (prob.syntax) {
                    snprintf(why, sizeof why, "invalid JSON at column %zu: %s", prob.offset + 1, prob.why);
                } else {
                    snprintf(path, sizeof path, "%s", prob.path);
                    snprintf(why, sizeof why, "%s", prob.why);
                }
                if (why[0]) {
                    n_bad++;
                    if (logged < MAX_LOGGED_PER_READ) {
                        bad[logged].line = line;
                        snprintf(bad[logged].why, sizeof bad[logged].why, "%s%s%s", path, path[0] ? ": " : "",
                                 why);
                        logged++;
                    }
                }
            }
            consumed += advance;
            line++;
        }
        if (consumed == 0)
            return 0;
        struct position next = t->pos;
        next.offset += consumed;
        next.line = line;
        if (hand_over(t, batch_len, &next, skipping) < 0)
            return -1;
        /* Handed over: only now does the position move past these lines. */
        t->pos = next;
        t->skipping = skipping;
        if (received)
            pu_count_received(t->host, t->ctx, t->model, t->name, received);
        count(t, "malformed", n_bad);
        count(t, "line_too_long", n_long);
        for (size_t i = 0; i < logged; i++)
            t->host->log(t->ctx, DW_LOG_WARN, "%s:%" PRIu64 ": skipped: %s", t->path, bad[i].line, bad[i].why);
        if (n_bad + n_long > logged)
            t->host->log(t->ctx, DW_LOG_WARN, "%s: %zu more malformed line(s) skipped", t->path,
                         n_bad + n_long - logged);
        if (!batch_full && (consumed < n || (size_t)got < t->buf_cap))
            return 0;
    }
}

/* Opens the path; returns 0 with st filled, -1 when it does not exist (yet). */
static int open_path(struct tail *t, struct stat *st)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0) {
        close(fd);
        return -1;
    }
    t->fd = fd;
    return 0;
}

static uint64_t count_newlines(struct tail *t, uint64_t upto)
{
    uint64_t lines = 0, off = 0;
    while (off < upto) {
        size_t want = upto - off < t->buf_cap ? (size_t)(upto - off) : t->buf_cap;
        ssize_t got = pread(t->fd, t->buf, want, (off_t)off);
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got; i++)
            lines += t->buf[i] == '\n';
        off += (uint64_t)got;
    }
    return lines;
}

/* After a restart, the file we were reading was rotated away: look for it (same device and inode)
 * next to the path, e.g. predictions.jsonl.1, and read its rest. Returns an open fd or -1. */
static int find_rotated(struct tail *t, const struct position *saved, char *found, size_t foundlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", t->path);
    char *d = dirname(dir);
    DIR *dh = opendir(d);
    if (!dh)
        return -1;
    int fd = -1;
    struct dirent *e;
    /* Compare stat()'s identity, not d_ino: overlay filesystems may report other inode numbers
     * in directory entries. */
    while ((e = readdir(dh)) != NULL) {
        snprintf(found, foundlen, "%s/%s", d, e->d_name);
        struct stat st;
        if (stat(found, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == saved->dev && st.st_ino == saved->ino) {
            fd = open(found, O_RDONLY | O_CLOEXEC);
            break;
        }
    }
    closedir(dh);
    return fd;
}

/* Waits for the pipeline while the hand-over of the old file's rest fails (or until stopped). */
static void read_until_taken(struct tail *t, int final)
{
    while (read_available(t, final) < 0 && !__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&t->lock);
        if (!t->stop)
            pu_cond_wait_ms(&t->wake, &t->lock, 1000);
        pthread_mutex_unlock(&t->lock);
    }
}

/* Where to begin: the saved position (in this file, in its rotated predecessor, or after a
 * truncation), else `from`. */
static void tail_open_initial(struct tail *t)
{
    struct position saved;
    int skipping;
    int have = position_load(t, &saved, &skipping);
    struct stat st;
    int exists = open_path(t, &st) == 0;
    if (have && exists && st.st_dev == saved.dev && st.st_ino == saved.ino) {
        t->pos = saved;
        t->skipping = skipping;
        if ((uint64_t)st.st_size < saved.offset) {
            t->host->log(t->ctx, DW_LOG_INFO, "%s: truncated while stopped; reading from the start", t->path);
            t->pos.offset = 0;
            t->pos.line = 1;
            t->skipping = 0;
            position_save(t);
        }
        return;
    }
    if (have) {
        char rotated[4400];
        int old = find_rotated(t, &saved, rotated, sizeof rotated);
        if (old >= 0 && !exists) {
            /* Renamed, and its successor not created yet: the writer may still append to it. Follow
             * it as the running probe does (tail_poll finishes it once the new file appears). */
            t->host->log(t->ctx, DW_LOG_INFO,
                         "%s: rotated while stopped, no new file yet; following %s from byte %" PRIu64, t->path,
                         rotated, saved.offset);
            t->fd = old;
            t->pos = saved;
            t->skipping = skipping;
            read_until_taken(t, 0);
            fault_point("tail_initial_rotated_read");
            return;
        }
        if (old >= 0) {
            t->host->log(t->ctx, DW_LOG_INFO, "%s: rotated while stopped; finishing %s from byte %" PRIu64,
                         t->path, rotated, saved.offset);
            int cur = t->fd;
            t->fd = old;
            t->pos = saved;
            t->skipping = skipping;
            /* Until the rest is handed over, the saved position keeps pointing into the old file. */
            read_until_taken(t, 1);
            close(old);
            t->fd = cur;
        } else {
            t->host->log(t->ctx, DW_LOG_WARN,
                         "%s: replaced while stopped and the previous file is gone; lines after byte %" PRIu64
                         " of it are lost",
                         t->path, saved.offset);
        }
        /* The current file is new to us: read it whole. */
        if (t->fd >= 0) {
            t->pos = (struct position){.dev = st.st_dev, .ino = st.st_ino, .offset = 0, .line = 1};
            t->skipping = 0;
            position_save(t);
        }
        return;
    }
    if (!exists)
        return;
    t->pos = (struct position){.dev = st.st_dev, .ino = st.st_ino, .offset = 0, .line = 1};
    if (t->from_end) {
        t->pos.offset = (uint64_t)st.st_size;
        t->pos.line = count_newlines(t, t->pos.offset) + 1;
    }
    position_save(t);
}

/* One poll: new lines, then rotation (finish the old file, switch) and truncation. */
static void tail_poll(struct tail *t, int after_rotation)
{
    if (t->fd < 0) {
        struct stat st;
        if (open_path(t, &st) < 0)
            return;
        if (!after_rotation)
            t->host->log(t->ctx, DW_LOG_INFO, "%s: appeared; reading it from the start", t->path);
        t->pos = (struct position){.dev = st.st_dev, .ino = st.st_ino, .offset = 0, .line = 1};
        t->skipping = 0;
        position_save(t);
    }
    if (read_available(t, 0) < 0)
        return;
    struct stat now, cur;
    if (fstat(t->fd, &cur) < 0)
        return;
    /* The path is gone (renamed, no successor yet): keep reading the old file, whose writer may
     * still append to it, until a new file appears. */
    if (stat(t->path, &now) < 0)
        return;
    if (now.st_dev != cur.st_dev || now.st_ino != cur.st_ino) {
        /* Rotated: first what was appended to the old file since the last read, its last line
         * complete or not, then the new file from its start. */
        if (read_available(t, 1) < 0)
            return;
        t->host->log(t->ctx, DW_LOG_INFO, "%s: rotated (inode %ju -> %ju); following the new file", t->path,
                     (uintmax_t)cur.st_ino, (uintmax_t)now.st_ino);
        close(t->fd);
        t->fd = -1;
        tail_poll(t, 1);
        return;
    }
    if ((uint64_t)cur.st_size < t->pos.offset) {
        t->host->log(t->ctx, DW_LOG_INFO, "%s: truncated (size %jd < offset %" PRIu64 "); reading from the start",
                     t->path, (intmax_t)cur.st_size, t->pos.offset);
        t->pos.offset = 0;
        t->pos.line = 1;
        t->skipping = 0;
        position_save(t);
        read_available(t, 0);
    }
}

static void *tail_thread(void *arg)
{
    struct tail *t = arg;
    tail_open_initial(t);
    pthread_mutex_lock(&t->lock);
    t->positioned = 1;
    pthread_cond_broadcast(&t->positioned_cv);
    while (!t->stop) {
        pthread_mutex_unlock(&t->lock);
        tail_poll(t, 0);
        pthread_mutex_lock(&t->lock);
        if (t->stop)
            break;
        pu_cond_wait_ms(&t->wake, &t->lock, t->poll_ms);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void tail_destroy(void *instance)
{
    struct tail *t = instance;
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    pthread_cond_destroy(&t->positioned_cv);
    free(t->buf);
    free(t->batch);
    free(t->state_path);
    free(t->source);
    free(t->path);
    free(t->model);
    free(t);
}

/* "fraud" + "/var/log/p.jsonl" -> "<state_dir>/tail-fraud-<fnv1a of the path>.json": one position
 * per model and file, whatever the instance is called. */
static char *state_file_name(const char *state_dir, const char *model, const char *path)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = path; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001b3ULL;
    }
    char safe[128];
    size_t n = 0;
    for (const char *p = model; *p && n + 1 < sizeof safe; p++)
        safe[n++] = (*p == '/' || *p == '.' || (unsigned char)*p < 0x20) ? '_' : *p;
    safe[n] = '\0';
    size_t len = strlen(state_dir) + strlen(safe) + 64;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s/tail-%s-%016" PRIx64 ".json", state_dir, safe, h);
    return out;
}

static int tail_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                     void **instance, char *err, size_t errlen)
{
    const struct tail_config *cfg = config;
    if (!host->state_dir) {
        snprintf(err, errlen, "the agent gives no state directory to save the position in");
        return -1;
    }
    struct tail *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->fd = -1;
    pthread_mutex_init(&t->lock, NULL);
    pu_cond_init_monotonic(&t->wake);
    pu_cond_init_monotonic(&t->positioned_cv);
    t->host = host;
    t->ctx = ctx;
    snprintf(t->name, sizeof t->name, "%s", instance_name);
    t->poll_ms = cfg->poll_ms;
    t->from_end = strcmp(cfg->from, "end") == 0;
    t->max_line = (size_t)cfg->max_line;
    t->buf_cap = t->max_line + 1;
    t->model = strdup(cfg->model);
    t->path = strdup(cfg->path);
    t->buf = malloc(t->buf_cap);
    t->state_path = state_file_name(host->state_dir, cfg->model, cfg->path);
    size_t source_len = strlen(cfg->path) + 6;
    if ((t->source = malloc(source_len)) != NULL)
        snprintf(t->source, source_len, "tail:%s", cfg->path);
    if (!t->model || !t->path || !t->buf || !t->state_path || !t->source) {
        tail_destroy(t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *instance = t;
    return 0;
}

static int tail_start(void *instance, char *err, size_t errlen)
{
    struct tail *t = instance;
    t->stop = 0;
    t->positioned = 0;
    int rc = pthread_create(&t->thread, NULL, tail_thread, t);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the reader thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(t->thread, "dw-tail");
    t->running = 1;
    /* Wait (bounded: the first hand-over may wait for a core that cannot take samples) until the
     * thread has chosen where to begin, so `from: end` means the end when start returned, not
     * wherever the file had grown to when a busy machine first scheduled the thread. */
    int64_t deadline = pu_now_ms() + POSITION_WAIT_MS;
    pthread_mutex_lock(&t->lock);
    for (int64_t left = POSITION_WAIT_MS; !t->positioned && left > 0; left = deadline - pu_now_ms())
        pu_cond_wait_ms(&t->positioned_cv, &t->lock, left);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

static void tail_stop(void *instance)
{
    struct tail *t = instance;
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "tail",
    .kind = DW_KIND_PROBE,
    .version = "1.0.0",
    .description = "Follows a JSON Lines prediction log across rotation and truncation; resumes after restarts.",
    .options = tail_options,
    .config_size = sizeof(struct tail_config),
    .init = tail_init,
    .start = tail_start,
    .stop = tail_stop,
    .destroy = tail_destroy,
};
