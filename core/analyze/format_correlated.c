/* The verdict's correlated feature groups in JSON and text (see correlated.h): which features of
 * the baseline move together, and how many of each group drifted, so "3 drifted" can be read as
 * "3 drifted, all one group". */
#include <string.h>

#include "analyze/format_internal.h"

static const struct feature_verdict *find_feature(const struct verdict *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->features[i].name, name) == 0)
            return &v->features[i];
    return NULL;
}

static size_t group_drifted(const struct verdict *v, const struct correlated_group *g)
{
    size_t d = 0;
    for (size_t j = 0; j < g->n; j++) {
        const struct feature_verdict *fv = find_feature(v, g->names[j]);
        d += fv && fv->drift;
    }
    return d;
}

/* "correlated_groups": {"min_abs_r": 0.95, "groups": [{"features": [...], "drifted": [...]}]};
 * NULL (not an error) when the profile has no row sample. */
json_t *correlated_groups_json(const struct verdict *v)
{
    const struct correlated_groups *cg = &v->correlated;
    if (!cg->computed)
        return NULL;
    json_t *groups = json_array();
    int e = !groups;
    for (size_t i = 0; !e && i < cg->n; i++) {
        const struct correlated_group *g = &cg->groups[i];
        json_t *names = json_array(), *drifted = json_array();
        e |= !names || !drifted;
        for (size_t j = 0; !e && j < g->n; j++) {
            const struct feature_verdict *fv = find_feature(v, g->names[j]);
            e |= json_array_append_new(names, json_string(g->names[j])) < 0;
            if (fv && fv->drift)
                e |= json_array_append_new(drifted, json_string(g->names[j])) < 0;
        }
        json_t *o = e ? NULL : json_pack("{s:o, s:o}", "features", names, "drifted", drifted);
        if (!o) {
            json_decref(names);
            json_decref(drifted);
            e = 1;
        } else {
            e |= json_array_append_new(groups, o) < 0;
        }
    }
    json_t *out = e ? NULL : json_pack("{s:f, s:o}", "min_abs_r", CORRELATED_MIN_ABS_R, "groups", groups);
    if (!out)
        json_decref(groups);
    return out;
}

/* After the feature table, when the baseline has groups: a summary, then one line per group. */
void correlated_groups_render_text(const struct verdict *v, struct strbuf *out)
{
    const struct correlated_groups *cg = &v->correlated;
    if (!cg->computed || cg->n == 0)
        return;
    size_t in_groups = 0, groups_hit = 0;
    for (size_t i = 0; i < cg->n; i++) {
        size_t d = group_drifted(v, &cg->groups[i]);
        in_groups += d;
        groups_hit += d > 0;
    }
    size_t drifted = v->drifted + (v->role_drift ? 1 : 0);
    strbuf_puts(out, "\nCORRELATED: ");
    if (in_groups)
        strbuf_printf(out, "%zu of the %zu drifted features are in %zu group%s of", in_groups,
                      drifted > in_groups ? drifted : in_groups, groups_hit, groups_hit == 1 ? "" : "s");
    else
        strbuf_printf(out, "%zu group%s of", cg->n, cg->n == 1 ? "" : "s");
    strbuf_printf(out, " features with |r| >= %.2f in the baseline (they drift together; each counts in the "
                       "share)\n", CORRELATED_MIN_ABS_R);
    for (size_t i = 0; i < cg->n; i++) {
        const struct correlated_group *g = &cg->groups[i];
        strbuf_puts(out, "  ");
        for (size_t j = 0; j < g->n; j++)
            strbuf_printf(out, "%s%s", j ? ", " : "", g->names[j]);
        strbuf_printf(out, ": %zu drifted\n", group_drifted(v, g));
    }
}
