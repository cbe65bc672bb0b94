/* What a trainer needs to join its fleet's drift episode (docs/operations.md): the lookup window
 * of the cooldown, the times of jobs and the model part of a retrain key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_common.h"
#include "sample/rfc3339.h"

int64_t pu_lookup_cutoff(int64_t cooldown_ms)
{
    /* Rounded down to the second: the filter's RFC 3339 text has no fraction, so the window may be
     * up to a second longer than the cooldown, never shorter. */
    return (int64_t)time(NULL) - (cooldown_ms + 999) / 1000;
}

/* The one RFC 3339 parser (core/sample), whole seconds: a job's createTime to the second is all a
 * cooldown window needs. */
int pu_parse_rfc3339(const char *s, int64_t *unix_s)
{
    int64_t ms;
    if (!s || rfc3339_to_ms(s, strlen(s), &ms) < 0)
        return -1;
    *unix_s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return 0;
}

char *pu_key_model_part(const char *key)
{
    /* "<model>-<data version>-<bucket>": neither of the last two parts holds a '-'. */
    const char *last = key ? strrchr(key, '-') : NULL;
    const char *second = last;
    while (second && second > key && *--second != '-')
        ;
    if (!last || !second || second == key || *second != '-')
        return NULL;
    char *out = malloc((size_t)(second - key) + 1);
    if (out) {
        memcpy(out, key, (size_t)(second - key));
        out[second - key] = '\0';
    }
    return out;
}
