/* The `command` plugin's idempotency record: which trigger keys already ran successfully (and which
 * are running), kept in <state_dir>/command-<instance>.json so a restart never runs a key twice. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"

#define RECORD_FORMAT 1
/* Keys are per drifted window, so the file would grow forever: the oldest entries go first. A
 * key older than this many runs will not be triggered again by the core's policy anyway. */
#define RECORD_MAX_ENTRIES 1000

struct cmd_record {
    char *path;
    char *lock_path;
    char *dir;
};

static char *str_printf(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

const char *cmd_record_path(const struct cmd_record *r)
{
    return r->path;
}

void cmd_record_free(struct cmd_record *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->lock_path);
    free(r->dir);
    free(r);
}

/* Reads the file into *root (an empty record when it does not exist). 0 or -1 with err. */
static int record_load(struct cmd_record *r, json_t **root, char *err, size_t errlen)
{
    json_error_t jerr;
    *root = NULL;
    FILE *fp = fopen(r->path, "re");
    if (!fp) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "cannot read %s: %s", r->path, strerror(errno));
            return -1;
        }
        *root = json_pack("{s:i, s:{}}", "driftwatch_command_record", RECORD_FORMAT, "runs");
        if (!*root) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    json_t *j = json_loadf(fp, 0, &jerr);
    fclose(fp);
    if (!j) {
        snprintf(err, errlen, "%s:%d:%d: %s (the record of trigger keys already run; fix or remove it, "
                 "knowing that removed keys may run again)", r->path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    json_t *fmt = json_object_get(j, "driftwatch_command_record");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != RECORD_FORMAT || !json_is_object(json_object_get(j, "runs"))) {
        snprintf(err, errlen, "%s: not a driftwatch command record (format %d with a 'runs' object expected)",
                 r->path, RECORD_FORMAT);
        json_decref(j);
        return -1;
    }
    *root = j;
    return 0;
}

/* Temp file, fsync, rename over the record, fsync the directory: a crash leaves the old or the new
 * file, never a torn one. */
static int record_save(struct cmd_record *r, json_t *root, char *err, size_t errlen)
{
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    char *line = text ? pu_strf("%s\n", text) : NULL;
    int ret = -1;
    if (!line)
        snprintf(err, errlen, "out of memory");
    else
        ret = pu_write_file_atomic(r->path, line, strlen(line), err, errlen);
    free(line);
    free(text);
    return ret;
}

static int record_lock(struct cmd_record *r, char *err, size_t errlen)
{
    int fd = open(r->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", r->lock_path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "cannot lock %s: %s", r->lock_path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void record_unlock(int fd)
{
    flock(fd, LOCK_UN);
    close(fd);
}

int cmd_record_open(const char *state_dir, const char *instance, struct cmd_record **out, char *err, size_t errlen)
{
    char name[160];
    size_t o = 0;
    /* The instance name is the user's: keep it to characters that are safe in a file name. */
    for (const char *p = instance; *p && o + 1 < sizeof name; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 c == '.';
        name[o++] = ok ? c : '_';
    }
    name[o] = '\0';
    *out = NULL;
    struct cmd_record *r = calloc(1, sizeof *r);
    char file[200];
    snprintf(file, sizeof file, "/command-%s.json", name);
    if (!r || !(r->dir = strdup(state_dir && *state_dir ? state_dir : ".")) ||
        !(r->path = str_printf(r->dir, file, "")) || !(r->lock_path = str_printf(r->path, ".lock", ""))) {
        cmd_record_free(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_t *root = NULL;
    if (record_load(r, &root, err, errlen) < 0) {
        cmd_record_free(r);
        return -1;
    }
    json_decref(root);
    *out = r;
    return 0;
}

static void entry_from_json(json_t *j, struct cmd_entry *e)
{
    memset(e, 0, sizeof *e);
    const char *state = json_string_value(json_object_get(j, "state"));
    e->state = state && strcmp(state, "succeeded") == 0 ? CMD_ENTRY_SUCCEEDED : CMD_ENTRY_RUNNING;
    const char *job = json_string_value(json_object_get(j, "job_id"));
    snprintf(e->job_id, sizeof e->job_id, "%s", job ? job : "");
    e->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
    /* Ticks since boot exceed what a JSON integer keeps exactly only after ~2900 years at 100 Hz. */
    e->start_ticks = (uint64_t)json_integer_value(json_object_get(j, "start_ticks"));
    e->started_at = (int64_t)json_integer_value(json_object_get(j, "started_at"));
    e->finished_at = (int64_t)json_integer_value(json_object_get(j, "finished_at"));
}

static json_t *entry_to_json(const struct cmd_entry *e)
{
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I}", "state", e->state == CMD_ENTRY_SUCCEEDED ? "succeeded" : "running",
                          "job_id", e->job_id, "pid", (json_int_t)e->pid, "start_ticks", (json_int_t)e->start_ticks,
                          "started_at", (json_int_t)e->started_at);
    if (j && e->finished_at && json_object_set_new(j, "finished_at", json_integer(e->finished_at)) < 0) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

int cmd_record_get(struct cmd_record *r, const char *key, struct cmd_entry *e, char *err, size_t errlen)
{
    json_t *root = NULL;
    int fd = record_lock(r, err, errlen);
    if (fd < 0)
        return -1;
    int ret = record_load(r, &root, err, errlen);
    if (ret == 0) {
        json_t *j = json_object_get(json_object_get(root, "runs"), key);
        if (json_is_object(j)) {
            entry_from_json(j, e);
            ret = 1;
        }
    }
    record_unlock(fd);
    json_decref(root);
    return ret;
}

/* Drops the entries started longest ago until the record is within its bound. */
static void record_trim(json_t *runs)
{
    while (json_object_size(runs) > RECORD_MAX_ENTRIES) {
        const char *k, *oldest = NULL;
        json_t *v;
        json_int_t oldest_at = 0;
        json_object_foreach(runs, k, v) {
            json_int_t at = json_integer_value(json_object_get(v, "started_at"));
            if (!oldest || at < oldest_at) {
                oldest = k;
                oldest_at = at;
            }
        }
        if (!oldest || json_object_del(runs, oldest) < 0)
            break;
    }
}

static int record_update(struct cmd_record *r, const char *key, const struct cmd_entry *e, char *err, size_t errlen)
{
    json_t *root = NULL;
    int fd = record_lock(r, err, errlen);
    if (fd < 0)
        return -1;
    int ret = record_load(r, &root, err, errlen);
    if (ret == 0) {
        json_t *runs = json_object_get(root, "runs");
        if (e) {
            json_t *j = entry_to_json(e);
            if (!j || json_object_set_new(runs, key, j) < 0) {
                snprintf(err, errlen, "out of memory");
                ret = -1;
            }
            record_trim(runs);
        } else if (!json_object_get(runs, key)) {
            goto out; /* nothing to remove: no write */
        } else {
            json_object_del(runs, key);
        }
        if (ret == 0)
            ret = record_save(r, root, err, errlen);
    }
out:
    record_unlock(fd);
    json_decref(root);
    return ret;
}

int cmd_record_put(struct cmd_record *r, const char *key, const struct cmd_entry *e, char *err, size_t errlen)
{
    return record_update(r, key, e, err, errlen);
}

int cmd_record_remove(struct cmd_record *r, const char *key, char *err, size_t errlen)
{
    return record_update(r, key, NULL, err, errlen);
}
