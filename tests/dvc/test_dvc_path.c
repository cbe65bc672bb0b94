/* Tests for plugins/dvc/dvc_path.c: lexical normalisation, containment, and mapping user paths
 * into the repository. Expected values follow Python's posixpath.normpath where it applies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dvc_path.h"

static void assert_norm(const char *in, const char *expected)
{
    char *s = dvc_path_normalize(in);
    assert_non_null(s);
    assert_string_equal(s, expected);
    free(s);
}

static void test_path_normalize_matches_posixpath_normpath(void **state)
{
    (void)state;
    assert_norm("data/./train.csv", "data/train.csv");
    assert_norm("data//raw/../train.csv", "data/train.csv");
    assert_norm("./", ".");
    assert_norm("", ".");
    assert_norm("a/..", ".");
    assert_norm("../a/../../b", "../../b");
    assert_norm("/a/b/../../..", "/");
    assert_norm("/repo/./data/", "/repo/data");
}

static void test_path_below_finds_members_of_a_directory(void **state)
{
    (void)state;
    assert_string_equal(dvc_path_below("data/images/x/y.csv", "data/images"), "x/y.csv");
    assert_string_equal(dvc_path_below("data/images", "data/images"), "");
    assert_null(dvc_path_below("data/images2/a", "data/images"));
    assert_null(dvc_path_below("data", "data/images"));
    assert_string_equal(dvc_path_below("a/b", "."), "a/b");
    assert_null(dvc_path_below("../a", "."));
    assert_string_equal(dvc_path_below("/x/y", "/"), "x/y");
}

static void test_path_to_repo_accepts_relative_and_absolute_inside_paths_only(void **state)
{
    (void)state;
    char *rel = NULL;
    char err[256] = "";
    assert_int_equal(dvc_path_to_repo("/srv/repo", "./data/../data/train.csv", &rel, err, sizeof err), 0);
    assert_string_equal(rel, "data/train.csv");
    free(rel);
    assert_int_equal(dvc_path_to_repo("/srv/repo", "/srv/repo/data/x.csv", &rel, err, sizeof err), 0);
    assert_string_equal(rel, "data/x.csv");
    free(rel);
    assert_int_equal(dvc_path_to_repo("/srv/repo", "/srv/repo", &rel, err, sizeof err), 0);
    assert_string_equal(rel, ".");
    free(rel);
    assert_int_equal(dvc_path_to_repo("/srv/repo", "../other/x.csv", &rel, err, sizeof err), -1);
    assert_non_null(strstr(err, "outside the DVC repo '/srv/repo'"));
    assert_int_equal(dvc_path_to_repo("/srv/repo", "/srv/repository/x", &rel, err, sizeof err), -1);
    assert_null(rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_normalize_matches_posixpath_normpath),
        cmocka_unit_test(test_path_below_finds_members_of_a_directory),
        cmocka_unit_test(test_path_to_repo_accepts_relative_and_absolute_inside_paths_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
