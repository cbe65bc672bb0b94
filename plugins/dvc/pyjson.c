/* Python json.dumps() string encoding (ensure_ascii=True, CPython's encode_basestring_ascii) and str
 * comparison, applied to file names decoded the way os.fsdecode() does on Linux (UTF-8, surrogateescape). */
#include "pyjson.h"

#include <stdint.h>
#include <stdio.h>

/* Decodes one code point at s[*i] and advances *i. Strict UTF-8 as CPython decodes it (no overlong
 * forms, no encoded surrogates, nothing above U+10FFFF); a byte that does not start a valid sequence
 * becomes U+DC00 + byte, as surrogateescape does. Escaping byte by byte gives the same result as
 * CPython's maximal-subpart error ranges, because each byte of such a range is escaped alone. */
static uint32_t next_code_point(const unsigned char *s, size_t *i)
{
    const unsigned char *p = s + *i;
    unsigned char c = p[0];
    uint32_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t n;
    uint32_t cp;

    if (c < 0x80) {
        *i += 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* U+D800..U+DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        goto invalid;
    }
    if (p[1] < lo || p[1] > hi)
        goto invalid;
    for (size_t k = 1; k < n; k++) {
        if (p[k] < 0x80 || p[k] > 0xBF) /* also stops at the terminating NUL */
            goto invalid;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    *i += n;
    return cp;
invalid:
    *i += 1;
    return 0xDC00u + c;
}

static int append_u(struct dvc_buf *b, uint32_t unit)
{
    char esc[8];
    snprintf(esc, sizeof esc, "\\u%04x", (unsigned)(unit & 0xFFFFu)); /* a UTF-16 unit: 4 hex digits */
    return dvc_buf_append(b, esc, 6);
}

int dvc_pyjson_append_str(struct dvc_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    if (dvc_buf_append(b, "\"", 1) != 0)
        return -1;
    while (u[i]) {
        uint32_t cp = next_code_point(u, &i);
        const char *esc = NULL;
        switch (cp) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
        int rc;
        if (esc) {
            rc = dvc_buf_puts(b, esc);
        } else if (cp >= 0x20 && cp <= 0x7E) {
            char ch = (char)cp;
            rc = dvc_buf_append(b, &ch, 1);
        } else if (cp > 0xFFFF) {
            /* astral: a UTF-16 surrogate pair, as json.dumps writes it */
            uint32_t v = cp - 0x10000;
            rc = append_u(b, 0xD800 + (v >> 10));
            if (rc == 0)
                rc = append_u(b, 0xDC00 + (v & 0x3FF));
        } else {
            rc = append_u(b, cp); /* controls, DEL, non-ASCII, lone surrogates */
        }
        if (rc != 0)
            return -1;
    }
    return dvc_buf_append(b, "\"", 1);
}

int dvc_pyjson_compare(const char *a, const char *b)
{
    const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
    size_t i = 0, j = 0;
    while (ua[i] && ub[j]) {
        uint32_t ca = next_code_point(ua, &i);
        uint32_t cb = next_code_point(ub, &j);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    if (ua[i])
        return 1;
    return ub[j] ? -1 : 0;
}
