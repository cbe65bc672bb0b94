/* Fuzz target: the agent's config file. The input is parsed by yaml_tree_load_string (core/
 * yaml_tree.h), every mapping of the tree goes through options_apply (core/config/options.h) with an option
 * table of every type, and the same bytes are loaded as a whole config by config_load (core/config/config.h)
 * from a file, as `driftwatch validate -c` would. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "driftwatch/plugin.h"
#include "fuzz.h"
#include "util/log.h"
#include "config/options.h"
#include "util/yaml_tree.h"

/* A plugin config with one option of each type, so every branch of the option applier is reachable. */
struct fuzz_opts {
    const char *text;
    int64_t count;
    double ratio;
    int flag;
    int64_t every_ms;
    int64_t limit_bytes;
    struct dw_list items;
    const char *token;
    const char *plain;
};

#define OPT(n, t, d, field) \
    {.name = n, .type = t, .def = d, .offset = offsetof(struct fuzz_opts, field), .description = "fuzz option " n}
static const struct dw_option fuzz_options[] = {
    OPT("text", DW_OPT_STRING, "${DW_FUZZ_DEFAULT:-x}", text),
    OPT("count", DW_OPT_INT, "8", count),
    OPT("ratio", DW_OPT_DOUBLE, "0.5", ratio),
    OPT("flag", DW_OPT_BOOL, "true", flag),
    OPT("every", DW_OPT_DURATION, "5m", every_ms),
    OPT("limit", DW_OPT_SIZE, "2M", limit_bytes),
    OPT("items", DW_OPT_LIST, NULL, items),
    OPT("token", DW_OPT_SECRET, NULL, token),
    OPT("plain", DW_OPT_STRING, NULL, plain),
    {0},
};

static const struct dw_plugin fuzz_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .name = "fuzz",
    .kind = DW_KIND_ALERT,
    .version = "0",
    .description = "option table of the config fuzz target",
    .options = fuzz_options,
    .config_size = sizeof(struct fuzz_opts),
};

static const char *const reserved[] = {"plugin", "name", "optional", NULL};

/* Applies the option table to map, checking what options_apply promises about lists. */
static void apply(const struct ynode *map)
{
    struct plugin_config cfg = {0};
    char err[1024] = "";
    if (options_apply(&fuzz_plugin, map, reserved, "fuzz.yaml", &cfg, err, sizeof err) == 0) {
        const struct fuzz_opts *o = cfg.data;
        for (size_t i = 0; i < o->items.n; i++)
            if (!o->items.items[i])
                fuzz_fail("options_apply: list item %zu is NULL", i);
        if (o->every_ms < 0 || o->limit_bytes < 0)
            fuzz_fail("options_apply: negative duration or size");
    } else if (!err[0]) {
        fuzz_fail("options_apply failed without a message");
    }
    plugin_config_free(&cfg);
}

/* Visits every node; applies the options to the first mappings met (bounded work per input). */
static void walk(const struct ynode *n, size_t depth, size_t *budget)
{
    if (!n || depth > 80)
        return;
    if (n->line == 0 || n->col == 0)
        fuzz_fail("yaml node without a position");
    ynode_type_name(n);
    if (n->type == YNODE_SCALAR) {
        if (!n->value)
            fuzz_fail("yaml scalar without a value");
        return;
    }
    if (n->type == YNODE_MAPPING) {
        if (*budget) {
            (*budget)--;
            apply(n);
        }
        for (size_t i = 0; i < ynode_map_size(n); i++) {
            const struct ynode *k = ynode_key(n, i);
            if (!k || k->type != YNODE_SCALAR || ynode_get(n, k->value) == NULL)
                fuzz_fail("mapping key %zu cannot be looked up", i);
            walk(ynode_value(n, i), depth + 1, budget);
        }
        return;
    }
    for (size_t i = 0; i < n->n; i++)
        walk(n->items[i], depth + 1, budget);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ynode *root = NULL;
    char err[1024] = "";
    if (yaml_tree_load_string((const char *)data, size, "fuzz.yaml", &root, err, sizeof err) == 0) {
        size_t budget = 16;
        walk(root, 0, &budget);
        yaml_tree_free(root);
    } else if (!err[0]) {
        fuzz_fail("yaml_tree_load_string failed without a message");
    }

    const char *path = fuzz_write_file("driftwatch.yaml", data, size);
    struct config *cfg = NULL;
    err[0] = '\0';
    if (config_load(path, &cfg, err, sizeof err) == 0) {
        for (size_t i = 0; i < cfg->n_models; i++)
            config_find_model(cfg, cfg->models[i].name);
        config_free(cfg);
    } else if (!err[0] || cfg) {
        fuzz_fail("config_load failed without a message or left a config");
    }
    log_clear_secrets(); /* options of type secret register themselves with the logger */
    return 0;
}
