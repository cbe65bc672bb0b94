/* Column table: per-value work is a type dispatch, a parse and either Welford's update plus a
 * reservoir step (Vitter's Algorithm R) or a hash-map increment. See columns.h. */
#include "data/columns.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample/numparse.h"
#include "util/utf8.h"

/* The row reservoir's PRNG stream (columns use streams 0..ncols-1). */
#define ROW_STREAM UINT64_C(0x726f7773)

struct columns *columns_new(const struct columns_options *opt)
{
    struct columns *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (opt)
        t->opt = *opt;
    prng_seed(&t->row_rng, t->opt.seed, ROW_STREAM);
    t->names = catmap_new(0);
    if (!t->names) {
        free(t);
        return NULL;
    }
    return t;
}

static void column_clear_values(struct column *c)
{
    c->missing = c->invalid = c->count = c->absent = 0;
    c->mean = c->m2 = 0;
    c->min = c->max = NAN;
    c->nvalues = 0;
    if (c->cats)
        catmap_clear(c->cats);
    if (c->cells)
        cells_clear(c->cells);
}

void columns_free(struct columns *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].values);
        catmap_free(t->cols[i].cats);
        cells_free(t->cols[i].cells);
    }
    free(t->cols);
    catmap_free(t->names);
    catmap_free(t->unknown_names);
    free(t->prediction_name);
    free(t->target_name);
    free(t->score_name);
    free(t->ts_from);
    free(t->ts_to);
    free(t->scratch);
    free(t->row_buf);
    free(t->row_vals);
    free(t->row_idx);
    free(t);
}

void columns_reset(struct columns *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        column_clear_values(&t->cols[i]);
        /* a fresh window draws a fresh but reproducible reservoir */
        prng_seed(&t->cols[i].rng, t->opt.seed, i);
        t->cols[i].stamp = 0;
    }
    t->rows = 0;
    t->stamp = 0;
    t->unknown_values = 0;
    if (t->unknown_names)
        catmap_clear(t->unknown_names);
    t->nrows_kept = 0;
    prng_seed(&t->row_rng, t->opt.seed, ROW_STREAM);
    free(t->ts_from);
    free(t->ts_to);
    t->ts_from = t->ts_to = NULL;
}

int columns_findn(const struct columns *t, const char *name, size_t len)
{
    long i = catmap_find(t->names, name, len);
    return i < 0 ? -1 : (int)i;
}

int columns_find(const struct columns *t, const char *name)
{
    return columns_findn(t, name, strlen(name));
}

int columns_add(struct columns *t, const char *name, enum col_type type, enum col_role role)
{
    size_t len = strlen(name);
    if (catmap_find(t->names, name, len) >= 0)
        return -2;
    if (t->ncols == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct column *c = realloc(t->cols, cap * sizeof *c);
        if (!c)
            return -1;
        t->cols = c;
        t->cap = cap;
    }
    struct column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    if (!c->name)
        return -1;
    if (type == COL_CATEGORICAL) {
        c->cats = catmap_new(t->opt.max_categories);
        if (!c->cats) {
            free(c->name);
            return -1;
        }
    }
    long idx = catmap_add(t->names, name, len, 1);
    if (idx < 0) {
        free(c->name);
        catmap_free(c->cats);
        return -1;
    }
    c->type = type;
    c->role = role;
    column_clear_values(c);
    /* rows before the column existed had no value for it */
    c->missing = c->absent = t->rows;
    prng_seed(&c->rng, t->opt.seed, t->ncols);
    t->ncols++;
    return (int)idx;
}

static int set_name(char **dst, const char *name)
{
    free(*dst);
    *dst = NULL;
    if (!name)
        return 0;
    *dst = strdup(name);
    return *dst ? 0 : -1;
}

int columns_keep_cells(struct columns *t, int idx)
{
    struct column *c = &t->cols[idx];
    if (!c->cells && !(c->cells = cells_new(c->type == COL_NUMERIC)))
        return -1;
    /* rows read before had no kept value */
    for (uint64_t r = c->cells->n; r < t->rows; r++)
        if (cells_end_row(c->cells) < 0)
            return -1;
    return 0;
}

