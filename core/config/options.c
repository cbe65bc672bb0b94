/* Option tables → plugin config structs (see options.h). One code path parses defaults and
 * config text, so a default can never be of a type the config could not express. */
#include "config/options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/values.h"

static const char *const type_names[] = {"string", "integer", "number", "boolean",
                                         "duration", "size", "list", "secret"};

const char *options_type_name(enum dw_opt_type type)
{
    return (unsigned)type < sizeof type_names / sizeof type_names[0] ? type_names[type] : "?";
}

static int own(struct plugin_config *cfg, void *p)
{
    if (!p)
        return -1;
    void **owned = realloc(cfg->owned, (cfg->n_owned + 1) * sizeof *owned);
    if (!owned) {
        free(p);
        return -1;
    }
    cfg->owned = owned;
    owned[cfg->n_owned++] = p;
    return 0;
}

void plugin_config_free(struct plugin_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_owned; i++)
        free(cfg->owned[i]);
    free(cfg->owned);
    free(cfg->data);
    memset(cfg, 0, sizeof *cfg);
}

struct where {
    const char *file;
    const char *plugin;
    size_t line, col;
};

static int fail(const struct where *w, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const struct where *w, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%zu:%zu: plugin '%s': %s", w->file, w->line, w->col, w->plugin, msg);
    return -1;
}

/* Parses a bound of the option's type (min/max text of the table) into a number; -1 when the
 * table's text is not one (a plugin bug). */
static int parse_bound(const struct dw_option *opt, const char *text, double *out)
{
    int64_t i64;
    switch (opt->type) {
    case DW_OPT_INT:
        if (value_parse_int(text, &i64) < 0)
            return -1;
        break;
    case DW_OPT_DURATION:
        if (value_parse_duration_ms(text, &i64) < 0)
            return -1;
        break;
    case DW_OPT_SIZE:
        if (value_parse_size(text, &i64) < 0)
            return -1;
        break;
    case DW_OPT_DOUBLE:
        return value_parse_double(text, out);
    default:
        return -1;
    }
    *out = (double)i64;
    return 0;
}

/* The option table's min and max for a parsed number (as a double: the bounds of the tables are far
 * inside 2^53); text is the value as the config wrote it. */
static int check_range(const struct dw_option *opt, double v, const char *text, const struct where *w, char *err,
                       size_t errlen)
{
    double bound;
    if (opt->min && parse_bound(opt, opt->min, &bound) < 0)
        return fail(w, err, errlen, "option '%s' has a min '%s' that is not a %s (plugin bug)", opt->name, opt->min,
                    options_type_name(opt->type));
    if (opt->min && v < bound)
        return fail(w, err, errlen, "option '%s' must be at least %s (got '%s')", opt->name, opt->min, text);
    if (opt->max && parse_bound(opt, opt->max, &bound) < 0)
        return fail(w, err, errlen, "option '%s' has a max '%s' that is not a %s (plugin bug)", opt->name, opt->max,
                    options_type_name(opt->type));
    if (opt->max && v > bound)
        return fail(w, err, errlen, "option '%s' must be at most %s (got '%s')", opt->name, opt->max, text);
    return 0;
}

/* Whether text is one of the option table's choices (any text when it has none). */
static int check_choice(const struct dw_option *opt, const char *text, const struct where *w, char *err,
                        size_t errlen)
{
    if (!opt->choices)
        return 0;
    char list[384] = "";
    size_t at = 0;
    for (const char *const *c = opt->choices; *c; c++) {
        if (strcmp(*c, text) == 0)
            return 0;
        int n = snprintf(list + at, sizeof list - at, "%s%s", c == opt->choices ? "" : ", ", *c);
        if (n > 0 && (size_t)n < sizeof list - at)
            at += (size_t)n;
    }
    return fail(w, err, errlen, "option '%s' must be one of %s (got '%s')", opt->name, list, text);
}

