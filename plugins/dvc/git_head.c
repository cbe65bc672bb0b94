/* Resolves a git work tree's HEAD without the git binary: .git directory or gitdir file, commondir
 * for linked worktrees, symbolic refs through loose ref files, then packed-refs. */
#include "git_head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dvc_path.h"

/* Reads the first line of a small file (without the newline) into buf. 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int rc = fgets(buf, (int)len, f) ? 0 : -1;
    fclose(f);
    if (rc == 0)
        buf[strcspn(buf, "\r\n")] = '\0';
    return rc;
}

static int is_oid(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return (n == 40 || n == 64) && s[n] == '\0';
}

/* Copies an id that passed is_oid() (at most 64 digits). */
static void copy_oid(char oid[DVC_GIT_OID_MAX], const char *s)
{
    memcpy(oid, s, strlen(s) + 1);
}

/* gitdir of the work tree containing dir, or NULL. */
static char *find_gitdir(const char *dir)
{
    char *cur = strdup(dir);
    char *found = NULL;
    while (cur) {
        char *dotgit = dvc_path_join(cur, ".git");
        struct stat st;
        int exists = dotgit && stat(dotgit, &st) == 0;
        if (exists && S_ISDIR(st.st_mode)) {
            found = dotgit;
            dotgit = NULL;
        } else if (exists) {
            char line[4096];
            /* "gitdir: <path>", relative to the directory holding the .git file */
            if (read_line(dotgit, line, sizeof line) == 0 && strncmp(line, "gitdir: ", 8) == 0)
                found = dvc_path_join(cur, line + 8);
        }
        free(dotgit);
        if (exists || strcmp(cur, "/") == 0 || strcmp(cur, ".") == 0)
            break;
        char *parent = dvc_path_dirname(cur);
        free(cur);
        cur = parent;
    }
    free(cur);
    return found;
}

/* packed-refs lines: "<oid> <refname>"; "#" headers and "^<oid>" peeled tags are skipped. */
static int packed_ref(const char *common, const char *ref, char oid[DVC_GIT_OID_MAX])
{
    char *path = dvc_path_join(common, "packed-refs");
    FILE *f = path ? fopen(path, "r") : NULL;
    char line[4096];
    int found = 0;
    free(path);
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (line[0] == '#' || line[0] == '^' || !sp)
            continue;
        *sp = '\0';
        if (strcmp(sp + 1, ref) == 0 && is_oid(line)) {
            copy_oid(oid, line);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int dvc_git_head(const char *dir, char oid[DVC_GIT_OID_MAX])
{
    int found = 0;
    char *gitdir = find_gitdir(dir);
    char *common = NULL;
    char line[4096];
    char ref[4096];

    if (!gitdir)
        goto out;
    /* A linked worktree keeps HEAD in its own gitdir and shared refs in the common dir. */
    char *commondir_file = dvc_path_join(gitdir, "commondir");
    if (commondir_file && read_line(commondir_file, line, sizeof line) == 0)
        common = dvc_path_join(gitdir, line);
    else
        common = strdup(gitdir);
    free(commondir_file);
    if (!common)
        goto out;

    char *head = dvc_path_join(gitdir, "HEAD");
    int rc = head ? read_line(head, line, sizeof line) : -1;
    free(head);
    if (rc != 0)
        goto out;
    /* Follow symbolic refs ("ref: refs/heads/main"), a few levels at most. */
    for (int depth = 0; depth < 5; depth++) {
        if (is_oid(line)) {
            copy_oid(oid, line);
            found = 1;
            goto out;
        }
        if (strncmp(line, "ref: ", 5) != 0 || strstr(line, ".."))
            goto out;
        snprintf(ref, sizeof ref, "%s", line + 5);
        char *loose = dvc_path_join(gitdir, ref);
        rc = loose ? read_line(loose, line, sizeof line) : -1;
        free(loose);
        if (rc != 0 && strcmp(common, gitdir) != 0) {
            loose = dvc_path_join(common, ref);
            rc = loose ? read_line(loose, line, sizeof line) : -1;
            free(loose);
        }
        if (rc != 0) {
            found = packed_ref(common, ref, oid); /* 0: an unborn branch */
            goto out;
        }
    }
out:
    free(gitdir);
    free(common);
    return found;
}
