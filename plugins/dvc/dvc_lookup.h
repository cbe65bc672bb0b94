/* Finds which DVC metadata tracks a path: a `.dvc` file output or a `dvc.lock` stage output,
 * including a file inside a tracked directory. */
#ifndef DVC_LOOKUP_H
#define DVC_LOOKUP_H

#include <stddef.h>

#include "dvc_yaml.h"

struct dvc_match {
    struct dvc_doc *doc;          /* the .dvc file or dvc.lock (owned) */
    const struct dvc_entry *out;  /* the output covering the path, inside doc */
    char *member;                 /* path below out->path when the output is a directory, else NULL */
};

/* Looks for the output covering rel (repo-relative, normalised) in repo_root (absolute): first the
 * `<rel>.dvc` / `<ancestor>.dvc` files `dvc add` writes, then every .dvc file and dvc.lock in the repo
 * (sorted walk; .git, .hg, .dvc, nested DVC repos and directories tracked by a sibling .dvc skipped).
 * 0 and *m, or -1 with err: not tracked (says so, and names a stage using it as a dependency), or a
 * DVC file met on the way that cannot be read (file:line:col). */
int dvc_lookup(const char *repo_root, const char *rel, struct dvc_match *m, char *err, size_t errlen);
void dvc_match_release(struct dvc_match *m);

#endif
