/* Presence of an object in DVC's local cache: <cache>/files/md5/ab/cdef... for DVC 3 (`hash: md5`)
 * entries, <cache>/ab/cdef... for DVC 2 (md5-dos2unix) ones. */
#ifndef DVC_CACHE_H
#define DVC_CACHE_H

#include <stddef.h>

#include "md5_file.h"

/* *present = 1 when the object md5 (as recorded, maybe "....dir") is in cache_dir; for a ".dir"
 * object, its listing and every file it lists must be there (what `dvc status` calls "not in cache"
 * otherwise); a listing that is not valid JSON counts as missing, as in dvc-data.
 * 0, or -1 with err when md5 is not an object id or memory runs out. */
int dvc_cache_has(const char *cache_dir, enum dvc_hash hash, const char *md5, int *present, char *err,
                  size_t errlen);

#endif
