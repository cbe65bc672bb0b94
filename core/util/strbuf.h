/* Growable NUL-terminated byte buffer for building text (HTTP bodies, exposition, JSON lines).
 * A failed allocation sets `failed` and makes later appends no-ops, so callers check once at the end. */
#ifndef DW_STRBUF_H
#define DW_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (malloc'd, NUL-terminated, never NULL unless failed) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

#endif
