/* File readers on top of csv.c and columns.c: header checks, field-count and JSON checks with
 * path:line messages, MD5 of the file during the inference pass. See source.h. */
#include "data/source.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "sample/numparse.h"
#include "util/utf8.h"

#define PROGRESS_EVERY (8u << 20)

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int source_detect(const char *path, enum source_format *fmt, char *err, size_t errlen)
{
    if (ends_with(path, ".csv")) {
        *fmt = SOURCE_CSV;
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int c;
    do
        c = fgetc(f);
    while (c != EOF && isspace(c));
    fclose(f);
    int json_ext = ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json");
    if (c == '[')
        *fmt = SOURCE_JSON_ARRAY;
    else if (c == '{' || json_ext)
        *fmt = SOURCE_JSONL;
    else
        *fmt = SOURCE_CSV;
    return 0;
}

/* Bad row: fatal under strict, else counted and reported. Returns -1 when fatal. */
static int bad_row(const struct source_options *o, uint64_t *count, const char *msg, char *err, size_t errlen)
{
    if (o && o->strict) {
        snprintf(err, errlen, "%s (fatal with --strict)", msg);
        return -1;
    }
    (*count)++;
    if (o && o->on_bad_row)
        o->on_bad_row(o->ud, msg);
    return 0;
}

/* The next CSV row with the header's field count, both passes' loop: bad rows (malformed, wrong
 * field count) are reported and skipped, or fatal under --strict. Returns 1 with *row, 0 at end of
 * file, -1 with err. */
static int next_csv_row(struct csv_reader *r, struct csv_row *row, size_t nheader, const char *path,
                        const struct source_options *o, uint64_t *bad_rows, char *err, size_t errlen)
{
    char msg[1024];
    for (;;) {
        int k = csv_read_row(r, row, msg, sizeof msg);
        if (k == 0)
            return 0;
        if (k == -1) {
            snprintf(err, errlen, "%s", msg);
            return -1;
        }
        if (k == 1 && row->nfields == nheader)
            return 1;
        if (k == 1)
            snprintf(msg, sizeof msg, "%s:%llu: expected %zu fields (as in the header), found %zu; row skipped", path,
                     (unsigned long long)row->line, nheader, row->nfields);
        if (bad_row(o, bad_rows, msg, err, errlen) < 0)
            return -1;
    }
}

static void progress(const struct source_options *o, const char *phase, struct csv_reader *r, uint64_t *next)
{
    if (!o || !o->on_progress)
        return;
    uint64_t off = csv_offset(r);
    if (off >= *next) {
        o->on_progress(o->ud, phase, off, csv_size(r));
        *next = off + PROGRESS_EVERY;
    }
}

/* Header names, UTF-8-repaired; rejects empty and duplicate names. names is a catmap (name ->
 * field index) so the caller can look fields up. */
static int read_header(struct csv_reader *r, const char *path, struct catmap **names_out, char ***list_out,
                       size_t *n_out, char *err, size_t errlen)
{
    struct csv_row row;
    char rerr[512];
    int rc = csv_read_row(r, &row, rerr, sizeof rerr);
    if (rc == 0) {
        snprintf(err, errlen, "%s: empty file (expected a header row)", path);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", rerr);
        return -1;
    }
    struct catmap *names = catmap_new(0);
    char **list = calloc(row.nfields, sizeof *list);
    if (!names || !list)
        goto nomem;
    for (size_t i = 0; i < row.nfields; i++) {
        const struct csv_field *f = &row.fields[i];
        char *name = malloc(3 * f->len + 1);
        if (!name)
            goto nomem;
        utf8_sanitize(f->ptr, f->len, name);
        list[i] = name;
        if (name[0] == '\0') {
            snprintf(err, errlen, "%s:%llu: column %zu of the header has an empty name", path,
                     (unsigned long long)row.line, i + 1);
            goto fail;
        }
        long prev = catmap_find(names, name, strlen(name));
        if (prev >= 0) {
            snprintf(err, errlen, "%s:%llu: duplicate column name '%s' (columns %ld and %zu)", path,
                     (unsigned long long)row.line, name, prev + 1, i + 1);
            goto fail;
        }
        if (catmap_add(names, name, strlen(name), 1) < 0)
            goto nomem;
    }
    *names_out = names;
    *list_out = list;
    *n_out = row.nfields;
    return 0;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    if (list)
        for (size_t i = 0; i < row.nfields; i++)
            free(list[i]);
    free(list);
    catmap_free(names);
    return -1;
}

static void free_list(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void md5_hook(void *ud, const void *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)ud, p, n);
}

