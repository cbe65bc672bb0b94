/* Columnar ring of a model's kept samples (see window.h). A 100-feature sample takes 800 bytes of
 * cells instead of its ~1.6 KB of JSON text, and a check reads the cells without parsing. */
#include "state/window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/cells.h"
#include "util/jsonw.h"

static int is_numeric(const struct window *w, size_t c)
{
    return w->schema->cols->cols[c].type == COL_NUMERIC;
}

static int is_text_id(uint64_t v)
{
    return v != CELL_MISSING && v != CELL_INVALID && v != CELL_ABSENT;
}

static void drop_ts(struct window *w, size_t slot)
{
    if (w->ts[slot])
        w->ts_bytes -= strlen(w->ts[slot]) + 1;
    free(w->ts[slot]);
    w->ts[slot] = NULL;
}

int window_init(struct window *w, const struct row_schema *schema, size_t max_items, int sliding)
{
    memset(w, 0, sizeof *w);
    w->schema = schema;
    w->ncols = schema->cols->ncols;
    w->max_items = max_items;
    w->sliding = sliding;
    w->cells = calloc(w->ncols ? w->ncols : 1, sizeof *w->cells);
    w->texts = calloc(w->ncols ? w->ncols : 1, sizeof *w->texts);
    if (!w->cells || !w->texts)
        goto fail;
    for (size_t c = 0; c < w->ncols; c++)
        if (!is_numeric(w, c) && !(w->texts[c] = catmap_new(0)))
            goto fail;
    if (!(w->unknown = catmap_new(WINDOW_MAX_UNKNOWN)))
        goto fail;
    return 0;
fail:
    window_free(w);
    return -1;
}

void window_clear(struct window *w)
{
    for (size_t i = 0; i < w->n; i++)
        drop_ts(w, (w->head + i) % w->cap);
    for (size_t c = 0; c < w->ncols; c++)
        if (w->texts[c])
            catmap_clear(w->texts[c]);
    if (w->unknown)
        catmap_clear(w->unknown);
    w->head = 0;
    w->n = 0;
    w->seen = 0;
}

void window_free(struct window *w)
{
    if (w->cells && w->texts)
        window_clear(w);
    for (size_t c = 0; w->cells && c < w->ncols; c++)
        free(w->cells[c]);
    for (size_t c = 0; w->texts && c < w->ncols; c++)
        catmap_free(w->texts[c]);
    free(w->cells);
    free(w->texts);
    free(w->ts);
    catmap_free(w->unknown);
    memset(w, 0, sizeof *w);
}

int window_full(const struct window *w)
{
    return w->n >= w->max_items;
}

size_t window_bytes(const struct window *w)
{
    return w->cap * (w->ncols + 1) * sizeof(uint64_t) + w->ts_bytes;
}

/* Grows the ring geometrically up to max_items. head is 0 whenever it grows: it only moves once a
 * sliding window is full, and then cap is max_items. */
static int window_grow(struct window *w)
{
    size_t cap = w->cap ? w->cap * 2 : 256;
    if (cap > w->max_items)
        cap = w->max_items;
    for (size_t c = 0; c < w->ncols; c++) {
        uint64_t *cells = realloc(w->cells[c], cap * sizeof *cells);
        if (!cells)
            return -1;
        w->cells[c] = cells;
    }
    char **ts = realloc(w->ts, cap * sizeof *ts);
    if (!ts)
        return -1;
    memset(ts + w->cap, 0, (cap - w->cap) * sizeof *ts);
    w->ts = ts;
    w->cap = cap;
    return 0;
}

/* Re-interns the texts of column c that live samples still use: replaced and slid-out samples
 * leave texts behind, which would otherwise grow without bound. */
