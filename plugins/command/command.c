/* The `command` trainer plugin: retrains by running a local command (`dvc repro train`,
 * `dvc exp run -S ...`) without a shell, once per trigger key, with the drift context in its env. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "driftwatch/plugin.h"

extern char **environ;

#define CMD_LOG_CHUNK 1500 /* the host formats a log message into 2 KB */

struct command_config {
    struct dw_list argv;
    int shell;
    const char *cwd;
    int64_t timeout;
    int64_t kill_grace;
    struct dw_list env;
    int inherit_env;
    int wait;
};

/* A key being run by this instance now (in the caller's thread, or in a background reaper). */
struct active_run {
    struct active_run *next;
    struct command *c;
    char *key;
    pid_t pid;          /* 0 while starting */
    int background;
    pthread_t thread;
    int done;           /* background reaper finished: join and free */
    struct cmd_run run;
};

struct command {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char *name;         /* the instance's: metrics label, DRIFTWATCH_TRAINER, the record's file */
    char **argv;        /* owned, NULL-terminated: what execve gets */
    char *desc;         /* argv for messages, shell-quoted */
    char *cwd;
    char **env_cfg;     /* owned "K=V" from the `env` option */
    size_t n_env;
    int inherit_env;
    int wait;
    int shell;
    int64_t timeout_ms;
    int64_t grace_ms;
    struct cmd_record *record;

    pthread_mutex_t lock;
    int stopping;
    struct active_run *active;
};

static const struct dw_option command_options[] = {
    {.name = "argv", .type = DW_OPT_LIST, .required = 1, .offset = offsetof(struct command_config, argv),
     .description = "program and arguments, run directly (no shell: ';', '$(...)' and quotes reach it literally), "
     "e.g. [dvc, repro, train]"},
    {.name = "shell", .type = DW_OPT_BOOL, .def = "false", .offset = offsetof(struct command_config, shell),
     .description = "opt in to a shell: argv must then be one string, run with /bin/sh -c (expansions, pipes, ';' apply)"},
    {.name = "cwd", .type = DW_OPT_STRING, .offset = offsetof(struct command_config, cwd),
     .description = "working directory of the command (default: the agent's), e.g. the DVC repository"},
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "1h", .offset = offsetof(struct command_config, timeout),
     .description = "after this long the command's whole process group gets SIGTERM (state TIMEOUT)", .min = "1ms"},
    {.name = "kill_grace", .type = DW_OPT_DURATION, .def = "10s", .offset = offsetof(struct command_config, kill_grace),
     .description = "time between SIGTERM and SIGKILL when the timeout ends a command", .min = "0"},
    {.name = "env", .type = DW_OPT_LIST, .offset = offsetof(struct command_config, env),
     .description = "extra environment variables, K=V each (values are never logged)"},
    {.name = "inherit_env", .type = DW_OPT_BOOL, .def = "true", .offset = offsetof(struct command_config, inherit_env),
     .description = "pass the agent's environment on; false: only PATH, HOME, LANG, LC_ALL, TZ, USER and LOGNAME"},
    {.name = "wait", .type = DW_OPT_BOOL, .def = "true", .offset = offsetof(struct command_config, wait),
     .description = "wait for the command and report SUCCEEDED/FAILED/TIMEOUT; false: start it and return RUNNING "
     "(a background thread reaps it and records the result)"},
    {0},
};

/* ---- small helpers ---- */

static char *str_dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int64_t now_unix(void)
{
    return (int64_t)time(NULL);
}

static void count_run(struct command *c, const char *result)
{
    const char *labels[] = {"plugin", c->name, "result", result, NULL};
    c->host->counter_add(c->ctx, "driftwatch_trainer_runs_total",
                         "Retrain commands by result (succeeded, failed, timeout, error, skipped, dry_run, "
                         "abandoned).",
                         labels, 1);
}