int columns_set_roles(struct columns *t, const char *prediction_name, const char *target_name)
{
    if (set_name(&t->prediction_name, prediction_name) < 0 || set_name(&t->target_name, target_name) < 0)
        return -1;
    return 0;
}

void columns_begin_row(struct columns *t)
{
    t->stamp++;
    if (!t->opt.row_sample)
        return;
    if (!t->row_buf || t->row_width != t->ncols) {
        /* the schema is fixed before the first row; a column added later is not kept */
        if (!t->row_buf) {
            t->row_buf = malloc((t->ncols ? t->ncols : 1) * sizeof *t->row_buf);
            t->row_width = t->ncols;
        }
        if (!t->row_buf) {
            t->failed = 1;
            return;
        }
    }
    for (size_t i = 0; i < t->row_width; i++)
        t->row_buf[i] = NAN;
}

/* Keeps the row just read: every row, or Algorithm R over rows (row r replaces a uniformly
 * chosen slot with probability k/(r+1)), remembering its file index to restore file order. */
static void keep_row(struct columns *t)
{
    size_t limit = t->opt.row_sample;
    if (!t->row_buf)
        return;
    size_t slot;
    if (limit == COLUMNS_ALL_ROWS || t->nrows_kept < limit) {
        if (t->nrows_kept == t->rows_cap) {
            size_t cap = t->rows_cap ? t->rows_cap * 2 : 64;
            if (limit != COLUMNS_ALL_ROWS && cap > limit)
                cap = limit;
            double *v = realloc(t->row_vals, cap * (t->row_width ? t->row_width : 1) * sizeof *v);
            if (v)
                t->row_vals = v;
            uint64_t *ix = realloc(t->row_idx, cap * sizeof *ix);
            if (ix)
                t->row_idx = ix;
            if (!v || !ix) {
                t->failed = 1;
                return;
            }
            t->rows_cap = cap;
        }
        slot = t->nrows_kept++;
    } else {
        uint64_t j = prng_below(&t->row_rng, t->rows + 1);
        if (j >= limit)
            return;
        slot = (size_t)j;
    }
    if (t->row_width)
        memcpy(t->row_vals + slot * t->row_width, t->row_buf, t->row_width * sizeof *t->row_buf);
    t->row_idx[slot] = t->rows;
}

/* Reservoir slots are in file order except where a later row replaced an earlier one: a merge
 * sort by file index (no shared state, so tables on different threads sort independently). */
