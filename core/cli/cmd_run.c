/* driftwatch run: the agent in the foreground. SIGTERM/SIGINT stop it cleanly (exit 0); SIGHUP
 * reloads the config, keeping the running one when the new one is invalid. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/agent.h"
#include "cli/cliargs.h"
#include "cli/commands.h"
#include "config/config.h"
#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"

static const char run_usage[] =
    "usage: driftwatch run -c FILE\n"
    "\n"
    "Runs the agent in the foreground: HTTP server (/metrics, /healthz, /readyz, /v1/...), probes,\n"
    "scheduled checks, alerts and retrain triggers. Logs logfmt lines to stderr.\n"
    "Signals: SIGTERM/SIGINT stop cleanly (exit 0), SIGHUP reloads the config.\n"
    "\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  -h, --help          this help\n";

static void apply_log_level(const struct config *cfg)
{
    enum dw_log_level level = DW_LOG_INFO;
    log_parse_level(cfg->agent.log_level, &level);
    log_set_level(level);
}

static void report_reload(int ok)
{
    metrics_gauge_set("driftwatch_config_last_reload_successful", "1 when the last config (re)load succeeded.",
                      NULL, ok);
}

/* Each model holds three descriptors (its journal, its lock file, the state directory) on top of
 * the HTTP connections (agent.max_connections, 256 by default): under the usual soft limit of
 * 1024 open files (systemd's default) about 250 models would leave no room for connections or
 * plugin sockets. The soft limit is raised to the hard one, as nginx's worker_rlimit_nofile and
 * Go's runtime do; the server polls with epoll, so descriptors past 1024 are fine. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_info("run", "open files limit raised from %llu to %llu", (unsigned long long)was,
                  (unsigned long long)rl.rlim_max);
}

static int start_agent(const struct config *cfg, struct agent **agent, char *err, size_t errlen)
{
    if (agent_prepare(cfg, agent, err, errlen) == 0 && agent_start(*agent, err, errlen) == 0)
        return 0;
    agent_free(*agent);
    *agent = NULL;
    return -1;
}

/* SIGHUP: an invalid config file is rejected before the running agent is touched; when the new
 * config parses but fails to start (a plugin's init, a baseline, a port), the old one comes back. */
static void reload(const char *path, struct config **cfg, struct agent **agent)
{
    char err[1024];
    struct config *next = NULL;
    if (config_load(path, &next, err, sizeof err) < 0) {
        log_error("run", "reload rejected, keeping the running config: %s", err);
        report_reload(0);
        return;
    }
    agent_free(*agent);
    *agent = NULL;
    if (start_agent(next, agent, err, sizeof err) == 0) {
        config_free(*cfg);
        *cfg = next;
        apply_log_level(next);
        log_info("run", "config reloaded from %s", path);
        report_reload(1);
        return;
    }
    log_error("run", "reloaded config failed to start, restoring the previous one: %s", err);
    config_free(next);
    report_reload(0);
    if (start_agent(*cfg, agent, err, sizeof err) < 0)
        log_error("run", "the previous config failed to start again: %s", err);
}

int cmd_run(int argc, char **argv)
{
    const char *path;
    int k = cliargs_config_only(argc, argv, run_usage, &path);
    if (k != CLIARGS_END)
        return k == CLIARGS_HELP ? 0 : 2;

    /* Block the signals before any thread exists, so only sigwait() below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Large transient buffers (request bodies of big batches, a check's tables) are mmapped and
     * go back to the system when freed. glibc otherwise raises this threshold to the largest block
     * freed so far and keeps such buffers in each HTTP thread's heap: about 3 MB more resident for
     * a sidecar whose memory budget is ~32 MB (bench/sidecar/rss.sh). */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    raise_fd_limit();

    if (http_client_global_init() < 0) {
        fprintf(stderr, "driftwatch run: cannot initialise libcurl\n");
        return 1;
    }
    struct config *cfg = NULL;
    struct agent *agent = NULL;
    char err[1024];
    int loaded = config_load(path, &cfg, err, sizeof err) == 0;
    if (loaded)
        apply_log_level(cfg);
    if (!loaded || start_agent(cfg, &agent, err, sizeof err) < 0) {
        log_error("run", "cannot start: %s", err);
        config_free(cfg);
        log_clear_secrets();
        http_client_global_cleanup();
        return 1;
    }
    report_reload(1);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("run", "SIGHUP: reloading %s", path);
            reload(path, &cfg, &agent);
            continue;
        }
        log_info("run", "%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    agent_free(agent);
    config_free(cfg);
    metrics_reset();
    log_clear_secrets();
    http_client_global_cleanup();
    log_info("run", "stopped");
    return 0;
}