static void set_duration(struct command *c, double seconds)
{
    const char *labels[] = {"plugin", c->name, NULL};
    c->host->gauge_set(c->ctx, "driftwatch_trainer_last_duration_seconds",
                       "Wall time of the last finished retrain command.", labels, seconds);
}

/* Shell-style quoting for messages only (nothing is ever run through this). */
static char *describe_argv(char *const *argv)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+@%-", *p) != NULL;
        size_t need = len + 4 * strlen(a) + 4;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            char *n = realloc(out, cap);
            if (!n) {
                free(out);
                return NULL;
            }
            out = n;
        }
        if (i)
            out[len++] = ' ';
        if (plain) {
            memcpy(out + len, a, strlen(a));
            len += strlen(a);
        } else {
            out[len++] = '\'';
            for (const char *p = a; *p; p++) {
                if (*p == '\'') {
                    memcpy(out + len, "'\\''", 4);
                    len += 4;
                } else {
                    out[len++] = *p;
                }
            }
            out[len++] = '\'';
        }
        out[len] = '\0';
    }
    return out;
}

/* Logs the output tail in pieces the host's log line can hold, split at newlines when possible. */
static void log_tail(struct command *c, enum dw_log_level level, pid_t pid, const struct cmd_tail *tail)
{
    static char text[CMD_TAIL_MAX + 1];
    static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&text_lock);
    cmd_tail_text(tail, CMD_TAIL_MAX, text, sizeof text);
    size_t len = strlen(text), off = 0;
    int parts = 0;
    if (!len)
        c->host->log(c->ctx, level == DW_LOG_INFO ? DW_LOG_DEBUG : level, "command: pid %ld wrote no output",
                     (long)pid);
    while (off < len) {
        size_t n = len - off;
        if (n > CMD_LOG_CHUNK) {
            n = CMD_LOG_CHUNK;
            for (size_t k = n; k > CMD_LOG_CHUNK / 2; k--)
                if (text[off + k - 1] == '\n') {
                    n = k;
                    break;
                }
            while (n > 1 && ((unsigned char)text[off + n] & 0xC0) == 0x80)
                n--;
        }
        parts++;
        c->host->log(c->ctx, level, "command: pid %ld output%s%s: %.*s", (long)pid,
                     tail->total > tail->len && parts == 1 ? " (last 4 KB)" : "", parts > 1 ? " (continued)" : "",
                     (int)n, text + off);
        off += n;
    }
    pthread_mutex_unlock(&text_lock);
}

/* ---- environment ---- */

/* Sets "K=V" in a NULL-terminated vector, replacing an entry with the same K. Takes kv. */
static int env_put(char ***envp, size_t *n, char *kv)
{
    if (!kv)
        return -1;
    size_t klen = strcspn(kv, "=") + 1;
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*envp)[i], kv, klen) == 0) {
            free((*envp)[i]);
            (*envp)[i] = kv;
            return 0;
        }
    char **v = realloc(*envp, (*n + 2) * sizeof *v);
    if (!v) {
        free(kv);
        return -1;
    }
    v[(*n)++] = kv;
    v[*n] = NULL;
    *envp = v;
    return 0;
}

static char *kv_printf(const char *k, const char *v)
{
    size_t n = strlen(k) + strlen(v) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s=%s", k, v);
    return s;
}

/* The child's environment: inherited (or a minimal set), then `env`, then the trigger's context,
 * which wins over both so a command can trust DRIFTWATCH_*. */
