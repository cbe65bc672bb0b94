/* The JSON half of the data-file readers (source.c): one pass over a JSON Lines file or a JSON array
 * file, handing each sample that passes the agent's check to a callback, and the bad-row and
 * progress reporting both halves share. Internal to core/data. */
#ifndef DW_DATA_SOURCE_JSON_H
#define DW_DATA_SOURCE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "data/source_options.h"
#include "util/csv.h"

/* Progress is reported every this many bytes of the file. */
#define PROGRESS_EVERY (8u << 20)

/* What a pass does with one sample that passed the check: 0, -1 out of memory, or -2 with why
 * when the reader refuses it (a bad row). */
typedef int (*json_row_fn)(void *ud, const char *text, size_t len, char *why, size_t whylen);

struct json_pass {
    const char *path;
    const struct source_options *o;
    json_row_fn row;
    void *ud;
    uint64_t *rows, *bad_rows;
    char *err;
    size_t errlen;
    int failed;        /* err is set: the remaining samples are not looked at */
    uint64_t line;     /* JSON Lines: the line being read; a JSON array: the line of the element */
    size_t line_off;   /* a JSON array: where line starts being counted from */
    const char *text;  /* a JSON array: the whole file */
};

/* Every line of a JSON Lines file r. Returns 0, or -1 with err. */
int source_json_lines(struct json_pass *j, struct csv_reader *r, const char *phase);
/* A JSON array file's text: not JSON is fatal (nothing is read); each element that is not a
 * sample is a bad row. Returns 0, or -1 with err. */
int source_json_array(struct json_pass *j, const char *text, size_t len);
/* The whole file (a JSON array is one document). Returns 0 with *text (malloc'd, len bytes), or
 * -1 with err. */
int source_read_whole(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* Bad row: fatal under strict (-1 with err), else counted and handed to on_bad_row (0). */
int source_bad_row(const struct source_options *o, uint64_t *count, const char *msg, char *err, size_t errlen);
/* Calls on_progress once r passed *next, and moves *next on by PROGRESS_EVERY. */
void source_progress(const struct source_options *o, const char *phase, struct csv_reader *r, uint64_t *next);

#endif
