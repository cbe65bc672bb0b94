/* How a data file is read (source.h, source_json.h): strictness, the sample columns' names, and the
 * callbacks for bad rows and progress. */
#ifndef DW_DATA_SOURCE_OPTIONS_H
#define DW_DATA_SOURCE_OPTIONS_H

#include <stdint.h>

struct source_options {
    int strict;                  /* first bad row is fatal */
    const char *prediction_name; /* JSONL sample objects: column of "prediction" (NULL: "prediction") */
    const char *target_name;     /* ... and of "label" (NULL: "label") */
    /* Each bad row's message ("path:line[:col]: what"), when not strict. May be NULL. */
    void (*on_bad_row)(void *ud, const char *msg);
    /* Progress through the file (called every few MB). May be NULL. */
    void (*on_progress)(void *ud, const char *phase, uint64_t done, uint64_t total);
    void *ud;
};

#endif
