/* Loading the scipy fixtures of tests/drift/fixtures (written by gen_fixtures.py) and comparing
 * results with them: shared by the drift test programs. */
#ifndef DW_TEST_DRIFT_FIXTURE_H
#define DW_TEST_DRIFT_FIXTURE_H

#include <stddef.h>

#include <jansson.h>

/* Parses tests/drift/fixtures/<file>; fails the current test when it cannot. */
json_t *fixture_load(const char *file);

/* A malloc'd copy of a JSON array of numbers; *n its length. */
double *fixture_array(const json_t *arr, size_t *n);

/* The named dataset of datasets.json, copied and sorted with drift_sort. */
double *fixture_dataset(const json_t *datasets, const char *name, size_t *n);

/* A number member of obj; NAN when it is null. */
double fixture_number(const json_t *obj, const char *key);

/* |got - want| / |want| (0 when both are 0, infinity when only want is 0). */
double rel_err(double got, double want);

/* Largest relative error seen for one quantity, and where. */
struct err_track {
    const char *what;
    double max_rel;
    char where[160];
    int failures;
};

/* Records one comparison; returns 1 when it fails (and prints why). */
int err_check(struct err_track *t, const char *where, double got, double want, double tol);

/* Prints "what: max relative error ... at ..." for the summary in the test log. */
void err_report(const struct err_track *t);

#endif
