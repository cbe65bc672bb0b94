/* Tests for the YAML tree: positions, duplicate keys, aliases, syntax errors, empty input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/yaml_tree.h"

static struct ynode *load(const char *text, char *err, size_t errlen)
{
    struct ynode *root = NULL;
    err[0] = '\0';
    if (yaml_tree_load_string(text, strlen(text), "t.yaml", &root, err, errlen) < 0)
        return NULL;
    return root;
}

static void test_yaml_tree_records_line_and_column(void **state)
{
    char err[256];
    struct ynode *root = load("agent:\n  listen: 127.0.0.1:9464\nmodels:\n  - name: fraud\n", err, sizeof err);
    assert_non_null(root);
    const struct ynode *listen = ynode_get(ynode_get(root, "agent"), "listen");
    assert_non_null(listen);
    assert_string_equal(listen->value, "127.0.0.1:9464");
    assert_int_equal(listen->line, 2);
    assert_int_equal(listen->col, 11);
    const struct ynode *models = ynode_get(root, "models");
    assert_int_equal(models->type, YNODE_SEQUENCE);
    assert_int_equal(models->n, 1);
    const struct ynode *name = ynode_get(models->items[0], "name");
    assert_int_equal(name->line, 4);
    assert_int_equal(name->col, 11);
    yaml_tree_free(root);
}

static void test_yaml_tree_rejects_duplicate_keys_with_position(void **state)
{
    char err[256];
    assert_null(load("a: 1\nb: 2\na: 3\n", err, sizeof err));
    assert_string_equal(err, "t.yaml:3:1: duplicate key 'a'");
}

static void test_yaml_tree_rejects_aliases(void **state)
{
    char err[256];
    assert_null(load("a: &x 1\nb: *x\n", err, sizeof err));
    assert_non_null(strstr(err, "t.yaml:1:4: YAML anchors"));
}

static void test_yaml_tree_reports_syntax_error_position(void **state)
{
    char err[256];
    assert_null(load("a: [1, 2\nb: 3\n", err, sizeof err));
    assert_true(strncmp(err, "t.yaml:", 7) == 0);
    assert_non_null(strstr(err, "flow sequence"));
}

static void test_yaml_tree_empty_document_is_empty_mapping(void **state)
{
    char err[256];
    struct ynode *root = load("", err, sizeof err);
    assert_non_null(root);
    assert_int_equal(root->type, YNODE_MAPPING);
    assert_int_equal(ynode_map_size(root), 0);
    yaml_tree_free(root);
}

static void test_yaml_tree_marks_quoted_scalars(void **state)
{
    char err[256];
    struct ynode *root = load("a: null\nb: \"null\"\n", err, sizeof err);
    assert_non_null(root);
    assert_true(ynode_get(root, "a")->plain);
    assert_false(ynode_get(root, "b")->plain);
    yaml_tree_free(root);
}

static void test_yaml_tree_unknown_key_is_the_first_not_allowed(void **state)
{
    char err[256];
    struct ynode *root = load("listen: x\nlisen: y\nstate_dir: z\nstat_dir: w\n", err, sizeof err);
    static const char *const allowed[] = {"listen", "state_dir", NULL};
    const struct ynode *k = ynode_unknown_key(root, allowed);
    assert_non_null(k);
    assert_string_equal(k->value, "lisen");
    assert_int_equal(k->line, 2);
    static const char *const all[] = {"listen", "lisen", "state_dir", "stat_dir", NULL};
    assert_null(ynode_unknown_key(root, all));
    yaml_tree_free(root);
}

static void test_yaml_tree_missing_file_names_it(void **state)
{
    char err[256];
    struct ynode *root = NULL;
    assert_int_equal(yaml_tree_load_file("/nonexistent/dw.yaml", &root, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/dw.yaml: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_tree_records_line_and_column),
        cmocka_unit_test(test_yaml_tree_unknown_key_is_the_first_not_allowed),
        cmocka_unit_test(test_yaml_tree_rejects_duplicate_keys_with_position),
        cmocka_unit_test(test_yaml_tree_rejects_aliases),
        cmocka_unit_test(test_yaml_tree_reports_syntax_error_position),
        cmocka_unit_test(test_yaml_tree_empty_document_is_empty_mapping),
        cmocka_unit_test(test_yaml_tree_marks_quoted_scalars),
        cmocka_unit_test(test_yaml_tree_missing_file_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
