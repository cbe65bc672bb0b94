/* JSON text output into a strbuf: escaped strings, shortest round-trip numbers, and a dumper for
 * jansson trees that prints reals the same way (jansson's own dump prints 17 digits: 0.1 would
 * read 0.10000000000000001). */
#ifndef DW_DATA_JSONW_H
#define DW_DATA_JSONW_H

#include <jansson.h>
#include <stddef.h>

#include "util/strbuf.h"

/* Appends s[0..len) as a quoted JSON string (RFC 8259 escapes; s must be valid UTF-8). */
void jsonw_string(struct strbuf *sb, const char *s, size_t len);
/* Appends x in the shortest form that reads back exactly; null when not finite. */
void jsonw_number(struct strbuf *sb, double x);
/* Appends v; indent 0 = one line, else pretty-printed with that many spaces per level.
 * Object keys keep jansson's insertion order. */
void jsonw_dump(struct strbuf *sb, const json_t *v, int indent);
/* Appends the agent's error answer, one line: {"error": "<msg>", "status": <status>} and a newline. */
void jsonw_error(struct strbuf *sb, const char *msg, int status);

#endif