static void compact_texts(struct window *w, size_t c)
{
    struct catmap *old = w->texts[c], *fresh = catmap_new(0);
    if (!fresh)
        return;
    uint64_t *ids = malloc((w->n ? w->n : 1) * sizeof *ids);
    for (size_t i = 0; ids && i < w->n; i++) {
        uint64_t v = w->cells[c][(w->head + i) % w->cap];
        size_t len;
        const char *s = is_text_id(v) ? catmap_key(old, (size_t)v, &len) : NULL;
        long id = s ? catmap_add(fresh, s, len, 1) : 0;
        if (id < 0) {
            free(ids);
            ids = NULL;
            break;
        }
        ids[i] = s ? (uint64_t)id : v;
    }
    if (!ids) {
        catmap_free(fresh);
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        w->cells[c][(w->head + i) % w->cap] = ids[i];
    free(ids);
    catmap_free(old);
    w->texts[c] = fresh;
}

static void maybe_compact_texts(struct window *w)
{
    for (size_t c = 0; c < w->ncols; c++)
        if (w->texts[c] && catmap_size(w->texts[c]) > 2 * w->n + 1024)
            compact_texts(w, c);
}

/* Copies row r into slot (whose timestamp was released). On failure the slot holds a row of
 * missing values, never a cell that is not an id. */
static int put_row(struct window *w, size_t slot, const struct sample_row *r)
{
    for (size_t c = 0; c < w->ncols; c++) {
        uint64_t v = r->cells[c];
        if (!is_numeric(w, c) && is_text_id(v)) {
            size_t len;
            const char *s = sample_row_text(r, v, &len);
            long id = catmap_add(w->texts[c], s, len, 1);
            if (id < 0)
                goto fail;
            v = (uint64_t)id;
        }
        w->cells[c][slot] = v;
    }
    size_t tl;
    const char *ts = sample_row_timestamp(r, &tl);
    if (ts && !(w->ts[slot] = strndup(ts, tl)))
        goto fail;
    w->ts_bytes += ts ? tl + 1 : 0;
    size_t off = 0, klen;
    const char *key;
    while ((key = sample_row_unknown_next(r, &off, &klen)))
        catmap_add(w->unknown, key, klen, 1); /* out of memory: the row is stored, only the hint is lost */
    return 0;
fail:
    for (size_t c = 0; c < w->ncols; c++)
        w->cells[c][slot] = CELL_MISSING;
    return -2;
}

int window_append(struct window *w, const struct sample_row *r)
{
    if (window_full(w)) {
        if (!w->sliding || w->n == 0)
            return -1;
        size_t slot = w->head;
        drop_ts(w, slot);
        int rc = put_row(w, slot, r);
        w->head = (w->head + 1) % w->cap;
        maybe_compact_texts(w);
        return rc;
    }
    if (w->n == w->cap && window_grow(w) < 0)
        return -2;
    size_t slot = (w->head + w->n) % w->cap;
    if (put_row(w, slot, r) < 0)
        return -2;
    w->n++;
    return 0;
}

int window_replace(struct window *w, size_t i, const struct sample_row *r)
{
    size_t slot = (w->head + i) % w->cap;
    drop_ts(w, slot);
    int rc = put_row(w, slot, r);
    maybe_compact_texts(w);
    return rc;
}

struct window *window_take(struct window *w)
{
    struct window *out = malloc(sizeof *out);
    if (!out)
        return NULL;
    *out = *w;
    if (window_init(w, out->schema, out->max_items, out->sliding) < 0) {
        *w = *out;
        free(out);
        return NULL;
    }
    return out;
}

/* Numeric column c as its usable values in row order; consume: compacted in place in the cells. */
/* Counts of a column's cells that hold no value, as columns_count_unusable/_absent take them. */
struct no_value_counts {
    uint64_t missing, invalid, absent;
};

/* Counts cell v when it holds no value (missing, absent: also missing, invalid) and returns 1; 0
 * when it holds one. */
static int count_no_value(uint64_t v, struct no_value_counts *nv)
{
    if (v == CELL_MISSING || v == CELL_ABSENT) {
        nv->missing++;
        nv->absent += v == CELL_ABSENT;
        return 1;
    }
    if (v == CELL_INVALID) {
        nv->invalid++;
        return 1;
    }
    return 0;
}

static void report_no_value(struct columns *t, size_t c, const struct no_value_counts *nv)
{
    columns_count_unusable(t, (int)c, nv->missing, nv->invalid);
    columns_count_absent(t, (int)c, nv->absent);
}

static int fill_numeric(struct window *w, struct columns *t, size_t c, int consume)
{
    struct no_value_counts nv = {0};
    int in_place = consume && w->head == 0 && w->cap > 0;
    double *vals = in_place ? (double *)(void *)w->cells[c] : malloc((w->n ? w->n : 1) * sizeof *vals);
    if (!vals)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        uint64_t v = w->cells[c][(w->head + i) % w->cap];
        if (!count_no_value(v, &nv)) {
            /* memcpy, not a cast: the bits were stored as an integer; k <= i, so this never
             * overwrites a cell still to be read. */
            double x;
            memcpy(&x, &v, sizeof x);
            memcpy(&vals[k++], &x, sizeof x);
        }
    }
    columns_take_values(t, (int)c, vals, k, in_place ? w->cap : (w->n ? w->n : 1));
    if (in_place)
        w->cells[c] = NULL;
    report_no_value(t, c, &nv);
    return 0;
}

/* The table's whole rows (opt.row_sample, for the multivariate methods): numeric cells by row,
 * NAN for missing, invalid and categorical cells. Before fill_numeric, which may consume cells. */
