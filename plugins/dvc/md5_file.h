/* DVC-compatible file hashes: plain md5 (DVC 3, `hash: md5`) and md5-dos2unix (entries written by
 * DVC 2, which have no `hash:` key). Streaming through OpenSSL EVP. */
#ifndef DVC_MD5_FILE_H
#define DVC_MD5_FILE_H

#include <stddef.h>
#include <stdint.h>

enum dvc_hash {
    DVC_HASH_MD5 = 0,
    DVC_HASH_MD5_DOS2UNIX,
};

#define DVC_MD5_HEX 33 /* 32 hex digits and a NUL */

/* "md5" or "md5-dos2unix", the names DVC uses. */
const char *dvc_hash_name(enum dvc_hash hash);
/* dvc-data's istextblock(): empty is text; a NUL byte means binary; otherwise text when at most
 * 30% of the bytes are outside printable ASCII (32..126) and \n \r \t \f \b. */
int dvc_is_text_block(const unsigned char *block, size_t len);
/* 1 when s is 32 lowercase hex digits, optionally followed by ".dir" (a DVC object id). */
int dvc_md5_valid(const char *s);
/* md5 of len bytes as lowercase hex. 0, or -1 when the digest is unavailable. */
int dvc_md5_bytes(const void *data, size_t len, char hex[DVC_MD5_HEX]);
/* Hash of a regular file (symlinks followed); *size gets its size in bytes on disk.
 * 0, or -1 with err ("cannot open PATH: reason", "PATH is not a regular file", ...). */
int dvc_md5_file(const char *path, enum dvc_hash hash, char hex[DVC_MD5_HEX], uint64_t *size,
                 char *err, size_t errlen);

#endif
