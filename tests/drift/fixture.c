/* Loading the scipy fixtures of tests/drift/fixtures (written by gen_fixtures.py) and comparing
 * results with them: shared by the drift test programs. */
#include "fixture.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/drift.h"

json_t *fixture_load(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/drift/fixtures/%s", DW_TEST_SOURCE_DIR, file);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("%s:%d:%d: %s (regenerate with /usr/bin/python3 tests/drift/gen_fixtures.py)",
                 path, err.line, err.column, err.text);
    return root;
}

double *fixture_array(const json_t *arr, size_t *n)
{
    assert_true(json_is_array(arr));
    *n = json_array_size(arr);
    double *v = malloc((*n ? *n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < *n; i++)
        v[i] = json_number_value(json_array_get(arr, i));
    return v;
}

double *fixture_dataset(const json_t *datasets, const char *name, size_t *n)
{
    const json_t *arr = json_object_get(datasets, name);
    if (!arr)
        fail_msg("dataset %s missing from datasets.json", name);
    double *v = fixture_array(arr, n);
    assert_int_equal(drift_sort(v, *n), 0);
    return v;
}

double fixture_number(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        fail_msg("fixture member %s missing", key);
    return json_is_null(v) ? NAN : json_number_value(v);
}

double rel_err(double got, double want)
{
    if (got == want)
        return 0.0;
    if (want == 0.0)
        return INFINITY;
    return fabs(got - want) / fabs(want);
}

int err_check(struct err_track *t, const char *where, double got, double want, double tol)
{
    double e = rel_err(got, want);
    if (isnan(got) != isnan(want))
        e = INFINITY;
    else if (isnan(got))
        e = 0.0;
    if (e > t->max_rel || (t->where[0] == '\0')) {
        if (e > t->max_rel)
            t->max_rel = e;
        snprintf(t->where, sizeof t->where, "%s", where);
    }
    if (e > tol) {
        print_error("%s: %s = %.17g, scipy %.17g (relative error %.3g > %.1g)\n", where, t->what,
                    got, want, e, tol);
        t->failures++;
        return 1;
    }
    return 0;
}

void err_report(const struct err_track *t)
{
    print_message("%-34s max relative error %.3g (%s)\n", t->what, t->max_rel, t->where);
}