/* Inference state: per column, whether a non-number was seen. */
struct infer {
    struct source_schema *s;
    struct catmap *names;
    size_t cap;
    int *nonnumeric;
};

/* Column index for a name, adding the column on first sight. The names map stores index + 1 as
 * the count, under the name as given and, when it differs, its UTF-8-repaired spelling. */
static long infer_column(struct infer *in, const char *name, size_t len, enum col_role role)
{
    long e = catmap_find(in->names, name, len);
    if (e >= 0)
        return (long)catmap_count(in->names, (size_t)e) - 1;
    struct source_schema *s = in->s;
    if (s->ncols == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        struct source_column *c = realloc(s->cols, cap * sizeof *c);
        if (!c)
            return -1;
        s->cols = c;
        int *nn = realloc(in->nonnumeric, cap * sizeof *nn);
        if (!nn)
            return -1;
        in->nonnumeric = nn;
        in->cap = cap;
    }
    char *copy = malloc(3 * len + 1);
    if (!copy)
        return -1;
    size_t clen = utf8_sanitize(name, len, copy);
    e = catmap_find(in->names, copy, clen);
    if (e >= 0) {
        /* the repaired spelling is a known column: remember this spelling too */
        long idx = (long)catmap_count(in->names, (size_t)e) - 1;
        free(copy);
        return catmap_add(in->names, name, len, (uint64_t)idx + 1) < 0 ? -1 : idx;
    }
    long idx = (long)s->ncols;
    if (catmap_add(in->names, copy, clen, (uint64_t)idx + 1) < 0 ||
        (clen != len && catmap_add(in->names, name, len, (uint64_t)idx + 1) < 0)) {
        free(copy);
        return -1;
    }
    s->cols[idx] = (struct source_column){.name = copy, .type = COL_NUMERIC, .role = role};
    in->nonnumeric[idx] = 0;
    s->ncols++;
    return idx;
}

static void infer_text(struct infer *in, long idx, const char *p, size_t len)
{
    if (len == 0 || num_is_nan_text(p, len))
        return;
    in->s->cols[idx].values++;
    if (in->nonnumeric[idx])
        return;
    if (!num_valid(p, len))
        in->nonnumeric[idx] = 1;
}

static void infer_json(struct infer *in, long idx, const json_t *v)
{
    if (json_is_null(v))
        return;
    if (json_is_string(v)) {
        infer_text(in, idx, json_string_value(v), json_string_length(v));
        return;
    }
    if (json_is_number(v)) {
        in->s->cols[idx].values++;
        return;
    }
    if (json_is_boolean(v)) {
        in->s->cols[idx].values++;
        in->nonnumeric[idx] = 1;
    }
    /* arrays and objects are not values: they do not decide the type */
}

static int infer_object(struct infer *in, const json_t *obj, enum col_role role, const char *as_name)
{
    if (as_name) {
        long idx = infer_column(in, as_name, strlen(as_name), role);
        if (idx < 0)
            return -1;
        if (!json_is_array(obj) && !json_is_object(obj))
            infer_json(in, idx, obj);
        return 0;
    }
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)obj, key, klen, v)
    {
        if (klen == 0)
            continue; /* a feature needs a name (as a CSV header column does): "" is ignored */
        long idx = infer_column(in, key, klen, ROLE_FEATURE);
        if (idx < 0)
            return -1;
        infer_json(in, idx, v);
    }
    return 0;
}

/* One JSON object (flat, or a sample with features/prediction/label). Returns 0 or -1 (memory). */
static int infer_row(struct infer *in, const json_t *v, const struct source_options *o)
{
    const json_t *features = json_object_get(v, "features");
    if (!json_is_object(features))
        return infer_object(in, v, ROLE_FEATURE, NULL);
    int e = infer_object(in, features, ROLE_FEATURE, NULL);
    const json_t *pred = json_object_get(v, "prediction");
    const json_t *label = json_object_get(v, "label");
    if (!e && pred)
        e = infer_object(in, pred, ROLE_PREDICTION, o && o->prediction_name ? o->prediction_name : "prediction");
    if (!e && label)
        e = infer_object(in, label, ROLE_TARGET, o && o->target_name ? o->target_name : "label");
    return e;
}

