/* The four hex digits of a JSON \uXXXX escape, shared by the core's sample reader (core/sample_row.c)
 * and the push/tail probes' sample check, which cannot link the core: hence inline in a header. */
#ifndef DW_DATA_JSON_HEX_H
#define DW_DATA_JSON_HEX_H

/* Reads p[0..3] as hex digits (either case) into *out; 0, or -1 at the first other character. */
static inline int json_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

#endif
