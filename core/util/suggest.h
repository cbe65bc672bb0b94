/* "did you mean ...?" for mistyped names (methods, features, keys): the closest candidate by
 * edit distance, so a config or command-line error can name the fix. */
#ifndef DW_SUGGEST_H
#define DW_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance of a and b (insertions, deletions, substitutions; bytes), stopping at
 * limit + 1 once it is certain to exceed limit. */
size_t suggest_distance(const char *a, const char *b, size_t limit);

/* The candidate closest to word within SUGGEST_MAX_DISTANCE edits (the first of equals), or NULL.
 * candidates: n names, or a NULL-terminated list when n is SIZE_MAX. */
#define SUGGEST_MAX_DISTANCE 2
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

/* Appends " (did you mean 'X'?)" to buf (of size len, NUL-terminated) when suggestion is not NULL. */
void suggest_append(char *buf, size_t len, const char *suggestion);

#endif
