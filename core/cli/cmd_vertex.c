/* driftwatch vertex: runs a Vertex AI action (upload a model, deploy, undeploy, roll back, look at
 * or wait for a job) through the vertex plugin configured as a model's retrain trigger. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliargs.h"
#include "cli/commands.h"
#include "config/config.h"
#include "plugin/host.h"
#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "plugin/plugin_instance.h"
#include "util/yaml_tree.h"

static const char vertex_usage[] =
    "usage: driftwatch vertex ACTION -c FILE [--model NAME | --option KEY=VALUE ...] [--param KEY=VALUE ...]\n"
    "                        [--params JSON]\n"
    "\n"
    "Runs a Vertex AI action with the vertex plugin and credentials of a model's on_drift.retrain\n"
    "entry (or of the --option values, for a config without one), and prints the result as JSON.\n"
    "ACTION is one of:\n"
    "  upload_model  display_name=, image_uri= [artifact_uri=, predict_route=, health_route=, port=,\n"
    "                parent_model=, model_id=]\n"
    "  deploy        endpoint=, model= [traffic_percent=100, machine_type=, min_replicas=, max_replicas=]\n"
    "  undeploy      endpoint=, deployed_model_id= [traffic_split=]\n"
    "  rollback      endpoint= [deployed_model_id=, to=]   (the previous model gets 100% again)\n"
    "  get_job       job=\n"
    "  wait_job      job= [timeout=]\n"
    "\n"
    "  -c, --config FILE     the agent's config\n"
    "  --model NAME          the model whose retrain entry to use (default: the only vertex one)\n"
    "  --option KEY=VALUE    a vertex plugin option (project=, location=, access_token_file=, ...):\n"
    "                        the plugin is set up from these instead of a retrain entry\n"
    "  --param KEY=VALUE     one parameter; VALUE is a string when it is all digits (ids such as\n"
    "                        1234567890123456789, kept digit for digit), else JSON when it parses,\n"
    "                        else a string\n"
    "  --params JSON         a JSON object of parameters (merged with --param)\n"
    "  -h, --help            this help\n"
    "Exit 0 on success, 1 when the action failed, 2 on usage errors.\n";

/* KEY=VALUE into obj. VALUE all digits: a string, so an id keeps every digit (Vertex's ids have
 * 19, beyond int64 for some; jansson reads integers as int64); else JSON when it parses ("true",
 * "{...}", "-3"), else a string. The plugin reads integer parameters from digit strings too. With
 * as_text every VALUE is a string (plugin options, whose parser takes text). */
static int add_param(json_t *obj, const char *kv, int as_text)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    char *key = strndup(kv, (size_t)(eq - kv));
    const char *val = eq + 1;
    json_t *v = NULL;
    if (!as_text && *val && strspn(val, "0123456789") != strlen(val))
        v = json_loads(val, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(val);
    int rc = key && v ? json_object_set_new(obj, key, v) : -1;
    free(key);
    return rc;
}

static const struct model_config *vertex_model(const struct config *cfg, const char *name, char *err, size_t errlen)
{
    const struct model_config *found = NULL;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        int vertex = m->retrain && strcmp(m->retrain->plugin, "vertex") == 0;
        if (name && strcmp(m->name, name) == 0) {
            if (!vertex) {
                snprintf(err, errlen, "model '%s' has no on_drift.retrain entry with plugin: vertex", name);
                return NULL;
            }
            return m;
        }
        if (!name && vertex) {
            if (found) {
                snprintf(err, errlen, "several models retrain with vertex: choose one with --model");
                return NULL;
            }
            found = m;
        }
    }
    if (!found)
        snprintf(err, errlen, name ? "no model named '%s'" : "no model retrains with plugin: vertex%s (or give the "
                 "plugin's options: --option project=P --option location=L ...)", name ? name : "");
    return found;
}

/* A vertex entry from --option values, as if written in a config: {plugin: vertex, action: none,
 * ...options} (action none: the plugin serves actions only and needs no retraining options). */
static int options_entry(json_t *options, struct ynode **tree, struct plugin_ref *ref, char *err, size_t errlen)
{
    json_t *entry = json_pack("{s:s, s:s}", "plugin", "vertex", "action", "none");
    char *text = entry && json_object_update(entry, options) == 0 ? json_dumps(entry, JSON_SORT_KEYS) : NULL;
    json_decref(entry);
    /* JSON is YAML: the options go through the same parser as a config file's. */
    int rc = text ? yaml_tree_load_string(text, strlen(text), "--option", tree, err, errlen) : -1;
    if (!text)
        snprintf(err, errlen, "out of memory");
    free(text);
    if (rc < 0)
        return -1;
    ref->plugin = "vertex";
    ref->name = "vertex";
    ref->optional = 0;
    ref->node = *tree;
    return 0;
}

