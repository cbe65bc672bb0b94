/* driftwatch validate: loads the config and every plugin it names, validates all options and
 * initialises the plugins, without starting anything. Exit 0 valid, 1 invalid, 2 usage. */
#include <stdio.h>

#include "agent.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "metrics.h"

static const char validate_usage[] =
    "usage: driftwatch validate -c FILE\n"
    "\n"
    "Checks the config file and every plugin it names (load, ABI, options, init) without starting\n"
    "anything. Errors are printed as FILE:LINE:COL: message. Exit 0 valid, 1 invalid, 2 usage.\n"
    "\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  -h, --help          this help\n";

int cmd_validate(int argc, char **argv)
{
    const char *path;
    int rc = parse_config_args(argc, argv, validate_usage, &path);
    if (rc)
        return rc - 1;
    struct config *cfg = NULL;
    struct agent *agent = NULL;
    char err[1024];
    rc = 1;
    if (config_load(path, &cfg, err, sizeof err) < 0 || agent_prepare(cfg, &agent, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    printf("%s: ok (%zu model(s), %zu alert sink(s), plugins from %s)\n", path, cfg->n_models, cfg->n_alerts,
           agent_plugin_dir(cfg));
    rc = 0;
out:
    agent_free(agent);
    config_free(cfg);
    metrics_reset();
    log_clear_secrets();
    return rc;
}
