/* Number parsing and printing for data files: a fast exact path for plain decimals (Clinger's),
 * strtod for the rest, and the shortest text that reads back as the same double. */
#ifndef DW_DATA_NUMPARSE_H
#define DW_DATA_NUMPARSE_H

#include <stddef.h>

/* Parses s[0..len) (surrounding spaces/tabs allowed) as a finite decimal number:
 * [+-]digits[.digits][e[+-]digits]. Returns 0 and *out, or -1 when the text is not a finite
 * number (empty, words, "inf", "nan", hex, overflow to infinity). Correctly rounded. */
int num_parse(const char *s, size_t len, double *out);

/* 1 when num_parse would accept s[0..len) (a cheaper check for type inference). */
int num_valid(const char *s, size_t len);

/* 1 when s[0..len) is a missing-value marker other than the empty string: "NaN" (any case). */
int num_is_nan_text(const char *s, size_t len);

/* Writes the shortest of %.15g/%.16g/%.17g that reads back as x ("NaN", "+Inf", "-Inf" for the
 * non-finite). buf must hold 32 bytes. Returns the length. */
size_t num_format(double x, char *buf);

#endif