/* A whole file holding one JSON array of objects. Calls fn for each object; other elements are
 * bad rows ("path: [i]: ..."). Returns 0, or -1 with err. */
static int each_array_object(const char *path, const struct source_options *o, uint64_t *rows, uint64_t *bad,
                             int (*fn)(void *ud, const json_t *obj), void *ud, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: expected a JSON array of objects", path);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(root); i++) {
        const json_t *v = json_array_get(root, i);
        if (!json_is_object(v)) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: [%zu]: expected a JSON object; element skipped", path, i);
            rc = bad_row(o, bad, msg, err, errlen);
            continue;
        }
        if (fn(ud, v) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
        (*rows)++;
    }
    json_decref(root);
    return rc;
}

struct infer_array_ctx {
    struct infer *in;
    const struct source_options *o;
};

static int infer_array_row(void *ud, const json_t *v)
{
    struct infer_array_ctx *c = ud;
    return infer_row(c->in, v, c->o);
}

static int read_array_row(void *ud, const json_t *v)
{
    return columns_add_row_json((struct columns *)ud, v) == -1 ? -1 : 0;
}

/* Parses one JSON line; on a bad row fills msg and returns NULL. A key twice in one object is a
 * bad row, as it is for ingest and baseline profiles: which of the two values counts is anyone's guess. */
