/* Local cache lookups for `cache_check`: object paths in the DVC 3 and DVC 2 layouts, and the
 * listing of a directory object read with jansson to check each file it names. */
#include "dvc_cache.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *object_path(const char *cache_dir, enum dvc_hash hash, const char *md5)
{
    /* dvc/cachemgr.py: the DVC 3 odb is <cache>/files/md5 (FILES_DIR, DEFAULT_ALGORITHM); the
     * "legacy" md5-dos2unix odb is the cache root itself. */
    const char *sub = hash == DVC_HASH_MD5 ? "/files/md5" : "";
    size_t n = strlen(cache_dir) + strlen(sub) + strlen(md5) + 4;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s/%.2s/%s", cache_dir, sub, md5, md5 + 2);
    return p;
}

static int object_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dvc_cache_has(const char *cache_dir, enum dvc_hash hash, const char *md5, int *present, char *err,
                  size_t errlen)
{
    int rc = -1;
    char *path = NULL;
    json_t *listing = NULL;

    *present = 0;
    if (!dvc_md5_valid(md5)) {
        snprintf(err, errlen, "'%s' is not a DVC object id", md5);
        goto out;
    }
    path = object_path(cache_dir, hash, md5);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
    if (!object_exists(path))
        goto out;
    size_t len = strlen(md5);
    if (len < 4 || strcmp(md5 + len - 4, ".dir") != 0) {
        *present = 1;
        goto out;
    }
    listing = json_load_file(path, 0, NULL);
    if (!json_is_array(listing))
        goto out;
    size_t i;
    json_t *item;
    json_array_foreach(listing, i, item) {
        const char *file_md5 = json_string_value(json_object_get(item, "md5"));
        if (!file_md5 || !dvc_md5_valid(file_md5))
            goto out;
        char *file_path = object_path(cache_dir, hash, file_md5);
        if (!file_path) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            goto out;
        }
        int ok = object_exists(file_path);
        free(file_path);
        if (!ok)
            goto out;
    }
    *present = 1;
out:
    json_decref(listing);
    free(path);
    return rc;
}
