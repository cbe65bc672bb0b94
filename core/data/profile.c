/* Baseline profile: build, render, load and validate. See profile.h and docs/data-formats.md. */
#include "data/profile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats/drift.h"
#include "util/jsonw.h"
#include "sample/numparse.h"
#include "util/outfile.h"

const char *col_type_name(enum col_type t)
{
    return t == COL_CATEGORICAL ? "categorical" : "numeric";
}

const char *col_role_name(enum col_role r)
{
    switch (r) {
    case ROLE_TARGET: return "target";
    case ROLE_PREDICTION: return "prediction";
    default: return "feature";
    }
}

void profile_timestamp(char *buf, size_t len)
{
    time_t now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end == '\0' && v >= 0)
            now = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void feature_free(struct profile_feature *f)
{
    free(f->name);
    free(f->sample);
    for (size_t i = 0; i < f->ncats; i++)
        free(f->cats[i].value);
    free(f->cats);
}

static void rows_clear(struct profile_rows *r)
{
    for (size_t i = 0; i < r->nfeatures; i++)
        free(r->names[i]);
    free(r->names);
    free(r->feature);
    free(r->values);
    memset(r, 0, sizeof *r);
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    rows_clear(&p->rows_sample);
    for (size_t i = 0; i < p->nfeatures; i++)
        feature_free(&p->features[i]);
    free(p->features);
    free(p->created_at);
    json_decref(p->source);
    quality_profile_free(p->quality);
    free(p);
}

