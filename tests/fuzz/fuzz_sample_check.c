/* Fuzz target: the one check of samples (core/sample/sample_check.c), the only full validation a
 * body gets, whichever door it came in by.
 * Differential: every text the check passes must be one JSON value jansson reads (duplicate keys
 * refused), a sample by the core's rules (ref_validate_sample), and read by the core's reader
 * (core/sample_row.c); a refusal must point inside the text. Batches: every element the check
 * passes is such a sample on its own. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "data/columns.h"
#include "fuzz.h"
#include "jansson_reference.h"
#include "sample/sample_check.h"
#include "sample/sample_row.h"

struct ctx {
    const struct row_schema *schema;
    struct sample_row *row;
    const char *base;
    size_t size;
};

static void check_problem(const struct sample_problem *p, size_t size, const char *what)
{
    if (p->offset > size)
        fuzz_fail("%s: problem offset %zu beyond the %zu-byte text", what, p->offset, size);
    if (!memchr(p->why, '\0', sizeof p->why) || !p->why[0])
        fuzz_fail("%s: a refusal without a reason", what);
    if (!memchr(p->path, '\0', sizeof p->path))
        fuzz_fail("%s: path not terminated", what);
}

/* A text the check passed: what the core must accept too. */
static void passed(const struct ctx *c, const char *text, size_t len, const char *what)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fuzz_fail("%s: the check passed text jansson refuses: %s (column %d)", what, je.text, je.column);
    char why[256];
    if (ref_validate_sample(v, why, sizeof why) < 0)
        fuzz_fail("%s: the check passed a sample the core's rules refuse: %s", what, why);
    json_decref(v);
    if (sample_row_parse(c->schema, text, len, c->row, why, sizeof why) < 0)
        fuzz_fail("%s: the check passed a sample the core's reader refuses: %s", what, why);
}

static void on_element(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *problem)
{
    const struct ctx *c = ctx;
    (void)index;
    if (start < c->base || start + len > c->base + c->size)
        fuzz_fail("batch element outside the body");
    if (problem) {
        check_problem(problem, c->size, "batch element");
        return;
    }
    struct sample_problem again;
    if (sample_check_text(start, len, "$", &again) < 0)
        fuzz_fail("a batch element the batch check passed fails on its own: %s", again.why);
    passed(c, start, len, "batch element");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct columns *cols = columns_new(NULL);
    if (!cols || columns_add(cols, "x", COL_NUMERIC, ROLE_FEATURE) < 0 ||
        columns_add(cols, "c", COL_CATEGORICAL, ROLE_FEATURE) < 0 ||
        columns_add(cols, "prediction", COL_NUMERIC, ROLE_PREDICTION) < 0 ||
        columns_add(cols, "label", COL_CATEGORICAL, ROLE_TARGET) < 0)
        fuzz_fail("cannot build the schema");
    struct row_schema schema;
    columns_row_schema(&schema, cols);
    struct sample_row row;
    if (sample_row_init(&row, cols->ncols) < 0)
        fuzz_fail("cannot build the row");
    const char *text = (const char *)data;
    struct ctx c = {.schema = &schema, .row = &row, .base = text, .size = size};

    struct sample_problem prob;
    if (sample_check_text(text, size, "$", &prob) == 0)
        passed(&c, text, size, "one sample");
    else
        check_problem(&prob, size, "one sample");
    if (sample_check_batch(text, size, on_element, &c, &prob) < 0)
        check_problem(&prob, size, "batch");

    sample_row_free(&row);
    columns_free(cols);
    return 0;
}
