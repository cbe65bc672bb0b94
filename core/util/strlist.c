/* Comma-separated lists (see strlist.h). */
#include "util/strlist.h"

#include <stdlib.h>
#include <string.h>

int strlist_split(const char *s, char ***list, size_t *n)
{
    const char *p = s;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len) {
            char **l = realloc(*list, (*n + 1) * sizeof *l);
            if (!l)
                return -1;
            *list = l;
            l[*n] = strndup(p, len);
            if (!l[*n])
                return -1;
            (*n)++;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void strlist_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}
