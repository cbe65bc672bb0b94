/* Tests for plugins/dvc/git_head.c: HEAD resolution from git's files (loose refs, packed-refs,
 * detached HEAD, unborn branch, worktree gitdir files with commondir), without the git binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_fixtures.h"
#include "git_head.h"

#define OID_A "0123456789abcdef0123456789abcdef01234567"
#define OID_B "89abcdef0123456789abcdef0123456789abcdef"
#define OID_256 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void assert_head(const char *dir, const char *expected)
{
    char oid[DVC_GIT_OID_MAX] = "";
    if (!expected) {
        assert_int_equal(dvc_git_head(dir, oid), 0);
        return;
    }
    assert_int_equal(dvc_git_head(dir, oid), 1);
    assert_string_equal(oid, expected);
}

static void test_git_head_follows_branch_to_loose_ref_from_a_subdirectory(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, ".git/HEAD", "ref: refs/heads/main\n");
    fx_write_str(dir, ".git/refs/heads/main", OID_A "\n");
    fx_write_str(dir, "ml/dvc-repo/.dvc/config", "");
    char *sub = fx_path(dir, "ml/dvc-repo");
    assert_head(sub, OID_A);
    free(sub);
    fx_remove(dir);
}

static void test_git_head_reads_packed_refs_and_skips_peeled_lines(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, ".git/HEAD", "ref: refs/heads/release\n");
    fx_write_str(dir, ".git/packed-refs", "# pack-refs with: peeled fully-peeled sorted \n"
                                          OID_A " refs/heads/main\n"
                                          OID_B " refs/heads/release\n"
                                          "^" OID_A "\n");
    assert_head(dir, OID_B);
    fx_remove(dir);
}

static void test_git_head_detached_and_sha256_ids(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, ".git/HEAD", OID_B "\n");
    assert_head(dir, OID_B);
    fx_write_str(dir, ".git/HEAD", OID_256 "\n");
    assert_head(dir, OID_256);
    fx_remove(dir);
}

static void test_git_head_of_unborn_branch_is_none(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, ".git/HEAD", "ref: refs/heads/main\n");
    assert_head(dir, NULL);
    fx_remove(dir);
}

/* A linked worktree: .git is a file naming its gitdir; branches live in the common dir. */
static void test_git_head_of_worktree_uses_gitdir_file_and_commondir(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "main/.git/refs/heads/feature", OID_B "\n");
    fx_write_str(dir, "main/.git/worktrees/wt/HEAD", "ref: refs/heads/feature\n");
    fx_write_str(dir, "main/.git/worktrees/wt/commondir", "../..\n");
    fx_write_str(dir, "wt/.git", "gitdir: ../main/.git/worktrees/wt\n");
    char *wt = fx_path(dir, "wt");
    assert_head(wt, OID_B);
    free(wt);
    fx_remove(dir);
}

static void test_git_head_outside_any_work_tree_is_none(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "x/.git", "not a gitdir line\n");
    char *x = fx_path(dir, "x");
    assert_head(x, NULL);
    free(x);
    fx_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git_head_follows_branch_to_loose_ref_from_a_subdirectory),
        cmocka_unit_test(test_git_head_reads_packed_refs_and_skips_peeled_lines),
        cmocka_unit_test(test_git_head_detached_and_sha256_ids),
        cmocka_unit_test(test_git_head_of_unborn_branch_is_none),
        cmocka_unit_test(test_git_head_of_worktree_uses_gitdir_file_and_commondir),
        cmocka_unit_test(test_git_head_outside_any_work_tree_is_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
