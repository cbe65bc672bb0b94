/* One sample's JSON text read straight into a row of cells for a model's columns (docs/data-formats.md),
 * without building a document: the single parse of a sample that sample_check.h already validated. */
#ifndef DW_SAMPLE_ROW_H
#define DW_SAMPLE_ROW_H

#include <stddef.h>
#include <stdint.h>


/* Cell values. A numeric cell holds the bits of a finite double; a categorical cell, while in a
 * row, the text's offset (low 32 bits) and length (next 31 bits) in the row's buffer, and once in
 * a window the text's id there. Both sentinels are NaN bit patterns no finite value has. */
#define CELL_MISSING UINT64_MAX       /* null, "", "NaN" */
#define CELL_INVALID (UINT64_MAX - 1) /* unusable for the column's type (see columns.h) */
#define CELL_ABSENT (UINT64_MAX - 2)  /* the sample did not carry the key: missing too, and a column
                                         absent from every sample is missing from the data (docs/statistics.md) */

/* Keys of a row that no column has (docs/statistics.md's unexpected columns): the first few per row, of
 * bounded length, are kept for the window to count. */
#define SAMPLE_ROW_MAX_UNKNOWN 16
#define SAMPLE_ROW_MAX_UNKNOWN_LEN 256

struct columns; /* the core's column table (data/columns.h), seen here only through the lookups */

/* The columns a row is read for: where a key's value goes, whether that column is numeric, and
 * where a nested sample's "prediction" and "label" go. Borrowed; columns_row_schema() makes one. */
struct row_schema {
    const struct columns *cols;
    int (*find)(const struct columns *cols, const char *key, size_t len); /* column of key, -1: none */
    int (*numeric)(const struct columns *cols, int col);
    int prediction_col;  /* -1: none */
    int target_col;      /* -1: none */
    int score_col;       /* -1: none; the top-level "score", or the prediction object's */
};

/* 1 when key is one of the sample envelope's keys (features, prediction, label, score, timestamp,
 * request_id): in a flat sample they are not features unless the schema has a column of that name. */
int sample_is_envelope_key(const char *key, size_t len);

struct sample_row {
    size_t ncols;
    uint64_t *cells;
    uint64_t *given;     /* per column: the row number that gave it a value (duplicate keys) */
    uint64_t rowno;
    char *buf;           /* categorical texts and the timestamp */
    size_t buf_len, buf_cap;
    long ts_off;         /* the top-level "timestamp" string in buf (-1: none) */
    size_t ts_len;
    char cls[128];       /* the top-level "prediction" as a class label ("" when not a scalar) */
    /* feature keys of the row that the columns lack (not the sample envelope's keys), NUL-separated */
    char *unknown;
    size_t unknown_len, unknown_cap, nunknown;
    /* Set after sample_row_init, both 0 there. unknown_all: every such key, of any length (a data
     * file's reader reports all the columns of the file a baseline lacks; the agent keeps a bounded
     * hint). unknown_envelope: a flat sample's envelope keys too (a data file's type inference,
     * for which every key of a flat row is a column). */
    int unknown_all;
    int unknown_envelope;
};

int sample_row_init(struct sample_row *r, size_t ncols);
void sample_row_free(struct sample_row *r);

/* Reads text[0, len) (one JSON object) into r with the semantics of columns_add_row_json. Returns
 * 0, or -1 with why when the text is not a readable sample (bad JSON, not an object, a repeated
 * key of a column, an integer out of range, memory). */
int sample_row_parse(const struct row_schema *s, const char *text, size_t len, struct sample_row *r, char *why,
                     size_t whylen);

/* The categorical text of cell c of r (valid until the next parse). */
const char *sample_row_text(const struct sample_row *r, uint64_t cell, size_t *len);
/* The row's timestamp text, or NULL. */
const char *sample_row_timestamp(const struct sample_row *r, size_t *len);
/* The i-th unknown key of the row (0 <= i < r->nunknown), NUL-terminated; *off is the position after
 * it, for the next call (start with *off = 0). */
const char *sample_row_unknown_next(const struct sample_row *r, size_t *off, size_t *len);

/* What a sample says about its prediction, for joining delayed labels (docs/data-formats.md): the
 * top-level "request_id" (a string, or an integer as text), "prediction" (a scalar, or an object
 * {"label", "score"}), "score" and "label". Texts as class labels: a string, a number as printf's
 * %g (an integer exactly), "true"/"false"; "" when absent, null or not a scalar. */
struct sample_envelope {
    char request_id[128];
    char prediction[128];
    char label[128];
    double score;            /* NAN when absent or not a number */
    double prediction_value; /* the prediction and the label as JSON numbers (regression), else NAN */
    double label_value;
};

/* Reads e from text[0, len) without reading the features. Returns 0, or -1 when the text is not a
 * JSON object. */
int sample_read_envelope(const char *text, size_t len, struct sample_envelope *e);

#endif
