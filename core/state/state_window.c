/* A model's window from the agent's state directory, read through a private copy (see
 * state_window.h): the one-shot check of what the running (or stopped) agent holds. */
#include "state/state_window.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/journal.h"
#include "sample/rfc3339.h"
#include "sample/sample_row.h"
#include "state/window.h"
#include "state/window_replay.h"

/* Upper bound of a window defined by time only (no size), as the agent has it. */
#define STATE_WINDOW_MAX_ITEMS 1000000

int state_window_exists(const char *state_dir, const char *model)
{
    static const char *const suffixes[] = {".journal", ".snapshot"};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s%s", state_dir, model, suffixes[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
            return 1;
    }
    return 0;
}

/* Copies src to dst (created 0600). A missing src is not an error (*copied = 0). Returns 0 or -1. */
static int copy_file(const char *src, const char *dst, int *copied, char *err, size_t errlen)
{
    *copied = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: cannot open: %s", src, strerror(errno));
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                snprintf(err, errlen, "%s: cannot write: %s", dst, strerror(errno));
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc < 0)
            break;
    }
    close(in);
    if (close(out) < 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write: %s", dst, strerror(errno));
        rc = -1;
    }
    *copied = rc == 0;
    return rc;
}

static void remove_copy(const char *dir, const char *model)
{
    static const char *const suffixes[] = {".journal", ".snapshot", ".lock", ".journal.tmp", ".snapshot.tmp"};
    char path[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, model, suffixes[i]) < sizeof path)
            unlink(path);
    }
    rmdir(dir);
}

/* Replays the copy in dir into a table for p. */
static int replay_copy(const char *dir, const struct model_config *mc, const struct profile *p, struct columns **out,
                       struct state_window_info *info, char *err, size_t errlen)
{
    struct row_schema schema = {0};
    struct sample_row row = {0};
    struct window window;
    struct window_replay r = {.schema = &schema, .row = &row, .window = &window};
    struct columns *schema_cols = columns_new_for_profile(p, NULL);
    struct columns *table = columns_new_for_profile(p, NULL);
    struct journal *j = NULL;
    int rc = -1, window_ready = 0;
    size_t cap = mc->window_size > 0 ? (size_t)mc->window_size : STATE_WINDOW_MAX_ITEMS;
    if (!schema_cols || !table)
        goto nomem;
    columns_row_schema(&schema, schema_cols);
    if (sample_row_init(&row, schema_cols->ncols) < 0 ||
        window_init(&window, &schema, cap, mc->window_sliding) < 0)
        goto nomem;
    window_ready = 1;
    char why[768];
    if (journal_open(dir, mc->name, JOURNAL_SYNC_ALWAYS, 0, &j, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': reading the agent's state: %s", mc->name, why);
        goto out;
    }
    struct journal_stats js;
    if (journal_replay(j, window_replay_record, &r, &js, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': reading the agent's state: %s", mc->name, why);
        goto out;
    }
    info->snapshot_records = js.snapshot_records;
    info->journal_records = js.journal_records;
    info->torn_bytes = js.bytes_discarded;
    info->unreadable = r.unreadable;
    if (window_fill_columns(&window, table, 0) < 0)
        goto nomem;
    *out = table;
    table = NULL;
    rc = 0;
    goto out;
nomem:
    snprintf(err, errlen, "model '%s': out of memory reading the agent's window", mc->name);
out:
    journal_close(j);
    if (window_ready)
        window_free(&window);
    sample_row_free(&row);
    columns_free(table);
    columns_free(schema_cols);
    return rc;
}

int state_window_read(const char *state_dir, const struct model_config *mc, const struct profile *p,
                      struct columns **out, struct state_window_info *info, char *err, size_t errlen)
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    const char *tmp = getenv("TMPDIR");
    char dir[1024];
    if (!tmp || !*tmp || strlen(tmp) > 900)
        tmp = "/tmp";
    snprintf(dir, sizeof dir, "%s/driftwatch-state.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a temporary directory in %s: %s", tmp, strerror(errno));
        return -1;
    }
    /* The journal first, then the snapshot: see state_window.h for why this order is consistent. */
    static const char *const order[] = {".journal", ".snapshot"};
    int rc = 0, any = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char src[4096], dst[4096];
        int copied;
        if ((size_t)snprintf(src, sizeof src, "%s/%s%s", state_dir, mc->name, order[i]) >= sizeof src ||
            (size_t)snprintf(dst, sizeof dst, "%s/%s%s", dir, mc->name, order[i]) >= sizeof dst) {
            snprintf(err, errlen, "state_dir %s: path too long", state_dir);
            rc = -1;
            break;
        }
        rc = copy_file(src, dst, &copied, err, errlen);
        any |= copied;
    }
    if (rc == 0 && !any) {
        snprintf(err, errlen, "model '%s': state_dir %s holds no window of this model (%s.journal, %s.snapshot)",
                 mc->name, state_dir, mc->name, mc->name);
        rc = -1;
    }
    if (rc == 0)
        rc = replay_copy(dir, mc, p, out, info, err, errlen);
    remove_copy(dir, mc->name);
    return rc;
}
