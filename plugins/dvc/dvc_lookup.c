/* Lookup of the DVC metadata tracking a path: the .dvc names `dvc add` uses first (cheap), then a
 * sorted walk over the repo's .dvc files and dvc.lock files, as DVC collects them. */
#include "dvc_lookup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dvc_path.h"

struct scan {
    const char *repo_root;
    const char *rel;
    struct dvc_match *m;
    char *dep_stage; /* first stage met that depends on rel, for the "not tracked" message */
    char *dep_file;
    char *err;
    size_t errlen;
};

/* Loads relfile and checks whether one of its outputs covers s->rel: 1 found, 0 not, -1 error. */
static int check_file(struct scan *s, const char *relfile)
{
    struct dvc_doc *doc = NULL;
    if (dvc_doc_load(s->repo_root, relfile, &doc, s->err, s->errlen) != 0)
        return -1;
    for (size_t i = 0; i < doc->n_entries; i++) {
        const struct dvc_entry *e = &doc->entries[i];
        const char *below = dvc_path_below(s->rel, e->path);
        if (!below)
            continue;
        if (e->is_dep) {
            if (!s->dep_stage && !below[0] && e->stage) {
                s->dep_stage = strdup(e->stage);
                s->dep_file = strdup(relfile);
            }
            continue;
        }
        s->m->doc = doc;
        s->m->out = e;
        s->m->member = NULL;
        if (below[0]) {
            s->m->member = strdup(below);
            if (!s->m->member) {
                snprintf(s->err, s->errlen, "out of memory");
                dvc_match_release(s->m);
                return -1;
            }
        }
        return 1;
    }
    dvc_doc_free(doc);
    return 0;
}

static int is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* `dvc add data/x` writes data/x.dvc: try rel and each of its ancestors that way.
 * 1 found, 0 not, -1 error. */
static int check_named_candidates(struct scan *s)
{
    char cand[PATH_MAX + 8];
    int n = snprintf(cand, sizeof cand, "%s", s->rel);
    if (n < 0 || n >= PATH_MAX) {
        snprintf(s->err, s->errlen, "path too long: %s", s->rel);
        return -1;
    }
    size_t len = (size_t)n;
    while (len > 0 && strcmp(cand, ".") != 0) {
        memcpy(cand + len, ".dvc", 5);
        char *abs = dvc_path_join(s->repo_root, cand);
        if (!abs) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        int rc = is_regular(abs) ? check_file(s, cand) : 0;
        free(abs);
        if (rc != 0)
            return rc;
        cand[len] = '\0';
        char *slash = strrchr(cand, '/');
        if (!slash)
            break;
        *slash = '\0';
        len = (size_t)(slash - cand);
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_name(char **names, size_t n, const char *name)
{
    return bsearch(&name, names, n, sizeof *names, compare_names) != NULL;
}

/* Walks reldir ("." for the root): 1 found, 0 not, -1 error. */
static int scan_dir(struct scan *s, const char *reldir)
{
    int rc = -1;
    char *abs = dvc_path_join(s->repo_root, reldir);
    DIR *d = abs ? opendir(abs) : NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!d) {
        snprintf(s->err, s->errlen, "cannot open directory %s: %s", abs ? abs : reldir,
                 abs ? strerror(errno) : "out of memory");
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de && errno) {
            snprintf(s->err, s->errlen, "cannot read directory %s: %s", abs, strerror(errno));
            goto out;
        }
        if (!de)
            break;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                goto oom;
            names = grown;
        }
        names[n] = strdup(de->d_name);
        if (!names[n])
            goto oom;
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, compare_names);
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *name = names[i];
        char *rel = dvc_path_join(reldir, name);
        char *child = rel ? dvc_path_join(s->repo_root, rel) : NULL;
        char *tracker = NULL;
        struct stat st;
        if (!child) {
            free(rel);
            goto oom;
        }
        size_t len = strlen(name);
        int have = lstat(child, &st) == 0;
        if (have && S_ISDIR(st.st_mode)) {
            size_t tn = len + 5;
            tracker = malloc(tn);
            char *nested = dvc_path_join(child, ".dvc");
            if (!tracker || !nested) {
                free(nested);
                free(tracker);
                free(rel);
                free(child);
                goto oom;
            }
            snprintf(tracker, tn, "%s.dvc", name);
            struct stat nst;
            int skip = strcmp(name, ".git") == 0 || strcmp(name, ".hg") == 0 || strcmp(name, ".dvc") == 0 ||
                       has_name(names, n, tracker) || stat(nested, &nst) == 0;
            free(nested);
            if (!skip)
                rc = scan_dir(s, rel);
        } else if (have && S_ISREG(st.st_mode) && ((len > 4 && strcmp(name + len - 4, ".dvc") == 0) ||
                                           strcmp(name, "dvc.lock") == 0)) {
            rc = check_file(s, rel);
        }
        free(tracker);
        free(rel);
        free(child);
    }
    goto out;
oom:
    snprintf(s->err, s->errlen, "out of memory");
    rc = -1;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (d)
        closedir(d);
    free(abs);
    return rc;
}

void dvc_match_release(struct dvc_match *m)
{
    dvc_doc_free(m->doc);
    free(m->member);
    m->doc = NULL;
    m->out = NULL;
    m->member = NULL;
}

int dvc_lookup(const char *repo_root, const char *rel, struct dvc_match *m, char *err, size_t errlen)
{
    struct scan s = {.repo_root = repo_root, .rel = rel, .m = m, .err = err, .errlen = errlen};
    memset(m, 0, sizeof *m);
    int rc = check_named_candidates(&s);
    if (rc == 0)
        rc = scan_dir(&s, ".");
    if (rc == 0) {
        if (s.dep_stage)
            snprintf(err, errlen,
                     "'%s' is not tracked by DVC in %s: it is only a dependency of stage '%s' in %s; "
                     "track it with `dvc add %s` or make it a stage output",
                     rel, repo_root, s.dep_stage, s.dep_file ? s.dep_file : "dvc.lock", rel);
        else
            snprintf(err, errlen,
                     "'%s' is not tracked by DVC in %s: no .dvc file or dvc.lock stage output covers it; "
                     "track it with `dvc add %s` or make it a stage output",
                     rel, repo_root, rel);
        rc = -1;
    }
    free(s.dep_stage);
    free(s.dep_file);
    return rc > 0 ? 0 : -1;
}