static char **build_env(struct command *c, const struct dw_trigger_event *ev, char *features)
{
    static const char *const minimal[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", NULL};
    char **envp = calloc(1, sizeof *envp);
    size_t n = 0;
    int bad = !envp || !features;
    for (char **e = environ; !bad && e && *e; e++) {
        int keep = c->inherit_env;
        for (size_t i = 0; !keep && minimal[i]; i++) {
            size_t kl = strlen(minimal[i]);
            keep = strncmp(*e, minimal[i], kl) == 0 && (*e)[kl] == '=';
        }
        if (keep)
            bad |= env_put(&envp, &n, strdup(*e)) < 0;
    }
    for (size_t i = 0; !bad && i < c->n_env; i++)
        bad |= env_put(&envp, &n, strdup(c->env_cfg[i])) < 0;
    const char *ctx[][2] = {
        {"DRIFTWATCH_MODEL", ev->model ? ev->model : ""},
        {"DRIFTWATCH_KEY", ev->key},
        {"DRIFTWATCH_DATA_VERSION", ev->data_version ? ev->data_version : ""},
        {"DRIFTWATCH_WINDOW_END", ev->window_end ? ev->window_end : ""},
        {"DRIFTWATCH_DRIFTED_FEATURES", features ? features : ""},
        {"DRIFTWATCH_DRY_RUN", ev->dry_run ? "1" : "0"},
        {"DRIFTWATCH_TRAINER", c->name},
    };
    for (size_t i = 0; !bad && i < sizeof ctx / sizeof ctx[0]; i++)
        bad |= env_put(&envp, &n, kv_printf(ctx[i][0], ctx[i][1])) < 0;
    if (bad) {
        strv_free(envp);
        return NULL;
    }
    return envp;
}

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t kl = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, kl) == 0 && envp[i][kl] == '=')
            return envp[i] + kl + 1;
    return NULL;
}

/* ---- finding the program (what execvp would do, decided before fork) ---- */