int profile_find(const struct profile *p, const char *name)
{
    for (size_t i = 0; i < p->nfeatures; i++)
        if (strcmp(p->features[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int cmp_cat(const void *a, const void *b)
{
    const struct profile_category *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->value, y->value);
}

int profile_set_data_version(struct profile *p, json_t *data_version)
{
    return json_object_set(p->source, "data_version", data_version ? data_version : json_null());
}

/* The row sample: the numeric features' values of the rows t kept, in file order. Profile feature
 * i is t's column i. */
static int rows_from_columns(const struct columns *t, struct profile *p)
{
    struct profile_rows *r = &p->rows_sample;
    size_t nf = 0;
    for (size_t i = 0; i < p->nfeatures; i++)
        nf += p->features[i].type == COL_NUMERIC && p->features[i].role == ROLE_FEATURE;
    p->has_rows = 1;
    r->names = calloc(nf ? nf : 1, sizeof *r->names);
    r->feature = calloc(nf ? nf : 1, sizeof *r->feature);
    if (!r->names || !r->feature)
        return -1;
    for (size_t i = 0; i < p->nfeatures; i++) {
        if (p->features[i].type != COL_NUMERIC || p->features[i].role != ROLE_FEATURE)
            continue;
        r->names[r->nfeatures] = strdup(p->features[i].name);
        if (!r->names[r->nfeatures])
            return -1;
        r->feature[r->nfeatures++] = i;
    }
    size_t n = t->row_vals ? t->nrows_kept : 0;
    if (n == 0 || nf == 0)
        return 0;
    size_t *order = malloc(n * sizeof *order);
    r->values = malloc(n * nf * sizeof *r->values);
    if (!order || !r->values || columns_kept_row_order(t, order) < 0) {
        free(order);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const double *row = t->row_vals + order[k] * t->row_width;
        for (size_t j = 0; j < nf; j++)
            r->values[k * nf + j] = r->feature[j] < t->row_width ? row[r->feature[j]] : NAN;
    }
    r->nrows = n;
    free(order);
    return 0;
}

int profile_from_columns(const struct columns *t, const struct profile_source *src, struct profile **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    struct profile *p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->version = PROFILE_VERSION;
    char ts[32];
    profile_timestamp(ts, sizeof ts);
    p->created_at = strdup(ts);
    p->rows = src->rows;
    p->sample_size = src->sample_size;
    p->bins = src->bins;
    p->seed = src->seed;
    p->source = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s*, s:O?}", "path", src->path ? src->path : "",
                          "format", src->format ? src->format : "csv", "rows", (json_int_t)src->rows, "bad_rows",
                          (json_int_t)src->bad_rows, "bytes", (json_int_t)src->bytes, "md5", src->md5,
                          "data_version", src->data_version);
    if (!p->created_at || !p->source)
        goto nomem;
    if (!json_object_get(p->source, "md5") && json_object_set_new(p->source, "md5", json_null()) < 0)
        goto nomem;
    if (!json_object_get(p->source, "data_version") &&
        json_object_set_new(p->source, "data_version", json_null()) < 0)
        goto nomem;
    if (t->ncols) {
        p->features = calloc(t->ncols, sizeof *p->features);
        if (!p->features)
            goto nomem;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        const struct column *c = &t->cols[i];
        struct profile_feature *f = &p->features[p->nfeatures++];
        f->name = strdup(c->name);
        if (!f->name)
            goto nomem;
        f->type = c->type;
        f->role = c->role;
        f->count = c->count;
        f->missing = c->missing + c->invalid;
        f->mean = f->std = f->min = f->max = NAN;
        if (c->type == COL_NUMERIC) {
            if (c->count > 0) {
                f->mean = c->mean;
                f->std = sqrt(c->m2 / (double)c->count);
                f->min = c->min;
                f->max = c->max;
            }
            if (c->nvalues) {
                f->sample = malloc(c->nvalues * sizeof *f->sample);
                if (!f->sample)
                    goto nomem;
                memcpy(f->sample, c->values, c->nvalues * sizeof *f->sample);
                f->nsample = c->nvalues;
                if (drift_sort(f->sample, f->nsample) < 0)
                    goto nomem;
            }
        } else {
            size_t n = catmap_size(c->cats);
            if (n) {
                f->cats = calloc(n, sizeof *f->cats);
                if (!f->cats)
                    goto nomem;
            }
            for (size_t k = 0; k < n; k++) {
                size_t len;
                const char *key = catmap_key(c->cats, k, &len);
                f->cats[k].value = malloc(len + 1);
                if (!f->cats[k].value)
                    goto nomem;
                memcpy(f->cats[k].value, key, len + 1);
                f->cats[k].count = catmap_count(c->cats, k);
                f->ncats++;
            }
            qsort(f->cats, f->ncats, sizeof *f->cats, cmp_cat);
            f->cats_overflow = catmap_overflow(c->cats);
        }
    }
    p->row_sample_size = src->row_sample;
    if (src->row_sample && rows_from_columns(t, p) < 0)
        goto nomem;
    *out = p;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory building the profile");
    profile_free(p);
    return -1;
}

int profile_render(const struct profile *p, struct strbuf *sb)
{
    strbuf_printf(sb, "{\n  \"driftwatch_profile\": %d,\n  \"created_at\": ", p->version);
    jsonw_string(sb, p->created_at, strlen(p->created_at));
    strbuf_puts(sb, ",\n  \"source\": ");
    jsonw_dump(sb, p->source, 0);
    strbuf_printf(sb, ",\n  \"settings\": {\"sample_size\": %zu, \"bins\": %d, \"seed\": %" PRIu64,
                  p->sample_size, p->bins, p->seed);
    if (p->version >= 2)
        strbuf_printf(sb, ", \"row_sample\": %zu", p->row_sample_size);
    strbuf_puts(sb, "},\n");
    strbuf_puts(sb, "  \"features\": [");
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        strbuf_puts(sb, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        jsonw_string(sb, f->name, strlen(f->name));
        strbuf_printf(sb, ", \"type\": \"%s\"", col_type_name(f->type));
        if (f->role != ROLE_FEATURE)
            strbuf_printf(sb, ", \"role\": \"%s\"", col_role_name(f->role));
        strbuf_printf(sb, ", \"count\": %" PRIu64 ", \"missing\": %" PRIu64, f->count, f->missing);
        if (f->type == COL_NUMERIC) {
            const char *names[4] = {"mean", "std", "min", "max"};
            double vals[4] = {f->mean, f->std, f->min, f->max};
            for (int k = 0; k < 4; k++) {
                strbuf_printf(sb, ", \"%s\": ", names[k]);
                jsonw_number(sb, vals[k]);
            }
            strbuf_puts(sb, ",\n     \"sample\": [");
            for (size_t k = 0; k < f->nsample; k++) {
                if (k)
                    strbuf_append(sb, ",", 1);
                jsonw_number(sb, f->sample[k]);
            }
            strbuf_puts(sb, "]}");
        } else {
            if (f->cats_overflow)
                strbuf_printf(sb, ", \"categories_overflow\": %" PRIu64, f->cats_overflow);
            strbuf_puts(sb, ",\n     \"categories\": {");
            for (size_t k = 0; k < f->ncats; k++) {
                if (k)
                    strbuf_append(sb, ", ", 2);
                jsonw_string(sb, f->cats[k].value, strlen(f->cats[k].value));
                strbuf_printf(sb, ": %" PRIu64, f->cats[k].count);
            }
            strbuf_puts(sb, "}}");
        }
    }
    strbuf_puts(sb, p->nfeatures ? "\n  ]" : "]");
    if (p->has_rows) {
        const struct profile_rows *r = &p->rows_sample;
        strbuf_puts(sb, ",\n  \"row_sample\": {\"features\": [");
        for (size_t j = 0; j < r->nfeatures; j++) {
            if (j)
                strbuf_append(sb, ", ", 2);
            jsonw_string(sb, r->names[j], strlen(r->names[j]));
        }
        strbuf_puts(sb, "],\n   \"rows\": [");
        for (size_t k = 0; k < r->nrows; k++) {
            strbuf_puts(sb, k ? ",\n    [" : "\n    [");
            for (size_t j = 0; j < r->nfeatures; j++) {
                if (j)
                    strbuf_append(sb, ",", 1);
                jsonw_number(sb, r->values[k * r->nfeatures + j]); /* NAN: null */
            }
            strbuf_append(sb, "]", 1);
        }
        strbuf_puts(sb, r->nrows ? "\n  ]}" : "]}");
    }
    if (p->quality) {
        strbuf_puts(sb, ",\n  \"quality\": ");
        quality_profile_render(p->quality, sb);
    }
    strbuf_puts(sb, "\n}\n");
    return sb->failed ? -1 : 0;
}

int profile_write(const struct profile *p, const char *path, char *err, size_t errlen)
{
    struct strbuf sb;
    strbuf_init(&sb);
    if (profile_render(p, &sb) < 0) {
        strbuf_free(&sb);
        snprintf(err, errlen, "%s: out of memory rendering the profile", path);
        return -1;
    }
    int rc = outfile_write(path, sb.data, sb.len, err, errlen);
    strbuf_free(&sb);
    return rc;
}

/* ---- loading ---- */

/* A feature's sample or a row of the row sample parsed straight from the text (see extract_samples). */
struct extracted {
    size_t feature; /* index in "features", or in "row_sample.rows" when row is set */
    int row;
    double *values;
    size_t n;
};

struct loadctx {
    const char *name;
    char *err;
    size_t errlen;
    struct extracted *ex; /* in file order: samples by feature index, then rows by row index */
    size_t nex;
};

static int fail(struct loadctx *c, const char *path, const char *fmt, const char *detail)
{
    char what[512];
    snprintf(what, sizeof what, fmt, detail ? detail : "");
    snprintf(c->err, c->errlen, "%s: %s: %s", c->name, path, what);
    return -1;
}

/* Non-negative integer member; missing is an error. */
static int get_count(struct loadctx *c, const json_t *obj, const char *key, const char *at, uint64_t *out)
{
    char path[300];
    snprintf(path, sizeof path, "%s%s%s", at, *at ? "." : "", key);
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return fail(c, path, "missing%s", "");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, path, "expected a non-negative integer%s", "");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Optional number member (null or absent -> NAN). */
static int get_number(struct loadctx *c, const json_t *obj, const char *key, const char *at, double *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NAN;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v)) {
        char path[300];
        snprintf(path, sizeof path, "%s.%s", at, key);
        return fail(c, path, "expected a number or null%s", "");
    }
    *out = json_number_value(v);
    return 0;
}

