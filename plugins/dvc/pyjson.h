/* Byte-exact Python json.dumps() strings (ensure_ascii) and Python's str ordering, for file names as
 * Python sees them: os.fsdecode(), i.e. UTF-8 with invalid bytes as lone surrogates U+DC80..U+DCFF. */
#ifndef DVC_PYJSON_H
#define DVC_PYJSON_H

#include "dvc_buf.h"

/* Appends s as json.dumps(os.fsdecode(s)) would write it, quotes included. 0 or -1 (no memory). */
int dvc_pyjson_append_str(struct dvc_buf *b, const char *s);
/* <0, 0, >0 as Python compares os.fsdecode(a) with os.fsdecode(b): code point by code point. */
int dvc_pyjson_compare(const char *a, const char *b);

#endif
