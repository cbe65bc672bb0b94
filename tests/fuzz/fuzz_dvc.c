/* Fuzz target: what the dvc versioning plugin reads from a repository (plugins/dvc): the input is
 * parsed as a `.dvc` file and as a dvc.lock by dvc_doc_load, its parts (split at FUZZ_SEPARATOR)
 * become .git/HEAD, .git/packed-refs and a loose ref for dvc_git_head, and it goes through the
 * Python-compatible JSON string encoder and comparison used for directory listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_buf.h"
#include "dvc_path.h"
#include "dvc_yaml.h"
#include "fuzz.h"
#include "git_head.h"
#include "md5_file.h"
#include "pyjson.h"

static void check_doc(const struct dvc_doc *doc, int is_lock)
{
    if (doc->is_lock != is_lock)
        fuzz_fail("dvc_doc_load: is_lock %d for a %s", doc->is_lock, is_lock ? "dvc.lock" : ".dvc file");
    for (size_t i = 0; i < doc->n_entries; i++) {
        const struct dvc_entry *e = &doc->entries[i];
        char *norm = dvc_path_normalize(e->path);
        if (!norm || strcmp(norm, e->path) != 0)
            fuzz_fail("dvc entry path '%s' is not normalised ('%s')", e->path, norm ? norm : "(null)");
        free(norm);
        if (e->md5 && !dvc_md5_valid(e->md5))
            fuzz_fail("dvc entry md5 '%s' passed although invalid", e->md5);
        if (e->line == 0 || e->col == 0 || (is_lock && !e->stage) || (!is_lock && (e->stage || e->is_dep)))
            fuzz_fail("dvc entry %zu: bad position or stage", i);
        dvc_path_below(e->path, "data");
    }
}

static void load_as(const char *repo, const char *rel, int is_lock, const uint8_t *data, size_t size)
{
    char name[256];
    snprintf(name, sizeof name, "repo/%s", rel);
    fuzz_write_file(name, data, size);
    struct dvc_doc *doc = NULL;
    char err[1024] = "";
    if (dvc_doc_load(repo, rel, &doc, err, sizeof err) == 0) {
        check_doc(doc, is_lock);
        dvc_doc_free(doc);
    } else if (!err[0] || doc) {
        fuzz_fail("dvc_doc_load failed without a message or left a document");
    }
}

static void put_or_remove(const char *name, const struct fuzz_part *parts, size_t n, size_t i)
{
    if (i < n)
        fuzz_write_file(name, parts[i].data, parts[i].size);
    else
        fuzz_remove_file(name);
}

static void git_head(const char *repo, const uint8_t *data, size_t size)
{
    struct fuzz_part parts[3];
    size_t n = fuzz_split(data, size, parts, 3);
    put_or_remove("repo/.git/HEAD", parts, n, 0);
    put_or_remove("repo/.git/packed-refs", parts, n, 1);
    put_or_remove("repo/.git/refs/heads/main", parts, n, 2);
    char oid[DVC_GIT_OID_MAX];
    if (dvc_git_head(repo, oid)) {
        size_t len = strlen(oid);
        if ((len != 40 && len != 64) || strspn(oid, "0123456789abcdef") != len)
            fuzz_fail("dvc_git_head gave '%s', not an object id", oid);
    }
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void pyjson(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    struct dvc_buf b = {0};
    if (dvc_pyjson_append_str(&b, s) < 0)
        fuzz_fail("dvc_pyjson_append_str failed");
    if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"' || strlen(b.data) != b.len)
        fuzz_fail("dvc_pyjson_append_str wrote no quoted string");
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char)b.data[i] < 0x20 || (unsigned char)b.data[i] > 0x7e)
            fuzz_fail("dvc_pyjson_append_str wrote byte 0x%02x (ensure_ascii output is printable ASCII)",
                      (unsigned char)b.data[i]);
    dvc_buf_release(&b);
    /* Python's str order: antisymmetric, and a string equals itself. */
    size_t half = strlen(s) / 2;
    char *a = strndup(s, half), *z = s + half;
    if (!a)
        fuzz_fail("out of memory");
    if (sign(dvc_pyjson_compare(a, z)) != -sign(dvc_pyjson_compare(z, a)) || dvc_pyjson_compare(s, s) != 0)
        fuzz_fail("dvc_pyjson_compare is not a consistent order");
    free(a);
    free(s);
    dvc_is_text_block(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char repo[600];
    snprintf(repo, sizeof repo, "%s/repo", fuzz_scratch_dir());
    load_as(repo, "data/train.csv.dvc", 0, data, size);
    load_as(repo, "models/dvc.lock", 1, data, size);
    git_head(repo, data, size);
    pyjson(data, size);
    return 0;
}
