/* Comma-separated lists of names ("a,b,c"), as flags and protected attributes give them. */
#ifndef DW_STRLIST_H
#define DW_STRLIST_H

#include <stddef.h>

/* Splits "a,b,c" into a malloc'd array of malloc'd strings appended to *list (empty items are
 * skipped). Returns 0 or -1 (memory). */
int strlist_split(const char *s, char ***list, size_t *n);
void strlist_free(char **list, size_t n);

#endif
