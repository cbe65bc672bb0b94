/* The fleet lookup before a create (docs/operations.md): a pipeline or custom job of this model created
 * within the cooldown, found by pipelineJobs.list / customJobs.list filtered on the
 * driftwatch-model label and create_time and followed page by page, is joined instead of created. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vertex.h"

/* Pages read at most: 100 jobs each, far more than one model starts within a cooldown. */
#define VX_LOOKUP_MAX_PAGES 50

/* 1 when job is labelled for this model and was created after cutoff. The server filtered on both;
 * checked again so a loose filter never makes the agent adopt a stranger. A createTime that does
 * not parse is left to the server's filter. */
static int job_matches(json_t *job, const char *model_label, int64_t cutoff)
{
    const char *l = json_string_value(json_object_get(json_object_get(job, "labels"), VX_MODEL_LABEL));
    if (!l || strcmp(l, model_label) != 0 || !json_string_value(json_object_get(job, "name")))
        return 0;
    int64_t created = 0;
    const char *ct = json_string_value(json_object_get(job, "createTime"));
    return !ct || pu_parse_rfc3339(ct, &created) < 0 || created > cutoff;
}

int vx_find_recent_job(struct vertex *v, int pipeline, const struct dw_trigger_event *ev, json_t **job, char *err,
                       size_t errlen)
{
    const char *collection = pipeline ? "pipelineJobs" : "customJobs";
    const char *op = pipeline ? "pipelineJobs.list" : "customJobs.list";
    int64_t cooldown = ev->cooldown_ms;
    *job = NULL;
    if (cooldown <= 0)
        return 0; /* no cooldown: nothing to join */

    int ret = -1;
    char label[VX_LABEL_MAX + 1], since[32];
    vx_label_value(ev->model ? ev->model : "", label, sizeof label);
    int64_t cutoff = pu_lookup_cutoff(cooldown);
    pu_rfc3339(cutoff, since, sizeof since);
    /* AIP-160 filter, as ListPipelineJobsRequest / ListCustomJobsRequest document it. */
    char *filter = pu_strf("labels.%s=\"%s\" AND create_time>\"%s\"", VX_MODEL_LABEL, label, since);
    char *fq = filter ? pu_query_escape(filter) : NULL;
    char *path = pu_strf("%s/%s", v->parent, collection);
    char *token = NULL;
    if (!fq || !path) {
        snprintf(err, errlen, "vertex: %s %s: out of memory", op, v->parent);
        goto out;
    }
    for (int page = 0; page < VX_LOOKUP_MAX_PAGES; page++) {
        char *tq = token ? pu_query_escape(token) : NULL;
        char *query = pu_strf("filter=%s&pageSize=100%s%s", fq, tq ? "&pageToken=" : "", tq ? tq : "");
        free(tq);
        json_t *list = NULL;
        long status = 0;
        int rc = -1;
        if (query)
            rc = vx_call(v, op, v->parent, "GET", path, query, NULL, VX_RETRY, &status, &list, err, errlen);
        else
            snprintf(err, errlen, "vertex: %s %s: out of memory", op, v->parent);
        free(query);
        if (rc < 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (looking for a job of model %s created since %s before creating "
                     "one)", ev->model ? ev->model : "?", since);
            json_decref(list);
            goto out;
        }
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(list, collection), i, it) {
            if (job_matches(it, label, cutoff)) {
                *job = json_incref(it);
                break;
            }
        }
        free(token);
        const char *next = json_string_value(json_object_get(list, "nextPageToken"));
        token = next && *next ? pu_strdup(next) : NULL;
        json_decref(list);
        if (*job || !token)
            break;
    }
    ret = *job ? 1 : 0;
out:
    free(token);
    free(path);
    free(fq);
    free(filter);
    return ret;
}