static int fill_rows(const struct window *w, struct columns *t)
{
    size_t nc = w->ncols, cells = w->n * nc;
    double *rows = malloc((cells ? cells : 1) * sizeof *rows);
    if (!rows)
        return -1;
    for (size_t c = 0; c < nc; c++) {
        int num = is_numeric(w, c);
        for (size_t i = 0; i < w->n; i++) {
            uint64_t v = w->cells[c][(w->head + i) % w->cap];
            double x = NAN;
            if (num && v != CELL_MISSING && v != CELL_INVALID && v != CELL_ABSENT)
                memcpy(&x, &v, sizeof x);
            rows[i * nc + c] = x;
        }
    }
    return columns_take_rows(t, rows, w->n);
}

/* The columns whose cells the table keeps (columns_keep_cells: the performance columns), row by
 * row. Before fill_numeric, which may consume cells. */
static int fill_kept_cells(const struct window *w, struct columns *t)
{
    for (size_t c = 0; c < w->ncols; c++) {
        struct cells *kept = t->cols[c].cells;
        if (!kept)
            continue;
        int num = is_numeric(w, c);
        for (size_t i = 0; i < w->n; i++) {
            uint64_t v = w->cells[c][(w->head + i) % w->cap];
            cells_row_missing(kept);
            if (v == CELL_MISSING || v == CELL_INVALID || v == CELL_ABSENT) {
                /* missing */
            } else if (num) {
                double x;
                memcpy(&x, &v, sizeof x);
                cells_row_number(kept, x);
            } else {
                size_t len;
                const char *s = catmap_key(w->texts[c], (size_t)v, &len);
                if (cells_row_text(kept, s, len) < 0)
                    return -1;
            }
            if (cells_end_row(kept) < 0)
                return -1;
        }
    }
    return 0;
}

int window_fill_columns(struct window *w, struct columns *t, int consume)
{
    if (t->ncols != w->ncols || fill_kept_cells(w, t) < 0)
        return -1;
    if (t->opt.row_sample && fill_rows(w, t) < 0)
        return -1;
    for (size_t c = 0; c < w->ncols; c++) {
        if (is_numeric(w, c)) {
            if (fill_numeric(w, t, c, consume) < 0)
                return -1;
            continue;
        }
        struct no_value_counts nv = {0};
        for (size_t i = 0; i < w->n; i++) {
            uint64_t v = w->cells[c][(w->head + i) % w->cap];
            if (!count_no_value(v, &nv)) {
                size_t len;
                const char *s = catmap_key(w->texts[c], (size_t)v, &len);
                columns_add_category(t, (int)c, s, len);
            }
        }
        report_no_value(t, c, &nv);
    }
    for (size_t i = 0; i < catmap_size(w->unknown); i++) {
        size_t len;
        const char *key = catmap_key(w->unknown, i, &len);
        columns_note_unknown(t, key, len, catmap_count(w->unknown, i));
    }
    for (size_t i = 0; i < w->n; i++) {
        const char *ts = w->ts[(w->head + i) % w->cap];
        if (ts)
            columns_note_timestamp(t, ts);
    }
    return columns_finish_rows(t, w->n);
}

void window_row_json(const struct window *w, size_t i, struct strbuf *sb)
{
    size_t slot = (w->head + i) % w->cap;
    strbuf_puts(sb, "{\"features\":{");
    int first = 1;
    for (size_t c = 0; c < w->ncols; c++) {
        uint64_t v = w->cells[c][slot];
        if (v == CELL_ABSENT)
            continue; /* absent reads back as absent */
        if (!first)
            strbuf_puts(sb, ",");
        first = 0;
        const char *name = w->schema->cols->cols[c].name;
        jsonw_string(sb, name, strlen(name));
        strbuf_puts(sb, ":");
        if (v == CELL_MISSING) {
            strbuf_puts(sb, "null");
        } else if (is_numeric(w, c)) {
            double x;
            memcpy(&x, &v, sizeof x);
            if (v == CELL_INVALID)
                strbuf_puts(sb, "\"invalid\""); /* text in a numeric column: invalid again */
            else if (x == 0 && signbit(x))
                strbuf_puts(sb, "-0.0"); /* "-0" would read back as the integer 0 */
            else
                jsonw_number(sb, x);
        } else if (v == CELL_INVALID) {
            strbuf_puts(sb, "[]"); /* an array in a categorical column: invalid again */
        } else {
            size_t len;
            const char *s = catmap_key(w->texts[c], (size_t)v, &len);
            jsonw_string(sb, s, len);
        }
    }
    strbuf_puts(sb, "}");
    if (w->ts[slot]) {
        strbuf_puts(sb, ",\"timestamp\":");
        jsonw_string(sb, w->ts[slot], strlen(w->ts[slot]));
    }
    strbuf_puts(sb, "}");
}
