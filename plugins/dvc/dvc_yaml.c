/* DVC 3 metadata reader (libyaml document API): .dvc files and dvc.lock (schema '2.0').
 * Only what versioning needs is kept (path, md5, size, nfiles, hash); other keys are ignored. */
#include "dvc_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dvc_path.h"

struct loader {
    yaml_document_t *ydoc;
    const char *repo_root;
    const char *display; /* the file as shown in messages */
    struct dvc_doc *doc;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long line = node ? (unsigned long)node->start_mark.line + 1 : 1;
    unsigned long col = node ? (unsigned long)node->start_mark.column + 1 : 1;
    snprintf(ld->err, ld->errlen, "%s:%lu:%lu: %s", ld->display, line, col, msg);
    return -1;
}

static int oom(struct loader *ld)
{
    snprintf(ld->err, ld->errlen, "%s: out of memory", ld->display);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(struct loader *ld, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(ld->ydoc, p->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(ld->ydoc, p->value);
    }
    return NULL;
}

/* An optional non-negative integer field; *out stays -1 when absent. */
static int int_field(struct loader *ld, const yaml_node_t *entry, const char *key, int64_t *out)
{
    yaml_node_t *n = map_get(ld, entry, key);
    *out = -1;
    if (!n)
        return 0;
    const char *s = scalar(n);
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : -1;
    if (!s || s[0] < '0' || s[0] > '9' || *end || errno || v < 0)
        return fail(ld, n, "%s: expected a non-negative integer, got '%s'", key, s ? s : "(not a scalar)");
    *out = v;
    return 0;
}

/* Resolves an entry path recorded relative to base into a normalised repo-relative path. */
static char *resolve(struct loader *ld, const char *base, const char *path)
{
    char *joined = dvc_path_join(base, path);
    char *norm = joined ? dvc_path_normalize(joined) : NULL;
    free(joined);
    if (norm && norm[0] == '/') {
        const char *below = dvc_path_below(norm, ld->repo_root);
        if (below) {
            char *rel = strdup(below[0] ? below : ".");
            free(norm);
            norm = rel;
        }
    }
    return norm;
}

static int add_entry(struct loader *ld, const yaml_node_t *node, const char *base, const char *stage,
                     int is_dep)
{
    struct dvc_doc *doc = ld->doc;
    if (node->type != YAML_MAPPING_NODE)
        return fail(ld, node, "expected a mapping with path, md5, size and hash");
    yaml_node_t *pn = map_get(ld, node, "path");
    const char *path = scalar(pn);
    if (!path || !path[0])
        return fail(ld, pn ? pn : node, "entry has no 'path'");
    yaml_node_t *mn = map_get(ld, node, "md5");
    const char *md5 = scalar(mn);
    if (mn && (!md5 || !dvc_md5_valid(md5)))
        return fail(ld, mn, "md5: '%s' is not an md5 (32 lowercase hex digits, optionally '.dir')",
                    md5 ? md5 : "(not a scalar)");
    enum dvc_hash hash = DVC_HASH_MD5_DOS2UNIX; /* DVC 2 wrote no `hash:` key */
    yaml_node_t *hn = map_get(ld, node, "hash");
    if (hn) {
        const char *h = scalar(hn);
        if (!h || strcmp(h, "md5") != 0)
            return fail(ld, hn, "hash: '%s' is not supported (only md5)", h ? h : "(not a scalar)");
        hash = DVC_HASH_MD5;
    }
    int64_t size, nfiles;
    if (int_field(ld, node, "size", &size) != 0 || int_field(ld, node, "nfiles", &nfiles) != 0)
        return -1;

    if (doc->n_entries % 16 == 0) {
        struct dvc_entry *e = realloc(doc->entries, (doc->n_entries + 16) * sizeof *e);
        if (!e)
            return oom(ld);
        doc->entries = e;
    }
    struct dvc_entry *e = &doc->entries[doc->n_entries];
    memset(e, 0, sizeof *e);
    e->path = resolve(ld, base, path);
    e->md5 = md5 ? strdup(md5) : NULL;
    if (!e->path || (md5 && !e->md5)) {
        free(e->path);
        free(e->md5);
        return oom(ld);
    }
    doc->n_entries++;
    e->size = size;
    e->nfiles = nfiles;
    e->hash = hash;
    e->is_dep = is_dep;
    e->stage = stage;
    e->line = (unsigned long)node->start_mark.line + 1;
    e->col = (unsigned long)node->start_mark.column + 1;
    return 0;
}

/* An optional sequence of entries under key. */
static int add_list(struct loader *ld, const yaml_node_t *map, const char *key, const char *base,
                    const char *stage, int is_dep)
{
    yaml_node_t *seq = map_get(ld, map, key);
    if (!seq)
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(ld, seq, "%s: expected a sequence", key);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        if (add_entry(ld, yaml_document_get_node(ld->ydoc, *it), base, stage, is_dep) != 0)
            return -1;
    }
    return 0;
}

