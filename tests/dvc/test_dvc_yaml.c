/* Tests for plugins/dvc/dvc_yaml.c: .dvc and dvc.lock reading (DVC 3 and DVC 2 entries) and errors
 * with file:line:column. Positions were cross-checked with PyYAML's pure-Python parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_fixtures.h"
#include "dvc_yaml.h"

static struct dvc_doc *load_ok(const char *root, const char *rel)
{
    struct dvc_doc *doc = NULL;
    char err[512] = "";
    int rc = dvc_doc_load(root, rel, &doc, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    return doc;
}

static void load_fails(const char *root, const char *rel, const char *expected)
{
    struct dvc_doc *doc = NULL;
    char err[512] = "";
    assert_int_equal(dvc_doc_load(root, rel, &doc, err, sizeof err), -1);
    assert_null(doc);
    if (!strstr(err, expected))
        fail_msg("error '%s' does not contain '%s'", err, expected);
}

static void test_yaml_reads_dvc3_outs_relative_to_the_dvc_file(void **state)
{
    (void)state;
    struct dvc_doc *doc = load_ok(DVC_PROJECTS "/basic", "data/images.dvc");
    assert_false(doc->is_lock);
    assert_string_equal(doc->file, "data/images.dvc");
    assert_int_equal(doc->n_entries, 1);
    const struct dvc_entry *e = &doc->entries[0];
    assert_string_equal(e->path, "data/images");
    assert_string_equal(e->md5, "e7afe69d389a8defd88d983314e54268.dir");
    assert_int_equal(e->size, 72);
    assert_int_equal(e->nfiles, 8);
    assert_int_equal(e->hash, DVC_HASH_MD5);
    assert_false(e->is_dep);
    assert_null(e->stage);
    assert_int_equal(e->line, 2);
    assert_int_equal(e->col, 3);
    dvc_doc_free(doc);
}

static void test_yaml_entry_without_hash_key_is_legacy_md5_dos2unix(void **state)
{
    (void)state;
    struct dvc_doc *doc = load_ok(DVC_PROJECTS "/legacy", "data/text.csv.dvc");
    assert_int_equal(doc->n_entries, 1);
    assert_string_equal(doc->entries[0].path, "data/text.csv");
    assert_int_equal(doc->entries[0].hash, DVC_HASH_MD5_DOS2UNIX);
    assert_int_equal(doc->entries[0].nfiles, -1);
    dvc_doc_free(doc);
}

static void test_yaml_reads_lock_stages_with_deps_and_outs(void **state)
{
    (void)state;
    struct dvc_doc *doc = load_ok(DVC_PROJECTS "/basic", "dvc.lock");
    assert_true(doc->is_lock);
    assert_int_equal(doc->n_stages, 2);
    assert_string_equal(doc->stages[0], "prepare");
    assert_string_equal(doc->stages[1], "train");
    /* prepare: 2 deps + 1 out; train: 3 deps + 1 out, in file order */
    assert_int_equal(doc->n_entries, 7);
    const struct dvc_entry *e = doc->entries;
    assert_true(e[0].is_dep);
    assert_string_equal(e[0].path, "data/train.csv");
    assert_string_equal(e[0].stage, "prepare");
    assert_false(e[2].is_dep);
    assert_string_equal(e[2].path, "data/prepared.csv");
    assert_string_equal(e[2].md5, "4b8df2d412982426e1f70054f6febad2");
    assert_int_equal(e[2].size, 98);
    assert_string_equal(e[3].path, "data/images");
    assert_int_equal(e[3].nfiles, 8);
    assert_false(e[6].is_dep);
    assert_string_equal(e[6].path, "model/model.bin");
    assert_string_equal(e[6].stage, "train");
    assert_int_equal(e[6].line, 42);
    assert_int_equal(e[6].col, 7);
    dvc_doc_free(doc);
}

