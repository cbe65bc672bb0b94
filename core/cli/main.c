/* driftwatch CLI entry point: dispatches to the subcommands of docs/configuration.md. */
#include <stdio.h>
#include <string.h>

#include "build_config.h"
#include "cli/commands.h"

static const char usage[] =
    "usage: driftwatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  run      -c FILE                       run the agent/sidecar in the foreground\n"
    "  check    -c FILE [--model NAME] [--data D]   one-shot drift check (cron) of the agent's\n"
    "                                         window in state_dir, or of D (exit 0 ok, 1 features\n"
    "  check    --baseline B.json --data D      drifted, 2 dataset drift, 3 could not run)\n"
    "  baseline --data train.csv --out B.json build a baseline profile from training data\n"
    "  report   --baseline B.json --data D --out report.html   self-contained HTML report\n"
    "  report   -c FILE [--model NAME] --out report.html     the same, with check -c's data and flags\n"
    "  plugins  [--plugin-dir DIR]            list plugins with kind, version, ABI and options\n"
    "  validate -c FILE                       check config and plugins without starting\n"
    "  vertex   ACTION -c FILE ...            Vertex AI deploy/rollback actions\n"
    "  version                                print the version\n"
    "\n"
    "Run 'driftwatch <command> --help' for a command's options.\n";

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},           {"check", cmd_check},       {"baseline", cmd_baseline},
    {"report", cmd_report},     {"plugins", cmd_plugins},   {"validate", cmd_validate},
    {"vertex", cmd_vertex},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
        printf("driftwatch %s\n", DW_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "driftwatch: unknown command '%s' (run 'driftwatch --help')\n", name);
    return 2;
}