static int load_dvc_file(struct loader *ld, const yaml_node_t *root, const char *dir)
{
    yaml_node_t *wn = map_get(ld, root, "wdir");
    const char *wdir = scalar(wn);
    if (wn && !wdir)
        return fail(ld, wn, "wdir: expected a path");
    char *base = wdir ? dvc_path_join(dir, wdir) : strdup(dir);
    if (!base)
        return oom(ld);
    int rc = add_list(ld, root, "outs", base, NULL, 0);
    free(base);
    return rc;
}

static int load_lock(struct loader *ld, const yaml_node_t *root, const char *dir)
{
    struct dvc_doc *doc = ld->doc;
    yaml_node_t *sn = map_get(ld, root, "schema");
    const char *schema = scalar(sn);
    if (!sn)
        return fail(ld, root, "no 'schema' key: a DVC 1 lockfile; rewrite it with DVC 2 or 3 (`dvc commit`)");
    if (!schema || strcmp(schema, "2.0") != 0)
        return fail(ld, sn, "unsupported dvc.lock schema '%s' (supported: '2.0', written by DVC 2 and 3)",
                    schema ? schema : "(not a scalar)");
    yaml_node_t *stages = map_get(ld, root, "stages");
    if (!stages)
        return 0;
    if (stages->type != YAML_MAPPING_NODE)
        return fail(ld, stages, "stages: expected a mapping of stage names");
    size_t n = (size_t)(stages->data.mapping.pairs.top - stages->data.mapping.pairs.start);
    doc->stages = calloc(n ? n : 1, sizeof *doc->stages);
    if (!doc->stages)
        return oom(ld);
    for (yaml_node_pair_t *p = stages->data.mapping.pairs.start; p < stages->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(ld->ydoc, p->key);
        yaml_node_t *vn = yaml_document_get_node(ld->ydoc, p->value);
        const char *name = scalar(kn);
        if (!name)
            return fail(ld, kn, "stages: a stage name must be a string");
        if (vn->type != YAML_MAPPING_NODE)
            return fail(ld, vn, "stage '%s': expected a mapping with cmd, deps and outs", name);
        doc->stages[doc->n_stages] = strdup(name);
        if (!doc->stages[doc->n_stages])
            return oom(ld);
        const char *stage = doc->stages[doc->n_stages++];
        if (add_list(ld, vn, "deps", dir, stage, 1) != 0 || add_list(ld, vn, "outs", dir, stage, 0) != 0)
            return -1;
    }
    return 0;
}

static int parse_error(struct loader *ld, const yaml_parser_t *p)
{
    unsigned long line = (unsigned long)p->problem_mark.line + 1;
    unsigned long col = (unsigned long)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR) {
        snprintf(ld->err, ld->errlen, "%s: %s at byte offset %zu", ld->display, problem, p->problem_offset);
    } else if (p->context) {
        snprintf(ld->err, ld->errlen, "%s:%lu:%lu: %s (%s at line %lu, column %lu)", ld->display, line, col,
                 problem, p->context, (unsigned long)p->context_mark.line + 1,
                 (unsigned long)p->context_mark.column + 1);
    } else {
        snprintf(ld->err, ld->errlen, "%s:%lu:%lu: %s", ld->display, line, col, problem);
    }
    return -1;
}

void dvc_doc_free(struct dvc_doc *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->n_entries; i++) {
        free(doc->entries[i].path);
        free(doc->entries[i].md5);
    }
    free(doc->entries);
    for (size_t i = 0; i < doc->n_stages; i++)
        free(doc->stages[i]);
    free(doc->stages);
    free(doc->file);
    free(doc);
}

int dvc_doc_load(const char *repo_root, const char *relfile, struct dvc_doc **out, char *err, size_t errlen)
{
    int rc = -1;
    yaml_parser_t parser;
    yaml_document_t ydoc;
    int parser_ok = 0, ydoc_ok = 0;
    FILE *f = NULL;
    char *dir = NULL;
    struct dvc_doc *doc = calloc(1, sizeof *doc);
    char *display = dvc_path_join(repo_root, relfile);
    struct loader ld = {.repo_root = repo_root, .display = display, .doc = doc, .err = err, .errlen = errlen};

    *out = NULL;
    if (doc)
        doc->file = strdup(relfile);
    dir = dvc_path_dirname(relfile);
    if (!doc || !doc->file || !display || !dir) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    const char *slash = strrchr(relfile, '/');
    doc->is_lock = strcmp(slash ? slash + 1 : relfile, "dvc.lock") == 0;
    f = fopen(display, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", display, strerror(errno));
        goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    parser_ok = 1;
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &ydoc)) {
        parse_error(&ld, &parser);
        goto out;
    }
    ydoc_ok = 1;
    ld.ydoc = &ydoc;
    yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    if (!root) {
        fail(&ld, NULL, "empty file: expected %s", doc->is_lock ? "schema and stages" : "outs");
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        fail(&ld, root, "expected a mapping at the top level");
        goto out;
    }
    if ((doc->is_lock ? load_lock(&ld, root, dir) : load_dvc_file(&ld, root, dir)) != 0)
        goto out;
    *out = doc;
    doc = NULL;
    rc = 0;
out:
    if (ydoc_ok)
        yaml_document_delete(&ydoc);
    if (parser_ok)
        yaml_parser_delete(&parser);
    if (f)
        fclose(f);
    dvc_doc_free(doc);
    free(display);
    free(dir);
    return rc;
}