static void sort_slots(const uint64_t *key, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_slots(key, a, tmp, h);
    sort_slots(key, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = key[a[i]] <= key[a[j]] ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int columns_kept_row_order(const struct columns *t, size_t *order)
{
    int sorted = 1;
    for (size_t k = 0; k < t->nrows_kept; k++) {
        order[k] = k;
        if (k && t->row_idx[k] < t->row_idx[k - 1])
            sorted = 0;
    }
    if (sorted)
        return 0;
    size_t *tmp = malloc(t->nrows_kept * sizeof *tmp);
    if (!tmp)
        return -1;
    sort_slots(t->row_idx, order, tmp, t->nrows_kept);
    free(tmp);
    return 0;
}

int columns_end_row(struct columns *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        if (t->cols[i].stamp != t->stamp) {
            t->cols[i].missing++;
            t->cols[i].absent++;
        }
        if (t->cols[i].cells) {
            if (t->cols[i].stamp != t->stamp)
                cells_row_missing(t->cols[i].cells);
            if (cells_end_row(t->cols[i].cells) < 0)
                t->failed = 1;
        }
    }
    if (t->opt.row_sample)
        keep_row(t);
    t->rows++;
    if (t->failed) {
        t->failed = 0;
        return -1;
    }
    return 0;
}

/* Marks idx as given a value in this row; 0 when the value should be ignored (a repeated key). */
static struct column *touch(struct columns *t, int idx)
{
    if (idx < 0 || (size_t)idx >= t->ncols) {
        t->unknown_values++;
        return NULL;
    }
    struct column *c = &t->cols[idx];
    if (c->stamp == t->stamp)
        return NULL;
    c->stamp = t->stamp;
    if (c->cells)
        cells_row_missing(c->cells);
    return c;
}

/* Counts x into the column's running moments. */
static void add_moments(struct column *c, double x)
{
    c->count++;
    if (c->count == 1) {
        c->mean = x;
        c->m2 = 0;
        c->min = c->max = x;
    } else {
        /* Welford's update: stable mean and sum of squared deviations in one pass. */
        double d = x - c->mean;
        c->mean += d / (double)c->count;
        c->m2 += d * (x - c->mean);
        if (x < c->min)
            c->min = x;
        if (x > c->max)
            c->max = x;
    }
}

static void add_numeric(struct columns *t, struct column *c, double x)
{
    add_moments(c, x);
    if (c->cells)
        cells_row_number(c->cells, x);
    if (t->row_buf && (size_t)(c - t->cols) < t->row_width)
        t->row_buf[c - t->cols] = x;
    size_t limit = t->opt.sample_limit;
    if (limit == 0 || c->nvalues < limit) {
        if (c->nvalues == c->vcap) {
            size_t cap = c->vcap ? c->vcap * 2 : 256;
            if (limit && cap > limit)
                cap = limit;
            double *v = realloc(c->values, cap * sizeof *v);
            if (!v) {
                t->failed = 1;
                return;
            }
            c->values = v;
            c->vcap = cap;
        }
        c->values[c->nvalues++] = x;
        return;
    }
    /* Algorithm R: the k-th value (k = count) replaces a uniformly chosen slot with probability
     * limit/k, which keeps every value seen so far in the reservoir with equal probability. */
    uint64_t j = prng_below(&c->rng, c->count);
    if (j < limit)
        c->values[j] = x;
}

static char *scratch(struct columns *t, size_t need)
{
    if (need > t->scratch_cap) {
        size_t cap = t->scratch_cap ? t->scratch_cap : 256;
        while (cap < need)
            cap *= 2;
        char *s = realloc(t->scratch, cap);
        if (!s) {
            t->failed = 1;
            return NULL;
        }
        t->scratch = s;
        t->scratch_cap = cap;
    }
    return t->scratch;
}

static void add_category(struct columns *t, struct column *c, const char *s, size_t len)
{
    /* Fast path: plain ASCII (without NUL, which utf8_valid refuses) needs no UTF-8 check. */
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80 && s[i] != '\0')
        i++;
    if (i < len && !utf8_valid(s + i, len - i)) {
        char *buf = scratch(t, 3 * len + 1);
        if (!buf)
            return;
        len = utf8_sanitize(s, len, buf);
        s = buf;
    }
    if (catmap_add(c->cats, s, len, 1) == -1 || (c->cells && cells_row_text(c->cells, s, len) < 0)) {
        t->failed = 1;
        return;
    }
    c->count++;
}

void columns_put_text(struct columns *t, int idx, const char *s, size_t len)
{
    struct column *c = touch(t, idx);
    if (!c)
        return;
    if (len == 0 || num_is_nan_text(s, len)) {
        c->missing++;
        return;
    }
    if (c->type == COL_NUMERIC) {
        double x;
        if (num_parse(s, len, &x) == 0)
            add_numeric(t, c, x);
        else
            c->invalid++;
        return;
    }
    add_category(t, c, s, len);
}

static void put_number(struct columns *t, struct column *c, double x)
{
    if (isnan(x)) {
        c->missing++;
        return;
    }
    if (c->type == COL_NUMERIC) {
        if (isfinite(x))
            add_numeric(t, c, x);
        else
            c->invalid++;
        return;
    }
    char buf[32];
    size_t n = num_format(x, buf);
    add_category(t, c, buf, n);
}

void columns_put_number(struct columns *t, int idx, double x)
{
    struct column *c = touch(t, idx);
    if (c)
        put_number(t, c, x);
}

void columns_put_invalid(struct columns *t, int idx)
{
    struct column *c = touch(t, idx);
    if (c)
        c->invalid++;
}

