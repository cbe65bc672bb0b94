/* A table of columns filled row by row, from CSV fields or samples' rows: the one representation of
 * both a baseline being built (numeric values kept in a seeded reservoir, so memory is bounded by
 * the sample size) and a live or file window (every value kept). The schema (names, types) is
 * fixed by columns_add; values for unknown names are ignored. */
#ifndef DW_DATA_COLUMNS_H
#define DW_DATA_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "util/catmap.h"
#include "data/cells.h"
#include "util/prng.h"
#include "sample/sample_row.h"

enum col_type { COL_NUMERIC = 1, COL_CATEGORICAL = 2 };
enum col_role { ROLE_FEATURE = 0, ROLE_TARGET = 1, ROLE_PREDICTION = 2 };

struct column {
    char *name;
    enum col_type type;
    enum col_role role;
    uint64_t missing; /* empty field, JSON null, NaN, or absent from the row */
    uint64_t absent;  /* of those, rows that did not carry the column's key at all (a CSV header
                         without it, a JSON object without the key): absent == rows is a column
                         missing from the data (docs/statistics.md's schema error) */
    uint64_t invalid; /* present but unusable for the type: text or +-Inf in a numeric column,
                         JSON arrays/objects, booleans in a numeric column */
    uint64_t count;   /* usable values */
    /* numeric (count values; Welford's running moments) */
    double mean, m2, min, max;
    double *values; /* every value, or a uniform reservoir of opt.sample_limit of them; unsorted */
    size_t nvalues, vcap;
    struct prng rng;
    /* categorical */
    struct catmap *cats;
    uint64_t stamp; /* internal: last row that gave this column a value */
    struct cells *cells; /* each row's value in row order (columns_keep_cells), or NULL */
};

struct columns_options {
    size_t sample_limit;   /* numeric values kept per column; 0 = all */
    uint64_t seed;         /* reservoir seed (column i uses stream i) */
    size_t max_categories; /* distinct categories kept per column; 0 = all; the rest are counted
                              in the column's catmap overflow */
    size_t row_sample;     /* whole rows kept (every column's usable number, NAN otherwise, for the
                              multivariate methods of docs/statistics.md): 0 none, COLUMNS_ALL_ROWS
                              every row, else a seeded uniform reservoir of that many rows */
};
#define COLUMNS_ALL_ROWS SIZE_MAX
#define COLUMNS_MAX_UNKNOWN_NAMES 1000

struct columns {
    struct column *cols;
    size_t ncols, cap;
    uint64_t rows;
    struct columns_options opt;
    struct catmap *names;     /* name -> column index */
    uint64_t stamp;
    int failed;               /* sticky out-of-memory flag, reported by columns_end_row */
    uint64_t unknown_values;  /* values for names not in the schema (ignored) */
    struct catmap *unknown_names; /* those names (CSV header columns, JSON object keys other than the
                                     sample envelope's), each with the rows that carried it; the
                                     first COLUMNS_MAX_UNKNOWN_NAMES kept, the rest in its overflow */
    char *prediction_name;    /* sample objects: where "prediction" goes (NULL: a column "prediction") */
    char *target_name;        /* sample objects: where "label" goes (NULL: a column "label") */
    char *score_name;         /* sample objects: where "score" goes (NULL: a column "score") */
    char *ts_from, *ts_to;    /* earliest/latest "timestamp" of sample objects (RFC 3339 text) */
    char *scratch;            /* UTF-8 repair and number text */
    size_t scratch_cap;
    /* kept rows (opt.row_sample): slot k holds row_vals[k*row_width ..], file row row_idx[k] */
    double *row_buf;          /* the row being read (row_width values) */
    double *row_vals;
    uint64_t *row_idx;
    size_t row_width, nrows_kept, rows_cap;
    struct prng row_rng;
};

