/* UTF-8 validation (RFC 3629 table 3-7 of Unicode's well-formed byte sequences). */
#include "util/utf8.h"

#include <string.h>

/* Length of the valid sequence at s (1..4), or 0 when the bytes there are not valid UTF-8. A NUL
 * byte counts as invalid too: names and categories travel as C strings, which would cut at it
 * (and "US" and "US\0x" would become one category). */
static size_t seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80 && p[i] != 0) {
            i++;
            continue;
        }
        size_t n = seq_len(p + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_sanitize(const char *s, size_t len, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, w = 0;
    while (i < len) {
        size_t n = seq_len(p + i, len - i);
        if (n) {
            memcpy(out + w, s + i, n);
            w += n;
            i += n;
            continue;
        }
        memcpy(out + w, "\xEF\xBF\xBD", 3);
        w += 3;
        i++;
        /* skip continuation bytes that belonged to the broken sequence */
        while (i < len && p[i] >= 0x80 && p[i] <= 0xBF)
            i++;
    }
    out[w] = '\0';
    return w;
}