/* `  path: data.csv: extra` — PyYAML: "mapping values are not allowed here", line 5, column 17 */
static void test_yaml_malformed_file_reports_file_line_and_column(void **state)
{
    (void)state;
    load_fails(DVC_PROJECTS "/badyaml", "data.csv.dvc",
               "/badyaml/data.csv.dvc:5:17: mapping values are not allowed in this context");
}

static void test_yaml_lock_schema_other_than_2_0_is_rejected(void **state)
{
    (void)state;
    load_fails(DVC_PROJECTS "/badschema", "dvc.lock", "/badschema/dvc.lock:1:9: unsupported dvc.lock schema '3.0'");
}

static void test_yaml_lock_without_schema_is_reported_as_dvc1(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "dvc.lock", "train:\n  cmd: python train.py\n  outs:\n  - path: model.bin\n    md5: "
                                   "1f0913b6e3ec845c5170dc1b1c306d6b\n");
    load_fails(dir, "dvc.lock", "dvc.lock:1:1: no 'schema' key: a DVC 1 lockfile");
    fx_remove(dir);
}

static void test_yaml_field_errors_point_at_the_value(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "a.dvc", "outs:\n- md5: b89fdfd6f9ba4aff460d22babc6b5652\n  size: big\n  path: a\n");
    load_fails(dir, "a.dvc", "a.dvc:3:9: size: expected a non-negative integer, got 'big'");
    fx_write_str(dir, "b.dvc", "outs:\n- md5: B89F\n  path: b\n");
    load_fails(dir, "b.dvc", "b.dvc:2:8: md5: 'B89F' is not an md5");
    fx_write_str(dir, "c.dvc", "outs: {path: c}\n");
    load_fails(dir, "c.dvc", "c.dvc:1:7: outs: expected a sequence");
    fx_write_str(dir, "d.dvc", "outs:\n- md5: b89fdfd6f9ba4aff460d22babc6b5652\n");
    load_fails(dir, "d.dvc", "d.dvc:2:3: entry has no 'path'");
    fx_write_str(dir, "e.dvc", "outs:\n- path: e\n  hash: sha256\n");
    load_fails(dir, "e.dvc", "e.dvc:3:9: hash: 'sha256' is not supported");
    fx_write_str(dir, "f.dvc", "");
    load_fails(dir, "f.dvc", "f.dvc:1:1: empty file");
    fx_write_str(dir, "g.dvc", "- just\n- a list\n");
    load_fails(dir, "g.dvc", "g.dvc:1:1: expected a mapping at the top level");
    load_fails(dir, "missing.dvc", "cannot open");
    fx_remove(dir);
}

/* A .dvc file's `wdir` and `..` in paths are resolved; paths stay repo-relative. */
static void test_yaml_resolves_wdir_and_parent_paths(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "meta/x.dvc", "wdir: ../data\nouts:\n- path: ./raw/../x.csv\n  hash: md5\n");
    struct dvc_doc *doc = load_ok(dir, "meta/x.dvc");
    assert_string_equal(doc->entries[0].path, "data/x.csv");
    assert_null(doc->entries[0].md5);
    assert_int_equal(doc->entries[0].size, -1);
    dvc_doc_free(doc);
    fx_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_reads_dvc3_outs_relative_to_the_dvc_file),
        cmocka_unit_test(test_yaml_entry_without_hash_key_is_legacy_md5_dos2unix),
        cmocka_unit_test(test_yaml_reads_lock_stages_with_deps_and_outs),
        cmocka_unit_test(test_yaml_malformed_file_reports_file_line_and_column),
        cmocka_unit_test(test_yaml_lock_schema_other_than_2_0_is_rejected),
        cmocka_unit_test(test_yaml_lock_without_schema_is_reported_as_dvc1),
        cmocka_unit_test(test_yaml_field_errors_point_at_the_value),
        cmocka_unit_test(test_yaml_resolves_wdir_and_parent_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