/* opt NULL: keep every value, unlimited categories, seed 0. Returns NULL when out of memory. */
struct columns *columns_new(const struct columns_options *opt);
void columns_free(struct columns *t);
/* Forgets all values and rows but keeps the schema (a tumbling window's next window). */
void columns_reset(struct columns *t);

/* Adds a column. Returns its index, -1 out of memory, -2 when the name is already there. */
int columns_add(struct columns *t, const char *name, enum col_type type, enum col_role role);
/* Index of a column or -1. */
int columns_find(const struct columns *t, const char *name);
int columns_findn(const struct columns *t, const char *name, size_t len);
/* Keeps column idx's value of every row from now on, row-aligned (t->cols[idx].cells), for
 * metrics over several columns of the same rows. Rows given through columns_take_values are not
 * kept. Returns 0 or -1 (memory). */
int columns_keep_cells(struct columns *t, int idx);
/* Names the columns that sample objects' "prediction" and "label" fill. Returns 0 or -1 (memory). */
int columns_set_roles(struct columns *t, const char *prediction_name, const char *target_name);

/* Row by row: begin, put values (idx < 0 is ignored), end. A column given no value in a row
 * counts one missing. columns_end_row returns 0, or -1 if memory ran out since the last check. */
void columns_begin_row(struct columns *t);
void columns_put_text(struct columns *t, int idx, const char *s, size_t len);
void columns_put_number(struct columns *t, int idx, double x);
/* A value unusable for the column's type (counted invalid). */
void columns_put_invalid(struct columns *t, int idx);
int columns_end_row(struct columns *t);

/* One row from a sample read by sample_row_parse with t's schema (columns_row_schema): its cells,
 * its unknown keys and its timestamp. Returns 0 or -1 (memory). */
int columns_add_row(struct columns *t, const struct sample_row *r);

/* A whole table at once, from rows already split into cells (a model's live window), with the
 * same counts as adding those rows one by one. The numeric column idx takes over values (n usable
 * values in row order, malloc'd with room for cap); categorical values are counted one by one;
 * missing/invalid counts are added; a "timestamp" text of a row widens from/to; finish sets the
 * row count and returns 0, or -1 if memory ran out on the way. Only for a table with
 * sample_limit 0 and no rows yet. */
void columns_take_values(struct columns *t, int idx, double *values, size_t n, size_t cap);
void columns_add_category(struct columns *t, int idx, const char *s, size_t len);
void columns_count_unusable(struct columns *t, int idx, uint64_t missing, uint64_t invalid);
/* Of the missing values counted, absent ones (the row did not carry the key). */
void columns_count_absent(struct columns *t, int idx, uint64_t absent);
void columns_note_timestamp(struct columns *t, const char *s);
/* The kept rows of such a table at once (opt.row_sample set): n rows of ncols values, row-major,
 * NAN where a row has no usable number; takes over rows (malloc'd). Returns 0 or -1 (memory). */
int columns_take_rows(struct columns *t, double *rows, size_t n);
int columns_finish_rows(struct columns *t, uint64_t rows);

/* The kept rows (opt.row_sample) in file order: order[k] = the slot (row_vals[order[k]*row_width])
 * of the k-th kept row. order has room for t->nrows_kept. Rows read through columns_take_values
 * are not kept (the table has no row structure then). */
int columns_kept_row_order(const struct columns *t, size_t *order); /* 0, or -1 out of memory */

/* A name the schema lacks, carried by rows rows of the data (a CSV header column: every row; a
 * live window's sample keys). Counted in unknown_names. */
void columns_note_unknown(struct columns *t, const char *name, size_t len, uint64_t rows);
/* The schema the sample reader (sample/sample_row.h) reads rows of t's columns with. */
void columns_row_schema(struct row_schema *s, const struct columns *t);

/* Missing share of a column over the table's rows (missing + invalid) / rows; 0 when no rows. */
double columns_missing_share(const struct columns *t, int idx);

#endif
