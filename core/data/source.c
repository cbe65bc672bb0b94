/* File readers: CSV on top of csv.c (header checks, field counts with path:line messages); JSON
 * Lines and JSON arrays through source_json.c's pass over the sample reader, each sample read into
 * cells as the agent reads it (sample_row); type inference over either; the MD5 of the file during
 * the inference pass. See source.h. */
#include "data/source.h"
#include "data/source_json.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/numparse.h"
#include "sample/sample_row.h"
#include "util/csv.h"
#include "util/utf8.h"


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
        if (source_bad_row(o, bad_rows, msg, err, errlen) < 0)
            return -1;
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

/* ---- inference ---- */

/* The columns found so far, as a column table that is only a schema (names, types, roles: no
 * value is put in it) for the sample reader, and the non-missing values of each. A sample's
 * "prediction" and "label" whose columns do not exist yet are read into two cells past the
 * columns (the schema's prediction_col and target_col), so a row tells whether it has them. */
struct infer {
    struct columns *t;
    uint64_t *values;
    size_t cap;
    const char *prediction_name, *target_name;
    struct row_schema schema;
    struct sample_row row;
    int row_ready;
};

static int infer_numeric(const struct columns *t, int col)
{
    return (size_t)col >= t->ncols || t->cols[col].type == COL_NUMERIC;
}

static int infer_add(struct infer *in, const char *name, enum col_role role)
{
    if (in->t->ncols == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        uint64_t *v = realloc(in->values, cap * sizeof *v);
        if (!v)
            return -1;
        in->values = v;
        in->cap = cap;
    }
    int idx = columns_add(in->t, name, COL_NUMERIC, role);
    if (idx >= 0)
        in->values[idx] = 0;
    return idx == -1 ? -1 : 0; /* -2: already a column */
}

/* The reader's schema and row for the columns found so far (after a column was added). */
static int infer_schema(struct infer *in)
{
    size_t n = in->t->ncols;
    int p = columns_find(in->t, in->prediction_name), y = columns_find(in->t, in->target_name);
    in->schema = (struct row_schema){
        .cols = in->t,
        .find = columns_findn,
        .numeric = infer_numeric,
        .prediction_col = p >= 0 ? p : (int)n,
        .target_col = y >= 0 ? y : (int)n + 1,
        .score_col = -1,
    };
    if (in->row_ready)
        sample_row_free(&in->row);
    in->row_ready = sample_row_init(&in->row, n + 2) == 0;
    if (!in->row_ready)
        return -1;
    in->row.unknown_all = 1;
    in->row.unknown_envelope = 1; /* a flat row's keys are all columns */
    return 0;
}

/* A CSV field or a row's cell of column idx: a value that is not a finite number makes it categorical. */
static void infer_text(struct infer *in, size_t idx, const char *p, size_t len)
{
    if (len == 0 || num_is_nan_text(p, len))
        return;
    in->values[idx]++;
    if (in->t->cols[idx].type == COL_NUMERIC && !num_valid(p, len))
        in->t->cols[idx].type = COL_CATEGORICAL;
}

/* Columns the row has that the schema lacked: its unknown keys (features), and its prediction
 * and label when the reader put them past the columns. Returns how many were added, -1 (memory). */
static int infer_learn(struct infer *in)
{
    size_t n = in->t->ncols;
    int has_p = (size_t)in->schema.prediction_col >= n && in->row.cells[in->schema.prediction_col] != CELL_ABSENT;
    int has_y = (size_t)in->schema.target_col >= n && in->row.cells[in->schema.target_col] != CELL_ABSENT;
    size_t off = 0, len;
    const char *key;
    while ((key = sample_row_unknown_next(&in->row, &off, &len)))
        if (infer_add(in, key, ROLE_FEATURE) < 0)
            return -1;
    if ((has_p && infer_add(in, in->prediction_name, ROLE_PREDICTION) < 0) ||
        (has_y && infer_add(in, in->target_name, ROLE_TARGET) < 0))
        return -1;
    return (int)(in->t->ncols - n);
}

/* One sample: read with the columns found so far, again once it showed new ones, then typed. */
static int infer_json_row(void *ud, const char *text, size_t len, char *why, size_t whylen)
{
    struct infer *in = ud;
    for (;;) {
        if (sample_row_parse(&in->schema, text, len, &in->row, why, whylen) < 0)
            return -2;
        int added = infer_learn(in);
        if (added < 0 || (added > 0 && infer_schema(in) < 0))
            return -1;
        if (added == 0)
            break;
    }
    for (size_t i = 0; i < in->t->ncols; i++) {
        uint64_t v = in->row.cells[i];
        if (v == CELL_ABSENT || v == CELL_MISSING)
            continue;
        in->values[i]++;
        if (v == CELL_INVALID) /* text or a boolean where only numbers were seen */
            in->t->cols[i].type = COL_CATEGORICAL;
    }
    return 0;
}

static void infer_free(struct infer *in)
{
    columns_free(in->t);
    free(in->values);
    if (in->row_ready)
        sample_row_free(&in->row);
}

