/* Test harness for alert sinks (alert_harness.h): dlopen a plugin and fill its config struct
 * through the option table, so tests exercise the same offsets and types the agent's loader uses. */
#include "alert_harness.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int own(struct harness *h, void *p)
{
    void **grown = realloc(h->owned, (h->n_owned + 1) * sizeof *grown);
    if (!grown) {
        free(p);
        return -1;
    }
    h->owned = grown;
    h->owned[h->n_owned++] = p;
    return 0;
}

static const struct dw_option *find_option(const struct dw_plugin *p, const char *key)
{
    for (const struct dw_option *o = p->options; o && o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o;
    return NULL;
}

static int parse_duration_ms(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mult = 1000; /* a bare number is seconds */
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else if (strcmp(end, "d") == 0)
        mult = 86400000;
    else
        return -1;
    *out = (int64_t)(v * mult + 0.5);
    return 0;
}

int harness_set(struct harness *h, const char *key, const char *value, char *err, size_t errlen)
{
    const struct dw_option *o = find_option(h->plugin, key);
    if (!o) {
        snprintf(err, errlen, "%s: unknown option \"%s\"", h->plugin->name, key);
        return -1;
    }
    char *field = (char *)h->config + o->offset;
    char *end = NULL;
    switch (o->type) {
    case DW_OPT_STRING:
    case DW_OPT_SECRET: {
        char *copy = strdup(value);
        if (!copy || own(h, copy) < 0)
            return -1;
        memcpy(field, &copy, sizeof copy);
        return 0;
    }
    case DW_OPT_INT:
    case DW_OPT_SIZE: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        int64_t mult = 1;
        if (o->type == DW_OPT_SIZE && end && *end) {
            mult = *end == 'K' ? 1024 : *end == 'M' ? 1024 * 1024 : *end == 'G' ? 1024LL * 1024 * 1024 : 0;
            if (mult)
                end++;
        }
        if (errno || end == value || *end || !mult) {
            snprintf(err, errlen, "%s: option %s: \"%s\" is not an integer", h->plugin->name, key, value);
            return -1;
        }
        int64_t v64 = (int64_t)v * mult;
        memcpy(field, &v64, sizeof v64);
        return 0;
    }
    case DW_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end) {
            snprintf(err, errlen, "%s: option %s: \"%s\" is not a number", h->plugin->name, key, value);
            return -1;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case DW_OPT_BOOL: {
        int v;
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
            v = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
            v = 0;
        else {
            snprintf(err, errlen, "%s: option %s: \"%s\" is not a boolean", h->plugin->name, key, value);
            return -1;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case DW_OPT_DURATION: {
        int64_t ms;
        if (parse_duration_ms(value, &ms) < 0) {
            snprintf(err, errlen, "%s: option %s: \"%s\" is not a duration", h->plugin->name, key, value);
            return -1;
        }
        memcpy(field, &ms, sizeof ms);
        return 0;
    }
    case DW_OPT_LIST: {
        struct dw_list list;
        memcpy(&list, field, sizeof list);
        const char **items = malloc((list.n + 1) * sizeof *items);
        char *copy = strdup(value);
        if (!items || !copy) {
            free(items);
            free(copy);
            return -1;
        }
        for (size_t i = 0; i < list.n; i++)
            items[i] = list.items[i];
        items[list.n] = copy;
        if (own(h, copy) < 0 || own(h, (void *)items) < 0)
            return -1;
        list.items = items;
        list.n++;
        memcpy(field, &list, sizeof list);
        return 0;
    }
    }
    snprintf(err, errlen, "%s: option %s has an unknown type", h->plugin->name, key);
    return -1;
}

int harness_set_kv(struct harness *h, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        snprintf(err, errlen, "\"%s\" is not key=value", kv);
        return -1;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    return harness_set(h, key, eq + 1, err, errlen);
}

static int is_unset(const struct harness *h, const struct dw_option *o)
{
    const char *field = (const char *)h->config + o->offset;
    switch (o->type) {
    case DW_OPT_STRING:
    case DW_OPT_SECRET: {
        const char *s;
        memcpy(&s, field, sizeof s);
        return s == NULL;
    }
    case DW_OPT_LIST: {
        struct dw_list l;
        memcpy(&l, field, sizeof l);
        return l.n == 0;
    }
    default:
        return 0;
    }
}

int harness_check_required(const struct harness *h, char *err, size_t errlen)
{
    for (const struct dw_option *o = h->plugin->options; o && o->name; o++) {
        if (o->required && is_unset(h, o)) {
            snprintf(err, errlen, "%s: option %s is required", h->plugin->name, o->name);
            return -1;
        }
    }
    return 0;
}

int harness_open(struct harness *h, const char *path, enum dw_kind kind, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h->dl) {
        snprintf(err, errlen, "dlopen %s: %s", path, dlerror());
        return -1;
    }
    h->plugin = dlsym(h->dl, DW_PLUGIN_SYMBOL);
    if (!h->plugin) {
        snprintf(err, errlen, "%s: no %s symbol", path, DW_PLUGIN_SYMBOL);
        goto fail;
    }
    if (h->plugin->abi != DW_PLUGIN_ABI || h->plugin->size < sizeof(struct dw_plugin) ||
        h->plugin->kind != kind) {
        snprintf(err, errlen, "%s: ABI %u size %u kind %d, expected ABI %d size %zu kind %d", path,
                 h->plugin->abi, h->plugin->size, (int)h->plugin->kind, DW_PLUGIN_ABI, sizeof(struct dw_plugin),
                 (int)kind);
        goto fail;
    }
    h->config = calloc(1, h->plugin->config_size ? h->plugin->config_size : 1);
    if (!h->config) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (const struct dw_option *o = h->plugin->options; o && o->name; o++) {
        if (o->def && harness_set(h, o->name, o->def, err, errlen) < 0)
            goto fail;
    }
    return 0;
fail:
    harness_close(h);
    return -1;
}

void harness_close(struct harness *h)
{
    for (size_t i = 0; i < h->n_owned; i++)
        free(h->owned[i]);
    free(h->owned);
    free(h->config);
    if (h->dl)
        dlclose(h->dl);
    memset(h, 0, sizeof *h);
}

const char *harness_plugin_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", DW_TEST_PLUGIN_DIR, name);
    return path;
}
