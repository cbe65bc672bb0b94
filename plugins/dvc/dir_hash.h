/* DVC directory hashes: the ".dir" md5 of the JSON listing of every regular file below a directory,
 * byte-identical to dvc-data's Tree.as_bytes(). */
#ifndef DVC_DIR_HASH_H
#define DVC_DIR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_buf.h"
#include "md5_file.h"

#define DVC_DIR_HEX (DVC_MD5_HEX + 4) /* 32 hex digits, ".dir", NUL */

/* Writes into json (appending) the listing json.dumps([{"md5": ..., "relpath": "a/b"}, ...],
 * sort_keys=True) of every regular file below dir (symlinks to files followed, symlinks to
 * directories and .git/.hg/.dvc directories skipped, as DVC's walk does), each file hashed with
 * `hash`, sorted by relpath in Python's order. *size gets the total bytes, *nfiles the count.
 * 0, or -1 with err. */
int dvc_dir_listing(const char *dir, enum dvc_hash hash, struct dvc_buf *json, uint64_t *size,
                    uint64_t *nfiles, char *err, size_t errlen);
/* md5 of that listing followed by ".dir", as DVC records a directory output. 0 or -1 with err. */
int dvc_dir_hash(const char *dir, enum dvc_hash hash, char hex[DVC_DIR_HEX], uint64_t *size,
                 uint64_t *nfiles, char *err, size_t errlen);

#endif
