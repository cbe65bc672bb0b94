/* Data quality shares and the schema report of docs/statistics.md (see quality.h). */
#include "analyze/quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/suggest.h"

static const char *const problem_names[QP_COUNT] = {
    [QP_OUT_OF_RANGE] = "out_of_range",
    [QP_UNSEEN_CATEGORIES] = "unseen_categories",
    [QP_TYPE_MISMATCH] = "type_mismatch",
    [QP_MISSING_SHARE] = "missing_share",
};

const char *quality_problem_name(int q)
{
    return q >= 0 && q < QP_COUNT ? problem_names[q] : NULL;
}

int quality_problem_from_name(const char *name)
{
    for (int q = 0; q < QP_COUNT; q++)
        if (strcmp(name, problem_names[q]) == 0)
            return q;
    return -1;
}

void quality_options_init(struct quality_options *q)
{
    memset(q, 0, sizeof *q);
    q->limit[QP_OUT_OF_RANGE] = 0.05;
    q->limit[QP_UNSEEN_CATEGORIES] = 0.05;
    q->limit[QP_TYPE_MISMATCH] = 0.0;
    q->limit[QP_MISSING_SHARE] = QUALITY_OFF;
}

void quality_options_clear(struct quality_options *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->noverrides; i++)
        free(q->overrides[i].feature);
    free(q->overrides);
    q->overrides = NULL;
    q->noverrides = 0;
}

int quality_parse_limit(const char *text, double *limit)
{
    if (strcmp(text, "off") == 0) {
        *limit = QUALITY_OFF;
        return 0;
    }
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end || !(x >= 0 && x <= 1))
        return -1;
    *limit = x;
    return 0;
}

int quality_options_set(struct quality_options *q, const char *feature, const char *problem, double limit, char *err,
                        size_t errlen)
{
    int p = quality_problem_from_name(problem);
    if (p < 0) {
        snprintf(err, errlen, "unknown quality check '%s'", problem);
        suggest_append(err, errlen, suggest_nearest(problem, problem_names, QP_COUNT));
        size_t used = strnlen(err, errlen);
        snprintf(err + used, errlen - used, " (known: out_of_range, unseen_categories, type_mismatch, missing_share%s)",
                 feature ? "" : ", missing_columns");
        return -1;
    }
    if (!(limit == QUALITY_OFF || (limit >= 0 && limit <= 1))) {
        snprintf(err, errlen, "%s: the threshold must be a share in [0, 1] or off, not %g", problem, limit);
        return -1;
    }
    if (!feature) {
        q->limit[p] = limit;
        return 0;
    }
    struct quality_override *ov = NULL;
    for (size_t i = 0; i < q->noverrides && !ov; i++)
        if (strcmp(q->overrides[i].feature, feature) == 0)
            ov = &q->overrides[i];
    if (!ov) {
        struct quality_override *grown = realloc(q->overrides, (q->noverrides + 1) * sizeof *grown);
        char *name = strdup(feature);
        if (grown)
            q->overrides = grown;
        if (!grown || !name) {
            free(name);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        ov = &q->overrides[q->noverrides++];
        ov->feature = name;
        for (int k = 0; k < QP_COUNT; k++)
            ov->limit[k] = NAN;
    }
    ov->limit[p] = limit;
    return 0;
}

void quality_limits_for(const struct quality_options *q, const char *feature, double limit[QP_COUNT])
{
    memcpy(limit, q->limit, sizeof q->limit);
    for (size_t i = 0; i < q->noverrides; i++) {
        if (strcmp(q->overrides[i].feature, feature) != 0)
            continue;
        for (int k = 0; k < QP_COUNT; k++)
            if (!isnan(q->overrides[i].limit[k]))
                limit[k] = q->overrides[i].limit[k];
    }
}

int quality_column_missing(const struct column *col, uint64_t rows)
{
    return !col || (rows > 0 && col->absent >= rows);
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : NAN;
}

void quality_feature(const struct profile_feature *f, const struct column *col, uint64_t rows, uint64_t unseen_values,
                     const double limit[QP_COUNT], struct feature_quality *q)
{
    for (int k = 0; k < QP_COUNT; k++) {
        q->share[k] = NAN;
        q->limit[k] = limit[k];
    }
    q->alerts = 0;
    uint64_t count = col ? col->count : 0, invalid = col ? col->invalid : 0;
    if (f->type == COL_NUMERIC) {
        /* the reference range is the whole baseline's (the profile's min/max are of every value,
         * not of the sample); the window's values are all kept, so this counts every value */
        if (col && f->count > 0 && isfinite(f->min) && isfinite(f->max)) {
            uint64_t out = 0;
            for (size_t i = 0; i < col->nvalues; i++)
                out += col->values[i] < f->min || col->values[i] > f->max;
            q->share[QP_OUT_OF_RANGE] = share(out, col->nvalues);
        }
        q->share[QP_TYPE_MISMATCH] = share(invalid, count + invalid);
    } else {
        q->share[QP_UNSEEN_CATEGORIES] = share(unseen_values, count);
    }
    q->share[QP_MISSING_SHARE] = col ? share(col->missing, rows) : 1.0;
    for (int k = 0; k < QP_COUNT; k++)
        if (!isnan(q->share[k]) && q->share[k] > limit[k])
            q->alerts |= 1u << k;
}

void schema_report_clear(struct schema_report *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nmissing; i++) {
        free(s->missing[i].name);
        free(s->missing[i].suggestion);
    }
    for (size_t i = 0; i < s->nunexpected; i++) {
        free(s->unexpected[i].name);
        free(s->unexpected[i].suggestion);
    }
    free(s->missing);
    free(s->unexpected);
    memset(s, 0, sizeof *s);
}