static int load_feature(struct loadctx *c, const json_t *jf, size_t idx, struct profile_feature *f)
{
    char at[64];
    snprintf(at, sizeof at, "features[%zu]", idx);
    if (!json_is_object(jf))
        return fail(c, at, "expected an object%s", "");
    const json_t *name = json_object_get(jf, "name");
    if (!json_is_string(name) || json_string_length(name) == 0) {
        char path[80];
        snprintf(path, sizeof path, "%s.name", at);
        return fail(c, path, "expected a non-empty string%s", "");
    }
    f->name = strdup(json_string_value(name));
    if (!f->name)
        return fail(c, at, "out of memory%s", "");
    const char *type = json_string_value(json_object_get(jf, "type"));
    char path[128];
    snprintf(path, sizeof path, "%s.type", at);
    if (!type)
        return fail(c, path, "expected \"numeric\" or \"categorical\"%s", "");
    if (strcmp(type, "numeric") == 0)
        f->type = COL_NUMERIC;
    else if (strcmp(type, "categorical") == 0)
        f->type = COL_CATEGORICAL;
    else
        return fail(c, path, "unknown type '%s' (expected numeric or categorical)", type);
    const json_t *role = json_object_get(jf, "role");
    f->role = ROLE_FEATURE;
    if (role) {
        const char *r = json_string_value(role);
        snprintf(path, sizeof path, "%s.role", at);
        if (r && strcmp(r, "target") == 0)
            f->role = ROLE_TARGET;
        else if (r && strcmp(r, "prediction") == 0)
            f->role = ROLE_PREDICTION;
        else if (!r || strcmp(r, "feature") != 0)
            return fail(c, path, "expected \"feature\", \"target\" or \"prediction\"%s", "");
    }
    if (get_count(c, jf, "count", at, &f->count) < 0 || get_count(c, jf, "missing", at, &f->missing) < 0)
        return -1;
    f->mean = f->std = f->min = f->max = NAN;
    if (f->type == COL_NUMERIC) {
        if (get_number(c, jf, "mean", at, &f->mean) < 0 || get_number(c, jf, "std", at, &f->std) < 0 ||
            get_number(c, jf, "min", at, &f->min) < 0 || get_number(c, jf, "max", at, &f->max) < 0)
            return -1;
        const json_t *s = json_object_get(jf, "sample");
        snprintf(path, sizeof path, "%s.sample", at);
        if (!json_is_array(s))
            return fail(c, path, "%s", f->count ? "expected an array of numbers" : "expected an array ([] when empty)");
        struct extracted *ex = NULL;
        for (size_t k = 0; k < c->nex && !ex; k++)
            if (!c->ex[k].row && c->ex[k].feature == idx && c->ex[k].values)
                ex = &c->ex[k];
        size_t n = ex ? ex->n : json_array_size(s);
        if (n > f->count)
            return fail(c, path, "holds more values than count%s", "");
        if (f->count > 0 && n == 0)
            return fail(c, path, "empty while count > 0%s", "");
        if (ex) {
            /* parsed from the text already (finite by num_parse); take it over */
            f->sample = ex->values;
            ex->values = NULL;
        } else if (n) {
            f->sample = malloc(n * sizeof *f->sample);
            if (!f->sample)
                return fail(c, path, "out of memory%s", "");
        }
        for (size_t k = 0; k < n; k++) {
            if (!ex) {
                const json_t *v = json_array_get(s, k);
                if (!json_is_number(v) || !isfinite(json_number_value(v))) {
                    snprintf(path, sizeof path, "%s.sample[%zu]", at, k);
                    return fail(c, path, "not a finite number%s", "");
                }
                f->sample[k] = json_number_value(v);
            }
            if (k && f->sample[k] < f->sample[k - 1]) {
                snprintf(path, sizeof path, "%s.sample[%zu]", at, k);
                return fail(c, path, "not sorted ascending (the sample must be sorted)%s", "");
            }
            f->nsample++;
        }
    } else {
        const json_t *cats = json_object_get(jf, "categories");
        snprintf(path, sizeof path, "%s.categories", at);
        if (!json_is_object(cats))
            return fail(c, path, "expected an object of counts%s", "");
        size_t n = json_object_size(cats);
        if (n) {
            f->cats = calloc(n, sizeof *f->cats);
            if (!f->cats)
                return fail(c, path, "out of memory%s", "");
        }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)cats, key, v)
        {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                char p2[400];
                snprintf(p2, sizeof p2, "%s.categories[\"%.200s\"]", at, key);
                return fail(c, p2, "expected a non-negative integer count%s", "");
            }
            f->cats[f->ncats].value = strdup(key);
            if (!f->cats[f->ncats].value)
                return fail(c, path, "out of memory%s", "");
            f->cats[f->ncats].count = (uint64_t)json_integer_value(v);
            f->ncats++;
        }
        const json_t *ov = json_object_get(jf, "categories_overflow");
        if (json_is_integer(ov) && json_integer_value(ov) > 0)
            f->cats_overflow = (uint64_t)json_integer_value(ov);
    }
    return 0;
}

