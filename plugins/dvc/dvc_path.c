/* Lexical path helpers for the dvc plugin: join, normalise, dirname, containment, and mapping a
 * user-supplied path into the repository (realpath only as a fallback for absolute paths). */
#include "dvc_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dvc_path_join(const char *a, const char *b)
{
    if (b[0] == '/' || a[0] == '\0' || strcmp(a, ".") == 0)
        return strdup(b);
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

char *dvc_path_normalize(const char *p)
{
    size_t n = strlen(p);
    int absolute = p[0] == '/';
    /* The result is never longer than the input (plus "." for an empty path). */
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t len = 0;
    size_t fixed = 0; /* prefix that ".." may not remove: "/" or a run of leading "../" */
    if (absolute) {
        out[len++] = '/';
        fixed = 1;
    }
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t seg = e ? (size_t)(e - s) : strlen(s);
        if (seg == 1 && s[0] == '.') {
            /* drop "." */
        } else if (seg == 2 && s[0] == '.' && s[1] == '.') {
            if (len > fixed) {
                /* remove the last component and its separator */
                while (len > fixed && out[len - 1] != '/')
                    len--;
                if (len > fixed)
                    len--;
            } else if (!absolute) {
                if (len > 0)
                    out[len++] = '/';
                out[len++] = '.';
                out[len++] = '.';
                fixed = len;
            }
            /* "/.." is "/" */
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, s, seg);
            len += seg;
        }
        s += seg;
    }
    if (len == 0)
        out[len++] = '.';
    out[len] = '\0';
    return out;
}

char *dvc_path_dirname(const char *p)
{
    const char *slash = strrchr(p, '/');
    if (!slash)
        return strdup(".");
    if (slash == p)
        return strdup("/");
    return strndup(p, (size_t)(slash - p));
}

const char *dvc_path_below(const char *path, const char *dir)
{
    if (strcmp(dir, ".") == 0) {
        if (path[0] == '/' || strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0)
            return NULL;
        return strcmp(path, ".") == 0 ? path + 1 : path;
    }
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return path + n;
    if (n > 0 && dir[n - 1] == '/')
        return path + n; /* dir is "/" */
    if (path[n] == '/')
        return path + n + 1;
    return NULL;
}

int dvc_path_to_repo(const char *repo_root, const char *path, char **rel, char *err, size_t errlen)
{
    int rc = -1;
    char *norm = dvc_path_normalize(path);
    char *real = NULL;
    *rel = NULL;
    if (!norm) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (norm[0] != '/') {
        if (strcmp(norm, "..") == 0 || strncmp(norm, "../", 3) == 0) {
            snprintf(err, errlen, "path '%s' is outside the DVC repo '%s'", path, repo_root);
            goto out;
        }
        *rel = norm;
        norm = NULL;
        rc = 0;
        goto out;
    }
    const char *below = dvc_path_below(norm, repo_root);
    if (!below) {
        /* The repo root is a realpath; the user's path may reach it through a symlink. */
        real = realpath(norm, NULL);
        below = real ? dvc_path_below(real, repo_root) : NULL;
    }
    if (!below) {
        snprintf(err, errlen, "path '%s' is outside the DVC repo '%s'", path, repo_root);
        goto out;
    }
    *rel = strdup(below[0] ? below : ".");
    if (!*rel) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(norm);
    free(real);
    return rc;
}
