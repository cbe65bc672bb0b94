/* Growable byte buffer: doubling allocation, always NUL-terminated.
 * Used to assemble the Python-compatible JSON listing of a directory. */
#include "dvc_buf.h"

#include <stdlib.h>
#include <string.h>

int dvc_buf_append(struct dvc_buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dvc_buf_puts(struct dvc_buf *b, const char *s)
{
    return dvc_buf_append(b, s, strlen(s));
}

void dvc_buf_release(struct dvc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