/* row_sample (docs/statistics.md): {"features": [numeric feature names], "rows": [[number|null, ...]]}. */
static int load_rows(struct loadctx *c, const json_t *rs, struct profile *p)
{
    struct profile_rows *r = &p->rows_sample;
    char path[128];
    if (!json_is_object(rs))
        return fail(c, "row_sample", "expected an object {\"features\": [...], \"rows\": [...]}%s", "");
    const json_t *names = json_object_get(rs, "features");
    if (!json_is_array(names))
        return fail(c, "row_sample.features", "expected an array of numeric feature names%s", "");
    size_t nf = json_array_size(names);
    r->names = calloc(nf ? nf : 1, sizeof *r->names);
    r->feature = calloc(nf ? nf : 1, sizeof *r->feature);
    if (!r->names || !r->feature)
        return fail(c, "row_sample", "out of memory%s", "");
    for (size_t j = 0; j < nf; j++) {
        const char *name = json_string_value(json_array_get(names, j));
        snprintf(path, sizeof path, "row_sample.features[%zu]", j);
        if (!name)
            return fail(c, path, "expected a feature name%s", "");
        int fi = profile_find(p, name);
        if (fi < 0 || p->features[fi].type != COL_NUMERIC)
            return fail(c, path, "'%s' is not a numeric feature of the profile", name);
        for (size_t k = 0; k < j; k++)
            if (r->feature[k] == (size_t)fi)
                return fail(c, path, "duplicate feature '%s'", name);
        r->names[j] = strdup(name);
        if (!r->names[j])
            return fail(c, path, "out of memory%s", "");
        r->feature[j] = (size_t)fi;
        r->nfeatures++;
    }
    const json_t *rows = json_object_get(rs, "rows");
    if (!json_is_array(rows))
        return fail(c, "row_sample.rows", "expected an array of rows%s", "");
    size_t n = json_array_size(rows);
    if (n && nf) {
        r->values = malloc(n * nf * sizeof *r->values);
        if (!r->values)
            return fail(c, "row_sample.rows", "out of memory%s", "");
    }
    size_t next_ex = 0;
    for (size_t k = 0; k < n; k++) {
        const json_t *row = json_array_get(rows, k);
        snprintf(path, sizeof path, "row_sample.rows[%zu]", k);
        while (next_ex < c->nex && (!c->ex[next_ex].row || c->ex[next_ex].feature < k))
            next_ex++;
        const struct extracted *ex = next_ex < c->nex && c->ex[next_ex].feature == k ? &c->ex[next_ex] : NULL;
        if (ex && ex->n == nf) { /* read by the fast path: plain numbers only */
            for (size_t j = 0; j < nf; j++) {
                if (!isfinite(ex->values[j])) {
                    snprintf(path, sizeof path, "row_sample.rows[%zu][%zu]", k, j);
                    return fail(c, path, "expected a finite number or null%s", "");
                }
                r->values[k * nf + j] = ex->values[j];
            }
            r->nrows++;
            continue;
        }
        if (ex || !json_is_array(row) || json_array_size(row) != nf) {
            char what[96];
            snprintf(what, sizeof what, "expected an array of %zu values (one per row_sample feature)", nf);
            return fail(c, path, "%s", what);
        }
        for (size_t j = 0; j < nf; j++) {
            const json_t *v = json_array_get(row, j);
            double x = NAN;
            if (json_is_number(v) && isfinite(json_number_value(v)))
                x = json_number_value(v);
            else if (!json_is_null(v)) {
                snprintf(path, sizeof path, "row_sample.rows[%zu][%zu]", k, j);
                return fail(c, path, "expected a finite number or null%s", "");
            }
            r->values[k * nf + j] = x;
        }
        r->nrows++;
    }
    p->has_rows = 1;
    return 0;
}

