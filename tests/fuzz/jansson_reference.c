/* The reference reading of a sample body (see jansson_reference.h): the core's former jansson
 * reader, kept only as the independent side of the differential fuzz targets. The whole body is
 * tried as one JSON value first (array or object); when that fails at a line break it is NDJSON. */
#include "jansson_reference.h"

#include <stdio.h>
#include <string.h>

#include "sample/sample_row.h"

static void note_error(struct ref_stats *st, const char *fmt_where, size_t where, const char *why)
{
    st->rejected++;
    if (st->first_error[0])
        return;
    char loc[64];
    snprintf(loc, sizeof loc, fmt_where, where);
    snprintf(st->first_error, sizeof st->first_error, "%s%s", loc, why);
}

int ref_validate_sample(const json_t *sample, char *why, size_t whylen)
{
    if (!json_is_object(sample)) {
        snprintf(why, whylen, ": a sample must be a JSON object");
        return -1;
    }
    const json_t *features = json_object_get(sample, "features");
    const json_t *fields = features ? features : sample;
    if (features && !json_is_object(features)) {
        snprintf(why, whylen, ".features: must be an object of feature values");
        return -1;
    }
    const json_t *ts = json_object_get(sample, "timestamp");
    if (features && ts && !json_is_string(ts) && !json_is_null(ts)) {
        snprintf(why, whylen, ".timestamp: must be an RFC 3339 string");
        return -1;
    }
    if (json_object_size(fields) == 0) {
        snprintf(why, whylen, "%s: no feature values", features ? ".features" : "");
        return -1;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)fields, key, v) {
        /* a flat sample's keys are all features (docs/data-formats.md): no container there either */
        if (json_is_object(v) || json_is_array(v)) {
            snprintf(why, whylen, "%s.%s: a feature value must be a number, string, boolean or null",
                     features ? ".features" : "", key);
            return -1;
        }
    }
    return 0;
}

static int take(json_t *sample, const char *text, size_t len, ref_sample_fn fn, void *ctx,
                struct ref_stats *st, const char *fmt_where, size_t where)
{
    char why[192];
    if (ref_validate_sample(sample, why, sizeof why) < 0) {
        note_error(st, fmt_where, where, why);
        return 0;
    }
    st->accepted++;
    return fn(ctx, sample, text, len);
}

static int parse_ndjson(const char *body, size_t len, ref_sample_fn fn, void *ctx, struct ref_stats *st)
{
    size_t line = 0;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        size_t n = (size_t)(eol - p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        const char *nul = n > 0 ? memchr(p, '\0', n) : NULL;
        if (nul) {
            char why[64];
            snprintf(why, sizeof why, ", column %zu: a NUL byte is not allowed in JSON", (size_t)(nul - p) + 1);
            note_error(st, "line %zu", line, why);
        } else if (n > 0) {
            json_error_t jerr;
            json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr); /* text after the object: refused */
            if (!v) {
                char why[192];
                snprintf(why, sizeof why, ", column %d: %s", jerr.column, jerr.text);
                note_error(st, "line %zu", line, why);
            } else {
                int stop = take(v, p, n, fn, ctx, st, "line %zu", line);
                json_decref(v);
                if (stop)
                    return 0;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int has_several_lines(const char *body, size_t len)
{
    const char *nl = memchr(body, '\n', len);
    if (!nl)
        return 0;
    for (const char *p = nl + 1; p < body + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return 1;
    return 0;
}

/* jansson skips a NUL byte between tokens ("25\0," reads as "25,"), so a line holding one would be
 * accepted and its text, kept as the window's copy, cut short at the NUL: such text is refused. */
int ref_parse_body(const char *body, size_t len, ref_sample_fn fn, void *ctx, struct ref_stats *st)
{
    memset(st, 0, sizeof *st);
    json_error_t jerr;
    const char *nul = memchr(body, '\0', len);
    json_t *root = nul ? NULL : json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* Not one JSON value: with more than one non-empty line it is NDJSON, and each line gets
         * its own verdict (one bad line must not lose the others). */
        if (has_several_lines(body, len))
            return parse_ndjson(body, len, fn, ctx, st);
        if (nul) {
            snprintf(st->first_error, sizeof st->first_error, "line 1, column %zu: a NUL byte is not allowed in JSON",
                     (size_t)(nul - body) + 1);
            st->rejected = 1;
            return -1;
        }
        snprintf(st->first_error, sizeof st->first_error, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        /* The body counts as one rejected sample: bad input, final, never "retry later". */
        st->rejected = 1;
        return -1;
    }
    if (json_is_array(root)) {
        size_t i;
        json_t *v;
        json_array_foreach(root, i, v) {
            if (take(v, NULL, 0, fn, ctx, st, "$[%zu]", i))
                break;
        }
    } else {
        take(root, NULL, 0, fn, ctx, st, "$%.0zu", 0);
    }
    json_decref(root);
    return 0;
}

/* A JSON value into column idx, as the core counted it before the sample reader. */
static void put_json(struct columns *t, int idx, const json_t *v)
{
    int categorical = idx >= 0 && (size_t)idx < t->ncols && t->cols[idx].type == COL_CATEGORICAL;
    char buf[32];
    if (json_is_string(v)) {
        columns_put_text(t, idx, json_string_value(v), json_string_length(v));
    } else if (!v || json_is_null(v)) {
        columns_put_text(t, idx, "", 0);
    } else if (json_is_integer(v) && categorical) {
        /* integers print exactly, also beyond 2^53 */
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        columns_put_text(t, idx, buf, (size_t)n);
    } else if (json_is_integer(v)) {
        columns_put_number(t, idx, (double)json_integer_value(v));
    } else if (json_is_real(v)) {
        columns_put_number(t, idx, json_real_value(v));
    } else if (json_is_boolean(v) && categorical) {
        columns_put_text(t, idx, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
    } else {
        columns_put_invalid(t, idx); /* booleans in a numeric column, arrays and objects anywhere */
    }
}

/* envelope: a flat sample, whose envelope keys are not features unless the schema has them */
static void put_object(struct columns *t, const json_t *obj, int envelope)
{
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)obj, key, klen, v)
    {
        int idx = columns_findn(t, key, klen);
        if (idx < 0 && klen > 0 && !(envelope && sample_is_envelope_key(key, klen)))
            columns_note_unknown(t, key, klen, 1);
        put_json(t, idx, v);
    }
}

int ref_add_row(struct columns *t, const json_t *obj)
{
    if (!json_is_object(obj))
        return -2;
    columns_begin_row(t);
    const json_t *features = json_object_get(obj, "features");
    if (json_is_object(features)) {
        put_object(t, features, 0);
        const json_t *pred = json_object_get(obj, "prediction");
        if (pred && !json_is_array(pred) && !json_is_object(pred))
            put_json(t, columns_find(t, t->prediction_name ? t->prediction_name : "prediction"), pred);
        const json_t *label = json_object_get(obj, "label");
        if (label && !json_is_array(label) && !json_is_object(label))
            put_json(t, columns_find(t, t->target_name ? t->target_name : "label"), label);
    } else {
        put_object(t, obj, 1);
    }
    const json_t *ts = json_object_get(obj, "timestamp");
    if (json_is_string(ts))
        columns_note_timestamp(t, json_string_value(ts));
    return columns_end_row(t);
}
