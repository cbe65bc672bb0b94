/* Names made from user text for places that allow only [a-z0-9-] (Vertex job ids and labels) or
 * [a-z0-9_-] (state file names): one rule, so a job id and a file name never disagree on it. */
#include "plugin_common.h"

void pu_slug(const char *s, int keep_underscore, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 1 < outlen; p++) {
        char c = (char)*p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (keep_underscore && c == '_')))
            c = '-';
        if (c == '-' && (o == 0 || out[o - 1] == '-'))
            continue;
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == '-')
        o--;
    out[o] = '\0';
}
