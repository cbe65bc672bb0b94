/* driftwatch validate: loads the config, every plugin it names and every model's baseline,
 * validates all options and initialises the plugins, without starting anything. Exit 0 valid, 1
 * invalid, 2 usage. */
#include <stdio.h>

#include "runtime/agent.h"
#include "cli/cliargs.h"
#include "cli/commands.h"
#include "config/config.h"
#include "config/config_model.h"
#include "data/profile.h"
#include "util/log.h"
#include "util/metrics.h"

static const char validate_usage[] =
    "usage: driftwatch validate -c FILE\n"
    "\n"
    "Checks the config file, every plugin it names (load, ABI, options, init) and every model's\n"
    "baseline profile without starting anything. Errors are printed as FILE:LINE:COL: message.\n"
    "Exit 0 valid, 1 invalid, 2 usage.\n"
    "\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  -h, --help          this help\n";

/* `run` refuses to start on a baseline it cannot load, or on drift.features naming a feature the
 * baseline does not have: so does validate, at the key's position. Prints each problem; returns 0
 * or -1. */
static int check_baselines(const struct config *cfg)
{
    int rc = 0;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        struct profile *p = NULL;
        char why[768];
        if (profile_load(m->baseline, &p, why, sizeof why) < 0) {
            fprintf(stderr, "%s:%zu:%zu: model '%s': baseline: %s\n", cfg->path,
                    m->baseline_node ? m->baseline_node->line : 1, m->baseline_node ? m->baseline_node->col : 1,
                    m->name, why);
            rc = -1;
        } else if (config_check_baseline(m, p, why, sizeof why) < 0) {
            fprintf(stderr, "%s\n", why);
            rc = -1;
        }
        profile_free(p);
    }
    return rc;
}

int cmd_validate(int argc, char **argv)
{
    const char *path;
    int k = cliargs_config_only(argc, argv, validate_usage, &path);
    if (k != CLIARGS_END)
        return k == CLIARGS_HELP ? 0 : 2;
    struct config *cfg = NULL;
    struct agent *agent = NULL;
    char err[1024];
    int rc = 1;
    if (config_load(path, &cfg, err, sizeof err) < 0 || agent_prepare(cfg, &agent, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    if (check_baselines(cfg) < 0)
        goto out;
    printf("%s: ok (%zu model(s), %zu alert sink(s), plugins from %s)\n", path, cfg->n_models, cfg->n_alerts,
           cfg->agent.plugin_dir);
    rc = 0;
out:
    agent_free(agent);
    config_free(cfg);
    metrics_reset();
    log_clear_secrets();
    return rc;
}
