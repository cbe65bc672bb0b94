/* Fuzz target: push API bodies (core/ingest.h): a JSON array, one object, or NDJSON. Every sample
 * ingest_parse accepts goes where the agent puts it: its text is read into a columnar window
 * (core/sample_row.c, core/window.c), which must give the same check table as jansson +
 * columns_add_row_json on the same sample, and so must the rows written back as snapshot texts. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/columns.h"
#include "fuzz.h"
#include "ingest.h"
#include "sample_row.h"
#include "window.h"

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

static int on_sample(void *ctx, json_t *sample, const char *raw, size_t raw_len)
{
    struct sink *s = ctx;
    s->calls++;
    char why[256];
    if (ingest_validate_sample(sample, why, sizeof why) < 0)
        fuzz_fail("ingest_parse passed on a sample its validator refuses: %s", why);
    /* as the agent does: an NDJSON line is kept as it came, anything else re-encoded */
    char *text = raw ? strndup(raw, raw_len) : json_dumps(sample, JSON_COMPACT);
    if (!text)
        fuzz_fail("no window text for an accepted sample");
    json_error_t je;
    json_t *again = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!again)
        fuzz_fail("an accepted sample's window text does not parse: %s", je.text);
    int rc = columns_add_row_json(s->table, again);
    if (rc < 0)
        fuzz_fail("columns_add_row_json returned %d for an accepted sample", rc);
    json_decref(again);
    read_into(s->schema, s->row, s->w, text, strlen(text), "a sample");
    free(text);
    return s->calls >= MAX_SAMPLES; /* a full window stops the walk, as the agent's does */
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
    row_schema_init(&schema, schema_cols);
    struct sample_row row;
    struct window w, back;
    if (sample_row_init(&row, schema_cols->ncols) < 0 || window_init(&w, &schema, MAX_SAMPLES, 0) < 0 ||
        window_init(&back, &schema, MAX_SAMPLES, 0) < 0)
        fuzz_fail("cannot build the window");
    struct sink s = {.table = new_table(), .schema = &schema, .row = &row, .w = &w};
    struct ingest_stats st;
    int rc = ingest_parse((const char *)data, size, on_sample, &s, &st);
    if (rc < 0 && (st.accepted || !st.first_error[0]))
        fuzz_fail("ingest_parse refused the body but accepted %zu samples or gave no reason", st.accepted);
    if (st.accepted != s.calls)
        fuzz_fail("ingest_parse counted %zu accepted samples for %zu callbacks", st.accepted, s.calls);
    if (st.rejected && !st.first_error[0])
        fuzz_fail("%zu samples rejected without a first error", st.rejected);
    if (memchr(st.first_error, '\0', sizeof st.first_error) == NULL)
        fuzz_fail("first_error is not terminated");
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