static int from_json(const json_t *root, const char *name, struct extracted *ex, size_t nex, struct profile **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    struct loadctx c = {.name = name, .err = err, .errlen = errlen, .ex = ex, .nex = nex};
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: not a JSON object (expected a driftwatch baseline profile)", name);
        return -1;
    }
    const json_t *ver = json_object_get(root, "driftwatch_profile");
    if (!ver)
        return fail(&c, "driftwatch_profile", "missing (is this a baseline made by 'driftwatch baseline'?)%s", "");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > PROFILE_VERSION) {
        char got[64];
        if (json_is_integer(ver))
            snprintf(got, sizeof got, "%" JSON_INTEGER_FORMAT, json_integer_value(ver));
        else
            snprintf(got, sizeof got, "(not an integer)");
        char what[512];
        snprintf(what, sizeof what, "unsupported version %s (this driftwatch reads versions 1 to %d; rebuild the "
                                    "baseline with 'driftwatch baseline')", got, PROFILE_VERSION);
        return fail(&c, "driftwatch_profile", "%s", what);
    }
    struct profile *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    p->version = (int)json_integer_value(ver);
    p->bins = PROFILE_DEFAULT_BINS;
    p->sample_size = PROFILE_DEFAULT_SAMPLE_SIZE;
    p->seed = PROFILE_DEFAULT_SEED;
    const char *created = json_string_value(json_object_get(root, "created_at"));
    p->created_at = strdup(created ? created : "");
    const json_t *src = json_object_get(root, "source");
    if (src && !json_is_object(src)) {
        fail(&c, "source", "expected an object%s", "");
        goto fail;
    }
    p->source = src ? json_deep_copy(src) : json_object();
    if (!p->created_at || !p->source) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto fail;
    }
    const json_t *rows = json_object_get(p->source, "rows");
    if (rows && (!json_is_integer(rows) || json_integer_value(rows) < 0)) {
        fail(&c, "source.rows", "expected a non-negative integer%s", "");
        goto fail;
    }
    p->rows = rows ? (uint64_t)json_integer_value(rows) : 0;
    const json_t *settings = json_object_get(root, "settings");
    if (settings) {
        const json_t *b = json_object_get(settings, "bins");
        if (b && (!json_is_integer(b) || json_integer_value(b) < 2 || json_integer_value(b) > 10000)) {
            fail(&c, "settings.bins", "expected an integer from 2 to 10000%s", "");
            goto fail;
        }
        if (b)
            p->bins = (int)json_integer_value(b);
        const json_t *ss = json_object_get(settings, "sample_size");
        if (json_is_integer(ss) && json_integer_value(ss) > 0)
            p->sample_size = (size_t)json_integer_value(ss);
        const json_t *sd = json_object_get(settings, "seed");
        if (json_is_integer(sd))
            p->seed = (uint64_t)json_integer_value(sd);
        const json_t *rs = json_object_get(settings, "row_sample");
        if (json_is_integer(rs) && json_integer_value(rs) >= 0)
            p->row_sample_size = (size_t)json_integer_value(rs);
    }
    const json_t *features = json_object_get(root, "features");
    if (!json_is_array(features)) {
        fail(&c, "features", "%s", features ? "expected an array" : "missing");
        goto fail;
    }
    size_t n = json_array_size(features);
    if (n) {
        p->features = calloc(n, sizeof *p->features);
        if (!p->features) {
            snprintf(err, errlen, "%s: out of memory", name);
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct profile_feature *f = &p->features[p->nfeatures++];
        if (load_feature(&c, json_array_get(features, i), i, f) < 0)
            goto fail;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(p->features[k].name, f->name) == 0) {
                char at[64];
                snprintf(at, sizeof at, "features[%zu].name", i);
                fail(&c, at, "duplicate feature name '%s'", f->name);
                goto fail;
            }
        }
    }
    const json_t *rs = json_object_get(root, "row_sample");
    if (rs && p->version >= 2 && load_rows(&c, rs, p) < 0)
        goto fail;
    const json_t *quality = json_object_get(root, "quality");
    if (quality && quality_profile_from_json(quality, name, &p->quality, err, errlen) < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    profile_free(p);
    return -1;
}