static int is_executable_file(const char *path, const char *cwd)
{
    char buf[4096];
    if (path[0] != '/' && cwd) {
        int n = snprintf(buf, sizeof buf, "%s/%s", cwd, path);
        if (n < 0 || (size_t)n >= sizeof buf)
            return 0; /* longer than any path the kernel would resolve: not runnable */
        path = buf;
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A name with a '/' is used as it is (relative to cwd); otherwise the PATH the command will see is
 * searched. No fallback to a shell when the file is not a binary (unlike execvp on ENOEXEC). */
static char *resolve_program(struct command *c, char *const *envp, char *err, size_t errlen)
{
    const char *name = c->argv[0];
    if (strchr(name, '/')) {
        if (!is_executable_file(name, c->cwd)) {
            snprintf(err, errlen, "command: '%s'%s%s is not an executable file", name, c->cwd ? " in " : "",
                     c->cwd ? c->cwd : "");
            return NULL;
        }
        return strdup(name);
    }
    const char *path = env_lookup(envp, "PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        size_t dl = strcspn(p, ":");
        char cand[4096];
        if (dl == 0)
            snprintf(cand, sizeof cand, "./%s", name); /* an empty PATH entry is the current directory */
        else
            snprintf(cand, sizeof cand, "%.*s/%s", (int)dl, p, name);
        if (is_executable_file(cand, c->cwd))
            return strdup(cand);
        if (!p[dl])
            break;
        p += dl + 1;
    }
    snprintf(err, errlen, "command: '%s' not found in PATH (%s)", name, path);
    return NULL;
}

/* ---- active runs ---- */

static struct active_run *active_find(struct command *c, const char *key)
{
    for (struct active_run *a = c->active; a; a = a->next)
        if (strcmp(a->key, key) == 0)
            return a;
    return NULL;
}

static void active_unlink(struct command *c, struct active_run *run)
{
    for (struct active_run **pp = &c->active; *pp; pp = &(*pp)->next)
        if (*pp == run) {
            *pp = run->next;
            return;
        }
}

static void active_free(struct active_run *a)
{
    if (!a)
        return;
    if (a->run.out_fd >= 0)
        close(a->run.out_fd);
    free(a->key);
    free(a);
}

/* Joins and frees the background reapers that have finished. Called without c->lock held. */
static void reap_finished(struct command *c)
{
    for (;;) {
        struct active_run *done = NULL;
        pthread_mutex_lock(&c->lock);
        for (struct active_run *a = c->active; a; a = a->next)
            if (a->background && a->done) {
                done = a;
                break;
            }
        if (done)
            active_unlink(c, done);
        pthread_mutex_unlock(&c->lock);
        if (!done)
            return;
        pthread_join(done->thread, NULL);
        active_free(done);
    }
}

static int is_stopping(void *ctx)
{
    struct command *c = ctx;
    pthread_mutex_lock(&c->lock);
    int s = c->stopping;
    pthread_mutex_unlock(&c->lock);
    return s;
}

/* ---- results ---- */

static void fill_result(struct dw_trigger_result *res, const char *job_id, const char *state)
{
    snprintf(res->job_id, sizeof res->job_id, "%s", job_id);
    snprintf(res->state, sizeof res->state, "%s", state);
}

/* Records, counts and logs a finished (or abandoned) run. Returns 0 when it succeeded. */
static int finish_run(struct command *c, struct active_run *a, const struct cmd_status *st,
                      struct dw_trigger_result *res, char *err, size_t errlen)
{
    char rerr[512], job[64], head[512];
    long pid = (long)a->run.pid;
    snprintf(job, sizeof job, "pid:%ld", pid);
    if (st->outcome == CMD_ABANDONED) {
        c->host->log(c->ctx, DW_LOG_WARN,
                     "command: stopping: leaving `%s` (pid %ld, key %s) running; its result will not be recorded",
                     c->desc, pid, a->key);
        count_run(c, "abandoned");
        if (res)
            fill_result(res, job, "RUNNING");
        snprintf(err, errlen, "command: the trainer is stopping; `%s` (pid %ld) was left running", c->desc, pid);
        return -1;
    }
    set_duration(c, st->seconds);
    if (st->outcome == CMD_EXITED && st->status == 0) {
        struct cmd_entry e = {.state = CMD_ENTRY_SUCCEEDED, .pid = a->run.pid, .started_at = 0};
        struct cmd_entry prev;
        if (cmd_record_get(c->record, a->key, &prev, rerr, sizeof rerr) == 1)
            e.started_at = prev.started_at;
        if (!e.started_at)
            e.started_at = now_unix() - (int64_t)st->seconds;
        e.finished_at = now_unix();
        snprintf(e.job_id, sizeof e.job_id, "%s", job);
        if (cmd_record_put(c->record, a->key, &e, rerr, sizeof rerr) < 0)
            c->host->log(c->ctx, DW_LOG_ERROR, "command: key %s succeeded but could not be recorded (it may run "
                         "again after a restart): %s", a->key, rerr);
        c->host->log(c->ctx, DW_LOG_INFO, "command: `%s` (pid %ld) succeeded in %.1fs for key %s", c->desc, pid,
                     st->seconds, a->key);
        log_tail(c, DW_LOG_INFO, a->run.pid, &a->run.tail);
        count_run(c, "succeeded");
        if (res)
            fill_result(res, job, "SUCCEEDED");
        return 0;
    }
    /* Not done: forget the running entry so the core's next attempt runs the key again. */
    if (cmd_record_remove(c->record, a->key, rerr, sizeof rerr) < 0)
        c->host->log(c->ctx, DW_LOG_ERROR, "command: %s", rerr);
    const char *state;
    if (st->outcome == CMD_TIMED_OUT) {
        state = "TIMEOUT";
        snprintf(head, sizeof head, "`%.200s` (pid %ld) timed out after %.1fs (option 'timeout'); its process group was "
                 "terminated", c->desc, pid, (double)c->timeout_ms / 1000.0);
        count_run(c, "timeout");
    } else if (st->outcome == CMD_SIGNALED) {
        state = "FAILED";
        snprintf(head, sizeof head, "`%.200s` (pid %ld) was killed by signal %d (%s) after %.1fs", c->desc, pid,
                 st->status, strsignal(st->status), st->seconds);
        count_run(c, "failed");
    } else {
        state = "FAILED";
        snprintf(head, sizeof head, "`%.200s` (pid %ld) exited with status %d after %.1fs", c->desc, pid, st->status,
                 st->seconds);
        count_run(c, "failed");
    }
    c->host->log(c->ctx, DW_LOG_ERROR, "command: %s (key %s)", head, a->key);
    log_tail(c, DW_LOG_ERROR, a->run.pid, &a->run.tail);
    if (res)
        fill_result(res, job, state);
    /* The error names the command and ends with as much of the output's tail as fits. */
    int used = snprintf(err, errlen, "command: %s; output: ", head);
    if (used >= 0 && (size_t)used < errlen) {
        cmd_tail_text(&a->run.tail, errlen - (size_t)used - 1, err + used, errlen - (size_t)used);
        if (!err[used])
            snprintf(err + used, errlen - (size_t)used, "(none)");
    }
    return -1;
}

static void *reaper_main(void *arg)
{
    struct active_run *a = arg;
    struct command *c = a->c;
    struct cmd_status st;
    char err[256];
    cmd_wait(&a->run, c->timeout_ms, c->grace_ms, is_stopping, c, &st);
    finish_run(c, a, &st, NULL, err, sizeof err);
    pthread_mutex_lock(&c->lock);
    a->done = 1;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* A record entry says the key is running (an earlier instance, or before a restart). 1: it still
 * is, or it succeeded meanwhile (res filled); 0: it ended without a known success, run again. */
static int check_previous(struct command *c, const char *key, const struct cmd_entry *e,
                          struct dw_trigger_result *res)
{
    char rerr[512];
    int status;
    /* Our own child (left running by an instance of this process that was stopped): reap it. */
    pid_t r = e->pid > 0 ? waitpid(e->pid, &status, WNOHANG) : -1;
    if (r == e->pid) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            struct cmd_entry done = *e;
            done.state = CMD_ENTRY_SUCCEEDED;
            done.finished_at = now_unix();
            if (cmd_record_put(c->record, key, &done, rerr, sizeof rerr) < 0)
                c->host->log(c->ctx, DW_LOG_ERROR, "command: %s", rerr);
            c->host->log(c->ctx, DW_LOG_INFO, "command: key %s already ran (pid %ld succeeded): not running it again",
                         key, (long)e->pid);
            count_run(c, "skipped");
            fill_result(res, e->job_id, "SUCCEEDED");
            return 1;
        }
        c->host->log(c->ctx, DW_LOG_WARN, "command: the earlier run of key %s (pid %ld) failed: running it again",
                     key, (long)e->pid);
        return 0;
    }
    uint64_t ticks = cmd_proc_start_ticks(e->pid);
    if (r == 0 || (ticks && ticks == e->start_ticks)) {
        c->host->log(c->ctx, DW_LOG_INFO, "command: key %s is still running (pid %ld): not starting it again", key,
                     (long)e->pid);
        count_run(c, "skipped");
        fill_result(res, e->job_id, "RUNNING");
        return 1;
    }
    c->host->log(c->ctx, DW_LOG_WARN, "command: the earlier run of key %s (pid %ld) ended unobserved (the agent "
                 "was not running); its result is unknown: running it again", key, (long)e->pid);
    return 0;
}

/* ---- trigger ---- */

static int open_record(struct command *c, char *err, size_t errlen);

static int command_trigger(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                           char *err, size_t errlen)
{
    struct command *c = instance;
    int ret = -1;
    char *features = NULL, *program = NULL;
    char **envp = NULL;
    char rerr[512];
    struct active_run *a = NULL;

    if (!ev || !ev->key || !*ev->key) {
        snprintf(err, errlen, "command: trigger without an idempotency key");
        return -1;
    }
    if (open_record(c, err, errlen) < 0)
        return -1;
    reap_finished(c);
    features = pu_join_features(ev);
    envp = build_env(c, ev, features);
    if (!envp) {
        snprintf(err, errlen, "command: out of memory building the environment");
        goto out;
    }

    struct cmd_entry prev;
    int found = cmd_record_get(c->record, ev->key, &prev, rerr, sizeof rerr);
    if (found < 0) {
        snprintf(err, errlen, "command: %s", rerr);
        goto out;
    }

    if (ev->dry_run) {
        char names[512] = "";
        for (size_t i = 0, used = 0; i < c->n_env && used < sizeof names; i++) {
            int n = snprintf(names + used, sizeof names - used, "%s%.*s", i ? "," : "",
                             (int)strcspn(c->env_cfg[i], "="), c->env_cfg[i]);
            used += n > 0 ? (size_t)n : 0;
        }
        c->host->log(c->ctx, DW_LOG_INFO,
                     "command: dry run: would run `%s`%s%s (timeout %llds%s) with DRIFTWATCH_MODEL=%s "
                     "DRIFTWATCH_KEY=%s DRIFTWATCH_DATA_VERSION=%s DRIFTWATCH_WINDOW_END=%s "
                     "DRIFTWATCH_DRIFTED_FEATURES=%s%s%s%s",
                     c->desc, c->cwd ? " in " : "", c->cwd ? c->cwd : "", (long long)(c->timeout_ms / 1000),
                     c->wait ? "" : ", not waiting", ev->model ? ev->model : "", ev->key,
                     ev->data_version ? ev->data_version : "", ev->window_end ? ev->window_end : "", features,
                     c->n_env ? " and env " : "", names,
                     found == 1 && prev.state == CMD_ENTRY_SUCCEEDED ? "; the key already ran, so it would be skipped"
                                                                     : "");
        count_run(c, "dry_run");
        fill_result(res, ev->key, "DRY_RUN");
        ret = 0;
        goto out;
    }

    if (found == 1 && prev.state == CMD_ENTRY_SUCCEEDED) {
        c->host->log(c->ctx, DW_LOG_INFO, "command: key %s already ran successfully (%s): not running it again",
                     ev->key, prev.job_id);
        count_run(c, "skipped");
        fill_result(res, prev.job_id[0] ? prev.job_id : ev->key, "SUCCEEDED");
        ret = 0;
        goto out;
    }

    /* Claim the key in this instance before starting, so concurrent triggers cannot both run it. */
    pthread_mutex_lock(&c->lock);
    struct active_run *running = active_find(c, ev->key);
    if (running || c->stopping) {
        if (running) {
            char job[64];
            snprintf(job, sizeof job, "pid:%ld", (long)running->pid);
            fill_result(res, running->pid ? job : ev->key, "RUNNING");
            count_run(c, "skipped");
            ret = 0;
        } else {
            snprintf(err, errlen, "command: the trainer is stopping");
        }
        pthread_mutex_unlock(&c->lock);
        if (running)
            c->host->log(c->ctx, DW_LOG_INFO, "command: key %s is running already (%s)", ev->key, res->job_id);
        goto out;
    }
    a = calloc(1, sizeof *a);
    if (!a || !(a->key = strdup(ev->key))) {
        pthread_mutex_unlock(&c->lock);
        snprintf(err, errlen, "command: out of memory");
        goto out;
    }
    a->c = c;
    a->run.out_fd = -1;
    a->background = !c->wait;
    a->next = c->active;
    c->active = a;
    pthread_mutex_unlock(&c->lock);

    if (found == 1 && check_previous(c, ev->key, &prev, res)) {
        ret = 0;
        goto release;
    }

    program = resolve_program(c, envp, err, errlen);
    if (!program) {
        count_run(c, "error");
        goto release;
    }
    struct cmd_spec spec = {.path = program, .argv = c->argv, .envp = envp, .cwd = c->cwd};
    if (cmd_spawn(&spec, &a->run, rerr, sizeof rerr) < 0) {
        snprintf(err, errlen, "command: cannot start `%s`: %s", c->desc, rerr);
        c->host->log(c->ctx, DW_LOG_ERROR, "%s", err);
        count_run(c, "error");
        goto release;
    }
    pthread_mutex_lock(&c->lock);
    a->pid = a->run.pid;
    pthread_mutex_unlock(&c->lock);

    struct cmd_entry e = {.state = CMD_ENTRY_RUNNING, .pid = a->run.pid,
                          .start_ticks = cmd_proc_start_ticks(a->run.pid), .started_at = now_unix()};
    snprintf(e.job_id, sizeof e.job_id, "pid:%ld", (long)a->run.pid);
    if (cmd_record_put(c->record, ev->key, &e, rerr, sizeof rerr) < 0)
        c->host->log(c->ctx, DW_LOG_ERROR, "command: %s (a restart would not know key %s is running)", rerr, ev->key);
    c->host->log(c->ctx, DW_LOG_INFO, "command: running `%s`%s%s for model %s, key %s (pid %ld)", c->desc,
                 c->cwd ? " in " : "", c->cwd ? c->cwd : "", ev->model ? ev->model : "?", ev->key, (long)a->run.pid);

    if (!c->wait) {
        int prc = pthread_create(&a->thread, NULL, reaper_main, a);
        if (prc != 0) {
            /* Without a reaper the command still runs; it is watched in this call instead. */
            c->host->log(c->ctx, DW_LOG_WARN, "command: cannot start a reaper thread (%s): waiting for pid %ld",
                         strerror(prc), (long)a->run.pid);
            a->background = 0;
        } else {
            fill_result(res, e.job_id, "RUNNING");
            a = NULL; /* the reaper owns it now */
            ret = 0;
            goto out;
        }
    }
    struct cmd_status st;
    cmd_wait(&a->run, c->timeout_ms, c->grace_ms, is_stopping, c, &st);
    ret = finish_run(c, a, &st, res, err, errlen);

release:
    pthread_mutex_lock(&c->lock);
    active_unlink(c, a);
    pthread_mutex_unlock(&c->lock);
    active_free(a);
    a = NULL;
out:
    free(program);
    strv_free(envp);
    free(features);
    return ret;
}

/* ---- lifecycle ---- */

static void command_free(struct command *c)
{
    if (!c)
        return;
    strv_free(c->argv);
    strv_free(c->env_cfg);
    free(c->desc);
    free(c->cwd);
    free(c->name);
    cmd_record_free(c->record);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int valid_env_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

static int command_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                        void **instance, char *err, size_t errlen)
{
    const struct command_config *cfg = config;
    *instance = NULL;
    if (cfg->argv.n == 0 || !cfg->argv.items[0] || !cfg->argv.items[0][0]) {
        snprintf(err, errlen, "command: option 'argv' needs at least the program, e.g. argv: [dvc, repro, train]");
        return -1;
    }
    if (cfg->shell && cfg->argv.n != 1) {
        snprintf(err, errlen, "command: with 'shell: true', 'argv' must be one string (the script for /bin/sh -c), "
                 "not a list of %zu items", cfg->argv.n);
        return -1;
    }
    for (size_t i = 0; i < cfg->argv.n; i++)
        if (!cfg->argv.items[i]) {
            snprintf(err, errlen, "command: option 'argv': item %zu is empty", i + 1);
            return -1;
        }
    for (size_t i = 0; i < cfg->env.n; i++) {
        const char *kv = cfg->env.items[i];
        const char *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq || !valid_env_name(kv, (size_t)(eq - kv))) {
            snprintf(err, errlen, "command: option 'env': item %zu is not NAME=value with NAME made of letters, "
                     "digits and '_'", i + 1);
            return -1;
        }
    }
    if (cfg->cwd && *cfg->cwd) {
        struct stat st;
        if (stat(cfg->cwd, &st) < 0) {
            snprintf(err, errlen, "command: option 'cwd': '%s': %s", cfg->cwd, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "command: option 'cwd': '%s' is not a directory", cfg->cwd);
            return -1;
        }
    }

    struct command *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "command: out of memory");
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->host = host;
    c->ctx = ctx;
    c->shell = cfg->shell;
    c->wait = cfg->wait;
    c->inherit_env = cfg->inherit_env;
    c->timeout_ms = cfg->timeout;
    c->grace_ms = cfg->kill_grace;
    int bad = !(c->name = strdup(instance_name));
    if (!bad && cfg->cwd && *cfg->cwd)
        bad = !(c->cwd = strdup(cfg->cwd));
    size_t argc = cfg->shell ? 3 : cfg->argv.n;
    if (!bad)
        bad = !(c->argv = calloc(argc + 1, sizeof *c->argv));
    for (size_t i = 0; !bad && i < argc; i++) {
        /* /bin/sh -c SCRIPT: $0 is "sh", as when a shell runs it. */
        const char *item = cfg->shell ? (i == 0 ? "/bin/sh" : i == 1 ? "-c" : cfg->argv.items[0]) : cfg->argv.items[i];
        bad = !(c->argv[i] = str_dup_n(item, strlen(item)));
    }
    if (!bad && cfg->env.n)
        bad = !(c->env_cfg = calloc(cfg->env.n + 1, sizeof *c->env_cfg));
    for (size_t i = 0; !bad && i < cfg->env.n; i++)
        bad = !(c->env_cfg[c->n_env++] = strdup(cfg->env.items[i]));
    if (!bad)
        bad = !(c->desc = describe_argv(c->argv));
    if (bad) {
        command_free(c);
        snprintf(err, errlen, "command: out of memory");
        return -1;
    }
    *instance = c;
    return 0;
}