/* name and a copy of the suggestion (NULL stays NULL) into e. Returns 0 or -1. */
static int set_entry(struct schema_column *e, const char *name, const char *suggestion)
{
    e->name = strdup(name);
    e->suggestion = suggestion ? strdup(suggestion) : NULL;
    return !e->name || (suggestion && !e->suggestion) ? -1 : 0;
}

int quality_schema(const struct profile *p, const struct columns *w, struct schema_report *s)
{
    memset(s, 0, sizeof *s);
    size_t nunknown = w->unknown_names ? catmap_size(w->unknown_names) : 0;
    const char **unknown = malloc((nunknown ? nunknown : 1) * sizeof *unknown);
    const char **known = malloc((p->nfeatures ? p->nfeatures : 1) * sizeof *known);
    s->missing = calloc(p->nfeatures ? p->nfeatures : 1, sizeof *s->missing);
    size_t listed = nunknown < SCHEMA_MAX_LISTED ? nunknown : SCHEMA_MAX_LISTED;
    s->unexpected = calloc(listed ? listed : 1, sizeof *s->unexpected);
    if (!unknown || !known || !s->missing || !s->unexpected)
        goto nomem;
    for (size_t i = 0; i < nunknown; i++) {
        size_t len;
        unknown[i] = catmap_key(w->unknown_names, i, &len);
    }
    for (size_t i = 0; i < p->nfeatures; i++)
        known[i] = p->features[i].name;
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        int idx = columns_find(w, f->name);
        /* a target or prediction the data does not carry is normal (labels come later) */
        if (f->role != ROLE_FEATURE || !quality_column_missing(idx >= 0 ? &w->cols[idx] : NULL, w->rows))
            continue;
        if (set_entry(&s->missing[s->nmissing++], f->name, suggest_nearest(f->name, unknown, nunknown)) < 0)
            goto nomem;
    }
    for (size_t i = 0; i < listed; i++)
        if (set_entry(&s->unexpected[s->nunexpected++], unknown[i], suggest_nearest(unknown[i], known, p->nfeatures)) <
            0)
            goto nomem;
    s->unexpected_truncated = nunknown > listed || (w->unknown_names && catmap_overflow(w->unknown_names) > 0);
    free(unknown);
    free(known);
    return 0;
nomem:
    free(unknown);
    free(known);
    schema_report_clear(s);
    return -1;
}