static json_t *parse_line(const char *path, const struct csv_row *row, char *msg, size_t msglen)
{
    json_error_t je;
    json_t *v = json_loadb(row->fields[0].ptr, row->fields[0].len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        snprintf(msg, msglen, "%s:%llu:%d: invalid JSON: %s; line skipped", path, (unsigned long long)row->line,
                 je.column > 0 ? je.column : 1, je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        snprintf(msg, msglen, "%s:%llu: expected a JSON object, found an array; line skipped", path,
                 (unsigned long long)row->line);
        json_decref(v);
        return NULL;
    }
    return v;
}

int source_infer(const char *path, const struct source_options *o, struct source_schema **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    enum source_format fmt;
    if (source_detect(path, &fmt, err, errlen) < 0)
        return -1;
    struct source_schema *s = calloc(1, sizeof *s);
    struct infer in = {.s = s};
    struct csv_reader *r = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char **header = NULL;
    size_t nheader = 0;
    struct catmap *hnames = NULL;
    int rc = -1;
    if (!s || !md || !(in.names = catmap_new(0))) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    s->format = fmt;
    if (!EVP_DigestInit_ex(md, EVP_md5(), NULL)) {
        snprintf(err, errlen, "%s: MD5 unavailable in this OpenSSL", path);
        goto out;
    }
    r = csv_open(path, fmt == SOURCE_CSV ? 0 : CSV_LINES, err, errlen);
    if (!r)
        goto out;
    csv_set_chunk_hook(r, md5_hook, md);
    if (fmt == SOURCE_JSON_ARRAY) {
        /* read through once for the MD5, then let jansson have the document */
        struct csv_row line;
        char msg0[256];
        while (csv_read_row(r, &line, msg0, sizeof msg0) > 0)
            ;
        struct infer_array_ctx ctx = {.in = &in, .o = o};
        if (each_array_object(path, o, &s->rows, &s->bad_rows, infer_array_row, &ctx, err, errlen) < 0)
            goto out;
    }
    uint64_t next_progress = PROGRESS_EVERY;
    char msg[1024];
    struct csv_row row;

    if (fmt == SOURCE_CSV) {
        if (read_header(r, path, &hnames, &header, &nheader, err, errlen) < 0)
            goto out;
        for (size_t i = 0; i < nheader; i++) {
            if (infer_column(&in, header[i], strlen(header[i]), ROLE_FEATURE) < 0) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
        }
        int k;
        while ((k = next_csv_row(r, &row, nheader, path, o, &s->bad_rows, err, errlen)) > 0) {
            for (size_t i = 0; i < nheader; i++)
                infer_text(&in, (long)i, row.fields[i].ptr, row.fields[i].len);
            s->rows++;
            progress(o, "scanning", r, &next_progress);
        }
        if (k < 0)
            goto out;
    } else if (fmt == SOURCE_JSONL) {
        int k;
        for (;;) {
            k = csv_read_row(r, &row, msg, sizeof msg);
            if (k == 0)
                break;
            if (k == -1) {
                snprintf(err, errlen, "%s", msg);
                goto out;
            }
            json_t *v = parse_line(path, &row, msg, sizeof msg);
            if (!v) {
                if (bad_row(o, &s->bad_rows, msg, err, errlen) < 0)
                    goto out;
                continue;
            }
            int e = infer_row(&in, v, o);
            json_decref(v);
            if (e < 0) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            s->rows++;
            progress(o, "scanning", r, &next_progress);
        }
        if (s->rows == 0 && s->bad_rows == 0 && csv_offset(r) == 0) {
            snprintf(err, errlen, "%s: empty file", path);
            goto out;
        }
    }
    for (size_t i = 0; i < s->ncols; i++)
        s->cols[i].type = in.nonnumeric[i] ? COL_CATEGORICAL : COL_NUMERIC;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_DigestFinal_ex(md, digest, &dlen);
    for (unsigned i = 0; i < dlen && i < 16; i++)
        snprintf(s->md5 + 2 * i, 3, "%02x", digest[i]);
    s->bytes = csv_offset(r);
    rc = 0;
out:
    csv_close(r);
    EVP_MD_CTX_free(md);
    free_list(header, nheader);
    catmap_free(hnames);
    catmap_free(in.names);
    free(in.nonnumeric);
    if (rc == 0)
        *out = s;
    else
        source_schema_free(s);
    return rc;
}

void source_schema_free(struct source_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    free(s);
}

int source_read(const char *path, const struct source_options *o, struct columns *t, struct source_stats *st,
                char *err, size_t errlen)
{
    struct source_stats local = {0};
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    enum source_format fmt;
    if (source_detect(path, &fmt, err, errlen) < 0)
        return -1;
    if (fmt == SOURCE_JSON_ARRAY)
        return each_array_object(path, o, &st->rows, &st->bad_rows, read_array_row, t, err, errlen);
    struct csv_reader *r = csv_open(path, fmt == SOURCE_JSONL ? CSV_LINES : 0, err, errlen);
    if (!r)
        return -1;
    char **header = NULL;
    size_t nheader = 0;
    struct catmap *hnames = NULL;
    int *map = NULL;
    int rc = -1;
    uint64_t next_progress = PROGRESS_EVERY;
    char msg[1024];
    struct csv_row row;
    int k;

    if (fmt == SOURCE_CSV) {
        if (read_header(r, path, &hnames, &header, &nheader, err, errlen) < 0)
            goto out;
        map = malloc(nheader * sizeof *map);
        if (!map) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto out;
        }
        for (size_t i = 0; i < nheader; i++)
            map[i] = columns_find(t, header[i]);
        while ((k = next_csv_row(r, &row, nheader, path, o, &st->bad_rows, err, errlen)) > 0) {
            columns_begin_row(t);
            for (size_t i = 0; i < nheader; i++) {
                if (map[i] >= 0)
                    columns_put_text(t, map[i], row.fields[i].ptr, row.fields[i].len);
            }
            if (columns_end_row(t) < 0) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            st->rows++;
            progress(o, "reading", r, &next_progress);
        }
        if (k < 0)
            goto out;
        /* header columns the table lacks: docs/statistics.md's unexpected columns, carried by every row */
        for (size_t i = 0; i < nheader; i++)
            if (map[i] < 0)
                columns_note_unknown(t, header[i], strlen(header[i]), st->rows);
        if (t->failed) {
            t->failed = 0;
            snprintf(err, errlen, "%s: out of memory", path);
            goto out;
        }
    } else {
        for (;;) {
            k = csv_read_row(r, &row, msg, sizeof msg);
            if (k == 0)
                break;
            if (k == -1) {
                snprintf(err, errlen, "%s", msg);
                goto out;
            }
            json_t *v = parse_line(path, &row, msg, sizeof msg);
            if (!v) {
                if (bad_row(o, &st->bad_rows, msg, err, errlen) < 0)
                    goto out;
                continue;
            }
            int e = columns_add_row_json(t, v);
            json_decref(v);
            if (e < 0) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            st->rows++;
            progress(o, "reading", r, &next_progress);
        }
        if (st->rows == 0 && st->bad_rows == 0 && csv_offset(r) == 0) {
            snprintf(err, errlen, "%s: empty file", path);
            goto out;
        }
    }
    st->bytes = csv_offset(r);
    rc = 0;
out:
    csv_close(r);
    free_list(header, nheader);
    catmap_free(hnames);
    free(map);
    return rc;
}
