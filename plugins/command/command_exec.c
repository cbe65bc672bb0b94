/* Child processes of the `command` plugin: fork + execve without a shell, a process group of its
 * own, combined output kept as a bounded tail, and a timeout that ends the whole group. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"

/* How often a running child is checked (exit, timeout, stop request). */
#define CMD_TICK_MS 100

/* Stages the child reports through the exec-error pipe before _exit(127). */
enum { STAGE_CHDIR = 1, STAGE_STDIO = 2, STAGE_EXEC = 3 };

static void tail_append(struct cmd_tail *t, const char *p, size_t n)
{
    t->total += n;
    if (n >= CMD_TAIL_MAX) {
        memcpy(t->buf, p + n - CMD_TAIL_MAX, CMD_TAIL_MAX);
        t->start = 0;
        t->len = CMD_TAIL_MAX;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t at = (t->start + t->len) % CMD_TAIL_MAX;
        t->buf[at] = p[i];
        if (t->len < CMD_TAIL_MAX)
            t->len++;
        else
            t->start = (t->start + 1) % CMD_TAIL_MAX;
    }
}

void cmd_tail_text(const struct cmd_tail *t, size_t max_bytes, char *out, size_t outlen)
{
    if (!outlen)
        return;
    size_t n = t->len;
    if (n > max_bytes)
        n = max_bytes;
    if (n > outlen - 1)
        n = outlen - 1;
    size_t skip = t->len - n;
    for (size_t i = 0; i < n; i++)
        out[i] = t->buf[(t->start + skip + i) % CMD_TAIL_MAX];
    out[n] = '\0';
    /* Where the tail was cut, start at the next line (when one begins soon), and never inside a
     * UTF-8 sequence. */
    size_t lead = 0;
    if (skip > 0 || t->total > t->len) {
        const char *nl = memchr(out, '\n', n < 256 ? n : 256);
        if (nl && (size_t)(nl - out) + 1 < n)
            lead = (size_t)(nl - out) + 1;
        while (lead < n && ((unsigned char)out[lead] & 0xC0) == 0x80)
            lead++;
    }
    if (lead)
        memmove(out, out + lead, n - lead + 1);
    n -= lead;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
}

uint64_t cmd_proc_start_ticks(pid_t pid)
{
    char path[64], buf[1024];
    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold spaces and ')', so parse after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    if (*p == 'Z' || *p == 'X')
        return 0;
    /* After ')' the fields are numbered from 3 (state); starttime is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    char *end = NULL;
    unsigned long long ticks = strtoull(p, &end, 10);
    return end != p ? (uint64_t)ticks : 0;
}

/* Whether a process group still has a member that is not a zombie. kill(-pgid, 0) would count
 * zombies too: orphans of the command wait for init to reap them, and some inits never do. */
static int group_alive(pid_t pgid)
{
    if (kill(-pgid, 0) < 0)
        return 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 1;
    int alive = 0;
    struct dirent *de;
    while (!alive && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *fp = fopen(path, "re");
        if (!fp)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        char state;
        long ppid, pgrp;
        if (p && sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == (long)pgid && state != 'Z' &&
            state != 'X')
            alive = 1;
    }
    closedir(d);
    return alive;
}

/* Only async-signal-safe calls from here to execve: the parent may have other threads holding
 * locks (malloc's included) at the moment of fork. */
static void child_exec(const struct cmd_spec *spec, int devnull, int out_w, int err_w, int max_fd)
{
    int report[2];
    sigset_t none;
    sigemptyset(&none);
    /* The agent blocks SIGTERM/SIGINT/SIGHUP in every thread and ignores SIGPIPE; both would be
     * inherited through exec. */
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
    }
    setpgid(0, 0);
    if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0) {
        report[0] = STAGE_STDIO;
        goto fail;
    }
    if (spec->cwd && chdir(spec->cwd) < 0) {
        report[0] = STAGE_CHDIR;
        goto fail;
    }
    /* Descriptors the agent holds (sockets, state files) must not leak into the command. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < max_fd; fd++)
            if (fd != err_w)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(spec->path, spec->argv, spec->envp);
    report[0] = STAGE_EXEC;
fail:
    report[1] = errno;
    if (write(err_w, report, sizeof report) < 0) {
        /* nothing more to say: the exit status tells the parent */
    }
    _exit(127);
}