/* Stores one scalar's text as the option's type. */
static int store_scalar(const struct dw_option *opt, const char *text, struct plugin_config *cfg,
                        const struct where *w, char *err, size_t errlen)
{
    char *slot = (char *)cfg->data + opt->offset;
    int64_t i64;
    double d;
    int b;
    switch (opt->type) {
    case DW_OPT_STRING:
    case DW_OPT_SECRET: {
        if (opt->type == DW_OPT_STRING && check_choice(opt, text, w, err, errlen) < 0)
            return -1;
        char *copy = strdup(text);
        if (own(cfg, copy) < 0)
            return fail(w, err, errlen, "out of memory");
        if (opt->type == DW_OPT_SECRET)
            log_add_secret(copy);
        memcpy(slot, &copy, sizeof copy);
        return 0;
    }
    case DW_OPT_INT:
        if (value_parse_int(text, &i64) < 0)
            return fail(w, err, errlen, "option '%s' must be an integer, not '%s'", opt->name, text);
        if (check_range(opt, (double)i64, text, w, err, errlen) < 0)
            return -1;
        memcpy(slot, &i64, sizeof i64);
        return 0;
    case DW_OPT_DOUBLE:
        if (value_parse_double(text, &d) < 0)
            return fail(w, err, errlen, "option '%s' must be a number, not '%s'", opt->name, text);
        if (check_range(opt, d, text, w, err, errlen) < 0)
            return -1;
        memcpy(slot, &d, sizeof d);
        return 0;
    case DW_OPT_BOOL:
        if (value_parse_bool(text, &b) < 0)
            return fail(w, err, errlen, "option '%s' must be true or false, not '%s'", opt->name, text);
        memcpy(slot, &b, sizeof b);
        return 0;
    case DW_OPT_DURATION:
        if (value_parse_duration_ms(text, &i64) < 0)
            return fail(w, err, errlen, "option '%s' must be a duration like 500ms, 30s, 5m, 24h, not '%s'",
                        opt->name, text);
        if (check_range(opt, (double)i64, text, w, err, errlen) < 0)
            return -1;
        memcpy(slot, &i64, sizeof i64);
        return 0;
    case DW_OPT_SIZE:
        if (value_parse_size(text, &i64) < 0)
            return fail(w, err, errlen, "option '%s' must be a size like 512K or 2M, not '%s'", opt->name, text);
        if (check_range(opt, (double)i64, text, w, err, errlen) < 0)
            return -1;
        memcpy(slot, &i64, sizeof i64);
        return 0;
    case DW_OPT_LIST:
        break;
    }
    return fail(w, err, errlen, "option '%s' has an unsupported type", opt->name);
}

/* Expands ${ENV} in a scalar; the result is owned by cfg. */
static const char *expanded(const struct ynode *n, struct plugin_config *cfg, const struct where *w, char *err,
                            size_t errlen)
{
    char *out, missing[256];
    if (value_expand_env(n->value, &out, missing, sizeof missing) < 0) {
        if (strcmp(missing, "syntax") == 0)
            fail(w, err, errlen, "bad ${...} reference in '%s'", n->value);
        else
            fail(w, err, errlen, "environment variable %s is not set", missing);
        return NULL;
    }
    if (own(cfg, out) < 0) {
        fail(w, err, errlen, "out of memory");
        return NULL;
    }
    return out;
}

static int store_list(const struct dw_option *opt, const struct ynode *n, struct plugin_config *cfg,
                      struct where *w, char *err, size_t errlen)
{
    size_t count = n->type == YNODE_SCALAR ? 1 : n->n;
    const char **items = calloc(count + 1, sizeof *items);
    if (own(cfg, items) < 0)
        return fail(w, err, errlen, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const struct ynode *it = n->type == YNODE_SCALAR ? n : n->items[i];
        w->line = it->line;
        w->col = it->col;
        if (it->type != YNODE_SCALAR)
            return fail(w, err, errlen, "option '%s' must be a list of scalars, found %s", opt->name,
                        ynode_type_name(it));
        items[i] = expanded(it, cfg, w, err, errlen);
        if (!items[i] || check_choice(opt, items[i], w, err, errlen) < 0)
            return -1;
    }
    struct dw_list list = {.n = count, .items = items};
    memcpy((char *)cfg->data + opt->offset, &list, sizeof list);
    return 0;
}

static int is_reserved(const char *key, const char *const *reserved)
{
    for (size_t i = 0; reserved && reserved[i]; i++)
        if (strcmp(key, reserved[i]) == 0)
            return 1;
    return 0;
}