/* Whole file into memory (json_load_file reads a byte at a time through getc). */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int profile_from_json(const json_t *root, const char *name, struct profile **out, char *err, size_t errlen)
{
    return from_json(root, name, NULL, 0, out, err, errlen);
}

/* ---- fast path for the samples ----
 * A profile is mostly the numbers of its samples (100 features x 10000 values) and of its row
 * sample (5000 rows x the numeric features); as jansson values they take ~40 bytes each and a
 * strtod+localeconv per number (2000 features: 20M numbers, 1 GB). This pre-pass walks the
 * JSON text with a minimal tokenizer, parses each root.features[i].sample array and each
 * root.row_sample.rows[k] array of plain numbers with num_parse into a double array, and blanks it
 * in the text, so jansson only sees "[ ]" (a row with a null is left to jansson).
 * Anything unusual (deep nesting, a non-number element) is left in place for jansson and the
 * ordinary validation, which then reports it by JSON path. */

struct frame {
    char type;       /* '{' or '[' */
    char expect_key; /* object: the next string is a key */
    char key;        /* object: 'f' after key "features", 's' "sample", 'r' "row_sample", 'w' "rows", else 0 */
    size_t index;    /* array: current element */
};

static size_t skip_string(const char *t, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return len;
}

/* Parses the array opening at t[i] == '['; returns the index after ']' and fills *vals and *n, or 0
 * when an element is not a plain finite number (nothing is changed then). */
