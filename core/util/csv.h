/* Streaming RFC 4180 reader: quoted fields, "" escapes, embedded newlines, CRLF, UTF-8 BOM.
 * One large read buffer; fields are slices of it (unescaped in place and NUL-terminated), so
 * reading a row allocates nothing once the buffer and the field array have grown to fit. */
#ifndef DW_DATA_CSV_H
#define DW_DATA_CSV_H

#include <stddef.h>
#include <stdint.h>

struct csv_field {
    char *ptr; /* NUL-terminated; valid until the next csv_read_row/csv_rewind */
    size_t len;
};

struct csv_row {
    struct csv_field *fields;
    size_t nfields;
    uint64_t line; /* physical line where the record starts (1-based) */
};

/* CSV_LINES: no quoting or separators: each line is one field (the JSON Lines reader uses it). */
enum { CSV_LINES = 1 };

struct csv_reader;

/* Opens path for reading. Returns NULL with err ("path: reason") on failure. */
struct csv_reader *csv_open(const char *path, unsigned flags, char *err, size_t errlen);
void csv_close(struct csv_reader *r);

/* Reads the next record; completely blank lines are skipped.
 * Returns 1 with *row filled, 0 at end of file, -1 on an I/O error or a record longer than the
 * 64 MiB limit (fatal), -2 on a malformed record (an unterminated quote running to end of file:
 * err names path:line; the record is consumed and the next call returns 0). */
int csv_read_row(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen);

/* Back to the start of the file (for a second pass). Returns 0 or -1 with err. */
int csv_rewind(struct csv_reader *r, char *err, size_t errlen);

/* Bytes of the file consumed so far, and its size when known (0 for pipes). */
uint64_t csv_offset(const struct csv_reader *r);
uint64_t csv_size(const struct csv_reader *r);

/* Called with every chunk read from the file, in order (e.g. to hash it). Only the first pass
 * should hash: the hook stays until cleared with fn = NULL. */
void csv_set_chunk_hook(struct csv_reader *r, void (*fn)(void *ud, const void *p, size_t n), void *ud);

#endif
