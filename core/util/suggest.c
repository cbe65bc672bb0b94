/* Closest-name suggestions (see suggest.h). */
#include "util/suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t suggest_distance(const char *a, const char *b, size_t limit)
{
    size_t na = strlen(a), nb = strlen(b);
    if ((na > nb ? na - nb : nb - na) > limit || nb >= 256)
        return limit + 1;
    /* one row of the dynamic programme at a time: row[j] = distance of a[0,i) and b[0,j) */
    size_t row[256];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
    }
    return row[nb] > limit ? limit + 1 : row[nb];
}

const char *suggest_nearest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SUGGEST_MAX_DISTANCE + 1;
    for (size_t i = 0; n == SIZE_MAX ? candidates[i] != NULL : i < n; i++) {
        if (!candidates[i] || strcmp(candidates[i], word) == 0)
            continue;
        size_t d = suggest_distance(word, candidates[i], SUGGEST_MAX_DISTANCE);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

void suggest_append(char *buf, size_t len, const char *suggestion)
{
    size_t used = strnlen(buf, len);
    if (suggestion && used < len)
        snprintf(buf + used, len - used, " (did you mean '%s'?)", suggestion);
}
