/* The commit a git work tree has checked out, read from .git/HEAD, loose refs and packed-refs
 * (no git binary needed). */
#ifndef DVC_GIT_HEAD_H
#define DVC_GIT_HEAD_H

#define DVC_GIT_OID_MAX 65 /* SHA-256 object ids: 64 hex digits and a NUL */

/* Looks for .git (a directory, or a file "gitdir: ..." as in worktrees and submodules) in dir (an
 * absolute path) and its parents, and resolves HEAD to a commit id. 1 and oid filled; 0 when dir is
 * not inside a git work tree, HEAD names a branch with no commit yet, or the repo cannot be read. */
int dvc_git_head(const char *dir, char oid[DVC_GIT_OID_MAX]);

#endif
