/* Directory hashing as DVC 3 does it (dvc_data/hashfile/tree.py: as_list() sorted by relpath,
 * as_bytes() = json.dumps(list, sort_keys=True), digest() appends ".dir"). */
#include "dir_hash.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dvc_path.h"
#include "pyjson.h"

struct file_entry {
    char *relpath;
    char md5[DVC_MD5_HEX];
};

struct file_list {
    struct file_entry *items;
    size_t n;
    size_t cap;
};

static void file_list_release(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].relpath);
    free(l->items);
}

static int file_list_push(struct file_list *l, char *relpath)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct file_entry *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n].relpath = relpath;
    l->items[l->n].md5[0] = '\0';
    l->n++;
    return 0;
}

/* DVC's ignore filter always drops these directories (dvc/ignore.py, DvcIgnoreFilter). */
static int skipped_dir(const char *name)
{
    return strcmp(name, ".git") == 0 || strcmp(name, ".hg") == 0 || strcmp(name, ".dvc") == 0;
}

/* Collects regular files below root/rel ("" for root itself) into l. */
static int collect(const char *root, const char *rel, struct file_list *l, char *err, size_t errlen)
{
    int rc = -1;
    char *abs = rel[0] ? dvc_path_join(root, rel) : strdup(root);
    DIR *d = NULL;
    if (!abs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    d = opendir(abs);
    if (!d) {
        snprintf(err, errlen, "cannot open directory %s: %s", abs, strerror(errno));
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                snprintf(err, errlen, "cannot read directory %s: %s", abs, strerror(errno));
                goto out;
            }
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child_rel = rel[0] ? dvc_path_join(rel, de->d_name) : strdup(de->d_name);
        char *child_abs = child_rel ? dvc_path_join(root, child_rel) : NULL;
        struct stat st;
        int ok = child_abs != NULL;
        if (!ok) {
            snprintf(err, errlen, "out of memory");
        } else if (lstat(child_abs, &st) != 0) {
            snprintf(err, errlen, "cannot stat %s: %s", child_abs, strerror(errno));
            ok = 0;
        } else if (S_ISDIR(st.st_mode)) {
            if (!skipped_dir(de->d_name))
                ok = collect(root, child_rel, l, err, errlen) == 0;
        } else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(child_abs, &st) == 0 &&
                                           S_ISREG(st.st_mode))) {
            if (file_list_push(l, child_rel) == 0)
                child_rel = NULL; /* owned by the list now */
            else {
                snprintf(err, errlen, "out of memory");
                ok = 0;
            }
        }
        free(child_rel);
        free(child_abs);
        if (!ok)
            goto out;
    }
    rc = 0;
out:
    if (d)
        closedir(d);
    free(abs);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    const struct file_entry *x = a, *y = b;
    return dvc_pyjson_compare(x->relpath, y->relpath);
}

int dvc_dir_listing(const char *dir, enum dvc_hash hash, struct dvc_buf *json, uint64_t *size,
                    uint64_t *nfiles, char *err, size_t errlen)
{
    int rc = -1;
    struct file_list l = {0};
    uint64_t total = 0;

    if (collect(dir, "", &l, err, errlen) != 0)
        goto out;
    if (l.n > 1)
        qsort(l.items, l.n, sizeof *l.items, compare_entries);
    int oom = dvc_buf_append(json, "[", 1) != 0;
    for (size_t i = 0; i < l.n && !oom; i++) {
        uint64_t fsize = 0;
        char *abs = dvc_path_join(dir, l.items[i].relpath);
        if (!abs) {
            oom = 1;
            break;
        }
        int hrc = dvc_md5_file(abs, hash, l.items[i].md5, &fsize, err, errlen);
        free(abs);
        if (hrc != 0)
            goto out;
        total += fsize;
        /* keys in sort_keys order; ", " and ": " are json.dumps' default separators */
        oom = (i > 0 && dvc_buf_puts(json, ", ") != 0) || dvc_buf_puts(json, "{\"md5\": \"") != 0 ||
              dvc_buf_puts(json, l.items[i].md5) != 0 || dvc_buf_puts(json, "\", \"relpath\": ") != 0 ||
              dvc_pyjson_append_str(json, l.items[i].relpath) != 0 || dvc_buf_puts(json, "}") != 0;
    }
    if (oom || dvc_buf_append(json, "]", 1) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    *size = total;
    *nfiles = l.n;
    rc = 0;
out:
    file_list_release(&l);
    return rc;
}

int dvc_dir_hash(const char *dir, enum dvc_hash hash, char hex[DVC_DIR_HEX], uint64_t *size,
                 uint64_t *nfiles, char *err, size_t errlen)
{
    int rc = -1;
    struct dvc_buf json = {0};
    char md5[DVC_MD5_HEX];

    if (dvc_dir_listing(dir, hash, &json, size, nfiles, err, errlen) != 0)
        goto out;
    if (dvc_md5_bytes(json.data, json.len, md5) != 0) {
        snprintf(err, errlen, "md5 is not available from OpenSSL (FIPS mode?)");
        goto out;
    }
    snprintf(hex, DVC_DIR_HEX, "%s.dir", md5);
    rc = 0;
out:
    dvc_buf_release(&json);
    return rc;
}