static const struct dw_option *find_option(const struct dw_plugin *plugin, const char *key)
{
    for (const struct dw_option *o = plugin->options; o && o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o;
    return NULL;
}

/* A secret may also come from "<name>_file": the key names a file holding it. */
static const struct dw_option *find_secret_file_option(const struct dw_plugin *plugin, const char *key)
{
    size_t n = strlen(key);
    if (n <= 5 || strcmp(key + n - 5, "_file") != 0)
        return NULL;
    for (const struct dw_option *o = plugin->options; o && o->name; o++)
        if (o->type == DW_OPT_SECRET && strlen(o->name) == n - 5 && strncmp(o->name, key, n - 5) == 0)
            return o;
    return NULL;
}

static int apply_value(const struct dw_plugin *plugin, const struct ynode *key, const struct ynode *val,
                       struct plugin_config *cfg, struct where *w, char *err, size_t errlen)
{
    w->line = key->line;
    w->col = key->col;
    const struct dw_option *opt = find_option(plugin, key->value);
    const struct dw_option *secret_file = opt ? NULL : find_secret_file_option(plugin, key->value);
    if (!opt && !secret_file)
        return fail(w, err, errlen, "unknown option '%s' (run 'driftwatch plugins' to list the options of %s)",
                    key->value, plugin->name);
    if (opt && opt->type == DW_OPT_LIST)
        return store_list(opt, val, cfg, w, err, errlen);
    w->line = val->line;
    w->col = val->col;
    if (val->type != YNODE_SCALAR)
        return fail(w, err, errlen, "option '%s' must be a scalar, found %s", key->value, ynode_type_name(val));
    const char *text = expanded(val, cfg, w, err, errlen);
    if (!text)
        return -1;
    if (opt)
        return store_scalar(opt, text, cfg, w, err, errlen);
    char *secret, why[512];
    if (value_read_secret_file(text, &secret, why, sizeof why) < 0)
        return fail(w, err, errlen, "%s", why);
    if (own(cfg, secret) < 0)
        return fail(w, err, errlen, "out of memory");
    log_add_secret(secret);
    memcpy((char *)cfg->data + secret_file->offset, &secret, sizeof secret);
    return 0;
}

static int was_set(const struct dw_option *opt, const struct ynode *map, const char *const *reserved)
{
    char file_key[256];
    snprintf(file_key, sizeof file_key, "%s_file", opt->name);
    return (ynode_get(map, opt->name) && !is_reserved(opt->name, reserved)) ||
           (opt->type == DW_OPT_SECRET && ynode_get(map, file_key));
}

static const char *implied_value(const char *const *implied, const char *name)
{
    for (size_t i = 0; implied && implied[i] && implied[i + 1]; i += 2)
        if (strcmp(implied[i], name) == 0)
            return implied[i + 1];
    return NULL;
}

int options_apply(const struct dw_plugin *plugin, const struct ynode *map, const char *const *reserved,
                  const char *file, struct plugin_config *out, char *err, size_t errlen)
{
    return options_apply_implied(plugin, map, reserved, NULL, file, out, err, errlen);
}

int options_apply_implied(const struct dw_plugin *plugin, const struct ynode *map, const char *const *reserved,
                          const char *const *implied, const char *file, struct plugin_config *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct where w = {.file = file, .plugin = plugin->name, .line = map ? map->line : 0, .col = map ? map->col : 0};
    out->data = calloc(1, plugin->config_size ? plugin->config_size : 1);
    if (!out->data)
        return fail(&w, err, errlen, "out of memory");
    if (map && map->type != YNODE_MAPPING) {
        fail(&w, err, errlen, "options must be a mapping, found %s", ynode_type_name(map));
        goto error;
    }
    /* Defaults first, then config values override them. */
    for (const struct dw_option *o = plugin->options; o && o->name; o++) {
        if (o->offset >= plugin->config_size && plugin->config_size) {
            fail(&w, err, errlen, "option '%s' lies outside the plugin's config struct (plugin bug)", o->name);
            goto error;
        }
        if (was_set(o, map, reserved))
            continue;
        const char *given = o->type != DW_OPT_LIST ? implied_value(implied, o->name) : NULL;
        if (given) {
            if (store_scalar(o, given, out, &w, err, errlen) < 0)
                goto error;
            continue;
        }
        if (o->required) {
            fail(&w, err, errlen, "missing required option '%s' (%s)", o->name, o->description ? o->description : "");
            goto error;
        }
        if (o->def && o->type != DW_OPT_LIST && store_scalar(o, o->def, out, &w, err, errlen) < 0)
            goto error;
    }
    for (size_t i = 0; i < ynode_map_size(map); i++) {
        const struct ynode *key = ynode_key(map, i);
        if (is_reserved(key->value, reserved))
            continue;
        if (apply_value(plugin, key, ynode_value(map, i), out, &w, err, errlen) < 0)
            goto error;
    }
    return 0;
error:
    plugin_config_free(out);
    return -1;
}