static size_t parse_number_array(char *t, size_t len, size_t i, double **vals, size_t *n)
{
    size_t cap = 1024, k = 0, p = i + 1;
    double *v = malloc(cap * sizeof *v);
    if (!v)
        return 0;
    for (;;) {
        while (p < len && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t'))
            p++;
        if (p < len && t[p] == ']' && k == 0)
            break;
        size_t s = p;
        while (p < len && ((t[p] >= '0' && t[p] <= '9') || t[p] == '-' || t[p] == '+' || t[p] == '.' ||
                           t[p] == 'e' || t[p] == 'E'))
            p++;
        if (k == cap) {
            double *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv)
                goto fail;
            v = nv;
            cap *= 2;
        }
        if (p == s || num_parse(t + s, p - s, &v[k]) < 0)
            goto fail;
        k++;
        while (p < len && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t'))
            p++;
        if (p < len && t[p] == ',') {
            p++;
            continue;
        }
        if (p < len && t[p] == ']')
            break;
        goto fail;
    }
    memset(t + i + 1, ' ', p - i - 1);
    double *tight = realloc(v, (k ? k : 1) * sizeof *v); /* the doubling's slack would stay with the profile */
    *vals = tight ? tight : v;
    *n = k;
    return p + 1;
fail:
    free(v);
    return 0;
}

static void extract_samples(char *t, size_t len, struct extracted **out, size_t *nout)
{
    struct frame st[8];
    int depth = 0;
    struct extracted *ex = NULL;
    size_t nex = 0, cap = 0;
    size_t i = 0;
    while (i < len) {
        char ch = t[i];
        struct frame *top = depth ? &st[depth - 1] : NULL;
        switch (ch) {
        case '"': {
            size_t e = skip_string(t, len, i);
            if (top && top->type == '{' && top->expect_key) {
                size_t klen = e - i - 2;
                top->key = klen == 8 && memcmp(t + i + 1, "features", 8) == 0     ? 'f'
                           : klen == 6 && memcmp(t + i + 1, "sample", 6) == 0     ? 's'
                           : klen == 10 && memcmp(t + i + 1, "row_sample", 10) == 0 ? 'r'
                           : klen == 4 && memcmp(t + i + 1, "rows", 4) == 0       ? 'w'
                                                                                  : 0;
                top->expect_key = 0;
            }
            i = e;
            continue;
        }
        case ',':
            if (top && top->type == '{')
                top->expect_key = 1;
            else if (top)
                top->index++;
            break;
        case '{':
        case '[': {
            /* root{features: [ {sample: [   or   root{row_sample: {rows: [ [ */
            int sample = depth == 3 && st[0].key == 'f' && st[1].type == '[' && st[2].key == 's';
            int row = depth == 3 && st[0].key == 'r' && st[1].type == '{' && st[1].key == 'w' && st[2].type == '[';
            if (ch == '[' && (sample || row)) {
                double *vals = NULL;
                size_t n = 0;
                size_t next = parse_number_array(t, len, i, &vals, &n);
                if (next) {
                    if (nex == cap) {
                        size_t nc = cap ? cap * 2 : 16;
                        struct extracted *ne = realloc(ex, nc * sizeof *ne);
                        if (!ne) {
                            /* the text is already blanked here: keep going, loading will
                             * report the empty sample rather than read wrong data */
                            free(vals);
                            i = next;
                            continue;
                        }
                        ex = ne;
                        cap = nc;
                    }
                    ex[nex++] = (struct extracted){.feature = row ? st[2].index : st[1].index, .row = row,
                                                   .values = vals, .n = n};
                    i = next;
                    continue;
                }
            }
            if (depth == (int)(sizeof st / sizeof st[0]))
                goto done; /* deeper than a profile gets: leave the rest to jansson */
            st[depth++] = (struct frame){.type = ch, .expect_key = ch == '{', .key = 0, .index = 0};
            break;
        }
        case '}':
        case ']':
            if (depth)
                depth--;
            break;
        default:
            break;
        }
        i++;
    }
done:
    *out = ex;
    *nout = nex;
}

int profile_load(const char *path, struct profile **out, char *err, size_t errlen)
{
    *out = NULL;
    json_error_t je;
    size_t len = 0;
    char *text = slurp(path, &len, err, errlen);
    if (!text)
        return -1;
    struct extracted *ex = NULL;
    size_t nex = 0;
    extract_samples(text, len, &ex, &nex);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je); /* the fast sample path reads the first of duplicate keys: refuse them */
    free(text);
    if (!root) {
        for (size_t i = 0; i < nex; i++)
            free(ex[i].values);
        free(ex);
        if (je.line < 1)
            snprintf(err, errlen, "%s: %s", path, je.text);
        else
            snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
        return -1;
    }
    int rc = from_json(root, path, ex, nex, out, err, errlen);
    json_decref(root);
    for (size_t i = 0; i < nex; i++)
        free(ex[i].values);
    free(ex);
    return rc;
}

struct columns *columns_new_for_profile(const struct profile *p, const struct columns_options *opt)
{
    /* every value, and every whole row when the profile has a row sample (docs/statistics.md) */
    struct columns_options all = {.row_sample = p->has_rows ? COLUMNS_ALL_ROWS : 0};
    struct columns *t = columns_new(opt ? opt : &all);
    if (!t)
        return NULL;
    const char *pred = NULL, *target = NULL;
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        if (columns_add(t, f->name, f->type, f->role) < 0) {
            columns_free(t);
            return NULL;
        }
        if (f->role == ROLE_PREDICTION && !pred)
            pred = f->name;
        /* the score column has the prediction role too: the quality section says which is which */
        if (p->quality && p->quality->prediction)
            pred = p->quality->prediction;
        if (f->role == ROLE_TARGET && !target)
            target = f->name;
    }
    if (columns_set_roles(t, pred, target) < 0 ||
        (p->quality && p->quality->score && !(t->score_name = strdup(p->quality->score)))) {
        columns_free(t);
        return NULL;
    }
    return t;
}
