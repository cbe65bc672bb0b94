/* driftwatch vertex: runs a Vertex AI action (upload a model, deploy, undeploy, roll back, look at
 * or wait for a job) through the vertex plugin configured as a model's retrain trigger. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "host.h"
#include "http_client.h"
#include "log.h"
#include "metrics.h"
#include "plugin_instance.h"
#include "agent.h"

static const char vertex_usage[] =
    "usage: driftwatch vertex ACTION -c FILE [--model NAME] [--param KEY=VALUE ...] [--params JSON]\n"
    "\n"
    "Runs a Vertex AI action with the vertex plugin and credentials of a model's on_drift.retrain\n"
    "entry, and prints the result as JSON. ACTION is one of:\n"
    "  upload_model  display_name=, image_uri= [artifact_uri=, predict_route=, health_route=, port=,\n"
    "                parent_model=, model_id=]\n"
    "  deploy        endpoint=, model= [traffic_percent=100, machine_type=, min_replicas=, max_replicas=]\n"
    "  undeploy      endpoint=, deployed_model_id= [traffic_split=]\n"
    "  rollback      endpoint= [deployed_model_id=, to=]   (the previous model gets 100%% again)\n"
    "  get_job       job=\n"
    "  wait_job      job= [timeout=]\n"
    "\n"
    "  -c, --config FILE     the agent's config\n"
    "  --model NAME          the model whose retrain entry to use (default: the only vertex one)\n"
    "  --param KEY=VALUE     one parameter; VALUE is taken as JSON when it parses, else as a string\n"
    "  --params JSON         a JSON object of parameters (merged with --param)\n"
    "  -h, --help            this help\n"
    "Exit 0 on success, 1 when the action failed, 2 on usage errors.\n";

/* KEY=VALUE into obj; VALUE is JSON when it parses ("3", "true", "{...}"), else a string. */
static int add_param(json_t *obj, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    char *key = strndup(kv, (size_t)(eq - kv));
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(eq + 1);
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
        snprintf(err, errlen, name ? "no model named '%s'" : "no model retrains with plugin: vertex%s", name ? name : "");
    return found;
}

static int run_action(const struct config *cfg, const struct model_config *m, const char *action, json_t *params)
{
    char err[1024] = "";
    struct plugin_instance *pi = NULL;
    host_set_state_dir(cfg->agent.state_dir);
    if (plugin_instance_create(agent_plugin_dir(cfg), cfg->path, m->retrain, config_retrain_policy_keys,
                               DW_KIND_TRAINER, &pi, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch vertex: %s\n", err);
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
    return rc;
}

int cmd_vertex(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"param", required_argument, NULL, 'p'},
                                         {"params", required_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL, *model = NULL;
    json_t *params = json_object();
    int rc = 2, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        if (c == 'c') {
            path = optarg;
        } else if (c == 'm') {
            model = optarg;
        } else if (c == 'p') {
            if (add_param(params, optarg) < 0) {
                fprintf(stderr, "driftwatch vertex: --param wants KEY=VALUE, not '%s'\n", optarg);
                goto out;
            }
        } else if (c == 'P') {
            json_error_t jerr;
            json_t *more = json_loads(optarg, 0, &jerr);
            if (!json_is_object(more)) {
                fprintf(stderr, "driftwatch vertex: --params: not a JSON object (column %d: %s)\n", jerr.column,
                        more ? "expected an object" : jerr.text);
                json_decref(more);
                goto out;
            }
            json_object_update(params, more);
            json_decref(more);
        } else if (c == 'h') {
            fputs(vertex_usage, stdout);
            rc = 0;
            goto out;
        } else {
            fprintf(stderr, "driftwatch vertex: %s option '%s' (see --help)\n",
                    c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
            goto out;
        }
    }
    if (optind != argc - 1 || !path) {
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
    const struct model_config *m = vertex_model(cfg, model, err, sizeof err);
    if (!m) {
        fprintf(stderr, "driftwatch vertex: %s\n", err);
        rc = 1;
    } else {
        http_client_global_init();
        rc = run_action(cfg, m, argv[optind], params);
        http_client_global_cleanup();
    }
    config_free(cfg);
    metrics_reset();
    log_clear_secrets();
out:
    json_decref(params);
    return rc;
}
