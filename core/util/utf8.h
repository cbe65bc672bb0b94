/* UTF-8 checks for text that ends up in JSON, Prometheus labels and HTML: invalid bytes become
 * U+FFFD at ingestion, so baseline and window spell a damaged category the same way. */
#ifndef DW_DATA_UTF8_H
#define DW_DATA_UTF8_H

#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* Copies s to out replacing each maximal invalid subsequence with U+FFFD (EF BF BD). out must hold
 * 3 * len + 1 bytes; the result is NUL-terminated. Returns its length. */
size_t utf8_sanitize(const char *s, size_t len, char *out);

#endif
