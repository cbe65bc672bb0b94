/* driftwatch plugins: lists the plugins in a directory with kind, version, ABI, description and
 * their documented options (the same tables the loader validates config against). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "plugin_dir.h"
#include "plugin_loader.h"

static const char plugins_usage[] =
    "usage: driftwatch plugins [--plugin-dir DIR]\n"
    "\n"
    "Lists every plugin (*.so) in the plugin directory with its kind, version, ABI and options.\n"
    "A plugin that fails to load is listed with the reason; the exit code is then 1.\n"
    "\n"
    "  --plugin-dir DIR   where to look (default: the build's or the install's plugin directory)\n"
    "  -h, --help         this help\n";

static void print_plugin(const struct dw_plugin *p)
{
    printf("%s  kind=%s version=%s abi=%u\n  %s\n", p->name, loader_kind_name(p->kind), p->version ? p->version : "?",
           p->abi, p->description ? p->description : "");
    for (const struct dw_option *o = p->options; o && o->name; o++) {
        printf("    %-22s %-8s %s", o->name, options_type_name(o->type), o->required ? "required" : "optional");
        if (o->def)
            printf(", default %s", o->def);
        printf("\n        %s\n", o->description ? o->description : "");
    }
}

int cmd_plugins(int argc, char **argv)
{
    static const struct option opts[] = {
        {"plugin-dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *dir = plugin_dir_default();
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'd') {
            dir = optarg;
        } else if (c == 'h') {
            fputs(plugins_usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "driftwatch plugins: %s option '%s' (see --help)\n",
                    c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
            return 2;
        }
    }
    char **names;
    size_t n;
    char err[1024];
    if (loader_list(dir, &names, &n, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch plugins: %s\n", err);
        return 1;
    }
    int rc = 0;
    printf("plugin directory: %s (driftwatch plugin ABI %d)\n\n", dir, DW_PLUGIN_ABI);
    for (size_t i = 0; i < n; i++) {
        struct loaded_plugin *lp;
        if (loader_open(dir, names[i], &lp, err, sizeof err) < 0) {
            printf("%s  BROKEN: %s\n\n", names[i], err);
            rc = 1;
            continue;
        }
        print_plugin(lp->def);
        printf("\n");
        loader_close(lp);
    }
    loader_free_names(names, n);
    return rc;
}