void columns_note_timestamp(struct columns *t, const char *s)
{
    /* RFC 3339 text in one zone orders like time; mixed offsets are not normalised here. */
    if (!t->ts_from || strcmp(s, t->ts_from) < 0) {
        char *d = strdup(s);
        if (!d) {
            t->failed = 1;
            return;
        }
        free(t->ts_from);
        t->ts_from = d;
    }
    if (!t->ts_to || strcmp(s, t->ts_to) > 0) {
        char *d = strdup(s);
        if (!d) {
            t->failed = 1;
            return;
        }
        free(t->ts_to);
        t->ts_to = d;
    }
}

static int schema_numeric(const struct columns *cols, int col)
{
    return cols->cols[col].type == COL_NUMERIC;
}

void columns_row_schema(struct row_schema *s, const struct columns *cols)
{
    s->cols = cols;
    s->find = columns_findn;
    s->numeric = schema_numeric;
    s->prediction_col = columns_find(cols, cols->prediction_name ? cols->prediction_name : "prediction");
    s->target_col = columns_find(cols, cols->target_name ? cols->target_name : "label");
    s->score_col = columns_find(cols, cols->score_name ? cols->score_name : "score");
}

void columns_note_unknown(struct columns *t, const char *name, size_t len, uint64_t rows)
{
    if (!t->unknown_names && !(t->unknown_names = catmap_new(COLUMNS_MAX_UNKNOWN_NAMES))) {
        t->failed = 1;
        return;
    }
    if (catmap_add(t->unknown_names, name, len, rows) == -1)
        t->failed = 1;
}

int columns_add_row(struct columns *t, const struct sample_row *r)
{
    columns_begin_row(t);
    for (size_t i = 0; i < r->ncols && i < t->ncols; i++) {
        uint64_t v = r->cells[i];
        if (v == CELL_ABSENT)
            continue; /* columns_end_row counts it missing and absent */
        struct column *c = touch(t, (int)i);
        if (!c)
            continue;
        if (v == CELL_MISSING) {
            c->missing++;
        } else if (v == CELL_INVALID) {
            c->invalid++;
        } else if (c->type == COL_NUMERIC) {
            double x;
            memcpy(&x, &v, sizeof x); /* the cell holds the double's bits */
            add_numeric(t, c, x);
        } else {
            size_t len;
            const char *s = sample_row_text(r, v, &len);
            add_category(t, c, s, len);
        }
    }
    size_t off = 0, len;
    const char *key;
    while ((key = sample_row_unknown_next(r, &off, &len)))
        columns_note_unknown(t, key, len, 1);
    const char *ts = sample_row_timestamp(r, &len);
    if (ts)
        columns_note_timestamp(t, ts); /* NUL-terminated in the row's buffer */
    return columns_end_row(t);
}

void columns_take_values(struct columns *t, int idx, double *values, size_t n, size_t cap)
{
    struct column *c = &t->cols[idx];
    free(c->values);
    c->values = values;
    c->nvalues = n;
    c->vcap = cap;
    /* Row order, as add_numeric would have seen them: the same moments to the last bit. */
    for (size_t i = 0; i < n; i++)
        add_moments(c, values[i]);
}

int columns_take_rows(struct columns *t, double *rows, size_t n)
{
    uint64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        free(rows);
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        idx[k] = k;
    free(t->row_vals);
    free(t->row_idx);
    t->row_vals = rows;
    t->row_idx = idx;
    t->row_width = t->ncols;
    t->nrows_kept = t->rows_cap = n;
    return 0;
}

void columns_add_category(struct columns *t, int idx, const char *s, size_t len)
{
    add_category(t, &t->cols[idx], s, len);
}

void columns_count_unusable(struct columns *t, int idx, uint64_t missing, uint64_t invalid)
{
    t->cols[idx].missing += missing;
    t->cols[idx].invalid += invalid;
}

void columns_count_absent(struct columns *t, int idx, uint64_t absent)
{
    t->cols[idx].absent += absent;
}

int columns_finish_rows(struct columns *t, uint64_t rows)
{
    t->rows = rows;
    if (t->failed) {
        t->failed = 0;
        return -1;
    }
    return 0;
}

double columns_missing_share(const struct columns *t, int idx)
{
    if (idx < 0 || (size_t)idx >= t->ncols || t->rows == 0)
        return 0.0;
    const struct column *c = &t->cols[idx];
    return (double)(c->missing + c->invalid) / (double)t->rows;
}
