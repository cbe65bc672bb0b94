/* Reads DVC 3 metadata files with libyaml: `*.dvc` (outs) and `dvc.lock` (schema '2.0', stages with
 * deps and outs) into flat entry lists. Errors carry file:line:column. */
#ifndef DVC_YAML_H
#define DVC_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "md5_file.h"

struct dvc_entry {
    char *path;         /* repo-relative and normalised */
    char *md5;          /* as recorded ("...", "....dir"); NULL when the entry has none */
    int64_t size;       /* -1 when absent */
    int64_t nfiles;     /* -1 when absent */
    enum dvc_hash hash; /* `hash: md5` -> MD5; no `hash:` key -> DVC 2's md5-dos2unix */
    int is_dep;         /* 1 for a stage dependency, 0 for an output */
    const char *stage;  /* dvc.lock stage name (points into the doc), NULL in a .dvc file */
    unsigned long line; /* 1-based position of the entry in its file */
    unsigned long col;
};

struct dvc_doc {
    char *file;   /* repo-relative path of the .dvc file or dvc.lock */
    int is_lock;
    size_t n_entries;
    struct dvc_entry *entries;
    size_t n_stages;
    char **stages;
};

/* Loads repo_root/relfile; a file named "dvc.lock" is read as a lockfile, anything else as a .dvc
 * file. Entry paths are resolved against the file's directory (and a .dvc file's `wdir`).
 * 0 and *doc, or -1 and err ("/repo/data/x.dvc:3:7: outs: expected a sequence"). */
int dvc_doc_load(const char *repo_root, const char *relfile, struct dvc_doc **doc, char *err,
                 size_t errlen);
void dvc_doc_free(struct dvc_doc *doc);

#endif