int cmd_spawn(const struct cmd_spec *spec, struct cmd_run *run, char *err, size_t errlen)
{
    int out[2] = {-1, -1}, rep[2] = {-1, -1}, devnull = -1;
    int ret = -1;
    memset(run, 0, sizeof *run);
    run->out_fd = -1;
    long open_max = sysconf(_SC_OPEN_MAX);
    int max_fd = open_max > 0 && open_max < 65536 ? (int)open_max : 65536;

    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        goto out;
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child_exec(spec, devnull, out[1], rep[1], max_fd);

    /* Also here, so the group exists before the parent may signal it (whichever runs first). */
    setpgid(pid, pid);
    close(out[1]);
    out[1] = -1;
    close(rep[1]);
    rep[1] = -1;
    run->started_ms = pu_now_ms();

    /* EOF: execve succeeded (the pipe was close-on-exec). Data: where and why the child failed. */
    int report[2];
    ssize_t got;
    do
        got = read(rep[0], report, sizeof report);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof report) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        const char *what = report[0] == STAGE_CHDIR ? "cannot change to directory"
                           : report[0] == STAGE_STDIO ? "cannot set up stdin/stdout/stderr for"
                                                       : "cannot execute";
        const char *obj = report[0] == STAGE_CHDIR ? spec->cwd : spec->path;
        snprintf(err, errlen, "%s '%s': %s", what, obj ? obj : "", strerror(report[1]));
        goto out;
    }
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    run->pid = pid;
    run->out_fd = out[0];
    out[0] = -1;
    ret = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (rep[i] >= 0)
            close(rep[i]);
    }
    if (devnull >= 0)
        close(devnull);
    return ret;
}

/* Reads what is available now. Returns 1 at EOF (pipe closed), 0 otherwise. */
static int drain(struct cmd_run *run)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(run->out_fd, buf, sizeof buf);
        if (n > 0) {
            tail_append(&run->tail, buf, (size_t)n);
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
    }
}

static void close_output(struct cmd_run *run)
{
    if (run->out_fd >= 0) {
        close(run->out_fd);
        run->out_fd = -1;
    }
}

void cmd_wait(struct cmd_run *run, int64_t timeout_ms, int64_t grace_ms, int (*stopping)(void *ctx), void *ctx,
              struct cmd_status *st)
{
    int exited = 0, wstatus = 0, timed_out = 0, killed = 0;
    int64_t deadline = run->started_ms + timeout_ms, term_at = 0;
    memset(st, 0, sizeof *st);

    for (;;) {
        int64_t now = pu_now_ms();
        if (!exited) {
            pid_t r = waitpid(run->pid, &wstatus, WNOHANG);
            if (r == run->pid || (r < 0 && errno == ECHILD))
                exited = 1; /* ECHILD: someone else reaped it (SIGCHLD ignored); status unknown */
            if (r < 0 && errno == ECHILD)
                wstatus = 0xff00; /* reported as exit status 255 */
        }
        if (exited && !timed_out)
            break;
        if (!timed_out && now >= deadline) {
            timed_out = 1;
            term_at = now;
            kill(-run->pid, SIGTERM);
        }
        if (timed_out) {
            /* Once the leader is gone, stragglers of the group still get their grace period,
             * then SIGKILL. */
            int group_left = group_alive(run->pid);
            if (!killed && (now - term_at >= grace_ms || (exited && !group_left))) {
                killed = 1;
                kill(-run->pid, SIGKILL);
            }
            if (exited && (killed || !group_left))
                break;
        }
        if (stopping && stopping(ctx)) {
            st->outcome = CMD_ABANDONED;
            if (run->out_fd >= 0)
                drain(run);
            close_output(run);
            st->seconds = (double)(pu_now_ms() - run->started_ms) / 1000.0;
            return;
        }
        int64_t wait_ms = CMD_TICK_MS;
        if (!timed_out && deadline - now < wait_ms)
            wait_ms = deadline - now > 0 ? deadline - now : 0;
        if (run->out_fd >= 0) {
            struct pollfd pfd = {.fd = run->out_fd, .events = POLLIN};
            int pr = poll(&pfd, 1, (int)wait_ms);
            if (pr > 0 && drain(run))
                close_output(run);
        } else {
            struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)wait_ms * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    /* Output written just before the exit; a grandchild that keeps the pipe open is not waited for. */
    if (run->out_fd >= 0)
        drain(run);
    close_output(run);
    st->seconds = (double)(pu_now_ms() - run->started_ms) / 1000.0;
    if (timed_out) {
        st->outcome = CMD_TIMED_OUT;
        st->status = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        st->outcome = CMD_SIGNALED;
        st->status = WTERMSIG(wstatus);
    } else {
        st->outcome = CMD_EXITED;
        st->status = WEXITSTATUS(wstatus);
    }
}