/* The CSV header's columns and their types from every row. Returns 0 or -1 with err. */
static int infer_csv(struct infer *in, struct csv_reader *r, const char *path, const struct source_options *o,
                     struct source_schema *s, char *err, size_t errlen)
{
    char **header = NULL;
    size_t nheader = 0;
    struct catmap *hnames = NULL;
    int rc = -1;
    if (read_header(r, path, &hnames, &header, &nheader, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < nheader; i++) {
        if (infer_add(in, header[i], ROLE_FEATURE) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto out;
        }
    }
    uint64_t next_progress = PROGRESS_EVERY;
    struct csv_row row;
    int k;
    while ((k = next_csv_row(r, &row, nheader, path, o, &s->bad_rows, err, errlen)) > 0) {
        for (size_t i = 0; i < nheader; i++)
            infer_text(in, i, row.fields[i].ptr, row.fields[i].len);
        s->rows++;
        source_progress(o, "scanning", r, &next_progress);
    }
    rc = k < 0 ? -1 : 0;
out:
    free_list(header, nheader);
    catmap_free(hnames);
    return rc;
}

/* The schema's columns from the inference's. */
static int schema_columns(struct source_schema *s, const struct infer *in)
{
    s->cols = calloc(in->t->ncols ? in->t->ncols : 1, sizeof *s->cols);
    if (!s->cols)
        return -1;
    for (size_t i = 0; i < in->t->ncols; i++) {
        const struct column *c = &in->t->cols[i];
        if (!(s->cols[i].name = strdup(c->name)))
            return -1;
        s->cols[i].type = c->type;
        s->cols[i].role = c->role;
        s->cols[i].values = in->values[i];
        s->ncols++;
    }
    return 0;
}

static void md5_hex(EVP_MD_CTX *md, char out[33])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_DigestFinal_ex(md, digest, &dlen);
    for (unsigned i = 0; i < dlen && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

int source_infer(const char *path, const struct source_options *o, struct source_schema **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    enum source_format fmt;
    if (source_detect(path, &fmt, err, errlen) < 0)
        return -1;
    struct source_schema *s = calloc(1, sizeof *s);
    struct infer in = {
        .t = columns_new(NULL),
        .prediction_name = o && o->prediction_name ? o->prediction_name : "prediction",
        .target_name = o && o->target_name ? o->target_name : "label",
    };
    struct csv_reader *r = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *text = NULL;
    int rc = -1;
    if (!s || !md || !in.t || infer_schema(&in) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    s->format = fmt;
    if (!EVP_DigestInit_ex(md, EVP_md5(), NULL)) {
        snprintf(err, errlen, "%s: MD5 unavailable in this OpenSSL", path);
        goto out;
    }
    struct json_pass j = {.path = path, .o = o, .row = infer_json_row, .ud = &in, .rows = &s->rows,
                          .bad_rows = &s->bad_rows, .err = err, .errlen = errlen};
    if (fmt == SOURCE_JSON_ARRAY) {
        size_t len;
        if (source_read_whole(path, &text, &len, err, errlen) < 0)
            goto out;
        EVP_DigestUpdate(md, text, len);
        s->bytes = len;
        if (source_json_array(&j, text, len) < 0)
            goto out;
    } else {
        r = csv_open(path, fmt == SOURCE_CSV ? 0 : CSV_LINES, err, errlen);
        if (!r)
            goto out;
        csv_set_chunk_hook(r, md5_hook, md);
        if (fmt == SOURCE_CSV ? infer_csv(&in, r, path, o, s, err, errlen) < 0 : source_json_lines(&j, r, "scanning") < 0)
            goto out;
        s->bytes = csv_offset(r);
    }
    md5_hex(md, s->md5);
    if (schema_columns(s, &in) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    rc = 0;
out:
    csv_close(r);
    EVP_MD_CTX_free(md);
    free(text);
    infer_free(&in);
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

/* ---- reading into a table ---- */

/* A table's row from a sample, read as the agent reads it into its window. */
struct read_ctx {
    struct columns *t;
    struct row_schema schema;
    struct sample_row row;
};

static int read_json_row(void *ud, const char *text, size_t len, char *why, size_t whylen)
{
    struct read_ctx *c = ud;
    if (sample_row_parse(&c->schema, text, len, &c->row, why, whylen) < 0)
        return -2;
    return columns_add_row(c->t, &c->row) < 0 ? -1 : 0;
}

static int read_json(const char *path, enum source_format fmt, const struct source_options *o, struct columns *t,
                     struct source_stats *st, char *err, size_t errlen)
{
    struct read_ctx c = {.t = t};
    columns_row_schema(&c.schema, t);
    if (sample_row_init(&c.row, t->ncols) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    c.row.unknown_all = 1; /* every column of the file the table lacks, as a CSV header's */
    struct json_pass j = {.path = path, .o = o, .row = read_json_row, .ud = &c, .rows = &st->rows,
                          .bad_rows = &st->bad_rows, .err = err, .errlen = errlen};
    int rc = -1;
    if (fmt == SOURCE_JSON_ARRAY) {
        char *text;
        size_t len;
        if (source_read_whole(path, &text, &len, err, errlen) == 0) {
            st->bytes = len;
            rc = source_json_array(&j, text, len);
            free(text);
        }
    } else {
        struct csv_reader *r = csv_open(path, CSV_LINES, err, errlen);
        if (r) {
            rc = source_json_lines(&j, r, "reading");
            st->bytes = csv_offset(r);
            csv_close(r);
        }
    }
    sample_row_free(&c.row);
    return rc;
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
    if (fmt != SOURCE_CSV)
        return read_json(path, fmt, o, t, st, err, errlen);
    struct csv_reader *r = csv_open(path, 0, err, errlen);
    if (!r)
        return -1;
    char **header = NULL;
    size_t nheader = 0;
    struct catmap *hnames = NULL;
    int *map = NULL;
    int rc = -1;
    uint64_t next_progress = PROGRESS_EVERY;
    struct csv_row row;
    int k;

    if (read_header(r, path, &hnames, &header, &nheader, err, errlen) < 0)
        goto out;
    map = malloc((nheader ? nheader : 1) * sizeof *map);
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
        source_progress(o, "reading", r, &next_progress);
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
    st->bytes = csv_offset(r);
    rc = 0;
out:
    csv_close(r);
    free_list(header, nheader);
    catmap_free(hnames);
    free(map);
    return rc;
}
