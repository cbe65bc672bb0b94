/* RFC 3339 date-times (see rfc3339.h): the one parser of a sample's timestamp, for the probes'
 * validation and the core's time windows alike. */
#include "sample/rfc3339.h"

static int digits(const char *s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int rfc3339_to_ms(const char *s, size_t n, int64_t *ms)
{
    int year, month, day, hour, minute, second;
    if (n < 20 || digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &month) || s[7] != '-' ||
        digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &hour) ||
        s[13] != ':' || digits(s + 14, 2, &minute) || s[16] != ':' || digits(s + 17, 2, &second))
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return -1;
    size_t i = 19;
    int frac_ms = 0;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return -1;
        int k = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
            if (k < 3) /* below a millisecond is cut off */
                frac_ms = frac_ms * 10 + (s[i] - '0');
        for (; k < 3; k++)
            frac_ms *= 10;
    }
    int offset_min = 0;
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        offset_min = 0;
    } else {
        int oh, om;
        if (i + 6 != n || (s[i] != '+' && s[i] != '-') || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                   (int64_t)offset_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}
