/* Data files (CSV with a header row, JSON Lines, a JSON array) read into a column table, and the
 * type inference pass that decides each column's type before a baseline is built. JSON rows are
 * samples under the agent's rules (core/sample, docs/data-formats.md), but that an empty object is
 * a row of missing values. Bad rows (a wrong field count; invalid JSON as "path:line:column:
 * invalid JSON: why"; a value of the wrong shape as "path:line: $.features.x: why") are reported
 * and skipped, or fatal under strict. A JSON array file that is not JSON is fatal. */
#ifndef DW_DATA_SOURCE_H
#define DW_DATA_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/source_options.h"

/* CSV with a header row; JSON Lines (one object a line); one JSON array of objects (a batch) */
enum source_format { SOURCE_CSV = 1, SOURCE_JSONL = 2, SOURCE_JSON_ARRAY = 3 };

struct source_column {
    char *name;
    enum col_type type;   /* numeric unless a non-missing value failed to parse as a finite number */
    enum col_role role;   /* sample objects' prediction/label columns get their role */
    uint64_t values;      /* non-missing values seen */
};

struct source_schema {
    enum source_format format;
    struct source_column *cols;
    size_t ncols;
    uint64_t rows;     /* good rows */
    uint64_t bad_rows;
    uint64_t bytes;
    char md5[33];      /* of the whole file, lowercase hex */
};

struct source_stats {
    uint64_t rows;     /* rows added to the table */
    uint64_t bad_rows;
    uint64_t bytes;
};

/* .csv is CSV; otherwise the first non-blank byte decides: '[' a JSON array, '{' JSON Lines, else
 * CSV (.jsonl/.ndjson/.json files that start otherwise are read as JSON Lines). */
int source_detect(const char *path, enum source_format *fmt, char *err, size_t errlen);

/* First pass: column names (CSV header, or in order of appearance the keys of flat JSON rows, the
 * features of samples and their prediction and label under prediction_name and target_name), types,
 * row counts and the file's MD5. An empty file is an error; a header without rows is not (rows 0).
 * Returns 0, or -1 with err. */
int source_infer(const char *path, const struct source_options *o, struct source_schema **out, char *err,
                 size_t errlen);
void source_schema_free(struct source_schema *s);

/* Reads every row of path into t; columns of the file that t lacks are ignored, columns of t that
 * the file lacks are missing in every row. Returns 0, or -1 with err (I/O, strict bad row, a CSV
 * header with duplicate or empty names, an empty file). st may be NULL. */
int source_read(const char *path, const struct source_options *o, struct columns *t, struct source_stats *st,
                char *err, size_t errlen);

#endif
