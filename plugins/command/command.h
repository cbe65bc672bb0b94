/* The `command` trainer plugin: shared types of its parts (child processes, the idempotency record).
 * Internal to plugins/command; only command.c exports a symbol. */
#ifndef DW_COMMAND_H
#define DW_COMMAND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin_common.h"

/* How much of the combined stdout/stderr is kept: the last CMD_TAIL_MAX bytes. */
#define CMD_TAIL_MAX 4096

/* ---- command_exec.c: one child process ---- */

/* What to run. Everything is prepared before fork(), so the child only calls async-signal-safe
 * functions (the agent is multithreaded). */
struct cmd_spec {
    const char *path;   /* executable to execve(): absolute, or relative to cwd when it has a '/' */
    char *const *argv;  /* NULL-terminated */
    char *const *envp;  /* NULL-terminated "K=V" */
    const char *cwd;    /* NULL: the agent's working directory */
};

/* The last CMD_TAIL_MAX bytes of output, as a ring. */
struct cmd_tail {
    char buf[CMD_TAIL_MAX];
    size_t start;   /* index of the oldest byte */
    size_t len;     /* bytes held */
    uint64_t total; /* bytes seen */
};

struct cmd_run {
    pid_t pid;          /* also the process group id */
    int out_fd;         /* read end of the stdout+stderr pipe, -1 once closed */
    int64_t started_ms; /* monotonic */
    struct cmd_tail tail;
};

enum cmd_outcome {
    CMD_EXITED,    /* status holds the exit code */
    CMD_SIGNALED,  /* status holds the signal number */
    CMD_TIMED_OUT, /* the group got SIGTERM (then SIGKILL after the grace period) */
    CMD_ABANDONED, /* the instance is stopping: the command was left running */
};

struct cmd_status {
    enum cmd_outcome outcome;
    int status;
    double seconds;
};

/* Starts spec in a new process group with stdin from /dev/null and stdout+stderr into one pipe.
 * Returns 0, or -1 with err (the exec error of the child included: "No such file or directory"). */
int cmd_spawn(const struct cmd_spec *spec, struct cmd_run *run, char *err, size_t errlen);

/* Follows run until it exits. After timeout_ms the whole group gets SIGTERM, and SIGKILL after
 * grace_ms more. stopping(ctx) is asked every 100 ms; when it answers nonzero the child is left
 * running (CMD_ABANDONED). Closes the pipe; the child is reaped unless abandoned. */
void cmd_wait(struct cmd_run *run, int64_t timeout_ms, int64_t grace_ms, int (*stopping)(void *ctx), void *ctx,
              struct cmd_status *st);

/* The tail as text, NUL-terminated, at most max_bytes (and outlen - 1) bytes long: the newest
 * output, starting on a UTF-8 character boundary, trailing whitespace trimmed. */
void cmd_tail_text(const struct cmd_tail *tail, size_t max_bytes, char *out, size_t outlen);

/* Start time of a process in clock ticks since boot (/proc/PID/stat field 22), or 0 when the
 * process does not exist or is a zombie. Tells a live process from a reused pid. */
uint64_t cmd_proc_start_ticks(pid_t pid);

/* ---- command_record.c: keys already run, in <state_dir>/command-<instance>.json ---- */

enum cmd_entry_state { CMD_ENTRY_RUNNING = 0, CMD_ENTRY_SUCCEEDED = 1 };

struct cmd_entry {
    enum cmd_entry_state state;
    char job_id[64];
    pid_t pid;
    uint64_t start_ticks; /* cmd_proc_start_ticks() of pid when it was started */
    int64_t started_at;   /* unix seconds */
    int64_t finished_at;  /* unix seconds, 0 while running */
};

struct cmd_record;

/* state_dir/command-<instance>.json (instance sanitised for a file name). An existing file must
 * parse; nothing is created until the first write. 0, or -1 with err. */
int cmd_record_open(const char *state_dir, const char *instance, struct cmd_record **out, char *err, size_t errlen);
void cmd_record_free(struct cmd_record *r);
const char *cmd_record_path(const struct cmd_record *r);

/* Each call takes an exclusive flock, so instances (and processes) sharing the file never lose
 * each other's updates; writes go to a temp file, fsync, rename, fsync of the directory.
 * get: 1 found (*e filled), 0 absent, -1 error. put/remove: 0 or -1. */
int cmd_record_get(struct cmd_record *r, const char *key, struct cmd_entry *e, char *err, size_t errlen);
int cmd_record_put(struct cmd_record *r, const char *key, const struct cmd_entry *e, char *err, size_t errlen);
int cmd_record_remove(struct cmd_record *r, const char *key, char *err, size_t errlen);

#endif
