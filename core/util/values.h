/* Parsing of the scalar value kinds config files use: durations ("250ms", "5m", "24h"), sizes
 * ("64K", "2M"), booleans, numbers, and ${ENV} expansion. Each returns 0 or -1 (not a valid value). */
#ifndef DW_VALUES_H
#define DW_VALUES_H

#include <stddef.h>
#include <stdint.h>

int value_parse_duration_ms(const char *s, int64_t *ms);
int value_parse_size(const char *s, int64_t *bytes);
int value_parse_bool(const char *s, int *b);
int value_parse_int(const char *s, int64_t *v);
int value_parse_double(const char *s, double *v);

/* Expands ${NAME} and ${NAME:-default} into a malloc'd string. Returns 0, or -1 with the name of
 * an unset variable (or "syntax") in missing (size missinglen). */
int value_expand_env(const char *in, char **out, char *missing, size_t missinglen);

/* Reads a secret from a file: the whole content with trailing newlines removed, malloc'd. */
int value_read_secret_file(const char *path, char **out, char *err, size_t errlen);

#endif
