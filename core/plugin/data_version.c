/* Data versions from a model's versioning plugin (see data_version.h). */
#include "plugin/data_version.h"

#include <stdio.h>
#include <stdlib.h>

json_t *data_version_ask(struct plugin_instance *versioning, const char *path, char *err, size_t errlen)
{
    char *text = NULL, why[512] = "";
    if (versioning->lp->def->data_version(versioning->inst, path, &text, why, sizeof why) < 0) {
        snprintf(err, errlen, "versioning plugin '%s': %s", versioning->name, why[0] ? why : "no answer");
        return NULL;
    }
    json_error_t jerr;
    json_t *dv = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    if (!json_is_object(dv)) {
        snprintf(err, errlen, "versioning plugin '%s' answered something that is not a JSON object", versioning->name);
        json_decref(dv);
        return NULL;
    }
    return dv;
}

int data_version_of_model(const struct config *cfg, const struct model_config *mc, const char *path, json_t **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (!mc->versioning)
        return 0;
    struct plugin_instance *pi = NULL;
    if (plugin_instance_create(cfg->agent.plugin_dir, cfg->path, mc->versioning, NULL, DW_KIND_VERSIONING, &pi, err,
                               errlen) < 0)
        return -1;
    *out = data_version_ask(pi, path, err, errlen);
    plugin_instance_free(pi);
    return *out ? 0 : -1;
}
