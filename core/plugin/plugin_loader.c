/* dlopen-based plugin loading with ABI checks (see plugin_loader.h). Unlike loaders that trust any
 * .so, we check the ABI number and the struct size before calling into the plugin at all, then work
 * on a zero-padded copy of its struct and option table: an operation or option field a plugin's
 * (older ABI 2) header lacks reads as NULL, never as its neighbour's bytes. */
#include "plugin/plugin_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_config.h"

static const char *const kind_names[] = {"probe", "sampler", "versioning", "trainer", "alert"};

const char *loader_kind_name(enum dw_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}

int loader_serves_kind(const struct dw_plugin *p, enum dw_kind kind)
{
    if (p->kind == kind)
        return 1;
    switch (kind) {
    case DW_KIND_ALERT:
        return p->alert_send != NULL;
    case DW_KIND_TRAINER:
        return p->trigger != NULL;
    case DW_KIND_VERSIONING:
        return p->data_version != NULL;
    case DW_KIND_SAMPLER:
        return p->sample != NULL;
    default:
        return 0;
    }
}

int loader_has_action(const struct dw_plugin *p)
{
    return p->action != NULL;
}

static int valid_plugin_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* Each kind needs its operation; a plugin without it would crash the agent later. */
static const char *missing_callback(const struct dw_plugin *p)
{
    if (!p->init || !p->destroy)
        return "init/destroy";
    if (p->kind == DW_KIND_ALERT && !p->alert_send)
        return "alert_send";
    if (p->kind == DW_KIND_TRAINER && !p->trigger)
        return "trigger";
    if (p->kind == DW_KIND_VERSIONING && !p->data_version)
        return "data_version";
    if (p->kind == DW_KIND_SAMPLER && !p->sample)
        return "sample";
    return NULL;
}

/* The plugin's struct and its option table, each entry option_size bytes apart, into zeroed
 * full-size copies. Called once the sizes are known to cover ABI 2's fields. */
static int copy_definition(struct loaded_plugin *lp, const struct dw_plugin *exported)
{
    memset(&lp->ops, 0, sizeof lp->ops);
    memcpy(&lp->ops, exported, exported->size < sizeof lp->ops ? exported->size : sizeof lp->ops);
    lp->def = &lp->ops;
    size_t n = 0;
    const char *entry = (const char *)exported->options;
    while (entry && ((const struct dw_option *)(const void *)(entry + n * exported->option_size))->name)
        n++;
    lp->options = calloc(n + 1, sizeof *lp->options);
    if (!lp->options)
        return -1;
    size_t entry_size = exported->option_size < sizeof *lp->options ? exported->option_size : sizeof *lp->options;
    for (size_t i = 0; i < n; i++)
        memcpy(&lp->options[i], entry + i * exported->option_size, entry_size);
    lp->ops.options = lp->options;
    lp->ops.option_size = sizeof(struct dw_option);
    return 0;
}

int loader_open(const char *dir, const char *name, struct loaded_plugin **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!valid_plugin_name(name)) {
        snprintf(err, errlen, "plugin '%s': invalid name (use lowercase letters, digits, '-' and '_')", name);
        return -1;
    }
    /* Anyone who can write the directory can swap in code the agent would run. */
    struct stat dst;
    if (stat(dir, &dst) == 0 && (dst.st_mode & S_IWOTH) && !(dst.st_mode & S_ISVTX)) {
        snprintf(err, errlen, "plugin '%s': plugin directory %s is writable by others (mode %03o): refusing to load "
                 "code from it", name, dir, (unsigned)(dst.st_mode & 0777));
        return -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "plugin '%s': %s: %s (plugin directory: %s)", name, path, strerror(errno), dir);
        return -1;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "plugin '%s': cannot load %s: %s", name, path, dlerror());
        return -1;
    }
    struct loaded_plugin *lp = calloc(1, sizeof *lp);
    if (!lp || !(lp->path = strdup(path))) {
        free(lp);
        dlclose(h);
        snprintf(err, errlen, "plugin '%s': out of memory", name);
        return -1;
    }
    lp->handle = h;
    const struct dw_plugin *exported = dlsym(h, DW_PLUGIN_SYMBOL);
    const struct dw_plugin *def = &lp->ops;
    const char *problem = NULL;
    char why[256];
    if (!exported) {
        problem = "does not export the symbol '" DW_PLUGIN_SYMBOL "' (is it a driftwatch plugin?)";
    } else if (exported->abi != DW_PLUGIN_ABI) {
        /* abi is the first field in every ABI: safe to read before anything else is trusted. */
        snprintf(why, sizeof why,
                 "was built for plugin ABI %u, this driftwatch speaks ABI %d: rebuild it against this "
                 "driftwatch's driftwatch/plugin.h (docs/plugins.md)",
                 exported->abi, DW_PLUGIN_ABI);
        problem = why;
    } else if (exported->size < sizeof(struct dw_plugin) || exported->option_size < sizeof(struct dw_option)) {
        snprintf(why, sizeof why,
                 "has a plugin struct of %u bytes or option entries of %u bytes, shorter than ABI %d's (%zu, %zu)",
                 exported->size, exported->option_size, DW_PLUGIN_ABI, sizeof(struct dw_plugin),
                 sizeof(struct dw_option));
        problem = why;
    } else if (copy_definition(lp, exported) < 0) {
        problem = "out of memory copying its definition";
    } else if (!def->name || strcmp(def->name, name) != 0) {
        snprintf(why, sizeof why, "calls itself '%s', not '%s'", def->name ? def->name : "(null)", name);
        problem = why;
    } else if ((unsigned)def->kind > DW_KIND_ALERT) {
        problem = "declares an unknown kind";
    } else if (missing_callback(def)) {
        snprintf(why, sizeof why, "lacks the %s callback its kind needs", missing_callback(def));
        problem = why;
    }
    if (problem) {
        snprintf(err, errlen, "plugin '%s': %s %s", name, path, problem);
        loader_close(lp);
        return -1;
    }
    *out = lp;
    return 0;
}

void loader_close(struct loaded_plugin *lp)
{
    if (!lp)
        return;
    /* Under sanitizers, keeping the object mapped gives readable leak reports. */
    if (!getenv("DW_KEEP_PLUGINS_LOADED"))
        dlclose(lp->handle);
    free(lp->options);
    free(lp->path);
    free(lp);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void loader_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int loader_list(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "plugin directory %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 3 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        char **grown = realloc(*names, (*n + 1) * sizeof *grown);
        char *name = strndup(e->d_name, len - 3);
        if (!grown || !name) {
            free(name);
            if (grown)
                *names = grown;
            closedir(d);
            loader_free_names(*names, *n);
            *names = NULL;
            *n = 0;
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        *names = grown;
        (*names)[(*n)++] = name;
    }
    closedir(d);
    qsort(*names, *n, sizeof **names, compare_names);
    return 0;
}
