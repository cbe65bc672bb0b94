/* Fuzz target: push API bodies (core/ingest.h): a JSON array, one object, or NDJSON. Every sample
 * ingest_parse accepts goes where the agent puts it: its compact JSON text into the window, which
 * must parse again, and into a window table (columns_add_row_json) at check time. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "data/columns.h"
#include "fuzz.h"
#include "ingest.h"

struct sink {
    struct columns *table;
    size_t calls;
};

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
    json_t *again = json_loads(text, 0, &je);
    if (!again)
        fuzz_fail("an accepted sample's window text does not parse: %s", je.text);
    int rc = columns_add_row_json(s->table, again);
    if (rc < 0)
        fuzz_fail("columns_add_row_json returned %d for an accepted sample", rc);
    json_decref(again);
    free(text);
    return s->calls >= 4096; /* a full window stops the walk, as the agent's does */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sink s = {.table = columns_new(NULL)};
    if (!s.table || columns_add(s.table, "x", COL_NUMERIC, ROLE_FEATURE) < 0 ||
        columns_add(s.table, "c", COL_CATEGORICAL, ROLE_FEATURE) < 0 ||
        columns_add(s.table, "prediction", COL_NUMERIC, ROLE_PREDICTION) < 0 ||
        columns_add(s.table, "label", COL_CATEGORICAL, ROLE_TARGET) < 0)
        fuzz_fail("cannot build the window table");
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
    columns_free(s.table);
    return 0;
}