static int run_action(const struct config *cfg, const struct model_config *m, json_t *options, const char *action,
                      json_t *params)
{
    char err[1024] = "";
    struct plugin_instance *pi = NULL;
    struct ynode *tree = NULL;
    struct plugin_ref ref;
    const struct plugin_ref *entry = m ? m->retrain : &ref;
    host_set_state_dir(cfg->agent.state_dir);
    if ((!m && options_entry(options, &tree, &ref, err, sizeof err) < 0) ||
        plugin_instance_create(cfg->agent.plugin_dir, m ? cfg->path : "--option", entry, config_retrain_policy_keys,
                               DW_KIND_TRAINER, &pi, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch vertex: %s\n", err);
        yaml_tree_free(tree);
        return 1;
    }
    int rc = 1;
    char *params_text = json_dumps(params, JSON_COMPACT);
    char *result = NULL;
    if (!pi->lp->def->action) {
        fprintf(stderr, "driftwatch vertex: plugin '%s' has no actions\n", m->retrain->plugin);
    } else if (pi->lp->def->action(pi->inst, action, params_text ? params_text : "{}", &result, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch vertex: %s: %s\n", action, err);
    } else {
        json_t *r = result ? json_loads(result, 0, NULL) : NULL;
        char *pretty = r ? json_dumps(r, JSON_INDENT(2)) : NULL;
        printf("%s\n", pretty ? pretty : (result ? result : "{}"));
        free(pretty);
        json_decref(r);
        rc = 0;
    }
    free(result);
    free(params_text);
    plugin_instance_free(pi);
    yaml_tree_free(tree);
    return rc;
}

enum { O_CONFIG, O_MODEL, O_PARAM, O_PARAMS, O_OPTION, O_ACTION };

static const struct cli_opt opts[] = {
    [O_CONFIG] = {"config", 'c', 1}, [O_MODEL] = {"model", 0, 1},   [O_PARAM] = {"param", 0, 1},
    [O_PARAMS] = {"params", 0, 1},   [O_OPTION] = {"option", 0, 1}, [O_ACTION] = {"", 0, 1},
};

/* --params JSON merged into params; returns 0 or -1 after saying why. */
static int add_params_json(json_t *params, const char *text)
{
    json_error_t jerr;
    json_t *more = json_loads(text, 0, &jerr);
    if (!json_is_object(more)) {
        /* jansson reads integers as int64: a larger id must be quoted. */
        fprintf(stderr, "driftwatch vertex: --params: not a JSON object (column %d: %s)%s\n", jerr.column,
                more ? "expected an object" : jerr.text,
                !more && strstr(jerr.text, "too big") ? "; write ids as strings, e.g. \"endpoint\": "
                                                        "\"9223372036854775808\"" : "");
        json_decref(more);
        return -1;
    }
    json_object_update(params, more);
    json_decref(more);
    return 0;
}

int cmd_vertex(int argc, char **argv)
{
    const char *path = NULL, *model = NULL, *action = NULL;
    json_t *params = json_object(), *options = json_object();
    int rc = 2;
    struct cliargs ca;
    cliargs_init(&ca, argc, argv, opts, sizeof opts / sizeof opts[0], vertex_usage);
    const char *v;
    int k;
    while ((k = cliargs_next(&ca, &v)) >= 0) {
        switch (k) {
        case O_CONFIG: path = v; break;
        case O_MODEL: model = v; break;
        case O_PARAM:
        case O_OPTION:
            if (add_param(k == O_PARAM ? params : options, v, k == O_OPTION) < 0) {
                fprintf(stderr, "driftwatch vertex: --%s wants KEY=VALUE, not '%s'\n", opts[k].name, v);
                goto out;
            }
            break;
        case O_PARAMS:
            if (add_params_json(params, v) < 0)
                goto out;
            break;
        case O_ACTION:
            if (action) {
                fprintf(stderr, "driftwatch vertex: need exactly one ACTION, not '%s' and '%s' (see --help)\n",
                        action, v);
                goto out;
            }
            action = v;
            break;
        }
    }
    if (k != CLIARGS_END) {
        if (k == CLIARGS_HELP)
            rc = 0;
        goto out;
    }
    if (!action || !path) {
        fprintf(stderr, "driftwatch vertex: need exactly one ACTION and -c FILE (see --help)\n");
        goto out;
    }
    char err[1024];
    struct config *cfg = NULL;
    if (config_load(path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = 1;
        goto out;
    }
    const struct model_config *m = NULL;
    if (json_object_size(options) && model) {
        fprintf(stderr, "driftwatch vertex: --option and --model exclude each other (--option replaces the model's "
                "retrain entry)\n");
        rc = 2;
    } else if (!json_object_size(options) && !(m = vertex_model(cfg, model, err, sizeof err))) {
        fprintf(stderr, "driftwatch vertex: %s\n", err);
        rc = 1;
    } else {
        http_client_global_init();
        rc = run_action(cfg, m, options, action, params);
        http_client_global_cleanup();
    }
    config_free(cfg);
    metrics_reset();
    log_clear_secrets();
out:
    json_decref(options);
    json_decref(params);
    return rc;
}
