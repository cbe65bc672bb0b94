/* Builds a ynode tree from libyaml's event stream (see yaml_tree.h). Events give us marks for
 * every node, which the document API would also give, but events let us reject aliases early. */
#include "util/yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64 /* deeper nesting is no config, and bounds our recursion */

struct parse_ctx {
    yaml_parser_t parser;
    const char *name;
    char *err;
    size_t errlen;
};

static struct ynode *ynode_new(enum ynode_type type, const yaml_mark_t *mark)
{
    struct ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->type = type;
    n->line = mark->line + 1;
    n->col = mark->column + 1;
    return n;
}

void yaml_tree_free(struct ynode *n)
{
    if (!n)
        return;
    size_t count = n->type == YNODE_MAPPING ? 2 * n->n : n->n;
    for (size_t i = 0; i < count; i++)
        yaml_tree_free(n->items[i]);
    free(n->items);
    free(n->value);
    free(n);
}

static int ynode_append(struct ynode *parent, struct ynode *child)
{
    size_t count = parent->type == YNODE_MAPPING ? 2 * parent->n : parent->n;
    struct ynode **items = realloc(parent->items, (count + 1) * sizeof *items);
    if (!items)
        return -1;
    parent->items = items;
    items[count] = child;
    return 0;
}

static int next_event(struct parse_ctx *ctx, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ctx->parser, ev))
        return 0;
    snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: %s%s%s", ctx->name, ctx->parser.problem_mark.line + 1,
             ctx->parser.problem_mark.column + 1, ctx->parser.problem ? ctx->parser.problem : "syntax error",
             ctx->parser.context ? " " : "", ctx->parser.context ? ctx->parser.context : "");
    return -1;
}

static int fail_at(struct parse_ctx *ctx, const yaml_mark_t *m, const char *msg)
{
    snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: %s", ctx->name, m->line + 1, m->column + 1, msg);
    return -1;
}

static int parse_node(struct parse_ctx *ctx, yaml_event_t *ev, int depth, struct ynode **out);

/* Reads one node from the stream; *out is NULL (and 1 returned) at the closing event `end`. */
static int read_child(struct parse_ctx *ctx, yaml_event_type_t end, int depth, struct ynode **out)
{
    yaml_event_t ev;
    *out = NULL;
    if (next_event(ctx, &ev) < 0)
        return -1;
    int rc = ev.type == end ? 1 : parse_node(ctx, &ev, depth + 1, out);
    yaml_event_delete(&ev);
    return rc;
}

static int append_or_free(struct parse_ctx *ctx, struct ynode *parent, struct ynode *child)
{
    if (ynode_append(parent, child) == 0)
        return 0;
    yaml_tree_free(child);
    snprintf(ctx->err, ctx->errlen, "%s: out of memory", ctx->name);
    return -1;
}

static int parse_sequence_items(struct parse_ctx *ctx, struct ynode *seq, int depth)
{
    for (;;) {
        struct ynode *item;
        int rc = read_child(ctx, YAML_SEQUENCE_END_EVENT, depth, &item);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
        if (append_or_free(ctx, seq, item) < 0)
            return -1;
        seq->n++;
    }
}

/* Keys must be unique scalars: a duplicate key silently overriding another is a classic config bug. */
static int parse_mapping_pairs(struct parse_ctx *ctx, struct ynode *map, int depth)
{
    for (;;) {
        struct ynode *key, *value;
        int rc = read_child(ctx, YAML_MAPPING_END_EVENT, depth, &key);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
        const char *problem = key->type != YNODE_SCALAR ? "mapping keys must be scalars" : NULL;
        for (size_t i = 0; !problem && i < map->n; i++)
            if (strcmp(map->items[2 * i]->value, key->value) == 0)
                problem = "duplicate key";
        if (problem) {
            snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: %s%s%s%s", ctx->name, key->line, key->col, problem,
                     key->value ? " '" : "", key->value ? key->value : "", key->value ? "'" : "");
            yaml_tree_free(key);
            return -1;
        }
        if (read_child(ctx, YAML_MAPPING_END_EVENT, depth, &value) != 0) {
            yaml_tree_free(key);
            return -1;
        }
        struct ynode **items = realloc(map->items, (2 * map->n + 2) * sizeof *items);
        if (!items) {
            yaml_tree_free(key);
            yaml_tree_free(value);
            snprintf(ctx->err, ctx->errlen, "%s: out of memory", ctx->name);
            return -1;
        }
        map->items = items;
        items[2 * map->n] = key;
        items[2 * map->n + 1] = value;
        map->n++;
    }
}

