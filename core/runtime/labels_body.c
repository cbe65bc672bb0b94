/* Labels bodies (see labels_body.h), read with jansson: labels are not samples, and a body is
 * small next to the samples they label. */
#include "runtime/labels_body.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sample/sample_batch.h"

static void reject(struct labels_read *st, const char *where, const char *why)
{
    if (!st->rejected++)
        snprintf(st->first_error, sizeof st->first_error, "%.96s%.150s", where, why);
}

/* A scalar as text; 0, or -1 when v is not a usable scalar. */
static int text_of(const json_t *v, char *out, size_t outlen, int allow_real)
{
    if (json_is_string(v))
        snprintf(out, outlen, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (allow_real && json_is_real(v))
        snprintf(out, outlen, "%g", json_real_value(v));
    else if (allow_real && json_is_boolean(v))
        snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return out[0] ? 0 : -1;
}

/* One element; where is "line 3: $" or "$[2]". Returns fn's result, or 0 after a rejection. */
static int take(const json_t *v, const char *where, label_item_fn fn, void *ctx, struct labels_read *st)
{
    char loc[96], rid[256], label[256];
    if (!json_is_object(v)) {
        reject(st, where, ": a label must be an object {\"request_id\": ..., \"label\": ...}");
        return 0;
    }
    const json_t *r = json_object_get(v, "request_id"), *l = json_object_get(v, "label");
    if (!r || text_of(r, rid, sizeof rid, 0) < 0) {
        snprintf(loc, sizeof loc, "%s.request_id", where);
        reject(st, loc, r ? ": must be a non-empty string or an integer" : ": missing");
        return 0;
    }
    if (!l || text_of(l, label, sizeof label, 1) < 0) {
        snprintf(loc, sizeof loc, "%s.label", where);
        reject(st, loc, l ? ": must be a string, number or boolean" : ": missing");
        return 0;
    }
    struct label_item it = {.request_id = rid, .label = label,
                            .number = json_is_number(l) ? json_number_value(l) : NAN};
    st->accepted++;
    return fn(ctx, &it);
}

static int read_ndjson(const char *body, size_t len, label_item_fn fn, void *ctx, struct labels_read *st)
{
    size_t line = 0;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        line++;
        size_t n = (size_t)(stop - p);
        const char *start = p;
        p = stop + 1;
        while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == ' ' || start[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        char where[96];
        json_error_t je;
        json_t *v = memchr(start, '\0', n) ? NULL : json_loadb(start, n, JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            snprintf(where, sizeof where, "line %zu", line);
            char why[200];
            snprintf(why, sizeof why, ", column %d: %s", memchr(start, '\0', n) ? 1 : je.column,
                     memchr(start, '\0', n) ? "a NUL byte is not allowed in JSON" : je.text);
            reject(st, where, why);
            continue;
        }
        snprintf(where, sizeof where, "line %zu: $", line);
        int rc = take(v, where, fn, ctx, st);
        json_decref(v);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int labels_body_read(const char *body, size_t len, label_item_fn fn, void *ctx, struct labels_read *st)
{
    memset(st, 0, sizeof *st);
    json_error_t je;
    json_t *root = memchr(body, '\0', len) ? NULL : json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (sample_body_has_lines(body, len))
            return read_ndjson(body, len, fn, ctx, st);
        if (memchr(body, '\0', len))
            snprintf(st->first_error, sizeof st->first_error, "a NUL byte is not allowed in JSON");
        else
            snprintf(st->first_error, sizeof st->first_error, "line %d, column %d: %s", je.line, je.column, je.text);
        st->rejected = 1;
        return -1;
    }
    int rc = 0;
    if (json_is_array(root)) {
        size_t i;
        json_t *v;
        json_array_foreach(root, i, v) {
            char where[32];
            snprintf(where, sizeof where, "$[%zu]", i);
            if ((rc = take(v, where, fn, ctx, st)) < 0)
                break;
        }
    } else {
        rc = take(root, "$", fn, ctx, st);
    }
    json_decref(root);
    return rc < 0 ? rc : 0;
}
