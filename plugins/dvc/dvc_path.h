/* Lexical path helpers: DVC files store POSIX paths relative to themselves, so joining and
 * normalising is textual (no symlink resolution) except where a user path must be mapped into the repo. */
#ifndef DVC_PATH_H
#define DVC_PATH_H

#include <stddef.h>

/* a + "/" + b as a new string; b itself when absolute, when a is empty or ".". NULL: no memory. */
char *dvc_path_join(const char *a, const char *b);
/* Collapses "//", "." and "x/.."; keeps a leading "/" and leading ".." that cannot be resolved;
 * "" becomes ".". New string or NULL. */
char *dvc_path_normalize(const char *p);
/* "a/b.dvc" -> "a", "b.dvc" -> ".". New string or NULL. */
char *dvc_path_dirname(const char *p);
/* When normalised path equals dir or lies below it: the rest after "dir/" ("" when equal);
 * otherwise NULL. dir "." contains every relative path that does not start with "..". */
const char *dvc_path_below(const char *path, const char *dir);
/* Maps a user path (relative to repo_root, or absolute) to a normalised repo-relative path.
 * repo_root must be absolute and normalised (a realpath). 0 and *rel (malloc'd), or -1 and err. */
int dvc_path_to_repo(const char *repo_root, const char *path, char **rel, char *err, size_t errlen);

#endif