static int parse_node(struct parse_ctx *ctx, yaml_event_t *ev, int depth, struct ynode **out)
{
    if (depth > MAX_DEPTH)
        return fail_at(ctx, &ev->start_mark, "nesting too deep");
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail_at(ctx, &ev->start_mark, "YAML aliases (*name) are not supported in driftwatch config");
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor)
            return fail_at(ctx, &ev->start_mark, "YAML anchors (&name) are not supported in driftwatch config");
        struct ynode *n = ynode_new(YNODE_SCALAR, &ev->start_mark);
        if (!n)
            return fail_at(ctx, &ev->start_mark, "out of memory");
        n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (!n->value) {
            free(n);
            return fail_at(ctx, &ev->start_mark, "out of memory");
        }
        if (strlen(n->value) != ev->data.scalar.length) {
            yaml_tree_free(n);
            return fail_at(ctx, &ev->start_mark, "NUL byte in a scalar");
        }
        *out = n;
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        if (seq ? ev->data.sequence_start.anchor != NULL : ev->data.mapping_start.anchor != NULL)
            return fail_at(ctx, &ev->start_mark, "YAML anchors (&name) are not supported in driftwatch config");
        struct ynode *n = ynode_new(seq ? YNODE_SEQUENCE : YNODE_MAPPING, &ev->start_mark);
        if (!n)
            return fail_at(ctx, &ev->start_mark, "out of memory");
        if ((seq ? parse_sequence_items(ctx, n, depth) : parse_mapping_pairs(ctx, n, depth)) < 0) {
            yaml_tree_free(n);
            return -1;
        }
        *out = n;
        return 0;
    }
    default:
        return fail_at(ctx, &ev->start_mark, "unexpected YAML event");
    }
}

static int parse_stream(struct parse_ctx *ctx, struct ynode **out)
{
    yaml_event_t ev;
    struct ynode *root = NULL;
    int rc = -1;
    /* STREAM-START, then DOCUMENT-START or STREAM-END (empty file). */
    if (next_event(ctx, &ev) < 0)
        return -1;
    yaml_event_delete(&ev);
    if (next_event(ctx, &ev) < 0)
        return -1;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_mark_t m = ev.start_mark;
        yaml_event_delete(&ev);
        root = ynode_new(YNODE_MAPPING, &m);
        if (!root)
            return -1;
        *out = root;
        return 0;
    }
    yaml_event_delete(&ev);
    if (next_event(ctx, &ev) < 0)
        return -1;
    rc = parse_node(ctx, &ev, 0, &root);
    yaml_event_delete(&ev);
    if (rc < 0)
        return -1;
    if (next_event(ctx, &ev) < 0) { /* DOCUMENT-END */
        yaml_tree_free(root);
        return -1;
    }
    yaml_event_delete(&ev);
    *out = root;
    return 0;
}

int yaml_tree_load_string(const char *text, size_t len, const char *name, struct ynode **out, char *err,
                          size_t errlen)
{
    struct parse_ctx ctx = {.name = name, .err = err, .errlen = errlen};
    if (!yaml_parser_initialize(&ctx.parser)) {
        snprintf(err, errlen, "%s: cannot initialise the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, len);
    int rc = parse_stream(&ctx, out);
    yaml_parser_delete(&ctx.parser);
    return rc;
}

int yaml_tree_load_file(const char *path, struct ynode **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct parse_ctx ctx = {.name = path, .err = err, .errlen = errlen};
    if (!yaml_parser_initialize(&ctx.parser)) {
        fclose(f);
        snprintf(err, errlen, "%s: cannot initialise the YAML parser", path);
        return -1;
    }
    yaml_parser_set_input_file(&ctx.parser, f);
    int rc = parse_stream(&ctx, out);
    yaml_parser_delete(&ctx.parser);
    fclose(f);
    return rc;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
    if (!map || map->type != YNODE_MAPPING)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->value, key) == 0)
            return map->items[2 * i + 1];
    return NULL;
}

size_t ynode_map_size(const struct ynode *map)
{
    return map && map->type == YNODE_MAPPING ? map->n : 0;
}

const struct ynode *ynode_key(const struct ynode *map, size_t i)
{
    return map->items[2 * i];
}

const struct ynode *ynode_value(const struct ynode *map, size_t i)
{
    return map->items[2 * i + 1];
}

const char *ynode_type_name(const struct ynode *n)
{
    static const char *const names[] = {"a scalar", "a list", "a mapping"};
    return names[n->type];
}

const struct ynode *ynode_unknown_key(const struct ynode *map, const char *const *allowed)
{
    for (size_t i = 0; i < ynode_map_size(map); i++) {
        const struct ynode *k = ynode_key(map, i);
        size_t j = 0;
        while (allowed[j] && strcmp(k->value, allowed[j]) != 0)
            j++;
        if (!allowed[j])
            return k;
    }
    return NULL;
}
