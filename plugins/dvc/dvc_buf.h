/* A growable byte buffer for the dvc plugin (the .dir listing is built in one before hashing).
 * Always NUL-terminated; functions return 0 or -1 when memory runs out. */
#ifndef DVC_BUF_H
#define DVC_BUF_H

#include <stddef.h>

struct dvc_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
};

/* Appends n bytes of p. */
int dvc_buf_append(struct dvc_buf *b, const char *p, size_t n);
/* Appends a NUL-terminated string. */
int dvc_buf_puts(struct dvc_buf *b, const char *s);
/* Releases the storage; the buffer is empty and reusable afterwards. */
void dvc_buf_release(struct dvc_buf *b);

#endif
