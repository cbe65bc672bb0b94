/* RFC 3339 date-times, as a sample's "timestamp" carries them (docs/data-formats.md). */
#ifndef DW_RFC3339_H
#define DW_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* An RFC 3339 §5.6 date-time ("2024-05-01T12:00:00.5+02:00"; "t" and " " are accepted separators,
 * the fraction is cut below a millisecond) as milliseconds since the epoch. Returns 0, or -1 when
 * s[0, n) is not one. */
int rfc3339_to_ms(const char *s, size_t n, int64_t *ms);

#endif
