/* Row-aligned cells of one column: what each row held, in row order, for the columns that must be
 * read together row by row (a model's target, prediction, score and protected attributes, for the
 * performance and fairness metrics), where the column table itself keeps only counts and samples. */
#ifndef DW_DATA_CELLS_H
#define DW_DATA_CELLS_H

#include <stddef.h>

#include "util/catmap.h"

struct cells {
    double *num;           /* numeric column: each row's value, NAN when missing or invalid */
    long *cat;             /* categorical column: each row's index into texts, -1 when missing */
    struct catmap *texts;  /* categorical column: the distinct values */
    size_t n, cap;
    double cur_num;        /* the row being read */
    long cur_cat;
};

/* numeric: 1 for a numeric column, 0 for a categorical one. NULL when out of memory. */
struct cells *cells_new(int numeric);
void cells_free(struct cells *c);
/* Forgets every row (keeps the memory). */
void cells_clear(struct cells *c);

/* The row being read: starts missing, then takes a number or a text. */
void cells_row_missing(struct cells *c);
void cells_row_number(struct cells *c, double x);
int cells_row_text(struct cells *c, const char *s, size_t len); /* 0 or -1 (memory) */
/* Appends the row being read. Returns 0 or -1 (memory). */
int cells_end_row(struct cells *c);

/* Row i's value as a label text (a number as its shortest round-trip text, so 1 and 1.0 are the
 * same label; a text that reads as a number likewise), written to buf (32 bytes) for numbers;
 * NULL when missing. *len its length. */
const char *cells_label(const struct cells *c, size_t i, char *buf, size_t *len);
/* Row i's value as a number: NAN when missing or not a number. */
double cells_number(const struct cells *c, size_t i);

#endif