/* The record lives in the state directory, which the agent sets up after init and before start:
 * it is opened (and an existing file checked) here, or at the first trigger when the host has no
 * start step. A record that does not parse stops the instance rather than risking a second run. */
static int open_record(struct command *c, char *err, size_t errlen)
{
    char rerr[512];
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (!c->record && cmd_record_open(c->host->state_dir, c->name, &c->record, rerr, sizeof rerr) < 0) {
        snprintf(err, errlen, "command: %s", rerr);
        rc = -1;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static int command_start(void *instance, char *err, size_t errlen)
{
    struct command *c = instance;
    if (open_record(c, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&c->lock);
    c->stopping = 0;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Stops watching: background commands keep running (a reload must not kill a training run), their
 * reapers return within one tick and are joined here. */
static void command_stop(void *instance)
{
    struct command *c = instance;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1; /* reapers (and a waiting trigger) see it on their next tick */
    pthread_mutex_unlock(&c->lock);
    for (;;) {
        struct active_run *bg = NULL;
        pthread_mutex_lock(&c->lock);
        for (struct active_run *a = c->active; a; a = a->next)
            if (a->background) {
                bg = a;
                break;
            }
        if (bg)
            active_unlink(c, bg);
        pthread_mutex_unlock(&c->lock);
        if (!bg)
            break;
        pthread_join(bg->thread, NULL);
        active_free(bg);
    }
}

static void command_destroy(void *instance)
{
    struct command *c = instance;
    if (!c)
        return;
    command_stop(c);
    command_free(c);
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "command",
    .kind = DW_KIND_TRAINER,
    .version = "1.0.0",
    .description = "Retrains by running a local command (e.g. dvc repro train) once per trigger key, without a shell.",
    .options = command_options,
    .config_size = sizeof(struct command_config),
    .init = command_init,
    .start = command_start,
    .stop = command_stop,
    .destroy = command_destroy,
    .trigger = command_trigger,
};
