/* Test fixtures for tests/dvc: temp directories, exact-byte files, project copies, cleanup.
 * Failures abort the running cmocka test. */
#include "dvc_fixtures.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fx_path(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

char *fx_tempdir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *templ = fx_path(tmp && tmp[0] ? tmp : "/tmp", "dvc-test-XXXXXX");
    assert_non_null(mkdtemp(templ));
    return templ;
}

static void make_parents(char *path)
{
    for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
}

void fx_write(const char *dir, const char *rel, const void *data, size_t len)
{
    char *p = fx_path(dir, rel);
    make_parents(p);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(p);
}

void fx_write_str(const char *dir, const char *rel, const char *text)
{
    fx_write(dir, rel, text, strlen(text));
}

char *fx_copy_project(const char *name)
{
    char *dir = fx_tempdir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp -a '%s/%s/.' '%s/'", DVC_PROJECTS, name, dir);
    assert_int_equal(system(cmd), 0);
    return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fx_remove(char *dir)
{
    if (dir)
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}
