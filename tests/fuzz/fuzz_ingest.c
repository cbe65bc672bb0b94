/* Fuzz target: sample bodies (core/sample/sample_batch.h): a JSON array, one object, or NDJSON, as
 * the core reads what the proxy, canary and kserve probes emit. Differential against jansson
 * (jansson_reference.c: ref_parse_body + ref_add_row): the same samples accepted and refused, and the
 * accepted ones, read where the agent puts them (core/sample/sample_row.c into core/state/window.c),
 * give the same check table; so must the rows written back as snapshot texts. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/columns.h"
#include "fuzz.h"
#include "jansson_reference.h"
#include "sample/sample_batch.h"
#include "sample/sample_row.h"
#include "state/window.h"

#define MAX_SAMPLES 4096

struct sink {
    struct columns *table;   /* the reference */
    struct row_schema *schema;
    struct sample_row *row;
    struct window *w;
    size_t calls;
};

static struct columns *new_table(void)
{
    struct columns *t = columns_new(NULL);
    if (!t || columns_add(t, "x", COL_NUMERIC, ROLE_FEATURE) < 0 ||
        columns_add(t, "c", COL_CATEGORICAL, ROLE_FEATURE) < 0 ||
        columns_add(t, "prediction", COL_NUMERIC, ROLE_PREDICTION) < 0 ||
        columns_add(t, "label", COL_CATEGORICAL, ROLE_TARGET) < 0)
        fuzz_fail("cannot build the window table");
    return t;
}

static void read_into(const struct row_schema *schema, struct sample_row *row, struct window *w, const char *text,
                      size_t len, const char *what)
{
    char why[192];
    if (sample_row_parse(schema, text, len, row, why, sizeof why) < 0)
        fuzz_fail("the core's reader refuses %s jansson accepted: %s", what, why);
    if (window_append(w, row) != 0)
        fuzz_fail("window_append failed on %s", what);
}

/* The reference: a sample jansson accepted, into the reference table. */
static int on_reference(void *ctx, json_t *sample, const char *raw, size_t raw_len)
{
    struct sink *s = ctx;
    (void)raw, (void)raw_len;
    if (++s->calls > MAX_SAMPLES) /* the table holds the first ones, as the window does */
        return 0;
    char why[256];
    if (ref_validate_sample(sample, why, sizeof why) < 0)
        fuzz_fail("the reference passed on a sample its validator refuses: %s", why);
    int rc = ref_add_row(s->table, sample);
    if (rc < 0)
        fuzz_fail("ref_add_row returned %d for an accepted sample", rc);
    return 0;
}

struct ours {
    struct sink *s;
    size_t accepted, rejected, items;
};

/* The one reader: each valid sample's own text, read into the window. */
static void on_item(void *ctx, const struct sample_item *it)
{
    struct ours *o = ctx;
    if (it->index != o->items++)
        fuzz_fail("item %zu reported as index %zu", o->items - 1, it->index);
    if (it->problem) {
        o->rejected++;
        return;
    }
    if (++o->accepted <= MAX_SAMPLES)
        read_into(o->s->schema, o->s->row, o->s->w, it->text, it->len, "a sample");
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void compare(const struct columns *a, const struct columns *b, const char *what)
{
    if (a->rows != b->rows)
        fuzz_fail("%s: %llu rows, the reference %llu", what, (unsigned long long)a->rows, (unsigned long long)b->rows);
    for (size_t i = 0; i < a->ncols; i++) {
        const struct column *x = &a->cols[i], *y = &b->cols[i];
        if (x->missing != y->missing || x->invalid != y->invalid || x->count != y->count)
            fuzz_fail("%s: column '%s' counts differ", what, x->name);
        if (x->type == COL_NUMERIC) {
            if (x->nvalues != y->nvalues || !same_double(x->mean, y->mean) || !same_double(x->m2, y->m2) ||
                !same_double(x->min, y->min) || !same_double(x->max, y->max))
                fuzz_fail("%s: column '%s' values or moments differ", what, x->name);
            for (size_t k = 0; k < x->nvalues; k++)
                if (!same_double(x->values[k], y->values[k]))
                    fuzz_fail("%s: column '%s' value %zu differs", what, x->name, k);
            continue;
        }
        if (catmap_size(x->cats) != catmap_size(y->cats))
            fuzz_fail("%s: column '%s' category count differs", what, x->name);
        for (size_t k = 0; k < catmap_size(x->cats); k++) {
            size_t lx, ly;
            const char *kx = catmap_key(x->cats, k, &lx), *ky = catmap_key(y->cats, k, &ly);
            if (lx != ly || memcmp(kx, ky, lx) != 0 || catmap_count(x->cats, k) != catmap_count(y->cats, k))
                fuzz_fail("%s: column '%s' category %zu differs", what, x->name, k);
        }
    }
    if ((a->ts_from == NULL) != (b->ts_from == NULL) ||
        (a->ts_from && (strcmp(a->ts_from, b->ts_from) != 0 || strcmp(a->ts_to, b->ts_to) != 0)))
        fuzz_fail("%s: from/to differ", what);
}

static struct columns *table_of(struct window *w)
{
    struct columns *t = new_table();
    if (window_fill_columns(w, t, 0) < 0)
        fuzz_fail("window_fill_columns failed");
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct columns *schema_cols = new_table();
    struct row_schema schema;
    columns_row_schema(&schema, schema_cols);
    struct sample_row row;
    struct window w, back;
    if (sample_row_init(&row, schema_cols->ncols) < 0 || window_init(&w, &schema, MAX_SAMPLES, 0) < 0 ||
        window_init(&back, &schema, MAX_SAMPLES, 0) < 0)
        fuzz_fail("cannot build the window");
    struct sink s = {.table = new_table(), .schema = &schema, .row = &row, .w = &w};
    struct ref_stats st;
    int rc = ref_parse_body((const char *)data, size, on_reference, &s, &st);
    struct ours o = {.s = &s};
    struct sample_problem prob;
    long n = sample_read_body((const char *)data, size, on_item, &o, &prob);
    if ((rc < 0) != (n < 0))
        fuzz_fail("jansson %s the body, the reader %s it", rc < 0 ? "refuses" : "reads", n < 0 ? "refuses" : "reads");
    if (n < 0 && (o.items || !prob.why[0]))
        fuzz_fail("the reader refused the body but reported %zu items or gave no reason", o.items);
    if (n >= 0 && (st.accepted != o.accepted || st.rejected != o.rejected || (size_t)n != o.items))
        fuzz_fail("jansson accepts %zu and refuses %zu samples, the reader %zu and %zu", st.accepted, st.rejected,
                  o.accepted, o.rejected);
    for (size_t i = 0; i < s.table->ncols; i++) {
        const struct column *c = &s.table->cols[i];
        if (c->count + c->missing + c->invalid != s.table->rows)
            fuzz_fail("column '%s': count + missing + invalid != rows", c->name);
    }
    struct columns *t = table_of(&w);
    compare(t, s.table, "the window");
    /* snapshot records: each row written back as a text reads into the same cells */
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < w.n; i++) {
        sb.len = 0;
        window_row_json(&w, i, &sb);
        if (sb.failed)
            fuzz_fail("out of memory writing a row back");
        read_into(&schema, &row, &back, sb.data, sb.len, "a row written back");
    }
    strbuf_free(&sb);
    struct columns *tb = table_of(&back);
    compare(tb, s.table, "the rows written back");
    columns_free(tb);
    columns_free(t);
    columns_free(s.table);
    window_free(&back);
    window_free(&w);
    sample_row_free(&row);
    columns_free(schema_cols);
    return 0;
}
