/* Baseline building: two passes over the file (types, then values). See baseline.h. */
#include "analyze/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/columns.h"
#include "stats/perf_chunks.h"
#include "analyze/perf_table.h"
#include "data/source.h"

void baseline_options_init(struct baseline_options *o)
{
    memset(o, 0, sizeof *o);
    o->sample_size = PROFILE_DEFAULT_SAMPLE_SIZE;
    o->bins = PROFILE_DEFAULT_BINS;
    o->seed = PROFILE_DEFAULT_SEED;
    o->row_sample = PROFILE_DEFAULT_ROW_SAMPLE;
    o->chunks = PERF_DEFAULT_CHUNKS;
}

/* The quality section's settings (values come after the reading pass). */
static struct quality_profile *quality_spec(const struct baseline_options *o, char *err, size_t errlen)
{
    struct quality_profile *q = quality_profile_new(o->task);
    if (!q)
        goto oom;
    q->nchunks = o->chunks;
    if ((o->task == PERF_BINARY && !(q->positive = strdup(o->positive ? o->positive : "1"))) ||
        !(q->prediction = strdup(o->prediction)) || !(q->target = strdup(o->target)) ||
        (o->score && !(q->score = strdup(o->score))))
        goto oom;
    if (o->nfairness && !(q->fairness = calloc(o->nfairness, sizeof *q->fairness)))
        goto oom;
    for (; q->nfairness < o->nfairness; q->nfairness++)
        if (fairness_spec_copy(&q->fairness[q->nfairness].spec, &o->fairness[q->nfairness]) < 0)
            goto oom;
    return q;
oom:
    quality_profile_free(q);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

/* What the quality options need: columns that exist and play one part each. */
static int check_quality(const struct baseline_options *o, char *err, size_t errlen)
{
    if (!o->task) {
        if (o->score || o->positive || o->nfairness) {
            snprintf(err, errlen, "%s needs --task", o->score ? "--score" : o->positive ? "--positive" : "--protected");
            return -1;
        }
        return 0;
    }
    if (!o->prediction || !o->target) {
        snprintf(err, errlen, "--task needs --prediction and --target");
        return -1;
    }
    if (o->task != PERF_BINARY && (o->score || o->positive || o->nfairness)) {
        snprintf(err, errlen, "%s applies to --task binary only",
                 o->score ? "--score" : o->positive ? "--positive" : "--protected");
        return -1;
    }
    if (o->score && (strcmp(o->score, o->prediction) == 0 || strcmp(o->score, o->target) == 0)) {
        snprintf(err, errlen, "--score names the %s column", strcmp(o->score, o->target) == 0 ? "target" : "prediction");
        return -1;
    }
    if (o->chunks < 1 || o->chunks > 1000) {
        snprintf(err, errlen, "--chunks: expected an integer from 1 to 1000");
        return -1;
    }
    return 0;
}

static long schema_find(const struct source_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

static int check_names(const struct source_schema *s, const char *opt, const char *const *names, size_t n,
                       const char *path, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (schema_find(s, names[i]) < 0) {
            snprintf(err, errlen, "%s: no column '%s' in %s", opt, names[i], path);
            return -1;
        }
    }
    return 0;
}

static int listed(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

int baseline_build(const struct baseline_options *o, struct profile **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *path = o->data_path;
    if (o->sample_size == 0 || o->bins < 2) {
        snprintf(err, errlen, "sample size must be >= 1 and bins >= 2");
        return -1;
    }
    struct source_options so = {
        .strict = o->strict,
        .prediction_name = o->prediction,
        .target_name = o->target,
        .on_bad_row = o->on_bad_row,
        .on_progress = o->on_progress,
        .ud = o->ud,
    };
    struct source_schema *s = NULL;
    struct columns *t = NULL;
    struct quality_profile *q = NULL;
    int rc = -1;
    if (check_quality(o, err, errlen) < 0)
        return -1;
    if (source_infer(path, &so, &s, err, errlen) < 0)
        return -1;
    if (s->rows == 0) {
        snprintf(err, errlen, "%s: no data rows%s", path, s->bad_rows ? " (every row was bad)" : " (header only?)");
        goto out;
    }
    if (check_names(s, "--categorical", o->categorical, o->ncategorical, path, err, errlen) < 0 ||
        check_names(s, "--exclude", o->exclude, o->nexclude, path, err, errlen) < 0 ||
        (o->target && check_names(s, "--target", &o->target, 1, path, err, errlen) < 0) ||
        (o->prediction && check_names(s, "--prediction", &o->prediction, 1, path, err, errlen) < 0) ||
        (o->score && check_names(s, "--score", &o->score, 1, path, err, errlen) < 0))
        goto out;
    for (size_t i = 0; i < o->nfairness; i++) {
        const char *attr = o->fairness[i].attribute;
        if (check_names(s, "--protected", &attr, 1, path, err, errlen) < 0)
            goto out;
        if (listed(o->exclude, o->nexclude, attr)) {
            snprintf(err, errlen, "--protected %s: the column is also in --exclude", attr);
            goto out;
        }
    }
    if (o->task) {
        const char *roles[3] = {o->prediction, o->target, o->score};
        for (int k = 0; k < 3; k++)
            if (roles[k] && listed(o->exclude, o->nexclude, roles[k])) {
                snprintf(err, errlen, "--exclude %s: the column is needed for --task", roles[k]);
                goto out;
            }
        if (!(q = quality_spec(o, err, errlen)))
            goto out;
    }
    struct columns_options co = {
        .sample_limit = o->sample_size,
        .seed = o->seed,
        /* categories are bounded like the sample: a high-cardinality column (an id) must not
         * make memory grow with the file */
        .max_categories = o->sample_size > 1000 ? o->sample_size : 1000,
        .row_sample = o->row_sample,
    };
    t = columns_new(&co);
    if (!t || columns_set_roles(t, o->prediction, o->target) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t kept = 0;
    for (size_t i = 0; i < s->ncols; i++) {
        const struct source_column *sc = &s->cols[i];
        if (listed(o->exclude, o->nexclude, sc->name))
            continue;
        enum col_type type = listed(o->categorical, o->ncategorical, sc->name) ? COL_CATEGORICAL : sc->type;
        enum col_role role = sc->role;
        if (o->target && strcmp(sc->name, o->target) == 0)
            role = ROLE_TARGET;
        else if ((o->prediction && strcmp(sc->name, o->prediction) == 0) ||
                 (o->task && o->score && strcmp(sc->name, o->score) == 0))
            role = ROLE_PREDICTION; /* the score is a model output too: not counted in dataset drift */
        if (columns_add(t, sc->name, type, role) < 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        kept++;
    }
    if (kept == 0) {
        snprintf(err, errlen, "%s: no columns left to profile (all excluded?)", path);
        goto out;
    }
    if (q && perf_table_keep_cells(q, NULL, t, err, errlen) < 0)
        goto out;
    /* Bad rows were reported in the first pass; the second skips them quietly. */
    so.on_bad_row = NULL;
    struct source_stats st;
    if (source_read(path, &so, t, &st, err, errlen) < 0)
        goto out;
    struct profile_source src = {
        .path = path,
        .format = s->format == SOURCE_JSONL ? "jsonl" : s->format == SOURCE_JSON_ARRAY ? "json" : "csv",
        .rows = st.rows,
        .bad_rows = s->bad_rows,
        .bytes = s->bytes,
        .md5 = s->md5,
        .data_version = o->data_version,
        .sample_size = o->sample_size,
        .bins = o->bins,
        .seed = o->seed,
        .row_sample = o->row_sample,
    };
    if (q && perf_table_reference(q, t, err, errlen) < 0)
        goto out;
    rc = profile_from_columns(t, &src, out, err, errlen);
    if (rc == 0 && q) {
        (*out)->quality = q;
        q = NULL;
    }
out:
    quality_profile_free(q);
    source_schema_free(s);
    columns_free(t);
    return rc;
}
