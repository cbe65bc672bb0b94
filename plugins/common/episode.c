/* What a trainer needs to join its fleet's drift episode (docs/operations.md): the lookup window
 * of the cooldown, the times of jobs and the model part of a retrain key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_common.h"

int64_t pu_lookup_cutoff(int64_t cooldown_ms)
{
    /* Rounded down to the second: the filter's RFC 3339 text has no fraction, so the window may be
     * up to a second longer than the cooldown, never shorter. */
    return (int64_t)time(NULL) - (cooldown_ms + 999) / 1000;
}

/* n decimal digits at s; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil), so no timegm() and no TZ are needed. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int pu_parse_rfc3339(const char *s, int64_t *unix_s)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    *unix_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
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
